/**
 * HostClock: the time source and timer a {@link ShardHost} is driven by. Injected, so the
 * simulator drives hosts in virtual time and a browser tab can tick from a Worker.
 */

/** A scheduled callback that can be cancelled. */
export interface TimerHandle {
  cancel(): void;
}

/** HostClock: now (ms, monotonic) and one-shot timers. */
export interface HostClock {
  now(): number;
  after(ms: number, fn: () => void): TimerHandle;
}

/** systemClock: `performance.now()` and `setTimeout` (Node and browsers). */
export const systemClock: HostClock = {
  now: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};

/** VirtualScheduler: the part of the simulator's Scheduler (src/sim/clock.ts) a virtual clock needs. */
export interface VirtualScheduler {
  readonly now: number;
  after(delay: number, fn: () => void): void;
}

/** virtualClock: a HostClock over the simulator's scheduler (cancelled timers just do nothing). */
export function virtualClock(scheduler: VirtualScheduler): HostClock {
  return {
    now: () => scheduler.now,
    after(ms, fn) {
      let live = true;
      scheduler.after(ms, () => {
        if (live) fn();
      });
      return {
        cancel: () => {
          live = false;
        },
      };
    },
  };
}
