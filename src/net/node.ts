/** Node entry of the net layer: a Node peer and a relay (both need TCP and a listening socket). */
export { createNodePeer, NODE_PEER_LISTEN_DEFAULT, type NodePeerInit } from './peer-node.ts';
export { createRelay, RELAY_LISTEN_DEFAULT, type Relay, type RelayInit, type RelayStats } from './relay.ts';
export * from './index.ts';
