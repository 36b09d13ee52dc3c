/**
 * quickNoise and lazyWindowYamux on real libp2p connections: every byte arrives unchanged whatever
 * the chunking and the sizes (windows used up and granted again), each connection really gets
 * the quick length decoder, and small frames no longer cost a window update each (so a library
 * upgrade that changes their insides shows here, not as a silent slowdown).
 */
import { lazyWindowYamux, yamuxWindowUpdates } from './lazy-window-yamux.ts';
import { tcp } from '@libp2p/tcp';
import type { Stream } from '@libp2p/interface';
import { createLibp2p, type Libp2p } from 'libp2p';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameLength, noiseDecodersPatched, quickNoise } from './noise-framing.ts';

const ECHO = '/geode-test/echo/1.0.0';

async function node(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [quickNoise()],
    streamMuxers: [lazyWindowYamux()],
    connectionGater: { denyDialMultiaddr: () => false },
  });
}

/** Reads a stream's incoming bytes in order: `take(n)` resolves with the next `n` of them. */
function reader(stream: Stream): (n: number) => Promise<Uint8Array> {
  const pending: Uint8Array[] = [];
  let buffered = 0;
  let waiting: { n: number; resolve: (b: Uint8Array) => void; reject: (e: Error) => void } | undefined;
  let closed: Error | undefined;
  const serve = (): void => {
    if (waiting === undefined) return;
    if (buffered >= waiting.n) {
      const out = new Uint8Array(waiting.n);
      let at = 0;
      while (at < out.byteLength) {
        const head = pending[0]!;
        const take = Math.min(head.byteLength, out.byteLength - at);
        out.set(head.subarray(0, take), at);
        at += take;
        if (take === head.byteLength) pending.shift();
        else pending[0] = head.subarray(take);
      }
      buffered -= out.byteLength;
      const w = waiting;
      waiting = undefined;
      w.resolve(out);
    } else if (closed !== undefined) {
      waiting.reject(closed);
      waiting = undefined;
    }
  };
  stream.addEventListener('message', (evt) => {
    const data = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
    pending.push(data);
    buffered += data.byteLength;
    serve();
  });
  stream.addEventListener('close', (evt) => {
    closed = evt.error ?? new Error(`stream closed with ${buffered} bytes unread`);
    serve();
  });
  return (n) =>
    new Promise((resolve, reject) => {
      waiting = { n, resolve, reject };
      serve();
    });
}

/** Sends `chunks` on `stream` and reads as many bytes back through `take`. */
async function echo(stream: Stream, take: (n: number) => Promise<Uint8Array>, chunks: readonly Uint8Array[], total: number): Promise<Uint8Array> {
  const got = take(total);
  for (const c of chunks) if (!stream.send(c)) await stream.onDrain();
  return got;
}

describe('quickNoise and lazyWindowYamux', () => {
  let a: Libp2p;
  let b: Libp2p;
  beforeAll(async () => {
    a = await node();
    b = await node();
    await b.handle(ECHO, (stream) => {
      stream.addEventListener('message', (evt) => {
        stream.send(evt.data);
      });
    });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('a secured connection carries any bytes in any chunking unchanged, both ways, and gets the quick decoder', async () => {
    const before = noiseDecodersPatched();
    await a.dial(b.getMultiaddrs()[0]!);
    // Both ends of the one connection were secured by quickNoise in this process (the
    // listener's end may finish its upgrade a moment after the dial resolves).
    const deadline = Date.now() + 10_000;
    while (noiseDecodersPatched() - before < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(noiseDecodersPatched() - before).toBe(2);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 0, maxLength: 70_000 }), { minLength: 1, maxLength: 6 }), async (chunks) => {
        const total = chunks.reduce((n, c) => n + c.byteLength, 0);
        fc.pre(total > 0);
        const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, ECHO);
        const got = await echo(stream, reader(stream), chunks, total);
        const sent = new Uint8Array(total);
        let at = 0;
        for (const c of chunks) {
          sent.set(c, at);
          at += c.byteLength;
        }
        expect(Buffer.from(got).equals(Buffer.from(sent))).toBe(true);
        await stream.close();
      }),
      { numRuns: 25 },
    );
  }, 60_000);

  it('a stream far larger than its receive window arrives whole: the sender is granted more once half the window is used', async () => {
    const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, ECHO);
    const chunk = new Uint8Array(64 * 1024);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < 128; i++) chunks.push(chunk.map((_, j) => (i * 7 + j) & 0xff)); // 8 MiB
    const before = yamuxWindowUpdates();
    const got = await echo(stream, reader(stream), chunks, 128 * chunk.byteLength);
    for (let i = 0; i < 128; i++) expect(Buffer.from(got.subarray(i * chunk.byteLength, (i + 1) * chunk.byteLength)).equals(Buffer.from(chunks[i]!))).toBe(true);
    const after = yamuxWindowUpdates();
    expect(after.sent - before.sent).toBeGreaterThan(0);
    expect(after.held - before.held).toBeGreaterThan(0);
    await stream.close();
  }, 60_000);

  it('a thousand small messages on one stream cost a few window updates, not one each', async () => {
    const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, ECHO);
    const take = reader(stream);
    await echo(stream, take, [new Uint8Array(1)], 1); // the stream's opening (SYN, ACK) done
    const before = yamuxWindowUpdates();
    let echoed = 0;
    for (let i = 0; i < 1_000; i++) {
      // one message at a time: each is its own data frame both ways
      const got = await echo(stream, take, [new Uint8Array(100).fill(i & 0xff)], 100);
      echoed += got.every((x) => x === (i & 0xff)) ? 1 : 0;
    }
    expect(echoed).toBe(1_000);
    const after = yamuxWindowUpdates();
    // 2,000 data frames received (1,000 each side) and 200 kB in all: inside one 256 kB window
    expect(after.sent - before.sent).toBe(0);
    expect(after.held - before.held).toBeGreaterThanOrEqual(1_990);
    await stream.close();
  }, 60_000);

  it('frameLength reads a big-endian 16-bit length and throws a RangeError while fewer than two bytes are buffered', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 8 }), (bytes) => {
        expect(frameLength(bytes)).toBe(bytes[0]! * 256 + bytes[1]!);
        const list = { length: bytes.length, get: (i: number) => bytes[i]! };
        expect(frameLength(list)).toBe(bytes[0]! * 256 + bytes[1]!);
      }),
    );
    expect(() => frameLength(new Uint8Array(1))).toThrow(RangeError);
    expect(() => frameLength(new Uint8Array(0))).toThrow(RangeError);
  });
});
