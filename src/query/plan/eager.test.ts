import { describe, expect, it } from 'vitest';
import { openGeode } from '../../index.ts';

async function graph(): Promise<Awaited<ReturnType<typeof openGeode>>> {
  const db = await openGeode();
  await db.query('CREATE INDEX FOR (p:P) ON (p.id)');
  await db.query('UNWIND range(1, 5) AS i CREATE (:P {id: i})');
  return db;
}

async function count(db: Awaited<ReturnType<typeof openGeode>>, q: string): Promise<unknown> {
  return (await db.query(q)).rows[0]?.['c'];
}

describe('eager barriers before CREATE', () => {
  it('streams a relationship-only CREATE after node-only matches, with the same result', async () => {
    const db = await graph();
    const q = 'UNWIND $rows AS r MATCH (a:P {id: r.s}), (b:P) WHERE b.id = r.d CREATE (a)-[:T]->(b)';
    expect((await db.query(`EXPLAIN ${q}`, { rows: [] })).plan).not.toContain('Eager');
    const rows = [{ s: 1n, d: 2n }, { s: 1n, d: 2n }, { s: 2n, d: 3n }, { s: 9n, d: 1n }, { s: 5n, d: 5n }];
    const r = await db.query(q, { rows });
    expect(r.writes).toBe(4);
    expect(await count(db, 'MATCH (:P {id: 1})-[t:T]->(:P {id: 2}) RETURN count(t) AS c')).toBe(2n);
    expect(await count(db, 'MATCH (a:P)-[t:T]->(a) RETURN count(t) AS c')).toBe(1n);
    expect(await count(db, 'MATCH ()-[t:T]->() RETURN count(t) AS c')).toBe(4n);
  });

  it('keeps the barrier when the CREATE makes nodes the match could see', async () => {
    const db = await graph();
    const q = 'MATCH (a:P) CREATE (a)-[:T]->(:P {id: 0})';
    expect((await db.query(`EXPLAIN ${q}`)).plan).toContain('Eager');
    await db.query(q);
    expect(await count(db, 'MATCH (p:P) RETURN count(*) AS c')).toBe(10n);
  });

  it('keeps the barrier when the match reads relationships', async () => {
    const db = await graph();
    await db.query('MATCH (a:P {id: 1}), (b:P {id: 2}) CREATE (a)-[:T]->(b)');
    const q = 'MATCH (a)-[:T]->(b) CREATE (a)-[:T]->(b)';
    expect((await db.query(`EXPLAIN ${q}`)).plan).toContain('Eager');
    await db.query(q);
    expect(await count(db, 'MATCH ()-[t:T]->() RETURN count(t) AS c')).toBe(2n);
  });

  it('keeps the barrier when a predicate of the match can look at relationships', async () => {
    const db = await graph();
    const q = 'MATCH (a:P), (b:P {id: 1}) WHERE NOT ()-->(b) CREATE (a)-[:T]->(b)';
    expect((await db.query(`EXPLAIN ${q}`)).plan).toContain('Eager');
    await db.query(q);
    // Node 1 had no incoming relationship while the MATCH ran: one per node, not just the first.
    expect(await count(db, 'MATCH ()-[t:T]->() RETURN count(t) AS c')).toBe(5n);
  });

  it('keeps the barrier after an OPTIONAL MATCH', async () => {
    const db = await graph();
    const q = 'MATCH (a:P {id: 1}) OPTIONAL MATCH (b:P {id: 2}) CREATE (a)-[:T]->(b)';
    expect((await db.query(`EXPLAIN ${q}`)).plan).toContain('Eager');
  });
});
