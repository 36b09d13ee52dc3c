import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isGeodeError } from '../util/errors.ts';
import { HashRing, hashKey } from './hash-ring.ts';

const KEYS = 60_000;

function counts(ring: HashRing, keys: number): Map<number, number> {
  const out = new Map<number, number>();
  for (let k = 0; k < keys; k++) {
    const s = ring.shardOf(BigInt(k));
    out.set(s, (out.get(s) ?? 0) + 1);
  }
  return out;
}

describe('HashRing', () => {
  it('spreads sequential node ids evenly: every shard within 15% of the mean', () => {
    for (const n of [3, 5, 8]) {
      const ring = HashRing.of(Array.from({ length: n }, (_, i) => i));
      const c = counts(ring, KEYS);
      expect(c.size).toBe(n);
      for (const v of c.values()) expect(Math.abs(v - KEYS / n) / (KEYS / n)).toBeLessThan(0.15);
    }
  });

  it('moves only keys to the added shard, about 1/(n+1) of them, when a shard is added', () => {
    const before = HashRing.of([0, 1, 2]);
    const after = before.withShard(3);
    let moved = 0;
    for (let k = 0; k < KEYS; k++) {
      const a = before.shardOf(BigInt(k));
      const b = after.shardOf(BigInt(k));
      if (a !== b) {
        expect(b).toBe(3); // nothing moves between the old shards
        moved++;
      }
    }
    expect(moved / KEYS).toBeGreaterThan(0.25 * 0.8);
    expect(moved / KEYS).toBeLessThan(0.25 * 1.2);
  });

  it('moves only the removed shard keys when a shard is removed', () => {
    const before = HashRing.of([0, 1, 2, 3]);
    const after = before.withoutShard(2);
    for (let k = 0; k < 5_000; k++) {
      const a = before.shardOf(BigInt(k));
      if (a !== 2) expect(after.shardOf(BigInt(k))).toBe(a);
    }
  });

  it('is the same ring whatever order the shards are given in, and places a number id like its bigint', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6], { minLength: 1 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (shards, key) => {
        const a = HashRing.of(shards, 16);
        const b = HashRing.of([...shards].reverse(), 16);
        expect(a.shardOf(key)).toBe(b.shardOf(key));
        expect(shards).toContain(a.shardOf(key));
        if (key >= BigInt(Number.MIN_SAFE_INTEGER) && key <= BigInt(Number.MAX_SAFE_INTEGER)) expect(hashKey(Number(key))).toBe(hashKey(key));
      }),
    );
  });

  it('covers the 32-bit hash space with its spans exactly once', () => {
    const ring = HashRing.of([0, 1, 2], 8);
    const spans = [...ring.spans().values()].flat().sort((a, b) => a[0] - b[0]);
    expect(spans[0]![0]).toBe(0);
    expect(spans[spans.length - 1]![1]).toBe(0xffffffff);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBe(spans[i - 1]![1] + 1);
  });

  it('refuses no shards, repeated or out-of-range shard ids and bad virtual node counts, naming the key', () => {
    for (const [shards, v] of [[[], 8], [[1, 1], 8], [[-1], 8], [[2000], 8], [[0], 0], [[0], 1e9]] as [number[], number][]) {
      try {
        HashRing.of(shards, v);
        expect.unreachable();
      } catch (err) {
        expect(isGeodeError(err, 'CONFIG_INVALID')).toBe(true);
        expect((err as Error).message).toMatch(/sharding/);
      }
    }
  });
});
