import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PathValue } from '../graph/index.ts';
import type { Value } from '../graph/index.ts';
import { INT64_MAX, INT64_MIN } from '../graph/index.ts';
import { isGeodeError } from '../util/errors.ts';
import { equivalentTwin, map, sampleGraph, valueArb } from './functions/test-values.ts';
import {
  add,
  and3,
  compareStrings,
  cypherCompare,
  cypherEquals,
  divide,
  formatFloat,
  groupingKey,
  isMap,
  isTruthy,
  modulo,
  multiply,
  negate,
  not3,
  or3,
  orderCompare,
  power,
  subtract,
  typeName,
  xor3,
} from './value-ops.ts';

const g = sampleGraph();

function expectError(f: () => unknown, code: string, detail?: string): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(isGeodeError(caught), `expected a GeodeError, got ${String(caught)}`).toBe(true);
  if (isGeodeError(caught)) {
    expect(caught.code).toBe(code);
    if (detail !== undefined) expect(caught.detail).toBe(detail);
  }
}

describe('cypherEquals follows the TCK equality tables', () => {
  const cases: [string, Value, Value, boolean | null][] = [
    ['null = null is null', null, null, null],
    ['1 = null is null', 1n, null, null],
    ['1 = 1.0 is true', 1n, 1.0, true],
    ['big ints stay exact', 4611686018427387905n, 4611686018427387900n, false],
    ['2^53+1 differs from the float 2^53', 2n ** 53n + 1n, 2 ** 53, false],
    ['NaN = NaN is false', NaN, NaN, false],
    ['NaN = 1 is false', NaN, 1n, false],
    ["'1' = 1 is false", '1', 1n, false],
    ["'1.0' = 1.0 is false", '1.0', 1.0, false],
    ["[1, 2] = 'foo' is false", [1n, 2n], 'foo', false],
    ['[1] = [1, null] is false (length)', [1n], [1n, null], false],
    ["[1, 2] = [null, 'foo'] is false", [1n, 2n], [null, 'foo'], false],
    ['[1, 2] = [null, 2] is null', [1n, 2n], [null, 2n], null],
    ['[[1]] = [[1], [null]] is false', [[1n]], [[1n], [null]], false],
    ['[[1], [2]] = [[1], [null]] is null', [[1n], [2n]], [[1n], [null]], null],
    ['[[1], [2, 3]] = [[1], [null]] is false', [[1n], [2n, 3n]], [[1n], [null]], false],
    ["['a'] = [1] is false", ['a'], [1n], false],
    ['{} = {} is true', map({}), map({}), true],
    ['{k: 1.0} = {k: 1} is true', map({ k: 1.0 }), map({ k: 1n }), true],
    ['{} = {k: null} is false', map({}), map({ k: null }), false],
    ['{k: 1} = {k: 1, l: null} is false', map({ k: 1n }), map({ k: 1n, l: null }), false],
    ['{k: null} = {k: null} is null', map({ k: null }), map({ k: null }), null],
    ['{k: 1, l: null} = {k: null, l: 1} is null', map({ k: 1n, l: null }), map({ k: null, l: 1n }), null],
    ['nodes by identity (same)', g.n1, g.n1, true],
    ['nodes by identity (different)', g.n1, g.n2, false],
    ['node vs relationship is false', g.n1, g.r1, false],
    ['paths with equal sequences are equal', g.p1, new PathValue([g.n1, g.n2], [g.r1]), true],
    ['paths of different length differ', g.p1, g.p2, false],
    ['true = true', true, true, true],
    ['true = 1 is false', true, 1n, false],
  ];
  it.each(cases)('%s', (_name, a, b, expected) => {
    expect(cypherEquals(a, b)).toBe(expected);
    expect(cypherEquals(b, a)).toBe(expected);
  });
});

describe('cypherCompare follows the TCK comparison tables', () => {
  const sign = (c: number | null): number | null => (c === null ? null : Number.isNaN(c) ? NaN : Math.sign(c));
  const cases: [string, Value, Value, number | null][] = [
    ['1 < 3.14', 1n, 3.14, -1],
    ['1 vs 1.0 ties', 1n, 1.0, 0],
    ['big ints compare exactly against floats', 2n ** 53n + 1n, 2 ** 53, 1],
    ["'1' < 1 is null", '1', 1n, null],
    ['strings by code point', 'a', 'b', -1],
    ['astral characters sort after U+FFFF', '\u{1F600}', '\uFFFF', 1],
    ['false < true', false, true, -1],
    ['[1, 0] >= [1]', [1n, 0n], [1n], 1],
    ['[1, null] >= [1]', [1n, null], [1n], 1],
    ['[1, 2] vs [1, null] is null', [1n, 2n], [1n, null], null],
    ["[1, 'a'] vs [1, null] is null", [1n, 'a'], [1n, null], null],
    ['[1, 2] vs [3, null] is decided by the first element', [1n, 2n], [3n, null], -1],
    ['null vs 1 is null', null, 1n, null],
    ['maps are not comparable', map({}), map({}), null],
    ['nodes are not comparable', g.n1, g.n2, null],
    ['NaN vs number makes every operator false', NaN, 1n, NaN],
    ['NaN vs NaN makes every operator false', NaN, NaN, NaN],
    ["NaN vs 'a' is null", NaN, 'a', null],
  ];
  it.each(cases)('%s', (_name, a, b, expected) => {
    const c = cypherCompare(a, b);
    expect(sign(c)).toEqual(expected);
  });
});

describe('orderCompare is the ORDER BY order of the TCK', () => {
  it('orders distinct types map < node < relationship < list < path < string < boolean < number < NaN < null', () => {
    const expected: Value[] = [map({ a: 'map' }), g.n1, g.r1, ['list'], g.p1, 'text', false, 1.5, NaN, null];
    const shuffled = [g.n1, g.r1, g.p1, 1.5, ['list'], 'text', null, false, NaN, map({ a: 'map' })];
    expect(shuffled.sort(orderCompare)).toEqual(expected);
  });
  it('orders lists lexicographically, nulls last inside', () => {
    const lists: Value[] = [[null, 2n], [1n, 'a'], [], ['a', 1n], [1n], [null, 1n], [1n, null], ['a']];
    expect(lists.sort(orderCompare)).toEqual([[], ['a'], ['a', 1n], [1n], [1n, 'a'], [1n, null], [null, 1n], [null, 2n]]);
  });
  it('mixes integers and floats by value', () => {
    expect([3n, 1.5, -2n, 2.0, 9007199254740993n, 9007199254740992].sort(orderCompare)).toEqual([
      -2n,
      1.5,
      2.0,
      3n,
      9007199254740992,
      9007199254740993n,
    ]);
  });
  it('puts -Infinity first and NaN after +Infinity', () => {
    expect([NaN, Infinity, -Infinity, 0n].sort(orderCompare)).toEqual([-Infinity, 0n, Infinity, NaN]);
  });
});

describe('groupingKey gives equal keys exactly to equivalent values', () => {
  it.each<[string, Value, Value, boolean]>([
    ['1 ≡ 1.0', 1n, 1.0, true],
    ['2^60 int ≡ 2^60 float', 2n ** 60n, 2 ** 60, true],
    ['2^53+1 int ≢ 2^53 float', 2n ** 53n + 1n, 2 ** 53, false],
    ['null ≡ null', null, null, true],
    ['NaN ≡ NaN', NaN, NaN, true],
    ['0.0 ≡ -0.0', 0, -0, true],
    ["'1' ≢ 1", '1', 1n, false],
    ['[1, null] ≡ [1.0, null]', [1n, null], [1.0, null], true],
    ['maps ignore key order', map({ a: 1n, b: [2n] }), map({ b: [2.0], a: 1n }), true],
    ["a string cannot impersonate an encoded key", '\u0000N', NaN, false],
    ['nodes by id', g.n1, g.n1, true],
    ['different nodes', g.n1, g.n2, false],
    ['true ≢ 1', true, 1n, false],
  ])('%s', (_name, a, b, expected) => {
    expect(groupingKey(a) === groupingKey(b)).toBe(expected);
  });
  it('keys primitives as themselves (fast path)', () => {
    expect(groupingKey('abc')).toBe('abc');
    expect(groupingKey(true)).toBe(true);
    expect(groupingKey(null)).toBe(null);
    expect(groupingKey(1.5)).toBe(1.5);
  });
});

describe('arithmetic', () => {
  it.each<[string, () => Value, Value]>([
    ['1 + 2 = 3', () => add(1n, 2n), 3n],
    ['1 + 2.5 = 3.5', () => add(1n, 2.5), 3.5],
    ['big ints stay exact past 2^53', () => add(2n ** 53n, 1n), 2n ** 53n + 1n],
    ["'a' + 'b'", () => add('a', 'b'), 'ab'],
    ["'a' + 1", () => add('a', 1n), 'a1'],
    ["1.5 + 'a'", () => add(1.5, 'a'), '1.5a'],
    ["'x' + 1.0 prints the float as 1.0", () => add('x', 1.0), 'x1.0'],
    ['[1] + [2]', () => add([1n], [2n]), [1n, 2n]],
    ['[1] + 2 appends', () => add([1n], 2n), [1n, 2n]],
    ['0 + [1] prepends', () => add(0n, [1n]), [0n, 1n]],
    ['[[], []] + [[]] has 3 elements', () => add([[], []], [[]]), [[], [], []]],
    ['null + 1 = null', () => add(null, 1n), null],
    ['5 - 7 = -2', () => subtract(5n, 7n), -2n],
    ['3 * 2.0 = 6.0', () => multiply(3n, 2.0), 6.0],
    ['7 / 2 = 3 (truncates)', () => divide(7n, 2n), 3n],
    ['-7 / 2 = -3 (toward zero)', () => divide(-7n, 2n), -3n],
    ['7 / 2.0 = 3.5', () => divide(7n, 2.0), 3.5],
    ['1.0 / 0 = Infinity', () => divide(1.0, 0n), Infinity],
    ['-7 % 3 = -1 (sign of dividend)', () => modulo(-7n, 3n), -1n],
    ['7.5 % 2 = 1.5', () => modulo(7.5, 2n), 1.5],
    ['2 ^ 3 = 8.0 (always float)', () => power(2n, 3n), 8],
    ['-(-3) = 3', () => negate(-3n), 3n],
    ['-(1.5)', () => negate(1.5), -1.5],
    ['null ^ 2', () => power(null, 2n), null],
    ['INT64_MIN - 0 is fine', () => subtract(INT64_MIN, 0n), INT64_MIN],
  ])('%s', (_name, f, expected) => {
    const r = f();
    if (typeof expected === 'number' && Number.isNaN(expected)) expect(r).toBeNaN();
    else expect(r).toEqual(expected);
    expect(typeof r).toBe(typeof expected);
  });

  it('0.0 / 0.0 is NaN', () => {
    expect(divide(0.0, 0.0)).toBeNaN();
  });

  it.each<[string, () => unknown]>([
    ['9223372036854775807 + 1', () => add(INT64_MAX, 1n)],
    ['-9223372036854775808 - 1', () => subtract(INT64_MIN, 1n)],
    ['2^62 * 2', () => multiply(2n ** 62n, 2n)],
    ['-(-9223372036854775808)', () => negate(INT64_MIN)],
    ['-9223372036854775808 / -1', () => divide(INT64_MIN, -1n)],
  ])('int64 overflow is GQL_OVERFLOW: %s', (_name, f) => {
    expectError(f, 'GQL_OVERFLOW', 'IntegerOverflow');
  });

  it('integer division and modulo by zero are GQL_ARGUMENT', () => {
    expectError(() => divide(1n, 0n), 'GQL_ARGUMENT');
    expectError(() => modulo(1n, 0n), 'GQL_ARGUMENT');
  });

  it.each<[string, () => unknown]>([
    ['1 + true', () => add(1n, true)],
    ["'a' + true", () => add('a', true)],
    ['{} + 1', () => add(map({}), 1n)],
    ["'a' - 1", () => subtract('a', 1n)],
    ['true * 2', () => multiply(true, 2n)],
    ["'a' / 1", () => divide('a', 1n)],
    ['[1] % 2', () => modulo([1n], 2n)],
    ["'a' ^ 2", () => power('a', 2n)],
    ["-'a'", () => negate('a')],
  ])('wrong operand types are GQL_TYPE InvalidArgumentType: %s', (_name, f) => {
    expectError(f, 'GQL_TYPE', 'InvalidArgumentType');
  });
});

describe('three-valued logic', () => {
  const T = true;
  const F = false;
  const N = null;
  it.each<[boolean | null, boolean | null, boolean | null, boolean | null, boolean | null]>([
    // a, b, AND, OR, XOR
    [T, T, T, T, F],
    [T, F, F, T, T],
    [T, N, N, T, N],
    [F, F, F, F, F],
    [F, N, F, N, N],
    [N, N, N, N, N],
  ])('%s and %s', (a, b, and, or, xor) => {
    expect(and3(a, b)).toBe(and);
    expect(and3(b, a)).toBe(and);
    expect(or3(a, b)).toBe(or);
    expect(or3(b, a)).toBe(or);
    expect(xor3(a, b)).toBe(xor);
    expect(xor3(b, a)).toBe(xor);
  });
  it('NOT keeps null', () => {
    expect(not3(true)).toBe(false);
    expect(not3(false)).toBe(true);
    expect(not3(null)).toBe(null);
  });
  it('non-boolean operands are GQL_TYPE InvalidArgumentType', () => {
    expectError(() => and3(1n, true), 'GQL_TYPE', 'InvalidArgumentType');
    expectError(() => or3(false, 'x'), 'GQL_TYPE', 'InvalidArgumentType');
    expectError(() => xor3([], true), 'GQL_TYPE', 'InvalidArgumentType');
    expectError(() => not3(0n), 'GQL_TYPE', 'InvalidArgumentType');
  });
  it('only true is truthy', () => {
    expect([true, false, null, 1n, 'true'].map(isTruthy)).toEqual([true, false, false, false, false]);
  });
});

describe('names and formatting', () => {
  it('names every type', () => {
    expect([1n, 1.5, 's', true, null, [], map({}), g.n1, g.r1, g.p1].map(typeName)).toEqual([
      'INTEGER',
      'FLOAT',
      'STRING',
      'BOOLEAN',
      'NULL',
      'LIST',
      'MAP',
      'NODE',
      'RELATIONSHIP',
      'PATH',
    ]);
  });
  it('prints floats as openCypher does', () => {
    expect([1.0, 0.1, -0, 1e20, 1.5e-7, 123456.5, NaN, -Infinity].map(formatFloat)).toEqual([
      '1.0',
      '0.1',
      '-0.0',
      '1.0E20',
      '1.5E-7',
      '123456.5',
      'NaN',
      '-Infinity',
    ]);
  });
  it('compares strings by code point', () => {
    expect(compareStrings('\u{10000}', '\uFFFF')).toBeGreaterThan(0);
    expect(compareStrings('B', 'a')).toBeLessThan(0);
    expect(compareStrings('ab', 'abc')).toBeLessThan(0);
  });
});

describe('properties over random values', () => {
  const sgn = (x: number): number => Math.sign(x);

  it('orderCompare is antisymmetric and reflexive', () => {
    fc.assert(
      fc.property(valueArb, valueArb, (a, b) => {
        expect(orderCompare(a, a)).toBe(0);
        expect(sgn(orderCompare(a, b))).toBe(-sgn(orderCompare(b, a)) || 0);
      }),
      { numRuns: 500 },
    );
  });

  it('orderCompare is transitive', () => {
    fc.assert(
      fc.property(valueArb, valueArb, valueArb, (a, b, c) => {
        const sorted = [a, b, c].sort(orderCompare);
        const [x, y, z] = sorted as [Value, Value, Value];
        expect(orderCompare(x, y)).toBeLessThanOrEqual(0);
        expect(orderCompare(y, z)).toBeLessThanOrEqual(0);
        expect(orderCompare(x, z)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });

  /** Equivalence defined independently: equality, but null ≡ null and NaN ≡ NaN, recursively. */
  function equivalentRef(a: Value, b: Value): boolean {
    if (a === null || b === null) return a === b;
    if (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b)) return true;
    if (Array.isArray(a) && Array.isArray(b)) {
      return a.length === b.length && a.every((x, i) => equivalentRef(x as Value, b[i] as Value));
    }
    if (isMap(a) && isMap(b)) {
      const ka = Object.keys(a).sort();
      const kb = Object.keys(b).sort();
      if (ka.join('\u0001') !== kb.join('\u0001')) return false;
      return ka.every((k) => equivalentRef(a[k] as Value, b[k] as Value));
    }
    return cypherEquals(a, b) === true;
  }

  const pairArb = fc.oneof(
    fc.tuple(valueArb, valueArb),
    valueArb.map((v) => [v, equivalentTwin(v)] as [Value, Value]),
  );

  it('groupingKey equal ⇔ equivalent', () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        expect(groupingKey(a) === groupingKey(b)).toBe(equivalentRef(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  it('orderCompare is zero exactly for equivalent values', () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        expect(orderCompare(a, b) === 0).toBe(groupingKey(a) === groupingKey(b));
      }),
      { numRuns: 1000 },
    );
  });

  it('cypherCompare agrees with orderCompare where it is defined', () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        const c = cypherCompare(a, b);
        if (c === null || Number.isNaN(c)) return;
        expect(sgn(c)).toBe(sgn(orderCompare(a, b)));
      }),
      { numRuns: 1000 },
    );
  });

  it('cypherEquals true implies equivalence', () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        if (cypherEquals(a, b) === true) expect(groupingKey(a)).toBe(groupingKey(b));
      }),
      { numRuns: 1000 },
    );
  });
});
