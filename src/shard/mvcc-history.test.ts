/**
 * MvccHistory, the pure core of a group replica's MVCC history: undoing the entries after an
 * index restores the graph there and redoing them restores it exactly; the bound and the pins
 * decide what is kept; a read below the floor is refused.
 */
import { describe, expect, it } from 'vitest';
import { GraphStore, type GraphCommand } from '../graph/index.ts';
import { entryKeys, MvccHistory } from './mvcc-history.ts';

/** Applies `commands` as entry `index` of `graph` and pushes it to `h` (as a follower's apply does). */
function applyEntry(h: MvccHistory, graph: GraphStore, index: number, commands: GraphCommand[], now = 0): void {
  const undo = commands.map((c) => graph.apply(c));
  const { keys, schema } = entryKeys(commands);
  h.push({ index, keys, commands, schema, undo: () => { for (let i = undo.length - 1; i >= 0; i--) for (const u of undo[i]!) graph.apply(u); } }, now);
}

const json = (g: GraphStore): string => JSON.stringify(g.snapshot(), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

describe('MvccHistory', () => {
  it('undoing the entries after an index gives the graph at that index; redoing them gives the graph back exactly', () => {
    const g = new GraphStore();
    const h = new MvccHistory(0, 100, 100);
    const states = [json(g)];
    applyEntry(h, g, 1, [{ op: 'createNode', id: 1, labels: ['A'], props: [['x', 1n]] }]);
    states.push(json(g));
    applyEntry(h, g, 2, [{ op: 'createNode', id: 2, labels: ['A'], props: [] }, { op: 'createEdge', id: 1, type: 'T', src: 1, dst: 2, props: [] }]);
    states.push(json(g));
    applyEntry(h, g, 3, [{ op: 'setNodeProperty', id: 1, key: 'x', value: 2n }, { op: 'deleteEdge', id: 1 }]);
    states.push(json(g));
    const now = json(g);
    for (const at of [0, 1, 2]) {
      const undone = h.after(at)!;
      for (let i = undone.length - 1; i >= 0; i--) undone[i]!.undo();
      expect(json(g)).toBe(states[at]);
      for (const e of undone) for (const c of e.commands) g.applyWithoutUndo(c);
      expect(json(g)).toBe(now);
    }
  });

  it('records the nodes and edges each entry wrote, the ends of an edge created included', () => {
    expect(entryKeys([{ op: 'createEdge', id: 4, type: 'T', src: 1, dst: 2, props: [] }, { op: 'setEdgeProperty', id: 5, key: 'k', value: 1n }]).keys.sort()).toEqual(['e:4', 'e:5', 'n:1', 'n:2']);
    expect(entryKeys([{ op: 'createIndex', name: 'i', label: 'A', keys: ['x'] }])).toEqual({ keys: [], schema: true });
  });

  it('keeps at most its bound: a read older than what is kept is refused (undefined)', () => {
    const g = new GraphStore();
    const h = new MvccHistory(0, 3, 3);
    for (let i = 1; i <= 6; i++) applyEntry(h, g, i, [{ op: 'createNode', id: i, labels: [], props: [] }]);
    expect(h.size).toBe(3);
    expect(h.floor).toBe(3);
    expect(h.after(2)).toBeUndefined();
    expect(h.after(3)!.map((e) => e.index)).toEqual([4, 5, 6]);
  });

  it('keeps what a pin needs beyond the recent window, and collects it once the pin is released or past its deadline', () => {
    const g = new GraphStore();
    const h = new MvccHistory(0, 100, 2);
    applyEntry(h, g, 1, [{ op: 'createNode', id: 1, labels: [], props: [] }]);
    const release = h.pin(1, 1_000);
    h.pin(1, 50); // lapses at 50
    for (let i = 2; i <= 10; i++) applyEntry(h, g, i, [{ op: 'setNodeProperty', id: 1, key: 'x', value: BigInt(i) }], 10);
    expect(h.size).toBe(9); // entry 1 itself is not needed to read at 1
    expect(h.pins).toBe(2);
    release();
    h.collect(10, 10);
    expect(h.size).toBe(9); // the second pin still holds it
    h.collect(60, 10);
    expect(h.pins).toBe(0);
    expect(h.size).toBe(2);
    expect(h.floor).toBe(8);
    expect(h.after(7)).toBeUndefined();
  });
});
