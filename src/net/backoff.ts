/**
 * Reconnection delays: exponential backoff with "equal jitter" (half fixed, half random), so
 * peers that lost a common neighbour do not redial it in lockstep. Pure: the random source is passed in.
 */
import { assert } from '../util/assert.ts';

/** Backoff settings, ms. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * backoffDelayMs: the delay before reconnection attempt `attempt` (0 = first retry):
 * with `d = min(maxMs, baseMs · 2^attempt)`, a value in `[d/2, d)`; `random()` is in [0, 1).
 */
export function backoffDelayMs(attempt: number, random: () => number, o: BackoffOptions): number {
  assert(Number.isInteger(attempt) && attempt >= 0, `attempt ${attempt} must be a non-negative integer`);
  assert(o.baseMs > 0 && o.baseMs <= o.maxMs, `backoff base ${o.baseMs} must be in (0, max ${o.maxMs}]`);
  const d = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(attempt, 30));
  const r = random();
  assert(r >= 0 && r < 1, `random() returned ${r}, not in [0, 1)`);
  return Math.floor(d / 2 + (r * d) / 2);
}
