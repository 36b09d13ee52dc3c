import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jointCommitted, jointVoteResult } from './joint.ts';
import { indexInfinity, majorityCommitted, majorityVoteResult } from './majority.ts';
import type { LogIndex, NodeId } from '../types.ts';

/** The dumb twin: the largest index such that more than half of the voters have at least it. */
function dumbCommitted(matches: number[]): number {
  if (matches.length === 0) return indexInfinity;
  let best = 0;
  for (const candidate of matches) {
    const count = matches.filter((m) => m >= candidate).length;
    if (count * 2 > matches.length && candidate > best) best = candidate;
  }
  return best;
}

const matchesArb = fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 0, maxLength: 9 });

describe('quorum math', () => {
  it('the commit index agrees with a dumb count of voters at or past each index (majority)', () => {
    fc.assert(
      fc.property(matchesArb, (matches) => {
        const voters = new Set(matches.map((_, i) => (i + 1) as NodeId));
        const got = majorityCommitted(voters, (id) => matches[id - 1] as LogIndex);
        expect(got).toBe(dumbCommitted(matches));
      }),
      { numRuns: 2000 },
    );
  });

  it('a joint commit index is the smaller of the two halves', () => {
    fc.assert(
      fc.property(matchesArb, matchesArb, (a, b) => {
        const incoming = new Set(a.map((_, i) => (i + 1) as NodeId));
        const outgoing = new Set(b.map((_, i) => (i + 101) as NodeId));
        const acked = (id: NodeId): LogIndex => (id > 100 ? b[id - 101] : a[id - 1]) as LogIndex;
        expect(jointCommitted({ incoming, outgoing }, acked)).toBe(Math.min(dumbCommitted(a), dumbCommitted(b)));
      }),
      { numRuns: 1000 },
    );
  });

  it('an election is won exactly when more than half voted yes, lost exactly when that is impossible', () => {
    const voteArb = fc.array(fc.constantFrom<boolean | undefined>(true, false, undefined), { minLength: 1, maxLength: 9 });
    fc.assert(
      fc.property(voteArb, (votes) => {
        const voters = new Set(votes.map((_, i) => (i + 1) as NodeId));
        const r = majorityVoteResult(voters, (id) => votes[id - 1]);
        const yes = votes.filter((v) => v === true).length;
        const open = votes.filter((v) => v === undefined).length;
        const expected = yes * 2 > votes.length ? 'won' : (yes + open) * 2 > votes.length ? 'pending' : 'lost';
        expect(r).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('a joint election needs both halves', () => {
    const inc = new Set([1, 2, 3] as NodeId[]);
    const out = new Set([3, 4, 5] as NodeId[]);
    const votes = new Map<NodeId, boolean>([[1, true], [2, true], [3, false]] as [NodeId, boolean][]);
    expect(jointVoteResult({ incoming: inc, outgoing: out }, (id) => votes.get(id))).toBe('pending');
    votes.set(4 as NodeId, false);
    expect(jointVoteResult({ incoming: inc, outgoing: out }, (id) => votes.get(id))).toBe('lost');
  });
});
