import { describe, expect, it } from 'vitest';
import type { Value } from '../../graph/index.ts';
import { lookupFunction } from './index.ts';
import { roundDecimal } from './math.ts';
import { callFn, errorOf, testContext } from './test-values.ts';

describe('math functions return what openCypher specifies', () => {
  it.each<[string, Value[], Value]>([
    ['abs', [-1n], 1n],
    ['abs', [-1.5], 1.5],
    ['abs', [9223372036854775807n], 9223372036854775807n],
    ['ceil', [1.2], 2],
    ['ceil', [-1.2], -1],
    ['ceil', [3n], 3],
    ['floor', [1.7], 1],
    ['floor', [-1.2], -2],
    ['round', [2.5], 3],
    ['round', [-2.5], -2],
    ['round', [3.14159, 2n], 3.14],
    ['round', [2.675, 2n], 2.68],
    ['round', [-2.55, 1n], -2.6],
    ['round', [1234.5, -2n], 1200],
    ['round', [2.5, 0n, 'HALF_EVEN'], 2],
    ['round', [3.5, 0n, 'half_even'], 4],
    ['round', [2.5, 0n, 'HALF_DOWN'], 2],
    ['round', [2.1, 0n, 'UP'], 3],
    ['round', [-2.1, 0n, 'UP'], -3],
    ['round', [2.9, 0n, 'DOWN'], 2],
    ['round', [-2.1, 0n, 'CEILING'], -2],
    ['round', [-2.1, 0n, 'FLOOR'], -3],
    ['round', [1.25, 5n], 1.25],
    ['sign', [-5n], -1n],
    ['sign', [0n], 0n],
    ['sign', [2.5], 1n],
    ['sign', [-0.1], -1n],
    ['sqrt', [12.96], 3.6],
    ['sqrt', [4n], 2],
    ['exp', [0n], 1],
    ['log', [1n], 0],
    ['log10', [1000n], 3],
    ['e', [], Math.E],
    ['pi', [], Math.PI],
    ['sin', [0n], 0],
    ['cos', [0n], 1],
    ['tan', [0n], 0],
    ['asin', [1n], Math.PI / 2],
    ['acos', [1n], 0],
    ['atan', [1n], Math.PI / 4],
    ['atan2', [1n, 1n], Math.PI / 4],
    ['cot', [Math.PI / 4], 1 / Math.tan(Math.PI / 4)],
    ['degrees', [Math.PI], 180],
    ['radians', [180n], Math.PI],
    ['haversin', [0.5], (1 - Math.cos(0.5)) / 2],
  ])('%s(%o) = %o', (name, args, expected) => {
    const r = callFn(name, ...args);
    expect(typeof r).toBe(typeof expected);
    expect(r).toEqual(expected);
  });

  it('sqrt(-1) is NaN and log(0) is -Infinity', () => {
    expect(callFn('sqrt', -1n)).toBeNaN();
    expect(callFn('log', 0n)).toBe(-Infinity);
  });

  it.each(['abs', 'ceil', 'floor', 'round', 'sign', 'sqrt', 'exp', 'log', 'log10', 'sin', 'degrees', 'haversin'])(
    '%s(null) is null',
    (name) => {
      expect(callFn(name, null)).toBe(null);
    },
  );

  it.each<[string, Value[], string]>([
    ['abs', [-9223372036854775808n], 'GQL_OVERFLOW/IntegerOverflow'],
    ['abs', ['1'], 'GQL_TYPE/InvalidArgumentType'],
    ['sqrt', [true], 'GQL_TYPE/InvalidArgumentType'],
    ['round', [1.5, 1.0], 'GQL_TYPE/InvalidArgumentType'],
    ['round', [1.5, 1n, 'SIDEWAYS'], 'GQL_ARGUMENT/InvalidArgumentValue'],
    ['atan2', [1n, 'x'], 'GQL_TYPE/InvalidArgumentType'],
  ])('%s(%o) fails with %s', (name, args, expected) => {
    expect(errorOf(() => callFn(name, ...args))).toBe(expected);
  });

  it('rand() is a float in [0, 1) drawn from the context, and not deterministic', () => {
    const def = lookupFunction('rand');
    expect(def?.deterministic).toBe(false);
    const ctx = testContext(7);
    for (let i = 0; i < 100; i++) {
      const r = def?.call([], ctx) as number;
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThan(1);
    }
  });

  it('roundDecimal rounds in decimal, not binary', () => {
    expect(roundDecimal(1.005, 2, 'HALF_UP')).toBe(1.01);
    expect(roundDecimal(0.125, 2, 'HALF_EVEN')).toBe(0.12);
    expect(roundDecimal(1e21, 2, 'HALF_UP')).toBe(1e21);
    expect(roundDecimal(1.5e-7, 7, 'HALF_UP')).toBe(2e-7);
  });
});
