/**
 * Defaults and limits of the shard layer (the MultiRaft host). Every queue and every decoded
 * length has a bound here; relations between them are asserted at module load.
 */
import { assert } from '../util/assert.ts';

/** Version of the shard wire format (first element of every frame). */
export const SHARD_WIRE_VERSION = 1;
/** Most items (a group's Raft messages, a request, a reply) in one frame. */
export const frameItemsMax = 4_096;
/** Most Raft messages of one group in one frame item. */
export const frameMessagesMax = 16_384;
/** Most entries in one Raft message (the Raft core's own cap is 100,000 per MsgApp). */
export const messageEntriesMax = 100_000;
/** Longest ReadIndex / heartbeat context string. */
export const contextCharsMax = 256;
/** Longest forwarded statement text (characters): the GQL text limit (gqlTextCharsMax). */
export const statementCharsMax = 1_000_000;
/** Longest error message carried in a reply. */
export const errorMessageCharsMax = 16_384;
/** Most members (voters, learners) listed in a snapshot's membership. */
export const confMembersMax = 1_000;
/** Highest group (shard) id. */
export const groupIdMax = 1_000_000;
/** Most Raft groups one host runs. */
export const groupsPerHostMax = 10_000;
/** Most forwarded requests a host waits on at once; more are refused with LIMIT_EXCEEDED. */
export const forwardedRequestsMax = 10_000;
/** Most local queries waiting (for a leader, a read index, a commit) at once per group. */
export const waitingQueriesMax = 100_000;
/** Most writes executed speculatively on a leader and not yet committed. */
export const speculativeWritesMax = 10_000;
/** Most statements a leader puts in one log entry (statements of one turn share an entry). */
export const entryStatementsMax = 256;
/** Most query texts remembered as "writes" (forwarded to the leader without a read round first). */
export const writeTextCacheMax = 1_024;

/** Default ms a query waits for a leader, a read index or a forwarded reply before failing. */
export const requestTimeoutMsDefault = 5_000;
/** Default replication factor: voters of a group. */
export const replicationFactorDefault = 3;
/** Default most learners (asynchronous replicas) kept beyond the voters. */
export const asyncReplicasDefault = 8;
/** Failure detector: missed heartbeat intervals after which a peer is `suspect`. */
export const suspectIntervalsDefault = 2;
/** Failure detector: missed heartbeat intervals after which a peer is `failed`. */
export const failureThresholdDefault = 10;
/** A learner is caught up (promotable) when at most this many entries behind the leader. */
export const promotableLagEntries = 10;
/** Ms between membership checks on a leader. */
export const membershipCheckMs = 100;
/** How often a client with no member connected looks again, ms. */
export const clientMemberPollMs = 20;

assert(frameMessagesMax <= 65_536, 'frameMessagesMax must stay below 65,536');
assert(suspectIntervalsDefault < failureThresholdDefault, 'a peer must be suspect before it is failed');
assert(messageEntriesMax >= 100, 'a frame must carry at least one default MsgApp (100 entries)');

/**
 * Default bound of a group replica's MVCC history (`transactions.mvcc_history_entries`): applied
 * entries kept so transactions read older snapshots; a read older than what is kept fails
 * PROPOSAL_DROPPED `SnapshotTooOld` (src/shard/mvcc-history.ts).
 */
export const mvccHistoryEntriesDefault = 4_096;
/** Largest `transactions.mvcc_history_entries` accepted. */
export const mvccHistoryEntriesMax = 1_000_000;
/**
 * Newest entries a replica's MVCC history keeps with no live snapshot that old: a leader validates
 * the commit of a transaction that read on another member against them (that member pins it).
 */
export const mvccRecentEntries = 256;
/**
 * Default `transactions.mvcc_retention_ms`: how long a replica's MVCC history keeps applied
 * entries no snapshot pins, so a read at a past timestamp (`asOf`) finds the version then.
 * Still within `mvcc_history_entries` and the history's command bound.
 */
export const mvccRetentionMsDefault = 5_000;
/** Largest `transactions.mvcc_retention_ms` accepted (one hour). */
export const mvccRetentionMsMax = 3_600_000;
/** Default `transactions.max_clock_skew_ms`: the clock skew between peers the hybrid clock tolerates. */
export const maxClockSkewMsDefault = 500;
