import { describe, expect, it } from 'vitest';
import { createEdgesQuery, createIdIndexQuery, createNodesQuery, quoteIdentifier } from './ldbc-queries.ts';

describe('importer statements', () => {
  it('creates the per-label id index the edge lookups rely on', () => {
    expect(createIdIndexQuery('Person')).toBe('CREATE INDEX FOR (n:`Person`) ON (n.id)');
  });

  it('loads nodes with one UNWIND statement per batch', () => {
    expect(createNodesQuery('TagClass')).toBe('UNWIND $rows AS r CREATE (n:`TagClass`) SET n = r RETURN count(*) AS created');
  });

  it('finds edge endpoints by (label, id) and sets edge properties only when the file has some', () => {
    expect(createEdgesQuery('KNOWS', 'Person', 'Person', true)).toBe(
      'UNWIND $rows AS r MATCH (a:`Person` {id: r.src}), (b:`Person` {id: r.dst}) CREATE (a)-[e:`KNOWS`]->(b) SET e = r.props RETURN count(*) AS created',
    );
    expect(createEdgesQuery('HAS_TAG', 'Post', 'Tag', false)).toContain('CREATE (a)-[:`HAS_TAG`]->(b) RETURN');
  });

  it('backquotes names so a label from a file name cannot break the statement', () => {
    expect(quoteIdentifier('we`ird')).toBe('`we``ird`');
  });
});
