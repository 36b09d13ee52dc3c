/**
 * Request/response protocols over libp2p for other layers (federation's
 * `/geode/federation/1.0.0`): one stream per request, one framed request and one framed response
 * on it (framing as the peer stream: a minimal varint length, docs/protocol-net.md), each with a
 * size limit and a timeout. Unlike the peer stream, these streams carry no cluster handshake: a
 * protocol that needs one authenticates inside its messages.
 */
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { GeodeError } from '../util/errors.ts';
import { readOneFrame, writeOneFrame } from './stream-io.ts';

/** Options of {@link serveRequests} and {@link sendRequest}. */
export interface RequestProtocolInit {
  /** Largest request or response frame, bytes. */
  readonly maxFrameBytes: number;
  /** How long a request (dial included) or the read of a request may take, ms. */
  readonly timeoutMs: number;
}

/** What answers a request: the requester's peer id and its payload → the response payload. */
export type RequestHandler = (from: string, request: Uint8Array) => Promise<Uint8Array>;

/** serveRequests: answers `protocol` with `handler`, at most `maxInbound` streams per connection. */
export async function serveRequests(libp2p: Libp2p, protocol: string, handler: RequestHandler, init: RequestProtocolInit & { readonly maxInbound: number }): Promise<void> {
  await libp2p.handle(
    protocol,
    (stream: Stream, connection) => {
      const from = connection.remotePeer.toString();
      void (async () => {
        try {
          const req = await readOneFrame(stream, init.maxFrameBytes, init.timeoutMs, from);
          const res = await handler(from, req);
          writeOneFrame(stream, res);
          await stream.close();
        } catch {
          stream.abort(new Error('request refused'));
        }
      })();
    },
    { maxInboundStreams: init.maxInbound, maxOutboundStreams: init.maxInbound },
  );
}

/**
 * sendRequest: dials `addrs` (multiaddrs of one peer, with `/p2p/<id>`), sends `payload` on a new
 * `protocol` stream and resolves with the response. IO GeodeError when unreachable or too slow;
 * INPUT_INVALID for a bad response frame.
 */
export async function sendRequest(libp2p: Libp2p, addrs: readonly string[], protocol: string, payload: Uint8Array, init: RequestProtocolInit): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(init.timeoutMs);
  let stream: Stream;
  try {
    // An open connection to that peer carries the stream at once (a dial parses the addresses and
    // merges them into the peer store every time: the larger part of a small request's cost).
    const open = openConnection(libp2p, addrs);
    stream = open !== undefined ? await open.newStream(protocol, { signal }) : await libp2p.dialProtocol(addrs.map((a) => multiaddr(a)), protocol, { signal });
  } catch (err) {
    throw new GeodeError('IO', `${addrs[0] ?? 'no address'}: ${protocol} unreachable (${err instanceof Error ? err.message : String(err)})`, { source: addrs[0] ?? '', cause: err });
  }
  try {
    writeOneFrame(stream, payload);
    const res = await readOneFrame(stream, init.maxFrameBytes, init.timeoutMs, addrs[0] ?? '');
    await stream.close().catch(() => undefined);
    return res;
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}

/** openConnection: an open, unlimited connection to the peer `addrs` name (their `/p2p/<id>`), if there is one. */
function openConnection(libp2p: Libp2p, addrs: readonly string[]): ReturnType<Libp2p['getConnections']>[number] | undefined {
  const at = addrs[0]?.lastIndexOf('/p2p/') ?? -1;
  if (at < 0) return undefined;
  let id: ReturnType<typeof peerIdFromString>;
  try {
    id = peerIdFromString(addrs[0]!.slice(at + 5));
  } catch {
    return undefined;
  }
  for (const c of libp2p.getConnections(id)) if (c.status === 'open' && c.limits === undefined) return c;
  return undefined;
}
