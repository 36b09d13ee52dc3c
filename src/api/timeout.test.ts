import { describe, expect, it } from 'vitest';
import { isGeodeError, openGeode } from '../index.ts';

describe('query time limits', () => {
  it('stops a runaway query with LIMIT_EXCEEDED / QueryTimeout and leaves the graph unchanged', async () => {
    const db = await openGeode();
    await db.query('UNWIND range(1, 40) AS i CREATE (:N {i: i})');
    await db.query('MATCH (a:N), (b:N) WHERE a.i < b.i CREATE (a)-[:E]->(b)');
    const before = await db.query('MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, count(r) AS r');
    let caught: unknown;
    try {
      // Counting every path of a dense DAG writes first, then runs for far longer than 200 ms.
      await db.query('CREATE (:Marker) WITH 1 AS one MATCH p = (:N)-[:E*]->(:N) RETURN count(p)', {}, { timeoutMs: 200 });
    } catch (err) {
      caught = err;
    }
    expect(isGeodeError(caught, 'LIMIT_EXCEEDED')).toBe(true);
    expect((caught as { detail?: string }).detail).toBe('QueryTimeout');
    const after = await db.query('MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, count(r) AS r');
    expect(after.rows).toEqual(before.rows);
  });

  it('applies the database default and lets a query override it', async () => {
    const db = await openGeode({ queryTimeoutMs: 60_000 });
    expect((await db.query('UNWIND range(1, 1000) AS i RETURN count(*) AS c')).rows).toEqual([{ c: 1000n }]);
    await expect(openGeode({ queryTimeoutMs: -1 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(db.query('RETURN 1', {}, { timeoutMs: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
