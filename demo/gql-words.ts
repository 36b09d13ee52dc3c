/**
 * The words the console highlights and completes: GQL / openCypher keywords (those the parser in
 * `src/gql/parser.ts` reads; it keeps no exported list, since keywords double as names there),
 * aggregate functions and the built-in procedures. Pure.
 */

/** Keywords, upper case. */
export const GQL_KEYWORDS: readonly string[] = [
  'ALL', 'ALLSHORTESTPATHS', 'AND', 'ANY', 'AS', 'ASC', 'ASCENDING', 'ASSERT', 'BY', 'CALL', 'CASE',
  'CONSTRAINT', 'CONTAINS', 'CREATE', 'DELETE', 'DESC', 'DESCENDING', 'DETACH', 'DISTINCT', 'DROP',
  'ELSE', 'END', 'ENDS', 'EXISTS', 'EXPLAIN', 'FALSE', 'FINISH', 'FOR', 'IF', 'IN', 'INDEX', 'INSERT',
  'IS', 'LIMIT', 'MATCH', 'MERGE', 'NODETACH', 'NONE', 'NOT', 'NULL', 'OFFSET', 'ON', 'OPTIONAL', 'OR',
  'ORDER', 'PROFILE', 'REDUCE', 'REMOVE', 'REQUIRE', 'RETURN', 'SET', 'SHORTEST', 'SHORTESTPATH',
  'SINGLE', 'SKIP', 'STARTS', 'THEN', 'TRUE', 'UNION', 'UNIQUE', 'UNWIND', 'WHEN', 'WHERE', 'WITH',
  'XOR', 'YIELD',
];

/** Keywords as a set, for the highlighter. */
export const GQL_KEYWORD_SET: ReadonlySet<string> = new Set(GQL_KEYWORDS);

/** Literal keywords, highlighted as atoms rather than clause words. */
export const GQL_ATOMS: ReadonlySet<string> = new Set(['TRUE', 'FALSE', 'NULL']);

/** Aggregate functions (the engine's `src/query/aggregates.ts`). */
export const GQL_AGGREGATES: readonly string[] = [
  'count', 'sum', 'avg', 'min', 'max', 'collect', 'percentileDisc', 'percentileCont', 'stDev', 'stDevP',
];

/** Built-in procedures, for completion after CALL. */
export const GQL_PROCEDURES: readonly string[] = ['db.labels', 'db.relationshipTypes', 'db.propertyKeys', 'db.indexes'];

/** Multi-word clause starts offered as one completion. */
export const GQL_PHRASES: readonly string[] = ['ORDER BY', 'OPTIONAL MATCH', 'DETACH DELETE', 'UNION ALL', 'STARTS WITH', 'ENDS WITH', 'IS NOT NULL', 'IS NULL'];
