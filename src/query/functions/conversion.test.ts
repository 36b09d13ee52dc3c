import { describe, expect, it } from 'vitest';
import type { Value } from '../../graph/index.ts';
import { callFn, errorOf, map, sampleGraph } from './test-values.ts';

const g = sampleGraph();

describe('conversion functions follow the TCK typeConversion features', () => {
  it.each<[string, Value[], Value]>([
    ['toBoolean', [true], true],
    ['toBoolean', ['true'], true],
    ['toBoolean', ['FALSE'], false],
    ['toBoolean', [''], null],
    ['toBoolean', [' tru '], null],
    ['toBoolean', ['f alse'], null],
    ['toBoolean', [0n], false],
    ['toBoolean', [5n], true],
    ['toInteger', [82.9], 82n],
    ['toInteger', [-2.9], -2n],
    ['toInteger', [2n], 2n],
    ['toInteger', ['foo'], null],
    ['toInteger', [''], null],
    ['toInteger', ['42'], 42n],
    ['toInteger', ['2.9'], 2n],
    ['toInteger', ['1.7'], 1n],
    ['toInteger', ['1e3'], 1000n],
    ['toInteger', ['9223372036854775807'], 9223372036854775807n],
    ['toInteger', ['9223372036854775808'], null],
    ['toInteger', [true], 1n],
    ['toFloat', [3n], 3.0],
    ['toFloat', [3.4], 3.4],
    ['toFloat', ['5'], 5.0],
    ['toFloat', ['foo'], null],
    ['toFloat', [''], null],
    ['toFloat', ['.5'], 0.5],
    ['toFloat', ['-1.5e2'], -150],
    ['toString', [-0.0], '-0.0'],
    ['toIntegerList', [[1n, '2', 'x', 2.9, [1n]]], [1n, 2n, null, 2n, null]],
    ['toFloatList', [[1n, '2.5', 'x']], [1, 2.5, null]],
    ['toBooleanList', [['true', 0n, 1.5]], [true, false, null]],
    ['toStringList', [[1n, 1.5, true, [1n]]], ['1', '1.5', 'true', null]],
    ['toIntegerOrNull', [[1n]], null],
    ['toFloatOrNull', [true], null],
    ['toBooleanOrNull', [1.0], null],
  ])('%s(%o) = %o', (name, args, expected) => {
    expect(callFn(name, ...args)).toEqual(expected);
  });

  it.each(['toBoolean', 'toInteger', 'toFloat', 'toString', 'toIntegerOrNull', 'toIntegerList'])('%s(null) is null', (name) => {
    expect(callFn(name, null)).toBe(null);
  });

  const invalid: [string, Value][] = [
    ['list', []],
    ['map', map({})],
    ['node', g.n1],
    ['relationship', g.r1],
    ['path', g.p1],
  ];
  it.each(invalid)('toBoolean, toInteger and toFloat refuse a %s with InvalidArgumentValue', (_kind, v) => {
    for (const name of ['toBoolean', 'toInteger', 'toFloat']) {
      expect(errorOf(() => callFn(name, v))).toBe('GQL_TYPE/InvalidArgumentValue');
    }
  });

  it('toBoolean refuses a float and toFloat refuses a boolean', () => {
    expect(errorOf(() => callFn('toBoolean', 1.0))).toBe('GQL_TYPE/InvalidArgumentValue');
    expect(errorOf(() => callFn('toFloat', true))).toBe('GQL_TYPE/InvalidArgumentValue');
  });

  it('toInteger of a float outside int64 is NumberOutOfRange, toIntegerOrNull gives null', () => {
    expect(errorOf(() => callFn('toInteger', 1e19))).toBe('GQL_ARGUMENT/NumberOutOfRange');
    expect(errorOf(() => callFn('toInteger', NaN))).toBe('GQL_ARGUMENT/NumberOutOfRange');
    expect(callFn('toIntegerOrNull', 1e19)).toBe(null);
  });
});
