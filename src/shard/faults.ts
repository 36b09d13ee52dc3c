/**
 * HostFaults: fault controls for one peer, as the demo's "Pause", "Cut off" and "Resume" buttons
 * and the fault tests use them. A {@link ShardHost} is started over the gate's transport and clock
 * ({@link HostFaults.transport}, {@link HostFaults.clock}); the gate then decides what reaches it:
 *
 * - `none`: everything passes, unchanged.
 * - `isolated` ("cut off"): every shard frame to and from the other peers is lost, both ways,
 *   while the peer stays up: it keeps ticking, its connections stay open (the network layer's
 *   keepalives and presence still flow), and it sees its peers as connected. A partition, as the
 *   host sees one: with pre-vote and check-quorum on (the defaults) an isolated follower cannot
 *   raise the term, and an isolated leader steps down after an election timeout.
 * - `paused` ("as if frozen"): as `isolated`, and the host's timers do not fire either: no ticks,
 *   so no elections, heartbeats or query deadlines, as in a process stopped in a debugger. A
 *   timer that came due while paused fires once on resume.
 *
 * Lost frames are counted ({@link HostFaults.framesDropped}); the sender cannot tell, as with a
 * real partition. Nothing here touches Raft: the gate sits between the host and its world.
 */
import type { PeerId, PeerTransport } from '../net/types.ts';
import { assert } from '../util/assert.ts';
import type { HostClock, TimerHandle } from './clock.ts';

/** What a {@link HostFaults} gate lets through. */
export type FaultMode = 'none' | 'paused' | 'isolated';

interface HeldTimer {
  readonly fn: () => void;
  cancelled: boolean;
}

/** A fault gate between one host and its transport and clock. */
export class HostFaults {
  #mode: FaultMode = 'none';
  /** Timers that came due while paused, in due order; they fire on resume. */
  #held: HeldTimer[] = [];
  /** Shard frames lost to a fault, both directions (for tests and the dashboard). */
  framesDropped = 0;

  /** mode: what the gate lets through now. */
  get mode(): FaultMode {
    return this.#mode;
  }

  /** pause: the host freezes: no timers fire and no frames pass, until {@link resume}. */
  pause(): void {
    this.#mode = 'paused';
  }

  /** isolate: the host stays up and ticks, but no frame passes to or from its peers, until {@link resume}. */
  isolate(): void {
    this.#mode = 'isolated';
  }

  /** resume: back to normal; timers held while paused fire now (once each, in due order). */
  resume(): void {
    this.#mode = 'none';
    const held = this.#held;
    this.#held = [];
    for (const t of held) if (!t.cancelled) t.fn();
  }

  /** transport: `inner` behind the gate (give this to the host; close it through the host). */
  transport(inner: PeerTransport): PeerTransport {
    return {
      self: inner.self,
      maxFrameBytes: inner.maxFrameBytes,
      send: (to: PeerId, frame: Uint8Array): boolean => {
        if (this.#mode === 'none') return inner.send(to, frame);
        this.framesDropped++;
        return true; // lost on the wire: the sender cannot tell
      },
      onFrame: (handler) =>
        inner.onFrame((from, frame) => {
          if (this.#mode === 'none') handler(from, frame);
          else this.framesDropped++;
        }),
      onPeer: (handler) => inner.onPeer(handler),
      onDrain: (handler) => inner.onDrain(handler),
      connected: () => inner.connected(),
      reject: (peer, reason) => inner.reject(peer, reason),
      close: () => inner.close(),
    };
  }

  /** clock: `inner` behind the gate: while paused, a timer that comes due is held until resume. */
  clock(inner: HostClock): HostClock {
    return {
      now: () => inner.now(),
      after: (ms: number, fn: () => void): TimerHandle => {
        assert(Number.isFinite(ms) && ms >= 0, `a timer of ${ms} ms`);
        const held: HeldTimer = { fn, cancelled: false };
        const t = inner.after(ms, () => {
          if (held.cancelled) return;
          if (this.#mode === 'paused') this.#held.push(held);
          else fn();
        });
        return {
          cancel: () => {
            held.cancelled = true;
            t.cancel();
          },
        };
      },
    };
  }
}
