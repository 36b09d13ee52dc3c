/**
 * The planner checked against a naive twin on random small graphs: whatever start, index or
 * filter placement the planner picks, the rows are the ones a brute-force evaluation gives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphStore } from '../graph/index.ts';
import type { NodeRecord } from '../graph/index.ts';
import { QueryEngine } from './engine.ts';

interface RandomGraph {
  readonly nodes: { label: 'A' | 'B'; k: bigint }[];
  readonly edges: { src: number; dst: number; type: 'R' | 'S' }[];
}

const graphArb: fc.Arbitrary<RandomGraph> = fc
  .array(fc.record({ label: fc.constantFrom('A' as const, 'B' as const), k: fc.bigInt({ min: 0n, max: 4n }) }), { minLength: 1, maxLength: 12 })
  .chain((nodes) =>
    fc.record({
      nodes: fc.constant(nodes),
      edges: fc.array(
        fc.record({
          src: fc.nat({ max: nodes.length - 1 }),
          dst: fc.nat({ max: nodes.length - 1 }),
          type: fc.constantFrom('R' as const, 'S' as const),
        }),
        { maxLength: 20 },
      ),
    }),
  );

function load(g: RandomGraph, withIndex: boolean): { store: GraphStore; engine: QueryEngine } {
  const store = new GraphStore();
  const engine = new QueryEngine(store);
  if (withIndex) engine.run('CREATE INDEX FOR (n:A) ON (n.k)', {});
  engine.run('UNWIND $nodes AS n CREATE (x {i: n.i, k: n.k}) WITH x, n CALL { WITH x, n WITH x WHERE n.label = "A" SET x:A } CALL { WITH x, n WITH x WHERE n.label = "B" SET x:B }', {
    nodes: g.nodes.map((n, i) => ({ i: BigInt(i), k: n.k, label: n.label }) as never),
  });
  engine.run('UNWIND $edges AS e MATCH (a {i: e.src}), (b {i: e.dst}) CALL { WITH a, b, e WITH a, b WHERE e.type = "R" CREATE (a)-[:R]->(b) } CALL { WITH a, b, e WITH a, b WHERE e.type = "S" CREATE (a)-[:S]->(b) }', {
    edges: g.edges.map((e) => ({ src: BigInt(e.src), dst: BigInt(e.dst), type: e.type }) as never),
  });
  return { store, engine };
}

const sorted = (rows: readonly (readonly unknown[])[]): string[] =>
  rows.map((r) => r.map((v) => String(v)).join(',')).sort();

describe('planner against a naive twin', () => {
  it('an index seek returns the same nodes as a label scan with a filter', () => {
    fc.assert(
      fc.property(graphArb, fc.bigInt({ min: 0n, max: 4n }), (g, k) => {
        const q = 'MATCH (n:A {k: $k}) RETURN n.i';
        const plain = load(g, false).engine.run(q, { k });
        const indexed = load(g, true);
        expect(indexed.engine.run(`EXPLAIN ${q}`, {}).plan).toContain('NodeIndexSeek');
        expect(sorted(indexed.engine.run(q, { k }).rows)).toEqual(sorted(plain.rows));
        const naive = g.nodes.flatMap((n, i) => (n.label === 'A' && n.k === k ? [[BigInt(i)]] : []));
        expect(sorted(plain.rows)).toEqual(sorted(naive));
      }),
      { numRuns: 60 },
    );
  });

  it('pushed-down predicates give the rows of brute-force filtering over all edge pairs', () => {
    fc.assert(
      fc.property(graphArb, fc.bigInt({ min: 0n, max: 4n }), (g, k) => {
        const { engine } = load(g, false);
        const q = 'MATCH (a:A)-[r:R]->(b)-[s]->(c) WHERE a.k = $k AND c.k >= b.k RETURN a.i, b.i, c.i';
        const got = engine.run(q, { k }).rows;
        const naive: bigint[][] = [];
        g.edges.forEach((r, ri) => {
          if (r.type !== 'R' || g.nodes[r.src]!.label !== 'A' || g.nodes[r.src]!.k !== k) return;
          g.edges.forEach((s, si) => {
            if (si === ri || s.src !== r.dst) return;
            if (g.nodes[s.dst]!.k >= g.nodes[r.dst]!.k) naive.push([BigInt(r.src), BigInt(r.dst), BigInt(s.dst)]);
          });
        });
        expect(sorted(got)).toEqual(sorted(naive));
        // The same query with the filter after a projection (no pushdown) agrees.
        const late = engine.run('MATCH (a:A)-[r:R]->(b)-[s]->(c) WITH a, b, c WHERE a.k = $k AND c.k >= b.k RETURN a.i, b.i, c.i', { k }).rows;
        expect(sorted(late)).toEqual(sorted(got));
      }),
      { numRuns: 60 },
    );
  });

  it('variable-length matches equal the naive enumeration of edge-distinct walks', () => {
    fc.assert(
      fc.property(graphArb, (g) => {
        const { engine } = load(g, false);
        const got = engine.run('MATCH (a {i: 0})-[*1..3]->(b) RETURN b.i', {}).rows;
        const naive: bigint[][] = [];
        const walk = (node: number, used: Set<number>, depth: number): void => {
          if (depth >= 1) naive.push([BigInt(node)]);
          if (depth === 3) return;
          g.edges.forEach((e, ei) => {
            if (e.src !== node || used.has(ei)) return;
            used.add(ei);
            walk(e.dst, used, depth + 1);
            used.delete(ei);
          });
        };
        walk(0, new Set(), 0);
        expect(sorted(got)).toEqual(sorted(naive));
      }),
      { numRuns: 60 },
    );
  });

  it('a statement that fails after writing leaves the store exactly as it was', () => {
    fc.assert(
      fc.property(graphArb, (g) => {
        const { store, engine } = load(g, false);
        const before = JSON.stringify(store.snapshot(), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
        expect(() =>
          engine.run('MATCH (n) SET n.k = n.k + 1, n:Z CREATE (n)-[:T]->(:New) WITH n DETACH DELETE n WITH 1 AS one RETURN 1 / 0', {}),
        ).toThrow();
        const after = JSON.stringify(store.snapshot(), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
        expect(after).toEqual(before);
        expect(store.checkConsistency()).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('plan shape', () => {
  it('a bound variable is preferred as the start of a later pattern', () => {
    const store = new GraphStore();
    const engine = new QueryEngine(store);
    const plan = engine.run('EXPLAIN MATCH (a:A) MATCH (b)-->(a) RETURN b', {}).plan!;
    const lines = plan.split('\n');
    expect(lines[0]).toContain('NodeByLabelScan');
    expect(lines.some((l) => l.startsWith('AllNodesScan'))).toBe(false);
  });

  it('the nodes a scan returns are live records', () => {
    const store = new GraphStore();
    const engine = new QueryEngine(store);
    engine.run('CREATE (:A {v: 1})', {});
    const n = engine.run('MATCH (n:A) RETURN n', {}).rows[0]![0] as NodeRecord;
    expect(n.props.get('v')).toBe(1n);
  });
});
