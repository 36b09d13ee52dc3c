/**
 * Public types of the Raft consensus core.
 *
 * The core is a pure, deterministic state machine in the style of etcd-io/raft: messages, ticks and
 * proposals go in; entries to persist, messages to send and entries to apply come out through
 * {@link Ready}. It never reads a clock, a timer or a random source it was not handed, and never does
 * I/O. The host runs the loop documented on {@link Ready} (and numbered 1–4 in docs/raft.md).
 */

import { GeodeError } from '../util/errors.ts';

// ---------------------------------------------------------------------------------------------
// Branded ids
// ---------------------------------------------------------------------------------------------

/** NodeId: a member of a Raft group. Always a positive safe integer; 0 ({@link NO_NODE}) means "none". */
export type NodeId = number & { readonly __brand: 'NodeId' };
/** Term: a Raft term (a logical clock of elections). A non-negative safe integer; 0 before any election. */
export type Term = number & { readonly __brand: 'Term' };
/** LogIndex: a position in the Raft log. A non-negative safe integer; 0 is "before the first entry". */
export type LogIndex = number & { readonly __brand: 'LogIndex' };

/** NO_NODE: the absent node id (no vote cast, no leader known). */
export const NO_NODE = 0 as NodeId;

/** nodeId: checks that `n` is a positive safe integer and brands it. Throws GeodeError INPUT_INVALID. */
export function nodeId(n: number): NodeId {
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new GeodeError('INPUT_INVALID', `node id must be a positive safe integer, got ${n}`);
  }
  return n as NodeId;
}

/** term: checks that `n` is a non-negative safe integer and brands it. Throws GeodeError INPUT_INVALID. */
export function term(n: number): Term {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new GeodeError('INPUT_INVALID', `term must be a non-negative safe integer, got ${n}`);
  }
  return n as Term;
}

/** logIndex: checks that `n` is a non-negative safe integer and brands it. Throws GeodeError INPUT_INVALID. */
export function logIndex(n: number): LogIndex {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new GeodeError('INPUT_INVALID', `log index must be a non-negative safe integer, got ${n}`);
  }
  return n as LogIndex;
}

// ---------------------------------------------------------------------------------------------
// Log, state, snapshots
// ---------------------------------------------------------------------------------------------

/** EntryType: `normal` carries application data; `confChange` carries an encoded {@link ConfChange}. */
export type EntryType = 'normal' | 'confChange';

/**
 * Entry: one record of the replicated log. `data` is opaque to Raft for `normal` entries (an empty
 * `data` is the no-op a new leader appends); for `confChange` it is {@link encodeConfChange}'s output.
 */
export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/**
 * HardState: what must be on stable storage before any message of the same Ready is sent:
 * the current term, the vote cast in it, and the highest index known committed.
 */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId;
  readonly commit: LogIndex;
}

/**
 * ConfState: the membership of a group. `voters` vote and count toward quorums; `learners` receive
 * the log but never vote. While a joint configuration is in force, `votersOutgoing` holds the old
 * voters and decisions need a majority of both sets; `autoLeave` then says the leader leaves the
 * joint configuration by itself once it is committed.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly votersOutgoing?: readonly NodeId[];
  /** Learners that become learners once the joint configuration is left (they were outgoing voters). */
  readonly learnersNext?: readonly NodeId[];
  readonly autoLeave?: boolean;
}

/** SnapshotMetadata: the last log position a snapshot covers and the membership at that position. */
export interface SnapshotMetadata {
  readonly index: LogIndex;
  readonly term: Term;
  readonly conf: ConfState;
}

/** Snapshot: the application state up to `metadata.index`, opaque to Raft. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Membership changes
// ---------------------------------------------------------------------------------------------

/** ConfChangeSingle: add a voter, add (or demote to) a learner, or remove a node. */
export interface ConfChangeSingle {
  readonly type: 'addNode' | 'addLearner' | 'removeNode';
  readonly nodeId: NodeId;
}

/**
 * ConfChange: a membership change. One change of a voter is applied in a single step (Raft
 * thesis §4.1, one server at a time). Several changes, or `transition: 'joint'`, go through joint
 * consensus (§4.3): the first entry enters the joint configuration, and an empty ConfChange
 * (`changes: []`) leaves it — proposed automatically by the leader unless `transition` is
 * `'jointExplicit'`. An empty ConfChange outside a joint configuration is refused.
 */
export interface ConfChange {
  readonly changes: readonly ConfChangeSingle[];
  /** `auto` (default): single step when possible, else joint with automatic leave. */
  readonly transition?: 'auto' | 'joint' | 'jointExplicit';
  /** Opaque host data carried along (e.g. the address of a new node). */
  readonly context?: string;
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/**
 * MessageBase: every message names its sender, its receiver and the sender's term. A term of 0
 * marks a message that is not bound to a term (a forwarded proposal or read request).
 */
export interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
}

/** MsgProp: proposals forwarded by a follower to its leader. */
export interface MsgProp extends MessageBase {
  readonly type: 'MsgProp';
  readonly entries: readonly Entry[];
}
/** MsgApp: AppendEntries. `entries` follow the entry at (`index`, `logTerm`); `commit` is the leader's. */
export interface MsgApp extends MessageBase {
  readonly type: 'MsgApp';
  readonly index: LogIndex;
  readonly logTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
}
/**
 * MsgAppResp: answer to MsgApp. On success `index` is the last index now matching the leader. On
 * reject `index` echoes the MsgApp's index, and (`rejectHint`, `logTerm`) is the fast-backtracking
 * hint: the largest index at or below rejectHint whose term is at most logTerm (§5.3 optimisation).
 */
export interface MsgAppResp extends MessageBase {
  readonly type: 'MsgAppResp';
  readonly index: LogIndex;
  readonly reject: boolean;
  readonly rejectHint: LogIndex;
  readonly logTerm: Term;
}
/** MsgVote / MsgPreVote: a (pre-)candidate asks for a vote; (`index`, `logTerm`) is its last entry. */
export interface MsgVote extends MessageBase {
  readonly type: 'MsgVote' | 'MsgPreVote';
  readonly index: LogIndex;
  readonly logTerm: Term;
  /** True when the campaign follows a leadership transfer: it overrides the leader lease. */
  readonly transfer: boolean;
}
/** MsgVoteResp / MsgPreVoteResp: a vote granted or refused. */
export interface MsgVoteResp extends MessageBase {
  readonly type: 'MsgVoteResp' | 'MsgPreVoteResp';
  readonly reject: boolean;
}
/** MsgHeartbeat: the leader's periodic beat; `commit` is capped at what the follower has matched. */
export interface MsgHeartbeat extends MessageBase {
  readonly type: 'MsgHeartbeat';
  readonly commit: LogIndex;
  /** Non-empty when the heartbeat carries a ReadIndex round (the read's context). */
  readonly context: string;
}
/** MsgHeartbeatResp: a follower acknowledges a heartbeat, echoing its context. */
export interface MsgHeartbeatResp extends MessageBase {
  readonly type: 'MsgHeartbeatResp';
  readonly context: string;
}
/** MsgSnap: InstallSnapshot, sent to a follower whose next entry was compacted away. */
export interface MsgSnap extends MessageBase {
  readonly type: 'MsgSnap';
  readonly snapshot: Snapshot;
}
/** MsgReadIndex: a follower forwards a linearizable read request (`context`) to its leader. */
export interface MsgReadIndex extends MessageBase {
  readonly type: 'MsgReadIndex';
  readonly context: string;
}
/** MsgReadIndexResp: the leader answers a forwarded read with the commit index to wait for. */
export interface MsgReadIndexResp extends MessageBase {
  readonly type: 'MsgReadIndexResp';
  readonly index: LogIndex;
  readonly context: string;
}
/** MsgTimeoutNow: the leader tells a transfer target to campaign at once, ignoring leases. */
export interface MsgTimeoutNow extends MessageBase {
  readonly type: 'MsgTimeoutNow';
}
/** MsgTransferLeader: asks the leader to hand leadership to `transferee`. */
export interface MsgTransferLeader extends MessageBase {
  readonly type: 'MsgTransferLeader';
  readonly transferee: NodeId;
}

/** Message: everything Raft nodes send each other. Discriminated by `type`. */
export type Message =
  | MsgProp
  | MsgApp
  | MsgAppResp
  | MsgVote
  | MsgVoteResp
  | MsgHeartbeat
  | MsgHeartbeatResp
  | MsgSnap
  | MsgReadIndex
  | MsgReadIndexResp
  | MsgTimeoutNow
  | MsgTransferLeader;

/** MessageType: the `type` of a {@link Message}. */
export type MessageType = Message['type'];

// ---------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------

/** InitialState: what a node restarts from. */
export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

/**
 * RaftStorage: the read side of the durable log the core needs. The host writes to it (entries,
 * hard state and snapshots from each Ready) before sending that Ready's messages; the core only reads.
 *
 * Invariants: `firstIndex() - 1` is the index of the last compacted entry (or of the snapshot);
 * `term(firstIndex() - 1)` is known; `lastIndex() >= firstIndex() - 1`.
 */
export interface RaftStorage {
  /** initialState: the saved hard state and membership. */
  initialState(): InitialState;
  /**
   * entries: entries in [lo, hi), stopping early once their data passes `maxBytes` (always at
   * least one entry), in a fresh array the caller may extend.
   * Precondition: firstIndex() <= lo <= hi <= lastIndex() + 1.
   */
  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[];
  /** term: the term of entry `i`, for i in [firstIndex() - 1, lastIndex()]; undefined outside. */
  term(i: LogIndex): Term | undefined;
  /** firstIndex: the first index still held as an entry (older ones are in the snapshot). */
  firstIndex(): LogIndex;
  /** lastIndex: the last index held. */
  lastIndex(): LogIndex;
  /** snapshot: the most recent snapshot (metadata.index 0 and empty data when none yet). */
  snapshot(): Snapshot;
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/** RaftLogger: where the core reports what it does. Injected; the core prints nothing itself. */
export interface RaftLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/**
 * RaftTestingKnobs: TEST-ONLY switches that plant known-wrong behaviour, so the simulator can
 * prove it catches consensus bugs. Never set them outside tests: each one breaks safety.
 */
export interface RaftTestingKnobs {
  /** Grant votes without the "candidate's log is at least as up-to-date" check (breaks §5.4.1). */
  readonly grantVoteWithoutLogCheck?: boolean;
  /** Commit entries of earlier terms by counting replicas (the Figure 8 bug, breaks §5.4.2). */
  readonly commitPriorTermByCounting?: boolean;
  /** Grant a second vote in the same term to a different candidate (breaks election safety §5.2). */
  readonly voteTwicePerTerm?: boolean;
  /** Answer ReadIndex at once without confirming leadership with a quorum (stale reads). */
  readonly readIndexWithoutQuorum?: boolean;
}

/**
 * RaftConfig: configuration of one node, keys as in the project's configuration (`raft.*`).
 * Times are in milliseconds of the host's clock and turned into ticks with `tick_ms`.
 */
export interface RaftConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Election timeout range [min, max] ms; each timeout is drawn uniformly from it. Default [150, 300]. */
  readonly election_timeout_ms?: readonly [number, number];
  /** Leader heartbeat interval, ms. Default 50. Must be below the election timeout's minimum. */
  readonly heartbeat_ms?: number;
  /** The host's tick interval, ms: one {@link RawNode.tick} per tick_ms. Default 10. */
  readonly tick_ms?: number;
  /** Entries between log compactions (the host snapshots; see `RawNode.shouldSnapshot`). Default 10,000. */
  readonly snapshot_threshold?: number;
  /** Most entries in one MsgApp. Default 100. */
  readonly max_entries_per_request?: number;
  /** Most data bytes in one MsgApp (at least one entry is always sent). Default 1 MiB. */
  readonly max_bytes_per_request?: number;
  /** Most MsgApp in flight to one follower in replicate state. Default 256. */
  readonly max_inflight_msgs?: number;
  /** Most bytes of uncommitted proposals a leader accepts; 0 = no limit. Default 0. */
  readonly max_uncommitted_bytes?: number;
  /** Run a PreVote round before a real election (§9.6 of the thesis). Default true. */
  readonly pre_vote?: boolean;
  /** Leader steps down without a quorum of recent contact; followers honour a leader lease. Default true. */
  readonly check_quorum?: boolean;
  /** Source of randomness in [0, 1) for election timeouts. Injected: the core never calls Math.random. */
  readonly random: () => number;
  /** Logger; default discards everything. */
  readonly logger?: RaftLogger;
  /** The last applied index when restarting (entries up to it are not handed out again). Default 0. */
  readonly applied?: LogIndex;
  /** TEST-ONLY planted bugs; see {@link RaftTestingKnobs}. */
  readonly testingKnobs?: RaftTestingKnobs;
}

// ---------------------------------------------------------------------------------------------
// Ready / status
// ---------------------------------------------------------------------------------------------

/** StateRole: the role a node plays. */
export type StateRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** SoftState: volatile state worth telling the host about (not persisted). */
export interface SoftState {
  readonly lead: NodeId;
  readonly role: StateRole;
}

/** ReadState: a ReadIndex request is answered: once `index` is applied, the read with `context` may be served. */
export interface ReadState {
  readonly index: LogIndex;
  readonly context: string;
}

/**
 * Ready: a batch of work for the host, handed out by `RawNode.ready()`. It MUST be handled, in order:
 *
 * 1. Persist `snapshot` (if any), then append `entries` and save `hardState` (if any) to stable
 *    storage — durably (fsync) when `mustSync` — BEFORE sending any message of this Ready.
 * 2. Send `messages` (AFTER step 1; order between peers does not matter).
 * 3. Apply `snapshot` then `committedEntries` to the state machine, in order (a `confChange` entry
 *    is decoded and given to `RawNode.applyConfChange`); serve `readStates` once their index is applied.
 * 4. Call `RawNode.advance(ready)` with this very object before asking for the next Ready.
 */
export interface Ready {
  /** Role or leader changed since the last Ready; otherwise undefined. */
  readonly softState: SoftState | undefined;
  /** Hard state to persist, when it changed; otherwise undefined. */
  readonly hardState: HardState | undefined;
  /** Reads now answerable. */
  readonly readStates: readonly ReadState[];
  /** Entries to append to stable storage BEFORE sending `messages`. */
  readonly entries: readonly Entry[];
  /** Snapshot to persist (and apply), when one was received; otherwise undefined. */
  readonly snapshot: Snapshot | undefined;
  /** Committed entries to apply, AFTER persisting. */
  readonly committedEntries: readonly Entry[];
  /** Messages to send AFTER persisting. */
  readonly messages: readonly Message[];
  /** True when the hard state or entries must be durably synced before sending messages. */
  readonly mustSync: boolean;
}

/** ProgressState: how the leader replicates to one follower. */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** ProgressStatus: the leader's view of one follower. */
export interface ProgressStatus {
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
  readonly pendingSnapshot: LogIndex;
  readonly inflight: number;
}

/** Status: a snapshot of a node's state for the host, tests and `db.cluster.status()`. */
export interface Status {
  readonly id: NodeId;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: LogIndex;
  readonly lastIndex: LogIndex;
  readonly leadTransferee: NodeId;
  readonly conf: ConfState;
  /** Per-member progress, only on the leader. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus> | undefined;
}

// ---------------------------------------------------------------------------------------------
// The node's API
// ---------------------------------------------------------------------------------------------

/**
 * RaftNodeApi: what `RawNode` offers a host. Single-threaded: never call it re-entrantly.
 * Every method is synchronous and deterministic; its effects appear in the next {@link Ready}.
 */
export interface RaftNodeApi {
  /** tick: one unit of logical time (`tick_ms`) passed. Drives elections and heartbeats. */
  tick(): void;
  /**
   * step: hand the node a message received from a peer. Messages addressed to another node,
   * claiming to come from this node (or from no node), and responses from nodes that are not
   * members, are dropped. Every Message type may be stepped; messages no correct peer sends (an
   * acknowledgement past the leader's log, an empty proposal) are dropped with a warning. A
   * higher term is believed, as Raft requires: the node steps down to follower.
   */
  step(message: Message): void;
  /**
   * propose: ask to append `data` to the log. Throws GeodeError('PROPOSAL_DROPPED') (its `detail`
   * says why: `NoLeader`, `LeaderTransfer`, `UncommittedLimit`, `NotMember`, `ConfChangePending`) when
   * refused at once. On a follower the proposal is forwarded to the leader, and may still be lost:
   * only seeing the entry committed (in `committedEntries`) tells the host it took effect.
   */
  propose(data: Uint8Array): void;
  /** proposeConfChange: ask to change membership; refused like `propose`, and while a change is pending. */
  proposeConfChange(change: ConfChange): void;
  /**
   * readIndex: request a linearizable read tagged `context` (unique per request). When leadership
   * is confirmed, a {@link ReadState} with the same context appears in a Ready.
   */
  readIndex(context: string): void;
  /** transferLeadership: on the leader, hand leadership to `to` (§3.10 of the thesis). */
  transferLeadership(to: NodeId): void;
  /** campaign: start an election now (through PreVote when configured). */
  campaign(): void;
  /** hasReady: true when `ready()` has something to hand out. */
  hasReady(): boolean;
  /** ready: the next batch of work; see {@link Ready} for the contract. */
  ready(): Ready;
  /** advance: the host has handled `ready` (steps 1–3); call before the next `ready()`. */
  advance(ready: Ready): void;
  /** applyConfChange: apply a committed membership change; returns the new membership. */
  applyConfChange(change: ConfChange): ConfState;
  /** status: the node's current state. */
  status(): Status;
  /** reportUnreachable: the host failed to send to `id`; the leader goes back to probing it. */
  reportUnreachable(id: NodeId): void;
  /** reportSnapshot: the host finished (ok) or failed to send a snapshot to `id`. */
  reportSnapshot(id: NodeId, ok: boolean): void;
}
