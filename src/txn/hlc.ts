/**
 * HybridClock: a hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014) for the
 * transaction and federation layers. A timestamp is (wall ms, logical counter): it never goes
 * backwards on a peer, it moves past every timestamp the peer has seen in a message, and it stays
 * within the clock skew of physical time, so timestamps order events by causality and, between
 * peers with synchronised clocks, roughly by time.
 *
 * - `now()`: a timestamp for a local event or an outgoing message, above every earlier one.
 * - `update(remote, from)`: on a received message; refuses (INPUT_INVALID, detail `ClockSkew`,
 *   naming the sender) a timestamp more than `maxSkewMs` ahead of this peer's physical clock, so a
 *   peer with a clock far in the future cannot drag everyone's timestamps along; such a peer does
 *   not take part until its clock is fixed.
 *
 * Pure apart from the injected physical clock (the simulator injects a skewed virtual one).
 *
 * @example
 * ```ts
 * const hlc = new HybridClock(() => Date.now());
 * const t = hlc.now();                 // stamp an outgoing message with t
 * hlc.update(message.hlc, message.from); // on receipt
 * ```
 */
import { GeodeError } from '../util/errors.ts';

/** A hybrid timestamp: wall-clock ms and a logical counter that orders events within one ms. */
export interface HlcTimestamp {
  readonly wall: number;
  readonly logical: number;
}

/** Default bound on how far ahead of local physical time a received timestamp may be, ms. */
export const maxClockSkewMsDefault = 500;
/** The logical counter's bound: past it the clock waits for the wall clock (never overflows). */
export const hlcLogicalMax = 0xffff_ffff;

/** compareHlc: negative, zero or positive as `a` is before, equal to or after `b`. */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  return a.wall !== b.wall ? a.wall - b.wall : a.logical - b.logical;
}

/** formatHlc: `wall.logical` (e.g. `1733140800000.3`), for logs and rows. */
export function formatHlc(t: HlcTimestamp): string {
  return `${t.wall}.${t.logical}`;
}

function checkTimestamp(t: HlcTimestamp, source: string): void {
  if (typeof t !== 'object' || t === null || !Number.isSafeInteger(t.wall) || t.wall < 0 || !Number.isSafeInteger(t.logical) || t.logical < 0 || t.logical > hlcLogicalMax) {
    throw new GeodeError('INPUT_INVALID', `a hybrid timestamp from ${source} is malformed`, { source, detail: 'BadTimestamp' });
  }
}

export class HybridClock {
  readonly #physical: () => number;
  readonly maxSkewMs: number;
  #wall = 0;
  #logical = 0;

  /** `physical`: this peer's wall clock in ms; `maxSkewMs`: tolerance for remote timestamps (default 500). */
  constructor(physical: () => number, maxSkewMs = maxClockSkewMsDefault) {
    if (!Number.isFinite(maxSkewMs) || maxSkewMs < 0) {
      throw new GeodeError('CONFIG_INVALID', `transactions.max_clock_skew_ms must be a non-negative number, got ${String(maxSkewMs)}`, {
        source: 'config',
        detail: 'transactions.max_clock_skew_ms',
      });
    }
    this.#physical = physical;
    this.maxSkewMs = maxSkewMs;
  }

  #pt(): number {
    return Math.max(0, Math.floor(this.#physical()));
  }

  /** last: the latest timestamp issued or received (zero before any). */
  last(): HlcTimestamp {
    return { wall: this.#wall, logical: this.#logical };
  }

  /** now: a timestamp above every timestamp this clock issued or received. */
  now(): HlcTimestamp {
    const pt = this.#pt();
    if (pt > this.#wall) {
      this.#wall = pt;
      this.#logical = 0;
    } else if (this.#logical < hlcLogicalMax) {
      this.#logical++;
    } else {
      // 2^32 events in one ms: move to the next ms rather than overflow (drifts ahead by 1 ms).
      this.#wall++;
      this.#logical = 0;
    }
    return this.last();
  }

  /**
   * witness: takes in a timestamp from the group's agreed log (an entry's version stamp): the clock
   * moves up to it, with no skew check (the log is what the group agreed on; refusing it would stop
   * replication). {@link now} then returns something above it.
   */
  witness(t: HlcTimestamp): void {
    if (t.wall > this.#wall || (t.wall === this.#wall && t.logical > this.#logical)) {
      this.#wall = t.wall;
      this.#logical = t.logical;
    }
  }

  /**
   * update: takes in a timestamp received from `from` and returns one above both it and every
   * earlier one. Throws INPUT_INVALID (`ClockSkew`) when it is more than `maxSkewMs` ahead of this
   * peer's physical clock (the clock is then unchanged), or (`BadTimestamp`) when malformed.
   */
  update(remote: HlcTimestamp, from: string): HlcTimestamp {
    checkTimestamp(remote, from);
    const pt = this.#pt();
    if (remote.wall - pt > this.maxSkewMs) {
      throw new GeodeError('INPUT_INVALID', `peer ${from}'s clock is ${remote.wall - pt} ms ahead of this peer's, more than the ${this.maxSkewMs} ms tolerated: it cannot take part until its clock is fixed`, {
        source: from,
        detail: 'ClockSkew',
      });
    }
    const wall = Math.max(this.#wall, remote.wall, pt);
    let logical: number;
    if (wall === this.#wall && wall === remote.wall) logical = Math.max(this.#logical, remote.logical) + 1;
    else if (wall === this.#wall) logical = this.#logical + 1;
    else if (wall === remote.wall) logical = remote.logical + 1;
    else logical = 0;
    if (logical > hlcLogicalMax) {
      this.#wall = wall + 1;
      this.#logical = 0;
    } else {
      this.#wall = wall;
      this.#logical = logical;
    }
    return this.last();
  }
}
