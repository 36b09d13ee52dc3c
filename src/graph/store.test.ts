import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { inByType, outByType, TYPE_CACHE_MIN_DEGREE } from './adjacency.ts';
import { EMPTY_PROPS } from './records.ts';
import { GraphStore } from './store.ts';
import type { GraphCommand, GraphSnapshot } from './types.ts';

function expectError(f: () => unknown, code: string, detail?: string): string {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(isGeodeError(caught), `expected a GeodeError, got ${String(caught)}`).toBe(true);
  if (!isGeodeError(caught)) return '';
  expect(caught.code).toBe(code);
  if (detail !== undefined) expect(caught.detail).toBe(detail);
  return caught.message;
}

/** Applies `command` expecting a refusal with `code`, and checks that nothing changed. */
function expectRefused(store: GraphStore, command: GraphCommand, code: string, detail?: string): string {
  const before = store.snapshot();
  const message = expectError(() => store.apply(command), code, detail);
  expect(store.snapshot()).toEqual(before);
  expect(store.checkConsistency()).toEqual([]);
  return message;
}

function person(id: number, props: [string, bigint | number | string | boolean][] = []): GraphCommand {
  return { op: 'createNode', id, labels: ['Person'], props };
}

/** Applies `command`, then its undo, and checks the snapshot went back exactly. */
function applyAndUndo(store: GraphStore, command: GraphCommand): GraphSnapshot {
  const before = store.snapshot();
  const undo = store.apply(command);
  const after = store.snapshot();
  expect(store.checkConsistency()).toEqual([]);
  for (const u of undo) store.apply(u);
  expect(store.snapshot()).toEqual(before);
  expect(store.checkConsistency()).toEqual([]);
  for (const u of undo) void u;
  // Redo, to leave the store in the "after" state for the next step.
  store.apply(command);
  expect(store.snapshot()).toEqual(after);
  return after;
}

function ids(nodes: Iterable<{ id: number }> | undefined): number[] {
  return nodes === undefined ? [] : Array.from(nodes, (n) => n.id).sort((a, b) => a - b);
}

describe('GraphStore commands', () => {
  it('creates nodes with labels and properties, and counts them', () => {
    const s = new GraphStore();
    s.apply({ op: 'createNode', id: 1, labels: ['Person', 'Admin'], props: [['name', 'Ada'], ['age', 36n]] });
    const n = s.node(1)!;
    expect([...n.labels]).toEqual(['Person', 'Admin']);
    expect(n.props.get('name')).toBe('Ada');
    expect(n.props.get('age')).toBe(36n);
    expect(s.nodeCount).toBe(1);
    expect(s.labelCount('Person')).toBe(1);
    expect(s.labels()).toEqual(['Admin', 'Person']);
    expect(s.propertyKeys()).toEqual(['age', 'name']);
    expect(s.peekNextNodeId()).toBe(2);
  });

  it('changes the labels of one node only, though nodes with equal labels share a label set', () => {
    const s = new GraphStore();
    s.apply({ op: 'createNode', id: 1, labels: ['A', 'B', 'A'], props: [] });
    s.apply({ op: 'createNode', id: 2, labels: ['A', 'B'], props: [] });
    s.apply({ op: 'createNode', id: 3, labels: ['\u0000'], props: [] });
    s.apply({ op: 'createNode', id: 4, labels: [], props: [] });
    s.apply({ op: 'addLabel', id: 1, label: 'C' });
    s.apply({ op: 'removeLabel', id: 2, label: 'A' });
    expect([...s.node(1)!.labels]).toEqual(['A', 'B', 'C']);
    expect([...s.node(2)!.labels]).toEqual(['B']);
    expect([...s.node(3)!.labels]).toEqual(['\u0000']);
    expect([...s.node(4)!.labels]).toEqual([]);
    s.apply({ op: 'createNode', id: 5, labels: ['A', 'B'], props: [] });
    expect([...s.node(5)!.labels]).toEqual(['A', 'B']);
    expect(ids(s.nodesByLabel('A'))).toEqual([1, 5]);
    expect(ids(s.nodesByLabel('C'))).toEqual([1]);
    expect(s.checkConsistency()).toEqual([]);
  });

  it('undoes every kind of command exactly, counters included', () => {
    const s = new GraphStore();
    applyAndUndo(s, person(1, [['name', 'Ada']]));
    applyAndUndo(s, person(2));
    applyAndUndo(s, { op: 'createEdge', id: 1, type: 'KNOWS', src: 1, dst: 2, props: [['since', 2020n]] });
    applyAndUndo(s, { op: 'createEdge', id: 2, type: 'LIKES', src: 2, dst: 2, props: [] });
    applyAndUndo(s, { op: 'setNodeProperty', id: 1, key: 'name', value: 'Grace' });
    applyAndUndo(s, { op: 'setNodeProperty', id: 1, key: 'tags', value: ['a', 'b'] });
    applyAndUndo(s, { op: 'setNodeProperty', id: 1, key: 'name', value: null });
    applyAndUndo(s, { op: 'setEdgeProperty', id: 1, key: 'since', value: 1999n });
    applyAndUndo(s, { op: 'setEdgeProperty', id: 2, key: 'w', value: 0.5 });
    applyAndUndo(s, { op: 'setEdgeProperty', id: 1, key: 'since', value: null });
    applyAndUndo(s, { op: 'addLabel', id: 2, label: 'Robot' });
    applyAndUndo(s, { op: 'removeLabel', id: 1, label: 'Person' });
    applyAndUndo(s, { op: 'createIndex', name: 'ix', label: 'Person', keys: ['name'] });
    applyAndUndo(s, { op: 'createConstraint', name: 'uq', label: 'Robot', keys: ['serial'], kind: 'unique' });
    applyAndUndo(s, { op: 'dropIndex', name: 'ix' });
    applyAndUndo(s, { op: 'dropConstraint', name: 'uq' });
    applyAndUndo(s, { op: 'deleteEdge', id: 2 });
    applyAndUndo(s, { op: 'deleteEdge', id: 1 });
    applyAndUndo(s, { op: 'deleteNode', id: 2 });
    expect(s.peekNextNodeId()).toBe(3);
    expect(s.peekNextEdgeId()).toBe(3);
  });

  it('rewinds the next id when a creation is undone, and never reuses a deleted id otherwise', () => {
    const s = new GraphStore();
    const undo = s.apply(person(1));
    expect(s.peekNextNodeId()).toBe(2);
    for (const u of undo) s.apply(u);
    expect(s.peekNextNodeId()).toBe(1);
    s.apply(person(1));
    s.apply({ op: 'deleteNode', id: 1 });
    expect(s.peekNextNodeId()).toBe(2);
    s.apply(person(10));
    expect(s.peekNextNodeId()).toBe(11);
  });

  it('refuses a rewind that would let a live id be allocated again', () => {
    const s = new GraphStore();
    s.apply(person(1));
    s.apply(person(2));
    expectRefused(s, { op: 'deleteNode', id: 2, rewindNextId: 1 }, 'INPUT_INVALID');
    expectRefused(s, { op: 'deleteNode', id: 1, rewindNextId: 1 }, 'INPUT_INVALID');
  });

  it('treats no-op writes as no-ops with nothing to undo', () => {
    const s = new GraphStore();
    s.apply(person(1));
    expect(s.apply({ op: 'addLabel', id: 1, label: 'Person' })).toEqual([]);
    expect(s.apply({ op: 'removeLabel', id: 1, label: 'Nope' })).toEqual([]);
    expect(s.apply({ op: 'setNodeProperty', id: 1, key: 'x', value: null })).toEqual([]);
  });

  it('removes a property when it is set to null, and forgets unused keys, labels and types', () => {
    const s = new GraphStore();
    s.apply(person(1, [['name', 'Ada']]));
    s.apply(person(2));
    s.apply({ op: 'createEdge', id: 1, type: 'KNOWS', src: 1, dst: 2, props: [] });
    s.apply({ op: 'setNodeProperty', id: 1, key: 'name', value: null });
    expect(s.node(1)!.props.has('name')).toBe(false);
    expect(s.node(1)!.props).toBe(EMPTY_PROPS);
    expect(s.propertyKeys()).toEqual([]);
    s.apply({ op: 'deleteEdge', id: 1 });
    expect(s.relationshipTypes()).toEqual([]);
    s.apply({ op: 'removeLabel', id: 1, label: 'Person' });
    s.apply({ op: 'deleteNode', id: 2 });
    expect(s.labels()).toEqual([]);
  });

  it('shares one read-only empty map among records without properties', () => {
    const s = new GraphStore();
    s.apply(person(1));
    s.apply(person(2));
    expect(s.node(1)!.props).toBe(s.node(2)!.props);
    expect(() => s.node(1)!.props.set('x', 1n)).toThrow(/read-only/);
    s.apply({ op: 'setNodeProperty', id: 1, key: 'x', value: 1n });
    expect(s.node(1)!.props).not.toBe(EMPTY_PROPS);
    expect(s.node(2)!.props.size).toBe(0);
  });

  it('marks deleted records and drops them from every index', () => {
    const s = new GraphStore();
    s.apply({ op: 'createIndex', name: 'ix', label: 'Person', keys: ['name'] });
    s.apply(person(1, [['name', 'Ada']]));
    const n = s.node(1)!;
    s.apply({ op: 'deleteNode', id: 1 });
    expect(n.deleted).toBe(true);
    expect(s.node(1)).toBeUndefined();
    expect(s.labelCount('Person')).toBe(0);
    expect(s.lookupIndex('Person', 'name', 'Ada')).toEqual([]);
    expect([...s.nodes()]).toEqual([]);
  });
});

describe('GraphStore refusals change nothing', () => {
  function seeded(): GraphStore {
    const s = new GraphStore();
    s.apply(person(1, [['name', 'Ada']]));
    s.apply(person(2, [['name', 'Bob']]));
    s.apply({ op: 'createEdge', id: 1, type: 'KNOWS', src: 1, dst: 2, props: [] });
    s.apply({ op: 'createConstraint', name: 'uq_name', label: 'Person', keys: ['name'], kind: 'unique' });
    return s;
  }

  it('refuses unknown ids with ENTITY_NOT_FOUND', () => {
    const s = seeded();
    expectRefused(s, { op: 'deleteNode', id: 9 }, 'ENTITY_NOT_FOUND');
    expectRefused(s, { op: 'deleteEdge', id: 9 }, 'ENTITY_NOT_FOUND');
    expectRefused(s, { op: 'setNodeProperty', id: 9, key: 'a', value: 1n }, 'ENTITY_NOT_FOUND');
    expectRefused(s, { op: 'setEdgeProperty', id: 9, key: 'a', value: 1n }, 'ENTITY_NOT_FOUND');
    expectRefused(s, { op: 'addLabel', id: 9, label: 'X' }, 'ENTITY_NOT_FOUND');
    expectRefused(s, { op: 'removeLabel', id: 9, label: 'X' }, 'ENTITY_NOT_FOUND');
    expectRefused(s, { op: 'createEdge', id: 5, type: 'T', src: 1, dst: 9, props: [] }, 'ENTITY_NOT_FOUND');
  });

  it('refuses ids already in use and malformed commands with INPUT_INVALID', () => {
    const s = seeded();
    expectRefused(s, person(1), 'INPUT_INVALID');
    expectRefused(s, { op: 'createEdge', id: 1, type: 'T', src: 1, dst: 2, props: [] }, 'INPUT_INVALID');
    expectRefused(s, person(0), 'INPUT_INVALID');
    expectRefused(s, person(1.5), 'INPUT_INVALID');
    expectRefused(s, { op: 'createNode', id: 3, labels: ['A'], props: [['a', 1n], ['a', 2n]] }, 'INPUT_INVALID');
    expectRefused(s, { op: 'bogus' } as unknown as GraphCommand, 'INPUT_INVALID');
  });

  it("refuses to delete a node that still has edges (DeleteConnectedNode)", () => {
    const s = seeded();
    expectRefused(s, { op: 'deleteNode', id: 1 }, 'CONSTRAINT_VIOLATION', 'DeleteConnectedNode');
    expectRefused(s, { op: 'deleteNode', id: 2 }, 'CONSTRAINT_VIOLATION', 'DeleteConnectedNode');
  });

  it('refuses values that cannot be stored with InvalidPropertyType', () => {
    const s = seeded();
    const map = Object.create(null) as Record<string, unknown>;
    map.num = 1n;
    const bad: unknown[] = [map, [map], [1n, 'a'], [[1n]], [null], undefined === undefined ? s.node(1) : 0, 2n ** 64n];
    for (const value of bad) {
      expectRefused(s, { op: 'setNodeProperty', id: 1, key: 'x', value } as unknown as GraphCommand, 'GQL_TYPE', 'InvalidPropertyType');
      expectRefused(s, { op: 'setEdgeProperty', id: 1, key: 'x', value } as unknown as GraphCommand, 'GQL_TYPE', 'InvalidPropertyType');
      expectRefused(s, { op: 'createNode', id: 7, labels: [], props: [['x', value]] } as unknown as GraphCommand, 'GQL_TYPE', 'InvalidPropertyType');
    }
  });

  it('refuses every write that would duplicate a unique key, naming label, key and value', () => {
    const s = seeded();
    const msg = expectRefused(s, person(3, [['name', 'Ada']]), 'CONSTRAINT_VIOLATION');
    expect(msg).toContain('Person');
    expect(msg).toContain('name');
    expect(msg).toContain('"Ada"');
    expectRefused(s, { op: 'setNodeProperty', id: 2, key: 'name', value: 'Ada' }, 'CONSTRAINT_VIOLATION');
    s.apply({ op: 'createNode', id: 3, labels: [], props: [['name', 'Ada']] });
    expectRefused(s, { op: 'addLabel', id: 3, label: 'Person' }, 'CONSTRAINT_VIOLATION');
    // Setting a node's own value again is not a duplicate.
    s.apply({ op: 'setNodeProperty', id: 1, key: 'name', value: 'Ada' });
  });

  it('treats 1 and 1.0 as the same unique value, and NaN as never equal', () => {
    const s = new GraphStore();
    s.apply({ op: 'createConstraint', name: 'uq', label: 'N', keys: ['k'], kind: 'unique' });
    s.apply({ op: 'createNode', id: 1, labels: ['N'], props: [['k', 1n]] });
    expectRefused(s, { op: 'createNode', id: 2, labels: ['N'], props: [['k', 1.0]] }, 'CONSTRAINT_VIOLATION');
    s.apply({ op: 'createNode', id: 2, labels: ['N'], props: [['k', NaN]] });
    s.apply({ op: 'createNode', id: 3, labels: ['N'], props: [['k', NaN]] });
    expect(s.checkConsistency()).toEqual([]);
  });

  it('back-checks existing data before creating a constraint', () => {
    const s = new GraphStore();
    s.apply(person(1, [['email', 'a@x']]));
    s.apply(person(2, [['email', 'a@x']]));
    const msg = expectRefused(s, { op: 'createConstraint', name: 'uq', label: 'Person', keys: ['email'], kind: 'unique' }, 'CONSTRAINT_VIOLATION');
    expect(msg).toContain('Person');
    expect(msg).toContain('email');
    expect(msg).toContain('"a@x"');
    expect(s.constraints()).toEqual([]);
    expect(s.indexes()).toEqual([]);
  });

  it('checks multi-key uniqueness on the whole key tuple', () => {
    const s = new GraphStore();
    s.apply({ op: 'createConstraint', name: 'uq', label: 'P', keys: ['a', 'b'], kind: 'unique' });
    s.apply({ op: 'createNode', id: 1, labels: ['P'], props: [['a', 1n], ['b', 1n]] });
    s.apply({ op: 'createNode', id: 2, labels: ['P'], props: [['a', 1n], ['b', 2n]] });
    s.apply({ op: 'createNode', id: 3, labels: ['P'], props: [['a', 1n]] });
    expectRefused(s, { op: 'setNodeProperty', id: 2, key: 'b', value: 1n }, 'CONSTRAINT_VIOLATION');
    expectRefused(s, { op: 'setNodeProperty', id: 3, key: 'b', value: 2.0 }, 'CONSTRAINT_VIOLATION');
  });

  it('refuses duplicate index and constraint names, and unknown names with NOT_FOUND', () => {
    const s = seeded();
    s.apply({ op: 'createIndex', name: 'ix', label: 'Person', keys: ['age'] });
    expectRefused(s, { op: 'createIndex', name: 'ix', label: 'Other', keys: ['x'] }, 'INPUT_INVALID');
    expectRefused(s, { op: 'createIndex', name: 'uq_name', label: 'Other', keys: ['x'] }, 'INPUT_INVALID');
    expectRefused(s, { op: 'createConstraint', name: 'uq_name', label: 'O', keys: ['x'], kind: 'unique' }, 'INPUT_INVALID');
    expectRefused(s, { op: 'createConstraint', name: 'ix', label: 'O', keys: ['x'], kind: 'unique' }, 'INPUT_INVALID');
    expectRefused(s, { op: 'dropIndex', name: 'nope' }, 'NOT_FOUND');
    expectRefused(s, { op: 'dropConstraint', name: 'nope' }, 'NOT_FOUND');
    expectRefused(s, { op: 'dropIndex', name: 'uq_name' }, 'INPUT_INVALID');
    expectRefused(s, { op: 'createIndex', name: 'iy', label: 'P', keys: [] }, 'INPUT_INVALID');
  });
});

describe('GraphStore indexes', () => {
  it('back-fills an index created on existing data and lists it', () => {
    const s = new GraphStore();
    s.apply(person(1, [['name', 'Ada']]));
    s.apply(person(2, [['name', 'Bob']]));
    s.apply({ op: 'createNode', id: 3, labels: ['Robot'], props: [['name', 'Ada']] });
    expect(s.lookupIndex('Person', 'name', 'Ada')).toBeUndefined();
    expect(s.hasIndex('Person', 'name')).toBe(false);
    s.apply({ op: 'createIndex', name: 'person_name', label: 'Person', keys: ['name'] });
    expect(s.hasIndex('Person', 'name')).toBe(true);
    expect(ids(s.lookupIndex('Person', 'name', 'Ada'))).toEqual([1]);
    expect(s.indexes()).toEqual([{ name: 'person_name', label: 'Person', keys: ['name'], unique: false }]);
  });

  it('finds integers by equal floats and the reverse (1 = 1.0), and nothing for NaN or null', () => {
    const s = new GraphStore();
    s.apply({ op: 'createIndex', name: 'ix', label: 'N', keys: ['k'] });
    s.apply({ op: 'createNode', id: 1, labels: ['N'], props: [['k', 1n]] });
    s.apply({ op: 'createNode', id: 2, labels: ['N'], props: [['k', 2.0]] });
    s.apply({ op: 'createNode', id: 3, labels: ['N'], props: [['k', NaN]] });
    s.apply({ op: 'createNode', id: 4, labels: ['N'], props: [['k', [1n, 2n]]] });
    expect(ids(s.lookupIndex('N', 'k', 1.0))).toEqual([1]);
    expect(ids(s.lookupIndex('N', 'k', 2n))).toEqual([2]);
    expect(ids(s.lookupIndex('N', 'k', NaN))).toEqual([]);
    expect(ids(s.lookupIndex('N', 'k', null))).toEqual([]);
    expect(ids(s.lookupIndex('N', 'k', [1.0, 2.0]))).toEqual([4]);
    expect(ids(s.lookupIndex('N', 'k', '1'))).toEqual([]);
  });

  it('follows property changes, label changes and deletions', () => {
    const s = new GraphStore();
    s.apply({ op: 'createIndex', name: 'ix', label: 'P', keys: ['k'] });
    s.apply({ op: 'createNode', id: 1, labels: ['P'], props: [['k', 'a']] });
    s.apply({ op: 'createNode', id: 2, labels: [], props: [['k', 'a']] });
    expect(ids(s.lookupIndex('P', 'k', 'a'))).toEqual([1]);
    s.apply({ op: 'addLabel', id: 2, label: 'P' });
    expect(ids(s.lookupIndex('P', 'k', 'a'))).toEqual([1, 2]);
    s.apply({ op: 'setNodeProperty', id: 1, key: 'k', value: 'b' });
    expect(ids(s.lookupIndex('P', 'k', 'a'))).toEqual([2]);
    expect(ids(s.lookupIndex('P', 'k', 'b'))).toEqual([1]);
    s.apply({ op: 'removeLabel', id: 2, label: 'P' });
    expect(ids(s.lookupIndex('P', 'k', 'a'))).toEqual([]);
    s.apply({ op: 'deleteNode', id: 1 });
    expect(ids(s.lookupIndex('P', 'k', 'b'))).toEqual([]);
    expect(s.checkConsistency()).toEqual([]);
  });

  it('answers lookups by the first key of a multi-key index', () => {
    const s = new GraphStore();
    s.apply({ op: 'createIndex', name: 'ix', label: 'P', keys: ['a', 'b'] });
    s.apply({ op: 'createNode', id: 1, labels: ['P'], props: [['a', 1n]] });
    expect(s.hasIndex('P', 'a')).toBe(true);
    expect(s.hasIndex('P', 'b')).toBe(false);
    expect(ids(s.lookupIndex('P', 'a', 1n))).toEqual([1]);
  });

  it('keeps lookups working through the other index when one of two on the same key is dropped', () => {
    const s = new GraphStore();
    s.apply({ op: 'createIndex', name: 'a', label: 'P', keys: ['k'] });
    s.apply({ op: 'createConstraint', name: 'b', label: 'P', keys: ['k'], kind: 'unique' });
    s.apply({ op: 'createNode', id: 1, labels: ['P'], props: [['k', 1n]] });
    s.apply({ op: 'dropIndex', name: 'a' });
    expect(ids(s.lookupIndex('P', 'k', 1n))).toEqual([1]);
    expect(s.indexes()).toEqual([{ name: 'b', label: 'P', keys: ['k'], unique: true }]);
    s.apply({ op: 'dropConstraint', name: 'b' });
    expect(s.lookupIndex('P', 'k', 1n)).toBeUndefined();
    expect(s.checkConsistency()).toEqual([]);
  });
});

describe('GraphStore adjacency', () => {
  it('keeps out and in edges in edge-id order in both directions', () => {
    const s = new GraphStore();
    s.apply(person(1));
    s.apply(person(2));
    for (let i = 1; i <= 5; i++) s.apply({ op: 'createEdge', id: i, type: i % 2 === 0 ? 'A' : 'B', src: 1, dst: 2, props: [] });
    const undo = s.apply({ op: 'deleteEdge', id: 3 });
    expect(ids(s.node(1)!.out)).toEqual([1, 2, 4, 5]);
    expect(s.node(1)!.out.map((e) => e.id)).toEqual([1, 2, 4, 5]);
    for (const u of undo) s.apply(u);
    expect(s.node(1)!.out.map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
    expect(s.node(2)!.in.map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
    expect(s.node(1)!.outDegree).toBe(5);
    expect(s.checkConsistency()).toEqual([]);
  });

  it('lets a caller iterate a node’s edges while deleting them all (DETACH DELETE)', () => {
    const s = new GraphStore();
    s.apply(person(1));
    s.apply(person(2));
    for (let i = 1; i <= 100; i++) s.apply({ op: 'createEdge', id: i, type: 'T', src: 1, dst: 2, props: [] });
    let deleted = 0;
    for (const e of s.node(1)!.out) {
      s.apply({ op: 'deleteEdge', id: e.id });
      deleted++;
    }
    expect(deleted).toBe(100);
    expect(s.node(1)!.out).toEqual([]);
    s.apply({ op: 'deleteNode', id: 1 });
    expect(s.checkConsistency()).toEqual([]);
  });

  it('deletes all edges of a 100k-edge hub in linear time', () => {
    const s = new GraphStore();
    s.apply(person(1));
    s.apply(person(2));
    const n = 100_000;
    const create: GraphCommand[] = [];
    for (let i = 1; i <= n; i++) create.push({ op: 'createEdge', id: i, type: 'T', src: 1, dst: i % 2 === 0 ? 1 : 2, props: [] });
    s.applyBatch(create);
    const t0 = performance.now();
    for (const e of s.node(1)!.out) s.apply({ op: 'deleteEdge', id: e.id });
    const ms = performance.now() - t0;
    expect(s.node(1)!.outDegree).toBe(0);
    expect(s.node(1)!.inDegree).toBe(0);
    expect(s.edgeCount).toBe(0);
    expect(ms).toBeLessThan(2000);
    expect(s.checkConsistency()).toEqual([]);
  });

  it('gives a node’s edges of one type, per direction, for low and high degrees', () => {
    const s = new GraphStore();
    s.apply(person(1));
    s.apply(person(2));
    const total = TYPE_CACHE_MIN_DEGREE * 2;
    for (let i = 1; i <= total; i++) s.apply({ op: 'createEdge', id: i, type: i % 3 === 0 ? 'A' : 'B', src: 1, dst: 2, props: [] });
    const hub = s.node(1)!;
    const target = s.node(2)!;
    const want = (t: string): number[] => hub.out.filter((e) => e.type === t).map((e) => e.id);
    expect(outByType(hub, 'A').map((e) => e.id)).toEqual(want('A'));
    expect(inByType(target, 'B').map((e) => e.id)).toEqual(want('B'));
    expect(outByType(hub, 'C')).toEqual([]);
    expect(inByType(hub, 'A')).toEqual([]);
    // The cache follows writes.
    s.apply({ op: 'deleteEdge', id: 3 });
    s.apply({ op: 'createEdge', id: total + 1, type: 'A', src: 1, dst: 2, props: [] });
    expect(outByType(hub, 'A').map((e) => e.id)).toEqual(want('A'));
    expect(outByType(hub, 'A').map((e) => e.id)).toContain(total + 1);
    expect(outByType(hub, 'A').map((e) => e.id)).not.toContain(3);
    // Low degree.
    s.apply(person(3));
    s.apply({ op: 'createEdge', id: total + 2, type: 'A', src: 3, dst: 2, props: [] });
    s.apply({ op: 'createEdge', id: total + 3, type: 'B', src: 3, dst: 2, props: [] });
    expect(outByType(s.node(3)!, 'B').map((e) => e.id)).toEqual([total + 3]);
  });
});

describe('GraphStore reads', () => {
  it('iterates nodes and edges in id order even when created out of order', () => {
    const s = new GraphStore();
    for (const id of [5, 2, 9, 1]) s.apply(person(id));
    expect([...s.nodes()].map((n) => n.id)).toEqual([1, 2, 5, 9]);
    for (const id of [3, 1, 2]) s.apply({ op: 'createEdge', id, type: 'T', src: 1, dst: 2, props: [] });
    expect([...s.edges()].map((e) => e.id)).toEqual([1, 2, 3]);
    expect(s.node(1)!.out.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(s.peekNextNodeId()).toBe(10);
    expect(s.peekNextEdgeId()).toBe(4);
  });

  it('lists labels, relationship types and property keys in use, sorted', () => {
    const s = new GraphStore();
    s.apply({ op: 'createNode', id: 1, labels: ['Zed', 'Alpha'], props: [['z', 1n]] });
    s.apply({ op: 'createNode', id: 2, labels: ['Mid'], props: [['a', 1n]] });
    s.apply({ op: 'createEdge', id: 1, type: 'Y', src: 1, dst: 2, props: [['e', true]] });
    s.apply({ op: 'createEdge', id: 2, type: 'X', src: 2, dst: 1, props: [] });
    expect(s.labels()).toEqual(['Alpha', 'Mid', 'Zed']);
    expect(s.relationshipTypes()).toEqual(['X', 'Y']);
    expect(s.propertyKeys()).toEqual(['a', 'e', 'z']);
  });
});

describe('GraphStore snapshot and restore', () => {
  function rich(): GraphStore {
    const s = new GraphStore();
    s.apply({ op: 'createIndex', name: 'ix', label: 'Person', keys: ['name', 'age'] });
    s.apply({ op: 'createConstraint', name: 'uq', label: 'Person', keys: ['email'], kind: 'unique' });
    s.apply({ op: 'createNode', id: 3, labels: ['Person', 'A'], props: [['name', 'Ada'], ['email', 'a@x'], ['tags', ['x', 'y']]] });
    s.apply({ op: 'createNode', id: 1, labels: [], props: [['f', 1.5], ['i', 2n ** 62n], ['b', false]] });
    s.apply({ op: 'createEdge', id: 4, type: 'R', src: 3, dst: 1, props: [['w', -0.0]] });
    s.apply({ op: 'createEdge', id: 2, type: 'S', src: 1, dst: 1, props: [] });
    s.apply(person(7));
    s.apply({ op: 'deleteNode', id: 7 });
    return s;
  }

  it('round-trips exactly: restore(snapshot()) gives the same snapshot and the same answers', () => {
    const s = rich();
    const snap = s.snapshot();
    const r = GraphStore.restore(snap);
    expect(r.snapshot()).toEqual(snap);
    expect(r.checkConsistency()).toEqual([]);
    expect(r.peekNextNodeId()).toBe(8);
    expect(ids(r.lookupIndex('Person', 'name', 'Ada'))).toEqual([3]);
    expect(r.indexes()).toEqual(s.indexes());
    expect(r.constraints()).toEqual(s.constraints());
    expect(Object.is(r.edge(4)!.props.get('w'), -0)).toBe(true);
    expectError(() => r.apply({ op: 'createNode', id: 9, labels: ['Person'], props: [['email', 'a@x']] }), 'CONSTRAINT_VIOLATION');
  });

  it('is plain data (survives a structured clone)', () => {
    const snap = rich().snapshot();
    expect(GraphStore.restore(structuredClone(snap)).snapshot()).toEqual(snap);
  });

  it('refuses malformed snapshots with INPUT_INVALID', () => {
    const snap = rich().snapshot();
    expect(expectError(() => GraphStore.restore({ ...snap, version: 3 } as unknown as GraphSnapshot), 'INPUT_INVALID')).toMatch(/version 3 is not supported \(this version reads versions 1 and 2\)/);
    expectError(() => GraphStore.restore({ ...snap, nextNodeId: 2 }), 'INPUT_INVALID');
    expectError(() => GraphStore.restore({ ...snap, edges: [{ id: 1, type: 'T', src: 1, dst: 99, props: [] }] }), 'ENTITY_NOT_FOUND');
    expectError(() => GraphStore.restore({ ...snap, nodes: [...snap.nodes, snap.nodes[0]!] }), 'INPUT_INVALID');
  });
});

describe('GraphStore creation stamps (stampNodes)', () => {
  it('sets and clears stamps by id, undone exactly; a deleted stamped node is kept until its stamp is cleared', () => {
    const s = new GraphStore();
    for (let id = 1; id <= 3; id++) s.apply({ op: 'createNode', id, labels: ['A'], props: [['k', BigInt(id)]] });
    s.apply({ op: 'createNode', id: 5_000, labels: [], props: [] }); // another chunk
    const undo = s.apply({ op: 'stampNodes', ids: [1, 2, 5_000], stamp: [10, 0, 'us'] });
    expect(s.creationStamp(2)).toEqual([10, 0, 'us']);
    expect(s.creationStamp(3)).toBeUndefined();
    expect([...s.creationStamps()].map(([id]) => id)).toEqual([1, 2, 5_000]);
    const undo2 = s.apply({ op: 'stampNodes', ids: [2], stamp: [11, 4, 'eu'] });
    expect(s.creationStamp(2)).toEqual([11, 4, 'eu']);
    for (const u of undo2) s.apply(u);
    expect(s.creationStamp(2)).toEqual([10, 0, 'us']);
    // Deleted: what it held stays readable (federation's hook writes its tombstone) until cleared.
    const undoDelete = s.apply({ op: 'deleteNode', id: 2 });
    expect(s.node(2)).toBeUndefined();
    expect(s.stampedNode(2)?.props.get('k')).toBe(2n);
    const undoClear = s.apply({ op: 'stampNodes', ids: [2], stamp: null });
    expect(s.stampedNode(2)).toBeUndefined();
    for (const u of undoClear) s.apply(u);
    for (const u of undoDelete) s.apply(u);
    expect(s.stampedNode(2)?.deleted).toBe(false);
    for (const u of undo) s.apply(u);
    expect(s.creationStampCount).toBe(0);
    expect(s.snapshot().version).toBe(1);
  });

  it('refuses a malformed stamp or id, changing nothing; a stamp of a node that is not live is left out of snapshots', () => {
    const s = new GraphStore();
    s.apply({ op: 'createNode', id: 1, labels: [], props: [] });
    s.apply({ op: 'stampNodes', ids: [2], stamp: [10, 0, 'us'] });
    expect(s.snapshot().version).toBe(1);
    s.apply({ op: 'stampNodes', ids: [2], stamp: null });
    expectError(() => s.apply({ op: 'stampNodes', ids: [1], stamp: [0, 0, 'us'] }), 'INPUT_INVALID');
    expectError(() => s.apply({ op: 'stampNodes', ids: [1], stamp: [10, -1, 'us'] }), 'INPUT_INVALID');
    expectError(() => s.apply({ op: 'stampNodes', ids: [1], stamp: [10, 0, ''] }), 'INPUT_INVALID');
    expectError(() => s.apply({ op: 'stampNodes', ids: [0], stamp: null }), 'INPUT_INVALID');
    expect(s.creationStampCount).toBe(0);
  });

  it('keeps the stamps of live nodes in snapshots (version 2), canonical, and restores them', () => {
    const a = new GraphStore();
    const b = new GraphStore();
    for (const s of [a, b]) for (let id = 1; id <= 4; id++) s.apply({ op: 'createNode', id, labels: [], props: [] });
    // The same stamps set in another order (origins interned in another order): the same snapshot.
    a.apply({ op: 'stampNodes', ids: [1, 3], stamp: [1_764_800_000_000, 1, 'us'] });
    a.apply({ op: 'stampNodes', ids: [4], stamp: [1_764_799_999_000, 0, 'eu'] });
    b.apply({ op: 'stampNodes', ids: [4], stamp: [1_764_799_999_000, 0, 'eu'] });
    b.apply({ op: 'stampNodes', ids: [3, 1], stamp: [1_764_800_000_000, 1, 'us'] });
    expect(a.snapshot()).toEqual(b.snapshot());
    const snap = a.snapshot();
    expect(snap.version).toBe(2);
    const r = GraphStore.restore(snap);
    expect([...r.creationStamps()]).toEqual([...a.creationStamps()]);
    expectError(() => GraphStore.restore({ ...snap, version: 1 }), 'INPUT_INVALID');
    expectError(() => GraphStore.restore({ ...snap, created: { origins: ['us'], data: new Uint8Array([1, 2, 0, 5]) } }), 'INPUT_INVALID'); // names origin 5
  });
});

describe('GraphStore.checkConsistency', () => {
  function store(): GraphStore {
    const s = new GraphStore();
    s.apply({ op: 'createIndex', name: 'ix', label: 'P', keys: ['k'] });
    s.apply({ op: 'createConstraint', name: 'uq', label: 'P', keys: ['u'], kind: 'unique' });
    s.apply({ op: 'createNode', id: 1, labels: ['P'], props: [['k', 1n], ['u', 'a']] });
    s.apply({ op: 'createNode', id: 2, labels: ['P'], props: [['k', 2n], ['u', 'b']] });
    s.apply({ op: 'createEdge', id: 1, type: 'T', src: 1, dst: 2, props: [['w', 1n]] });
    expect(s.checkConsistency()).toEqual([]);
    return s;
  }

  it('detects a property changed behind the index', () => {
    const s = store();
    s.node(1)!.props.set('k', 5n);
    expect(s.checkConsistency().join('\n')).toMatch(/index ix/);
  });

  it('detects a label added behind the label index', () => {
    const s = store();
    s.node(1)!.labels = new Set(['P', 'Q']);
    expect(s.checkConsistency().join('\n')).toMatch(/label Q/);
  });

  it('detects a broken adjacency list', () => {
    const s = store();
    s.node(2)!.in.pop();
    expect(s.checkConsistency().join('\n')).toMatch(/in list of node 2/);
  });

  it('detects a duplicate under a unique constraint', () => {
    const s = store();
    s.node(2)!.props.set('u', 'a');
    expect(s.checkConsistency().join('\n')).toMatch(/constraint uq/);
  });

  it('detects a record marked deleted while still in the store, and a new property key not counted', () => {
    const s = store();
    s.edge(1)!.deleted = true;
    s.edge(1)!.props.set('new', 1n);
    const problems = s.checkConsistency().join('\n');
    expect(problems).toMatch(/edge 1 is in the store but marked deleted/);
    expect(problems).toMatch(/property key new/);
  });
});

describe('snapshot metadata order', () => {
  it('lists the metadata in key order after any mix of sets, deletes, undos and snapshots (against a full sort)', async () => {
    const { Prng } = await import('../sim/prng.ts');
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = new Prng(seed);
      const store = new GraphStore();
      const keys = Array.from({ length: 60 }, (_, i) => `k/${rnd.int(0, 1_000)}/${i % 7}`);
      for (let step = 0; step < 400; step++) {
        const key = rnd.pick(keys);
        const undo = store.apply({ op: 'setMeta', key, value: rnd.chance(0.3) ? null : step });
        if (rnd.chance(0.1)) for (const u of undo) store.apply(u);
        if (rnd.chance(0.05)) {
          const meta = store.snapshot().meta ?? [];
          const want = [...keys.filter((k) => store.meta(k) !== undefined)].filter((k, i, all) => all.indexOf(k) === i).sort();
          expect(meta.map(([k]) => k), `seed ${seed} step ${step}`).toEqual(want);
        }
      }
    }
  });
});

describe('metadata bytes', () => {
  it('keeps a copy of bytes that are a view of a large buffer (a decoded log entry is not kept alive by one value), and a view of a small buffer as it is', async () => {
    const { metaViewSharedBytesMax } = await import('./store.ts');
    const store = new GraphStore();
    const entry = new Uint8Array(64 * 1024).fill(7);
    store.apply({ op: 'setMeta', key: 'big', value: entry.subarray(100, 140) });
    const big = store.meta('big') as Uint8Array;
    expect(Array.from(big)).toEqual(new Array(40).fill(7));
    expect(big.buffer.byteLength).toBe(40);
    const slab = new Uint8Array(metaViewSharedBytesMax).fill(3);
    const view = slab.subarray(10, 50);
    store.apply({ op: 'setMeta', key: 'small', value: view });
    expect(store.meta('small')).toBe(view);
    // Both survive a snapshot and a restore unchanged.
    const back = GraphStore.restore(store.snapshot());
    expect(Array.from(back.meta('big') as Uint8Array)).toEqual(new Array(40).fill(7));
    expect(Array.from(back.meta('small') as Uint8Array)).toEqual(new Array(40).fill(3));
  });
});
