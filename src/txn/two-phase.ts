/**
 * The coordinator of distributed transactions over shard groups: two-phase commit whose
 * participants prepare through their own Raft logs and whose decision is a Raft entry of a
 * transaction-record group (see participant.ts for the entries, intents.ts for the state).
 *
 * A read-write transaction:
 *
 * 1. takes a start timestamp from the record group's clock (a Raft entry: monotonic across leaders);
 * 2. reads registers at it (linearizable reads of each key's group; a key write-locked by a prepared
 *    transaction that started at or before it waits for, or drives, that transaction's resolution);
 * 3. buffers its writes; at commit, every group it writes (and, serializable, every group it read)
 *    *prepares*: validates (no lock held by another, no version after the start on what it writes,
 *    serializable: nor on what it read) and logs an intent that locks what it touches;
 * 4. when all prepared, the record group logs the decision `committed` with a commit timestamp
 *    issued then (after every lock is in place, so any later snapshot meets the locks); any refusal
 *    or failure logs `aborted`. The decision is first-writer-wins: a participant that recovered the
 *    transaction first (below) makes a late commit lose.
 * 5. the transaction is acknowledged when the decision is logged; the participants then resolve
 *    (the intent becomes versions at the commit timestamp, or goes), asynchronously.
 *
 * Recovery: a participant's intent carries a deadline (prepare time + `timeoutMs`); past it,
 * the {@link IntentResolver} of the group's leader (or a reader that meets the intent) asks the
 * record group to decide `abort` unless a decision exists, and resolves by what is recorded. The
 * record group refuses to record a commit after the transaction's deadline, so a coordinator that
 * wakes up late cannot commit what a participant already aborted. Locks are intents and intents
 * never wait for each other (a prepare that meets a lock is refused: no-wait, the coordinator
 * retries with backoff), so there is no deadlock, and no lock outlives a dead coordinator by more
 * than the timeout and one resolver period.
 *
 * `commitAcrossShards` is the atomic write of the cluster layer: raw graph commands per group,
 * all or none, without reads (no start timestamp).
 */
import type { GraphCommand } from '../graph/index.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import { compareHlc, type HlcTimestamp } from './hlc.ts';
import type { Decision, PrepareRequest, SnapshotCheck, TxnValue } from './intents.ts';
import type { TxnReplies, TxnRequest } from './participant.ts';

/** Default `transactions.timeout_ms`: how long a transaction may run, and how long its locks may wait. */
export const txnTimeoutMsDefault = 5_000;
/** Default attempts after the first on a conflict (`transactions.retry_count`). */
export const txnRetriesDefault = 5;
/** Most keys one transaction reads or writes. */
export const txnKeysMax = 10_000;

/** How a coordinator reaches groups: a request to the group's leader (the transport finds it). */
export interface TxnTransport {
  /** Sends `request` for `group` and returns the reply; rejects with the participant's error, or LIMIT_EXCEEDED past `deadline`. */
  send<R extends TxnRequest>(group: number, request: R, deadline: number): Promise<TxnReplies[R['op']]>;
}

/** What a coordinator needs. */
export interface TxnCoordinatorComponents {
  readonly transport: TxnTransport;
  /** The group holding transaction records and the clock. */
  readonly recordGroup: number;
  /** The group a register key lives in. */
  readonly groupOfKey: (key: string) => number;
  /** This peer's wall clock, ms. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Random in [0, 1): transaction ids, backoff jitter. */
  readonly random: () => number;
  /** A name unique to this coordinator (its peer id), the prefix of its transaction ids. */
  readonly name: string;
  /** False once this coordinator's process died (TEST-ONLY: the simulator kills coordinators). */
  readonly alive?: () => boolean;
}

/** Isolation levels of a distributed transaction. */
export type TxnIsolation = 'snapshot' | 'serializable';

export interface TxnOptions {
  /** Default `snapshot`. */
  readonly isolation?: TxnIsolation;
  readonly readOnly?: boolean;
  /** The transaction's time limit, ms; also its intents' deadline after prepare. Default 5,000. */
  readonly timeoutMs?: number;
}

export interface RunOptions extends TxnOptions {
  /** Attempts after the first on a retryable abort. Default 5. */
  readonly retries?: number;
  /** First backoff, ms, doubled each attempt (capped at 64×) with jitter. Default 2. */
  readonly backoffMs?: number;
}

/** TEST-ONLY knobs of the simulator: a coordinator dying at a chosen point, planted bugs. */
export interface CoordinatorFaults {
  /** Called after every participant prepared, before the decision (the simulator may kill the coordinator here). */
  readonly afterPrepare?: (txn: string) => Promise<void> | void;
  /** Called after the decision, before resolution. */
  readonly afterDecide?: (txn: string) => Promise<void> | void;
  /** Called before each participant's resolution is sent (the simulator may kill the coordinator between two). */
  readonly beforeResolve?: (txn: string, group: number) => void;
  /** PLANTED BUG: resolve as committed without recording the decision. */
  readonly skipRecord?: boolean;
}

/** What a committed transaction reports. */
export interface TxnCommit {
  readonly txn: string;
  /** The commit timestamp (undefined for a read-only or empty transaction). */
  readonly ts: HlcTimestamp | undefined;
  /** The groups that took part. */
  readonly groups: readonly number[];
  /** Resolves when every participant resolved (tests, benchmarks; failures are retried by the resolvers). */
  readonly resolved: Promise<void>;
}

const RETRYABLE = new Set(['WriteConflict', 'ReadConflict', 'Locked', 'TxnAborted', 'SnapshotTooOld', 'LeaderChanged', 'NotLeader']);

/** retryableTxnError: the transaction surely did not happen and running it again may succeed. */
export function retryableTxnError(err: unknown): boolean {
  return isGeodeError(err, 'PROPOSAL_DROPPED') && RETRYABLE.has(err.detail ?? '');
}

const aborted = (why: string): GeodeError => new GeodeError('PROPOSAL_DROPPED', `the transaction was aborted: ${why} (retry)`, { detail: 'TxnAborted', source: 'transaction' });

interface Part {
  kv: Map<string, TxnValue>;
  reads: Set<string>;
  commands: GraphCommand[];
  /** The group's graph index the prepare expects ({@link PrepareRequest.expect}). */
  expect?: number;
  /** How `expect` is checked ({@link PrepareRequest.check}). */
  check?: SnapshotCheck;
}

export class TxnCoordinator {
  readonly #c: TxnCoordinatorComponents;
  readonly #faults: CoordinatorFaults;
  #seq = 0;
  /** Counters for metrics, benchmarks and tests. */
  readonly stats = { committed: 0, aborted: 0, conflicts: 0, resolutions: 0 };

  constructor(components: TxnCoordinatorComponents, faults: CoordinatorFaults = {}) {
    this.#c = components;
    this.#faults = faults;
  }

  /** A process-unique transaction id: coordinator name, sequence, random suffix. */
  newTxnId(): string {
    return `${this.#c.name}/${++this.#seq}/${Math.floor(this.#c.random() * 2 ** 32).toString(36)}`;
  }

  #check(): void {
    if (this.#c.alive !== undefined && !this.#c.alive()) throw new GeodeError('CLOSED', `coordinator ${this.#c.name} stopped`);
  }

  async #send<R extends TxnRequest>(group: number, request: R, deadline: number): Promise<TxnReplies[R['op']]> {
    this.#check();
    const out = await this.#c.transport.send(group, request, deadline);
    this.#check();
    return out;
  }

  /** begin: a transaction at a fresh start timestamp (one entry on the record group). */
  async begin(options: TxnOptions = {}): Promise<DistributedTransaction> {
    const timeoutMs = options.timeoutMs ?? txnTimeoutMsDefault;
    const deadline = this.#c.now() + timeoutMs;
    const start = await this.#send(this.#c.recordGroup, { op: 'timestamp' }, deadline);
    return new DistributedTransaction(this, this.#c, start, deadline, options);
  }

  /**
   * run: runs `body` in a transaction and commits it; a retryable abort (conflict, lock, leader
   * change before anything was decided) runs it again after a backoff, up to `retries` times.
   */
  async run<T>(body: (tx: DistributedTransaction) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const retries = options.retries ?? txnRetriesDefault;
    const backoff = options.backoffMs ?? 2;
    for (let attempt = 0; ; attempt++) {
      let tx: DistributedTransaction | undefined;
      try {
        tx = await this.begin(options);
        const out = await body(tx);
        await tx.commit();
        return out;
      } catch (err) {
        tx?.abort();
        if (!retryableTxnError(err) || attempt >= retries) throw err;
        await this.#c.sleep(backoff * 2 ** Math.min(attempt, 6) * (0.5 + this.#c.random()));
      }
    }
  }

  /**
   * commitAcrossShards: applies each group's raw graph commands on all groups or on none, by
   * two-phase commit (one group: the same, with one participant). Rejects PROPOSAL_DROPPED (`Locked`,
   * `TxnAborted`: nothing happened, retry), with the commands' own error when they do not apply on
   * their group (nothing happened), or IO `TxnOutcomeUnknown` when the decision could not be
   * recorded or read back in time (the record, which participants consult, decides it).
   * `options.expect`: per group, the graph index a graph transaction read it at, checked by
   * `options.check` (default `'data'`, see {@link SnapshotCheck}: PROPOSAL_DROPPED `WriteConflict`
   * otherwise); a group there with no commands takes part too (it was read).
   */
  async commitAcrossShards(
    parts: ReadonlyMap<number, readonly GraphCommand[]>,
    options: { readonly timeoutMs?: number; readonly expect?: ReadonlyMap<number, number>; readonly check?: SnapshotCheck } = {},
  ): Promise<TxnCommit> {
    const timeoutMs = options.timeoutMs ?? txnTimeoutMsDefault;
    const ps = new Map<number, Part>();
    for (const [g, commands] of parts) ps.set(g, { kv: new Map(), reads: new Set(), commands: [...commands] });
    for (const [g, expect] of options.expect ?? []) {
      const p = ps.get(g);
      if (p === undefined) ps.set(g, { kv: new Map(), reads: new Set(), commands: [], expect });
      else p.expect = expect;
    }
    if (options.check !== undefined) for (const p of ps.values()) if (p.expect !== undefined) p.check = options.check;
    return this.commitParts(ps, undefined, 'snapshot', this.#c.now() + timeoutMs, timeoutMs);
  }

  /** @internal the two phases, for a transaction's parts. */
  async commitParts(parts: ReadonlyMap<number, Part>, start: HlcTimestamp | undefined, isolation: TxnIsolation, deadline: number, timeoutMs: number): Promise<TxnCommit> {
    const txn = this.newTxnId();
    const groups = [...parts.keys()].sort((a, b) => a - b);
    if (groups.length === 0) return { txn, ts: undefined, groups, resolved: Promise.resolve() };
    const record = this.#c.recordGroup;
    // Phase 1: every participant prepares through its own log (in parallel); wait for every answer.
    const prepared = await Promise.allSettled(
      groups.map((g) => {
        const p = parts.get(g)!;
        const req: PrepareRequest = {
          txn,
          record,
          start,
          timeoutMs,
          isolation,
          kv: [...p.kv],
          reads: [...p.reads],
          commands: p.commands,
          participants: groups,
          deadline,
          ...(p.expect === undefined ? {} : { expect: p.expect }),
          ...(p.check === undefined ? {} : { check: p.check }),
        };
        return this.#send(g, { op: 'prepare', req }, deadline);
      }),
    );
    this.#check();
    const refusal = prepared.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refusal === undefined) await this.#faults.afterPrepare?.(txn);
    this.#check();
    // The decision: one entry on the record group (first writer wins).
    let decision: Decision;
    if (this.#faults.skipRecord === true && refusal === undefined) {
      decision = { decision: 'committed', ts: await this.#send(record, { op: 'timestamp' }, deadline) };
    } else {
      let after: HlcTimestamp | undefined;
      for (const r of prepared) if (r.status === 'fulfilled' && typeof r.value === 'object' && (after === undefined || compareHlc(r.value.prepared, after) > 0)) after = r.value.prepared;
      decision = await this.#decide(txn, refusal === undefined ? 'commit' : 'abort', groups, deadline, timeoutMs, after);
    }
    await this.#faults.afterDecide?.(txn);
    this.#check();
    // Phase 2, asynchronous: participants resolve by the decision; the record goes after.
    const resolved = this.#resolveAll(txn, decision, groups, timeoutMs);
    if (decision.decision === 'committed') {
      this.stats.committed++;
      return { txn, ts: decision.ts, groups, resolved };
    }
    this.stats.aborted++;
    if (refusal !== undefined) {
      const err: unknown = refusal.reason;
      if (isGeodeError(err) && (err.code === 'PROPOSAL_DROPPED' || err.code === 'LIMIT_EXCEEDED' || err.code === 'CLOSED')) {
        if (retryableTxnError(err)) this.stats.conflicts++;
        throw retryableTxnError(err) ? err : aborted(`a participant did not prepare: ${err.message}`);
      }
      throw err;
    }
    throw aborted('a participant recovered it, or its deadline passed, before the commit was recorded');
  }

  /** Records the decision, retrying until recorded or the deadline (plus a timeout) passed. */
  async #decide(txn: string, want: 'commit' | 'abort', groups: readonly number[], deadline: number, timeoutMs: number, after?: HlcTimestamp): Promise<Decision> {
    const giveUp = Math.max(deadline, this.#c.now()) + timeoutMs;
    let last: unknown;
    for (let i = 0; this.#c.now() < giveUp; i++) {
      try {
        return await this.#send(this.#c.recordGroup, { op: 'decide', txn, want, participants: groups, deadline, ...(after === undefined ? {} : { after }) }, giveUp);
      } catch (err) {
        if (isGeodeError(err, 'CLOSED') && this.#c.alive?.() === false) throw err;
        last = err;
        await this.#c.sleep(Math.min(50, 2 ** i));
      }
    }
    throw new GeodeError('IO', `the decision of transaction ${txn} could not be recorded in time: ${last instanceof Error ? last.message : String(last)}`, {
      detail: 'TxnOutcomeUnknown',
      source: 'transaction',
      cause: last,
    });
  }

  /** Resolves every participant (each retried until it answers), then forgets the record (settling before the forget). */
  async #resolveAll(txn: string, decision: Decision, groups: readonly number[], timeoutMs: number): Promise<void> {
    const one = async (g: number): Promise<boolean> => {
      for (let i = 0; i < 20; i++) {
        try {
          if (i === 0) this.#faults.beforeResolve?.(txn, g);
          const r = await this.#send(g, { op: 'resolve', txn, decision }, this.#c.now() + timeoutMs);
          this.stats.resolutions++;
          // 'absent': someone else resolved it — or (seen in the simulation, seed 1374, before
          // ShardHost.readGraph refused reads a deposed leader had made) its intent was not visible:
          // keep the record then, the resolvers' collection drops it later.
          return r === 'resolved';
        } catch {
          if (this.#c.alive?.() === false) return false;
          await this.#c.sleep(Math.min(100, 2 ** i));
        }
      }
      return false; // the participant's resolver will finish it from the record
    };
    const done = await Promise.all(groups.map(one));
    if (this.#faults.skipRecord === true || !done.every(Boolean)) return;
    // Forgetting the record is bookkeeping: `resolved` does not wait for it.
    void this.#send(this.#c.recordGroup, { op: 'forget', txn }, this.#c.now() + timeoutMs).catch(() => {});
  }

  /**
   * resolveBlocking: a reader met `txn`'s intent on `group`: if its record holds a decision, resolve
   * the intent by it; if none and the intent's deadline passed, record an abort and resolve; else
   * wait a little. Returns after one such step (the reader reads again).
   */
  async resolveBlocking(group: number, lock: { readonly txn: string; readonly record: number; readonly deadline: number }, deadline: number, attempt: number): Promise<void> {
    const rec = await this.#send(lock.record, { op: 'record', txn: lock.txn }, deadline);
    let decision = rec?.decision;
    if (decision === undefined && this.#c.now() > lock.deadline) {
      const intentsNow = await this.#send(group, { op: 'intents' }, deadline);
      const it = intentsNow.find((i) => i.txn === lock.txn);
      if (it !== undefined) decision = await this.#send(lock.record, { op: 'decide', txn: lock.txn, want: 'abort', participants: it.participants, deadline: lock.deadline }, deadline);
    }
    if (decision === undefined) {
      await this.#c.sleep(Math.min(50, 1 + 2 ** attempt));
      return;
    }
    await this.#send(group, { op: 'resolve', txn: lock.txn, decision }, deadline);
  }
}

/**
 * A distributed transaction over registers (string keys, JSON-shaped values) spread over groups by
 * the coordinator's `groupOfKey`, plus raw graph commands per group. Reads see the snapshot at the
 * start timestamp and the transaction's own writes.
 */
export class DistributedTransaction {
  readonly start: HlcTimestamp;
  readonly isolation: TxnIsolation;
  readonly readOnly: boolean;
  readonly deadline: number;
  readonly #coord: TxnCoordinator;
  readonly #c: TxnCoordinatorComponents;
  readonly #timeoutMs: number;
  readonly #parts = new Map<number, Part>();
  #keys = 0;
  #state: 'open' | 'committed' | 'aborted' = 'open';

  /** @internal made by {@link TxnCoordinator.begin}. */
  constructor(coord: TxnCoordinator, c: TxnCoordinatorComponents, start: HlcTimestamp, deadline: number, options: TxnOptions) {
    this.#coord = coord;
    this.#c = c;
    this.start = start;
    this.deadline = deadline;
    this.isolation = options.isolation ?? 'snapshot';
    this.readOnly = options.readOnly === true;
    this.#timeoutMs = options.timeoutMs ?? txnTimeoutMsDefault;
  }

  #open(): void {
    if (this.#state !== 'open') throw new GeodeError('CLOSED', `the transaction is ${this.#state}`, { source: 'transaction' });
    if (this.#c.now() > this.deadline) {
      this.#state = 'aborted';
      throw new GeodeError('LIMIT_EXCEEDED', `the transaction ran longer than its ${this.#timeoutMs} ms (transactions.timeout_ms)`, { detail: 'TxnTimeout', source: 'transaction' });
    }
  }

  #part(group: number): Part {
    let p = this.#parts.get(group);
    if (p === undefined) this.#parts.set(group, (p = { kv: new Map(), reads: new Set(), commands: [] }));
    return p;
  }

  #count(): void {
    if (++this.#keys > txnKeysMax) throw new GeodeError('LIMIT_EXCEEDED', `a transaction touches at most ${txnKeysMax} keys`, { detail: 'TooManyKeys', source: 'transaction' });
  }

  /** read: `key`'s value at the start snapshot (or as this transaction wrote it); undefined when absent. */
  async read(key: string): Promise<TxnValue | undefined> {
    this.#open();
    const group = this.#c.groupOfKey(key);
    const p = this.#part(group);
    if (p.kv.has(key)) {
      const v = p.kv.get(key)!;
      return v === null ? undefined : v;
    }
    if (!p.reads.has(key)) this.#count();
    p.reads.add(key);
    for (let attempt = 0; ; attempt++) {
      this.#open();
      const [r] = await this.#c.transport.send(group, { op: 'read', keys: [key], ts: this.start }, this.deadline);
      if (r!.kind === 'value') return r!.value;
      await this.#coord.resolveBlocking(group, r!, this.deadline, attempt);
    }
  }

  /** write: `value` becomes `key`'s value when the transaction commits (undefined deletes). */
  write(key: string, value: TxnValue | undefined): void {
    this.#open();
    if (this.readOnly) throw new GeodeError('INPUT_INVALID', 'a READ ONLY transaction cannot write', { source: 'transaction', detail: 'ReadOnlyTransaction' });
    const p = this.#part(this.#c.groupOfKey(key));
    if (!p.kv.has(key)) this.#count();
    p.kv.set(key, value === undefined ? null : value);
  }

  /** commands: raw graph commands for `group`, applied atomically with the rest at commit. */
  commands(group: number, commands: readonly GraphCommand[]): void {
    this.#open();
    if (this.readOnly) throw new GeodeError('INPUT_INVALID', 'a READ ONLY transaction cannot write', { source: 'transaction', detail: 'ReadOnlyTransaction' });
    this.#part(group).commands.push(...commands);
  }

  /**
   * commit: two-phase commit of the writes (see {@link TxnCoordinator}); a transaction that wrote
   * nothing commits at once (its reads were one snapshot). Rejects as {@link TxnCoordinator.commitParts}.
   */
  async commit(): Promise<TxnCommit> {
    this.#open();
    const writing = [...this.#parts.values()].some((p) => p.kv.size > 0 || p.commands.length > 0);
    if (!writing) {
      this.#state = 'committed';
      return { txn: '', ts: undefined, groups: [], resolved: Promise.resolve() };
    }
    const parts = new Map<number, Part>();
    for (const [g, p] of this.#parts) if (p.kv.size > 0 || p.commands.length > 0 || (this.isolation === 'serializable' && p.reads.size > 0)) parts.set(g, p);
    try {
      const out = await this.#coord.commitParts(parts, this.start, this.isolation, this.deadline, this.#timeoutMs);
      this.#state = 'committed';
      return out;
    } catch (err) {
      this.#state = 'aborted';
      throw err;
    }
  }

  /** writtenGroups: the groups this transaction writes so far (ascending). */
  writtenGroups(): number[] {
    const out: number[] = [];
    for (const [g, p] of this.#parts) if (p.kv.size > 0 || p.commands.length > 0) out.push(g);
    return out.sort((a, b) => a - b);
  }

  /** abort: drops the buffered writes (nothing was prepared before commit). */
  abort(): void {
    if (this.#state === 'open') this.#state = 'aborted';
  }
}
