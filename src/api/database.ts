/**
 * The embedded database: one peer, no cluster. `openGeode()` is the entry point.
 */
import { GeodeError, isGeodeError } from '../util/errors.ts';
import { AssertionError } from '../util/assert.ts';
import { GraphStore, type GraphCommand, type GraphReader } from '../graph/index.ts';
import { QueryEngine, type ProcedureDefinition } from '../query/index.ts';
import { toResultValue, type ResultRow } from './result.ts';
import { GraphReplica } from '../shard/graph-replica.ts';
import { LiveQueries, type SubscribeOptions, type Unsubscribe } from './live-query.ts';
import type { LogStore } from '../storage/types.ts';
import { openLogStore, type StorageSpec } from './storage-drivers.ts';
import { toEngineParams } from './params.ts';
import { isTransactionControl } from '../gql/index.ts';
import type { ClusterOptions } from './cluster-options.ts';
import type { GeodeCluster } from './cluster-handle.ts';
import type { Staleness } from '../shard/index.ts';
import { EmbeddedTransaction, type StatementRun } from './embedded-transaction.ts';
import {
  checkTransactionTimeout,
  resolveTransactionOptions,
  runInTransaction,
  Session,
  TRANSACTION_TIMEOUT_MS_DEFAULT,
  type GeodeSession,
  type GeodeTransaction,
  type TransactionOptions,
} from './transaction.ts';

export { toEngineParams };

/** Options of {@link openGeode}. */
export interface GeodeOptions {
  /**
   * Where the graph lives:
   * - `'memory'` (the default): in this process only, gone when it exits;
   * - `'file:<dir>'` (Node, from the `geode-db/node` entry): a data directory, created if missing;
   * - `'indexeddb'` (browsers): this tab's own IndexedDB database (kept across reloads; every tab
   *   is a peer with its own); `'indexeddb:<name>'` names the database.
   *
   * A durable database acknowledges a write only once it is on stable storage, and reopens with
   * everything it acknowledged. See docs/storage.md.
   */
  readonly storage?: StorageSpec;
  /** Called with recoverable oddities found while opening durable storage (a torn log tail dropped, ...). */
  readonly onWarning?: (message: string) => void;
  /** Durable storage: applied writes between snapshots of the graph. Default 10,000. */
  readonly snapshotThreshold?: number;
  /**
   * Default time limit of every query, in ms (none when omitted). A query past it fails with
   * LIMIT_EXCEEDED (detail `QueryTimeout`) and changes nothing. `db.query(..., { timeoutMs })`
   * overrides it per query.
   */
  readonly queryTimeoutMs?: number;
  /**
   * Default time limit of a transaction in ms, from its start (default 60,000; at most a day).
   * `db.transaction(fn, { timeoutMs })` overrides it. A transaction past it is rolled back.
   */
  readonly transactionTimeoutMs?: number;
  /**
   * Join (or found) a cluster: the graph becomes one shard replicated by Raft across the
   * cluster's peers, kept in `storage` on this peer. Writes go through the leader; reads are
   * linearizable unless a query passes `readQuorum: 1`. See docs/operations.md.
   *
   * @example
   * ```ts
   * const db = await openGeode({
   *   storage: 'file:./data',
   *   cluster: { id: 'shop', secret: process.env.GEODE_SECRET!, relays: ['/ip4/10.0.0.5/tcp/4001/p2p/12D3Koo...'] },
   * });
   * ```
   */
  readonly cluster?: ClusterOptions;
}

/** Per-query options of {@link Geode.query}. */
export interface QueryOptions {
  /** This query's time limit in ms; overrides `GeodeOptions.queryTimeoutMs`. */
  readonly timeoutMs?: number;
  /**
   * Clustered databases: `'majority'` (the default) reads linearizably; `1` reads this replica's
   * state now and reports `staleness`. Embedded databases ignore it (they are always current).
   */
  readonly readQuorum?: 'majority' | 1;
}

function checkTimeout(value: unknown, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new GeodeError('CONFIG_INVALID', `${key} must be a positive number of milliseconds, got ${String(value)}`, { source: 'config', detail: key });
  }
  return value;
}

/** Every key of {@link GeodeOptions}: `openGeode` refuses any other (docs/configuration.md lists each). */
export const geodeOptionKeys: readonly string[] = ['storage', 'onWarning', 'snapshotThreshold', 'queryTimeoutMs', 'transactionTimeoutMs', 'cluster'];
const geodeOptionKeySet: ReadonlySet<string> = new Set(geodeOptionKeys);

/**
 * The checks of `openGeode` that do not depend on where the database lives: an object of known
 * keys, `onWarning` a function, `snapshotThreshold` a positive integer (CONFIG_INVALID, detail
 * the key). `storage`, `queryTimeoutMs` and `cluster` are checked where they are used.
 */
function checkGeodeOptions(options: unknown): asserts options is GeodeOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new GeodeError('CONFIG_INVALID', 'the options of openGeode must be an object such as { storage: \'memory\' }', { source: 'config' });
  }
  for (const key of Object.keys(options)) {
    if (!geodeOptionKeySet.has(key)) {
      throw new GeodeError('CONFIG_INVALID', `${key} is not an option of openGeode (known: ${geodeOptionKeys.join(', ')})`, { source: 'config', detail: key });
    }
  }
  const o = options as GeodeOptions;
  if (o.onWarning !== undefined && typeof o.onWarning !== 'function') {
    throw new GeodeError('CONFIG_INVALID', `onWarning must be a function, got ${typeof o.onWarning}`, { source: 'config', detail: 'onWarning' });
  }
  const threshold = o.snapshotThreshold;
  if (threshold !== undefined && (!Number.isSafeInteger(threshold) || threshold < 1)) {
    throw new GeodeError('CONFIG_INVALID', `snapshotThreshold must be a positive integer, got ${String(threshold)}`, { source: 'config', detail: 'snapshotThreshold' });
  }
  checkTransactionTimeout(o.transactionTimeoutMs, 'transactionTimeoutMs');
}

/** What a query returns. */
export interface QueryResult {
  /** Column names in order. */
  readonly columns: readonly string[];
  /** Rows keyed by column name; values detached from the store. */
  readonly rows: readonly ResultRow[];
  /** For EXPLAIN: the plan as text. */
  readonly plan: string | undefined;
  /** How many write commands the statement applied. */
  readonly writes: number;
  /** Clustered `readQuorum: 1` reads: how far behind the answering replica may be. */
  readonly staleness?: Staleness;
  /** Sharded clusters: the shards the statement read from or wrote to (EXPLAIN: where its patterns start). */
  readonly shards?: readonly number[];
}

/** Query parameters: `$name` in the query reads `params.name`. Integers as bigint, floats as number. */
export type QueryParams = Readonly<Record<string, unknown>>;

/** An open database. */
export interface Geode {
  /**
   * Runs one GQL / openCypher statement. Rejects with a GeodeError (code, position, caret
   * excerpt) on bad input; a failed statement changes nothing.
   *
   * @example
   * ```ts
   * const db = await openGeode();
   * await db.query('CREATE (:Person {name: $name})', { name: 'Ada' });
   * const { rows } = await db.query('MATCH (p:Person) RETURN p.name AS name');
   * ```
   */
  query(text: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult>;
  /** A read-only view of the local graph, for tools and tests. */
  readonly graph: GraphReader;
  /**
   * A live query: calls `onResult` with the result of `query` now, and again each time a committed
   * change (a local write, or one replicated from another peer) changes that result. Only read
   * queries; in a cluster member it reads this replica's state (as `readQuorum: 1`). Returns the
   * function that ends it. Throws at once for a statement that does not parse or that writes
   * (INPUT_INVALID), past 1,000 live queries (LIMIT_EXCEEDED), or on a cluster client
   * (CONFIG_INVALID, detail `cluster.client`: a client holds no replica to watch).
   *
   * @example
   * ```ts
   * const stop = db.subscribe('MATCH (p:Person) RETURN count(p) AS people', {}, ({ rows }) => render(rows));
   * // ... later
   * stop();
   * ```
   */
  subscribe(query: string, params: QueryParams | undefined, onResult: (result: QueryResult) => void, options?: SubscribeOptions): Unsubscribe;
  /**
   * Runs `fn` in a transaction: its statements (`tx.query`) see its own writes, and every write
   * becomes durable and visible at once when `fn` resolves, or none when it throws (the error is
   * rethrown). Resolves with `fn`'s value. Options: isolation, READ ONLY, time limit.
   *
   * Embedded databases run transactions one at a time (other writes wait for the open one; reads run at once on the committed graph),
   * so they are serializable at either level; cluster members refuse transactions for now
   * (UNSUPPORTED). See docs/transactions.md.
   *
   * @example
   * ```ts
   * await db.transaction(async (tx) => {
   *   const { rows } = await tx.query('MATCH (a:Account {id: $from}) RETURN a.balance AS b', { from: 1n });
   *   if ((rows[0]!.b as bigint) < 10n) throw new Error('insufficient funds'); // rolls back
   *   await tx.query('MATCH (a:Account {id: $from}), (b:Account {id: $to}) SET a.balance = a.balance - 10, b.balance = b.balance + 10', { from: 1n, to: 2n });
   * });
   * ```
   */
  transaction<T>(fn: (tx: GeodeTransaction) => Promise<T> | T, options?: TransactionOptions): Promise<T>;
  /**
   * A session: statements one after another, where `START TRANSACTION` (or `BEGIN`), `COMMIT`
   * and `ROLLBACK` open and end the session's transaction, as in the CLI's prompt and the demo's
   * console. `session.close()` rolls back a transaction left open.
   */
  session(): GeodeSession;
  /** Adds a procedure callable with `CALL name(...) YIELD ...`; a name already taken is refused. */
  registerProcedure(definition: ProcedureDefinition): void;
  /** Closes the database; later calls reject with code `CLOSED`. A cluster peer leaves cleanly (a leader hands off first). */
  close(): Promise<void>;
  /** The cluster side of a database opened with `cluster` (status, leader, addresses); undefined when embedded. */
  readonly cluster: GeodeCluster | undefined;
}

/** The store under each embedded database, for {@link storeOf}. */
const storeByDatabase = new WeakMap<Geode, GraphStore>();

class EmbeddedGeode implements Geode {
  readonly #store: GraphStore;
  readonly #engine: QueryEngine;
  /** The durable log under the graph; undefined for `storage: 'memory'`. */
  readonly #replica: GraphReplica | undefined;
  readonly #live = new LiveQueries((text, params) => this.query(text, params));
  #closed = false;

  readonly #timeoutMs: number | undefined;
  readonly #transactionTimeoutMs: number;
  /** The open transaction: until it ends, other statements and transactions wait. */
  #open: { readonly tx: EmbeddedTransaction; readonly ended: Promise<void> } | undefined;

  constructor(store: GraphStore, timeoutMs?: number, replica?: GraphReplica, transactionTimeoutMs?: number) {
    this.#store = store;
    this.#timeoutMs = timeoutMs;
    this.#transactionTimeoutMs = transactionTimeoutMs ?? TRANSACTION_TIMEOUT_MS_DEFAULT;
    this.#replica = replica;
    this.#engine = new QueryEngine(store);
    storeByDatabase.set(this, store);
  }

  get graph(): GraphReader {
    return this.#store;
  }

  get cluster(): undefined {
    return undefined;
  }

  query(text: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult> {
    if (this.#open !== undefined) {
      const read = this.#readAround(this.#open.tx, text, params, options);
      return read ?? this.#afterTransactions().then(() => this.query(text, params, options));
    }
    if (typeof text === 'string' && isTransactionControl(text)) {
      return Promise.reject(
        new GeodeError('INPUT_INVALID', 'transaction control statements run in a session: db.session().query(\'START TRANSACTION\'), or use db.transaction(fn)', {
          source: 'query',
          detail: 'TransactionControl',
        }),
      );
    }
    if (this.#replica !== undefined) return this.#queryDurable(this.#replica, text, params, options);
    try {
      const run = this.#run(text, params, options);
      if (run.writes.length > 0) this.#live.changed();
      return Promise.resolve(run.result);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * A query over durable storage: runs on the graph at once, then waits until its writes (or, for
   * a read, every write it could have seen) are durable. A write that cannot be logged is undone.
   */
  async #queryDurable(replica: GraphReplica, text: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult> {
    const gate = replica.writeGate();
    if (gate !== undefined) await gate;
    const { result, writes, rollback } = this.#run(text, params, options);
    if (writes.length === 0) {
      const settled = replica.settled();
      if (settled !== undefined) await settled;
      return result;
    }
    let durable: Promise<void>;
    try {
      durable = replica.commit(writes);
    } catch (err) {
      rollback();
      throw err;
    }
    await durable;
    this.#live.changed();
    return result;
  }

  /**
   * A read while a transaction is open runs at once on the committed graph (around the
   * transaction's writes); undefined when it must wait instead: a write, a transaction control
   * statement, or a transaction that cannot be read around (schema changes, very large).
   */
  #readAround(tx: EmbeddedTransaction, text: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult> | undefined {
    if (typeof text !== 'string' || isTransactionControl(text) || !tx.canReadAround()) return undefined;
    let run: StatementRun;
    try {
      run = tx.aside(() => this.#run(text, params, { ...options, readOnly: true }));
    } catch (err) {
      if (isGeodeError(err, 'INPUT_INVALID') && err.detail === 'ReadOnlyTransaction') return undefined; // a write: it waits
      return Promise.reject(err);
    }
    const settled = this.#replica?.settled();
    return settled === undefined ? Promise.resolve(run.result) : settled.then(() => run.result);
  }

  /** Resolves once no transaction is open (each waiter checks again: another may have begun). */
  async #afterTransactions(): Promise<void> {
    while (this.#open !== undefined) await this.#open.ended;
  }

  transaction<T>(fn: (tx: GeodeTransaction) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    return runInTransaction(() => this.#begin(options), fn);
  }

  session(): GeodeSession {
    return new Session({ query: (text, params, options) => this.query(text, params, options), begin: (options) => this.#begin(options) });
  }

  /** Opens a transaction once the open one (if any) ended and no snapshot is being taken. */
  async #begin(options: TransactionOptions | undefined): Promise<EmbeddedTransaction> {
    const resolved = resolveTransactionOptions(options, this.#transactionTimeoutMs);
    if (resolved.asOf !== undefined) {
      throw new GeodeError('UNSUPPORTED', 'reads at a past timestamp (asOf) need a clustered database: an embedded one keeps no versions', { source: 'transaction', detail: 'AsOf' });
    }
    for (;;) {
      if (this.#closed) throw new GeodeError('CLOSED', 'the database is closed');
      await this.#afterTransactions();
      const gate = this.#replica?.writeGate();
      if (gate !== undefined) {
        await gate;
        continue;
      }
      if (this.#open === undefined) break;
    }
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    const tx = new EmbeddedTransaction(
      {
        run: (text, params, runOptions) => this.#run(text, params, runOptions),
        replica: this.#replica,
        committed: () => this.#live.changed(),
        ended: () => {
          if (this.#open?.tx === tx) this.#open = undefined;
          end();
        },
        redo: (commands) => {
          for (const c of commands) this.#store.apply(c);
        },
      },
      resolved,
    );
    this.#open = { tx, ended };
    return tx;
  }

  /** Runs a statement on the graph and detaches its rows (before anything else can change the graph). */
  #run(text: string, params?: QueryParams, options?: QueryOptions & { readonly readOnly?: boolean }): StatementRun {
    if (this.#closed) throw new GeodeError('CLOSED', 'the database is closed');
    if (typeof text !== 'string') throw new GeodeError('GQL_TYPE', 'query text must be a string', { source: 'query' });
    const timeoutMs = checkTimeout(options?.timeoutMs, 'timeoutMs') ?? this.#timeoutMs;
    const result = this.#engine.run(text, toEngineParams(params), {
      ...(timeoutMs === undefined ? {} : { timeoutMs, now: () => performance.now() }),
      ...(options?.readOnly === true ? { readOnly: true } : {}),
    });
    const columns = result.columns;
    const rows: ResultRow[] = new Array<ResultRow>(result.rows.length);
    for (let r = 0; r < result.rows.length; r++) {
      const cells = result.rows[r]!;
      const row: ResultRow = {};
      for (let c = 0; c < columns.length; c++) row[columns[c]!] = toResultValue(cells[c] ?? null);
      rows[r] = row;
    }
    return { result: { columns, rows, plan: result.plan, writes: result.commands.length }, writes: result.commands, rollback: result.rollback };
  }

  subscribe(query: string, params: QueryParams | undefined, onResult: (result: QueryResult) => void, options?: SubscribeOptions): Unsubscribe {
    return this.#live.subscribe(query, params, onResult, options);
  }

  registerProcedure(definition: ProcedureDefinition): void {
    this.#engine.registerProcedure(definition);
  }

  async close(): Promise<void> {
    // A transaction left open is undone: nothing of it was acknowledged.
    await this.#open?.tx.rollback();
    this.#closed = true;
    this.#live.close();
    await this.#replica?.close();
  }
}

/**
 * Opens a database. With no options, an in-memory graph on this peer.
 *
 * @example
 * ```ts
 * import { openGeode } from 'geode-db';
 * const db = await openGeode({ storage: 'memory' });
 * ```
 */
export async function openGeode(options: GeodeOptions = {}): Promise<Geode> {
  checkGeodeOptions(options);
  const timeoutMs = checkTimeout(options.queryTimeoutMs, 'queryTimeoutMs');
  if (options.cluster !== undefined) {
    const { openClusteredGeode } = await import('./clustered-database.ts');
    return openClusteredGeode(options, timeoutMs);
  }
  const storage = options.storage ?? 'memory';
  if (storage === 'memory') return new EmbeddedGeode(new GraphStore(), timeoutMs, undefined, options.transactionTimeoutMs);
  const store = await openLogStore(storage, options.onWarning === undefined ? {} : { onWarning: options.onWarning });
  return openGeodeOnLogStore(store, options);
}

/**
 * Opens a database over a durable log store (the graph is rebuilt from it).
 *
 * @internal Tests and tools; users pass `storage` to {@link openGeode}.
 */
export async function openGeodeOnLogStore(store: LogStore, options: Omit<GeodeOptions, 'storage'> = {}): Promise<Geode> {
  const timeoutMs = checkTimeout(options.queryTimeoutMs, 'queryTimeoutMs');
  const threshold = options.snapshotThreshold;
  if (threshold !== undefined && (!Number.isSafeInteger(threshold) || threshold < 1)) {
    throw new GeodeError('CONFIG_INVALID', `snapshotThreshold must be a positive integer, got ${String(threshold)}`, { source: 'config', detail: 'snapshotThreshold' });
  }
  const replica = await GraphReplica.open({
    store,
    ...(threshold === undefined ? {} : { snapshotThreshold: threshold }),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  });
  return new EmbeddedGeode(replica.graph, timeoutMs, replica, checkTransactionTimeout(options.transactionTimeoutMs, 'transactionTimeoutMs'));
}

/**
 * Opens a database over an existing store (e.g. one restored from a snapshot by the CLI).
 *
 * @internal Tools only (the CLI's `--data` snapshots); not part of the public API.
 */
export function openGeodeOnStore(store: GraphStore, queryTimeoutMs?: number): Geode {
  return new EmbeddedGeode(store, checkTimeout(queryTimeoutMs, 'queryTimeoutMs'));
}

/**
 * The store under a database opened by {@link openGeode} or {@link openGeodeOnStore}, e.g. to
 * snapshot it. Throws an assertion error for any other object.
 *
 * @internal Tools only (the CLI's `--data` snapshots); not part of the public API.
 */
export function storeOf(db: Geode): GraphStore {
  const store = storeByDatabase.get(db);
  if (store === undefined) throw new AssertionError('storeOf: not a database opened by openGeode/openGeodeOnStore');
  return store;
}
