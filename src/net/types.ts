/**
 * The network layer's contract, as the shard layer sees it: authenticated peers of one cluster,
 * one long-lived framed stream per peer pair, carrying opaque byte frames of many shards.
 *
 * Implemented over libp2p (`src/net/libp2p/...`, Node and browsers) and in memory
 * (`src/net/memory-transport.ts`, for tests and the simulator). Only members of the cluster (those
 * that proved the cluster secret when the stream opened) ever appear as peers here.
 */

/** A peer's id: its libp2p peer id as a string (base58btc `12D3Koo...`), stable across restarts. */
export type PeerId = string & { readonly __brand: 'PeerId' };

/** What kind of runtime a peer is; leader placement prefers Node peers and visible tabs. */
export type PeerKind = 'node' | 'tab';

/** Why a frame from a peer was refused; counted in the `net_frames_rejected_total` metric. */
export interface FrameRejection {
  readonly peer: PeerId;
  readonly reason: string;
}

/**
 * PeerTransport: send frames to, and receive frames from, the cluster's other peers.
 *
 * Frames are delivered in order per peer pair while a connection lasts, at most once; frames sent
 * while no connection exists are dropped (Raft retries). A frame is at most `maxFrameBytes`.
 */
export interface PeerTransport {
  /** This peer's id. */
  readonly self: PeerId;
  /** Largest frame `send` accepts and the receiver decodes. */
  readonly maxFrameBytes: number;
  /**
   * send: queues `frame` for `to`. Returns false when it was not queued (no connection to `to`,
   * or its send buffer is full: wait for `onDrain`). Never throws for a network condition.
   */
  send(to: PeerId, frame: Uint8Array): boolean;
  /** onFrame: every frame received from an authenticated cluster member. One handler. */
  onFrame(handler: (from: PeerId, frame: Uint8Array) => void): void;
  /** onPeer: a member connected (`up`) or its last connection closed (`down`). */
  onPeer(handler: (peer: PeerId, up: boolean) => void): void;
  /** onDrain: `peer`'s send buffer has room again after `send` returned false. */
  onDrain(handler: (peer: PeerId) => void): void;
  /** connected: the members connected now. */
  connected(): readonly PeerId[];
  /**
   * reject: the receiver found a frame from `peer` invalid: the transport closes that connection
   * (the peer may reconnect) and counts it.
   */
  reject(peer: PeerId, reason: string): void;
  /** close: closes every connection and stops. */
  close(): Promise<void>;
}
