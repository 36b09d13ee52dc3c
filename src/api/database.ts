/**
 * The embedded database: one peer, no cluster. `openGeode()` is the entry point.
 */
import { GeodeError } from '../util/errors.ts';
import { AssertionError } from '../util/assert.ts';
import { DurationValue, GraphStore, TemporalValue, type GraphCommand, type GraphReader, type Value } from '../graph/index.ts';
import { QueryEngine, type ProcedureDefinition } from '../query/index.ts';
import { toResultValue, type ResultRow } from './result.ts';
import { GraphReplica } from '../shard/graph-replica.ts';
import type { LogStore } from '../storage/types.ts';
import { openLogStore, type StorageSpec } from './storage-drivers.ts';

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
}

/** Per-query options of {@link Geode.query}. */
export interface QueryOptions {
  /** This query's time limit in ms; overrides `GeodeOptions.queryTimeoutMs`. */
  readonly timeoutMs?: number;
}

function checkTimeout(value: unknown, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new GeodeError('CONFIG_INVALID', `${key} must be a positive number of milliseconds, got ${String(value)}`, { source: 'config' });
  }
  return value;
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
  /** Adds a procedure callable with `CALL name(...) YIELD ...`; a name already taken is refused. */
  registerProcedure(definition: ProcedureDefinition): void;
  /** Closes the database; later calls reject with code `CLOSED`. */
  close(): Promise<void>;
}

/** Converts user parameters to engine values: JS integers stay floats unless given as bigint. */
function toParams(params: QueryParams | undefined): Record<string, Value> {
  const out: Record<string, Value> = Object.create(null) as Record<string, Value>;
  if (params === undefined) return out;
  for (const key of Object.keys(params)) {
    const v = fastParamValue(params[key]);
    // A value the fast path cannot take: the checking path names where it is, or converts it.
    out[key] = v === UNSUPPORTED ? toParamValue(params[key], key) : v;
  }
  return out;
}

/** What {@link fastParamValue} returns for anything it does not convert itself. */
const UNSUPPORTED: unique symbol = Symbol('unsupported');

/**
 * {@link toParamValue} without building a path string per value (a bulk load passes many
 * thousands): UNSUPPORTED where that one would throw or needs a case this one skips.
 */
function fastParamValue(v: unknown): Value | typeof UNSUPPORTED {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'bigint':
    case 'string':
    case 'number':
      return v;
    case 'object': {
      if (Array.isArray(v)) {
        const list = new Array<Value>(v.length);
        for (let i = 0; i < v.length; i++) {
          const x = fastParamValue(v[i]);
          if (x === UNSUPPORTED) return UNSUPPORTED;
          list[i] = x;
        }
        return list;
      }
      if (v instanceof TemporalValue || v instanceof DurationValue) return v;
      // Filled as an ordinary object, then given its null prototype: V8 keeps it a fast
      // (shaped) object, where Object.create(null) makes a hash-table one, ~4x larger and slower.
      const map: Record<string, Value> = {};
      for (const key of Object.keys(v)) {
        if (key === '__proto__') return UNSUPPORTED; // would hit Object.prototype's setter
        const x = fastParamValue((v as Record<string, unknown>)[key]);
        if (x === UNSUPPORTED) return UNSUPPORTED;
        map[key] = x;
      }
      return Object.setPrototypeOf(map, null) as Record<string, Value>;
    }
    default:
      return UNSUPPORTED;
  }
}

function toParamValue(v: unknown, path: string): Value {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'bigint':
    case 'string':
      return v;
    case 'number':
      return v;
    case 'object': {
      if (Array.isArray(v)) return v.map((item, i) => toParamValue(item, `${path}[${i}]`));
      if (v instanceof TemporalValue || v instanceof DurationValue) return v; // immutable values, passed as they are
      const map = Object.create(null) as Record<string, Value>;
      for (const key of Object.keys(v)) map[key] = toParamValue((v as Record<string, unknown>)[key], `${path}.${key}`);
      return map;
    }
    default:
      throw new GeodeError('GQL_TYPE', `parameter ${path}: values of type ${typeof v} cannot be passed to a query`, {
        source: 'params',
      });
  }
}

/** The store under each embedded database, for {@link storeOf}. */
const storeByDatabase = new WeakMap<Geode, GraphStore>();

class EmbeddedGeode implements Geode {
  readonly #store: GraphStore;
  readonly #engine: QueryEngine;
  /** The durable log under the graph; undefined for `storage: 'memory'`. */
  readonly #replica: GraphReplica | undefined;
  #closed = false;

  readonly #timeoutMs: number | undefined;

  constructor(store: GraphStore, timeoutMs?: number, replica?: GraphReplica) {
    this.#store = store;
    this.#timeoutMs = timeoutMs;
    this.#replica = replica;
    this.#engine = new QueryEngine(store);
    storeByDatabase.set(this, store);
  }

  get graph(): GraphReader {
    return this.#store;
  }

  query(text: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult> {
    if (this.#replica !== undefined) return this.#queryDurable(this.#replica, text, params, options);
    try {
      return Promise.resolve(this.#run(text, params, options).result);
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
    return result;
  }

  /** Runs a statement on the graph and detaches its rows (before anything else can change the graph). */
  #run(text: string, params?: QueryParams, options?: QueryOptions): { result: QueryResult; writes: readonly GraphCommand[]; rollback: () => void } {
    if (this.#closed) throw new GeodeError('CLOSED', 'the database is closed');
    if (typeof text !== 'string') throw new GeodeError('GQL_TYPE', 'query text must be a string', { source: 'query' });
    const timeoutMs = checkTimeout(options?.timeoutMs, 'timeoutMs') ?? this.#timeoutMs;
    const result = this.#engine.run(text, toParams(params), timeoutMs === undefined ? {} : { timeoutMs, now: () => performance.now() });
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

  registerProcedure(definition: ProcedureDefinition): void {
    this.#engine.registerProcedure(definition);
  }

  async close(): Promise<void> {
    this.#closed = true;
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
  const timeoutMs = checkTimeout(options.queryTimeoutMs, 'queryTimeoutMs');
  const storage = options.storage ?? 'memory';
  if (storage === 'memory') return new EmbeddedGeode(new GraphStore(), timeoutMs);
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
    throw new GeodeError('CONFIG_INVALID', `snapshotThreshold must be a positive integer, got ${String(threshold)}`, { source: 'config' });
  }
  const replica = await GraphReplica.open({
    store,
    ...(threshold === undefined ? {} : { snapshotThreshold: threshold }),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  });
  return new EmbeddedGeode(replica.graph, timeoutMs, replica);
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
