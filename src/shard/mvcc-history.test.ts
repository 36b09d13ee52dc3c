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

  it('keeps at most its bound of commands in all: large entries push older ones out', () => {
    const g = new GraphStore();
    const h = new MvccHistory(0, 100, 100, 10);
    applyEntry(h, g, 1, [{ op: 'createNode', id: 1, labels: [], props: [] }]);
    const big: GraphCommand[] = [];
    for (let i = 0; i < 6; i++) big.push({ op: 'setNodeProperty', id: 1, key: `k${i}`, value: 1n });
    applyEntry(h, g, 2, big);
    expect(h.size).toBe(2);
    applyEntry(h, g, 3, big.map((c) => ({ ...c, value: 2n }) as GraphCommand));
    expect(h.after(1)).toBeUndefined();
    expect(h.after(2)!.map((e) => e.index)).toEqual([3]);
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

describe('MvccHistory timestamps', () => {
  const at = (wall: number, logical = 0) => ({ wall, logical });
  const push = (h: MvccHistory, index: number, wall: number | undefined, now = 0): void =>
    h.push({ index, keys: [`n:${index}`], commands: [{ op: 'createNode', id: index, labels: [], props: [] }], schema: false, undo: () => {}, stamp: wall === undefined ? undefined : at(wall) }, now);

  it('maps a snapshot timestamp to the version then: the last entry stamped at or before it, or the floor', () => {
    const h = new MvccHistory(10, 100, 100, undefined, 0, at(50));
    push(h, 12, 100);
    push(h, 15, 200);
    push(h, 16, 300);
    expect(h.indexAt(at(300))).toEqual({ index: 16 });
    expect(h.indexAt(at(299, 7))).toEqual({ index: 15 });
    expect(h.indexAt(at(100))).toEqual({ index: 12 });
    expect(h.indexAt(at(99))).toEqual({ index: 10 });
    expect(h.indexAt(at(49))).toEqual({ tooOld: true, unstamped: false });
    expect([h.stampAt(14), h.stampAt(16), h.stampAt(10), h.stampAt(9)]).toEqual([at(100), at(300), at(50), undefined]);
    expect(h.newestStamp).toEqual(at(300));
  });

  it('keeps unpinned entries for the retention time, then collects them, and the floor remembers the version collected', () => {
    const h = new MvccHistory(0, 100, 0, undefined, 1_000);
    push(h, 1, 100, 0);
    push(h, 2, 200, 500);
    expect(h.indexAt(at(150))).toEqual({ index: 1 });
    push(h, 3, 300, 1_200); // entry 1 is now 1,200 ms old: gone; the floor is its version
    expect(h.size).toBe(2);
    expect(h.floor).toBe(1);
    expect(h.indexAt(at(150))).toEqual({ index: 1 });
    expect(h.indexAt(at(99))).toEqual({ tooOld: true, unstamped: false });
  });

  it('refuses to place a timestamp across an unstamped entry, and an entry stamped before the one it follows is a bug', () => {
    const h = new MvccHistory(0, 100, 100);
    push(h, 1, undefined);
    push(h, 2, 200);
    expect(h.indexAt(at(100))).toEqual({ tooOld: true, unstamped: true });
    expect(() => push(h, 3, 150)).toThrow(/not after/);
  });
});
