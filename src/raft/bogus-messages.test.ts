/**
 * A leader faced with messages no correct peer sends: it validates them, ignores what it cannot
 * believe (with a warning), never crashes and never loops, and the group stays safe and live.
 * (Raft trusts its peers on what they say within the protocol — a follower lying about an index it
 * really could hold is out of scope; so is a higher term, which Raft must believe: stepping down is
 * the safe reaction.)
 */
import { describe, expect, it } from 'vitest';
import { Prng } from '../sim/prng.ts';
import { TestNetwork } from './test-network.ts';
import type { LogIndex, Message, NodeId, Term } from './types.ts';

function leaderOf3(): { net: TestNetwork; term: Term; last: LogIndex } {
  const net = new TestNetwork([1, 2, 3], {}, 7);
  net.campaign(1);
  net.propose(1, 'a');
  net.propose(1, 'b');
  const st = net.node(1).status();
  return { net, term: st.hardState.term, last: st.lastIndex as LogIndex };
}

function appResp(from: number, term: Term, index: number, reject = false, hint = 0): Message {
  return { type: 'MsgAppResp', from: from as NodeId, to: 1 as NodeId, term, index: index as LogIndex, reject, rejectHint: hint as LogIndex, logTerm: 0 as Term };
}

/** sameAppliedEverywhere: every node applied a prefix of the longest applied sequence. */
function expectConsistentApplies(net: TestNetwork): void {
  let longest: string[] = [];
  for (const p of net.peers.values()) if (p.applied.length > longest.length) longest = p.applied;
  for (const p of net.peers.values()) expect(p.applied).toEqual(longest.slice(0, p.applied.length));
}

describe('a leader and bogus messages', () => {
  it('ignores a MsgAppResp acknowledging an index beyond its last index, with a warning, and commits nothing it lacks', () => {
    const { net, term, last } = leaderOf3();
    const commit = net.node(1).status().hardState.commit;
    net.node(1).step(appResp(2, term, last + 100));
    net.node(1).step(appResp(3, term, last + 100));
    net.stabilize();
    const st = net.node(1).status();
    expect(st.softState.role).toBe('leader');
    expect(st.hardState.commit).toBe(commit);
    expect(st.progress?.get(2 as NodeId)?.match).toBeLessThanOrEqual(last);
    expect(net.logs.some((l) => l.startsWith('1 WARN') && l.includes('bogus MsgAppResp from 2'))).toBe(true);
    // Still replicating normally afterwards.
    net.propose(1, 'c');
    expect(net.peer(2).applied).toEqual(['a', 'b', 'c']);
    expectConsistentApplies(net);
  });

  it('ignores a rejection of an index it never sent, or with a hint past the rejected index', () => {
    const { net, term, last } = leaderOf3();
    const before = net.node(1).status().progress?.get(2 as NodeId);
    net.node(1).step(appResp(2, term, last + 50, true, last + 40));
    net.node(1).step(appResp(2, term, last, true, last + 7));
    net.stabilize();
    const after = net.node(1).status().progress?.get(2 as NodeId);
    expect(after?.next).toBe(before?.next);
    expect(after?.match).toBe(before?.match);
    net.propose(1, 'c');
    expect(net.peer(3).applied).toEqual(['a', 'b', 'c']);
  });

  it('ignores every kind of message from a node that is not a member', () => {
    const { net, term, last } = leaderOf3();
    const commit = net.node(1).status().hardState.commit;
    const from = 9 as NodeId;
    const to = 1 as NodeId;
    const msgs: Message[] = [
      appResp(9, term, last),
      { type: 'MsgHeartbeatResp', from, to, term, context: '' },
      { type: 'MsgVoteResp', from, to, term, reject: false },
      { type: 'MsgPreVoteResp', from, to, term, reject: false },
      { type: 'MsgReadIndexResp', from, to, term, index: 1 as LogIndex, context: 'x' },
      { type: 'MsgTimeoutNow', from, to, term },
    ];
    for (const m of msgs) net.node(1).step(m);
    net.stabilize();
    const st = net.node(1).status();
    expect(st.softState.role).toBe('leader');
    expect(st.hardState.commit).toBe(commit);
    expect(st.progress?.has(from)).toBe(false);
  });

  it('drops an empty proposal forwarded by a peer instead of failing an assertion', () => {
    const { net } = leaderOf3();
    expect(() => net.node(1).step({ type: 'MsgProp', from: 2 as NodeId, to: 1 as NodeId, term: 0 as Term, entries: [] })).not.toThrow();
    net.stabilize();
    expect(net.logs.some((l) => l.includes('ignored an empty MsgProp from 2'))).toBe(true);
    expect(net.node(1).isLeader()).toBe(true);
  });

  it('drops network messages claiming to come from itself or from no node', () => {
    const { net, term, last } = leaderOf3();
    const commit = net.node(1).status().hardState.commit;
    net.node(1).step(appResp(1, term, last + 3));
    net.node(1).step(appResp(0, term, last + 3));
    net.stabilize();
    expect(net.node(1).status().hardState.commit).toBe(commit);
    expect(net.logs.filter((l) => l.includes('claiming to come from')).length).toBe(2);
  });

  it('believes a higher term (Raft requires it): it steps down, and the group elects a leader and stays consistent', () => {
    const { net, term, last } = leaderOf3();
    net.node(1).step(appResp(2, (term + 5) as Term, last + 1000));
    net.stabilize();
    expect(net.node(1).isLeader()).toBe(false);
    expect(net.node(1).status().hardState.term).toBe(term + 5);
    net.tick(80);
    const leader = net.leader();
    expect(leader).toBeDefined();
    net.propose(leader!, 'c');
    for (const p of net.peers.values()) expect(p.applied).toEqual(['a', 'b', 'c']);
  });

  it('survives 2,000 random bogus messages between proposals: same applied sequence everywhere, still committing', () => {
    const { net } = leaderOf3();
    const rng = new Prng(2024);
    let proposed = 0;
    for (let i = 0; i < 2000; i++) {
      const leader = net.leader() ?? (1 as NodeId);
      const st = net.node(leader).status();
      const term = st.hardState.term;
      const last = st.lastIndex;
      const member = rng.pick([1, 2, 3].filter((x) => x !== leader)) as NodeId;
      const stranger = rng.int(4, 9) as NodeId;
      const to = leader;
      const far = (last + rng.int(1, 1000)) as LogIndex;
      // Lower terms are stale news; strangers are not members; past-the-log indexes are impossible.
      const oldTerm = Math.max(0, term - rng.int(1, 3)) as Term;
      const candidates: Message[] = [
        appResp(member, term, far),
        { ...appResp(member, term, far, true, far + rng.int(0, 5)), to },
        { ...appResp(member, term, last, true, last + rng.int(1, 50)), to },
        { ...appResp(stranger, term, rng.int(0, last + 10)), to },
        { ...appResp(member, oldTerm, far), to },
        { type: 'MsgHeartbeatResp', from: stranger, to, term, context: rng.chance(0.5) ? '' : 'nope' },
        { type: 'MsgHeartbeatResp', from: member, to, term: oldTerm, context: 'nope' },
        { type: 'MsgVoteResp', from: member, to, term, reject: rng.chance(0.5) },
        { type: 'MsgPreVoteResp', from: stranger, to, term, reject: false },
        { type: 'MsgProp', from: member, to, term: 0 as Term, entries: [] },
        { type: 'MsgApp', from: member, to, term: oldTerm, index: far, logTerm: term, entries: [], commit: far },
        { type: 'MsgHeartbeat', from: member, to, term: oldTerm, commit: far, context: '' },
        { type: 'MsgReadIndexResp', from: stranger, to, term, index: far, context: 'x' },
      ];
      net.node(to).step(rng.pick(candidates));
      if (rng.chance(0.1)) {
        net.propose(to, `p${proposed++}`);
      }
      net.stabilize();
      if (rng.chance(0.05)) net.tick(1);
    }
    const leader = net.leader();
    expect(leader).toBeDefined();
    net.propose(leader!, 'last');
    expectConsistentApplies(net);
    for (const p of net.peers.values()) expect(p.applied[p.applied.length - 1]).toBe('last');
    expect(proposed).toBeGreaterThan(100);
  });
});
