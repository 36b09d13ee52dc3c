/**
 * Transactions and sessions of the public API: {@link GeodeTransaction} (`db.transaction(fn)`),
 * {@link GeodeSession} (`db.session()`: statements one after another, with `START TRANSACTION` /
 * `BEGIN`, `COMMIT` and `ROLLBACK`), and the checks of {@link TransactionOptions}.
 */
import { isTransactionControl, parseTransactionControl, type TransactionIsolation } from '../gql/index.ts';
import { retryableTxnError } from '../txn/two-phase.ts';
import { GeodeError } from '../util/errors.ts';
import type { QueryOptions, QueryParams, QueryResult } from './database.ts';

/** Options of a transaction. */
export interface TransactionOptions {
  /**
   * `'snapshot'` (the default): the transaction reads one snapshot of the graph and two
   * transactions never both commit a write to the same thing; `'serializable'`: besides, it is as
   * if the transactions ran one after another (no write skew). See docs/transactions.md.
   */
  readonly isolation?: TransactionIsolation;
  /** A READ ONLY transaction refuses statements that write (INPUT_INVALID, detail `ReadOnlyTransaction`). */
  readonly readOnly?: boolean;
  /**
   * Time limit of the whole transaction in ms, from its start (default
   * `GeodeOptions.transactionTimeoutMs`, 60,000). Past it the transaction is rolled back: its
   * later statements and its commit fail with LIMIT_EXCEEDED (detail `TransactionTimeout`).
   */
  readonly timeoutMs?: number;
  /**
   * `db.transaction` only: how many times more `fn` runs, in a new transaction, after one that
   * aborted on a conflict (PROPOSAL_DROPPED `WriteConflict`, `Locked`, ...: it did not happen).
   * Default 5 (`transactions.retry_count`); 0 never retries. An embedded database's transactions
   * never conflict.
   */
  readonly retries?: number;
  /** The first wait before a retry, ms, doubled each time (at most 64×) with jitter. Default 5. */
  readonly backoffMs?: number;
  /**
   * Read the graph as it was at this past moment (a `Date`, or wall-clock ms since 1970), on a
   * clustered database: every shard as of that time, by the commit timestamps of its versions,
   * with the cross-shard transactions committed by then — one consistent cut of the cluster that
   * never aborts because others write. Needs `readOnly: true`; at least
   * `transactions.max_clock_skew_ms` (500 ms) in the past and within
   * `transactions.mvcc_retention_ms` (5 s) of history (PROPOSAL_DROPPED `SnapshotTooOld` beyond).
   * See docs/transactions.md, "Reads at a past timestamp".
   */
  readonly asOf?: Date | number;
}

/** The transaction options once checked, defaults filled in. */
export interface ResolvedTransactionOptions {
  readonly isolation: TransactionIsolation;
  readonly readOnly: boolean;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffMs: number;
  /** Wall-clock ms of a read at a past timestamp (`asOf`); undefined: the latest snapshot. */
  readonly asOf?: number | undefined;
}

/** Default retries of `db.transaction` after a conflict. */
export const TRANSACTION_RETRIES_DEFAULT = 5;
/** Most retries one `db.transaction` may ask for. */
export const TRANSACTION_RETRIES_MAX = 1_000;
/** Default first backoff before a retry, ms. */
export const TRANSACTION_BACKOFF_MS_DEFAULT = 5;

/** The default time limit of a transaction. */
export const TRANSACTION_TIMEOUT_MS_DEFAULT = 60_000;
/** The longest time limit a transaction may ask for (a day: past it the timer is not a timer). */
export const TRANSACTION_TIMEOUT_MS_MAX = 86_400_000;

const transactionOptionKeys: ReadonlySet<string> = new Set(['isolation', 'readOnly', 'timeoutMs', 'retries', 'backoffMs', 'asOf']);

function checkCount(value: unknown, key: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new GeodeError('CONFIG_INVALID', `${key} must be an integer in [0, ${max}], got ${String(value)}`, { source: 'config', detail: key });
  }
  return value;
}

/** checkTransactionTimeout: a transaction time limit in (0, a day] ms; CONFIG_INVALID naming `key` otherwise. */
export function checkTransactionTimeout(value: unknown, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > TRANSACTION_TIMEOUT_MS_MAX) {
    throw new GeodeError('CONFIG_INVALID', `${key} must be a number of milliseconds in (0, ${TRANSACTION_TIMEOUT_MS_MAX}], got ${String(value)}`, {
      source: 'config',
      detail: key,
    });
  }
  return value;
}

/**
 * resolveTransactionOptions: checks `options` (known keys, an isolation level this database
 * offers, a boolean readOnly, a time limit in (0, a day]) and fills in the defaults; CONFIG_INVALID
 * naming the key otherwise.
 */
export function resolveTransactionOptions(options: unknown, defaultTimeoutMs: number): ResolvedTransactionOptions {
  const defaults = { retries: TRANSACTION_RETRIES_DEFAULT, backoffMs: TRANSACTION_BACKOFF_MS_DEFAULT };
  if (options === undefined) return { isolation: 'snapshot', readOnly: false, timeoutMs: defaultTimeoutMs, ...defaults };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new GeodeError('CONFIG_INVALID', 'transaction options must be an object such as { isolation: \'serializable\' }', { source: 'config' });
  }
  for (const key of Object.keys(options)) {
    if (!transactionOptionKeys.has(key)) {
      throw new GeodeError('CONFIG_INVALID', `${key} is not a transaction option (known: ${[...transactionOptionKeys].join(', ')})`, { source: 'config', detail: key });
    }
  }
  const o = options as TransactionOptions;
  if (o.isolation !== undefined && o.isolation !== 'snapshot' && o.isolation !== 'serializable') {
    throw new GeodeError('CONFIG_INVALID', `isolation must be 'snapshot' or 'serializable', got ${String(o.isolation)}`, { source: 'config', detail: 'isolation' });
  }
  if (o.readOnly !== undefined && typeof o.readOnly !== 'boolean') {
    throw new GeodeError('CONFIG_INVALID', `readOnly must be true or false, got ${String(o.readOnly)}`, { source: 'config', detail: 'readOnly' });
  }
  let asOf: number | undefined;
  if (o.asOf !== undefined) {
    asOf = o.asOf instanceof Date ? o.asOf.getTime() : o.asOf;
    if (typeof asOf !== 'number' || !Number.isSafeInteger(asOf) || asOf < 0) {
      throw new GeodeError('CONFIG_INVALID', `asOf must be a Date or a whole number of ms since 1970, got ${String(o.asOf)}`, { source: 'config', detail: 'asOf' });
    }
    if (o.readOnly !== true) throw new GeodeError('CONFIG_INVALID', 'asOf reads the past: the transaction must be readOnly: true', { source: 'config', detail: 'asOf' });
  }
  return {
    ...(asOf === undefined ? {} : { asOf }),
    isolation: o.isolation ?? 'snapshot',
    readOnly: o.readOnly ?? false,
    timeoutMs: checkTransactionTimeout(o.timeoutMs, 'timeoutMs') ?? defaultTimeoutMs,
    retries: checkCount(o.retries, 'retries', TRANSACTION_RETRIES_MAX) ?? defaults.retries,
    backoffMs: checkCount(o.backoffMs, 'backoffMs', 60_000) ?? defaults.backoffMs,
  };
}

/**
 * An open transaction. Its statements see its own writes; nothing it writes is visible outside it
 * until `commit` resolves, and nothing of it remains after `rollback` (or a failed commit).
 * A statement that fails changes nothing and leaves the transaction open.
 */
export interface GeodeTransaction {
  /** Runs one statement in the transaction. Transaction control statements (COMMIT, ...) are refused: call `commit()` / `rollback()`. */
  query(text: string, params?: QueryParams, options?: Omit<QueryOptions, 'readQuorum'>): Promise<QueryResult>;
  /** Makes every write of the transaction durable and visible, all at once, or none of them (then rejects). */
  commit(): Promise<void>;
  /** Undoes every write of the transaction. Idempotent; a no-op after a commit's failure or a timeout. */
  rollback(): Promise<void>;
  readonly isolation: TransactionIsolation;
  readonly readOnly: boolean;
  /** `'open'`, `'committed'`, `'rolledBack'` (by `rollback()` or a failed commit) or `'timedOut'` (rolled back by the time limit). */
  readonly state: TransactionState;
}

/** Where a transaction is in its life. */
export type TransactionState = 'open' | 'committed' | 'rolledBack' | 'timedOut';

/** The error of a statement or commit of a transaction past its time limit. */
export function transactionTimedOut(timeoutMs: number): GeodeError {
  return new GeodeError('LIMIT_EXCEEDED', `the transaction passed its time limit of ${timeoutMs} ms and was rolled back (start a new one)`, {
    source: 'transaction',
    detail: 'TransactionTimeout',
  });
}

/** The error for a call on a transaction that is no longer open. */
export function transactionNotOpen(state: Exclude<TransactionState, 'open'>, timeoutMs: number): GeodeError {
  if (state === 'timedOut') return transactionTimedOut(timeoutMs);
  return new GeodeError('INPUT_INVALID', `the transaction is ${state === 'committed' ? 'committed' : 'rolled back'}: open a new one`, {
    source: 'transaction',
    detail: 'TransactionEnded',
  });
}

/** The refusal of COMMIT, ROLLBACK or START TRANSACTION given to `tx.query`; undefined for any other statement. */
export function controlRefusal(text: unknown): GeodeError | undefined {
  if (typeof text !== 'string' || !isTransactionControl(text)) return undefined;
  return new GeodeError('INPUT_INVALID', 'transaction control statements do not run inside db.transaction: call tx.commit() or tx.rollback() (or use db.session())', {
    source: 'query',
    detail: 'TransactionControl',
  });
}

/** What a session runs on: the database's own statement runner and transaction opener. */
export interface SessionHost {
  query(text: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult>;
  begin(options: TransactionOptions): Promise<GeodeTransaction>;
}

/**
 * A session: statements run one after another as in a console, and the transaction control
 * statements open and end the session's transaction:
 *
 * - `START TRANSACTION [READ ONLY | READ WRITE] [, ISOLATION LEVEL SNAPSHOT | SERIALIZABLE]` (or
 *   `BEGIN ...`) opens one; statements then run in it;
 * - `COMMIT` makes it durable and visible; `ROLLBACK` undoes it;
 * - `close()` rolls back a transaction left open.
 *
 * Transaction control statements return no columns and no rows.
 */
export interface GeodeSession {
  query(text: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult>;
  /** Whether a transaction is open in this session. */
  readonly inTransaction: boolean;
  /** Rolls back an open transaction and ends the session (later queries reject with CLOSED). */
  close(): Promise<void>;
}

const noRows: QueryResult = { columns: [], rows: [], plan: undefined, writes: 0 };

/** The {@link GeodeSession} of a database. */
export class Session implements GeodeSession {
  readonly #host: SessionHost;
  #tx: GeodeTransaction | undefined;
  #closed = false;

  constructor(host: SessionHost) {
    this.#host = host;
  }

  get inTransaction(): boolean {
    return this.#tx !== undefined && this.#tx.state === 'open';
  }

  async query(text: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult> {
    if (this.#closed) throw new GeodeError('CLOSED', 'the session is closed');
    const control = typeof text === 'string' ? parseTransactionControl(text) : undefined;
    if (control === undefined) {
      const tx = this.#tx;
      if (tx === undefined) return this.#host.query(text, params, options);
      // A transaction past its time limit fails this statement (it says why); the session is then out of it.
      if (tx.state !== 'open') this.#tx = undefined;
      const { readQuorum: _ignored, ...txOptions } = options ?? {};
      return tx.query(text, params, txOptions);
    }
    switch (control.kind) {
      case 'StartTransaction': {
        if (this.inTransaction) {
          throw new GeodeError('INPUT_INVALID', 'a transaction is already open in this session: COMMIT or ROLLBACK it first', { source: 'query', detail: 'TransactionOpen' });
        }
        this.#tx = await this.#host.begin({
          ...(control.isolation === undefined ? {} : { isolation: control.isolation }),
          ...(control.readOnly === undefined ? {} : { readOnly: control.readOnly }),
        });
        return noRows;
      }
      case 'Commit':
      case 'Rollback': {
        const tx = this.#tx;
        this.#tx = undefined;
        if (tx === undefined) {
          throw new GeodeError('INPUT_INVALID', `${control.kind === 'Commit' ? 'COMMIT' : 'ROLLBACK'} without an open transaction (START TRANSACTION opens one)`, {
            source: 'query',
            detail: 'NoTransaction',
          });
        }
        if (control.kind === 'Rollback') await tx.rollback();
        else await tx.commit();
        return noRows;
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const tx = this.#tx;
    this.#tx = undefined;
    if (tx !== undefined) await tx.rollback();
  }
}

/**
 * runInTransaction: `db.transaction(fn)`: opens a transaction, runs `fn` with it, commits when
 * `fn` resolves (unless `fn` already committed or rolled back) and rolls back when it throws,
 * rethrowing. A conflict (a statement or the commit rejecting PROPOSAL_DROPPED `WriteConflict`,
 * `Locked`, ...: the transaction did not happen) runs `fn` again in a new transaction after a
 * backoff, up to `retry.retries` times. Resolves with what `fn` resolved with.
 */
export async function runInTransaction<T>(
  begin: () => Promise<GeodeTransaction>,
  fn: (tx: GeodeTransaction) => Promise<T> | T,
  retry: { readonly retries: number; readonly backoffMs: number } = { retries: 0, backoffMs: 0 },
): Promise<T> {
  if (typeof fn !== 'function') throw new GeodeError('CONFIG_INVALID', 'db.transaction needs a function: db.transaction(async (tx) => { ... })', { source: 'config' });
  for (let attempt = 0; ; attempt++) {
    const tx = await begin();
    try {
      let value: T;
      try {
        value = await fn(tx);
      } catch (err) {
        await tx.rollback();
        throw err;
      }
      // fn may have committed or rolled back itself; past the time limit, commit rejects saying so.
      if (tx.state === 'open' || tx.state === 'timedOut') await tx.commit();
      return value;
    } catch (err) {
      if (!retryableTxnError(err) || attempt >= retry.retries) throw err;
      await new Promise((ok) => setTimeout(ok, retry.backoffMs * 2 ** Math.min(attempt, 6) * (0.5 + Math.random())));
    }
  }
}
