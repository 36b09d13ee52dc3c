/**
 * The transactions of a clustered database (a member, sharded or not): a {@link GeodeTransaction}
 * over a {@link GraphTransaction} (src/txn/graph-transaction.ts: one snapshot per shard group,
 * writes buffered, committed all-or-none by one checked entry or by two-phase commit between the
 * members). Nothing is locked before the commit, so a transaction that ends any other way —
 * rollback, a failed statement's `fn` throwing, its time limit — just drops its buffered writes.
 */
import type { TransactionIsolation } from '../gql/index.ts';
import type { GraphTransaction } from '../txn/graph-transaction.ts';
import type { QueryOptions, QueryParams, QueryResult } from './database.ts';
import { controlRefusal, transactionNotOpen, type GeodeTransaction, type ResolvedTransactionOptions, type TransactionState } from './transaction.ts';

/** Runs one statement inside the graph transaction (the member's router, or its one group). */
export type ClusterStatementRunner = (text: string, params: QueryParams | undefined, options: Omit<QueryOptions, 'readQuorum'> | undefined, tx: GraphTransaction) => Promise<QueryResult>;

export class ClusterTransaction implements GeodeTransaction {
  readonly isolation: TransactionIsolation;
  readonly readOnly: boolean;
  readonly #tx: GraphTransaction;
  readonly #run: ClusterStatementRunner;
  readonly #timeoutMs: number;
  readonly #timer: ReturnType<typeof setTimeout>;
  #state: TransactionState = 'open';
  #committing: Promise<void> | undefined;

  constructor(tx: GraphTransaction, run: ClusterStatementRunner, options: ResolvedTransactionOptions) {
    this.#tx = tx;
    this.#run = run;
    this.isolation = options.isolation;
    this.readOnly = options.readOnly;
    this.#timeoutMs = options.timeoutMs;
    this.#timer = setTimeout(() => {
      if (this.#state === 'open' && this.#committing === undefined) {
        this.#state = 'timedOut';
        tx.end();
      }
    }, options.timeoutMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  get state(): TransactionState {
    return this.#state;
  }

  async query(text: string, params?: QueryParams, options?: Omit<QueryOptions, 'readQuorum'>): Promise<QueryResult> {
    if (this.#state !== 'open' || this.#committing !== undefined) throw transactionNotOpen(this.#state === 'open' ? 'rolledBack' : this.#state, this.#timeoutMs);
    const refused = controlRefusal(text);
    if (refused !== undefined) throw refused;
    const r = await this.#run(text, params, options, this.#tx);
    // Timed out meanwhile: the statement's writes are dropped with the rest.
    if (this.state === 'timedOut') throw transactionNotOpen('timedOut', this.#timeoutMs);
    return r;
  }

  commit(): Promise<void> {
    if (this.#committing !== undefined) return this.#committing;
    if (this.#state !== 'open') return Promise.reject(transactionNotOpen(this.#state, this.#timeoutMs));
    clearTimeout(this.#timer);
    this.#committing = this.#tx.commit().then(
      () => {
        this.#state = 'committed';
      },
      (err: unknown) => {
        this.#state = 'rolledBack';
        throw err;
      },
    );
    return this.#committing;
  }

  rollback(): Promise<void> {
    if (this.#state === 'open' && this.#committing === undefined) {
      clearTimeout(this.#timer);
      this.#state = 'rolledBack';
      this.#tx.end();
    }
    return Promise.resolve();
  }
}
