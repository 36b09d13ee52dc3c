/**
 * Virtual time for simulations: a scheduler of callbacks at virtual milliseconds. Nothing here
 * reads a real clock; time only moves when the next event is taken from the queue. Events at the
 * same time run in the order they were scheduled, so a run is a pure function of its inputs.
 */

import { assert } from '../util/assert.ts';

interface Scheduled {
  readonly time: number;
  readonly seq: number;
  readonly fn: () => void;
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** Scheduler: a binary min-heap of callbacks keyed by (virtual time, scheduling order). */
export class Scheduler {
  private heap: Scheduled[] = [];
  private seq = 0;
  /** now: the current virtual time, ms. */
  now = 0;
  /** Events run so far. */
  executed = 0;

  /** at: runs `fn` at virtual time `time` (not before now). */
  at(time: number, fn: () => void): void {
    assert(Number.isFinite(time), `Scheduler.at(${time}): time must be finite`);
    const ev: Scheduled = { time: time < this.now ? this.now : time, seq: this.seq++, fn };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(ev, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = ev;
  }

  /** after: runs `fn` `delay` ms from now. */
  after(delay: number, fn: () => void): void {
    this.at(this.now + delay, fn);
  }

  /** pending: events waiting. */
  get pending(): number {
    return this.heap.length;
  }

  private pop(): Scheduled | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  /**
   * runUntil: runs events in order until virtual time would pass `time` (then now = time), the
   * queue is empty, `stop()` returns true (checked after each event), or `maxEvents` ran.
   * Returns true when stopped by `stop`.
   */
  runUntil(time: number, stop?: () => boolean, maxEvents = 50_000_000): boolean {
    let n = 0;
    while (this.heap.length > 0 && this.heap[0]!.time <= time) {
      const ev = this.pop()!;
      this.now = ev.time;
      this.executed++;
      ev.fn();
      if (stop !== undefined && stop()) return true;
      assert(++n <= maxEvents, `more than ${maxEvents} events before virtual time ${time}: a livelock?`);
    }
    if (this.now < time) this.now = time;
    return false;
  }
}
