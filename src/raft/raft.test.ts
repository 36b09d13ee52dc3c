/** Behaviour beyond the basic paper: PreVote, CheckQuorum, ReadIndex, learners, membership, transfer, snapshots. */
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { TestNetwork, bytes } from './test-network.ts';
import type { NodeId } from './types.ts';

describe('PreVote (thesis §9.6)', () => {
  it('a partitioned node does not raise its term while it cannot win, so it does not disrupt the leader on rejoin', () => {
    const net = new TestNetwork([1, 2, 3], {}, 11);
    net.campaign(1);
    const term = net.node(1).status().hardState.term;
    net.isolate(3);
    net.tick(200, [3]);
    expect(net.node(3).status().hardState.term).toBe(term);
    net.recover();
    net.tick(10);
    expect(net.leader()).toBe(1);
    expect(net.node(1).status().hardState.term).toBe(term);
  });

  it('of two pre-candidates with equally up-to-date logs only the lower id goes on to the election, so they do not split the vote', () => {
    const net = new TestNetwork([1, 2, 3], {}, 3);
    // Node 3 is down; nodes 1 and 2 time out together and each asks the other for a PreVote.
    net.isolate(3);
    net.node(2).campaign();
    net.node(1).campaign();
    net.stabilize();
    expect(net.leaders()).toEqual([1]);
    // Only one real election happened: one term, no vote for node 2.
    expect(net.node(1).status().hardState.term).toBe(2);
    expect(net.node(2).status().hardState.vote).toBe(1);
    expect(net.logs.some((l) => l.startsWith('2 INFO 2 became candidate'))).toBe(false);
  });

  it('a pre-candidate still grants a rival pre-candidate whose log is more up to date, whatever its id', () => {
    const net = new TestNetwork([1, 2, 3], {}, 3);
    net.campaign(2);
    net.propose(2, 'x');
    // Node 1 misses the last entry; then the leader goes away and 1 and 2 campaign together.
    net.cutLink(1, 2);
    net.cutLink(1, 3);
    net.propose(2, 'y');
    net.recover();
    net.isolate(3);
    const last1 = net.node(1).status().lastIndex;
    expect(net.node(2).status().lastIndex).toBeGreaterThan(last1);
    for (const id of [1, 2]) net.node(id).raft.becomeFollower(net.node(id).raft.term, 0 as NodeId);
    net.node(1).campaign();
    net.node(2).campaign();
    net.stabilize();
    expect(net.leaders()).toEqual([2]);
  });

  it('without PreVote the same partitioned node raises its term and deposes the leader on rejoin', () => {
    const net = new TestNetwork([1, 2, 3], { pre_vote: false, check_quorum: false }, 11);
    net.campaign(1);
    net.isolate(3);
    net.tick(200, [3]);
    expect(net.node(3).status().hardState.term).toBeGreaterThan(2);
    net.recover();
    net.tick(40);
    expect(net.node(1).status().hardState.term).toBeGreaterThan(2);
  });
});

describe('CheckQuorum (thesis §6.2)', () => {
  it('a leader that cannot hear from a quorum for an election timeout steps down', () => {
    const net = new TestNetwork([1, 2, 3], {}, 5);
    net.campaign(1);
    net.isolate(1);
    net.tick(40, [1]);
    expect(net.node(1).isLeader()).toBe(false);
  });

  it('followers that heard from a leader recently ignore vote requests (leader lease)', () => {
    const net = new TestNetwork([1, 2, 3], { pre_vote: false }, 5);
    net.campaign(1);
    net.node(3).campaign(); // forced, as if its timer fired early
    net.stabilize();
    expect(net.leader()).toBe(1);
    expect(net.node(2).status().hardState.term).toBe(2);
  });
});

describe('ReadIndex (thesis §6.4)', () => {
  it('a leader answers a read with its commit index after a quorum confirms its leadership', () => {
    const net = new TestNetwork([1, 2, 3], {}, 2);
    net.campaign(1);
    net.propose(1, 'a');
    net.node(1).readIndex('r1');
    net.stabilize();
    expect(net.peer(1).readStates).toEqual([{ index: net.node(1).status().hardState.commit, context: 'r1' }]);
  });

  it('a read on a follower is forwarded to the leader and answered with the leader commit index', () => {
    const net = new TestNetwork([1, 2, 3], {}, 2);
    net.campaign(1);
    net.propose(1, 'a');
    net.node(2).readIndex('r2');
    net.stabilize();
    expect(net.peer(2).readStates).toEqual([{ index: net.node(1).status().hardState.commit, context: 'r2' }]);
  });

  it('a leader cut off from the quorum never answers a read (no stale reads)', () => {
    const net = new TestNetwork([1, 2, 3], {}, 2);
    net.campaign(1);
    net.isolate(1);
    net.node(1).readIndex('stale');
    net.stabilize();
    net.tick(3, [1]);
    expect(net.peer(1).readStates).toEqual([]);
  });

  it('a new leader answers reads only after committing an entry of its own term', () => {
    const net = new TestNetwork([1, 2, 3], {}, 2);
    net.campaign(1);
    net.ignored.add('MsgAppResp');
    net.isolate(1);
    net.recover();
    net.ignored.add('MsgAppResp');
    net.node(1).readIndex('early');
    net.stabilize();
    // The no-op of term 1 is acknowledged already; for a fresh leader whose no-op is not committed:
    net.recover();
    net.isolate(1);
    net.tick(60, [2, 3]);
    const l = net.leader()!;
    expect(l === 2 || l === 3).toBe(true);
    expect(net.peer(1).readStates.length).toBeLessThanOrEqual(1);
  });

  it('the planted readIndexWithoutQuorum knob serves a read from a deposed leader (test-only bug)', () => {
    const net = new TestNetwork([1, 2, 3], { testingKnobs: { readIndexWithoutQuorum: true } }, 2);
    net.campaign(1);
    net.isolate(1);
    net.node(1).readIndex('stale');
    net.stabilize();
    expect(net.peer(1).readStates.map((r) => r.context)).toEqual(['stale']);
  });
});

describe('learners', () => {
  it('a learner receives and applies the log but never votes toward a quorum or campaigns', () => {
    const net = new TestNetwork([1, 2], { pre_vote: false, check_quorum: false }, 3, [3]);
    net.campaign(1);
    net.propose(1, 'a');
    expect(net.peer(3).applied).toEqual(['a']);
    net.isolate(2);
    net.propose(1, 'b');
    // 1 and learner 3 are not a quorum of voters {1, 2}.
    expect(net.peer(1).applied).toEqual(['a']);
    net.recover();
    net.isolate(1);
    net.tick(100, [3]);
    expect(net.node(3).status().softState.role).toBe('follower');
  });
});

describe('membership changes', () => {
  it('a proposed change leaves the membership in force untouched until it is applied (a leader asked to demote itself can still campaign)', () => {
    const net = new TestNetwork([1, 2, 3], {}, 4);
    net.campaign(1);
    // The change cannot commit: node 1 is cut off.
    net.isolate(1);
    net.node(1).proposeConfChange({ changes: [{ type: 'addLearner', nodeId: 1 as NodeId }] });
    net.stabilize();
    const st = net.node(1).status();
    expect(st.conf.voters).toEqual([1, 2, 3]);
    expect(st.progress?.get(1 as NodeId)?.isLearner).toBe(false);
    // CheckQuorum steps it down; it is still a voter that may campaign.
    net.tick(40, [1]);
    expect(net.node(1).isLeader()).toBe(false);
    expect(net.node(1).raft.promotable()).toBe(true);
  });

  it('adds a voter one server at a time; the new voter catches up and counts toward the quorum', () => {
    const net = new TestNetwork([1, 2, 3], {}, 4);
    net.campaign(1);
    net.propose(1, 'a');
    net.addPeerEmpty(4);
    net.node(1).proposeConfChange({ changes: [{ type: 'addNode', nodeId: 4 as NodeId }] });
    net.stabilize();
    net.tick(5);
    expect(net.node(1).status().conf.voters).toEqual([1, 2, 3, 4]);
    expect(net.peer(4).applied).toEqual(['a']);
    // Quorum of 4 is 3: with 3 and 4 down nothing commits.
    net.isolate(3);
    net.isolate(4);
    net.propose(1, 'b');
    expect(net.peer(1).applied).toEqual(['a']);
  });

  it('removes a voter; the smaller group commits without it', () => {
    const net = new TestNetwork([1, 2, 3], {}, 4);
    net.campaign(1);
    net.node(1).proposeConfChange({ changes: [{ type: 'removeNode', nodeId: 3 as NodeId }] });
    net.stabilize();
    expect(net.node(1).status().conf.voters).toEqual([1, 2]);
    net.isolate(3);
    net.propose(1, 'a');
    expect(net.peer(2).applied).toEqual(['a']);
  });

  it('refuses a second membership change while one is pending', () => {
    const net = new TestNetwork([1, 2, 3], {}, 4);
    net.campaign(1);
    net.ignored.add('MsgAppResp');
    net.node(1).proposeConfChange({ changes: [{ type: 'removeNode', nodeId: 3 as NodeId }] });
    let err: unknown;
    try {
      net.node(1).proposeConfChange({ changes: [{ type: 'removeNode', nodeId: 2 as NodeId }] });
    } catch (e) {
      err = e;
    }
    expect(isGeodeError(err, 'PROPOSAL_DROPPED')).toBe(true);
  });

  it('replaces two voters at once through joint consensus and leaves the joint configuration by itself', () => {
    const net = new TestNetwork([1, 2, 3], {}, 4);
    net.campaign(1);
    net.addPeerEmpty(4);
    net.addPeerEmpty(5);
    net.node(1).proposeConfChange({
      changes: [
        { type: 'addNode', nodeId: 4 as NodeId },
        { type: 'addNode', nodeId: 5 as NodeId },
        { type: 'removeNode', nodeId: 2 as NodeId },
        { type: 'removeNode', nodeId: 3 as NodeId },
      ],
    });
    net.stabilize();
    net.tick(5);
    const conf = net.node(1).status().conf;
    expect(conf.voters).toEqual([1, 4, 5]);
    expect(conf.votersOutgoing).toBeUndefined();
    net.isolate(2);
    net.isolate(3);
    net.propose(1, 'after');
    expect(net.peer(5).applied).toEqual(['after']);
  });

  it('a removed leader steps down and the others elect a new leader', () => {
    const net = new TestNetwork([1, 2, 3], {}, 8);
    net.campaign(1);
    net.node(1).proposeConfChange({ changes: [{ type: 'removeNode', nodeId: 1 as NodeId }] });
    net.stabilize();
    expect(net.node(1).isLeader()).toBe(false);
    net.tick(60, [2, 3]);
    const l = net.leader();
    expect(l === 2 || l === 3).toBe(true);
  });
});

describe('leadership transfer (thesis §3.10)', () => {
  it('hands leadership to an up-to-date follower at once', () => {
    const net = new TestNetwork([1, 2, 3], {}, 9);
    net.campaign(1);
    net.propose(1, 'a');
    net.node(1).transferLeadership(3 as NodeId);
    net.stabilize();
    expect(net.leader()).toBe(3);
  });

  it('brings a lagging target up to date first, then hands over', () => {
    const net = new TestNetwork([1, 2, 3], {}, 9);
    net.campaign(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    net.recover();
    net.node(1).transferLeadership(3 as NodeId);
    net.stabilize();
    expect(net.leader()).toBe(3);
    expect(net.peer(3).applied.length).toBe(5);
  });

  it('refuses proposals while a transfer is in progress', () => {
    const net = new TestNetwork([1, 2, 3], {}, 9);
    net.campaign(1);
    net.isolate(3);
    net.node(1).transferLeadership(3 as NodeId);
    net.stabilize();
    let err: unknown;
    try {
      net.node(1).propose(bytes('x'));
    } catch (e) {
      err = e;
    }
    expect(isGeodeError(err, 'PROPOSAL_DROPPED')).toBe(true);
  });

  it('abandons a transfer that does not finish within an election timeout', () => {
    const net = new TestNetwork([1, 2, 3], {}, 9);
    net.campaign(1);
    net.isolate(3);
    net.node(1).transferLeadership(3 as NodeId);
    net.stabilize();
    net.tick(31, [1, 2]);
    expect(net.node(1).status().leadTransferee).toBe(0);
    net.propose(1, 'ok');
    expect(net.peer(1).applied).toEqual(['ok']);
  });
});

describe('snapshots and log compaction', () => {
  it('a follower whose next entry was compacted is sent the snapshot and catches up', () => {
    const net = new TestNetwork([1, 2, 3], {}, 10);
    net.campaign(1);
    net.isolate(3);
    for (let i = 0; i < 30; i++) net.propose(1, `v${i}`);
    net.snapshotAndCompact(1);
    expect(net.peer(1).storage.firstIndex()).toBeGreaterThan(2);
    net.recover();
    net.delivered = [];
    net.tick(10);
    expect(net.delivered.some((m) => m.type === 'MsgSnap' && m.to === 3)).toBe(true);
    expect(net.peer(3).applied).toEqual(net.peer(1).applied);
    net.propose(1, 'after');
    expect(net.peer(3).applied.at(-1)).toBe('after');
  });

  it('a node restarted from a compacted log rebuilds its state from the snapshot and the entries after it', () => {
    const net = new TestNetwork([1, 2, 3], {}, 10);
    net.campaign(1);
    for (let i = 0; i < 10; i++) net.propose(1, `v${i}`);
    net.snapshotAndCompact(2);
    net.propose(1, 'tail');
    net.restart(2);
    net.tick(10);
    expect(net.peer(2).applied).toEqual(net.peer(1).applied);
  });

  it('shouldSnapshot turns true once snapshot_threshold entries are applied past the last snapshot', () => {
    const net = new TestNetwork([1], { snapshot_threshold: 10 }, 1);
    net.campaign(1); // bootstrap entry and no-op: 2 applied
    for (let i = 0; i < 7; i++) net.propose(1, `v${i}`);
    expect(net.node(1).shouldSnapshot()).toBe(false);
    net.propose(1, 'w');
    expect(net.node(1).shouldSnapshot()).toBe(true);
    net.snapshotAndCompact(1);
    expect(net.node(1).shouldSnapshot()).toBe(false);
  });
});

describe('flow control', () => {
  it('batches at most max_entries_per_request entries per MsgApp', () => {
    const net = new TestNetwork([1, 2, 3], { max_entries_per_request: 4 }, 12);
    net.campaign(1);
    net.isolate(3);
    for (let i = 0; i < 20; i++) net.node(1).propose(bytes(`v${i}`));
    net.stabilize();
    net.recover();
    net.delivered = [];
    net.tick(5);
    const apps = net.delivered.filter((m) => m.type === 'MsgApp' && m.to === 3);
    for (const m of apps) if (m.type === 'MsgApp') expect(m.entries.length).toBeLessThanOrEqual(4);
    expect(net.peer(3).applied.length).toBe(20);
  });

  it('keeps at most max_inflight_msgs unacknowledged MsgApp per follower', () => {
    const net = new TestNetwork([1, 2, 3], { max_inflight_msgs: 2, max_entries_per_request: 1 }, 12);
    net.campaign(1);
    net.ignored.add('MsgAppResp');
    net.delivered = [];
    for (let i = 0; i < 10; i++) net.node(1).propose(bytes(`v${i}`));
    net.stabilize();
    const apps = net.delivered.filter((m) => m.type === 'MsgApp' && m.to === 2);
    expect(apps.length).toBe(2);
  });
});

describe('flow control (etcd raft: Inflights)', () => {
  it('a heartbeat response from a follower whose in-flight window is full sends an empty append, not more entries, and the follower catches up', () => {
    const net = new TestNetwork([1, 2, 3], { max_inflight_msgs: 2 }, 5);
    net.campaign(1);
    net.cutLink(1, 2);
    // Each proposal sends node 2 an append that is lost: its window fills.
    for (let i = 0; i < 4; i++) net.propose(1, `e${i}`);
    net.recover();
    const term = net.node(1).status().hardState.term;
    // Before the fix this threw "cannot add into a full inflights" (seen in the transaction simulation).
    expect(() => net.node(1).step({ type: 'MsgHeartbeatResp', from: 2 as NodeId, to: 1 as NodeId, term, context: '' })).not.toThrow();
    net.stabilize();
    net.tick(30);
    net.stabilize();
    expect(net.node(2).status().lastIndex).toBe(net.node(1).status().lastIndex);
  });
});
