/**
 * createNodePeer: a Geode peer in Node: libp2p with TCP and WebSockets listeners (tabs reach Node
 * peers over WebSockets), noise, yamux, identify and the circuit relay transport, wrapped in the
 * shared {@link Libp2pTransport}.
 */
import { quickNoise } from './noise-framing.ts';
import { lazyWindowYamux } from './lazy-window-yamux.ts';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { identify } from '@libp2p/identify';
import { corkingTcp } from './corking-tcp.ts';
import { webSockets } from '@libp2p/websockets';
import { createLibp2p } from 'libp2p';
import { parsePeerKey } from './keys.ts';
import { Libp2pTransport, type GeodePeer, type PeerInit } from './transport.ts';

/** Options of a Node peer. */
export interface NodePeerInit extends PeerInit {
  /**
   * Listen multiaddrs; default TCP and WebSockets on loopback, free ports
   * (`/ip4/127.0.0.1/tcp/0`, `/ip4/127.0.0.1/tcp/0/ws`). Use `0.0.0.0` to accept other machines.
   */
  readonly listen?: readonly string[];
}

/** Default listen addresses of a Node peer. */
export const NODE_PEER_LISTEN_DEFAULT: readonly string[] = ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'];

/** createNodePeer: starts a Node peer; `close()` stops it. */
export async function createNodePeer(init: NodePeerInit): Promise<GeodePeer> {
  const node = await createLibp2p({
    ...(init.privateKey === undefined ? {} : { privateKey: parsePeerKey(init.privateKey) }),
    addresses: { listen: [...(init.listen ?? NODE_PEER_LISTEN_DEFAULT)] },
    transports: [corkingTcp(), webSockets(), circuitRelayTransport()],
    connectionEncrypters: [quickNoise()],
    streamMuxers: [lazyWindowYamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify() },
  });
  try {
    return await Libp2pTransport.start({ libp2p: node }, 'node', init);
  } catch (err) {
    await node.stop();
    throw err;
  }
}
