import { describe, expect, it } from 'vitest';
import type { LogIndex, NodeId } from '../raft/index.ts';
import type { PeerId } from '../net/types.ts';
import { decideMembership, type MembershipView } from './membership.ts';

const peer = (id: number): PeerId => `p${id}` as PeerId;
const view = (v: Partial<MembershipView>): MembershipView => ({
  self: 1 as NodeId,
  voters: [1, 2, 3] as NodeId[],
  learners: [] as NodeId[],
  joint: false,
  lastIndex: 100 as LogIndex,
  match: () => 100 as LogIndex,
  health: () => 'healthy',
  peerOf: (id) => peer(id),
  candidates: [],
  factor: 3,
  asyncReplicas: 8,
  ...v,
});

describe('decideMembership under placement', () => {
  it('promotes only a placed learner, then demotes the voter placement moved away', () => {
    const placed = (p: PeerId): boolean => ['p1', 'p2', 'p5'].includes(p);
    // p4 is caught up but not placed; p5 is placed: p5 replaces p3.
    const first = decideMembership(view({ learners: [4, 5] as NodeId[], placed }));
    expect(first).toMatchObject({ type: 'addNode', node: 5, reason: 'replace' });
    const second = decideMembership(view({ voters: [1, 2, 3, 5] as NodeId[], learners: [4] as NodeId[], placed }));
    expect(second).toMatchObject({ type: 'addLearner', node: 3, reason: 'demote' });
    expect(decideMembership(view({ voters: [1, 2, 5] as NodeId[], learners: [3, 4] as NodeId[], placed }))).toBeUndefined();
  });

  it('never promotes an unplaced learner to reach the factor', () => {
    const placed = (p: PeerId): boolean => ['p1', 'p2', 'p3'].includes(p);
    expect(decideMembership(view({ voters: [1, 2] as NodeId[], learners: [4] as NodeId[], placed }))).toBeUndefined();
    expect(decideMembership(view({ voters: [1, 2] as NodeId[], learners: [3, 4] as NodeId[], placed }))).toMatchObject({ type: 'addNode', node: 3 });
  });
});
