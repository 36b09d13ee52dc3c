/**
 * workerClock: timers driven by a Worker's ticks (here a stub Worker whose "ticks" the test
 * posts by hand, so nothing depends on real time), and the setTimeout fallback where there is no
 * Worker (Node).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { workerClock } from './worker-clock.ts';

/** A stand-in for a dedicated Worker: records what the page posts; `tick()` is the Worker's message. */
class StubWorker {
  static last: StubWorker | undefined;
  onmessage: ((e: MessageEvent) => void) | null = null;
  readonly posted: unknown[] = [];
  terminated = false;
  constructor(readonly url: string) {
    StubWorker.last = this;
  }
  postMessage(data: unknown): void {
    this.posted.push(data);
  }
  terminate(): void {
    this.terminated = true;
  }
  tick(): void {
    if (!this.terminated) this.onmessage?.({ data: 0 } as MessageEvent);
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  StubWorker.last = undefined;
});

describe('workerClock', () => {
  it('falls back to setTimeout where there is no Worker (Node)', async () => {
    expect(typeof (globalThis as { Worker?: unknown }).Worker).toBe('undefined');
    const clock = workerClock(10);
    expect(clock.source).toBe('timers');
    const fired = await new Promise<boolean>((resolve) => clock.after(1, () => resolve(true)));
    expect(fired).toBe(true);
    clock.stop();
  });

  it('tells its Worker the tick interval, and fires each timer on the first tick at or past half a tick before it is due', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    vi.stubGlobal('Worker', StubWorker);
    const clock = workerClock(10);
    const w = StubWorker.last!;
    expect(clock.source).toBe('worker');
    expect(w.posted).toEqual([10]);
    const fired: string[] = [];
    clock.after(10, () => fired.push('a'));
    clock.after(30, () => fired.push('c'));
    clock.after(20, () => fired.push('b'));
    vi.advanceTimersByTime(4);
    w.tick();
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(2); // 6 ms: within half a tick of 'a'
    w.tick();
    expect(fired).toEqual(['a']);
    vi.advanceTimersByTime(30); // a late tick fires what is due, in due order
    w.tick();
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('never fires a cancelled timer, nor any timer once stopped (its Worker terminated)', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    vi.stubGlobal('Worker', StubWorker);
    const clock = workerClock(10);
    const w = StubWorker.last!;
    const fired: string[] = [];
    clock.after(10, () => fired.push('cancelled')).cancel();
    clock.after(10, () => fired.push('kept'));
    vi.advanceTimersByTime(10);
    w.tick();
    expect(fired).toEqual(['kept']);
    clock.after(10, () => fired.push('after stop'));
    clock.stop();
    expect(w.terminated).toBe(true);
    vi.advanceTimersByTime(10);
    w.tick();
    clock.after(1, () => fired.push('after stop too'));
    expect(fired).toEqual(['kept']);
  });

  it('asserts a tick interval in 1..1000 ms', () => {
    expect(() => workerClock(0)).toThrow(/tick of 0 ms/);
    expect(() => workerClock(5_000)).toThrow(/tick of 5000 ms/);
  });
});
