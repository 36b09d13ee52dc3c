import type { LogIndex, NodeId } from '../types.ts';

/** VoteResult: the outcome of an election so far. */
export type VoteResult = 'won' | 'lost' | 'pending';

/** An index no log reaches: the commit index of an empty configuration (so joint min() ignores it). */
export const indexInfinity = Number.MAX_SAFE_INTEGER as LogIndex;

const scratch: number[] = [];

/**
 * majorityCommitted: the largest index acknowledged by a majority of `voters`; `acked(id)` gives
 * each voter's acknowledged index (undefined counts as 0). An empty set yields {@link indexInfinity}.
 */
export function majorityCommitted(voters: ReadonlySet<NodeId>, acked: (id: NodeId) => LogIndex | undefined): LogIndex {
  const n = voters.size;
  if (n === 0) return indexInfinity;
  scratch.length = 0;
  for (const id of voters) scratch.push(acked(id) ?? 0);
  scratch.sort((a, b) => a - b);
  // With the indexes sorted ascending, the one at n - q is held by q = n/2 + 1 voters or more.
  const q = Math.floor(n / 2) + 1;
  return scratch[n - q]! as LogIndex;
}

/**
 * majorityVoteResult: `won` when a majority of `voters` voted yes, `lost` when that can no longer
 * happen, `pending` otherwise. An empty set wins (it agrees with anything, for joint configurations).
 */
export function majorityVoteResult(voters: ReadonlySet<NodeId>, votes: (id: NodeId) => boolean | undefined): VoteResult {
  if (voters.size === 0) return 'won';
  let yes = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes(id);
    if (v === undefined) missing++;
    else if (v) yes++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (yes >= q) return 'won';
  if (yes + missing >= q) return 'pending';
  return 'lost';
}
