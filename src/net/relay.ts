/**
 * createRelay: a Node relay. It listens on TCP and WebSockets, runs a circuit relay v2 server (so
 * tabs can be reached for WebRTC signalling) and the peer directory (`/geode/directory/1.0.0`).
 *
 * A relay holds no data and knows no cluster secret: it sees directory tags, peer ids and
 * addresses, and forwards noise-encrypted signalling on relayed connections, whose limits stay
 * small (signalling only: Raft and queries run on direct connections).
 */
import { quickNoise } from './noise-framing.ts';
import { lazyWindowYamux } from './lazy-window-yamux.ts';
import { circuitRelayServer } from '@libp2p/circuit-relay-v2';
import { identify } from '@libp2p/identify';
import type { Connection, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { createLibp2p } from 'libp2p';
import {
  DIRECTORY_FRAME_BYTES_MAX,
  DIRECTORY_PROTOCOL,
  DIRECTORY_REQUEST_TIMEOUT_MS,
  DIRECTORY_TTL_MS_DEFAULT,
  RELAY_DATA_LIMIT_BYTES,
  RELAY_DURATION_LIMIT_MS,
  RELAY_HOP_STREAMS_MAX,
  RELAY_RESERVATION_TTL_MS,
  RELAY_RESERVATIONS_MAX,
} from './constants.ts';
import { decodeRegister, DirectoryRegistry, encodeList } from './directory.ts';
import { parsePeerKey } from './keys.ts';
import { readOneFrame, writeOneFrame } from './stream-io.ts';

/** Options of a relay. */
export interface RelayInit {
  /** Listen multiaddrs; default TCP and WebSockets on loopback, free ports. */
  readonly listen?: readonly string[];
  /** The relay's identity key (from `generatePeerKey`), so its multiaddr survives restarts. */
  readonly privateKey?: Uint8Array;
  /** Default registration TTL, ms. */
  readonly directoryTtlMs?: number;
  /** Multiaddrs to announce instead of the listen addresses (public address behind a proxy). */
  readonly announce?: readonly string[];
}

/** Counters of a relay. */
export interface RelayStats {
  directoryRequests: number;
  /** Directory requests refused (malformed, timeout). */
  directoryRejected: number;
  clusters: number;
  peers: number;
  reservations: number;
}

/** A running relay. */
export interface Relay {
  readonly id: string;
  /** The relay's multiaddrs (with `/p2p/<id>`): give them to peers as `relays`. */
  addrs(): string[];
  stats(): RelayStats;
  close(): Promise<void>;
}

/** Default listen addresses of a relay. */
export const RELAY_LISTEN_DEFAULT: readonly string[] = ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'];

/** createRelay: starts a relay. */
export async function createRelay(init: RelayInit = {}): Promise<Relay> {
  const node = await createLibp2p({
    ...(init.privateKey === undefined ? {} : { privateKey: parsePeerKey(init.privateKey) }),
    addresses: {
      listen: [...(init.listen ?? RELAY_LISTEN_DEFAULT)],
      ...(init.announce === undefined ? {} : { announce: [...init.announce] }),
    },
    transports: [tcp(), webSockets()],
    connectionEncrypters: [quickNoise()],
    streamMuxers: [lazyWindowYamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: {
      identify: identify(),
      relay: circuitRelayServer({
        maxInboundHopStreams: RELAY_HOP_STREAMS_MAX,
        maxOutboundHopStreams: RELAY_HOP_STREAMS_MAX,
        reservations: {
          maxReservations: RELAY_RESERVATIONS_MAX,
          reservationTtl: RELAY_RESERVATION_TTL_MS,
          defaultDurationLimit: RELAY_DURATION_LIMIT_MS,
          defaultDataLimit: RELAY_DATA_LIMIT_BYTES,
        },
      }),
    },
  });
  const registry = new DirectoryRegistry(init.directoryTtlMs ?? DIRECTORY_TTL_MS_DEFAULT);
  const counters = { directoryRequests: 0, directoryRejected: 0 };

  const serve = async (stream: Stream, connection: Connection): Promise<void> => {
    counters.directoryRequests++;
    const peer = connection.remotePeer.toString();
    try {
      const req = decodeRegister(await readOneFrame(stream, DIRECTORY_FRAME_BYTES_MAX, DIRECTORY_REQUEST_TIMEOUT_MS, peer), peer);
      const list = registry.register(peer, req, Date.now());
      writeOneFrame(stream, encodeList(list));
      await stream.close();
    } catch (err) {
      counters.directoryRejected++;
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  };
  await node.handle(DIRECTORY_PROTOCOL, (stream, connection) => void serve(stream, connection), { maxInboundStreams: 4 });
  node.addEventListener('peer:disconnect', (evt) => registry.removePeer(evt.detail.toString()));

  return {
    id: node.peerId.toString(),
    addrs: () => node.getMultiaddrs().map((m) => m.toString()),
    stats: () => ({ ...counters, ...registry.counts(), reservations: node.services.relay.reservations.size }),
    close: async () => {
      await node.stop();
    },
  };
}
