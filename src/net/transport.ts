/**
 * Libp2pTransport: the {@link PeerTransport} over a started libp2p node, shared by Node
 * (`peer-node.ts`) and browsers (`peer-browser.ts`).
 *
 * - One long-lived `/geode/peer/1.0.0` stream per peer pair. When both peers dialed, both keep the
 *   stream dialed by the smaller peer id and close the other; a stream from a new process instance
 *   of a peer (it restarted) replaces the old one.
 * - Every stream proves cluster membership first (`auth.ts`); frames flow only afterwards.
 * - Backpressure: `send` returns false once a peer's queued bytes pass `sendBufferBytesMax`;
 *   `onDrain` fires when they fell under half of it.
 * - Known peers (from relays' directories or `addPeer`) are dialed, and redialed with exponential
 *   backoff and jitter when the stream drops. A Node peer never dials a tab (tabs dial Node peers
 *   over WebSockets); between peers of one kind the smaller id dials first, except that a new peer
 *   dials at once the members listed in the answer to its first registration (they learn of it
 *   only at their next directory refresh).
 * - Discovery: every `directoryRefreshMs` (and when our addresses change) the peer registers with
 *   each relay and reads the other members it lists (`directory.ts`).
 * - Presence rides on the same stream (`presence.ts`).
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { assert } from '../util/assert.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import { deriveClusterKey, INSTANCE_BYTES, type ClusterKey } from './auth.ts';
import { backoffDelayMs } from './backoff.ts';
import { Channel } from './channels.ts';
import {
  CHANNEL_HEADER_BYTES,
  DIAL_DEFER_MS_DEFAULT,
  DIAL_TIMEOUT_MS_DEFAULT,
  DIRECTORY_ADDRS_PER_PEER_MAX,
  DIRECTORY_FRAME_BYTES_MAX,
  DIRECTORY_PROTOCOL,
  DIRECTORY_REFRESH_MS_DEFAULT,
  DIRECTORY_REQUEST_TIMEOUT_MS,
  DIRECTORY_TTL_MS_DEFAULT,
  FRAME_BYTES_MAX_DEFAULT,
  HANDSHAKE_TIMEOUT_MS_DEFAULT,
  IDLE_TIMEOUT_MS_DEFAULT,
  KEEPALIVE_MS_DEFAULT,
  KNOWN_PEERS_MAX,
  PEER_PROTOCOL,
  RECONNECT_BASE_MS_DEFAULT,
  RECONNECT_MAX_MS_DEFAULT,
  SEND_BUFFER_BYTES_MAX_DEFAULT,
} from './constants.ts';
import { decodeList, encodeRegister, type DirectoryEntry } from './directory.ts';
import { Presence, type PresencePatch, type PresenceState } from './presence.ts';
import { PeerSession, type SessionHost } from './session.ts';
import { readOneFrame, writeOneFrame } from './stream-io.ts';
import { sendRequest, serveRequests, type RequestHandler, type RequestProtocolInit } from './request.ts';
import type { FrameRejection, PeerId, PeerKind, PeerTransport } from './types.ts';

/** Options of a peer (both runtimes); only `clusterId` and `secret` are required. */
export interface PeerInit {
  /** The cluster this peer belongs to. */
  readonly clusterId: string;
  /** The cluster secret every member knows (never sent; see auth.ts). */
  readonly secret: string | Uint8Array;
  /** Relay multiaddrs (with `/p2p/<id>`) to register with and read the directory from. */
  readonly relays?: readonly string[];
  /** The libp2p identity key (from `generatePeerKey`), so the peer keeps its id across restarts. */
  readonly privateKey?: Uint8Array;
  /** Largest frame `send` accepts (default 4 MiB − 1: the wire limit minus the channel byte). */
  readonly maxFrameBytes?: number;
  readonly sendBufferBytesMax?: number;
  readonly handshakeTimeoutMs?: number;
  readonly reconnectBaseMs?: number;
  readonly reconnectMaxMs?: number;
  readonly dialDeferMs?: number;
  readonly dialTimeoutMs?: number;
  readonly directoryRefreshMs?: number;
  readonly directoryTtlMs?: number;
  readonly keepaliveMs?: number;
  readonly idleTimeoutMs?: number;
  /** Initial presence (visible defaults to true, roles and shards to none). */
  readonly presence?: PresencePatch;
}

/** Counters of a transport (metric names in docs/protocol-net.md). */
export interface NetStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Frames or streams refused: invalid frames, failed handshakes, `reject()` calls. */
  rejected: number;
  /** Handshakes that failed (wrong secret, timeout, malformed). Included in `rejected`. */
  authFailures: number;
  /** Streams that completed the handshake. */
  sessionsOpened: number;
  /** Duplicate streams closed by deduplication. */
  duplicatesClosed: number;
  dialAttempts: number;
  dialFailures: number;
  directoryRequests: number;
  directoryFailures: number;
  /** Shard frames received before a handler was set (dropped). */
  framesDropped: number;
  /** Streams closed because nothing arrived for `idleTimeoutMs`. */
  idleClosed: number;
}

/** GeodePeer: a {@link PeerTransport} with discovery, presence and counters. */
export interface GeodePeer extends PeerTransport {
  readonly kind: PeerKind;
  /** This peer's listen / relay addresses, as it registers them. */
  addrs(): string[];
  stats(): Readonly<NetStats>;
  /** presence: the live presence states of the cluster (this peer's first). */
  presence(): PresenceState[];
  setPresence(patch: PresencePatch): void;
  onPresence(handler: (states: readonly PresenceState[]) => void): void;
  /** onRejection: a stream was refused or cut (bad frame, failed handshake, `reject()`), for logs. */
  onRejection(handler: (r: FrameRejection) => void): void;
  /** peerAddr: the remote multiaddr of the connection carrying `peer`'s stream (e.g. `/webrtc` between tabs). */
  peerAddr(peer: PeerId): string | undefined;
  /** addPeer: a member to keep connected to, besides those the directory lists. */
  addPeer(id: string, addrs: readonly string[], kind: PeerKind): void;
  /** refreshDirectory: registers with the relays and dials new members now. */
  refreshDirectory(): Promise<void>;
  /** serveRequests: answers a request/response protocol (request.ts), e.g. `/geode/federation/1.0.0`. */
  serveRequests(protocol: string, handler: RequestHandler, init: RequestProtocolInit & { readonly maxInbound: number }): Promise<void>;
  /** sendRequest: one request to the peer at `addrs` on `protocol`, resolving with its response (request.ts). */
  sendRequest(addrs: readonly string[], protocol: string, payload: Uint8Array, init: RequestProtocolInit): Promise<Uint8Array>;
}

/** What the transport needs from its runtime. */
export interface TransportComponents {
  /** A started libp2p node; the transport stops it on `close`. */
  readonly libp2p: Libp2p;
  /** A [0, 1) random source for jitter (default Math.random). */
  readonly random?: () => number;
  /** Time for the directory (default Date.now). */
  readonly now?: () => number;
}

interface KnownPeer {
  readonly id: PeerId;
  kind: PeerKind;
  addrs: string[];
  /** Listed by a relay at the last refresh, or added by hand (`manual`). */
  source: 'directory' | 'manual';
  attempt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  dialing: boolean;
}

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** dialableAddrs: the addresses of a `target`-kind peer that a `self`-kind peer can dial directly. */
export function dialableAddrs(self: PeerKind, addrs: readonly string[]): string[] {
  return addrs.filter((a) => {
    const relayed = a.includes('/p2p-circuit');
    const webrtc = a.includes('/webrtc');
    const ws = a.includes('/ws') || a.includes('/wss');
    if (relayed && !webrtc) return false; // relayed connections are for signalling only
    if (self === 'node') return !webrtc; // Node peers have TCP and WebSockets
    return webrtc || ws; // tabs have WebSockets and WebRTC
  });
}

export class Libp2pTransport implements GeodePeer, SessionHost {
  readonly self: PeerId;
  readonly kind: PeerKind;
  readonly maxFrameBytes: number;
  readonly wireFrameBytesMax: number;
  readonly sendBufferBytesMax: number;
  readonly handshakeTimeoutMs: number;
  readonly instance: Uint8Array;
  private readonly libp2p: Libp2p;
  private readonly random: () => number;
  private readonly nowFn: () => number;
  private readonly o: Required<Pick<PeerInit, 'reconnectBaseMs' | 'reconnectMaxMs' | 'dialDeferMs' | 'dialTimeoutMs' | 'directoryRefreshMs' | 'directoryTtlMs' | 'keepaliveMs' | 'idleTimeoutMs'>>;
  private readonly relays: Multiaddr[];
  private readonly active = new Map<PeerId, PeerSession>();
  private readonly sessions = new Set<PeerSession>();
  private readonly known = new Map<PeerId, KnownPeer>();
  private readonly counters: NetStats = {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    rejected: 0,
    authFailures: 0,
    sessionsOpened: 0,
    duplicatesClosed: 0,
    dialAttempts: 0,
    dialFailures: 0,
    directoryRequests: 0,
    directoryFailures: 0,
    framesDropped: 0,
    idleClosed: 0,
  };
  private frameHandler: ((from: PeerId, frame: Uint8Array) => void) | undefined;
  private readonly peerHandlers: Array<(peer: PeerId, up: boolean) => void> = [];
  private readonly drainHandlers: Array<(peer: PeerId) => void> = [];
  private readonly rejectionHandlers: Array<(r: FrameRejection) => void> = [];
  private readonly presenceState: Presence;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<void> | undefined;
  private addrsChangedTimer: ReturnType<typeof setTimeout> | undefined;
  private keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  /** True once a relay answered this peer's first registration (see `learn`). */
  private registered = false;

  private constructor(
    components: TransportComponents,
    readonly key: ClusterKey,
    kind: PeerKind,
    init: PeerInit,
  ) {
    this.libp2p = components.libp2p;
    this.random = components.random ?? Math.random;
    this.nowFn = components.now ?? Date.now;
    this.self = this.libp2p.peerId.toString() as PeerId;
    this.kind = kind;
    this.wireFrameBytesMax = (init.maxFrameBytes ?? FRAME_BYTES_MAX_DEFAULT - CHANNEL_HEADER_BYTES) + CHANNEL_HEADER_BYTES;
    this.maxFrameBytes = this.wireFrameBytesMax - CHANNEL_HEADER_BYTES;
    this.sendBufferBytesMax = init.sendBufferBytesMax ?? SEND_BUFFER_BYTES_MAX_DEFAULT;
    this.handshakeTimeoutMs = init.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS_DEFAULT;
    this.o = {
      reconnectBaseMs: init.reconnectBaseMs ?? RECONNECT_BASE_MS_DEFAULT,
      reconnectMaxMs: init.reconnectMaxMs ?? RECONNECT_MAX_MS_DEFAULT,
      dialDeferMs: init.dialDeferMs ?? DIAL_DEFER_MS_DEFAULT,
      dialTimeoutMs: init.dialTimeoutMs ?? DIAL_TIMEOUT_MS_DEFAULT,
      directoryRefreshMs: init.directoryRefreshMs ?? DIRECTORY_REFRESH_MS_DEFAULT,
      directoryTtlMs: init.directoryTtlMs ?? DIRECTORY_TTL_MS_DEFAULT,
      keepaliveMs: init.keepaliveMs ?? KEEPALIVE_MS_DEFAULT,
      idleTimeoutMs: init.idleTimeoutMs ?? IDLE_TIMEOUT_MS_DEFAULT,
    };
    assert(this.maxFrameBytes >= 1, `maxFrameBytes ${this.maxFrameBytes} must be positive`);
    assert(this.sendBufferBytesMax >= this.wireFrameBytesMax, `sendBufferBytesMax ${this.sendBufferBytesMax} < frame limit ${this.wireFrameBytesMax}`);
    assert(this.o.keepaliveMs > 0 && this.o.keepaliveMs * 2 <= this.o.idleTimeoutMs, `keepaliveMs ${this.o.keepaliveMs} must be positive and at most half of idleTimeoutMs ${this.o.idleTimeoutMs}`);
    assert(this.o.reconnectBaseMs > 0 && this.o.reconnectBaseMs <= this.o.reconnectMaxMs, 'reconnectBaseMs must be in (0, reconnectMaxMs]');
    this.instance = this.randomBytes(INSTANCE_BYTES);
    this.relays = (init.relays ?? []).map((r) => {
      try {
        return multiaddr(r);
      } catch (err) {
        throw new GeodeError('CONFIG_INVALID', `relays: '${r}' is not a multiaddr`, { source: 'config', cause: err });
      }
    });
    this.presenceState = new Presence(
      { id: this.self, kind, visible: init.presence?.visible ?? true, roles: init.presence?.roles ?? [], shards: init.presence?.shards ?? [] },
      (payload) => this.broadcastPresence(payload),
    );
  }

  /**
   * start: a transport over the started `components.libp2p`: registers the peer protocol, then
   * (with relays) registers with them and starts dialing members.
   */
  static async start(components: TransportComponents, kind: PeerKind, init: PeerInit): Promise<Libp2pTransport> {
    const key = await deriveClusterKey(init.clusterId, init.secret);
    const t = new Libp2pTransport(components, key, kind, init);
    await t.libp2p.handle(PEER_PROTOCOL, (stream, connection) => t.inbound(stream, connection), { maxInboundStreams: 4, maxOutboundStreams: 4 });
    t.libp2p.addEventListener('self:peer:update', t.onAddrsChanged);
    t.keepaliveTimer = setInterval(() => t.keepalive(), Math.max(1, Math.floor(t.o.keepaliveMs / 2)));
    if (t.relays.length > 0) {
      await t.refreshDirectory().catch(() => undefined);
      t.scheduleRefresh();
    }
    return t;
  }

  // ---- PeerTransport ----

  send(to: PeerId, frame: Uint8Array): boolean {
    assert(frame.length <= this.maxFrameBytes, `frame of ${frame.length} bytes exceeds maxFrameBytes ${this.maxFrameBytes}`);
    const s = this.active.get(to);
    if (s === undefined || s.state !== 'open') return false;
    if (s.bufferedBytes + frame.length > this.sendBufferBytesMax) {
      s.needsDrain = true;
      return false;
    }
    if (!s.sendChannel(Channel.shard, frame)) return false;
    this.counters.framesOut++;
    this.counters.bytesOut += frame.length + CHANNEL_HEADER_BYTES;
    return true;
  }

  /** onFrame: see PeerTransport. `frame` may be a view into a received buffer: read it, do not mutate it. */
  onFrame(handler: (from: PeerId, frame: Uint8Array) => void): void {
    assert(this.frameHandler === undefined, 'onFrame: a handler is already set (one handler)');
    this.frameHandler = handler;
  }

  onPeer(handler: (peer: PeerId, up: boolean) => void): void {
    this.peerHandlers.push(handler);
  }

  onDrain(handler: (peer: PeerId) => void): void {
    this.drainHandlers.push(handler);
  }

  connected(): readonly PeerId[] {
    const out: PeerId[] = [];
    for (const [id, s] of this.active) if (s.state === 'open') out.push(id);
    return out;
  }

  reject(peer: PeerId, reason: string): void {
    const s = this.active.get(peer);
    this.counters.rejected++;
    this.rejected({ peer, reason });
    if (s !== undefined) s.abort(`rejected: ${reason}`);
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.presenceState.destroy(); // announces a null state while the streams are still open
    this.stopped = true;
    clearTimeout(this.refreshTimer);
    clearTimeout(this.addrsChangedTimer);
    clearInterval(this.keepaliveTimer);
    for (const k of this.known.values()) clearTimeout(k.timer);
    this.libp2p.removeEventListener('self:peer:update', this.onAddrsChanged);
    for (const s of this.sessions) s.close();
    await this.refreshing?.catch(() => undefined);
    await this.libp2p.stop();
  }

  // ---- GeodePeer ----

  serveRequests(protocol: string, handler: RequestHandler, init: RequestProtocolInit & { readonly maxInbound: number }): Promise<void> {
    return serveRequests(this.libp2p, protocol, handler, init);
  }

  sendRequest(addrs: readonly string[], protocol: string, payload: Uint8Array, init: RequestProtocolInit): Promise<Uint8Array> {
    return sendRequest(this.libp2p, addrs, protocol, payload, init);
  }

  addrs(): string[] {
    return this.libp2p.getMultiaddrs().map((m) => m.toString());
  }

  stats(): Readonly<NetStats> {
    return { ...this.counters };
  }

  presence(): PresenceState[] {
    return this.presenceState.states();
  }

  setPresence(patch: PresencePatch): void {
    this.presenceState.set(patch);
  }

  onPresence(handler: (states: readonly PresenceState[]) => void): void {
    this.presenceState.onChange(handler);
  }

  onRejection(handler: (r: FrameRejection) => void): void {
    this.rejectionHandlers.push(handler);
  }

  peerAddr(peer: PeerId): string | undefined {
    const s = this.active.get(peer);
    return s === undefined || s.state !== 'open' ? undefined : s.connection.remoteAddr.toString();
  }

  addPeer(id: string, addrs: readonly string[], kind: PeerKind): void {
    this.learn({ id, kind, addrs }, 'manual');
  }

  refreshDirectory(): Promise<void> {
    if (this.refreshing !== undefined) return this.refreshing;
    this.refreshing = this.refreshOnce().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  // ---- SessionHost ----

  now(): number {
    return this.nowFn();
  }

  randomBytes(n: number): Uint8Array {
    return crypto.getRandomValues(new Uint8Array(n));
  }

  sessionAuthenticated(s: PeerSession): void {
    this.counters.sessionsOpened++;
    const cur = this.active.get(s.remote);
    if (cur !== undefined && cur.state === 'open') {
      const restarted = !bytesEqual(cur.remoteInstance, s.remoteInstance);
      // Same process on both: keep the stream dialed by the smaller id (both sides agree).
      const keepNew = restarted || (s.dialer < cur.dialer);
      const loser = keepNew ? cur : s;
      if (!keepNew || !restarted) this.counters.duplicatesClosed++;
      if (keepNew) this.active.set(s.remote, s);
      loser.close();
      if (keepNew) s.writePayload(this.presenceState.localPayload());
      if (restarted) {
        // The peer restarted: tell the shard layer it went down and came back (fresh stream state).
        this.presenceState.peerDown(s.remote);
        for (const h of this.peerHandlers) h(s.remote, false);
        for (const h of this.peerHandlers) h(s.remote, true);
      }
      return;
    }
    this.active.set(s.remote, s);
    const k = this.known.get(s.remote);
    if (k !== undefined) {
      k.attempt = 0;
      clearTimeout(k.timer);
      k.timer = undefined;
    }
    s.writePayload(this.presenceState.localPayload());
    for (const h of this.peerHandlers) h(s.remote, true);
  }

  sessionFrame(s: PeerSession, channel: number, body: Uint8Array, wireBytes: number): void {
    if (this.active.get(s.remote) !== s) return; // a duplicate being closed
    this.counters.framesIn++;
    this.counters.bytesIn += wireBytes;
    if (channel === Channel.presence) {
      try {
        this.presenceState.receive(s.remote, body);
      } catch (err) {
        if (!isGeodeError(err)) throw err;
        this.sessionFailed(s, err);
        s.abort(err.message);
      }
      return;
    }
    if (this.frameHandler === undefined) {
      this.counters.framesDropped++;
      return;
    }
    this.frameHandler(s.remote, body);
  }

  sessionDrained(s: PeerSession): void {
    if (this.active.get(s.remote) !== s) return;
    for (const h of this.drainHandlers) h(s.remote);
  }

  sessionFailed(s: PeerSession, err: GeodeError): void {
    this.counters.rejected++;
    if (s.state === 'handshake') this.counters.authFailures++;
    this.rejected({ peer: s.remote, reason: err.message });
  }

  private rejected(r: FrameRejection): void {
    for (const h of this.rejectionHandlers) h(r);
  }

  sessionClosed(s: PeerSession): void {
    this.sessions.delete(s);
    if (this.active.get(s.remote) !== s) {
      const k = this.known.get(s.remote);
      if (k !== undefined && !this.active.has(s.remote)) {
        k.attempt++;
        this.scheduleDial(k);
      }
      return;
    }
    this.active.delete(s.remote);
    this.presenceState.peerDown(s.remote);
    for (const h of this.peerHandlers) h(s.remote, false);
    const k = this.known.get(s.remote);
    if (k !== undefined) this.scheduleDial(k);
  }

  // ---- streams and dialing ----

  private inbound(stream: Stream, connection: Connection): void {
    if (this.stopped) {
      stream.abort(new Error('stopping'));
      return;
    }
    this.startSession(stream, connection);
  }

  private startSession(stream: Stream, connection: Connection): void {
    const s = new PeerSession(this, stream, connection);
    this.sessions.add(s);
    s.start();
  }

  /**
   * learn: `entry` is a member to keep connected to. `listedFirst`: it was in the answer to this
   * peer's first registration, so it registered earlier and learns of this peer only at its next
   * directory refresh: dial it at once rather than defer to it (the smaller id dials first only
   * when both know of each other).
   */
  private learn(entry: DirectoryEntry, source: KnownPeer['source'], listedFirst = false): void {
    if (entry.id === this.self || this.stopped) return;
    const id = entry.id as PeerId;
    let k = this.known.get(id);
    if (k === undefined) {
      if (this.known.size >= KNOWN_PEERS_MAX) return;
      k = { id, kind: entry.kind, addrs: [...entry.addrs], source, attempt: 0, timer: undefined, dialing: false };
      this.known.set(id, k);
    } else {
      k.kind = entry.kind;
      k.addrs = [...entry.addrs];
      if (source === 'manual') k.source = 'manual';
    }
    this.scheduleDial(k, listedFirst);
  }

  private shouldDial(k: KnownPeer): boolean {
    if (this.kind === 'node' && k.kind === 'tab') return false;
    return dialableAddrs(this.kind, k.addrs).length > 0;
  }

  /** Arms the next dial of `k` unless connected, dialing or already armed; `now`: without the dial deferral. */
  private scheduleDial(k: KnownPeer, now = false): void {
    if (this.stopped || this.active.has(k.id) || k.dialing || k.timer !== undefined || !this.shouldDial(k)) return;
    const defer = !now && k.kind === this.kind && this.self > k.id ? this.o.dialDeferMs : 0;
    const delay = (k.attempt === 0 ? 0 : backoffDelayMs(k.attempt - 1, this.random, { baseMs: this.o.reconnectBaseMs, maxMs: this.o.reconnectMaxMs })) + defer;
    k.timer = setTimeout(() => {
      k.timer = undefined;
      void this.dial(k);
    }, delay);
  }

  private async dial(k: KnownPeer): Promise<void> {
    if (this.stopped || this.active.has(k.id) || k.dialing || this.known.get(k.id) !== k) return;
    k.dialing = true;
    this.counters.dialAttempts++;
    try {
      const addrs = dialableAddrs(this.kind, k.addrs).map((a) => multiaddr(a));
      const signal = AbortSignal.timeout(this.o.dialTimeoutMs);
      const connection = await this.libp2p.dial(addrs, { signal });
      if (connection.remotePeer.toString() !== k.id) throw new Error(`dialed ${k.id}, reached ${connection.remotePeer.toString()}`);
      if (this.active.has(k.id) || this.stopped) {
        k.dialing = false; // the other side's dial won meanwhile: redial when that stream drops
        return;
      }
      const stream = await connection.newStream(PEER_PROTOCOL, { signal });
      this.startSession(stream, connection);
    } catch {
      this.counters.dialFailures++;
      k.attempt++;
      k.dialing = false;
      this.scheduleDial(k);
      return;
    }
    k.dialing = false;
  }

  // ---- directory ----

  private readonly onAddrsChanged = (): void => {
    if (this.stopped || this.relays.length === 0 || this.addrsChangedTimer !== undefined) return;
    this.addrsChangedTimer = setTimeout(() => {
      this.addrsChangedTimer = undefined;
      void this.refreshDirectory().catch(() => undefined);
    }, 50);
  };

  private scheduleRefresh(): void {
    if (this.stopped) return;
    this.refreshTimer = setTimeout(() => {
      void this.refreshDirectory()
        .catch(() => undefined)
        .finally(() => this.scheduleRefresh());
    }, this.o.directoryRefreshMs);
  }

  private async refreshOnce(): Promise<void> {
    const listed = new Set<PeerId>();
    let answered = 0;
    const register = encodeRegister({
      tag: this.key.directoryTag,
      kind: this.kind,
      ttlMs: this.o.directoryTtlMs,
      addrs: this.addrs().slice(0, DIRECTORY_ADDRS_PER_PEER_MAX),
    });
    const first = !this.registered;
    await Promise.all(
      this.relays.map(async (relay) => {
        this.counters.directoryRequests++;
        try {
          const stream = await this.libp2p.dialProtocol(relay, DIRECTORY_PROTOCOL, { signal: AbortSignal.timeout(DIRECTORY_REQUEST_TIMEOUT_MS) });
          const source = relay.getComponents().find((c) => c.name === 'p2p')?.value ?? relay.toString();
          const reply = readOneFrame(stream, DIRECTORY_FRAME_BYTES_MAX, DIRECTORY_REQUEST_TIMEOUT_MS, source);
          writeOneFrame(stream, register);
          const list = decodeList(await reply, source);
          void stream.close().catch(() => undefined);
          answered++;
          for (const p of list.peers) {
            listed.add(p.id as PeerId);
            this.learn(p, 'directory', first);
          }
        } catch (err) {
          this.counters.directoryFailures++;
          if (!isGeodeError(err) && !(err instanceof Error)) throw err;
        }
      }),
    );
    if (answered === 0) return;
    this.registered = true;
    // Forget directory peers no relay lists any more and that are not connected.
    for (const [id, k] of this.known) {
      if (k.source === 'directory' && !listed.has(id) && !this.active.has(id) && !k.dialing) {
        clearTimeout(k.timer);
        this.known.delete(id);
      }
    }
  }

  /** Sends keepalives on quiet streams and closes streams on which nothing arrived for too long. */
  private keepalive(): void {
    const now = this.nowFn();
    for (const s of this.sessions) {
      if (s.state !== 'open') continue;
      if (now - s.lastReceivedMs > this.o.idleTimeoutMs) {
        this.counters.idleClosed++;
        s.abort(`nothing received for ${now - s.lastReceivedMs} ms`);
      } else if (now - s.lastSentMs >= this.o.keepaliveMs) {
        s.sendChannel(Channel.keepalive, new Uint8Array(0));
      }
    }
  }

  private broadcastPresence(payload: Uint8Array): void {
    for (const s of this.active.values()) if (s.state === 'open') s.writePayload(payload);
  }
}
