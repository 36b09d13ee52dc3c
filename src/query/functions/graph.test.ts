import { describe, expect, it } from 'vitest';
import type { Value } from '../../graph/index.ts';
import { callFn, errorOf, map, node, sampleGraph } from './test-values.ts';

const g = sampleGraph();

describe('graph functions read nodes, relationships and paths', () => {
  it.each<[string, Value[], Value]>([
    ['id', [g.n2], 2n],
    ['id', [g.r1], 1n],
    ['elementId', [g.n1], 'n1'],
    ['elementId', [g.r1], 'r1'],
    ['labels', [g.n2], ['B', 'C']],
    ['labels', [g.n3], []],
    ['type', [g.r1], 'KNOWS'],
    ['properties', [g.n2], map({ name: 'b', num: 2n })],
    ['properties', [g.r1], map({ since: 2020n })],
    ['properties', [map({ name: 'Popeye', level: 9001n })], map({ name: 'Popeye', level: 9001n })],
    ['keys', [g.n2], ['name', 'num']],
    ['keys', [g.r2], []],
    ['keys', [map({ k: null, l: 1n })], ['k', 'l']],
    ['startNode', [g.r1], g.n1],
    ['endNode', [g.r1], g.n2],
    ['length', [g.p2], 2n],
    ['length', [g.p0], 0n],
  ])('%s(%o) = %o', (name, args, expected) => {
    expect(callFn(name, ...args)).toEqual(expected);
  });

  it.each(['id', 'elementId', 'labels', 'type', 'properties', 'keys', 'startNode', 'endNode', 'length'])('%s(null) is null', (name) => {
    expect(callFn(name, null)).toBe(null);
  });

  it('properties() returns a fresh null-prototype map', () => {
    const m = callFn('properties', g.n1) as Record<string, Value>;
    expect(Object.getPrototypeOf(m)).toBe(null);
    m['name'] = 'changed';
    expect(g.n1.props.get('name')).toBe('a');
  });

  it.each<[string, Value[], string]>([
    ['labels', [1n], 'GQL_TYPE/InvalidArgumentValue'],
    ['labels', [g.p1], 'GQL_TYPE/InvalidArgumentType'],
    ['type', [g.n1], 'GQL_TYPE/InvalidArgumentType'],
    ['properties', [1n], 'GQL_TYPE/InvalidArgumentType'],
    ['properties', ['Cypher'], 'GQL_TYPE/InvalidArgumentType'],
    ['properties', [[true, false]], 'GQL_TYPE/InvalidArgumentType'],
    ['keys', [1n], 'GQL_TYPE/InvalidArgumentType'],
    ['length', [g.n1], 'GQL_TYPE/InvalidArgumentType'],
    ['length', [g.r1], 'GQL_TYPE/InvalidArgumentType'],
    ['id', ['x'], 'GQL_TYPE/InvalidArgumentType'],
    ['startNode', [g.n1], 'GQL_TYPE/InvalidArgumentType'],
  ])('%s(%o) fails with %s', (name, args, expected) => {
    expect(errorOf(() => callFn(name, ...args))).toBe(expected);
  });

  it('reading labels, properties or keys of a deleted record is DeletedEntityAccess', () => {
    const n = node(99, ['A'], { x: 1n });
    n.deleted = true;
    for (const name of ['labels', 'properties', 'keys']) {
      expect(errorOf(() => callFn(name, n))).toBe('ENTITY_NOT_FOUND/DeletedEntityAccess');
    }
    expect(callFn('id', n)).toBe(99n);
  });
});
