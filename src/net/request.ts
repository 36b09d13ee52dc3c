/**
 * Request/response protocols over libp2p for other layers (federation's
 * `/geode/federation/1.0.0`): framed requests and framed responses (framing as the peer stream:
 * a minimal varint length, docs/protocol-net.md), each with a size limit and a timeout. Unlike
 * the peer stream, these streams carry no cluster handshake: a protocol that needs one
 * authenticates inside its messages.
 *
 * A stream carries one request at a time, and as many in turn as its requester sends: the
 * requester keeps one stream per peer and protocol open and sends its next request on it (a new
 * stream per request costs both sides its opening, the protocol negotiation and its close, each
 * a few yamux frames noise-encrypted one by one: on a federation link that asks every 20 ms that
 * was most of the serving cluster's cost of the link). The server answers the requests of a
 * stream in order and closes it when the requester closes its side, or after
 * {@link requestStreamIdleMs} without a request. Both ends work with the one-request-per-stream
 * peers of before: a server of before answers one request and closes (the requester then opens a
 * new stream for the next, and sends a request again on a new stream when a reused one closed
 * before answering), a requester of before sends one and closes.
 */
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { GeodeError } from '../util/errors.ts';
import { FRAME_HEADER_BYTES_MAX } from './constants.ts';
import { encodeFrame, FrameDecoder } from './frame.ts';

/** Options of {@link serveRequests} and {@link sendRequest}. */
export interface RequestProtocolInit {
  /** Largest request or response frame, bytes. */
  readonly maxFrameBytes: number;
  /** How long a request (dial included) or the read of a request may take, ms. */
  readonly timeoutMs: number;
}

/** What answers a request: the requester's peer id and its payload → the response payload. */
export type RequestHandler = (from: string, request: Uint8Array) => Promise<Uint8Array>;

/** A served stream with no request for this long is closed, ms (the requester opens a new one when it asks again). */
export const requestStreamIdleMs = 60_000;
/** Requests a served stream holds unanswered; more is a protocol error (a requester sends one at a time). */
const requestsQueuedMax = 4;

function decoderFor(source: string, maxFrameBytes: number): FrameDecoder {
  return new FrameDecoder(source, { maxFrameBytes, maxBufferedBytes: maxFrameBytes + FRAME_HEADER_BYTES_MAX + 64 * 1024 });
}

/** Calls `f` with each chunk of a stream's message event. */
function eachChunk(data: Uint8Array | Iterable<Uint8Array>, f: (chunk: Uint8Array) => void): void {
  if (data instanceof Uint8Array) f(data);
  else for (const part of data) f(part);
}

/** serveRequests: answers `protocol` with `handler`, requests of a stream in order, at most `maxInbound` streams per connection. */
export async function serveRequests(libp2p: Libp2p, protocol: string, handler: RequestHandler, init: RequestProtocolInit & { readonly maxInbound: number }): Promise<void> {
  await libp2p.handle(
    protocol,
    (stream: Stream, connection) => {
      serveStream(stream, connection.remotePeer.toString(), handler, init);
    },
    { maxInboundStreams: init.maxInbound, maxOutboundStreams: init.maxInbound },
  );
}

/** Answers the requests of one stream in order, until the requester closes its side or it idles. */
function serveStream(stream: Stream, from: string, handler: RequestHandler, init: RequestProtocolInit): void {
  const decoder = decoderFor(from, init.maxFrameBytes);
  const queue: Uint8Array[] = [];
  let running = false;
  let ended = false;
  let remoteDone = false;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const end = (err?: Error): void => {
    if (ended) return;
    ended = true;
    clearTimeout(idle);
    stream.removeEventListener('message', onMessage);
    stream.removeEventListener('remoteCloseWrite', onRemoteDone);
    stream.removeEventListener('close', onClose);
    if (err !== undefined) stream.abort(err);
    else void stream.close().catch(() => undefined);
  };
  const armIdle = (ms: number): void => {
    clearTimeout(idle);
    idle = setTimeout(() => end(queue.length === 0 && !running ? undefined : new Error('request timed out')), ms);
  };
  const run = async (): Promise<void> => {
    running = true;
    try {
      while (queue.length > 0 && !ended) {
        const req = queue.shift()!;
        const res = await handler(from, req);
        if (ended) return;
        stream.send(encodeFrame(res));
      }
    } catch {
      end(new Error('request refused'));
      return;
    } finally {
      running = false;
    }
    if (remoteDone) end();
    else armIdle(requestStreamIdleMs);
  };
  const onMessage = (evt: { data: Uint8Array | Iterable<Uint8Array> }): void => {
    try {
      eachChunk(evt.data, (part) => decoder.push(part));
      for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) {
        if (queue.length >= requestsQueuedMax) throw new GeodeError('INPUT_INVALID', `peer ${from}: more than ${requestsQueuedMax} requests unanswered on one stream`, { source: from });
        queue.push(Uint8Array.from(frame));
      }
    } catch {
      end(new Error('request refused'));
      return;
    }
    if (queue.length > 0 && !running) {
      clearTimeout(idle);
      void run();
    }
  };
  const onRemoteDone = (): void => {
    remoteDone = true;
    if (!running && queue.length === 0) end();
  };
  const onClose = (): void => end();
  stream.addEventListener('message', onMessage);
  stream.addEventListener('remoteCloseWrite', onRemoteDone);
  stream.addEventListener('close', onClose);
  armIdle(init.timeoutMs); // the first request comes at once
}

/** A requester's stream to one peer and protocol, kept open for the next request. */
class RequestChannel {
  readonly stream: Stream;
  readonly #decoder: FrameDecoder;
  #waiter: { readonly resolve: (b: Uint8Array) => void; readonly reject: (e: unknown) => void } | undefined;
  /** A request is on its way: the next one takes another stream. */
  busy = false;
  /** Closed, failed or half-closed by the server: not reused. */
  dead = false;
  /** Requests answered on this stream. */
  answered = 0;

  constructor(stream: Stream, source: string, maxFrameBytes: number, onDead: (c: RequestChannel) => void) {
    this.stream = stream;
    this.#decoder = decoderFor(source, maxFrameBytes);
    const die = (err: unknown): void => {
      if (!this.dead) {
        this.dead = true;
        onDead(this);
      }
      const w = this.#waiter;
      this.#waiter = undefined;
      w?.reject(err);
    };
    stream.addEventListener('message', (evt) => {
      try {
        eachChunk(evt.data, (part) => this.#decoder.push(part));
        for (let frame = this.#decoder.next(); frame !== undefined; frame = this.#decoder.next()) {
          const w = this.#waiter;
          if (w === undefined) throw new GeodeError('INPUT_INVALID', `peer ${source}: a response nobody asked for`, { source });
          this.#waiter = undefined;
          w.resolve(Uint8Array.from(frame));
        }
      } catch (err) {
        stream.abort(err instanceof Error ? err : new Error(String(err)));
        die(err);
      }
    });
    // A server of before closes after its one answer: the stream is not reused.
    stream.addEventListener('remoteCloseWrite', () => {
      die(new GeodeError('IO', `peer ${source}: stream closed before a response`, { source }));
      void stream.close().catch(() => undefined);
    });
    stream.addEventListener('close', () => die(new GeodeError('IO', `peer ${source}: stream closed before a response`, { source })));
  }

  /** usable: open both ways, nothing on its way. */
  usable(): boolean {
    return !this.dead && !this.busy && this.stream.status === 'open' && this.stream.writeStatus === 'writable' && this.stream.remoteWriteStatus === 'writable';
  }

  /** request: sends `payload` and resolves with the next frame; a failure kills the channel (the stream is aborted). */
  async request(payload: Uint8Array, timeoutMs: number, source: string): Promise<Uint8Array> {
    this.busy = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const answer = new Promise<Uint8Array>((resolve, reject) => {
        this.#waiter = { resolve, reject };
        timer = setTimeout(() => reject(new GeodeError('IO', `peer ${source}: no response within ${timeoutMs} ms`, { source })), timeoutMs);
      });
      this.stream.send(encodeFrame(payload));
      const res = await answer;
      this.answered++;
      return res;
    } catch (err) {
      this.#waiter = undefined;
      if (!this.dead) this.stream.abort(err instanceof Error ? err : new Error(String(err)));
      throw err;
    } finally {
      clearTimeout(timer);
      this.busy = false;
    }
  }
}

/** Per libp2p node: the kept request stream of each (peer, protocol). */
const channels = new WeakMap<Libp2p, Map<string, RequestChannel>>();

/** requestStreamsOpen: the request streams `libp2p` keeps open for reuse (tests and diagnostics). */
export function requestStreamsOpen(libp2p: Libp2p): number {
  let n = 0;
  for (const c of channels.get(libp2p)?.values() ?? []) if (!c.dead) n++;
  return n;
}

/**
 * sendRequest: sends `payload` to the peer at `addrs` (multiaddrs of one peer, with `/p2p/<id>`)
 * on `protocol` and resolves with the response: on the stream kept open to that peer for the
 * protocol when it is free, else on a new stream (dialling when no connection is open), which is
 * then kept. A request sent on a kept stream that the server closed before answering (a server of
 * before, or an idle close) is sent once more on a new stream: requests must be safe to repeat.
 * IO GeodeError when unreachable or too slow; INPUT_INVALID for a bad response frame.
 */
export async function sendRequest(libp2p: Libp2p, addrs: readonly string[], protocol: string, payload: Uint8Array, init: RequestProtocolInit): Promise<Uint8Array> {
  const source = addrs[0] ?? '';
  const peer = peerOf(addrs);
  let kept = channels.get(libp2p);
  if (kept === undefined) channels.set(libp2p, (kept = new Map()));
  const key = peer === undefined ? undefined : `${peer}\n${protocol}`;
  const had = key === undefined ? undefined : kept.get(key);
  if (had !== undefined && had.usable()) {
    try {
      return await had.request(payload, init.timeoutMs, source);
    } catch (err) {
      if (!(err instanceof GeodeError && err.code === 'IO' && had.dead && had.answered > 0)) throw err;
      // Closed by the server after earlier answers: ask again on a new stream.
    }
  }
  const signal = AbortSignal.timeout(init.timeoutMs);
  let stream: Stream;
  try {
    // An open connection to that peer carries the stream at once (a dial parses the addresses and
    // merges them into the peer store every time: the larger part of a small request's cost).
    const open = peer === undefined ? undefined : openConnection(libp2p, peer);
    stream = open !== undefined ? await open.newStream(protocol, { signal }) : await libp2p.dialProtocol(addrs.map((a) => multiaddr(a)), protocol, { signal });
  } catch (err) {
    throw new GeodeError('IO', `${addrs[0] ?? 'no address'}: ${protocol} unreachable (${err instanceof Error ? err.message : String(err)})`, { source, cause: err });
  }
  const map = kept;
  const channel = new RequestChannel(stream, source, init.maxFrameBytes, (c) => {
    if (key !== undefined && map.get(key) === c) map.delete(key);
  });
  const cur = key === undefined ? undefined : map.get(key);
  const keep = key !== undefined && (cur === undefined || cur.dead); // a busy kept stream stays kept; this one closes after its answer
  if (keep) map.set(key, channel);
  try {
    return await channel.request(payload, init.timeoutMs, source);
  } finally {
    if (!keep) void stream.close().catch(() => undefined);
  }
}

/** The peer id string of `addrs`' first address (its `/p2p/<id>`), if it has one. */
function peerOf(addrs: readonly string[]): string | undefined {
  const at = addrs[0]?.lastIndexOf('/p2p/') ?? -1;
  return at < 0 ? undefined : addrs[0]!.slice(at + 5);
}

/** openConnection: an open, unlimited connection to `peer`, if there is one. */
function openConnection(libp2p: Libp2p, peer: string): ReturnType<Libp2p['getConnections']>[number] | undefined {
  let id: ReturnType<typeof peerIdFromString>;
  try {
    id = peerIdFromString(peer);
  } catch {
    return undefined;
  }
  for (const c of libp2p.getConnections(id)) if (c.status === 'open' && c.limits === undefined) return c;
  return undefined;
}
