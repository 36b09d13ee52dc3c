import { isJoint, jointCommitted, jointVoteResult } from '../quorum/joint.ts';
import type { JointConfig } from '../quorum/joint.ts';
import type { VoteResult } from '../quorum/majority.ts';
import type { ConfState, LogIndex, NodeId } from '../types.ts';
import { Progress } from './progress.ts';

/** TrackerConfig: the membership as the tracker holds it. */
export interface TrackerConfig {
  readonly voters: JointConfig;
  readonly learners: Set<NodeId>;
  /** Outgoing voters demoted to learners once the joint configuration is left. */
  readonly learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

/** emptyTrackerConfig: no members. */
export function emptyTrackerConfig(): TrackerConfig {
  return { voters: { incoming: new Set(), outgoing: new Set() }, learners: new Set(), learnersNext: new Set(), autoLeave: false };
}

function sortedIds(s: Iterable<NodeId>): NodeId[] {
  return [...s].sort((a, b) => a - b);
}

/** confStateOf: the ConfState describing `config` (ids sorted, so equal configs compare equal). */
export function confStateOf(config: TrackerConfig): ConfState {
  const cs: { voters: NodeId[]; learners: NodeId[]; votersOutgoing?: NodeId[]; learnersNext?: NodeId[]; autoLeave?: boolean } = {
    voters: sortedIds(config.voters.incoming),
    learners: sortedIds(config.learners),
  };
  if (config.voters.outgoing.size > 0) {
    cs.votersOutgoing = sortedIds(config.voters.outgoing);
    cs.autoLeave = config.autoLeave;
  }
  if (config.learnersNext.size > 0) cs.learnersNext = sortedIds(config.learnersNext);
  return cs;
}

/**
 * ProgressTracker: the membership, each member's Progress (on the leader) and the votes of the
 * current election. Every member (voter or learner) has a Progress.
 */
export class ProgressTracker {
  config: TrackerConfig = emptyTrackerConfig();
  progress: Map<NodeId, Progress> = new Map();
  readonly votes: Map<NodeId, boolean> = new Map();
  readonly maxInflight: number;
  /** Ids of all members, sorted, rebuilt on membership change (deterministic iteration). */
  private memberIds: NodeId[] = [];
  private voterIds: NodeId[] = [];

  constructor(maxInflight: number) {
    this.maxInflight = maxInflight;
  }

  /** setConfig: installs a new membership and progress map (from the confchange module). */
  setConfig(config: TrackerConfig, progress: Map<NodeId, Progress>): void {
    this.config = config;
    this.progress = progress;
    this.memberIds = sortedIds(progress.keys());
    const voters = new Set<NodeId>(config.voters.incoming);
    for (const id of config.voters.outgoing) voters.add(id);
    this.voterIds = sortedIds(voters);
  }

  /** members: every member id, sorted. */
  members(): readonly NodeId[] {
    return this.memberIds;
  }

  /** voters: every voter id (incoming or outgoing), sorted. */
  voters(): readonly NodeId[] {
    return this.voterIds;
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters.incoming.has(id) || this.config.voters.outgoing.has(id);
  }

  isJoint(): boolean {
    return isJoint(this.config.voters);
  }

  /** isSingleton: the group has exactly one voter and is not joint. */
  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && this.config.voters.outgoing.size === 0;
  }

  confState(): ConfState {
    return confStateOf(this.config);
  }

  /** committed: the largest index a quorum of voters has matched. */
  committed(): LogIndex {
    return jointCommitted(this.config.voters, (id) => this.progress.get(id)?.match);
  }

  /** quorumActive: a quorum of voters was recently heard from (CheckQuorum). */
  quorumActive(): boolean {
    return jointVoteResult(this.config.voters, (id) => {
      const pr = this.progress.get(id);
      return pr === undefined ? undefined : pr.recentActive;
    }) === 'won';
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** recordVote: remembers `id`'s first vote in this election (later ones are ignored). */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  /** tallyVotes: votes granted and rejected by voters, and the election's result. */
  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voterIds) {
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, (id) => this.votes.get(id)) };
  }

  /** ackResult: whether the nodes in `acks` form a quorum (ReadIndex). */
  ackResult(acks: ReadonlySet<NodeId>): VoteResult {
    return jointVoteResult(this.config.voters, (id) => (acks.has(id) ? true : undefined));
  }
}
