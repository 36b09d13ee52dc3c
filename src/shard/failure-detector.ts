/**
 * FailureDetector: healthy / suspect / failed per peer, from when a peer was last heard from
 * (every frame it sends counts: Raft heartbeat answers on a leader, the leader's beats on a
 * follower). A peer silent for `suspectAfter` intervals is suspect, for `threshold` intervals
 * failed. A leader replaces a failed voter with a healthy learner (see membership.ts).
 */
import type { PeerId } from '../net/types.ts';

/** PeerHealth: the detector's verdict on a peer. */
export type PeerHealth = 'healthy' | 'suspect' | 'failed';

export class FailureDetector {
  readonly #lastContact = new Map<PeerId, number>();
  readonly #intervalMs: number;
  readonly #suspectAfter: number;
  readonly #threshold: number;

  constructor(intervalMs: number, suspectAfter: number, threshold: number) {
    this.#intervalMs = intervalMs;
    this.#suspectAfter = suspectAfter;
    this.#threshold = threshold;
  }

  /** heard: `peer` was heard from at `now` (ms). */
  heard(peer: PeerId, now: number): void {
    this.#lastContact.set(peer, now);
  }

  /** watch: start watching `peer` as if heard at `now` when it is not watched yet (a new member gets a grace period). */
  watch(peer: PeerId, now: number): void {
    if (!this.#lastContact.has(peer)) this.#lastContact.set(peer, now);
  }

  /** lastContact: when `peer` was last heard from, or undefined when never. */
  lastContact(peer: PeerId): number | undefined {
    return this.#lastContact.get(peer);
  }

  /** health: the verdict at `now`; a peer never heard from is failed. */
  health(peer: PeerId, now: number): PeerHealth {
    const last = this.#lastContact.get(peer);
    if (last === undefined) return 'failed';
    const silent = now - last;
    if (silent >= this.#threshold * this.#intervalMs) return 'failed';
    if (silent >= this.#suspectAfter * this.#intervalMs) return 'suspect';
    return 'healthy';
  }
}
