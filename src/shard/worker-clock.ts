/**
 * workerClock: a {@link HostClock} whose timers are driven by a dedicated Worker's ticks, so a
 * browser tab keeps its Raft heartbeats when it is hidden. Browsers throttle the timers of hidden
 * pages (Chrome runs them at most once a second, then once a minute); a dedicated Worker's timers
 * are not throttled that way. The Worker only counts time: every `tickMs` it posts one message,
 * and each message fires the clock's timers that are due. Everything else stays on the page.
 *
 * Where there is no Worker (Node, a page whose CSP refuses blob: workers) the clock falls back to
 * `setTimeout`, as {@link systemClock}; {@link WorkerClock.source} says which it uses.
 */
import { assert } from '../util/assert.ts';
import { systemClock, type HostClock, type TimerHandle } from './clock.ts';

/** Longest tick interval a worker clock accepts, ms (a Raft host ticks every few ms). */
export const workerClockTickMsMax = 1_000;

/** A HostClock with the source of its timers and a way to stop its Worker. */
export interface WorkerClock extends HostClock {
  /** `worker`: timers fire on a dedicated Worker's ticks; `timers`: plain `setTimeout`. */
  readonly source: 'worker' | 'timers';
  /** stop: terminates the Worker; timers still pending never fire. Idempotent. */
  stop(): void;
}

/** The Worker's whole program: post a message every `ms` it is told (0 stops it). */
const TICKER_SOURCE = 'let t;onmessage=(e)=>{clearInterval(t);if(e.data>0)t=setInterval(()=>postMessage(0),e.data)};';

interface PendingTimer {
  readonly due: number;
  readonly fn: () => void;
  live: boolean;
}

function startTicker(): Worker | undefined {
  if (typeof Worker === 'undefined' || typeof Blob === 'undefined' || typeof URL.createObjectURL !== 'function') return undefined;
  let url: string | undefined;
  try {
    url = URL.createObjectURL(new Blob([TICKER_SOURCE], { type: 'text/javascript' }));
    return new Worker(url, { name: 'geode-ticker' });
  } catch {
    return undefined; // CSP or a sandboxed frame: fall back to page timers
  } finally {
    if (url !== undefined) URL.revokeObjectURL(url);
  }
}

/**
 * workerClock: timers that fire on a Worker's tick every `tickMs` (a timer fires at the first tick
 * no more than half a tick before it is due, so at most a tick late and half a tick early);
 * `setTimeout` where no Worker can be started.
 */
export function workerClock(tickMs: number): WorkerClock {
  assert(Number.isFinite(tickMs) && tickMs > 0 && tickMs <= workerClockTickMsMax, `a worker clock tick of ${tickMs} ms (1..${workerClockTickMsMax})`);
  const worker = startTicker();
  if (worker === undefined) return { ...systemClock, source: 'timers', stop: () => {} };
  const now = (): number => performance.now();
  const slackMs = tickMs / 2;
  let pending: PendingTimer[] = [];
  let stopped = false;
  const fire = (): void => {
    if (pending.length === 0) return;
    const t = now() + slackMs;
    const due: PendingTimer[] = [];
    const later: PendingTimer[] = [];
    for (const p of pending) if (p.live) (p.due <= t ? due : later).push(p);
    pending = later;
    due.sort((a, b) => a.due - b.due);
    for (const p of due) if (p.live) p.fn();
  };
  worker.onmessage = fire;
  worker.postMessage(tickMs);
  return {
    source: 'worker',
    now,
    after(ms: number, fn: () => void): TimerHandle {
      const p: PendingTimer = { due: now() + ms, fn, live: !stopped };
      if (p.live) pending.push(p);
      return {
        cancel: () => {
          p.live = false;
        },
      };
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      pending = [];
      worker.terminate();
    },
  };
}
