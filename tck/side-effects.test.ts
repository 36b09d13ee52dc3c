import { describe, expect, it } from 'vitest';
import { GraphStore } from '../src/graph/index.ts';
import { compareSideEffects, diffSnapshots, noSideEffects, parseSideEffectsTable, snapshotGraph } from './side-effects.ts';

function seeded(): GraphStore {
  const g = new GraphStore();
  g.apply({ op: 'createNode', id: 1, labels: ['A'], props: [['num', 1n]] });
  g.apply({ op: 'createNode', id: 2, labels: ['A', 'B'], props: [] });
  g.apply({ op: 'createEdge', id: 1, type: 'R', src: 1, dst: 2, props: [['w', 0.5]] });
  return g;
}

describe('side effects by graph diff', () => {
  it('counts created nodes, relationships, new labels and their properties', () => {
    const g = seeded();
    const before = snapshotGraph(g);
    g.apply({ op: 'createNode', id: 3, labels: ['C', 'A'], props: [['x', 'y'], ['z', [1n, 2n]]] });
    g.apply({ op: 'createEdge', id: 2, type: 'T', src: 3, dst: 1, props: [] });
    expect(diffSnapshots(before, snapshotGraph(g))).toEqual({ ...noSideEffects(), '+nodes': 1, '+relationships': 1, '+labels': 1, '+properties': 2 });
  });

  it('counts the properties of deleted entities as removed, and labels no longer used anywhere', () => {
    const g = seeded();
    const before = snapshotGraph(g);
    g.apply({ op: 'deleteEdge', id: 1 });
    g.apply({ op: 'deleteNode', id: 2 });
    expect(diffSnapshots(before, snapshotGraph(g))).toEqual({ ...noSideEffects(), '-nodes': 1, '-relationships': 1, '-labels': 1, '-properties': 1 });
  });

  it('counts a changed value as one removed and one added property; an equal value as nothing', () => {
    const g = seeded();
    const before = snapshotGraph(g);
    g.apply({ op: 'setNodeProperty', id: 1, key: 'num', value: 1.0 }); // integer 1 -> float 1.0 is a change
    g.apply({ op: 'setEdgeProperty', id: 1, key: 'w', value: 0.5 });
    expect(diffSnapshots(before, snapshotGraph(g))).toEqual({ ...noSideEffects(), '+properties': 1, '-properties': 1 });
  });

  it('reads expected tables with missing rows as 0 and reports differences by name', () => {
    const expected = parseSideEffectsTable([['+nodes', '1'], ['-properties', '2']]);
    expect(expected).toEqual({ ...noSideEffects(), '+nodes': 1, '-properties': 2 });
    expect(compareSideEffects(expected, expected)).toBeUndefined();
    expect(compareSideEffects(expected, noSideEffects())).toBe('side effects differ: +nodes expected 1, got 0; -properties expected 2, got 0');
    expect(() => parseSideEffectsTable([['+things', '1']])).toThrow(/unknown side effect/);
  });
});
