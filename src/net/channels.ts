/**
 * The channel byte: the first byte of every frame payload on the peer stream says who reads it.
 * See docs/protocol-net.md ("Channels"). Unknown channels are refused (the connection is closed),
 * so a new channel needs a new protocol version.
 */

/** Channel: the values of the first payload byte. */
export const Channel = {
  /** The membership handshake (HELLO, PROOF, ACCEPT); only before the stream is authenticated. */
  handshake: 0x01,
  /** Opaque frames of the shard layer (`PeerTransport.send` / `onFrame`); only after. */
  shard: 0x02,
  /** y-protocols awareness updates carrying the sender's presence; only after. */
  presence: 0x03,
  /**
   * Keepalive: an empty frame sent when nothing else was sent for `keepaliveMs`, so a peer that
   * vanished without closing (a killed tab, a dead link) is noticed after `idleTimeoutMs`.
   */
  keepalive: 0x04,
} as const;

/** One of the {@link Channel} values. */
export type ChannelByte = (typeof Channel)[keyof typeof Channel];
