import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildTemporal } from '../graph/index.ts';
import { isGeodeError } from '../util/errors.ts';
import { RangePartitioner, type KeyRange } from './range-partitioner.ts';

const p = RangePartitioner.of([10, 11, 12, 13], [100n, 200n, 300n]);

/** What a predicate matches, by brute force over the values a shard could hold. */
function matches(range: KeyRange, v: bigint): boolean {
  const lo = range.lower;
  const hi = range.upper;
  if (lo !== undefined && (lo.inclusive ? v < (lo.value as bigint) : v <= (lo.value as bigint))) return false;
  if (hi !== undefined && (hi.inclusive ? v > (hi.value as bigint) : v >= (hi.value as bigint))) return false;
  return true;
}

describe('RangePartitioner', () => {
  it('places a value in the range that holds it: below the first boundary, between, at and above the last', () => {
    expect([p.shardOf(-5n), p.shardOf(99n), p.shardOf(100n), p.shardOf(199.5), p.shardOf(300n), p.shardOf(10n ** 12n)]).toEqual([10, 10, 11, 11, 13, 13]);
    expect(p.shardOf(null)).toBe(10);
    expect(p.shardOf(undefined)).toBe(10);
  });

  it('prunes: an equality touches one shard, a range only the shards it overlaps, never missing a match', () => {
    expect(p.shardsFor({ lower: { value: 150n, inclusive: true }, upper: { value: 150n, inclusive: true } })).toEqual([11]);
    expect(p.shardsFor({ lower: { value: 150n, inclusive: true }, upper: { value: 250n, inclusive: false } })).toEqual([11, 12]);
    expect(p.shardsFor({ upper: { value: 200n, inclusive: false } })).toEqual([10, 11]);
    expect(p.shardsFor({ upper: { value: 200n, inclusive: true } })).toEqual([10, 11, 12]);
    expect(p.shardsFor({})).toEqual([10, 11, 12, 13]);
    expect(p.shardsFor({ lower: { value: 5n, inclusive: true }, upper: { value: 4n, inclusive: true } })).toEqual([]);
    fc.assert(
      fc.property(
        fc.option(fc.record({ value: fc.bigInt({ min: 0n, max: 400n }), inclusive: fc.boolean() }), { nil: undefined }),
        fc.option(fc.record({ value: fc.bigInt({ min: 0n, max: 400n }), inclusive: fc.boolean() }), { nil: undefined }),
        fc.bigInt({ min: -10n, max: 410n }),
        (lower, upper, v) => {
          const range: KeyRange = { ...(lower === undefined ? {} : { lower }), ...(upper === undefined ? {} : { upper }) };
          if (matches(range, v)) expect(p.shardsFor(range)).toContain(p.shardOf(v));
        },
      ),
    );
  });

  it('orders temporal boundaries in time', () => {
    const d = (y: number) => buildTemporal('date', { year: y, month: 1, day: 1 });
    const t = RangePartitioner.of([0, 1, 2], [d(2011), d(2012)]);
    expect([t.shardOf(d(2010)), t.shardOf(d(2011)), t.shardOf(buildTemporal('date', { year: 2011, month: 7, day: 4 })), t.shardOf(d(2020))]).toEqual([0, 1, 1, 2]);
  });

  it('refuses boundaries that are not strictly ascending, null, or that do not match the shard count', () => {
    for (const [shards, bounds] of [
      [[0, 1, 2], [2n, 1n]],
      [[0, 1, 2], [1n, 1n]],
      [[0, 1], [null]],
      [[0, 1, 2], [1n]],
      [[0, 0], [1n]],
    ] as [number[], (bigint | null)[]][]) {
      try {
        RangePartitioner.of(shards, bounds);
        expect.unreachable();
      } catch (err) {
        expect(isGeodeError(err, 'CONFIG_INVALID')).toBe(true);
        expect((err as Error).message).toMatch(/^sharding\.ranges/);
      }
    }
  });
});
