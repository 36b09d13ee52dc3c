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
import { GeodeError } from '../util/errors.ts';
import { intents } from './intents.ts';
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
  /** Wall ms after which statements and the commit fail (the caller says how). */
  readonly deadline: number;
}

interface GroupPart {
  /** The log index the transaction reads the group at. */
  readonly index: number;
  readonly commands: GraphCommand[];
  /** An engine over this replica's graph, for this transaction's statements (its own plan cache). */
  readonly engine: QueryEngine;
}

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

  constructor(components: GraphTxnComponents, options: GraphTxnOptions) {
    this.#c = components;
    this.readOnly = options.readOnly;
    this.isolation = options.isolation;
    this.#deadline = options.deadline;
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

  /** The first read of `group`: a linearizable point, then the index its replica stands at with no intent in it. */
  #touch(group: number): Promise<GroupPart> {
    const part = this.#parts.get(group);
    if (part !== undefined) return Promise.resolve(part);
    let t = this.#touching.get(group);
    if (t === undefined) {
      t = this.#firstRead(group).finally(() => this.#touching.delete(group));
      this.#touching.set(group, t);
    }
    return t;
  }

  async #firstRead(group: number): Promise<GroupPart> {
    const { host } = this.#c;
    const waitEnd = this.#c.now() + intentWaitMsMax;
    for (let attempt = 0; ; attempt++) {
      await host.readGraph(group, () => undefined, { timeoutMs: this.#left() });
      const index = host.graphIndex(group);
      if (index !== undefined && intents(host.graph(group)).length === 0) {
        const part: GroupPart = { index, commands: [], engine: new QueryEngine(this.#store(group)) };
        this.#parts.set(group, part);
        return part;
      }
      if (this.#c.now() >= Math.min(waitEnd, this.#deadline)) {
        throw conflict('Locked', `shard group ${group} holds a transaction that is being committed (retry)`);
      }
      await this.#c.sleep(Math.min(50, 2 + 2 ** attempt));
    }
  }

  async view<T>(group: number, fn: (graph: GraphStore, engine: QueryEngine) => T): Promise<T> {
    const part = await this.#touch(group);
    // From here to the end: one synchronous turn (nothing else touches the graph meanwhile).
    const now = this.#c.host.graphIndex(group);
    if (now !== part.index) throw conflict('WriteConflict', `shard group ${group} changed while the transaction read it (retry)`);
    const store = this.#store(group);
    const undo: GraphCommand[][] = [];
    try {
      for (const c of part.commands) undo.push(store.apply(c));
      return fn(store, part.engine);
    } finally {
      for (let i = undo.length - 1; i >= 0; i--) for (const u of undo[i]!) store.apply(u);
      if (part.commands.length > 0) part.engine.invalidatePlans();
    }
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

  /** Checks at a linearizable point that each of `groups` still stands where the transaction read it. */
  async #validate(groups: readonly number[]): Promise<void> {
    const { host } = this.#c;
    await Promise.all(
      groups.map(async (g) => {
        const now = await host.readGraph(g, () => host.graphIndex(g), { timeoutMs: this.#left() });
        if (now !== this.#parts.get(g)!.index) throw conflict('WriteConflict', `shard group ${g} changed after the transaction read it (retry)`);
      }),
    );
  }

  /**
   * commit: as the file's header says. Resolves once the writes are visible on every group
   * (or, when a group is slow to resolve, once the decision is recorded and the deadline passed).
   * Rejects PROPOSAL_DROPPED (`WriteConflict`, `Locked`, `TxnAborted`: nothing happened, retry),
   * IO `TxnOutcomeUnknown` (it may have committed: all or none), LIMIT_EXCEEDED past the deadline.
   */
  async commit(): Promise<void> {
    const written = [...this.#parts].filter(([, p]) => p.commands.length > 0).map(([g]) => g);
    const onlyRead = this.groups().filter((g) => !written.includes(g));
    if (written.length === 0) {
      if (this.#parts.size > 1) await this.#validate(onlyRead);
      return;
    }
    const serializable = this.isolation === 'serializable';
    if (written.length === 1 && (onlyRead.length === 0 || !serializable)) {
      if (onlyRead.length > 0) await this.#validate(onlyRead);
      const g = written[0]!;
      const p = this.#parts.get(g)!;
      await this.#c.transport.send(g, { op: 'apply', commands: p.commands, expect: p.index }, this.#c.now() + this.#left());
      return;
    }
    if (!serializable && onlyRead.length > 0) await this.#validate(onlyRead);
    const parts = new Map<number, readonly GraphCommand[]>();
    const expect = new Map<number, number>();
    for (const [g, p] of this.#parts) {
      if (p.commands.length === 0 && !serializable) continue;
      parts.set(g, p.commands);
      expect.set(g, p.index);
    }
    const timeoutMs = Math.min(this.#left(), txnTimeoutMsDefault);
    const c = await this.#c.coordinator.commitAcrossShards(parts, { timeoutMs, expect });
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
          if (!retryableTxnError(err) || attempt >= txnRetriesDefault || components.now() >= deadline) throw err;
          await components.sleep(2 * 2 ** Math.min(attempt, 6) * (0.5 + Math.random()));
        }
      }
    },
  };
}
