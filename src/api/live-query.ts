/**
 * Live queries: `db.subscribe(query, params, onResult)` calls `onResult` with the query's result
 * at once and again after every committed change (local, or replicated from another peer) that
 * changed that result. The database tells its {@link LiveQueries} when a change was applied
 * ({@link LiveQueries.changed}); each subscription then re-runs its query, at most one run in
 * flight and at most one more queued however many changes arrive meanwhile (changes are
 * coalesced), and calls back only when the rows differ from the last ones it delivered.
 *
 * Re-running is the whole strategy today: correct for any read query, at the cost of one query
 * per batch of changes per subscription. Only read-only statements can be subscribed (a write
 * would re-trigger itself).
 */
import { parse } from '../gql/index.ts';
import { isReadOnlyStatement } from '../query/index.ts';
import { GeodeError } from '../util/errors.ts';
import type { QueryParams, QueryResult } from './database.ts';
import { DurationValue, TemporalValue } from '../graph/index.ts';
import { GeodeNode, GeodePath, GeodeRelationship } from './result.ts';

/** Most live subscriptions on one database. */
export const subscriptionsMax = 1_000;

/** Options of `db.subscribe`. */
export interface SubscribeOptions {
  /**
   * Called when a run of the query fails (a GeodeError as `db.query` rejects with; the
   * subscription stays and the next change runs it again). Default: a console warning.
   */
  readonly onError?: (error: Error) => void;
}

/** Stops a subscription: no callback is made after it returns. Calling it again does nothing. */
export type Unsubscribe = () => void;

interface Subscription {
  readonly text: string;
  readonly params: QueryParams | undefined;
  readonly onResult: (result: QueryResult) => void;
  readonly onError: ((error: Error) => void) | undefined;
  running: boolean;
  dirty: boolean;
  active: boolean;
  /** The fingerprint of the rows last delivered; undefined before the first. */
  last: string | undefined;
}

/** A stable text for a result value: equal texts for equal results. */
function fingerprint(r: QueryResult): string {
  return JSON.stringify([r.columns, r.rows], (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'number' && !Number.isFinite(v)) return `${v}f`;
    if (Object.is(v, -0)) return '-0f';
    if (v instanceof GeodeNode) return { n: v.id, l: v.labels, p: v.properties };
    if (v instanceof GeodeRelationship) return { r: v.id, t: v.type, s: v.startNodeId, e: v.endNodeId, p: v.properties };
    if (v instanceof GeodePath) return { path: [v.nodes, v.relationships] };
    if (v instanceof TemporalValue || v instanceof DurationValue) return { t: v.toString() };
    return v;
  });
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The live subscriptions of one database. */
export class LiveQueries {
  readonly #run: (text: string, params: QueryParams | undefined) => Promise<QueryResult>;
  readonly #subs = new Set<Subscription>();
  #closed = false;

  /** `run` executes a read on the database's current local state. */
  constructor(run: (text: string, params: QueryParams | undefined) => Promise<QueryResult>) {
    this.#run = run;
  }

  get size(): number {
    return this.#subs.size;
  }

  /**
   * Subscribes; the first result arrives asynchronously. Throws GQL_SYNTAX/... for a statement
   * that does not parse, INPUT_INVALID for a write, LIMIT_EXCEEDED past {@link subscriptionsMax},
   * CLOSED after close.
   */
  subscribe(text: string, params: QueryParams | undefined, onResult: (result: QueryResult) => void, options: SubscribeOptions = {}): Unsubscribe {
    if (this.#closed) throw new GeodeError('CLOSED', 'the database is closed');
    if (typeof text !== 'string') throw new GeodeError('GQL_TYPE', 'query text must be a string', { source: 'query' });
    if (typeof onResult !== 'function') throw new GeodeError('INPUT_INVALID', 'subscribe: onResult must be a function', { source: 'query' });
    if (!isReadOnlyStatement(parse(text))) {
      throw new GeodeError('INPUT_INVALID', 'subscribe: only read queries can be live (this statement writes or changes the schema)', { source: 'query' });
    }
    if (this.#subs.size >= subscriptionsMax) {
      throw new GeodeError('LIMIT_EXCEEDED', `subscribe: at most ${subscriptionsMax} live queries per database`, { source: 'query' });
    }
    const sub: Subscription = { text, params, onResult, onError: options.onError, running: false, dirty: false, active: true, last: undefined };
    this.#subs.add(sub);
    this.#kick(sub);
    return () => {
      sub.active = false;
      this.#subs.delete(sub);
    };
  }

  /** A change was applied to the local graph: every subscription re-runs (coalesced). */
  changed(): void {
    for (const sub of this.#subs) this.#kick(sub);
  }

  /** Ends every subscription (no callback after). */
  close(): void {
    this.#closed = true;
    for (const sub of this.#subs) sub.active = false;
    this.#subs.clear();
  }

  #kick(sub: Subscription): void {
    if (sub.running) {
      sub.dirty = true;
      return;
    }
    sub.running = true;
    void this.#loop(sub);
  }

  async #loop(sub: Subscription): Promise<void> {
    // Let the change that kicked us finish (and more changes arrive) before running.
    await Promise.resolve();
    do {
      sub.dirty = false;
      try {
        const result = await this.#run(sub.text, sub.params);
        if (!sub.active) break;
        const f = fingerprint(result);
        if (f !== sub.last) {
          sub.last = f;
          sub.onResult(result);
        }
      } catch (err) {
        if (!sub.active) break;
        const e = asError(err);
        if (sub.onError !== undefined) sub.onError(e);
        else console.warn(`geode: live query failed: ${e.message}`);
      }
    } while (sub.dirty && sub.active);
    sub.running = false;
  }
}
