import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareStamps, LwwGraph, type ChangeStamp, type GraphChange } from './lww-graph.ts';

const stampArb: fc.Arbitrary<ChangeStamp> = fc.record({
  hlc: fc.record({ wall: fc.integer({ min: 0, max: 20 }), logical: fc.integer({ min: 0, max: 3 }) }),
  origin: fc.constantFrom('us', 'eu', 'ap'),
});
const id = fc.constantFrom('n1', 'n2', 'n3');
const changeArb: fc.Arbitrary<GraphChange> = fc.oneof(
  fc.record({ kind: fc.constant('node' as const), id, exists: fc.boolean(), stamp: stampArb }),
  fc.record({ kind: fc.constant('label' as const), id, label: fc.constantFrom('A', 'B'), present: fc.boolean(), stamp: stampArb }),
  fc.record({ kind: fc.constant('prop' as const), id, key: fc.constantFrom('x', 'y'), value: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 9 }).map(BigInt), fc.string({ maxLength: 3 })), stamp: stampArb }),
  fc.record({ kind: fc.constant('edge' as const), id: fc.constantFrom('e1', 'e2'), type: fc.constant('R'), src: id, dst: id, exists: fc.boolean(), stamp: stampArb }),
  fc.record({ kind: fc.constant('edgeProp' as const), id: fc.constantFrom('e1', 'e2'), key: fc.constant('w'), value: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 9 }).map(BigInt)), stamp: stampArb }),
);

/** Changes with distinct stamps per register (what real clusters produce: one HLC per change). */
const historyArb = fc.array(changeArb, { maxLength: 60 }).map((cs) => {
  const seen = new Set<string>();
  return cs.filter((c) => {
    const k = `${c.kind}|${c.id}|${'label' in c ? c.label : 'key' in c ? c.key : ''}|${c.stamp.hlc.wall}.${c.stamp.hlc.logical}|${c.stamp.origin}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
});

function state(g: LwwGraph): string {
  return JSON.stringify({ nodes: g.nodes(), edges: g.edges() }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

function build(changes: readonly GraphChange[]): LwwGraph {
  const g = new LwwGraph();
  for (const c of changes) g.apply(c);
  return g;
}

describe('LwwGraph', () => {
  it('converges: any order, with any repeats, gives the same graph', () => {
    fc.assert(
      fc.property(historyArb, fc.array(fc.nat()), (changes, picks) => {
        const shuffled = [...changes].sort((a, b) => (picks[changes.indexOf(a)] ?? 0) - (picks[changes.indexOf(b)] ?? 0));
        const repeated = [...shuffled, ...shuffled.filter((_, i) => (picks[i] ?? 0) % 2 === 0)];
        expect(state(build(repeated))).toBe(state(build(changes)));
      }),
    );
  });

  it('keeps each property the value of its latest change by (HLC, cluster id)', () => {
    fc.assert(
      fc.property(historyArb, (changes) => {
        const g = build(changes);
        const visible = new Map(g.nodes().map((n) => [n.id, n]));
        for (const n of visible.values()) {
          for (const key of ['x', 'y']) {
            const writes = changes.filter((c): c is Extract<GraphChange, { kind: 'prop' }> => c.kind === 'prop' && c.id === n.id && c.key === key);
            const latest = writes.sort((a, b) => compareStamps(b.stamp, a.stamp))[0];
            expect(n.props[key] ?? null).toEqual(latest?.value ?? null);
          }
        }
      }),
    );
  });

  it('lets a delete beat an older create that arrives later, and a newer create win back', () => {
    const at = (wall: number, origin = 'us'): ChangeStamp => ({ hlc: { wall, logical: 0 }, origin });
    const g = new LwwGraph();
    g.apply({ kind: 'node', id: 'n', exists: false, stamp: at(5) });
    expect(g.apply({ kind: 'node', id: 'n', exists: true, stamp: at(4, 'eu') })).toBe(false);
    expect(g.nodes()).toEqual([]);
    g.apply({ kind: 'node', id: 'n', exists: true, stamp: at(6, 'ap') });
    expect(g.nodes().map((n) => n.id)).toEqual(['n']);
    // Same time: the larger cluster id wins the tie.
    g.apply({ kind: 'prop', id: 'n', key: 'k', value: 'from-eu', stamp: at(7, 'eu') });
    g.apply({ kind: 'prop', id: 'n', key: 'k', value: 'from-ap', stamp: at(7, 'ap') });
    expect(g.nodes()[0]!.props['k']).toBe('from-eu');
    expect(g.propertyStamp('n', 'k')).toEqual(at(7, 'eu'));
  });

  it('hides an edge while either end is deleted', () => {
    const at = (wall: number): ChangeStamp => ({ hlc: { wall, logical: 0 }, origin: 'us' });
    const g = build([
      { kind: 'node', id: 'a', exists: true, stamp: at(1) },
      { kind: 'node', id: 'b', exists: true, stamp: at(1) },
      { kind: 'edge', id: 'e', type: 'R', src: 'a', dst: 'b', exists: true, stamp: at(2) },
    ]);
    expect(g.edges()).toHaveLength(1);
    g.apply({ kind: 'node', id: 'b', exists: false, stamp: at(3) });
    expect(g.edges()).toHaveLength(0);
  });

  it('collects tombstones everyone acknowledged without letting an old write come back', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 0, max: 20 }), (changes, w) => {
        const watermark: ChangeStamp = { hlc: { wall: w, logical: 9 }, origin: 'zz' };
        const g = build(changes);
        const before = state(g);
        g.collect(watermark);
        expect(state(g)).toBe(before);
        // Every cluster applied the changes at or below the watermark: re-delivering them changes nothing.
        for (const c of changes) if (compareStamps(c.stamp, watermark) <= 0) g.apply(c);
        expect(state(g)).toBe(before);
        // And what comes after still merges as without collection.
        const reference = build(changes);
        for (const c of changes) if (compareStamps(c.stamp, watermark) > 0) g.apply(c);
        expect(state(g)).toBe(state(reference));
      }),
    );
  });
});
