/**
 * Defaults and limits of the network layer. Every queue, frame, list and wait in `src/net` is
 * bounded by one of these; `docs/protocol-net.md` lists them with their reasons.
 */
import { assert } from '../util/assert.ts';

/** The libp2p protocol of the one long-lived stream per peer pair. */
export const PEER_PROTOCOL = '/geode/peer/1.0.0';
/** The libp2p protocol of the relay's peer directory (one request, one response per stream). */
export const DIRECTORY_PROTOCOL = '/geode/directory/1.0.0';

/**
 * Largest frame payload on the wire (channel byte included), 4 MiB. A Raft MsgApp carries at most
 * 1 MiB of entries by default (`maxBytesPerRequestDefault`), so one frame always fits one message.
 */
export const FRAME_BYTES_MAX_DEFAULT = 4 * 1024 * 1024;
/** Most bytes of a frame's length prefix: a LEB128 varint of at most 5 bytes (35 bits). */
export const FRAME_HEADER_BYTES_MAX = 5;
/** Bytes the channel tag takes at the front of every frame payload. */
export const CHANNEL_HEADER_BYTES = 1;
/**
 * Largest frame accepted before the handshake completed: an unauthenticated peer can make us buffer
 * at most this much (the largest handshake message is 1 + 1 + 1 + 32 + 16 = 51 bytes).
 */
export const HANDSHAKE_FRAME_BYTES_MAX = 128;
/** How long the membership handshake may take before the stream is closed, ms. */
export const HANDSHAKE_TIMEOUT_MS_DEFAULT = 10_000;

/**
 * Bytes queued on one peer's stream past which `send` returns false (then `onDrain` fires once
 * the queue fell under half of it). 8 MiB: two full frames, enough to keep a LAN link busy.
 */
export const SEND_BUFFER_BYTES_MAX_DEFAULT = 8 * 1024 * 1024;
/** Frames at most this large are copied into one buffer with their header; larger go as two writes. */
export const FRAME_COPY_BYTES_MAX = 16 * 1024;
/**
 * Small frames sent in one task are coalesced into one stream write (one yamux frame, one noise
 * encryption) of at most about this many bytes; reaching it writes at once.
 */
export const COALESCE_BYTES_MAX = 64 * 1024;

/** Send a keepalive frame when nothing was sent on a stream for this long, ms. */
export const KEEPALIVE_MS_DEFAULT = 2_000;
/**
 * Close a stream on which nothing (not even a keepalive) arrived for this long, ms. WebRTC alone
 * notices a vanished tab only after ICE consent fails (tens of seconds).
 */
export const IDLE_TIMEOUT_MS_DEFAULT = 8_000;

/** First reconnection delay, ms (then doubling up to the max, with jitter). */
export const RECONNECT_BASE_MS_DEFAULT = 250;
/** Largest reconnection delay, ms. */
export const RECONNECT_MAX_MS_DEFAULT = 10_000;
/**
 * How long the peer with the larger id waits before dialing a peer of its own kind, ms: the
 * smaller id dials first, so both rarely dial at once (duplicates are closed anyway).
 */
export const DIAL_DEFER_MS_DEFAULT = 1_500;
/**
 * How long a tab's libp2p gives one address of a dial before trying the next, ms (libp2p's
 * `addressDialTimeout`, 6 s by default). Now and then a tab's WebRTC dial stalls after ICE has
 * connected: the initiator's handshake data channel never reports `open` (seen with
 * @libp2p/webrtc 6.0.33 in Chromium, in about a third of a new demo tab's first dials on a busy
 * machine), although the other side already upgraded the connection; the next try connects in a
 * fraction of a second.
 * 2 s bounds that stall. A WebRTC dial on one machine or a LAN takes well under a second.
 */
export const TAB_ADDRESS_DIAL_TIMEOUT_MS_DEFAULT = 2_000;
/** How long one dial (connection + stream) may take, ms. */
export const DIAL_TIMEOUT_MS_DEFAULT = 10_000;
/** Most peers a transport keeps dialing (known from the directory or added by hand). */
export const KNOWN_PEERS_MAX = 1_024;

/** How often a peer re-registers with its relays and refreshes its directory, ms. */
export const DIRECTORY_REFRESH_MS_DEFAULT = 10_000;
/** How long the relay keeps a registration that is not refreshed, ms. */
export const DIRECTORY_TTL_MS_DEFAULT = 30_000;
/** Shortest and longest TTL a relay grants, ms. */
export const DIRECTORY_TTL_MS_MIN = 1_000;
export const DIRECTORY_TTL_MS_MAX = 10 * 60_000;
/** How long one directory request may take, ms. */
export const DIRECTORY_REQUEST_TIMEOUT_MS = 5_000;
/** Largest directory request or response frame. */
export const DIRECTORY_FRAME_BYTES_MAX = 256 * 1024;
/** Most peers one cluster may have registered at a relay (and listed in one response). */
export const DIRECTORY_PEERS_PER_CLUSTER_MAX = 256;
/** Most clusters one relay keeps registrations of. */
export const DIRECTORY_CLUSTERS_MAX = 4_096;
/** Most addresses one peer registers. */
export const DIRECTORY_ADDRS_PER_PEER_MAX = 16;
/** Longest multiaddr (as text) a peer may register. */
export const DIRECTORY_ADDR_CHARS_MAX = 512;
/** Longest peer id (as text) in a directory entry. */
export const PEER_ID_CHARS_MAX = 128;

/** Largest presence state (JSON text) a peer may announce. */
export const PRESENCE_STATE_CHARS_MAX = 16 * 1024;
/** Most roles / shards in one presence state. */
export const PRESENCE_LIST_MAX = 1_024;

/**
 * Relay limits for relayed (circuit) connections. They carry WebRTC signalling only (SDP offers,
 * answers and ICE candidates: a few KiB), never Raft or queries, so the data limit stays small; the
 * duration covers a slow ICE exchange. Reservations are many: every tab holds one.
 */
export const RELAY_RESERVATIONS_MAX = 4_096;
export const RELAY_DURATION_LIMIT_MS = 2 * 60_000;
export const RELAY_DATA_LIMIT_BYTES = 1024n * 1024n;
export const RELAY_RESERVATION_TTL_MS = 2 * 60 * 60_000;
export const RELAY_HOP_STREAMS_MAX = 256;

assert(HANDSHAKE_FRAME_BYTES_MAX < FRAME_BYTES_MAX_DEFAULT, 'handshake frames must be smaller than frames');
assert(SEND_BUFFER_BYTES_MAX_DEFAULT >= FRAME_BYTES_MAX_DEFAULT, 'the send buffer must hold a full frame');
assert(FRAME_BYTES_MAX_DEFAULT < 2 ** 35, 'a frame length must fit the 5-byte varint header');
assert(DIRECTORY_REFRESH_MS_DEFAULT * 2 < DIRECTORY_TTL_MS_DEFAULT, 'a registration must be refreshed at least twice per TTL');
assert(KEEPALIVE_MS_DEFAULT * 3 <= IDLE_TIMEOUT_MS_DEFAULT, 'at least three keepalives must fit in the idle timeout');
assert(RECONNECT_BASE_MS_DEFAULT <= RECONNECT_MAX_MS_DEFAULT, `reconnect base ${RECONNECT_BASE_MS_DEFAULT} > max ${RECONNECT_MAX_MS_DEFAULT}`);
