import { describe, expect, it } from 'vitest';
import { GraphStore } from '../graph/index.ts';
import { isGeodeError } from '../util/errors.ts';
import type { HlcTimestamp } from './hlc.ts';
import { applyIfCommands, blockedByIntent, decideCommands, intents, prepareCommands, readRegister, resolveCommands, type Computed, type PrepareRequest } from './intents.ts';

const ts = (wall: number): HlcTimestamp => ({ wall, logical: 0 });
const apply = <T>(g: GraphStore, c: Computed<T>): T => {
  g.applyBatch(c.commands);
  return c.result;
};
const req = (txn: string, over: Partial<PrepareRequest> = {}): PrepareRequest => ({
  txn,
  record: 9,
  start: ts(10),
  timeoutMs: 1_000,
  isolation: 'snapshot',
  kv: [],
  reads: [],
  commands: [],
  participants: [1],
  deadline: 1_000,
  ...over,
});
const detailOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    if (isGeodeError(err)) return err.detail;
    throw err;
  }
  return undefined;
};
const commit = (g: GraphStore, txn: string, at: number): void => void apply(g, resolveCommands(g, txn, { decision: 'committed', ts: ts(at) }));

describe('participant state machine (intents in the group graph)', () => {
  it('a prepared write locks its key: a second prepare writing it is refused (no-wait), and the lock goes with the resolution', () => {
    const g = new GraphStore();
    apply(g, prepareCommands(g, req('t1', { kv: [['x', 1]] }), 0));
    expect(detailOf(() => prepareCommands(g, req('t2', { kv: [['x', 2]] }), 0))).toBe('Locked');
    apply(g, resolveCommands(g, 't1', { decision: 'aborted' }));
    expect(intents(g)).toEqual([]);
    expect(detailOf(() => prepareCommands(g, req('t2', { kv: [['x', 2]] }), 0))).toBeUndefined();
  });

  it('first committer wins: a transaction that started before a committed version of a key it writes is refused', () => {
    const g = new GraphStore();
    apply(g, prepareCommands(g, req('t1', { kv: [['x', 1]] }), 0));
    commit(g, 't1', 20);
    expect(detailOf(() => prepareCommands(g, req('t2', { start: ts(15), kv: [['x', 2]] }), 0))).toBe('WriteConflict');
    expect(detailOf(() => prepareCommands(g, req('t3', { start: ts(25), kv: [['x', 3]] }), 0))).toBeUndefined();
  });

  it('serializable validates reads: a key read that changed after the start is refused, a read-locked key refuses writers', () => {
    const g = new GraphStore();
    apply(g, prepareCommands(g, req('t1', { kv: [['x', 1]] }), 0));
    commit(g, 't1', 20);
    expect(detailOf(() => prepareCommands(g, req('t2', { start: ts(15), isolation: 'serializable', reads: ['x'], kv: [['y', 1]] }), 0))).toBe('ReadConflict');
    // Snapshot isolation does not look at reads.
    expect(detailOf(() => prepareCommands(g, req('t2', { start: ts(15), reads: ['x'], kv: [['y', 1]] }), 0))).toBeUndefined();
    apply(g, prepareCommands(g, req('t4', { start: ts(30), isolation: 'serializable', reads: ['x'], kv: [['z', 1]] }), 0));
    expect(detailOf(() => prepareCommands(g, req('t5', { start: ts(30), kv: [['x', 5]] }), 0))).toBe('Locked');
  });

  it('reads see the version at their snapshot, and wait on an intent that may commit at or before it', () => {
    const g = new GraphStore();
    for (const [txn, at, v] of [['a', 20, 1], ['b', 40, 2]] as const) {
      apply(g, prepareCommands(g, req(txn, { start: ts(at - 5), kv: [['x', v]] }), 0));
      commit(g, txn, at);
    }
    expect(readRegister(g, 'x', ts(10))).toEqual({ kind: 'value', value: undefined });
    expect(readRegister(g, 'x', ts(30))).toEqual({ kind: 'value', value: 1 });
    expect(readRegister(g, 'x', ts(40))).toEqual({ kind: 'value', value: 2 });
    apply(g, prepareCommands(g, req('c', { start: ts(50), kv: [['x', 3]] }), 0));
    expect(readRegister(g, 'x', ts(45))).toEqual({ kind: 'value', value: 2 });
    expect(readRegister(g, 'x', ts(60))).toMatchObject({ kind: 'locked', txn: 'c' });
  });

  it('raw commands that would not apply are refused at prepare and leave the graph as it was', () => {
    const g = new GraphStore();
    g.apply({ op: 'createNode', id: 1, labels: ['A'], props: [] });
    const before = JSON.stringify(g.snapshot());
    expect(() => prepareCommands(g, req('t', { commands: [{ op: 'createEdge', id: 1, type: 'R', src: 1, dst: 99, props: [] }] }), 0)).toThrow();
    expect(JSON.stringify(g.snapshot())).toBe(before);
    // Ones that do apply wait in the intent and apply at commit only.
    apply(g, prepareCommands(g, req('u', { commands: [{ op: 'createNode', id: 2, labels: ['B'], props: [] }] }), 0));
    expect(g.node(2)).toBeUndefined();
    commit(g, 'u', 5);
    expect(g.node(2)?.labels.has('B')).toBe(true);
  });

  it('a prepare that arrives after its transaction\'s deadline is refused (its record may be gone by then)', () => {
    const g = new GraphStore();
    expect(detailOf(() => prepareCommands(g, req('late', { deadline: 100, kv: [['x', 1]] }), 700, { maxSkewMs: 500 }))).toBe('TxnAborted');
    expect(intents(g)).toEqual([]);
  });

  it('the decision is first-writer-wins: after an abort is recorded a commit returns the abort', () => {
    const g = new GraphStore();
    expect(apply(g, decideCommands(g, 't', { decision: 'aborted' }, [1, 2], 0))).toEqual({ decision: 'aborted' });
    const late = decideCommands(g, 't', { decision: 'committed', ts: ts(5) }, [1, 2], 0);
    expect(late.commands).toEqual([]);
    expect(late.result).toEqual({ decision: 'aborted' });
  });

  it('a graph transaction under snapshot commits unless an entry after its read wrote a key it writes (first committer wins per key)', () => {
    const g = new GraphStore();
    const set = [{ op: 'createNode' as const, id: 5, labels: [], props: [] }];
    const written = (keys: string[]) => () => new Set(keys);
    expect(detailOf(() => prepareCommands(g, req('t1', { commands: set, expect: 7, check: 'keys' }), 0, { written: written(['n:5']) }))).toBe('WriteConflict');
    expect(detailOf(() => prepareCommands(g, req('t1', { commands: set, expect: 7, check: 'keys' }), 0, { written: () => undefined }))).toBe('SnapshotTooOld');
    expect(detailOf(() => applyIfCommands(g, set, 7, new Set(['n:5']), 'keys'))).toBe('WriteConflict');
    expect(applyIfCommands(g, set, 7, new Set(['n:6', 'e:5']), 'keys')).toEqual({ commands: set, result: 'applied' });
    expect(prepareCommands(g, req('t1', { commands: set, expect: 7, check: 'keys' }), 0, { written: written(['n:6']) }).commands.length).toBeGreaterThan(0);
  });

  it('a graph transaction under serializable commits only on a group whose data nothing wrote after its read, holding no intent', () => {
    const g = new GraphStore();
    const set = [{ op: 'createNode' as const, id: 5, labels: [], props: [] }];
    expect(detailOf(() => prepareCommands(g, req('t1', { commands: set, expect: 7 }), 0, { written: () => new Set(['n:6']) }))).toBe('WriteConflict');
    expect(detailOf(() => applyIfCommands(g, set, 7, new Set(['e:1']), 'data'))).toBe('WriteConflict');
    expect(applyIfCommands(g, set, 7, new Set(), 'data')).toEqual({ commands: set, result: 'applied' });
    apply(g, prepareCommands(g, req('t1', { commands: set, expect: 7 }), 0, { written: () => new Set() }));
    // Transaction bookkeeping (the state node the prepare wrote) is not data; the intent it left is.
    expect(detailOf(() => applyIfCommands(g, [{ op: 'createNode', id: 6, labels: [], props: [] }], 9, new Set([`n:${2 ** 52}`]), 'data'))).toBe('Locked');
    // Under snapshot a prepared transaction locks only its keys.
    expect(applyIfCommands(g, [{ op: 'createNode', id: 6, labels: [], props: [] }], 9, new Set(), 'keys').result).toBe('applied');
    expect(detailOf(() => applyIfCommands(g, [{ op: 'setNodeProperty', id: 5, key: 'x', value: 1n }], 9, new Set(), 'keys'))).toBe('Locked');
  });

  it('a write outside transactions is held off what a prepared transaction write-locks, not off anything else', () => {
    const g = new GraphStore();
    g.apply({ op: 'createNode', id: 5, labels: [], props: [] });
    g.apply({ op: 'createNode', id: 6, labels: [], props: [] });
    expect(blockedByIntent(g, [{ op: 'setNodeProperty', id: 5, key: 'x', value: 1n }])).toBe(false);
    apply(g, prepareCommands(g, req('t1', { commands: [{ op: 'setNodeProperty', id: 5, key: 'x', value: 2n }] }), 0));
    expect(blockedByIntent(g, [{ op: 'setNodeProperty', id: 5, key: 'x', value: 1n }])).toBe(true);
    expect(blockedByIntent(g, [{ op: 'createEdge', id: 9, type: 'T', src: 6, dst: 5, props: [] }])).toBe(true);
    expect(blockedByIntent(g, [{ op: 'setNodeProperty', id: 6, key: 'x', value: 1n }])).toBe(false);
    commit(g, 't1', 20);
    expect(blockedByIntent(g, [{ op: 'setNodeProperty', id: 5, key: 'x', value: 1n }])).toBe(false);
  });
});
