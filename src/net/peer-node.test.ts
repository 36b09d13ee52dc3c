/**
 * Node peers and a relay on loopback, in one process: discovery through the directory, the
 * membership handshake, ordered frames both ways, refusal of strangers and garbage, reconnection.
 */
import type { Stream } from '@libp2p/interface';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2p } from 'libp2p';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveClusterKey, Handshake, INSTANCE_BYTES, NONCE_BYTES } from './auth.ts';
import { PEER_PROTOCOL } from './constants.ts';
import { encodeFrame, FrameDecoder } from './frame.ts';
import { generatePeerKey, peerIdOfKey } from './keys.ts';
import { createNodePeer, type NodePeerInit } from './peer-node.ts';
import { createRelay, type Relay } from './relay.ts';
import type { GeodePeer } from './transport.ts';
import type { PeerId } from './types.ts';

/** Short timers so the suite stays fast; the protocol is the same. */
const FAST = { directoryRefreshMs: 200, dialDeferMs: 100, reconnectBaseMs: 50, reconnectMaxMs: 400, handshakeTimeoutMs: 2_000 } as const;
/** Longest wait for the network to reach a state (a liveness bound: generous, the machine may be busy). */
const WAIT_MS = 30_000;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function relay(): Promise<Relay> {
  const r = await createRelay();
  closers.push(() => r.close());
  return r;
}

async function peer(r: Relay, init: Partial<NodePeerInit> = {}): Promise<GeodePeer> {
  const p = await createNodePeer({ clusterId: 'c1', secret: 's3cret', relays: [r.addrs()[0]!], ...FAST, ...init });
  closers.push(() => p.close());
  return p;
}

/** Collects the frames each sender delivered to `p`, decoded as numbers. */
function inbox(p: GeodePeer): Map<PeerId, number[]> {
  const got = new Map<PeerId, number[]>();
  p.onFrame((from, frame) => {
    const list = got.get(from) ?? [];
    list.push(frame.length >= 4 ? new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0) : -1);
    got.set(from, list);
  });
  return got;
}

function numbered(i: number, size = 4): Uint8Array {
  const f = new Uint8Array(size);
  new DataView(f.buffer).setUint32(0, i);
  return f;
}

describe('net: Node peers over libp2p', () => {
  it('three peers find each other through the relay directory and exchange frames both ways in order', async () => {
    const r = await relay();
    const ps = [await peer(r), await peer(r), await peer(r)];
    const boxes = ps.map(inbox);
    await until('full mesh', () => ps.every((p) => p.connected().length === 2));
    for (const a of ps) {
      for (const b of ps) {
        if (a === b) continue;
        for (let i = 0; i < 200; i++) expect(a.send(b.self, numbered(i, i % 7 === 0 ? 40_000 : 4))).toBe(true);
      }
    }
    const expected = Array.from({ length: 200 }, (_, i) => i);
    await until('all frames', () => boxes.every((box) => box.size === 2 && [...box.values()].every((l) => l.length === 200)));
    for (const box of boxes) for (const list of box.values()) expect(list).toEqual(expected);
    // One stream per pair, whoever dialed.
    for (const p of ps) expect(p.stats().sessionsOpened - p.stats().duplicatesClosed).toBeGreaterThanOrEqual(2);
    expect(r.stats().clusters).toBe(1);
  });

  it('refuses a peer with the wrong secret: no frames either way, counted on both sides', async () => {
    const r = await relay();
    const good = await peer(r);
    const goodBox = inbox(good);
    const reasons: string[] = [];
    good.onRejection((x) => reasons.push(x.reason));
    const bad = await peer(r, { secret: 'wrong' });
    const badBox = inbox(bad);
    // The stranger cannot compute the cluster's directory tag, so it is told of no one: point it at the member by hand.
    bad.addPeer(good.self, good.addrs(), 'node');
    await until('handshake failures on both sides', () => good.stats().authFailures > 0 && bad.stats().authFailures > 0);
    expect(good.connected()).toEqual([]);
    expect(bad.connected()).toEqual([]);
    expect(bad.send(good.self, numbered(1))).toBe(false);
    expect(goodBox.size + badBox.size).toBe(0);
    expect(good.stats().rejected).toBeGreaterThan(0);
    expect(reasons.some((x) => x.includes('does not verify'))).toBe(true);
  });

  it('closes the connection on an oversized or garbage frame and stays up for members', async () => {
    const r = await relay();
    const a = await peer(r);
    const b = await peer(r);
    const box = inbox(b);
    await until('a and b connected', () => a.connected().length === 1 && b.connected().length === 1);

    // A raw libp2p node speaking the peer protocol with garbage: a huge length, then random bytes.
    for (const garbage of [Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), Uint8Array.of(0x05, 0x09, 1, 2, 3, 4), Uint8Array.of(0x00)]) {
      const rogue = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], connectionGater: { denyDialMultiaddr: () => false } });
      closers.push(async () => { await rogue.stop(); });
      const before = b.stats().rejected;
      const stream = await rogue.dialProtocol(multiaddr(b.addrs().find((x) => !x.includes('/ws'))!), PEER_PROTOCOL);
      stream.send(garbage);
      await until('rogue rejected', () => b.stats().rejected > before);
      await until('rogue connection closed', () => rogue.getConnections().length === 0);
    }

    // Members were not disturbed.
    expect(a.send(b.self, numbered(7))).toBe(true);
    await until('frame 7', () => (box.get(a.self) ?? []).includes(7));
    expect(b.connected()).toEqual([a.self]);
  });

  it('cuts off an authenticated member that sends an oversized frame length, delivering nothing', async () => {
    const r = await relay();
    const b = await peer(r);
    const box = inbox(b);
    const rogue = await authenticatedRogue(b);
    const before = b.stats().rejected;
    rogue.stream.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f));
    await until('member rejected', () => b.stats().rejected > before);
    expect(b.connected()).not.toContain(rogue.id);
    expect(box.size).toBe(0);
  });

  it('reject() closes the connection, counts it, and the peer reconnects', async () => {
    const r = await relay();
    const a = await peer(r);
    const b = await peer(r);
    await until('connected', () => a.connected().length === 1);
    const downs: PeerId[] = [];
    b.onPeer((p, up) => {
      if (!up) downs.push(p);
    });
    b.reject(a.self, 'test');
    expect(b.stats().rejected).toBe(1);
    await until('down', () => downs.length === 1);
    await until('reconnected', () => a.connected().length === 1 && b.connected().length === 1);
  });

  it('reconnects to a peer restarted with the same key (same id), frames flow again', async () => {
    const r = await relay();
    const a = await peer(r);
    const key = await generatePeerKey();
    let b = await peer(r, { privateKey: key });
    expect(b.self).toBe(peerIdOfKey(key));
    await until('connected', () => a.connected().length === 1);
    await b.close();
    await until('a sees b down', () => a.connected().length === 0);
    b = await peer(r, { privateKey: key });
    const box = inbox(b);
    await until('reconnected', () => a.connected().includes(b.self));
    expect(a.send(b.self, numbered(42))).toBe(true);
    await until('frame after restart', () => (box.get(a.self) ?? []).includes(42));
  });

  it('send returns false past the send buffer limit and onDrain fires later', async () => {
    const r = await relay();
    const a = await peer(r, { sendBufferBytesMax: 4 * 1024 * 1024, maxFrameBytes: 1024 * 1024 });
    const b = await peer(r);
    const box = inbox(b);
    await until('connected', () => a.connected().length === 1);
    const drained: PeerId[] = [];
    a.onDrain((p) => drained.push(p));
    let sent = 0;
    const big = new Uint8Array(1024 * 1024);
    while (a.send(b.self, big)) sent++;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(64);
    await until('drain', () => drained.length === 1);
    expect(a.send(b.self, big)).toBe(true);
    await until('all delivered', () => (box.get(a.self) ?? []).length === sent + 1);
  });

  it('when two peers dial each other at once, both keep the same single stream and frames stay in order', async () => {
    const a = await createNodePeer({ clusterId: 'c1', secret: 's3cret', ...FAST, dialDeferMs: 0 });
    const b = await createNodePeer({ clusterId: 'c1', secret: 's3cret', ...FAST, dialDeferMs: 0 });
    closers.push(() => a.close(), () => b.close());
    const boxA = inbox(a);
    const boxB = inbox(b);
    a.addPeer(b.self, b.addrs(), 'node');
    b.addPeer(a.self, a.addrs(), 'node');
    await until('connected both ways', () => a.connected().length === 1 && b.connected().length === 1);
    // Let any second stream finish its handshake and be closed by deduplication.
    await until('handshakes settled', () => a.stats().sessionsOpened === b.stats().sessionsOpened);
    expect(a.peerAddr(b.self)).toBeDefined();
    for (let i = 0; i < 100; i++) {
      expect(a.send(b.self, numbered(i))).toBe(true);
      expect(b.send(a.self, numbered(i))).toBe(true);
    }
    await until('frames', () => (boxB.get(a.self)?.length ?? 0) === 100 && (boxA.get(b.self)?.length ?? 0) === 100);
    expect(boxB.get(a.self)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(boxA.get(b.self)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(a.stats().duplicatesClosed).toBe(b.stats().duplicatesClosed);
  });

  it('random bytes from a stranger never deliver a frame nor stop the peer (fast-check)', async () => {
    const r = await relay();
    const a = await peer(r);
    const b = await peer(r);
    const box = inbox(b);
    await until('connected', () => b.connected().length === 1);
    const rogue = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], connectionGater: { denyDialMultiaddr: () => false } });
    closers.push(async () => {
      await rogue.stop();
    });
    const target = multiaddr(b.addrs().find((x) => !x.includes('/ws'))!);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 4 }), async (chunks) => {
        await rogue.hangUp(target); // a fresh connection each run: the peer closes the one it refused
        const stream = await dialRetry(() => rogue.dialProtocol(target, PEER_PROTOCOL));
        for (const c of chunks) stream.send(c);
        stream.abort(new Error('done'));
      }),
      { numRuns: 12 },
    );
    expect([...box.keys()]).not.toContain(rogue.peerId.toString());
    expect(a.send(b.self, numbered(9))).toBe(true);
    await until('member frame after the fuzzing', () => (box.get(a.self) ?? []).includes(9));
  });

  it('random frames from an authenticated member close its stream or reach the shard handler, never crash the peer (fast-check)', async () => {
    const r = await relay();
    // A length prefix longer than what follows leaves the stream waiting: the idle timeout ends it.
    const b = await peer(r, { keepaliveMs: 100, idleTimeoutMs: 500 });
    const box = inbox(b);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 128 }), async (bytes) => {
        const rogue = await authenticatedRogue(b);
        const before = b.stats().rejected;
        rogue.stream.send(bytes);
        rogue.stream.send(encodeFrame(Uint8Array.of(0x02, 0xab)));
        // Either the garbage is refused (stream cut) or it framed valid frames and the probe arrives.
        await until('refused or delivered', () => b.stats().rejected > before || (box.get(rogue.id) ?? []).length > 0 || !b.connected().includes(rogue.id));
        await rogue.node.stop();
      }),
      { numRuns: 8 },
    );
    expect(b.stats().rejected).toBeGreaterThan(0);
  });

  it('presence carries each peer state and drops it when the peer leaves', async () => {
    const r = await relay();
    const a = await peer(r, { presence: { roles: ['voter'], shards: ['s1'] } });
    const b = await peer(r);
    await until('presence of both', () => a.presence().length === 2 && b.presence().length === 2);
    expect(b.presence().find((s) => s.id === a.self)).toEqual({ id: a.self, kind: 'node', visible: true, roles: ['voter'], shards: ['s1'] });
    a.setPresence({ visible: false });
    await until('visibility change', () => b.presence().find((s) => s.id === a.self)?.visible === false);
    await a.close();
    await until('a gone', () => b.presence().length === 1);
  });
});

/**
 * Retries `dial` for a while: libp2p rate-limits inbound connections per host (5 per second by
 * default) and resets the ones over the limit, which a fuzzing loop on loopback passes quickly.
 */
async function dialRetry<T>(dial: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await dial();
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A raw libp2p node that completes the handshake with `target` as a real member would. */
async function authenticatedRogue(target: GeodePeer): Promise<{ id: PeerId; node: Libp2p; stream: Stream }> {
  const node = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], connectionGater: { denyDialMultiaddr: () => false } });
  closers.push(async () => { await node.stop(); });
  const key = await deriveClusterKey('c1', 's3cret');
  const id = node.peerId.toString() as PeerId;
  const stream = await dialRetry(() => node.dialProtocol(multiaddr(target.addrs().find((x) => !x.includes('/ws'))!), PEER_PROTOCOL));
  const h = new Handshake(key, id, target.self, new Uint8Array(NONCE_BYTES).fill(5), new Uint8Array(INSTANCE_BYTES).fill(5));
  const dec = new FrameDecoder(target.self);
  let done = false;
  let chain = Promise.resolve();
  stream.addEventListener('message', (evt) => {
    const parts = evt.data instanceof Uint8Array ? [evt.data] : [...evt.data];
    for (const p of parts) dec.push(p);
    // Handshake frames one at a time, in order, as a member does; frames after it are ignored.
    chain = chain.then(async () => {
      for (let f = dec.next(); f !== undefined && !done; f = dec.next()) {
        const step = await h.receive(Uint8Array.from(f));
        if (step.send !== undefined) stream.send(encodeFrame(step.send));
        if (step.done) done = true;
      }
    });
  });
  stream.send(encodeFrame(h.start()));
  await until('rogue authenticated', () => done && target.connected().includes(id));
  return { id, node, stream };
}
