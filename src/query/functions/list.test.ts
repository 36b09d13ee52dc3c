import { describe, expect, it } from 'vitest';
import type { Value } from '../../graph/index.ts';
import { callFn, errorOf, map, sampleGraph } from './test-values.ts';

const g = sampleGraph();

describe('list functions return what openCypher specifies', () => {
  it.each<[string, Value[], Value]>([
    ['size', [[1n, 2n, 3n]], 3n],
    ['size', [[]], 0n],
    ['head', [[1n, 2n]], 1n],
    ['head', [[]], null],
    ['last', [[1n, 2n]], 2n],
    ['last', [[]], null],
    ['tail', [[1n, 2n, 3n]], [2n, 3n]],
    ['tail', [[]], []],
    ['reverse', [[1n, 'a', null]], [null, 'a', 1n]],
    ['range', [-1236n, -1234n], [-1236n, -1235n, -1234n]],
    ['range', [-1234n, -1234n], [-1234n]],
    ['range', [0n, 10n, 3n], [0n, 3n, 6n, 9n]],
    ['range', [10n, 0n, -4n], [10n, 6n, 2n]],
    ['range', [0n, 5n, -1n], []],
    ['range', [5n, 0n], []],
    ['range', [9223372036854775806n, 9223372036854775807n], [9223372036854775806n, 9223372036854775807n]],
    ['coalesce', [null, null, 2n, 3n], 2n],
    ['coalesce', [null], null],
    ['isEmpty', [[]], true],
    ['isEmpty', [[null]], false],
    ['isEmpty', [''], true],
    ['isEmpty', [map({})], true],
    ['isEmpty', [map({ a: null })], false],
    ['nodes', [g.p2], [g.n1, g.n2, g.n3]],
    ['relationships', [g.p2], [g.r1, g.r2]],
    ['relationships', [g.p0], []],
  ])('%s(%o) = %o', (name, args, expected) => {
    expect(callFn(name, ...args)).toEqual(expected);
  });

  it.each(['size', 'head', 'last', 'tail', 'reverse', 'isEmpty', 'nodes', 'relationships'])('%s(null) is null', (name) => {
    expect(callFn(name, null)).toBe(null);
  });

  it('range() agrees with its definition for every small start/end/step', () => {
    for (let start = -4n; start <= 4n; start++) {
      for (let end = -4n; end <= 4n; end++) {
        for (const step of [-3n, -2n, -1n, 1n, 2n, 3n]) {
          const expected: bigint[] = [];
          for (let x = start; step > 0n ? x <= end : x >= end; x += step) expected.push(x);
          expect(callFn('range', start, end, step)).toEqual(expected);
        }
      }
    }
  });

  it.each<[string, Value[], string]>([
    ['range', [0n, 0n, 0n], 'GQL_ARGUMENT/NumberOutOfRange'],
    ['range', [2n, -8n, 0n], 'GQL_ARGUMENT/NumberOutOfRange'],
    ['range', [true, 1n, 1n], 'GQL_ARGUMENT/InvalidArgumentType'],
    ['range', [0.0, 1n, 1n], 'GQL_ARGUMENT/InvalidArgumentType'],
    ['range', [0n, -0.0, 1n], 'GQL_ARGUMENT/InvalidArgumentType'],
    ['range', [0n, 1n, 1.1], 'GQL_ARGUMENT/InvalidArgumentType'],
    ['range', ['xyz', 1n, 1n], 'GQL_ARGUMENT/InvalidArgumentType'],
    ['range', [0n, [1n], 1n], 'GQL_ARGUMENT/InvalidArgumentType'],
    ['range', [0n, 1n, map({ step: 1n })], 'GQL_ARGUMENT/InvalidArgumentType'],
    ['range', [0n, 9223372036854775807n], 'LIMIT_EXCEEDED'],
    ['head', ['abc'], 'GQL_TYPE/InvalidArgumentType'],
    ['tail', [1n], 'GQL_TYPE/InvalidArgumentType'],
    ['size', [g.p1], 'GQL_TYPE/InvalidArgumentType'],
    ['nodes', [[g.n1]], 'GQL_TYPE/InvalidArgumentType'],
    ['isEmpty', [1n], 'GQL_TYPE/InvalidArgumentType'],
  ])('%s(%o) fails with %s', (name, args, expected) => {
    expect(errorOf(() => callFn(name, ...args))).toBe(expected);
  });

  it('tail and reverse do not mutate their argument', () => {
    const l: Value[] = [1n, 2n, 3n];
    callFn('tail', l);
    callFn('reverse', l);
    expect(l).toEqual([1n, 2n, 3n]);
  });
});
