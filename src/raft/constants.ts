/**
 * Defaults and limits of the Raft core. Defaults are the seed's (`raft.*` configuration keys).
 */

/** Default election timeout range, ms: each timeout is drawn uniformly in [min, max]. */
export const electionTimeoutMsDefault: readonly [number, number] = [150, 300];
/** Default heartbeat interval, ms. */
export const heartbeatMsDefault = 50;
/** Default tick interval, ms. */
export const tickMsDefault = 10;
/** Default entries between snapshots. */
export const snapshotThresholdDefault = 10_000;
/** Default entries per MsgApp. */
export const maxEntriesPerRequestDefault = 100;
/** Default data bytes per MsgApp (at least one entry always goes). */
export const maxBytesPerRequestDefault = 1024 * 1024;
/** Default MsgApp in flight per follower. */
export const maxInflightMsgsDefault = 256;

/** Most entries one MsgApp may carry, whatever the configuration says. */
export const maxEntriesPerRequestMax = 100_000;
/** Most MsgApp in flight per follower, whatever the configuration says. */
export const maxInflightMsgsMax = 65_536;
/** Most pending ReadIndex requests a leader keeps; more are refused (dropped, logged). */
export const pendingReadIndexMax = 65_536;
/** Most proposals held by a node; beyond it propose() is refused. */
export const pendingProposalsMax = 1_000_000;
/** Most members of one group. */
export const groupMembersMax = 1_000;
/** Largest election timeout / tick interval ratio (bounds tick counters). */
export const electionTicksMax = 1_000_000;
