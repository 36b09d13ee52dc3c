/**
 * Limits for values built by functions, operators and aggregates. Every list or set the query
 * layer grows from user input is bounded by one of these, so a single expression cannot exhaust
 * memory (`range(0, 9223372036854775807)`, `collect(x)` over a huge scan).
 */

/**
 * Most elements a list built by a function or operator may hold (`range`, `+` concatenation,
 * `split`, `collect`, ...). Passing it is a GeodeError 'LIMIT_EXCEEDED'.
 * Ten million small values is a few hundred MB at most in V8: large, but survivable.
 */
export const listItemsMax = 10_000_000;

/** Most distinct values a DISTINCT aggregate (or `collect`) may remember. */
export const distinctItemsMax = 10_000_000;

/** Most characters a string built by a function (`replace`, `+`, `toString` of a list) may hold. */
export const stringLengthMax = 256 * 1024 * 1024;

/** Deepest nesting of lists/maps that equality, ordering and grouping keys walk before refusing. */
export const valueDepthMax = 1_000;
