/**
 * GraphTransaction: a transaction of GQL statements over a cluster's shard groups — what
 * `db.transaction(fn)` and a session's `START TRANSACTION` run on a clustered database.
 *
 * Optimistic, validated by log index. A group's graph "stands at" a log index
 * (`ShardHost.graphIndex`: the applied index; undefined while a leader holds writes not yet
 * committed): two replicas at the same index hold the same committed graph, and any write moves it.
 *
 * - **First read of a group**: a linearizable point (ReadIndex through the group's leader), then
 *   this member's replica as it stands then, index `V`, once it holds no intent of a prepared
 *   multi-shard transaction (it waits for those: their writes may be visible on another shard and
 *   not yet here). The transaction reads that group at `V` from then on.
 * - **Statements** run synchronously on this member's replica with the transaction's own writes
 *   applied and undone around them ({@link GraphTransaction.view}), after checking that the group
 *   still stands at `V`; if it moved, the statement fails PROPOSAL_DROPPED `WriteConflict` (the
 *   transaction cannot go on reading one snapshot: retry it). Writes are buffered per group.
 * - **Commit**: nothing written — every group read is checked at a linearizable point to still
 *   stand at its `V`, so all the reads held together at one moment. Written on one group (and,
 *   under `serializable`, nothing else read): one entry there, logged only if the leader's graph
 *   still stands at `V` and holds no intent (`apply`, atomic check-and-write on the leader).
 *   Otherwise two-phase commit (`TxnCoordinator.commitAcrossShards`) whose prepares check each
 *   participant still stands at its `V`: the written groups, and under `serializable` the groups
 *   only read too (so they stay locked until the decision); under `snapshot` the groups only
 *   read are checked at a linearizable point before. A refused check aborts the whole
 *   transaction (`WriteConflict`, `Locked`: retryable, nothing happened).
 *
 * Guarantees: reads see one consistent snapshot of every group they touch plus their own writes;
 * commits are all-or-none across shards; of two transactions writing a group from the same
 * snapshot only the first commits (first committer wins, at group granularity); `serializable`
 * adds that no transaction commits over a group another one read and wrote past (no write skew).
 * The cost of the group granularity: any write to a group a transaction read, even of other data,
 * aborts it.
 */
import { GraphStore, type GraphCommand } from '../graph/index.ts';
import { QueryEngine } from '../query/index.ts';
import type { GroupView } from '../cluster/txn-view.ts';
import type { StatementTransactions } from '../cluster/cross-shard.ts';
import type { ShardHost } from '../shard/host.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import { compareHlc, formatHlc, type HlcTimestamp } from './hlc.ts';
import { decodeRawCommands, intents, resolutionsIn, snapshotStands, type SnapshotCheck } from './intents.ts';
import { retryableTxnError, txnRetriesDefault, txnTimeoutMsDefault, type TxnCoordinator, type TxnIsolation, type TxnTransport } from './two-phase.ts';

/** Most write commands one graph transaction buffers (beyond: LIMIT_EXCEEDED `TooManyWrites`). */
export const graphTxnCommandsMax = 100_000;
/** Longest a first read waits for intents of other transactions to go before refusing (`Locked`), ms. */
const intentWaitMsMax = 2_000;

/** What a graph transaction runs on: this member's host and its transaction side. */
export interface GraphTxnComponents {
  readonly host: ShardHost;
  readonly coordinator: TxnCoordinator;
  readonly transport: TxnTransport;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Runs `fn` after `ms` (the commit's bounded wait for resolution); default a wall-clock timer, the simulator passes its own. */
  readonly after?: (ms: number, fn: () => void) => () => void;
}

export interface GraphTxnOptions {
  readonly isolation: TxnIsolation;
  readonly readOnly: boolean;
  /**
   * Read every group as of this past timestamp (a READ ONLY transaction only): each group's
   * version stamped at or before it, with the multi-shard transactions committed by then — one
   * consistent cut of the cluster by commit timestamps; never aborts because others write.
   * Must be at least `transactions.max_clock_skew_ms` old (see {@link ShardHost.snapshotIndexAt}).
   */
  readonly asOf?: HlcTimestamp | undefined;
  /** PLANTED BUG (TEST-ONLY): a read `asOf` ignores the multi-shard transactions committed by then whose intents its versions hold. */
  readonly plantSkipSeen?: boolean;
  /** Wall ms after which statements and the commit fail (the caller says how). */
  readonly deadline: number;
}

interface GroupPart {
  /** The log index the transaction reads the group at (its snapshot there). */
  readonly index: number;
  readonly commands: GraphCommand[];
  /** Writes of multi-shard transactions committed by the snapshot timestamp but not yet applied at `index` (reads `asOf`): applied under the transaction's own. */
  readonly seen: readonly GraphCommand[];
  /** The graph the engine is over (a snapshot installed since replaces the replica's graph). */
  store: GraphStore;
  /** An engine over this replica's graph, for this transaction's statements (its own plan cache). */
  engine: QueryEngine;
  /** Releases the pin that keeps the group's MVCC history back to `index`. */
  readonly unpin: () => void;
  /** The index each group of this member stood at when this group's first read began (before its ReadIndex). */
  readonly before: ReadonlyMap<number, number>;
}

/** Wall ms a snapshot pin outlives the transaction's deadline (a commit in flight still validates against it). */
const pinSlackMs = 5_000;

const conflict = (detail: string, message: string): GeodeError => new GeodeError('PROPOSAL_DROPPED', message, { detail, source: 'transaction' });

export class GraphTransaction implements GroupView {
  readonly readOnly: boolean;
  readonly isolation: TxnIsolation;
  readonly #c: GraphTxnComponents;
  readonly #deadline: number;
  readonly #parts = new Map<number, GroupPart>();
  /** First reads under way, so two concurrent statements of the transaction share one. */
  readonly #touching = new Map<number, Promise<GroupPart>>();
  #commands = 0;
  #ended = false;
  readonly #asOf: HlcTimestamp | undefined;
  readonly #plantSkipSeen: boolean;
  /** Set once the snapshots proved inconsistent across groups: every later statement and the commit fail with it. */
  #doomed: GeodeError | undefined;

  constructor(components: GraphTxnComponents, options: GraphTxnOptions) {
    this.#c = components;
    this.readOnly = options.readOnly;
    this.isolation = options.isolation;
    this.#deadline = options.deadline;
    this.#asOf = options.asOf;
    this.#plantSkipSeen = options.plantSkipSeen === true;
    if (options.asOf !== undefined && !options.readOnly) {
      throw new GeodeError('INPUT_INVALID', 'a transaction reading at a past timestamp (asOf) must be READ ONLY', { source: 'transaction', detail: 'AsOfReadOnly' });
    }
    if (options.asOf !== undefined) components.host.checkReadableAt(options.asOf);
  }

  /** The snapshot timestamp every group is read at, for a transaction reading `asOf` (undefined otherwise). */
  get asOf(): HlcTimestamp | undefined {
    return this.#asOf;
  }

  /** The groups the transaction read or wrote, ascending. */
  groups(): number[] {
    return [...this.#parts.keys()].sort((a, b) => a - b);
  }

  #left(): number {
    return Math.max(1, this.#deadline - this.#c.now());
  }

  #store(group: number): GraphStore {
    const g = this.#c.host.graph(group);
    if (!(g instanceof GraphStore)) throw new GeodeError('INPUT_INVALID', `group ${group}'s graph is not a store`, { source: 'transaction' });
    return g;
  }

  /**
   * end: releases the transaction's snapshots (the groups' MVCC histories may collect what only
   * it needed). Commit calls it; a transaction dropped otherwise (rolled back, timed out, its body
   * failed) should call it too — or its pins lapse at its deadline. Idempotent.
   */
  end(): void {
    this.#ended = true;
    for (const p of this.#parts.values()) p.unpin();
  }

  /** The first read of `group`: a linearizable point, then the index its replica stands at with no intent in it. */
  #touch(group: number): Promise<GroupPart> {
    const part = this.#parts.get(group);
    if (part !== undefined) return Promise.resolve(part);
    if (this.#ended) return Promise.reject(new GeodeError('INPUT_INVALID', 'the transaction has ended', { source: 'transaction' }));
    let t = this.#touching.get(group);
    if (t === undefined) {
      t = (this.#asOf === undefined ? this.#firstRead(group) : this.#firstReadAt(group, this.#asOf)).finally(() => this.#touching.delete(group));
      this.#touching.set(group, t);
    }
    return t;
  }

  async #firstRead(group: number): Promise<GroupPart> {
    const { host } = this.#c;
    const waitEnd = this.#c.now() + intentWaitMsMax;
    for (let attempt = 0; ; attempt++) {
      const before = new Map<number, number>();
      for (const g of host.groups()) before.set(g, host.snapshotIndex(g));
      await host.readGraph(group, () => undefined, { timeoutMs: this.#left() });
      // The index of everything applied (a leader's speculative writes are set aside by graphAt).
      const index = host.snapshotIndex(group);
      if (host.graphAt(group, index, (g) => intents(g).length === 0)) {
        const store = this.#store(group);
        const unpin = host.pinSnapshot(group, index, this.#deadline + pinSlackMs);
        const part: GroupPart = { index, commands: [], seen: [], store, engine: new QueryEngine(store), unpin, before };
        this.#parts.set(group, part);
        if (this.#ended) unpin();
        try {
          await this.#checkCut(group);
        } catch (err) {
          // The part stays registered (a later statement must not read it unchecked): doom the transaction.
          if (isGeodeError(err, 'PROPOSAL_DROPPED')) this.#doomed ??= err;
          else this.#doomed ??= conflict('WriteConflict', `the transaction could not check its snapshot of shard group ${group} against the others (retry)`);
          throw err;
        }
        return part;
      }
      if (this.#c.now() >= Math.min(waitEnd, this.#deadline)) {
        throw conflict('Locked', `shard group ${group} holds a transaction that is being committed (retry)`);
      }
      await this.#c.sleep(Math.min(50, 2 + 2 ** attempt));
    }
  }

  /**
   * The first read of `group` at past timestamp `ts`: its version then (the last entry stamped at
   * or before `ts`, src/shard/host.ts `snapshotIndexAt`), plus the writes of the multi-shard
   * transactions whose intents that version holds and that committed at or before `ts`. Why that
   * is one cut across groups: a transaction's commit timestamp `C` is issued above every
   * participant's prepare stamp, and each participant's resolution entry is stamped above `C`; so
   * at `ts >= C` every participant either resolved already or holds the intent (prepared before),
   * and at `ts < C` none resolved. An intent whose resolution this replica has not applied yet
   * is waited for (at most 2 s, then `Locked`).
   */
  async #firstReadAt(group: number, ts: HlcTimestamp): Promise<GroupPart> {
    const { host } = this.#c;
    const waitEnd = this.#c.now() + intentWaitMsMax;
    for (let attempt = 0; ; attempt++) {
      const index = await host.snapshotIndexAt(group, ts, { timeoutMs: this.#left() });
      const held = host.graphAt(group, index, (g) => intents(g));
      const seen: GraphCommand[] = [];
      let pending: string | undefined;
      if (held.length > 0) {
        const later = { resolved: new Set<string>(), committed: new Map<string, HlcTimestamp>() };
        const since = host.committedSince(group, index);
        if (since === undefined) throw conflict('SnapshotTooOld', `shard group ${group} no longer keeps what followed its version at ${formatHlc(ts)} (read at a newer timestamp)`);
        for (const commands of since) resolutionsIn(commands, later);
        for (const it of held) {
          if (!later.resolved.has(it.txn)) {
            pending = it.txn;
            break;
          }
          const c = later.committed.get(it.txn);
          if (c !== undefined && compareHlc(c, ts) <= 0 && !this.#plantSkipSeen) seen.push(...decodeRawCommands(it.cmds, `the intent of ${it.txn}`));
        }
      }
      if (pending === undefined) {
        const store = this.#store(group);
        const unpin = host.pinSnapshot(group, index, this.#deadline + pinSlackMs);
        const part: GroupPart = { index, commands: [], seen, store, engine: new QueryEngine(store), unpin, before: new Map() };
        this.#parts.set(group, part);
        if (this.#ended) unpin();
        return part;
      }
      if (this.#c.now() >= Math.min(waitEnd, this.#deadline)) {
        throw conflict('Locked', `shard group ${group} at ${formatHlc(ts)} holds transaction ${pending}, not resolved here yet (retry)`);
      }
      await this.#c.sleep(Math.min(50, 2 + 2 ** attempt));
    }
  }

  /**
   * The snapshots of several groups must be one consistent cut: a moment at which every group held
   * the data of its snapshot, with no intent. After the first read of `group` at `V`, each group
   * `A` read before (at `V_A`) is checked against it, pair by pair (intervals on a line that meet
   * pairwise all meet: one moment for all):
   * - `group` wrote nothing since the index this replica had applied of it when `A`'s first read
   *   began (its MVCC history between the two is empty): it held the same state all along, so at
   *   the moment `A` was read too — no message needed; or else
   * - at a linearizable point, `A` holds the same data as at `V_A` (nothing but transaction
   *   bookkeeping written since, no intent): it still stood there after `V` was taken.
   * Neither: PROPOSAL_DROPPED `WriteConflict` (retry).
   */
  async #checkCut(group: number): Promise<void> {
    const { host } = this.#c;
    const index = this.#parts.get(group)!.index;
    const others = [...this.#parts].filter(([g, p]) => {
      if (g === group) return false;
      const then = p.before.get(group);
      if (then === undefined || then > index) return true;
      return host.writtenSince(group, then, index)?.size !== 0;
    });
    if (others.length === 0) return;
    await Promise.all(
      others.map(async ([g, p]) => {
        const ok = await host.readGraph(g, (graph) => snapshotStands(graph, host.writtenSince(g, p.index)), { timeoutMs: this.#left() });
        if (!ok) throw conflict('WriteConflict', `shard group ${g} changed before the transaction first read group ${group}: its reads would not be one snapshot (retry)`);
      }),
    );
  }

  async view<T>(group: number, fn: (graph: GraphStore, engine: QueryEngine) => T): Promise<T> {
    const part = await this.#touch(group);
    if (this.#doomed !== undefined) throw this.#doomed;
    // From here to the end: one synchronous turn (nothing else touches the graph meanwhile).
    const store = this.#store(group);
    if (store !== part.store) {
      part.store = store;
      part.engine = new QueryEngine(store);
    }
    return this.#c.host.graphAt(group, part.index, (graph, schemaChanged) => {
      if (schemaChanged) part.engine.invalidatePlans();
      const undo: GraphCommand[][] = [];
      try {
        for (const c of part.seen) undo.push(graph.apply(c));
        for (const c of part.commands) undo.push(graph.apply(c));
        return fn(graph, part.engine);
      } finally {
        for (let i = undo.length - 1; i >= 0; i--) for (const u of undo[i]!) graph.apply(u);
        if (undo.length > 0 || schemaChanged) part.engine.invalidatePlans();
      }
    });
  }

  write(group: number, commands: readonly GraphCommand[]): void {
    if (commands.length === 0) return;
    if (this.readOnly) throw new GeodeError('INPUT_INVALID', 'a READ ONLY transaction cannot write', { source: 'transaction', detail: 'ReadOnlyTransaction' });
    const part = this.#parts.get(group);
    if (part === undefined) throw new GeodeError('INPUT_INVALID', `the transaction wrote group ${group} without reading it`, { source: 'transaction' });
    if (this.#commands + commands.length > graphTxnCommandsMax) {
      throw new GeodeError('LIMIT_EXCEEDED', `a transaction writes at most ${graphTxnCommandsMax} commands`, { source: 'transaction', detail: 'TooManyWrites' });
    }
    this.#commands += commands.length;
    part.commands.push(...commands);
  }

  /**
   * writeFresh: adds commands that read nothing (an insert with fresh ids) to `group`'s writes,
   * reading the group first if the transaction has not (its snapshot index is then taken).
   */
  async writeFresh(group: number, commands: readonly GraphCommand[]): Promise<void> {
    await this.#touch(group);
    this.write(group, commands);
  }

  /** Checks at a linearizable point that each of `groups` holds the same data as at the transaction's snapshot there. */
  async #validate(groups: readonly number[]): Promise<void> {
    const { host } = this.#c;
    await Promise.all(
      groups.map(async (g) => {
        const index = this.#parts.get(g)!.index;
        const ok = await host.readGraph(g, (graph) => snapshotStands(graph, host.writtenSince(g, index)), { timeoutMs: this.#left() });
        if (!ok) throw conflict('WriteConflict', `shard group ${g} changed after the transaction read it (retry)`);
      }),
    );
  }

  /**
   * commit: as the file's header says. Resolves once the writes are visible on every group
   * (or, when a group is slow to resolve, once the decision is recorded and the deadline passed).
   * Rejects PROPOSAL_DROPPED (`WriteConflict`, `Locked`, `SnapshotTooOld`, `TxnAborted`: nothing
   * happened, retry), IO `TxnOutcomeUnknown` (it may have committed: all or none), LIMIT_EXCEEDED
   * past the deadline. Ends the transaction ({@link end}) whatever happens.
   */
  async commit(): Promise<void> {
    try {
      await this.#commit();
    } finally {
      this.end();
    }
  }

  async #commit(): Promise<void> {
    if (this.#doomed !== undefined) throw this.#doomed;
    const written = [...this.#parts].filter(([, p]) => p.commands.length > 0).map(([g]) => g);
    const onlyRead = this.groups().filter((g) => !written.includes(g));
    const serializable = this.isolation === 'serializable';
    // Snapshot: first committer wins per key on the groups written; serializable: no data of any group read changed.
    const check: SnapshotCheck = serializable ? 'data' : 'keys';
    if (written.length === 0) {
      // One group, or snapshot isolation: the reads were one snapshot (one index, or a checked cut).
      // Read at a past timestamp: one cut by construction, serializable at that timestamp.
      if (serializable && this.#parts.size > 1 && this.#asOf === undefined) await this.#validate(onlyRead);
      return;
    }
    if (written.length === 1 && (onlyRead.length === 0 || !serializable)) {
      const g = written[0]!;
      const p = this.#parts.get(g)!;
      await this.#c.transport.send(g, { op: 'apply', commands: p.commands, expect: p.index, check }, this.#c.now() + this.#left());
      return;
    }
    const parts = new Map<number, readonly GraphCommand[]>();
    const expect = new Map<number, number>();
    for (const [g, p] of this.#parts) {
      if (p.commands.length === 0 && !serializable) continue;
      parts.set(g, p.commands);
      expect.set(g, p.index);
    }
    const timeoutMs = Math.min(this.#left(), txnTimeoutMsDefault);
    const c = await this.#c.coordinator.commitAcrossShards(parts, { timeoutMs, expect, check });
    // Read-your-writes: wait (bounded) until every participant applied it.
    await resolvedOrAfter(c.resolved, Math.max(0, this.#deadline - this.#c.now()), this.#c.after);
  }
}

/**
 * resolvedOrAfter: waits for `resolved`, at most `ms` (a slow participant's resolver finishes it).
 * `after` schedules the time limit (default a wall-clock timer; the simulator passes its own).
 */
export async function resolvedOrAfter(resolved: Promise<void>, ms: number, after: (ms: number, fn: () => void) => () => void = wallTimer): Promise<void> {
  let cancel: (() => void) | undefined;
  try {
    await Promise.race([resolved.catch(() => {}), new Promise<void>((ok) => (cancel = after(ms, ok)))]);
  } finally {
    cancel?.();
  }
}

/** wallTimer: `fn` after `ms` wall-clock ms; returns what cancels it. */
export function wallTimer(ms: number, fn: () => void): () => void {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
}

/**
 * statementTransactions: the router's way to run one write statement spanning shards as its own
 * transaction (snapshot isolation, the statement's time limit): the body runs in a fresh
 * {@link GraphTransaction} that then commits; a conflict (nothing happened) runs it again after a
 * backoff, up to {@link txnRetriesDefault} times.
 */
export function statementTransactions(components: GraphTxnComponents): StatementTransactions {
  return {
    async run<T>(body: (tx: GroupView) => Promise<T>, options: { readonly timeoutMs: number }): Promise<T> {
      const deadline = components.now() + options.timeoutMs;
      for (let attempt = 0; ; attempt++) {
        const tx = new GraphTransaction(components, { isolation: 'snapshot', readOnly: false, deadline });
        try {
          const out = await body(tx);
          await tx.commit();
          return out;
        } catch (err) {
          tx.end();
          if (!retryableTxnError(err) || attempt >= txnRetriesDefault || components.now() >= deadline) throw err;
          await components.sleep(2 * 2 ** Math.min(attempt, 6) * (0.5 + Math.random()));
        }
      }
    },
  };
}
