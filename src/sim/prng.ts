/**
 * A seeded pseudo-random number generator: xoshiro128** (Blackman & Vigna), seeded through
 * splitmix32. It is the ONLY source of randomness in a simulation, so a run is a pure function of
 * its seed. Not cryptographic.
 */

import { assert } from '../util/assert.ts';

/** splitmix32: one step of a 32-bit mixer, used to spread a small seed over the state words. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Prng: a deterministic random stream. Two instances built from the same seed produce the same
 * sequence forever; {@link Prng.fork} derives an independent stream (so adding draws to one part
 * of a simulation does not shift the draws of another).
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Creates a stream from any integer seed (its low 53 bits are used). */
  constructor(seed: number) {
    assert(Number.isFinite(seed), `Prng seed must be a finite number, got ${seed}`);
    const hi = Math.floor(seed / 4294967296) | 0;
    const st = { s: (seed | 0) ^ Math.imul(hi, 0x27d4eb2d) };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** nextU32: the next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** next: a float uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** int: an integer uniform in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    assert(Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && lo <= hi, `Prng.int(${lo}, ${hi}): bad range`);
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** float: a float uniform in [lo, hi). */
  float(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  /** chance: true with probability `p` (p <= 0 never, p >= 1 always). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** pick: a uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'Prng.pick of an empty array');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** shuffle: a new array with the elements of `items` in a uniformly random order. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }

  /** fork: a new independent stream, seeded from this one (advances this stream by two draws). */
  fork(): Prng {
    return new Prng(this.nextU32() * 2097152 + (this.nextU32() >>> 11));
  }

  /** fn: this stream as a `() => number` in [0, 1), the shape Raft's `random` config wants. */
  fn(): () => number {
    return () => this.next();
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
