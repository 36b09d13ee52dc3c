/**
 * createBrowserPeer: a Geode peer in a browser tab: libp2p with WebSockets (to relays and Node
 * peers), WebRTC (direct to other tabs) and the circuit relay transport (a reservation on the relay,
 * used for WebRTC signalling only), noise, yamux and identify, wrapped in {@link Libp2pTransport}.
 *
 * `rtcConfiguration: { iceServers: [] }` keeps ICE local (works offline and on loopback);
 * `denyDialMultiaddr: () => false` lets a tab dial a relay on a private or loopback address.
 * RTCPeerConnection exists only on a page (not in workers), so this runs on the page.
 */
import { quickNoise } from './noise-framing.ts';
import { lazyWindowYamux } from './lazy-window-yamux.ts';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { identify } from '@libp2p/identify';
import { webRTC } from '@libp2p/webrtc';
import { webSockets } from '@libp2p/websockets';
import { createLibp2p } from 'libp2p';
import { TAB_ADDRESS_DIAL_TIMEOUT_MS_DEFAULT } from './constants.ts';
import { parsePeerKey } from './keys.ts';
import { Libp2pTransport, type GeodePeer, type PeerInit } from './transport.ts';

/** Options of a browser peer. */
export interface BrowserPeerInit extends PeerInit {
  /** ICE servers (STUN/TURN) for WebRTC across NATs; default none (same machine or LAN). */
  readonly iceServers?: RTCIceServer[];
  /**
   * How long libp2p gives one address of a dial before it tries the next, ms. Default
   * {@link TAB_ADDRESS_DIAL_TIMEOUT_MS_DEFAULT}; raise it for WebRTC through TURN on slow links.
   */
  readonly addressDialTimeoutMs?: number;
}

/** createBrowserPeer: starts a tab's peer; it needs at least one relay to be reachable. */
export async function createBrowserPeer(init: BrowserPeerInit): Promise<GeodePeer> {
  const node = await createLibp2p({
    ...(init.privateKey === undefined ? {} : { privateKey: parsePeerKey(init.privateKey) }),
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [webSockets(), webRTC({ rtcConfiguration: { iceServers: init.iceServers ?? [] } }), circuitRelayTransport()],
    connectionEncrypters: [quickNoise()],
    streamMuxers: [lazyWindowYamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    connectionManager: { addressDialTimeout: init.addressDialTimeoutMs ?? TAB_ADDRESS_DIAL_TIMEOUT_MS_DEFAULT },
    services: { identify: identify() },
  });
  try {
    return await Libp2pTransport.start({ libp2p: node }, 'tab', init);
  } catch (err) {
    await node.stop();
    throw err;
  }
}
