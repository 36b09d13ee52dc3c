/**
 * The transactions of an embedded database. They run one at a time: while one is open, the
 * database's other writes and transactions wait for it to end (commit, rollback or its time
 * limit); reads from outside run at once on the committed graph ({@link EmbeddedTransaction.aside}). So every transaction sees exactly the graph as the previous one left it plus its own
 * writes, and the transactions are serializable whichever level they ask for. Its statements are
 * applied to the graph as they run, with their undo kept; the commit logs every write as one entry
 * (all or nothing across a crash) and the rollback undoes them, newest first.
 */
import type { GraphCommand } from '../graph/index.ts';
import type { GraphReplica } from '../shard/graph-replica.ts';
import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';
import type { QueryOptions, QueryParams, QueryResult } from './database.ts';
import type { TransactionIsolation } from '../gql/index.ts';
import { controlRefusal, transactionNotOpen, type GeodeTransaction, type ResolvedTransactionOptions, type TransactionState } from './transaction.ts';

/** One statement run on the graph: its detached result, its writes and how to undo them. */
export interface StatementRun {
  readonly result: QueryResult;
  readonly writes: readonly GraphCommand[];
  readonly rollback: () => void;
}

/** What an embedded transaction needs from its database. */
export interface EmbeddedTransactionHost {
  /** Runs one statement on the graph now (synchronously), READ ONLY when asked. */
  run(text: string, params: QueryParams | undefined, options: (QueryOptions & { readonly readOnly: boolean }) | undefined): StatementRun;
  /** The durable log, or undefined in memory. */
  readonly replica: GraphReplica | undefined;
  /** Called once the transaction's writes are committed (live queries re-run). */
  committed(): void;
  /** Called once when the transaction ends, however it ends: the next waiter may go. */
  ended(): void;
  /** Re-applies commands undone by {@link EmbeddedTransaction.aside} (the graph is as it was when they first ran). */
  redo(commands: readonly GraphCommand[]): void;
}

/** Past this many write commands, reads outside an open transaction wait for it instead of reading around it. */
export const READ_AROUND_COMMANDS_MAX = 10_000;

const schemaOps: ReadonlySet<GraphCommand['op']> = new Set(['createIndex', 'dropIndex', 'createConstraint', 'dropConstraint']);

/** An open transaction of an embedded database; made by `EmbeddedGeode` once it holds the database. */
export class EmbeddedTransaction implements GeodeTransaction {
  readonly isolation: TransactionIsolation;
  readonly readOnly: boolean;
  readonly #host: EmbeddedTransactionHost;
  readonly #timeoutMs: number;
  /** Undo of each statement that wrote, oldest first. */
  readonly #undo: (() => void)[] = [];
  readonly #writes: GraphCommand[] = [];
  readonly #timer: ReturnType<typeof setTimeout>;
  /** Releases the replica's snapshot hold (a snapshot must never hold uncommitted writes). */
  readonly #releaseHold: () => void;
  #state: TransactionState = 'open';
  /** Whether a statement changed the schema (then reads do not run around the transaction: plans may hold its indexes). */
  #schema = false;
  /** A commit under way: statements and a second commit wait for it. */
  #committing: Promise<void> | undefined;

  constructor(host: EmbeddedTransactionHost, options: ResolvedTransactionOptions) {
    this.#host = host;
    this.isolation = options.isolation;
    this.readOnly = options.readOnly;
    this.#timeoutMs = options.timeoutMs;
    this.#releaseHold = host.replica?.holdSnapshots() ?? (() => {});
    this.#timer = setTimeout(() => this.#end('timedOut'), options.timeoutMs);
    // A forgotten transaction does not keep a Node process alive.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  get state(): TransactionState {
    return this.#state;
  }

  /** The error for a call on a transaction that is no longer open. */
  #notOpen(): GeodeError {
    return transactionNotOpen(this.#state === 'open' ? 'rolledBack' : this.#state, this.#timeoutMs);
  }

  query(text: string, params?: QueryParams, options?: Omit<QueryOptions, 'readQuorum'>): Promise<QueryResult> {
    if (this.#state !== 'open' || this.#committing !== undefined) return Promise.reject(this.#notOpen());
    const refused = controlRefusal(text);
    if (refused !== undefined) return Promise.reject(refused);
    try {
      const run = this.#host.run(text, params, { ...options, readOnly: this.readOnly });
      if (run.writes.length > 0) {
        this.#undo.push(run.rollback);
        for (const w of run.writes) {
          this.#writes.push(w);
          if (schemaOps.has(w.op)) this.#schema = true;
        }
      }
      return Promise.resolve(run.result);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * canReadAround: whether a read from outside may run now on the graph as committed, without
   * waiting for this transaction: it is open, not committing, changed no schema and wrote at most
   * {@link READ_AROUND_COMMANDS_MAX} commands.
   */
  canReadAround(): boolean {
    return this.#state === 'open' && this.#committing === undefined && !this.#schema && this.#writes.length <= READ_AROUND_COMMANDS_MAX;
  }

  /**
   * aside: runs `read` (synchronous) on the graph without this transaction's writes — undone
   * newest first, then re-applied in order — so a reader outside sees only committed data and does
   * not wait. Nothing else runs in between (one thread), so no one sees the graph half undone.
   */
  aside<T>(read: () => T): T {
    assert(this.canReadAround(), 'aside: the transaction cannot be read around now');
    for (let i = this.#undo.length - 1; i >= 0; i--) this.#undo[i]!();
    try {
      return read();
    } finally {
      this.#host.redo(this.#writes);
    }
  }

  commit(): Promise<void> {
    if (this.#committing !== undefined) return this.#committing;
    if (this.#state !== 'open') return Promise.reject(this.#notOpen());
    this.#committing = this.#commit();
    return this.#committing;
  }

  async #commit(): Promise<void> {
    const replica = this.#host.replica;
    if (this.#writes.length === 0 || replica === undefined) {
      this.#end('committed');
      if (this.#writes.length > 0) this.#host.committed();
      return;
    }
    let durable: Promise<void>;
    try {
      durable = replica.commit(this.#writes);
    } catch (err) {
      // Too large for one entry, or the store failed: nothing was logged.
      this.#end('rolledBack');
      throw err;
    }
    // Proposed: it is a pending write now, which keeps snapshots off until it is durable.
    clearTimeout(this.#timer);
    this.#releaseHold();
    try {
      await durable;
    } catch (err) {
      // The replica failed: the database stopped, and reopening recovers what is durable.
      this.#state = 'rolledBack';
      this.#host.ended();
      throw err;
    }
    this.#state = 'committed';
    this.#host.ended();
    this.#host.committed();
  }

  rollback(): Promise<void> {
    if (this.#state === 'open' && this.#committing === undefined) this.#end('rolledBack');
    return Promise.resolve();
  }

  /** Ends an open transaction without a durable write: undoes it unless committed in memory. */
  #end(state: Exclude<TransactionState, 'open'>): void {
    if (this.#state !== 'open') return;
    assert(state !== 'committed' || this.#writes.length === 0 || this.#host.replica === undefined, 'a durable commit ends through #commit');
    clearTimeout(this.#timer);
    if (state !== 'committed') for (let i = this.#undo.length - 1; i >= 0; i--) this.#undo[i]!();
    this.#state = state;
    this.#releaseHold();
    this.#host.ended();
  }
}
