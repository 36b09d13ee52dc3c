/**
 * Membership decisions of a group's leader, as a pure function of what it sees: add connected
 * peers as learners, promote caught-up healthy learners to voters up to `replication.factor`,
 * replace a failed voter with a healthy learner (promote first, then demote the failed one, so the
 * group never has fewer live voters than before). One change at a time: Raft refuses a second
 * while one is pending, and the leader re-decides on its next check.
 */
import type { LogIndex, NodeId } from '../raft/index.ts';
import type { PeerId } from '../net/types.ts';
import type { PeerHealth } from './failure-detector.ts';
import { promotableLagEntries } from './constants.ts';

/** MembershipView: what the leader knows when it decides. */
export interface MembershipView {
  readonly self: NodeId;
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** A joint configuration is in force (wait for it to be left). */
  readonly joint: boolean;
  readonly lastIndex: LogIndex;
  /** The leader's match index for a member. */
  readonly match: (id: NodeId) => LogIndex;
  readonly health: (id: NodeId) => PeerHealth;
  readonly peerOf: (id: NodeId) => PeerId | undefined;
  /** Connected peers that are not members, in a stable order. */
  readonly candidates: readonly { readonly node: NodeId; readonly peer: PeerId }[];
  readonly factor: number;
  readonly asyncReplicas: number;
  /**
   * The peers placement wants as voters (a sharded cluster's shard manager); undefined: any
   * member. Only placed learners are promoted, and a voter not placed is replaced by a placed
   * learner (promote first, then demote it), except the leader itself (it hands over first).
   */
  readonly placed?: (peer: PeerId) => boolean;
}

/** MembershipAction: one conf change to propose (its context is the peer's id). */
export interface MembershipAction {
  readonly type: 'addNode' | 'addLearner';
  readonly node: NodeId;
  readonly peer: PeerId;
  /** Why, for logs and tests. */
  readonly reason: 'join' | 'promote' | 'replace' | 'demote';
}

function caughtUp(v: MembershipView, id: NodeId): boolean {
  return v.match(id) + promotableLagEntries >= v.lastIndex;
}

/** decideMembership: the next change the leader should propose, or undefined. */
export function decideMembership(v: MembershipView): MembershipAction | undefined {
  if (v.joint) return undefined;
  const placed = (id: NodeId): boolean => v.placed === undefined || v.placed(v.peerOf(id)!);
  const ready = v.learners.filter((id) => v.health(id) === 'healthy' && caughtUp(v, id) && v.peerOf(id) !== undefined && placed(id));
  // Failed voters, and (under placement) voters placement moved elsewhere: replaced, then demoted.
  const failedVoters = v.voters.filter((id) => id !== v.self && v.peerOf(id) !== undefined && (v.health(id) === 'failed' || !placed(id)));
  const promote = ready[0];
  if (promote !== undefined && v.voters.length < v.factor) return { type: 'addNode', node: promote, peer: v.peerOf(promote)!, reason: 'promote' };
  if (promote !== undefined && failedVoters.length > 0 && v.voters.length <= v.factor) {
    return { type: 'addNode', node: promote, peer: v.peerOf(promote)!, reason: 'replace' };
  }
  const failed = failedVoters[0];
  if (failed !== undefined && v.voters.length > v.factor) return { type: 'addLearner', node: failed, peer: v.peerOf(failed)!, reason: 'demote' };
  const join = v.candidates[0];
  if (join !== undefined && v.voters.length + v.learners.length < v.factor + v.asyncReplicas) {
    return { type: 'addLearner', node: join.node, peer: join.peer, reason: 'join' };
  }
  return undefined;
}
