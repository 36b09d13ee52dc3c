/**
 * Scenario tests in our own words for what the MIT 6.5840 Raft labs (2A–2D) and etcd's paper tests
 * exercise: initial election, re-election, many elections, basic and failed agreement, concurrent
 * starts, rejoin, backup, RPC counts, persistence, unreliable agreement, and snapshots (basic,
 * install, install while unreliable, install after a crash). Figure 8 (reliable and unreliable)
 * and churn run in the simulator (src/sim/sim.test.ts), with crashes that lose unsynced writes.
 *
 * Connectivity is a set of connected nodes: a message passes only between two connected nodes.
 */
import { describe, expect, it } from 'vitest';
import { Prng } from '../sim/prng.ts';
import { TestNetwork } from './test-network.ts';
import type { NodeId } from './types.ts';

/** connectOnly: only messages between members of `ids` get through (plus an optional loss rate). */
function connectOnly(net: TestNetwork, ids: readonly number[], loss = 0, rng = new Prng(1)): void {
  const up = new Set<number>(ids);
  net.filter = (m) => up.has(m.from) && up.has(m.to) && !(loss > 0 && rng.chance(loss));
}

function connectAll(net: TestNetwork, loss = 0, rng = new Prng(1)): void {
  connectOnly(net, [...net.peers.keys()], loss, rng);
}

/** tickUntilLeader: ticks (at most `max` times) until one of `among` leads; returns it. */
function tickUntilLeader(net: TestNetwork, among: readonly number[], max = 200): NodeId {
  for (let i = 0; i < max; i++) {
    const l = leaderAmong(net, among);
    if (l !== undefined) return l;
    net.tick(1);
  }
  throw new Error(`no leader among ${among.join(',')} after ${max} ticks`);
}

/** leaderAmong: the leader of the highest term among `among`, if exactly one node leads that term. */
function leaderAmong(net: TestNetwork, among: readonly number[]): NodeId | undefined {
  let best: NodeId | undefined;
  let bestTerm = -1;
  for (const id of among) {
    const st = net.node(id).status();
    if (st.softState.role === 'leader' && st.hardState.term > bestTerm) {
      best = id as NodeId;
      bestTerm = st.hardState.term;
    }
  }
  return best;
}

/** LeaderLog: records (term → leader) after every tick; two leaders of one term fail the test. */
class LeaderLog {
  readonly byTerm = new Map<number, number>();
  observe(net: TestNetwork): void {
    for (const [id, p] of net.peers) {
      const st = p.node.status();
      if (st.softState.role !== 'leader') continue;
      const prev = this.byTerm.get(st.hardState.term);
      expect(prev === undefined || prev === id, `two leaders in term ${st.hardState.term}: ${prev} and ${id}`).toBe(true);
      this.byTerm.set(st.hardState.term, id);
    }
  }
}

function expectPrefixConsistent(net: TestNetwork): void {
  let longest: string[] = [];
  for (const p of net.peers.values()) if (p.applied.length > longest.length) longest = p.applied;
  for (const [id, p] of net.peers) expect(p.applied, `node ${id}`).toEqual(longest.slice(0, p.applied.length));
}

describe('elections (MIT 2A)', () => {
  it('initial election: a fresh group elects exactly one leader and keeps it, in the same term, while nothing fails', () => {
    const net = new TestNetwork([1, 2, 3], {}, 21);
    const leader = tickUntilLeader(net, [1, 2, 3]);
    const term = net.node(leader).status().hardState.term;
    net.tick(300); // 3 s of virtual time
    expect(net.leaders()).toEqual([leader]);
    for (const id of [1, 2, 3]) expect(net.node(id).status().hardState.term).toBe(term);
  });

  it('re-election: a new leader after the leader is cut off; the old one rejoins without disruption; no leader without a quorum', () => {
    const net = new TestNetwork([1, 2, 3], {}, 22);
    const l1 = tickUntilLeader(net, [1, 2, 3]);
    const rest = [1, 2, 3].filter((x) => x !== l1);
    connectOnly(net, rest);
    const l2 = tickUntilLeader(net, rest);
    expect(l2).not.toBe(l1);
    // The old leader comes back: it follows, the leader stays.
    connectAll(net);
    net.tick(60);
    expect(leaderAmong(net, [1, 2, 3])).toBe(l2);
    expect(net.node(l1).isLeader()).toBe(false);
    // Two of three cut off: nobody can lead.
    const other = rest.find((x) => x !== l2)!;
    connectOnly(net, []);
    net.tick(100);
    expect(net.leaders().filter((id) => net.node(id).status().hardState.term > net.node(l2).status().hardState.term)).toEqual([]);
    // A quorum again: a leader again.
    connectOnly(net, [l1, other]);
    tickUntilLeader(net, [l1, other]);
  });

  it('many elections: 7 nodes, 3 random ones cut off again and again; at most one leader per term, and the connected majority always elects one', () => {
    const ids = [1, 2, 3, 4, 5, 6, 7];
    const net = new TestNetwork(ids, {}, 23);
    const rng = new Prng(23);
    const log = new LeaderLog();
    tickUntilLeader(net, ids);
    for (let round = 0; round < 10; round++) {
      const cut = new Set(rng.shuffle(ids).slice(0, 3));
      const connected = ids.filter((x) => !cut.has(x));
      connectOnly(net, connected);
      let found = false;
      for (let t = 0; t < 200 && !found; t++) {
        net.tick(1);
        log.observe(net);
        const l = leaderAmong(net, connected);
        found = l !== undefined && connected.every((x) => net.node(x).status().softState.lead === l);
      }
      expect(found).toBe(true);
      connectAll(net);
      net.tick(20);
      log.observe(net);
    }
    expect(log.byTerm.size).toBeGreaterThan(1);
  });
});

describe('agreement (MIT 2B)', () => {
  it('basic agreement: each command is applied by every node, at the next index, in order', () => {
    const net = new TestNetwork([1, 2, 3], {}, 31);
    const l = tickUntilLeader(net, [1, 2, 3]);
    for (let i = 1; i <= 3; i++) {
      const before = net.node(l).status().lastIndex;
      net.propose(l, `c${i}`);
      expect(net.node(l).status().lastIndex).toBe(before + 1);
      for (const id of [1, 2, 3]) expect(net.peer(id).applied.at(-1)).toBe(`c${i}`);
    }
  });

  it('failed agreement: with one follower cut off the other two agree; the follower catches up when it returns', () => {
    const net = new TestNetwork([1, 2, 3], {}, 32);
    const l = tickUntilLeader(net, [1, 2, 3]);
    const off = [1, 2, 3].find((x) => x !== l)!;
    connectOnly(net, [1, 2, 3].filter((x) => x !== off));
    for (const c of ['a', 'b', 'c', 'd']) net.propose(l, c);
    expect(net.peer(l).applied).toEqual(['a', 'b', 'c', 'd']);
    expect(net.peer(off).applied).toEqual([]);
    connectAll(net);
    net.tick(10);
    net.propose(l, 'e');
    for (const id of [1, 2, 3]) expect(net.peer(id).applied).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('no agreement without a majority: 3 of 5 followers cut off, nothing commits; once they return, new commands commit everywhere', () => {
    const ids = [1, 2, 3, 4, 5];
    const net = new TestNetwork(ids, {}, 33);
    const l = tickUntilLeader(net, ids);
    const keep = [l, ids.find((x) => x !== l)!];
    connectOnly(net, keep);
    const commit = net.node(l).status().hardState.commit;
    net.propose(l, 'lonely');
    net.tick(3);
    expect(net.node(l).status().hardState.commit).toBe(commit);
    expect(net.peer(l).applied).toEqual([]);
    connectAll(net);
    const l2 = tickUntilLeader(net, ids);
    net.tick(20);
    net.propose(net.leader() ?? l2, 'after');
    for (const id of ids) expect(net.peer(id).applied.at(-1)).toBe('after');
    expectPrefixConsistent(net);
  });

  it('concurrent starts: 20 commands handed to the leader at once are each applied exactly once, in one order everywhere', () => {
    const net = new TestNetwork([1, 2, 3], {}, 34);
    const l = tickUntilLeader(net, [1, 2, 3]);
    const cmds: string[] = [];
    for (let i = 0; i < 20; i++) {
      cmds.push(`x${i}`);
      net.node(l).propose(new TextEncoder().encode(`x${i}`));
    }
    net.stabilize();
    for (const id of [1, 2, 3]) expect(net.peer(id).applied).toEqual(cmds);
  });

  it('rejoin: a partitioned leader’s uncommitted entries are discarded when it rejoins a group that moved on', () => {
    const net = new TestNetwork([1, 2, 3], {}, 35);
    const l1 = tickUntilLeader(net, [1, 2, 3]);
    net.propose(l1, 'a');
    const rest = [1, 2, 3].filter((x) => x !== l1);
    connectOnly(net, rest);
    for (const c of ['lost1', 'lost2', 'lost3']) net.node(l1).propose(new TextEncoder().encode(c));
    net.stabilize();
    const l2 = tickUntilLeader(net, rest);
    net.propose(l2, 'b');
    // The new leader is cut off too; the old leader and the remaining follower carry on.
    const follower = rest.find((x) => x !== l2)!;
    connectOnly(net, [l1, follower]);
    // Past the old leader's CheckQuorum round and the follower's lease: a leader of a newer term.
    net.tick(40);
    const l3 = tickUntilLeader(net, [l1, follower]);
    expect(net.node(l3).status().hardState.term).toBeGreaterThan(net.node(l2).status().hardState.term);
    net.propose(l3, 'c');
    connectAll(net);
    net.tick(60);
    net.propose(net.leader()!, 'd');
    for (const id of [1, 2, 3]) expect(net.peer(id).applied).toEqual(['a', 'b', 'c', 'd']);
  });

  it('backup: a leader brings followers with long wrong logs back in line in few round trips', () => {
    const ids = [1, 2, 3, 4, 5];
    const net = new TestNetwork(ids, {}, 36);
    const l1 = tickUntilLeader(net, ids);
    net.propose(l1, 'base');
    // The leader and one follower are cut off and take 50 commands that never commit.
    const f1 = ids.find((x) => x !== l1)!;
    const others = ids.filter((x) => x !== l1 && x !== f1);
    connectOnly(net, [l1, f1]);
    for (let i = 0; i < 50; i++) net.node(l1).propose(new TextEncoder().encode(`bad${i}`));
    net.stabilize();
    // The other three elect a leader and commit 50 commands.
    connectOnly(net, others);
    const l2 = tickUntilLeader(net, others);
    for (let i = 0; i < 50; i++) net.node(l2).propose(new TextEncoder().encode(`good${i}`));
    net.stabilize();
    // Everyone back: the wrong logs are replaced.
    connectAll(net);
    net.delivered = [];
    net.tick(60);
    const l = net.leader()!;
    net.propose(l, 'end');
    const rejects = net.delivered.filter((m) => m.type === 'MsgAppResp' && m.reject).length;
    expect(rejects).toBeLessThanOrEqual(10);
    for (const id of ids) {
      expect(net.peer(id).applied.filter((x) => x.startsWith('bad'))).toEqual([]);
      expect(net.peer(id).applied.at(-1)).toBe('end');
    }
    expectPrefixConsistent(net);
  });

  it('RPC counts: an election, one command and an idle second each cost a small bounded number of messages', () => {
    const net = new TestNetwork([1, 2, 3], {}, 37);
    net.delivered = [];
    net.campaign(1);
    // PreVote, vote, the no-op's append and the round carrying its commit: a request and a
    // response to each of two peers per round.
    expect(net.delivered.length).toBeLessThanOrEqual(16);
    for (let i = 0; i < 10; i++) {
      net.delivered = [];
      net.propose(1, `c${i}`);
      // MsgApp to two followers, their acks, and the commit index carried on by one more round.
      expect(net.delivered.length).toBeLessThanOrEqual(8);
    }
    net.delivered = [];
    const term = net.node(1).status().hardState.term;
    net.tick(100); // one second: 20 heartbeat rounds
    expect(net.delivered.length).toBeLessThanOrEqual(20 * 4 + 8);
    expect(net.node(1).status().hardState.term).toBe(term);
  });

  it('unreliable agreement: with 10% of messages lost, every command handed to the leader is applied once, in one order, everywhere', () => {
    const net = new TestNetwork([1, 2, 3, 4, 5], {}, 38);
    const rng = new Prng(38);
    tickUntilLeader(net, [1, 2, 3, 4, 5]);
    connectAll(net, 0.1, rng);
    const sent = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const l = net.leader();
      if (l !== undefined) {
        const c = `u${i}`;
        net.node(l).propose(new TextEncoder().encode(c));
        sent.add(c);
      }
      net.stabilize();
      net.tick(2);
    }
    connectAll(net);
    net.tick(60);
    net.propose(net.leader()!, 'final');
    expectPrefixConsistent(net);
    for (const p of net.peers.values()) {
      expect(p.applied.at(-1)).toBe('final');
      expect(new Set(p.applied).size).toBe(p.applied.length);
    }
    // Commands may be lost with a deposed leader, but most get through.
    expect(net.peer(1).applied.length).toBeGreaterThan(sent.size / 2);
  });
});

describe('persistence (MIT 2C)', () => {
  it('every node crashes and restarts from what it persisted: term, vote and committed commands survive, and the group carries on', () => {
    const net = new TestNetwork([1, 2, 3], {}, 41);
    const l = tickUntilLeader(net, [1, 2, 3]);
    net.propose(l, 'a');
    net.propose(l, 'b');
    const before = [1, 2, 3].map((id) => net.node(id).status().hardState);
    for (const id of [1, 2, 3]) net.restart(id);
    for (const [i, id] of [1, 2, 3].entries()) {
      const hs = net.node(id).status().hardState;
      expect(hs.term).toBe(before[i]!.term);
      expect(hs.vote).toBe(before[i]!.vote);
    }
    const l2 = tickUntilLeader(net, [1, 2, 3]);
    net.propose(l2, 'c');
    for (const id of [1, 2, 3]) expect(net.peer(id).applied).toEqual(['a', 'b', 'c']);
  });

  it('followers and leaders crash one after another while commands flow; nothing committed is lost', () => {
    const net = new TestNetwork([1, 2, 3, 4, 5], {}, 42);
    const rng = new Prng(42);
    const done: string[] = [];
    for (let i = 0; i < 20; i++) {
      const l = tickUntilLeader(net, [1, 2, 3, 4, 5]);
      net.propose(l, `p${i}`);
      done.push(`p${i}`);
      net.restart(rng.chance(0.5) ? l : rng.int(1, 5));
      net.stabilize();
    }
    net.tick(60);
    net.propose(tickUntilLeader(net, [1, 2, 3, 4, 5]), 'end');
    for (const p of net.peers.values()) expect(p.applied).toEqual([...done, 'end']);
  });
});

describe('snapshots (MIT 2D)', () => {
  it('snapshot basic: every node compacts its log again and again while commands flow; all agree', () => {
    const net = new TestNetwork([1, 2, 3], {}, 51);
    const l = tickUntilLeader(net, [1, 2, 3]);
    const cmds: string[] = [];
    for (let i = 0; i < 60; i++) {
      net.propose(l, `s${i}`);
      cmds.push(`s${i}`);
      if (i % 10 === 9) for (const id of [1, 2, 3]) net.snapshotAndCompact(id);
    }
    for (const id of [1, 2, 3]) {
      expect(net.peer(id).applied).toEqual(cmds);
      expect(net.peer(id).storage.firstIndex()).toBeGreaterThan(50);
    }
  });

  it('snapshot install: a follower that missed compacted entries gets the snapshot and catches up', () => {
    const net = new TestNetwork([1, 2, 3], {}, 52);
    const l = tickUntilLeader(net, [1, 2, 3]);
    const off = [1, 2, 3].find((x) => x !== l)!;
    connectOnly(net, [1, 2, 3].filter((x) => x !== off));
    for (let i = 0; i < 30; i++) net.propose(l, `i${i}`);
    net.snapshotAndCompact(l);
    connectAll(net);
    net.tick(20);
    expect(net.delivered.some((m) => m.type === 'MsgSnap' && m.to === off)).toBe(true);
    net.propose(l, 'after');
    expect(net.peer(off).applied).toEqual(net.peer(l).applied);
  });

  it('snapshot install while unreliable: with 20% of messages lost (snapshots too) the laggard still gets there', () => {
    const net = new TestNetwork([1, 2, 3], {}, 53);
    const rng = new Prng(53);
    const l = tickUntilLeader(net, [1, 2, 3]);
    const off = [1, 2, 3].find((x) => x !== l)!;
    connectOnly(net, [1, 2, 3].filter((x) => x !== off));
    for (let i = 0; i < 30; i++) net.propose(l, `i${i}`);
    net.snapshotAndCompact(l);
    connectAll(net, 0.2, rng);
    net.delivered = [];
    for (let t = 0; t < 200 && net.peer(off).applied.length < 30; t++) net.tick(1);
    expect(net.delivered.some((m) => m.type === 'MsgSnap' && m.to === off)).toBe(true);
    connectAll(net);
    net.tick(30);
    const leader = net.leader()!;
    net.propose(leader, 'after');
    expect(net.peer(off).applied).toEqual(net.peer(leader).applied);
    expectPrefixConsistent(net);
  });

  it('snapshot install after a crash: nodes restart from their own snapshots, and a crashed laggard is brought up to date by one', () => {
    const net = new TestNetwork([1, 2, 3], {}, 54);
    const l = tickUntilLeader(net, [1, 2, 3]);
    const off = [1, 2, 3].find((x) => x !== l)!;
    const on = [1, 2, 3].filter((x) => x !== off);
    for (let i = 0; i < 10; i++) net.propose(l, `a${i}`);
    connectOnly(net, on);
    for (let i = 0; i < 30; i++) net.propose(l, `b${i}`);
    for (const id of on) net.snapshotAndCompact(id);
    // Everyone crashes; the two up to date restart from their snapshots, the laggard from its log.
    for (const id of [1, 2, 3]) net.restart(id);
    connectAll(net);
    const l2 = tickUntilLeader(net, [1, 2, 3]);
    net.tick(20);
    net.propose(l2, 'after');
    for (const id of [1, 2, 3]) expect(net.peer(id).applied).toEqual(net.peer(l2).applied);
    expect(net.peer(off).applied.at(-1)).toBe('after');
    expect(net.peer(off).applied.length).toBe(41);
  });
});
