import { describe, expect, it } from 'vitest';
import type { Value } from '../graph/index.ts';
import { createAggregator, isAggregateFunction } from './aggregates.ts';
import { errorOf, map } from './functions/test-values.ts';

/** Runs aggregate `name` over `values` (one argument per row, plus `extra` arguments). */
function aggregate(name: string, values: readonly Value[], distinct = false, extra: readonly Value[] = []): Value {
  const agg = createAggregator(name, distinct);
  for (const v of values) agg.add([v, ...extra]);
  return agg.result();
}

describe('isAggregateFunction', () => {
  it('knows the aggregates, ignoring case', () => {
    for (const name of ['count', 'COUNT', 'sum', 'avg', 'min', 'max', 'collect', 'percentileDisc', 'PERCENTILECONT', 'stDev', 'stdevp']) {
      expect(isAggregateFunction(name), name).toBe(true);
    }
    expect(isAggregateFunction('size')).toBe(false);
    expect(isAggregateFunction('toUpper')).toBe(false);
  });
});

describe('aggregates follow the TCK aggregation features', () => {
  it.each<[string, Value[], Value]>([
    ['count', [1n, null, 'a', null], 2n],
    ['count', [], 0n],
    ['sum', [33n, null, 42n], 75n],
    ['sum', [], 0n],
    ['sum', [1n, 2.5], 3.5],
    ['sum', [9007199254740993n, 1n], 9007199254740994n],
    ['avg', [1n, 2n], 1.5],
    ['avg', [1.0, null, 3.0], 2.0],
    ['avg', [], null],
    ['max', [1n, 2n, 0n, null, -1n], 2n],
    ['min', [1n, 2n, 0n, null, -1n], -1n],
    ['max', [1.0, 2.0, 0.5, null], 2.0],
    ['max', [1n, 2.0, 5n, null, 3.2, 0.1], 5n],
    ['min', [1n, 2.0, 5n, null, 3.2, 0.1], 0.1],
    ['max', ['a', 'b', 'B', null, 'abc', 'abc1'], 'b'],
    ['min', ['a', 'b', 'B', null, 'abc', 'abc1'], 'B'],
    ['max', [[1n], [2n], [2n, 1n]], [2n, 1n]],
    ['min', [[1n], [2n], [2n, 1n]], [1n]],
    ['max', [1n, 'a', null, [1n, 2n], 0.2, 'b'], 1n],
    ['min', [1n, 'a', null, [1n, 2n], 0.2, 'b'], [1n, 2n]],
    ['min', [null, null], null],
    ['collect', [1n, null, 'a'], [1n, 'a']],
    ['collect', [null], []],
    ['stDev', [2n, 4n, 4n, 4n, 5n, 5n, 7n, 9n], Math.sqrt(32 / 7)],
    ['stDevP', [2n, 4n, 4n, 4n, 5n, 5n, 7n, 9n], 2],
    ['stDev', [1n], 0],
    ['stDevP', [], 0],
  ])('%s over %o = %o', (name, values, expected) => {
    expect(aggregate(name, values)).toEqual(expected);
  });

  it('sum of 3000 consecutive integers does not overflow', () => {
    const values: Value[] = [];
    for (let i = 1_000_000n; i < 1_003_000n; i++) values.push(i);
    expect(aggregate('sum', values)).toBe(3004498500n);
  });

  it('count(*) counts rows, nulls included', () => {
    const agg = createAggregator('count', false);
    agg.add([]);
    agg.add([]);
    expect(agg.result()).toBe(2n);
  });

  it('DISTINCT deduplicates by equivalence (1 and 1.0 are one value; lists in maps compare by value)', () => {
    expect(aggregate('count', [1n, 1.0, 2n, null, 2n], true)).toBe(2n);
    expect(aggregate('count', [map({ name: ['A', 'B'] }), map({ name: ['A', 'B'] })], true)).toBe(1n);
    expect(aggregate('collect', [42n, 43n, 42n, null], true)).toEqual([42n, 43n]);
    expect(aggregate('sum', [1n, 1n, 2n], true)).toBe(3n);
    expect(aggregate('count', [NaN, NaN], true)).toBe(1n);
  });

  it.each<[string, number, Value]>([
    ['percentileDisc', 0.0, 10.0],
    ['percentileDisc', 0.5, 20.0],
    ['percentileDisc', 1.0, 30.0],
    ['percentileCont', 0.0, 10.0],
    ['percentileCont', 0.5, 20.0],
    ['percentileCont', 1.0, 30.0],
    ['percentileCont', 0.25, 15.0],
    ['percentileDisc', 0.4, 20.0],
  ])('%s(price, %o) over 10.0, 20.0, 30.0 = %o', (name, p, expected) => {
    expect(aggregate(name, [30.0, 10.0, null, 20.0], false, [p])).toEqual(expected);
  });

  it('percentileDisc keeps integer values integers', () => {
    expect(aggregate('percentileDisc', [3n, 1n, 2n], false, [0.5])).toBe(2n);
    expect(aggregate('percentileCont', [], false, [0.5])).toBe(null);
  });

  it.each([1000n, -1n, 1.1])('a percentile of %o is NumberOutOfRange', (p) => {
    expect(errorOf(() => aggregate('percentileCont', [10.0], false, [p]))).toBe('GQL_ARGUMENT/NumberOutOfRange');
    expect(errorOf(() => aggregate('percentileDisc', [10.0], false, [p]))).toBe('GQL_ARGUMENT/NumberOutOfRange');
  });

  it('percentileDisc(0.90, deg) with deg > 1 is NumberOutOfRange', () => {
    const agg = createAggregator('percentileDisc', false);
    expect(errorOf(() => agg.add([0.9, 3n]))).toBe('GQL_ARGUMENT/NumberOutOfRange');
  });

  it('sum overflowing int64 is GQL_OVERFLOW', () => {
    expect(errorOf(() => aggregate('sum', [9223372036854775807n, 1n]))).toBe('GQL_OVERFLOW/IntegerOverflow');
  });

  it.each(['sum', 'avg', 'stDev', 'percentileCont'])('%s of a non-number is GQL_TYPE InvalidArgumentType', (name) => {
    expect(errorOf(() => aggregate(name, ['a'], false, [0.5]))).toBe('GQL_TYPE/InvalidArgumentType');
  });
});
