import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isGeodeError } from '../util/errors.ts';
import { compareHlc, HybridClock, type HlcTimestamp } from './hlc.ts';

describe('HybridClock', () => {
  it('never goes backwards, even when the wall clock does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 200 }), (walls) => {
        let i = 0;
        const hlc = new HybridClock(() => walls[Math.min(i++, walls.length - 1)]!);
        let prev: HlcTimestamp = { wall: -1, logical: 0 };
        for (let k = 0; k < walls.length; k++) {
          const t = hlc.now();
          expect(compareHlc(t, prev)).toBeGreaterThan(0);
          prev = t;
        }
      }),
    );
  });

  it('orders a message after its send on every peer (causality), within the skew bound', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ from: fc.integer({ min: 0, max: 2 }), to: fc.integer({ min: 0, max: 2 }), advance: fc.integer({ min: 0, max: 50 }) }), { maxLength: 300 }),
        fc.array(fc.integer({ min: -200, max: 200 }), { minLength: 3, maxLength: 3 }),
        (events, skews) => {
          let time = 1_000;
          const clocks = skews.map((s) => new HybridClock(() => time + s, 1_000));
          for (const e of events) {
            time += e.advance;
            const sent = clocks[e.from]!.now();
            const got = clocks[e.to]!.update(sent, `peer${e.from}`);
            expect(compareHlc(got, sent)).toBeGreaterThan(0);
            // Within the skew of physical time: never more than the largest skew ahead.
            expect(got.wall).toBeLessThanOrEqual(time + 200);
          }
        },
      ),
    );
  });

  it('refuses a peer whose clock is too far ahead, naming it, and stays as it was', () => {
    const hlc = new HybridClock(() => 10_000, 500);
    const before = hlc.now();
    try {
      hlc.update({ wall: 20_000, logical: 0 }, 'peerX');
      expect.unreachable();
    } catch (err) {
      expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
      expect((err as { detail?: string }).detail).toBe('ClockSkew');
      expect((err as Error).message).toContain('peerX');
    }
    expect(hlc.last()).toEqual(before);
    expect(hlc.update({ wall: 10_400, logical: 7 }, 'peerY')).toEqual({ wall: 10_400, logical: 8 });
  });

  it('refuses malformed timestamps from the wire', () => {
    const hlc = new HybridClock(() => 0);
    for (const bad of [{ wall: -1, logical: 0 }, { wall: 1.5, logical: 0 }, { wall: 1, logical: -1 }, null]) {
      expect(() => hlc.update(bad as never, 'peerZ')).toThrow(/malformed/);
    }
  });
});
