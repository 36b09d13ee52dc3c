import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openGeode } from '../index.ts';

import { bound, operator, propertyValue } from './column-values.testing.ts';

function formatKey(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(formatKey).join(',')}]`;
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? `${v}` : `f${v}`;
  return String(v);
}

async function ids(db: Awaited<ReturnType<typeof openGeode>>, q: string, v: unknown): Promise<bigint[]> {
  const { rows } = await db.query(q, { v });
  return rows.map((r) => r['id'] as bigint).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

describe('fused label scan with a column filter', () => {
  it('returns exactly the rows a plain scan and filter return, for any values and bounds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(propertyValue, { nil: undefined }), { maxLength: 25 }), bound, operator, async (values, v, op) => {
        const db = await openGeode();
        for (const x of values) {
          if (x === undefined) await db.query('CREATE (:A)');
          else await db.query('CREATE (:A {x: $x})', { x });
        }
        await db.query('CREATE (:B {x: 1})');
        const fused = `MATCH (n:A) WHERE n.x ${op} $v RETURN id(n) AS id`;
        const plain = `MATCH (n:A) WHERE (n.x ${op} $v) = true RETURN id(n) AS id`;
        expect(await ids(db, fused, v)).toEqual(await ids(db, plain, v));
      }),
      { numRuns: 150, seed: 20261125 },
    );
  });

  it('groups and counts exactly as a plain scan and aggregation do', async () => {
    const shape = (rows: readonly Record<string, unknown>[]): string[] =>
      rows.map((r) => `${formatKey(r['k'])}:${String(r['c'])}:${String(r['d'])}`).sort();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(propertyValue, { nil: undefined }), { maxLength: 25 }), fc.integer({ min: 1, max: 3 }), async (values, copies) => {
        const db = await openGeode();
        for (const x of values) {
          if (x === undefined) await db.query('CREATE (:A)');
          else await db.query('CREATE (:A {x: $x})', { x });
        }
        const fused = `UNWIND range(1, ${copies}) AS u MATCH (n:A) RETURN n.x AS k, count(*) AS c, count(*) AS d`;
        const plain = `UNWIND range(1, ${copies}) AS u MATCH (n:A) WHERE n.x IS NULL OR n.x IS NOT NULL RETURN n.x AS k, count(*) AS c, count(*) AS d`;
        expect(shape((await db.query(fused)).rows)).toEqual(shape((await db.query(plain)).rows));
        expect((await db.query(`EXPLAIN ${fused}`)).plan).toContain('NodeByLabelGroupCount');
        expect((await db.query(`EXPLAIN ${plain}`)).plan).not.toContain('NodeByLabelGroupCount');
      }),
      { numRuns: 100 },
    );
  });

  it('is the plan EXPLAIN shows for a label scan filtered by a property comparison', async () => {
    const db = await openGeode();
    const { plan } = await db.query('EXPLAIN MATCH (p:Person) WHERE 30 < p.age RETURN p.name');
    expect(plan).toContain('NodeByLabelColumnScan');
    const other = await db.query('EXPLAIN MATCH (p:Person) WHERE p.age > p.min RETURN count(*)');
    expect(other.plan).not.toContain('NodeByLabelColumnScan');
  });

  it('sees writes made earlier in the same statement and skips nodes deleted during the scan', async () => {
    const db = await openGeode();
    await db.query('UNWIND range(1, 10) AS i CREATE (:P {age: i})');
    // The column is rebuilt after the SET of the first clause.
    const r1 = await db.query('MATCH (p:P) WHERE p.age <= 3 SET p.age = 100 WITH count(*) AS c MATCH (q:P) WHERE q.age > 50 RETURN c, count(q) AS big');
    expect(r1.rows).toEqual([{ c: 3n, big: 3n }]);
    // Deleting nodes ahead of the scan while it runs: deleted nodes never reach the next clause.
    const r2 = await db.query('MATCH (p:P) WHERE p.age >= 1 OPTIONAL MATCH (q:P) WHERE q.age = 100 AND q <> p DETACH DELETE q RETURN count(DISTINCT p) AS n');
    expect(r2.rows[0]?.['n']).toBeGreaterThan(0n);
    const left = await db.query('MATCH (p:P) RETURN count(*) AS n');
    expect(left.rows).toEqual([{ n: 7n }]);
  });
});
