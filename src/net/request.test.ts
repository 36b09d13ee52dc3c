/**
 * Request/response protocols on real libp2p connections (TCP, noise, yamux as the peers use):
 * a requester's requests to one peer ride one kept stream, answered in order; requests at the
 * same time each get their answer; and both ends still work with the one-request-per-stream
 * peers of before (a server that answers one request and closes, a requester that sends one).
 */
import { tcp } from '@libp2p/tcp';
import type { Stream } from '@libp2p/interface';
import { createLibp2p, type Libp2p } from 'libp2p';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from './frame.ts';
import { lazyWindowYamux } from './lazy-window-yamux.ts';
import { quickNoise } from './noise-framing.ts';
import { requestStreamsOpen, sendRequest, serveRequests } from './request.ts';

const ECHO = '/geode-test/request-echo/1.0.0';
const OLD = '/geode-test/request-old/1.0.0';
const init = { maxFrameBytes: 1 << 20, timeoutMs: 5_000 };

async function node(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [quickNoise()],
    streamMuxers: [lazyWindowYamux()],
    connectionGater: { denyDialMultiaddr: () => false },
  });
}

/** Reads one frame from a stream (the one-request servers and requesters of before). */
function oneFrame(stream: Stream): Promise<Uint8Array> {
  const d = new FrameDecoder('test', { maxFrameBytes: 1 << 20, maxBufferedBytes: 2 << 20 });
  return new Promise((resolve, reject) => {
    stream.addEventListener('message', (evt) => {
      const parts = evt.data instanceof Uint8Array ? [evt.data] : evt.data;
      for (const p of parts) d.push(p);
      const f = d.next();
      if (f !== undefined) resolve(Uint8Array.from(f));
    });
    stream.addEventListener('close', () => reject(new Error('closed')));
  });
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('request streams', () => {
  let server: Libp2p;
  let client: Libp2p;
  let addr: string;
  let served = 0;
  /** Inbound ECHO streams the server saw. */
  let streams = 0;

  beforeAll(async () => {
    [server, client] = await Promise.all([node(), node()]);
    await serveRequests(
      server,
      ECHO,
      async (_from, req) => {
        served++;
        const s = text(req);
        if (s.startsWith('slow:')) await new Promise((r) => setTimeout(r, 50));
        return bytes(`echo ${s}`);
      },
      { ...init, maxInbound: 16 },
    );
    await server.handle(
      OLD,
      (stream) => {
        // A server of before: one request, one answer, then close.
        void oneFrame(stream).then(async (req) => {
          stream.send(encodeFrame(bytes(`old ${text(req)}`)));
          await stream.close();
        });
      },
      { maxInboundStreams: 16 },
    );
    addr = server.getMultiaddrs()[0]!.toString();
  });

  afterAll(async () => {
    await Promise.all([client?.stop(), server?.stop()]);
  });

  const inboundEcho = (): number => {
    let n = 0;
    for (const c of server.getConnections()) for (const s of c.streams) if (s.protocol === ECHO) n++;
    return n;
  };

  it('sends a requester’s requests to one peer in turn on one kept stream, each answered with its own response', async () => {
    const before = served;
    for (let i = 0; i < 50; i++) expect(text(await sendRequest(client, [addr], ECHO, bytes(`r${i}`), init))).toBe(`echo r${i}`);
    expect(served - before).toBe(50);
    expect(requestStreamsOpen(client)).toBe(1);
    expect(inboundEcho()).toBe(1);
    streams = inboundEcho();
  });

  it('answers requests made at the same time, each with its own response (the busy stream is not shared)', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => sendRequest(client, [addr], ECHO, bytes(`slow:${i}`), init)));
    expect(answers.map(text)).toEqual(Array.from({ length: 8 }, (_, i) => `echo slow:${i}`));
    // The extra streams were closed after their answer; the kept one stays.
    await new Promise((r) => setTimeout(r, 100));
    expect(requestStreamsOpen(client)).toBe(1);
    expect(inboundEcho()).toBe(streams);
  });

  it('works with a server of before that answers one request per stream and closes it', async () => {
    for (let i = 0; i < 5; i++) expect(text(await sendRequest(client, [addr], OLD, bytes(`q${i}`), init))).toBe(`old q${i}`);
  });

  it('answers a requester of before that sends one request on a stream and closes it', async () => {
    const conn = client.getConnections(server.peerId)[0]!;
    for (let i = 0; i < 3; i++) {
      const s = await conn.newStream(ECHO);
      const answer = oneFrame(s);
      s.send(encodeFrame(bytes(`once ${i}`)));
      expect(text(await answer)).toBe(`echo once ${i}`);
      await s.close();
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(inboundEcho()).toBe(streams); // the server closed each of them
  });
});
