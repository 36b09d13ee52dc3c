/**
 * A rogue cluster member for the tests: a bare libp2p node that knows the cluster id and secret,
 * completes the membership handshake (`src/net/auth.ts`) with one target peer over a fresh
 * connection, and then writes whatever bytes the test wants on the peer stream, bypassing every
 * check a real transport makes on what it sends.
 */
import type { Stream } from '@libp2p/interface';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2p } from 'libp2p';
import { deriveClusterKey, Handshake, INSTANCE_BYTES, NONCE_BYTES } from '../../src/net/auth.ts';
import { Channel } from '../../src/net/channels.ts';
import { PEER_PROTOCOL } from '../../src/net/constants.ts';
import { encodeFrame as encodeNetFrame, FrameDecoder } from '../../src/net/frame.ts';
import type { PeerId } from '../../src/net/types.ts';

/** Longest wait for the handshake of a rogue connection, ms. */
const handshakeWaitMs = 10_000;
/** Dial attempts (libp2p limits inbound connections per second per host; refused dials are retried). */
const dialAttemptsMax = 40;
const dialRetryMs = 100;

/** One authenticated rogue connection to a target peer. */
export class RogueConnection {
  #closed = false;
  readonly closed: Promise<void>;

  private constructor(
    readonly id: PeerId,
    readonly node: Libp2p,
    readonly stream: Stream,
  ) {
    this.closed = new Promise((ok) => {
      const done = (): void => {
        this.#closed = true;
        ok();
      };
      stream.addEventListener('close', done);
      node.addEventListener('connection:close', done);
    });
  }

  /** isClosed: the target (or the test) ended the stream or its connection. */
  isClosed(): boolean {
    return this.#closed || this.stream.status !== 'open' || this.node.getConnections().length === 0;
  }

  /** sendShard: one well-framed frame on the shard channel with `body` as it is. */
  sendShard(body: Uint8Array): void {
    const payload = new Uint8Array(1 + body.length);
    payload[0] = Channel.shard;
    payload.set(body, 1);
    this.sendPayload(payload);
  }

  /** sendPayload: one well-framed frame (length prefix) around `payload` (channel byte first). */
  sendPayload(payload: Uint8Array): void {
    this.sendRaw(encodeNetFrame(payload));
  }

  /** sendRaw: bytes as they are, no framing. */
  sendRaw(bytes: Uint8Array): void {
    try {
      this.stream.send(bytes);
    } catch {
      // The target closed the stream already: that is a valid outcome for a rogue.
    }
  }

  async stop(): Promise<void> {
    await this.node.stop();
  }

  /**
   * connect: a new libp2p node (new peer id) dials `targetAddr` (TCP multiaddr with `/p2p/<id>`
   * or without), speaks the peer protocol and completes the handshake as a real member would.
   */
  static async connect(targetAddr: string, target: string, clusterId: string, secret: string): Promise<RogueConnection> {
    const node = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], connectionGater: { denyDialMultiaddr: () => false } });
    try {
      const key = await deriveClusterKey(clusterId, secret);
      const id = node.peerId.toString() as PeerId;
      let stream: Stream | undefined;
      for (let attempt = 0; stream === undefined; attempt++) {
        try {
          stream = await node.dialProtocol(multiaddr(targetAddr), PEER_PROTOCOL, { signal: AbortSignal.timeout(5_000) });
        } catch (err) {
          if (attempt >= dialAttemptsMax) throw err;
          await new Promise((r) => setTimeout(r, dialRetryMs));
        }
      }
      const h = new Handshake(key, id, target, crypto.getRandomValues(new Uint8Array(NONCE_BYTES)), crypto.getRandomValues(new Uint8Array(INSTANCE_BYTES)));
      const dec = new FrameDecoder(target);
      let done = false;
      let failed: unknown;
      let chain = Promise.resolve();
      const s = stream;
      s.addEventListener('message', (evt) => {
        if (done) return; // frames after the handshake (hello, presence) are not read
        const parts = evt.data instanceof Uint8Array ? [evt.data] : [...evt.data];
        try {
          for (const p of parts) dec.push(p);
        } catch (err) {
          failed = err;
          return;
        }
        chain = chain.then(async () => {
          for (let f = done ? undefined : dec.next(); f !== undefined; f = done ? undefined : dec.next()) {
            const step = await h.receive(Uint8Array.from(f));
            if (step.send !== undefined) s.send(encodeNetFrame(step.send));
            if (step.done) done = true;
          }
        }).catch((err: unknown) => {
          failed = err;
        });
      });
      s.send(encodeNetFrame(h.start()));
      const end = Date.now() + handshakeWaitMs;
      while (!done) {
        if (failed !== undefined) throw failed instanceof Error ? failed : new Error(String(failed));
        if (s.status !== 'open') throw new Error('the target closed the stream during the handshake');
        if (Date.now() > end) throw new Error(`no handshake with ${target} within ${handshakeWaitMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return new RogueConnection(id, node, s);
    } catch (err) {
      await node.stop();
      throw err;
    }
  }
}
