import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphStore } from '../graph/index.ts';
import { QueryEngine } from './index.ts';

/** Writes that succeed on their own; each run ends with a statement that fails after writing. */
const WRITES = [
  'UNWIND range(1, $n) AS i CREATE (:A {v: i})',
  'MATCH (a:A) WITH a LIMIT 3 CREATE (a)-[:R {w: 1}]->(:B)',
  'MATCH (a:A) SET a.v = a.v + 1, a:C',
  'MATCH (a:A) REMOVE a.v',
  'MATCH (b:B) DETACH DELETE b',
  'MATCH (a)-[r:R]->() DELETE r',
  'MERGE (m:M {k: $n}) ON MATCH SET m.hits = coalesce(m.hits, 0) + 1',
  'CREATE (:A {v: $n})-[:R]->(:A {v: $n})',
];

describe('statement atomicity', () => {
  it('a statement that fails after writing leaves the store exactly as before, ids included', () => {
    let writingRuns = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: WRITES.length - 1 }), fc.integer({ min: 0, max: 4 })), { maxLength: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: WRITES.length - 1 }), fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 4 }),
        (setup, failing) => {
          const store = new GraphStore();
          const engine = new QueryEngine(store);
          for (const [w, n] of setup) engine.run(WRITES[w]!, { n: BigInt(n) });
          const before = store.snapshot();
          const nextNode = store.peekNextNodeId();
          const nextEdge = store.peekNextEdgeId();
          // One statement: several writes, then a division by zero.
          const parts = failing.map(([w], i) => `CALL { ${WRITES[w]!.replaceAll('$n', String(i + 1))} } `);
          const text = `${parts.join('')}WITH 1 AS one RETURN 1 / 0 AS boom`;
          // The same writes without the failure do write something (so the rollback is not vacuous).
          const twin = GraphStore.restore(before);
          const wrote = new QueryEngine(twin).run(`${parts.join('')}RETURN 1 AS fine`, {}).commands.length;
          if (wrote > 0) writingRuns++;
          expect(() => engine.run(text, {})).toThrow(/division by zero|DivisionByZero|by zero/i);
          expect(store.snapshot()).toEqual(before);
          expect(store.peekNextNodeId()).toBe(nextNode);
          expect(store.peekNextEdgeId()).toBe(nextEdge);
          expect(store.checkConsistency()).toEqual([]);
        },
      ),
      { numRuns: 200, seed: 7 },
    );
    expect(writingRuns).toBeGreaterThan(100);
  });

  it('each kind of write is undone when the statement fails at its end', () => {
    for (const write of WRITES) {
      const store = new GraphStore();
      const engine = new QueryEngine(store);
      engine.run(WRITES[0]!, { n: 3n });
      engine.run(WRITES[1]!, {});
      const before = store.snapshot();
      const tail = write.startsWith('MERGE') || write.startsWith('CREATE') || write.startsWith('UNWIND') ? ' WITH 1 AS one' : ' WITH count(*) AS c';
      expect(() => engine.run(`${write}${tail} RETURN 1 / 0 AS boom`, { n: 2n })).toThrow();
      expect(store.snapshot()).toEqual(before);
      expect(store.checkConsistency()).toEqual([]);
    }
  });
});

describe('commands a caller appends to a statement', () => {
  it('are part of its commands and its rollback undoes them first, leaving the store as before', () => {
    const store = new GraphStore();
    const engine = new QueryEngine(store);
    engine.run('CREATE (:A {v: 1})', {});
    const before = store.snapshot();
    const nextNode = store.peekNextNodeId();
    const r = engine.run('CREATE (n:A {v: 2})', {});
    // As a host's write hook does: apply a command after the statement, then append it.
    const extra = { op: 'setMeta', key: 'f/test', value: 7 } as const;
    r.append!(extra, store.apply(extra));
    expect(r.commands.at(-1)).toEqual(extra);
    expect(store.meta('f/test')).toBe(7);
    r.rollback();
    expect(store.meta('f/test')).toBeUndefined();
    expect(store.snapshot()).toEqual(before);
    expect(store.peekNextNodeId()).toBe(nextNode);
  });
});
