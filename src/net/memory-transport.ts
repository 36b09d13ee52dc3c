/**
 * MemoryNetwork: an in-memory {@link PeerTransport} network for tests and the simulator.
 *
 * A hub holds every peer's transport. Frames are delivered through an injected scheduler (the
 * simulator's virtual clock, or `queueMicrotask` by default), so a run is deterministic. Links can
 * be cut and healed per peer pair (symmetric or one way), a peer can be taken off the network
 * without closing anything (a crash), and frames can be dropped or delayed with an injected random
 * source. Order per peer pair is kept (delays are per link and never let a later frame pass an
 * earlier one), as a libp2p stream keeps it.
 */
import { GeodeError } from '../util/errors.ts';
import type { FrameRejection, PeerId, PeerTransport } from './types.ts';

/** Largest frame of a memory transport unless the network is told otherwise (as libp2p's limit). */
export const memoryFrameBytesMaxDefault = 4 * 1024 * 1024;
/** Most frames queued on one link before `send` returns false (backpressure). */
export const memoryLinkQueueMax = 100_000;

/** How a memory network delivers frames later. */
export interface MemoryScheduler {
  /** now: the current time, ms (virtual in the simulator). */
  now(): number;
  /** after: runs `fn` `delayMs` from now (0: soon, after the current task). */
  after(delayMs: number, fn: () => void): void;
}

/** Options of a {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Delivery scheduler; default: a microtask for delay 0, `setTimeout` otherwise. */
  readonly scheduler?: MemoryScheduler;
  /** Random source in [0, 1) for drops and delays; default: none (no drops, no jitter). */
  readonly random?: () => number;
  /** Probability a frame is lost. Default 0. */
  readonly dropProbability?: number;
  /** Delivery delay range [min, max] ms. Default [0, 0]. */
  readonly delayMs?: readonly [number, number];
  /** Largest frame. Default {@link memoryFrameBytesMaxDefault}. */
  readonly maxFrameBytes?: number;
}

const defaultScheduler: MemoryScheduler = {
  now: () => performance.now(),
  after(delayMs, fn) {
    if (delayMs <= 0) queueMicrotask(fn);
    else setTimeout(fn, delayMs);
  },
};

interface Link {
  /** Virtual time the last frame on this link is due, to keep order when delays vary. */
  lastDue: number;
  queued: number;
}

/** MemoryNetwork: the hub. Create one per test or simulation run. */
export class MemoryNetwork {
  readonly #peers = new Map<PeerId, MemoryTransport>();
  /** Directed cuts: `a→b` present means frames from a to b are lost. */
  readonly #cut = new Set<string>();
  readonly #links = new Map<string, Link>();
  readonly #scheduler: MemoryScheduler;
  readonly #random: (() => number) | undefined;
  readonly maxFrameBytes: number;
  dropProbability: number;
  delayMs: readonly [number, number];
  /** Frames delivered / lost, for tests and the simulator's report. */
  delivered = 0;
  dropped = 0;
  /** Frames every receiver refused with `reject`, as the metric `net_frames_rejected_total`. */
  readonly rejections: FrameRejection[] = [];

  constructor(options: MemoryNetworkOptions = {}) {
    this.#scheduler = options.scheduler ?? defaultScheduler;
    this.#random = options.random;
    this.dropProbability = options.dropProbability ?? 0;
    this.delayMs = options.delayMs ?? [0, 0];
    this.maxFrameBytes = options.maxFrameBytes ?? memoryFrameBytesMaxDefault;
    if ((this.dropProbability > 0 || this.delayMs[1] > this.delayMs[0]) && this.#random === undefined) {
      throw new GeodeError('CONFIG_INVALID', 'memory network: drops and delay jitter need a `random` source', { source: 'config' });
    }
  }

  /** join: a transport for `peer`, connected to every peer already on the network. */
  join(peer: PeerId): MemoryTransport {
    if (this.#peers.has(peer)) throw new GeodeError('INPUT_INVALID', `memory network: peer ${peer} is already on the network`);
    const t = new MemoryTransport(this, peer);
    const others = [...this.#peers.values()];
    this.#peers.set(peer, t);
    for (const o of others) {
      this.#announce(o, peer, true);
      this.#announce(t, o.self, true);
    }
    return t;
  }

  /** leave: `peer` disappears (a crash: nothing is closed); the others see it go down. */
  leave(peer: PeerId): void {
    const t = this.#peers.get(peer);
    if (t === undefined) return;
    this.#peers.delete(peer);
    t.detached = true;
    for (const o of this.#peers.values()) this.#announce(o, peer, false);
  }

  /** cut: frames between `a` and `b` are lost (both ways unless `oneWay`: then only a → b). */
  cut(a: PeerId, b: PeerId, oneWay = false): void {
    this.#cut.add(`${a}\u0000${b}`);
    if (!oneWay) this.#cut.add(`${b}\u0000${a}`);
  }

  /** heal: frames between `a` and `b` flow again (both ways). */
  heal(a: PeerId, b: PeerId): void {
    this.#cut.delete(`${a}\u0000${b}`);
    this.#cut.delete(`${b}\u0000${a}`);
  }

  /** isolate: cuts `peer` from every other peer on the network, both ways. */
  isolate(peer: PeerId): void {
    for (const o of this.#peers.keys()) if (o !== peer) this.cut(peer, o);
  }

  /** healAll: removes every cut. */
  healAll(): void {
    this.#cut.clear();
  }

  /** peers: the peers on the network now. */
  peers(): PeerId[] {
    return [...this.#peers.keys()];
  }

  /** Connected peers as `peer` sees them: everyone on the network but itself (cuts lose frames, they do not disconnect). */
  connectedTo(peer: PeerId): PeerId[] {
    const out: PeerId[] = [];
    for (const o of this.#peers.keys()) if (o !== peer) out.push(o);
    return out;
  }

  #announce(to: MemoryTransport, peer: PeerId, up: boolean): void {
    this.#scheduler.after(0, () => {
      if (!to.detached) to.peerHandler?.(peer, up);
    });
  }

  /** Called by a transport's `send`. */
  send(from: PeerId, to: PeerId, frame: Uint8Array): boolean {
    const target = this.#peers.get(to);
    if (target === undefined || !this.#peers.has(from)) return false;
    const key = `${from}\u0000${to}`;
    let link = this.#links.get(key);
    if (link === undefined) this.#links.set(key, (link = { lastDue: 0, queued: 0 }));
    if (link.queued >= memoryLinkQueueMax) return false;
    if (this.#cut.has(key) || (this.dropProbability > 0 && this.#random!() < this.dropProbability)) {
      this.dropped++;
      return true; // lost on the wire: the sender cannot tell
    }
    const [lo, hi] = this.delayMs;
    const delay = hi > lo ? lo + this.#random!() * (hi - lo) : lo;
    // Keep per-link order: never deliver before the previous frame of this link.
    const now = this.#scheduler.now();
    const due = Math.max(now + delay, link.lastDue);
    link.lastDue = due;
    link.queued++;
    const copy = frame.slice(); // the sender may reuse its buffer
    this.#scheduler.after(due - now, () => {
      link.queued--;
      // A frame in flight to or from a peer that left (crashed) is lost with the connection.
      if (target.detached || this.#peers.get(to) !== target || !this.#peers.has(from)) {
        this.dropped++;
        return;
      }
      this.delivered++;
      target.frameHandler?.(from, copy);
    });
    return true;
  }
}

/** MemoryTransport: one peer's {@link PeerTransport} on a {@link MemoryNetwork}. */
export class MemoryTransport implements PeerTransport {
  readonly self: PeerId;
  readonly maxFrameBytes: number;
  readonly #net: MemoryNetwork;
  frameHandler: ((from: PeerId, frame: Uint8Array) => void) | undefined;
  peerHandler: ((peer: PeerId, up: boolean) => void) | undefined;
  drainHandler: ((peer: PeerId) => void) | undefined;
  /** True once the peer left the network (crash or close): nothing is delivered to it. */
  detached = false;

  constructor(net: MemoryNetwork, self: PeerId) {
    this.#net = net;
    this.self = self;
    this.maxFrameBytes = net.maxFrameBytes;
  }

  send(to: PeerId, frame: Uint8Array): boolean {
    if (this.detached || frame.length > this.maxFrameBytes) return false;
    return this.#net.send(this.self, to, frame);
  }

  onFrame(handler: (from: PeerId, frame: Uint8Array) => void): void {
    this.frameHandler = handler;
  }

  onPeer(handler: (peer: PeerId, up: boolean) => void): void {
    this.peerHandler = handler;
  }

  onDrain(handler: (peer: PeerId) => void): void {
    this.drainHandler = handler;
  }

  connected(): readonly PeerId[] {
    return this.detached ? [] : this.#net.connectedTo(this.self);
  }

  reject(peer: PeerId, reason: string): void {
    this.#net.rejections.push({ peer, reason });
  }

  close(): Promise<void> {
    if (!this.detached) this.#net.leave(this.self);
    return Promise.resolve();
  }
}
