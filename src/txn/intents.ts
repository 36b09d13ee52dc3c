/**
 * The transaction state a shard group keeps in its own graph, and the pure functions that turn a
 * request plus the group's graph into the graph commands of one log entry. Because the state is
 * ordinary graph data — the properties of one reserved node, {@link TXN_NODE_ID} with the label
 * `__geode_txn` — it is replicated, snapshotted, rolled back with a deposed leader's speculative
 * writes and restored after a crash exactly like the shard's own data: the shard layer needs no new
 * entry kind. Its properties:
 *
 * | property | on | holds |
 * |---|---|---|
 * | `i:<txn>` | a participant | the **intent** of a prepared transaction's part: start timestamp, the keys it write-locks and (serializable) read-locks, its register writes, its raw graph commands, the participants, and the deadline after which the part stops waiting for the decision |
 * | `w:<lock>` | a participant | the transaction write-locking `<lock>` (`r:<register key>`, `n:<node id>`, `e:<edge id>`) |
 * | `s:<lock>` | a participant | the transactions read-locking it (serializable) |
 * | `r:<key>` | a participant | a **register**: the versions of a transactional key, each stamped with the commit timestamp of the transaction that wrote it (MVCC) |
 * | `d:<txn>` | the record group | the **record**: a transaction's decision (`committed` with its commit timestamp, or `aborted`), its participants |
 * | `clock` | the record group | the last timestamp issued, so timestamps stay monotonic across leaders (a timestamp oracle whose state is in Raft) |
 *
 * An intent is the lock: a group holds at most one transaction write-locking a key (no-wait: a
 * second prepare is refused and retried by its coordinator), so nothing waits for a lock and there
 * is no deadlock.
 *
 * Every function here is pure over a {@link GraphReader}: the participant side (participant.ts) calls
 * one on a group's ready leader and proposes what it returns in the same synchronous turn, which
 * makes the check and the write atomic.
 */
import { decodeCommands, encodeCommands, GraphStore, type GraphCommand, type GraphReader, type PropertyValue } from '../graph/index.ts';
import { GeodeError } from '../util/errors.ts';
import { compareHlc, formatHlc, type HlcTimestamp } from './hlc.ts';

/**
 * The id of the node holding a group's transaction state, the same on every group: 2^52, far
 * above any id a cluster hands out, so no data node ever collides with it. (Creating it moves the
 * group graph's own next-id counter above it; sharded groups take their ids from the cluster's
 * allocator, not that counter.)
 */
export const TXN_NODE_ID = 2 ** 52;
export const TXN_LABEL = '__geode_txn';
/** Most intents a group holds at once (prepared, undecided transactions). */
export const intentsPerGroupMax = 4_096;
/** Most keys (register keys plus touched entities) one transaction's part locks on one group. */
export const lockedKeysMax = 10_000;
/** Versions a register keeps at most, newest kept (older snapshots then fail `SnapshotTooOld`). */
export const versionsPerRegisterMax = 64;
/** Default age after which a register's shadowed versions may go, ms. */
export const versionRetentionMsDefault = 10_000;

/** A value a transactional register holds (JSON-shaped; undefined: absent or deleted). */
export type TxnValue = null | boolean | number | string | readonly TxnValue[];

/** A prepared part as kept in its intent. */
export interface IntentState {
  readonly txn: string;
  readonly record: number;
  /** Start timestamp (snapshot of the reads); undefined for a raw atomic write without reads. */
  readonly start: HlcTimestamp | undefined;
  /** Wall ms (the participant leader's clock) after which the part asks the record group. */
  readonly deadline: number;
  readonly writes: readonly string[];
  readonly reads: readonly string[];
  /** Register writes: key, value (null deletes). */
  readonly kv: readonly (readonly [string, TxnValue])[];
  /** Raw graph commands, encoded (base64 of the shard command codec). */
  readonly cmds: string;
  /** Every group taking part (so a recovering participant records a complete decision). */
  readonly participants: readonly number[];
}

/** What a participant is asked to prepare. */
export interface PrepareRequest {
  readonly txn: string;
  readonly record: number;
  readonly start: HlcTimestamp | undefined;
  readonly timeoutMs: number;
  readonly isolation: 'snapshot' | 'serializable';
  /** Register writes on this group. */
  readonly kv: readonly (readonly [string, TxnValue])[];
  /** Register keys read (validated and read-locked under serializable). */
  readonly reads: readonly string[];
  /** Raw graph commands for this group (no schema commands). */
  readonly commands: readonly GraphCommand[];
  readonly participants: readonly number[];
  /** The transaction's deadline (coordinator's wall ms): a prepare arriving after it (and the skew) is refused. */
  readonly deadline: number;
  /**
   * A graph transaction's snapshot check: the log index this group's graph stood at when the
   * transaction read it (`ShardHost.graphIndex`). The prepare is refused (`WriteConflict`) when an
   * entry after it wrote what {@link PrepareRequest.check} says (the leader's MVCC history tells).
   */
  readonly expect?: number;
  /** How `expect` is checked (default `'data'`): see {@link SnapshotCheck}. */
  readonly check?: SnapshotCheck;
}

/**
 * SnapshotCheck: what a graph transaction's commit checks on a group it read at log index `V`.
 * - `'keys'` (snapshot isolation, first committer wins at key granularity): no entry after `V`
 *   wrote a node or edge this transaction writes there.
 * - `'data'` (serializable, where the transaction's reads are not tracked key by key): no entry
 *   after `V` wrote any node or edge of the group (transaction bookkeeping aside), and the group
 *   holds no intent of another transaction.
 */
export type SnapshotCheck = 'keys' | 'data';

/** The lock key of the transaction state node (bookkeeping, not data: ignored by snapshot checks). */
const stateKey = `n:${TXN_NODE_ID}`;

/**
 * checkSnapshot: throws PROPOSAL_DROPPED when a graph transaction that read this group at `expect`
 * may not commit `commands` here, by `check` (see {@link SnapshotCheck}); `written` is what the
 * group's MVCC history says entries after `expect` wrote (`ShardHost.writtenSince`), undefined
 * when it no longer reaches back that far (`SnapshotTooOld`).
 */
export function checkSnapshot(graph: GraphReader, commands: readonly GraphCommand[], expect: number, written: ReadonlySet<string> | undefined, check: SnapshotCheck): void {
  if (written === undefined) throw conflict('SnapshotTooOld', `the shard no longer keeps what was written after log index ${expect}, where the transaction read it (retry)`);
  if (check === 'keys') {
    if (written.size === 0) return;
    for (const k of rawLocks(commands)) {
      if (written.has(k)) throw conflict('WriteConflict', `write conflict on ${k.startsWith('n:') ? 'node' : 'edge'} ${k.slice(2)}: another transaction wrote it after this one read it (retry)`);
    }
    return;
  }
  for (const k of written) if (k !== stateKey) throw conflict('WriteConflict', `write conflict: the shard changed after the transaction read it at log index ${expect} (retry)`);
  if (intents(graph).length > 0) throw conflict('Locked', 'the shard holds a prepared transaction (retry)');
}

/**
 * snapshotStands: whether a group read at `expect` still holds the same data (the `'data'` check
 * passes): nothing but transaction bookkeeping written since, no intent of another transaction.
 */
export function snapshotStands(graph: GraphReader, written: ReadonlySet<string> | undefined): boolean {
  if (written === undefined) return false;
  for (const k of written) if (k !== stateKey) return false;
  return intents(graph).length === 0;
}

/** The decision of a transaction, as its record holds it. */
export type Decision = { readonly decision: 'committed'; readonly ts: HlcTimestamp } | { readonly decision: 'aborted' };

export interface RecordState {
  readonly txn: string;
  readonly decision: Decision;
  readonly participants: readonly number[];
  /** Wall ms (record leader's clock) it was written. */
  readonly at: number;
}

const conflict = (detail: string, message: string): GeodeError => new GeodeError('PROPOSAL_DROPPED', message, { detail, source: 'transaction' });

// ------------------------------------------------------------------ encoding

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function encodeRawCommands(commands: readonly GraphCommand[]): string {
  return commands.length === 0 ? '' : toBase64(encodeCommands(commands));
}

export function decodeRawCommands(text: string, source: string): GraphCommand[] {
  return text === '' ? [] : decodeCommands(fromBase64(text), source);
}

// ------------------------------------------------------------------ the state node

/** A JSON property of the state node, parsed; undefined when absent. */
function prop<T>(graph: GraphReader, key: string): T | undefined {
  const v = graph.node(TXN_NODE_ID)?.props.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new GeodeError('INPUT_INVALID', `transaction state ${key} is not a string`, { source: 'transaction' });
  return JSON.parse(v) as T;
}

/**
 * StateWriter: the commands that change state-node properties (creating the node first when the
 * group has none), and a view of the values it set, so one computation sees its own changes.
 */
class StateWriter {
  readonly commands: GraphCommand[] = [];
  readonly #graph: GraphReader;
  readonly #set = new Map<string, PropertyValue | null>();
  #exists: boolean;

  constructor(graph: GraphReader) {
    this.#graph = graph;
    this.#exists = graph.node(TXN_NODE_ID) !== undefined;
  }

  get<T>(key: string): T | undefined {
    if (this.#set.has(key)) {
      const v = this.#set.get(key);
      return v === null || v === undefined ? undefined : (JSON.parse(v as string) as T);
    }
    return prop<T>(this.#graph, key);
  }

  put(key: string, value: unknown): void {
    const v = value === undefined ? null : JSON.stringify(value);
    this.#set.set(key, v);
    if (!this.#exists) {
      this.commands.push({ op: 'createNode', id: TXN_NODE_ID, labels: [TXN_LABEL], props: [] });
      this.#exists = true;
    }
    this.commands.push({ op: 'setNodeProperty', id: TXN_NODE_ID, key, value: v });
  }
}

// ------------------------------------------------------------------ lookups

/** intentOf: the intent of `txn` on this group, if it holds one. */
export function intentOf(graph: GraphReader, txn: string): IntentState | undefined {
  return prop<IntentState>(graph, `i:${txn}`);
}

/** The JSON values of the state node's properties whose names start with `prefix`. */
function prefixed<T>(graph: GraphReader, prefix: string): T[] {
  const out: T[] = [];
  const n = graph.node(TXN_NODE_ID);
  if (n !== undefined) for (const [k, v] of n.props) if (k.startsWith(prefix) && typeof v === 'string') out.push(JSON.parse(v) as T);
  return out;
}

/** intents: every intent this group holds. */
export function intents(graph: GraphReader): IntentState[] {
  return prefixed<IntentState>(graph, 'i:');
}

/** recordOf: the record of `txn` on the record group, if one was written. */
export function recordOf(graph: GraphReader, txn: string): RecordState | undefined {
  return prop<RecordState>(graph, `d:${txn}`);
}

/** records: every record the record group holds. */
export function records(graph: GraphReader): RecordState[] {
  return prefixed<RecordState>(graph, 'd:');
}

interface RegisterState {
  /** Versions oldest first: [wall, logical, value]; value null = deleted. */
  readonly v: readonly (readonly [number, number, TxnValue])[];
  /** True once older versions were dropped (a read before the oldest kept fails). */
  readonly trimmed: boolean;
}

function latestTs(r: RegisterState | undefined): HlcTimestamp | undefined {
  const last = r?.v[r.v.length - 1];
  return last === undefined ? undefined : { wall: last[0], logical: last[1] };
}

export const registerLock = (key: string): string => `r:${key}`;

/** What a snapshot read of one register found. */
export type RegisterRead =
  | { readonly kind: 'value'; readonly value: TxnValue | undefined }
  /** A prepared transaction write-locks it and may commit at or before the snapshot: wait, or resolve it. */
  | { readonly kind: 'locked'; readonly txn: string; readonly record: number; readonly deadline: number };

/**
 * readRegister: `key`'s value at snapshot `ts`: the newest version at or before it — unless a
 * prepared intent write-locks the key and started at or before `ts` (its commit timestamp, not yet
 * known, could then be at or before `ts`: the reader must wait for its resolution). Throws
 * PROPOSAL_DROPPED `SnapshotTooOld` when the versions the snapshot needs were collected.
 */
export function readRegister(graph: GraphReader, key: string, ts: HlcTimestamp): RegisterRead {
  const holder = prop<string>(graph, `w:${registerLock(key)}`);
  if (holder !== undefined) {
    const it = intentOf(graph, holder);
    if (it !== undefined && (it.start === undefined || compareHlc(it.start, ts) <= 0)) return { kind: 'locked', txn: it.txn, record: it.record, deadline: it.deadline };
  }
  const r = prop<RegisterState>(graph, `r:${key}`);
  if (r === undefined) return { kind: 'value', value: undefined };
  for (let i = r.v.length - 1; i >= 0; i--) {
    const [w, l, value] = r.v[i]!;
    if (compareHlc({ wall: w, logical: l }, ts) <= 0) return { kind: 'value', value: value === null ? undefined : value };
  }
  if (r.trimmed) throw conflict('SnapshotTooOld', `the versions of ${key} at ${formatHlc(ts)} were collected (retry with a newer snapshot)`);
  return { kind: 'value', value: undefined };
}

// ------------------------------------------------------------------ lock keys of raw commands

const schemaOps = new Set(['createIndex', 'dropIndex', 'createConstraint', 'dropConstraint']);

/** The entity keys raw commands lock: every node and edge they touch, and the ends of edges they create. */
export function rawLocks(commands: readonly GraphCommand[]): string[] {
  const keys = new Set<string>();
  for (const c of commands) {
    if (schemaOps.has(c.op)) throw new GeodeError('INPUT_INVALID', `a transaction cannot carry schema command ${c.op}`, { source: 'transaction', detail: 'SchemaInTransaction' });
    entityKeys(c, keys);
  }
  if (keys.has(`n:${TXN_NODE_ID}`)) throw new GeodeError('INPUT_INVALID', `node id ${TXN_NODE_ID} is reserved for transaction state`, { source: 'transaction', detail: 'ReservedId' });
  return [...keys];
}

/** entityKeys: adds the lock keys of one data command to `keys`. */
function entityKeys(c: GraphCommand, keys: Set<string>): void {
  switch (c.op) {
    case 'createEdge':
      keys.add(`e:${c.id}`).add(`n:${c.src}`).add(`n:${c.dst}`);
      break;
    case 'deleteEdge':
    case 'setEdgeProperty':
      keys.add(`e:${c.id}`);
      break;
    default:
      if ('id' in c) keys.add(`n:${c.id}`);
  }
}

/**
 * blockedByIntent: whether a write outside transactions (`commands`, just run on the group's
 * leader) touches a node or edge that a prepared transaction write-locks on this group: it must
 * wait for that transaction's resolution, or the resolution would overwrite it (a lost update).
 */
export function blockedByIntent(graph: GraphReader, commands: readonly GraphCommand[]): boolean {
  const state = graph.node(TXN_NODE_ID);
  if (state === undefined) return false;
  let locks = false;
  for (const k of state.props.keys()) {
    if (k.startsWith('w:')) {
      locks = true;
      break;
    }
  }
  if (!locks) return false;
  const keys = new Set<string>();
  for (const c of commands) if (!schemaOps.has(c.op)) entityKeys(c, keys);
  for (const k of keys) if (state.props.has(`w:${k}`)) return true;
  return false;
}

// ------------------------------------------------------------------ participant: prepare

/** What a computation returns: the commands of its entry (empty: nothing to write) and its result. */
export interface Computed<T> {
  readonly commands: readonly GraphCommand[];
  readonly result: T;
}

function liveStore(graph: GraphReader): GraphStore {
  if (!(graph instanceof GraphStore)) throw new GeodeError('INPUT_INVALID', 'a transaction participant needs the group graph itself', { source: 'transaction' });
  return graph;
}

/** Applies raw commands and undoes them, newest first: the store is left exactly as it was. */
function dryRun(store: GraphStore, commands: readonly GraphCommand[]): void {
  const undo: GraphCommand[][] = [];
  try {
    for (const c of commands) {
      undo.push(store.apply(c));
    }
  } finally {
    for (let i = undo.length - 1; i >= 0; i--) for (const u of undo[i]!) store.apply(u);
  }
}

/**
 * prepareCommands: the entry that prepares `req` on this group (`now`: the leader's wall clock),
 * or throws PROPOSAL_DROPPED when it conflicts (`Locked`: another prepared transaction holds a key;
 * `WriteConflict`: a key it writes got a version after its start; `ReadConflict`: under
 * serializable, a key it read did; `TxnAborted`: it arrived after the transaction's deadline plus
 * `opts.maxSkewMs`) and the commands' own error when they do not apply. A part already prepared
 * returns no commands (a repeated prepare is harmless). `opts.skipWriteCheck`: a PLANTED BUG for
 * the simulator (TEST-ONLY).
 */
export function prepareCommands(
  graph: GraphReader,
  req: PrepareRequest,
  now: number,
  opts: { readonly maxSkewMs?: number; readonly skipWriteCheck?: boolean; readonly written?: (index: number) => ReadonlySet<string> | undefined } = {},
): Computed<'prepared'> {
  if (intentOf(graph, req.txn) !== undefined) return { commands: [], result: 'prepared' };
  if (now > req.deadline + (opts.maxSkewMs ?? 500)) throw conflict('TxnAborted', `transaction ${req.txn} asked to prepare after its deadline (retry)`);
  if (req.expect !== undefined) checkSnapshot(graph, req.commands, req.expect, opts.written?.(req.expect), req.check ?? 'data');
  const store = liveStore(graph);
  const writes = [...new Set([...req.kv.map(([k]) => registerLock(k)), ...rawLocks(req.commands)])];
  const reads = req.isolation === 'serializable' ? [...new Set(req.reads.map(registerLock))].filter((k) => !writes.includes(k)) : [];
  if (writes.length + reads.length > lockedKeysMax) {
    throw new GeodeError('LIMIT_EXCEEDED', `a transaction locks ${writes.length + reads.length} keys on one shard, more than ${lockedKeysMax}`, { source: 'transaction', detail: 'TooManyKeys' });
  }
  const w = new StateWriter(graph);
  for (const k of writes) {
    if (w.get<string>(`w:${k}`) !== undefined || (w.get<string[]>(`s:${k}`)?.length ?? 0) > 0) throw conflict('Locked', `${k.slice(2)} is locked by another prepared transaction (retry)`);
  }
  for (const k of reads) if (w.get<string>(`w:${k}`) !== undefined) throw conflict('Locked', `${k.slice(2)} is write-locked by another prepared transaction (retry)`);
  if (req.start !== undefined) {
    for (const [key] of opts.skipWriteCheck === true ? [] : req.kv) {
      const last = latestTs(w.get<RegisterState>(`r:${key}`));
      if (last !== undefined && compareHlc(last, req.start) > 0) throw conflict('WriteConflict', `write conflict on ${key}: another transaction committed it after this one started (retry)`);
    }
    if (req.isolation === 'serializable') {
      for (const key of req.reads) {
        const last = latestTs(w.get<RegisterState>(`r:${key}`));
        if (last !== undefined && compareHlc(last, req.start) > 0) throw conflict('ReadConflict', `read conflict on ${key}: it changed after this transaction read it (retry)`);
      }
    }
  }
  const open = intents(graph).length;
  if (open >= intentsPerGroupMax) throw new GeodeError('LIMIT_EXCEEDED', `${open} prepared transactions wait on this shard`, { source: 'transaction', detail: 'TooManyIntents' });
  dryRun(store, req.commands);
  const state: IntentState = {
    txn: req.txn,
    record: req.record,
    start: req.start,
    deadline: now + req.timeoutMs,
    writes,
    reads,
    kv: req.kv,
    cmds: encodeRawCommands(req.commands),
    participants: req.participants,
  };
  w.put(`i:${req.txn}`, state);
  for (const k of writes) w.put(`w:${k}`, req.txn);
  for (const k of reads) w.put(`s:${k}`, [...(w.get<string[]>(`s:${k}`) ?? []), req.txn]);
  return { commands: w.commands, result: 'prepared' };
}

/**
 * applyIfCommands: the entry of a one-group graph transaction's commit: its `commands`, when the
 * transaction that read the group at log index `expect` may commit them by `check` (see
 * {@link checkSnapshot}; `written`: what entries after `expect` wrote, from the leader's MVCC
 * history) and no prepared transaction locks what they write ('data': no intent at all);
 * PROPOSAL_DROPPED `WriteConflict`, `Locked` or `SnapshotTooOld` otherwise. Empty commands are
 * refused (a read-only transaction does not commit through here).
 */
export function applyIfCommands(
  graph: GraphReader,
  commands: readonly GraphCommand[],
  expect: number,
  written: ReadonlySet<string> | undefined,
  check: SnapshotCheck = 'data',
): Computed<'applied'> {
  if (commands.length === 0) throw new GeodeError('INPUT_INVALID', 'an apply carries at least one command', { source: 'transaction', detail: 'BadTxnMessage' });
  rawLocks(commands); // no schema commands, not the state node
  checkSnapshot(graph, commands, expect, written, check);
  if (blockedByIntent(graph, commands)) throw conflict('Locked', 'a prepared transaction locks what this one writes (retry)');
  return { commands, result: 'applied' };
}

// ------------------------------------------------------------------ participant: resolve

/**
 * resolveCommands: the entry that ends `txn`'s part on this group by `decision`: aborted → the
 * intent and its locks go; committed → as well, its raw commands apply and its register writes
 * become versions at the commit timestamp (versions shadowed more than `retentionMs` before it
 * are collected, at most {@link versionsPerRegisterMax} kept). No intent (already resolved, or
 * never prepared): no commands.
 */
export function resolveCommands(graph: GraphReader, txn: string, decision: Decision, retentionMs = versionRetentionMsDefault): Computed<'resolved' | 'absent'> {
  const it = intentOf(graph, txn);
  if (it === undefined) return { commands: [], result: 'absent' };
  const w = new StateWriter(graph);
  w.put(`i:${txn}`, undefined);
  for (const k of it.writes) if (w.get<string>(`w:${k}`) === txn) w.put(`w:${k}`, undefined);
  for (const k of it.reads) {
    const left = (w.get<string[]>(`s:${k}`) ?? []).filter((t) => t !== txn);
    w.put(`s:${k}`, left.length === 0 ? undefined : left);
  }
  if (decision.decision === 'committed') {
    const ts = decision.ts;
    // The commit timestamp, in the entry that makes the writes visible: a read at a past timestamp
    // that finds this intent in its version learns from it whether the writes were in by then.
    w.put(COMMITTED_KEY, { txn, ts });
    for (const [key, value] of it.kv) {
      const old = w.get<RegisterState>(`r:${key}`);
      const last = latestTs(old);
      if (last !== undefined && compareHlc(ts, last) <= 0) {
        throw new GeodeError('INPUT_INVALID', `a version of ${key} at ${formatHlc(ts)} is not after its newest at ${formatHlc(last)}`, { source: 'transaction' });
      }
      const versions = [...(old?.v ?? []), [ts.wall, ts.logical, value] as const];
      // Keep the newest version at or before the horizon (what a snapshot there reads) and all after.
      const horizon = ts.wall - retentionMs;
      let from = 0;
      for (let i = 0; i < versions.length - 1; i++) if (versions[i]![0] <= horizon) from = i;
      from = Math.max(from, versions.length - versionsPerRegisterMax);
      w.put(`r:${key}`, { v: versions.slice(from), trimmed: (old?.trimmed ?? false) || from > 0 } satisfies RegisterState);
    }
    return { commands: [...w.commands, ...decodeRawCommands(it.cmds, `the intent of ${txn}`)], result: 'resolved' };
  }
  return { commands: w.commands, result: 'resolved' };
}

/** The state-node property a commit's resolution sets to `{ txn, ts }` (the latest one wins: it is read from the entries, not the state). */
const COMMITTED_KEY = 'committed';

/**
 * resolutionsIn: what entries' commands say of transactions resolved on a group: `resolved`, every
 * transaction whose intent they removed; `committed`, the commit timestamps of those that committed
 * (set by {@link resolveCommands} in the same entry). An intent removed without a commit
 * timestamp was aborted.
 */
export function resolutionsIn(commands: readonly GraphCommand[], into: { resolved: Set<string>; committed: Map<string, HlcTimestamp> }): void {
  for (const c of commands) {
    if (c.op !== 'setNodeProperty' || c.id !== TXN_NODE_ID) continue;
    if (c.key === COMMITTED_KEY && typeof c.value === 'string') {
      const v = JSON.parse(c.value) as { txn: string; ts: HlcTimestamp };
      into.committed.set(v.txn, v.ts);
    } else if (c.key.startsWith('i:') && c.value === null) {
      into.resolved.add(c.key.slice(2));
    }
  }
}

// ------------------------------------------------------------------ record group: clock and decisions

/** The record group's last issued timestamp (zero before any). */
export function lastIssued(graph: GraphReader): HlcTimestamp {
  return prop<HlcTimestamp>(graph, 'clock') ?? { wall: 0, logical: 0 };
}

/** clockCommands: the entry that records `ts` as the last issued timestamp. */
export function clockCommands(graph: GraphReader, ts: HlcTimestamp): GraphCommand[] {
  const w = new StateWriter(graph);
  w.put('clock', ts);
  return w.commands;
}

/**
 * decideCommands: the entry that records `txn`'s decision, first writer wins: when a record
 * exists its decision stands (a coordinator's late commit loses to a recovering participant's
 * abort, and the other way round) and nothing is written. A commit's timestamp, issued by the
 * caller above {@link lastIssued}, becomes the last issued.
 */
export function decideCommands(graph: GraphReader, txn: string, decision: Decision, participants: readonly number[], now: number): Computed<Decision> {
  const found = recordOf(graph, txn);
  if (found !== undefined) return { commands: [], result: found.decision };
  const w = new StateWriter(graph);
  if (decision.decision === 'committed') w.put('clock', decision.ts);
  w.put(`d:${txn}`, { txn, decision, participants, at: now } satisfies RecordState);
  return { commands: w.commands, result: decision };
}

/** forgetCommands: drops `txn`'s record once every participant resolved (none when absent). */
export function forgetCommands(graph: GraphReader, txn: string): Computed<boolean> {
  if (recordOf(graph, txn) === undefined) return { commands: [], result: false };
  const w = new StateWriter(graph);
  w.put(`d:${txn}`, undefined);
  return { commands: w.commands, result: true };
}
