/**
 * The net layer's import path for other layers (browser-safe: no libp2p transport is loaded).
 * Runtime factories live in `src/net/node.ts` (Node peer, relay) and `src/net/browser.ts` (tab peer).
 */
export type { FrameRejection, PeerId, PeerKind, PeerTransport } from './types.ts';
export type { GeodePeer, NetStats, PeerInit } from './transport.ts';
export type { RequestHandler, RequestProtocolInit } from './request.ts';
export type { PresencePatch, PresenceState } from './presence.ts';
export { Channel, type ChannelByte } from './channels.ts';
export { generatePeerKey, peerIdOfKey } from './keys.ts';
export { MemoryNetwork, MemoryTransport } from './memory-transport.ts';
export * as netLimits from './constants.ts';
