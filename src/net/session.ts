/**
 * PeerSession: one `/geode/peer/1.0.0` stream, from the membership handshake to its close.
 *
 * It decodes frames pull-style, one at a time: while the handshake awaits WebCrypto, received bytes
 * wait in the decoder (bounded by the small handshake limits), so frames are handled strictly in
 * order. Before authentication only handshake frames of at most HANDSHAKE_FRAME_BYTES_MAX bytes
 * are accepted; after it, shard and presence frames of at most `maxFrameBytes`. Anything else
 * ends the stream and closes the connection ({@link SessionHost.sessionFailed}).
 */
import type { Connection, Stream } from '@libp2p/interface';
import { assert } from '../util/assert.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import { Handshake, type ClusterKey } from './auth.ts';
import { Channel } from './channels.ts';
import { CHANNEL_HEADER_BYTES, COALESCE_BYTES_MAX, FRAME_COPY_BYTES_MAX, FRAME_HEADER_BYTES_MAX, HANDSHAKE_FRAME_BYTES_MAX } from './constants.ts';
import { FrameDecoder, frameHeaderBytes, writeFrameHeader, type FrameDecoderLimits } from './frame.ts';
import type { PeerId } from './types.ts';

/** What a session needs from its transport. */
export interface SessionHost {
  readonly self: PeerId;
  readonly key: ClusterKey;
  /** This process's instance id (see auth.ts HELLO). */
  readonly instance: Uint8Array;
  /** Largest payload (channel byte included) accepted after authentication. */
  readonly wireFrameBytesMax: number;
  /** Bytes queued per stream past which `send` refuses (drain fires under half of it). */
  readonly sendBufferBytesMax: number;
  readonly handshakeTimeoutMs: number;
  /** The clock for keepalives, ms. */
  now(): number;
  /** Fresh random bytes (nonces). */
  randomBytes(n: number): Uint8Array;
  /** The handshake completed: the session may carry frames. */
  sessionAuthenticated(s: PeerSession): void;
  /** A shard or presence frame arrived on an authenticated session. */
  sessionFrame(s: PeerSession, channel: number, body: Uint8Array, wireBytes: number): void;
  /** The session's send buffer fell under half the limit after `needsDrain` was set. */
  sessionDrained(s: PeerSession): void;
  /** The remote sent something invalid or failed the handshake; the session is being closed. */
  sessionFailed(s: PeerSession, err: GeodeError): void;
  /** The stream closed (for any reason); called once. */
  sessionClosed(s: PeerSession): void;
}

/** Where a session is. */
export type SessionState = 'handshake' | 'open' | 'closed';

const handshakeLimits: FrameDecoderLimits = { maxFrameBytes: HANDSHAKE_FRAME_BYTES_MAX, maxBufferedBytes: 4 * (HANDSHAKE_FRAME_BYTES_MAX + FRAME_HEADER_BYTES_MAX) };

export class PeerSession {
  readonly remote: PeerId;
  /** The peer that opened the stream (deduplication keeps the stream dialed by the smaller id). */
  readonly dialer: PeerId;
  state: SessionState = 'handshake';
  /** Set by the transport when `send` returned false; cleared when `sessionDrained` fires. */
  needsDrain = false;
  /** The remote process's instance id, once its HELLO arrived. */
  remoteInstance: Uint8Array | undefined = undefined;
  private readonly decoder: FrameDecoder;
  private readonly handshake: Handshake;
  private busy = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly fullLimits: FrameDecoderLimits;
  /** When something last arrived on / was last written to the stream (host clock, ms). */
  lastReceivedMs: number;
  lastSentMs: number;
  /** Small frames waiting for the next microtask, coalesced into one stream write. */
  private readonly out: Uint8Array[] = [];
  private outBytes = 0;
  private flushQueued = false;

  constructor(
    private readonly host: SessionHost,
    readonly stream: Stream,
    readonly connection: Connection,
  ) {
    this.remote = connection.remotePeer.toString() as PeerId;
    this.dialer = stream.direction === 'outbound' ? host.self : this.remote;
    this.decoder = new FrameDecoder(this.remote, handshakeLimits);
    this.fullLimits = { maxFrameBytes: host.wireFrameBytesMax, maxBufferedBytes: 2 * host.wireFrameBytesMax + FRAME_HEADER_BYTES_MAX };
    this.handshake = new Handshake(host.key, host.self, this.remote, host.randomBytes(32), host.instance);
    this.lastReceivedMs = host.now();
    this.lastSentMs = this.lastReceivedMs;
  }

  /** start: listens to the stream, sends HELLO and arms the handshake timeout. */
  start(): void {
    this.stream.addEventListener('message', (evt) => {
      const data = evt.data;
      if (data instanceof Uint8Array) this.received(data);
      else for (const part of data) this.received(part);
    });
    this.stream.addEventListener('close', () => this.closed());
    this.stream.addEventListener('drain', () => this.maybeDrained());
    this.stream.addEventListener('idle', () => this.maybeDrained());
    this.timer = setTimeout(() => {
      if (this.state === 'handshake') {
        this.failed(new GeodeError('INPUT_INVALID', `peer ${this.remote}: handshake not completed within ${this.host.handshakeTimeoutMs} ms`, { source: this.remote, detail: 'AuthTimeout' }));
      }
    }, this.host.handshakeTimeoutMs);
    this.writePayload(this.handshake.start());
  }

  /** Bytes queued (coalescing, or on the stream) and not yet handed to the connection. */
  get bufferedBytes(): number {
    return this.stream.writeBufferLength + this.outBytes;
  }

  /**
   * sendChannel: queues one frame `channel ‖ body`. False when the stream can no longer be
   * written. Small frames written in the same task are coalesced into one stream write (one muxer
   * frame, one encryption) at the next microtask; a large frame flushes them, then goes as
   * header + body (the body is not copied).
   */
  sendChannel(channel: number, body: Uint8Array): boolean {
    if (this.state === 'closed') return false;
    const length = CHANNEL_HEADER_BYTES + body.length;
    assert(length <= this.host.wireFrameBytesMax, `frame of ${length} bytes exceeds ${this.host.wireFrameBytesMax}`);
    const h = frameHeaderBytes(length);
    this.lastSentMs = this.host.now();
    if (body.length <= FRAME_COPY_BYTES_MAX) {
      const out = new Uint8Array(h + length);
      writeFrameHeader(out, 0, length);
      out[h] = channel;
      out.set(body, h + 1);
      this.out.push(out);
      this.outBytes += out.length;
      if (this.outBytes >= COALESCE_BYTES_MAX) return this.flush();
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(this.flushLater);
      }
      return true;
    }
    const head = new Uint8Array(h + 1);
    writeFrameHeader(head, 0, length);
    head[h] = channel;
    if (!this.flush()) return false;
    try {
      this.stream.send(head);
      this.stream.send(body);
      return true;
    } catch {
      return false;
    }
  }

  private readonly flushLater = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  /** Hands the coalesced small frames to the stream as one write. */
  private flush(): boolean {
    if (this.out.length === 0) return true;
    let data: Uint8Array;
    if (this.out.length === 1) {
      data = this.out[0]!;
    } else {
      data = new Uint8Array(this.outBytes);
      let o = 0;
      for (const part of this.out) {
        data.set(part, o);
        o += part.length;
      }
    }
    this.out.length = 0;
    this.outBytes = 0;
    if (this.state === 'closed') return false;
    try {
      this.stream.send(data);
      return true;
    } catch {
      return false;
    }
  }

  /** Writes a whole payload (channel byte included) as one frame. */
  writePayload(payload: Uint8Array): boolean {
    assert(payload.length > 0, 'empty payload');
    return this.sendChannel(payload[0]!, payload.subarray(1));
  }

  /** close: ends the stream gracefully (the remote sees a close, not an error). */
  close(): void {
    if (this.state === 'closed') return;
    this.flush();
    this.stream.close().catch((err: unknown) => this.stream.abort(err instanceof Error ? err : new Error(String(err))));
  }

  /** abort: resets the stream and closes its connection (the remote sent something invalid). */
  abort(reason: string): void {
    const err = new Error(reason);
    this.stream.abort(err);
    this.connection.abort(err);
    this.closed();
  }

  private received(chunk: Uint8Array): void {
    if (this.state === 'closed') return;
    this.lastReceivedMs = this.host.now();
    try {
      this.decoder.push(chunk);
    } catch (err) {
      this.failed(err);
      return;
    }
    this.pump();
  }

  /** Handles buffered frames in order until one needs an asynchronous step or none is left. */
  private pump(): void {
    while (!this.busy && this.state !== 'closed') {
      let frame: Uint8Array | undefined;
      try {
        frame = this.decoder.next();
      } catch (err) {
        this.failed(err);
        return;
      }
      if (frame === undefined) return;
      if (this.state === 'handshake') {
        this.busy = true;
        this.handshake.receive(frame).then(
          (step) => {
            this.busy = false;
            if (this.state === 'closed') return;
            if (this.handshake.status === 'await-accept') {
              // The peer may start sending full frames once it gets our ACCEPT: make room for them.
              this.decoder.setLimits({ maxFrameBytes: HANDSHAKE_FRAME_BYTES_MAX, maxBufferedBytes: this.fullLimits.maxBufferedBytes });
            }
            if (step.send !== undefined) this.writePayload(step.send);
            if (step.done) this.authenticated();
            this.pump();
          },
          (err: unknown) => {
            this.busy = false;
            this.failed(err);
          },
        );
        return;
      }
      const channel = frame[0]!;
      if (channel === Channel.keepalive && frame.length === 1) continue;
      if (channel !== Channel.shard && channel !== Channel.presence) {
        this.failed(new GeodeError('INPUT_INVALID', `peer ${this.remote}: frame on channel ${channel} after the handshake`, { source: this.remote, detail: 'BadChannel' }));
        return;
      }
      this.host.sessionFrame(this, channel, frame.subarray(1), frame.length + frameHeaderBytes(frame.length));
    }
  }

  private authenticated(): void {
    clearTimeout(this.timer);
    this.remoteInstance = this.handshake.remoteInstance;
    this.decoder.setLimits(this.fullLimits);
    this.state = 'open';
    this.host.sessionAuthenticated(this);
  }

  private maybeDrained(): void {
    if (this.needsDrain && this.state === 'open' && this.bufferedBytes * 2 <= this.host.sendBufferBytesMax) {
      this.needsDrain = false;
      this.host.sessionDrained(this);
    }
  }

  private failed(err: unknown): void {
    if (this.state === 'closed') return;
    const e = isGeodeError(err)
      ? err
      : new GeodeError('INPUT_INVALID', `peer ${this.remote}: ${err instanceof Error ? err.message : String(err)}`, { source: this.remote, cause: err });
    this.host.sessionFailed(this, e);
    this.abort(e.message);
  }

  private closed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.timer);
    this.host.sessionClosed(this);
  }
}
