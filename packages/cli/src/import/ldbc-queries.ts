/**
 * The GQL statements the importer runs, one per batch. Pure: text only.
 *
 * Labels and types come from file names, so they are always written as backquoted identifiers.
 */

/** Rows per `UNWIND $rows` statement: big enough to amortise parsing, small enough to bound memory. */
export const IMPORT_BATCH_ROWS = 5_000;

/** A label, type or key as a backquoted identifier (a backquote inside is doubled). */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** `CREATE INDEX FOR (n:Label) ON (n.id)`: run once per node label before loading. */
export function createIdIndexQuery(label: string): string {
  return `CREATE INDEX FOR (n:${quoteIdentifier(label)}) ON (n.id)`;
}

/** Creates one node per row of `$rows` (each row a property map); returns how many were created. */
export function createNodesQuery(label: string): string {
  return `UNWIND $rows AS r CREATE (n:${quoteIdentifier(label)}) SET n = r RETURN count(*) AS created`;
}

/**
 * Creates one edge per row of `$rows` (`{src, dst, props}`), finding both endpoints by (label, id);
 * a row whose endpoint is missing creates nothing. Returns how many were created.
 */
export function createEdgesQuery(type: string, srcLabel: string, dstLabel: string, withProperties: boolean): string {
  const match = `MATCH (a:${quoteIdentifier(srcLabel)} {id: r.src}), (b:${quoteIdentifier(dstLabel)} {id: r.dst})`;
  const create = withProperties
    ? `CREATE (a)-[e:${quoteIdentifier(type)}]->(b) SET e = r.props`
    : `CREATE (a)-[:${quoteIdentifier(type)}]->(b)`;
  return `UNWIND $rows AS r ${match} ${create} RETURN count(*) AS created`;
}
