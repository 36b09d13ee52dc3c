import { describe, expect, it } from 'vitest';
import { Prng } from './prng.ts';

describe('Prng', () => {
  it('replays the same stream for the same seed', () => {
    const a = new Prng(12345);
    const b = new Prng(12345);
    for (let i = 0; i < 1000; i++) expect(a.nextU32()).toBe(b.nextU32());
  });

  it('gives different streams for neighbouring seeds', () => {
    const a = new Prng(1);
    const b = new Prng(2);
    let same = 0;
    for (let i = 0; i < 100; i++) if (a.nextU32() === b.nextU32()) same++;
    expect(same).toBeLessThan(3);
  });

  it('keeps int(lo, hi) within both bounds and reaches both', () => {
    const r = new Prng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.int(3, 8);
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(8);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('draws next() uniformly in [0, 1)', () => {
    const r = new Prng(99);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) {
      const v = r.next();
      expect(v >= 0 && v < 1).toBe(true);
      sum += v;
    }
    expect(Math.abs(sum / 20_000 - 0.5)).toBeLessThan(0.01);
  });

  it('honours chance() extremes and rate', () => {
    const r = new Prng(5);
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (r.chance(0.3)) hits++;
    expect(hits / 10_000).toBeGreaterThan(0.27);
    expect(hits / 10_000).toBeLessThan(0.33);
  });

  it('forks deterministic streams that differ from the parent', () => {
    const a = new Prng(3);
    const b = new Prng(3);
    const fa = a.fork();
    const fb = b.fork();
    for (let i = 0; i < 50; i++) expect(fa.next()).toBe(fb.next());
    expect(a.next()).toBe(b.next());
    expect(new Prng(3).fork().nextU32()).not.toBe(new Prng(3).nextU32());
  });

  it('picks and shuffles only existing elements', () => {
    const r = new Prng(11);
    const items = [1, 2, 3, 4, 5];
    for (let i = 0; i < 100; i++) expect(items).toContain(r.pick(items));
    expect(r.shuffle(items).sort()).toEqual(items);
    expect(() => r.pick([])).toThrow(/empty/);
  });
});
