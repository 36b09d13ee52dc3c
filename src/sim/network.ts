/**
 * A simulated network between numbered endpoints: every message is dropped, duplicated and
 * delayed according to rates drawn from the seed (variable delays reorder messages), and links
 * can be cut both ways (a partition) or one way. All randomness comes from the given Prng.
 */

import type { Prng } from './prng.ts';
import type { Scheduler } from './clock.ts';

/** NetworkOptions: the fault rates of a network. */
export interface NetworkOptions {
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message is delivered twice (the copy with its own delay). */
  duplicateRate: number;
  /** Delay range of a message, ms. */
  delayMinMs: number;
  delayMaxMs: number;
}

/** NetworkStats: what the network did. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  blocked: number;
}

/** SimNetwork: deliveries are scheduled on the scheduler; `deliver` is called at arrival time. */
export class SimNetwork<M> {
  options: NetworkOptions;
  /** Blocked directed links `from * 65536 + to`. */
  private readonly blockedLinks = new Set<number>();
  /** Extra delay of messages to or from a slow endpoint, ms. */
  private readonly slow = new Map<number, number>();
  /** Endpoints cut from everyone (in-flight messages to or from them are lost too). */
  private readonly isolated = new Set<number>();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, blocked: 0 };

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: Prng,
    options: NetworkOptions,
    private readonly deliver: (from: number, to: number, msg: M) => void,
  ) {
    this.options = { ...options };
  }

  /**
   * send: puts `msg` on the wire from `from` to `to`. Whether and when it arrives is drawn here.
   * `onOutcome`, when given, is told once whether the message arrived (true, at arrival) or was
   * lost (false, when the loss happens) — what a stream transport learns about its sends.
   */
  send(from: number, to: number, msg: M, onOutcome?: (delivered: boolean) => void): void {
    this.stats.sent++;
    if (this.blockedLinks.has(from * 65536 + to) || this.isolated.has(from) || this.isolated.has(to)) {
      this.stats.blocked++;
      if (onOutcome !== undefined) this.sched.after(0, () => onOutcome(false));
      return;
    }
    const o = this.options;
    if (this.rng.chance(o.dropRate)) {
      this.stats.dropped++;
      if (onOutcome !== undefined) this.sched.after(0, () => onOutcome(false));
      return;
    }
    const copies = this.rng.chance(o.duplicateRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    let told = onOutcome === undefined;
    for (let c = 0; c < copies; c++) {
      const delay = this.rng.int(o.delayMinMs, o.delayMaxMs) + (this.slow.get(from) ?? 0) + (this.slow.get(to) ?? 0);
      this.sched.after(delay, () => {
        // A link cut while the message was in flight loses it too.
        if (this.blockedLinks.has(from * 65536 + to) || this.isolated.has(from) || this.isolated.has(to)) {
          this.stats.blocked++;
          if (!told) {
            told = true;
            onOutcome!(false);
          }
          return;
        }
        this.stats.delivered++;
        this.deliver(from, to, msg);
        if (!told) {
          told = true;
          onOutcome!(true);
        }
      });
    }
  }

  /** partition: cuts every link between group `a` and group `b`, both ways. */
  partition(a: readonly number[], b: readonly number[]): void {
    for (const x of a) {
      for (const y of b) {
        this.blockedLinks.add(x * 65536 + y);
        this.blockedLinks.add(y * 65536 + x);
      }
    }
  }

  /** blockOneWay: messages from `from` to `to` are lost; the other direction still works. */
  blockOneWay(from: number, to: number): void {
    this.blockedLinks.add(from * 65536 + to);
  }

  /** setIsolated: cuts `id` from every endpoint (and loses what is in flight to or from it), or restores it. */
  setIsolated(id: number, isolated: boolean): void {
    if (isolated) this.isolated.add(id);
    else this.isolated.delete(id);
  }

  /** isBlocked: whether the directed link is cut. */
  isBlocked(from: number, to: number): boolean {
    return this.blockedLinks.has(from * 65536 + to);
  }

  /** setSlow: every message to or from `id` takes `extraMs` longer (0 to clear). */
  setSlow(id: number, extraMs: number): void {
    if (extraMs <= 0) this.slow.delete(id);
    else this.slow.set(id, extraMs);
  }

  /** heal: reconnects every link and clears slow endpoints. */
  heal(): void {
    this.blockedLinks.clear();
    this.isolated.clear();
    this.slow.clear();
  }

  /** blockedCount: how many directed links are cut. */
  get blockedCount(): number {
    return this.blockedLinks.size;
  }
}
