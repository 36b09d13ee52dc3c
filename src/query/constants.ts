/**
 * Limits of the query engine. Every one is a bound that turns a runaway query into a
 * GeodeError('LIMIT_EXCEEDED') instead of an out-of-memory crash.
 */

/** Plans kept by the plan cache (LRU, keyed by query text). */
export const planCacheEntriesMax = 1_000;

/** Rows one breaker (sort, aggregation groups, DISTINCT, eager buffer, result) may materialize. */
export const queryRowsMax = 1_000_000;

/** Hops of a variable-length or shortest-path expansion whose upper bound is not written. */
export const varLengthDepthMax = 10_000;

/** Paths a single shortest-path search may return (allShortestPaths). */
export const shortestPathsMax = 1_000_000;

/** Nesting of subqueries (EXISTS, COUNT, CALL { }) and comprehensions. */
export const subqueryDepthMax = 64;
