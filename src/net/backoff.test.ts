import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.ts';

const o = { baseMs: 100, maxMs: 5_000 };

describe('backoff', () => {
  it('stays within [d/2, d) of the capped exponential delay', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const d = Math.min(o.maxMs, o.baseMs * 2 ** attempt);
        const v = backoffDelayMs(attempt, () => r, o);
        expect(v).toBeGreaterThanOrEqual(Math.floor(d / 2));
        expect(v).toBeLessThan(d);
      }),
    );
  });

  it('doubles per attempt until the cap', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelayMs(a, () => 0, o))).toEqual([50, 100, 200, 400, 2500]);
  });
});
