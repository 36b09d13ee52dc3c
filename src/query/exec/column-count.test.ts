import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openGeode } from '../../index.ts';
import { GraphStore } from '../../graph/index.ts';
import { QueryEngine } from '../engine.ts';

import { bound, operator, propertyValue } from '../column-values.testing.ts';

describe('fused label scan with count(*)', () => {
  it('counts exactly the nodes a plain scan, filter and aggregation count, for any values, bounds and input rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(propertyValue, { nil: undefined }), { maxLength: 25 }),
        bound,
        operator,
        fc.integer({ min: 0, max: 3 }),
        async (values, v, op, copies) => {
          const db = await openGeode();
          for (const x of values) {
            if (x === undefined) await db.query('CREATE (:A)');
            else await db.query('CREATE (:A {x: $x})', { x });
          }
          await db.query('CREATE (:B {x: 1})');
          const fused = `UNWIND range(1, ${copies}) AS u MATCH (n:A) WHERE n.x ${op} $v RETURN count(*) AS c, count(*) AS d`;
          const plain = `UNWIND range(1, ${copies}) AS u MATCH (n:A) WITH n WHERE n.x ${op} $v RETURN count(*) AS c, count(*) AS d`;
          const expected = (await db.query(plain, { v })).rows;
          expect((await db.query(fused, { v })).rows).toEqual(expected);
          expect((await db.query(`EXPLAIN ${fused}`, { v })).plan).toContain('NodeByLabelColumnCount');
          expect((await db.query(`EXPLAIN ${plain}`, { v })).plan).not.toContain('Count ');
          const all = `UNWIND range(1, ${copies}) AS u MATCH (n:A) RETURN count(*) AS c`;
          expect((await db.query(all)).rows).toEqual([{ c: BigInt(values.length * copies) }]);
          expect((await db.query(`EXPLAIN ${all}`)).plan).toContain('NodeByLabelCount');
        },
      ),
      { numRuns: 150, seed: 20261125 },
    );
  });

  it('returns one row with 0 when the label has no nodes or nothing passes', async () => {
    const db = await openGeode();
    expect((await db.query('MATCH (n:Missing) RETURN count(*) AS c')).rows).toEqual([{ c: 0n }]);
    expect((await db.query('MATCH (n:Missing) WHERE n.x > 1 RETURN count(*) AS c')).rows).toEqual([{ c: 0n }]);
    await db.query('UNWIND range(1, 5) AS i CREATE (:P {age: i})');
    expect((await db.query('MATCH (p:P) WHERE p.age > 10 RETURN count(*) AS c')).rows).toEqual([{ c: 0n }]);
    expect((await db.query('MATCH (p:P) WHERE p.age > null RETURN count(*) AS c')).rows).toEqual([{ c: 0n }]);
  });

  it('counts across many nodes, an integer equal to a float bound included', async () => {
    const db = await openGeode();
    await db.query('UNWIND range(0, 9999) AS i CREATE (:P {age: i % 100})');
    expect((await db.query('MATCH (p:P) WHERE p.age > 30 RETURN count(*) AS c')).rows).toEqual([{ c: 6900n }]);
    expect((await db.query('MATCH (p:P) WHERE p.age = 30.0 RETURN count(*) AS c')).rows).toEqual([{ c: 100n }]);
    expect((await db.query('MATCH (p:P) WHERE p.age >= $min RETURN count(*) AS c', { min: 99n })).rows).toEqual([{ c: 100n }]);
    expect((await db.query('MATCH (p:P) RETURN count(*) AS c')).rows).toEqual([{ c: 10000n }]);
  });

  it('sees the writes of earlier clauses in the same statement', async () => {
    const db = await openGeode();
    await db.query('UNWIND range(1, 10) AS i CREATE (:P {age: i})');
    const { rows } = await db.query('MATCH (p:P) WHERE p.age <= 3 SET p.age = 100 WITH count(*) AS c MATCH (q:P) WHERE q.age > 50 RETURN c, count(*) AS big');
    expect(rows).toEqual([{ c: 3n, big: 3n }]);
  });

  it('groups a large column with few distinct values exactly as a plain aggregation, group order included', async () => {
    const db = await openGeode();
    await db.query("UNWIND range(0, 4999) AS i CREATE (:P {c: CASE i % 7 WHEN 0 THEN null WHEN 1 THEN 1 WHEN 2 THEN 1.0 WHEN 3 THEN 'x' ELSE i % 5 END})");
    const fused = 'UNWIND [1, 2] AS u MATCH (p:P) RETURN p.c AS k, count(*) AS n';
    const plain = 'UNWIND [1, 2] AS u MATCH (p:P) WITH p WHERE true RETURN p.c AS k, count(*) AS n';
    expect((await db.query(`EXPLAIN ${fused}`)).plan).toContain('NodeByLabelGroupCount');
    const got = (await db.query(fused)).rows;
    expect(got).toEqual((await db.query(plain)).rows);
    expect(got.reduce((a, r) => a + (r['n'] as bigint), 0n)).toBe(10000n);
    // After a write the column and its coding are rebuilt.
    await db.query("MATCH (p:P) WHERE p.c = 'x' SET p.c = 'y'");
    expect((await db.query(fused)).rows).toEqual((await db.query(plain)).rows);
  });

  it('stops at the time limit like any scan', () => {
    const engine = new QueryEngine(new GraphStore());
    engine.run('UNWIND range(1, 20000) AS i CREATE (:P {age: i})', {});
    let now = 0;
    const slowClock = { timeoutMs: 5, now: () => (now += 10) };
    expect(() => engine.run('MATCH (p:P) WHERE p.age > 0 RETURN count(*) AS c', {}, slowClock)).toThrow(/time limit/);
    expect(engine.run('MATCH (p:P) WHERE p.age > 0 RETURN count(*) AS c', {}).rows).toEqual([[20000n]]);
  });
});
