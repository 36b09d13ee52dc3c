/**
 * Waiters: promises that settle when a condition on a group's state holds, or fail at a deadline.
 * The host polls them after every loop iteration, tick and received frame, so a waiter never
 * needs its own timer (the simulator's virtual clock drives the deadlines like everything else).
 */
import { GeodeError } from '../util/errors.ts';

interface Waiter {
  readonly check: () => boolean;
  readonly deadline: number;
  readonly what: string;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class Waiters {
  #list: Waiter[] = [];
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** size: waiters pending. */
  get size(): number {
    return this.#list.length;
  }

  /**
   * until: resolves once `check()` returns true (checked now and at each poll); rejects with what
   * `check` throws, or with LIMIT_EXCEEDED (detail `RequestTimeout`) once `now >= deadline`.
   */
  until(check: () => boolean, deadline: number, what: string): Promise<void> {
    try {
      if (check()) return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#list.length >= this.#max) {
      return Promise.reject(new GeodeError('LIMIT_EXCEEDED', `more than ${this.#max} queries wait on this replica`, { detail: 'TooManyWaiting' }));
    }
    return new Promise<void>((resolve, reject) => {
      this.#list.push({ check, deadline, what, resolve, reject });
    });
  }

  /** poll: settles every waiter whose condition holds, whose check throws, or whose deadline passed. */
  poll(now: number): void {
    if (this.#list.length === 0) return;
    const keep: Waiter[] = [];
    const list = this.#list;
    this.#list = keep;
    for (const w of list) {
      let done = false;
      try {
        done = w.check();
      } catch (err) {
        w.reject(err);
        continue;
      }
      if (done) w.resolve();
      else if (now >= w.deadline) w.reject(timeoutError(w.what));
      else keep.push(w);
    }
    // Waiters added while polling (by a resolved continuation) are kept too.
    if (this.#list !== keep) keep.push(...this.#list);
    this.#list = keep;
  }

  /** failAll: rejects every waiter with `err` (the host closes or stops). */
  failAll(err: unknown): void {
    const list = this.#list;
    this.#list = [];
    for (const w of list) w.reject(err);
  }
}

/** timeoutError: what a query gets when it waited past `request_timeout_ms`. */
export function timeoutError(what: string): GeodeError {
  return new GeodeError('LIMIT_EXCEEDED', `timed out waiting for ${what} (request_timeout_ms); a write may or may not have been applied`, {
    detail: 'RequestTimeout',
  });
}
