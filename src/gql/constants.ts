/**
 * Limits of the GQL front end. Each bounds work done on untrusted query text, so that a
 * hostile or mistaken query fails fast with a GeodeError `LIMIT_EXCEEDED` (carrying the
 * position where the limit was passed) instead of exhausting memory or the call stack.
 */

/** Longest query text accepted, in UTF-16 code units. A megabyte of query text is far past any hand-written query. */
export const gqlTextCharsMax = 1_000_000;

/** Most tokens one query may have. Bounds lexer memory and parser time (as graphql-js `maxTokens`). */
export const gqlTokensMax = 100_000;

/**
 * Deepest nesting of expressions, patterns and subqueries. The parser is recursive descent, so
 * this bounds its stack use; 200 levels stays far inside the default V8 stack and far above
 * any real query.
 */
export const gqlDepthMax = 200;

/** Longest scan the parser makes ahead of its position to tell a pattern from an expression. */
export const gqlLookaheadTokensMax = 10_000;
