import type { LogIndex, NodeId } from '../types.ts';
import { majorityCommitted, majorityVoteResult } from './majority.ts';
import type { VoteResult } from './majority.ts';

/**
 * JointConfig: the incoming voters and (during joint consensus) the outgoing ones; outside a
 * joint configuration `outgoing` is empty. Decisions need a majority of each non-empty set.
 */
export interface JointConfig {
  readonly incoming: Set<NodeId>;
  readonly outgoing: Set<NodeId>;
}

/** jointCommitted: the largest index committed in both halves of a joint configuration. */
export function jointCommitted(config: JointConfig, acked: (id: NodeId) => LogIndex | undefined): LogIndex {
  const a = majorityCommitted(config.incoming, acked);
  const b = majorityCommitted(config.outgoing, acked);
  return (a < b ? a : b) as LogIndex;
}

/** jointVoteResult: won when both halves won, lost when either lost, else pending. */
export function jointVoteResult(config: JointConfig, votes: (id: NodeId) => boolean | undefined): VoteResult {
  const a = majorityVoteResult(config.incoming, votes);
  const b = majorityVoteResult(config.outgoing, votes);
  if (a === b) return a;
  if (a === 'lost' || b === 'lost') return 'lost';
  return 'pending';
}

/** isJoint: the configuration is in a joint state. */
export function isJoint(config: JointConfig): boolean {
  return config.outgoing.size > 0;
}
