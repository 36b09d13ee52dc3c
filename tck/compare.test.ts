import { describe, expect, it } from 'vitest';
import { GeodeNode, GeodePath, GeodeRelationship } from '../src/api/result.ts';
import { compareTable, floatMatches, formatActual, matchValue } from './compare.ts';
import { parseTckValue } from './tck-values.ts';

const ordered = { ignoreListOrder: false };
const unordered = { ignoreListOrder: true };
const m = (text: string, actual: unknown, opts = ordered): boolean => matchValue(parseTckValue(text), actual, opts);

describe('matchValue', () => {
  it('keeps integers and floats apart: 1 is not 1.0', () => {
    expect(m('1', 1n)).toBe(true);
    expect(m('1', 1)).toBe(false);
    expect(m('1.0', 1)).toBe(true);
    expect(m('1.0', 1n)).toBe(false);
  });

  it('compares large integers exactly', () => {
    expect(m('9007199254740993', 9007199254740993n)).toBe(true);
    expect(m('9007199254740993', 9007199254740992n)).toBe(false);
  });

  it('matches NaN with NaN, and infinities by sign', () => {
    expect(m('NaN', NaN)).toBe(true);
    expect(m('Inf', Infinity)).toBe(true);
    expect(m('-Inf', Infinity)).toBe(false);
  });

  it('tolerates last-digit float noise but not real differences', () => {
    expect(floatMatches(2.5, '2.5', 2.4999999999999996)).toBe(true);
    expect(floatMatches(0.3, '0.3', 0.1 + 0.2)).toBe(true);
    expect(floatMatches(0.5, '0.5', 0.54)).toBe(false);
    expect(floatMatches(1, '1.0', 1.0001)).toBe(false);
  });

  it('matches a node by labels (any order) and properties, not by id', () => {
    const node = new GeodeNode(42, ['B', 'A'], { k: 1n, s: 'x' });
    expect(m("(:A:B {k: 1, s: 'x'})", node)).toBe(true);
    expect(m("(:A {k: 1, s: 'x'})", node)).toBe(false);
    expect(m('(:A:B {k: 1})', node)).toBe(false);
    expect(m("(:A:B {k: 1.0, s: 'x'})", node)).toBe(false);
    expect(m('()', new GeodeNode(1, [], {}))).toBe(true);
  });

  it('matches a relationship by type and properties', () => {
    const rel = new GeodeRelationship(7, 'T', 1, 2, { w: 2n });
    expect(m('[:T {w: 2}]', rel)).toBe(true);
    expect(m('[:U {w: 2}]', rel)).toBe(false);
    expect(m('[:T]', rel)).toBe(false);
  });

  it('matches a path node by node, relationship by relationship, with directions', () => {
    const a = new GeodeNode(1, ['A'], {});
    const b = new GeodeNode(2, ['B'], {});
    const c = new GeodeNode(3, [], {});
    const t = new GeodeRelationship(10, 'T', 1, 2, {});
    const u = new GeodeRelationship(11, 'U', 3, 2, {});
    const path = new GeodePath([a, b, c], [t, u]);
    expect(m('<(:A)-[:T]->(:B)<-[:U]-()>', path)).toBe(true);
    expect(m('<(:A)-[:T]->(:B)-[:U]->()>', path)).toBe(false);
    expect(m('<(:A)-[:T]->(:B)>', path)).toBe(false);
    expect(m('<(:A)>', new GeodePath([a], []))).toBe(true);
  });

  it('compares lists in order unless told to ignore element order', () => {
    expect(m("['Foo', 'Bar']", ['Bar', 'Foo'])).toBe(false);
    expect(m("['Foo', 'Bar']", ['Bar', 'Foo'], unordered)).toBe(true);
    expect(m('[[1, 2], [3]]', [[3n], [2n, 1n]], unordered)).toBe(true);
    expect(m('[1, 1, 2]', [1n, 2n, 2n], unordered)).toBe(false);
  });

  it('needs maps to have exactly the expected keys', () => {
    expect(m('{a: 1, b: null}', { b: null, a: 1n })).toBe(true);
    expect(m('{a: 1}', { a: 1n, b: null })).toBe(false);
    expect(m('{a: 1}', new GeodeNode(1, [], { a: 1n }))).toBe(false);
  });
});

describe('compareTable', () => {
  const result = (columns: string[], rows: Record<string, unknown>[]) => ({ columns, rows });

  it('accepts rows in any order for "in any order", as a multiset', () => {
    const table = [['x'], ['1'], ['2'], ['1']];
    expect(compareTable(table, result(['x'], [{ x: 2n }, { x: 1n }, { x: 1n }]), { ordered: false, ignoreListOrder: false })).toBeUndefined();
    expect(compareTable(table, result(['x'], [{ x: 2n }, { x: 2n }, { x: 1n }]), { ordered: false, ignoreListOrder: false })).toMatch(
      /rows differ: missing \| 1 \|; unexpected \| 2 \|/,
    );
  });

  it('checks row order for "in order"', () => {
    const table = [['x'], ['1'], ['2']];
    expect(compareTable(table, result(['x'], [{ x: 1n }, { x: 2n }]), { ordered: true, ignoreListOrder: false })).toBeUndefined();
    expect(compareTable(table, result(['x'], [{ x: 2n }, { x: 1n }]), { ordered: true, ignoreListOrder: false })).toMatch(/row 1/);
  });

  it('needs the exact columns, names and order', () => {
    const table = [['a', 'b'], ['1', '2']];
    expect(compareTable(table, result(['b', 'a'], [{ a: 1n, b: 2n }]), { ordered: false, ignoreListOrder: false })).toMatch(
      /columns differ/,
    );
  });

  it('reports a row count mismatch', () => {
    expect(compareTable([['x']], result(['x'], [{ x: 1n }]), { ordered: false, ignoreListOrder: false })).toMatch(
      /expected 0 rows, got 1/,
    );
  });

  it('pairs rows correctly when float tolerance makes greedy pairing ambiguous', () => {
    const table = [['x', 'y'], ['0.3', '1'], ['0.30000000000000004', '2']];
    const rows = [
      { x: 0.30000000000000004, y: 1n },
      { x: 0.3, y: 2n },
    ];
    expect(compareTable(table, result(['x', 'y'], rows), { ordered: false, ignoreListOrder: false })).toBeUndefined();
  });
});

describe('formatActual', () => {
  it('prints values in TCK syntax, floats with a decimal point', () => {
    expect(formatActual([1n, 1, 0.5, 'a', null, { k: true }])).toBe("[1, 1.0, 0.5, 'a', null, {k: true}]");
    expect(formatActual(new GeodeNode(1, ['A'], { k: 1n }))).toBe('(:A {k: 1})');
  });
});
