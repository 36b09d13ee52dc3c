/**
 * Tests named after sentences of the Raft paper (Ongaro & Ousterhout, 2014). Each sets up a small
 * network, acts, and checks what the paper promises.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from './memory-storage.ts';
import { RawNode } from './raw-node.ts';
import { TestNetwork, bytes, seededRandom } from './test-network.ts';
import type { LogIndex, Message, NodeId, Term } from './types.ts';

const noPreVote = { pre_vote: false, check_quorum: false };

function soloNode(id: number, voters: number[], overrides = {}): { node: RawNode; storage: MemoryStorage } {
  const storage = new MemoryStorage({ voters: voters as NodeId[], learners: [] });
  const node = new RawNode({ id: id as NodeId, random: seededRandom(id), ...overrides }, storage);
  // Apply the bootstrap membership entries, as a host does first.
  drain(node, storage);
  return { node, storage };
}

function drain(node: RawNode, storage: MemoryStorage): Message[] {
  const out: Message[] = [];
  while (node.hasReady()) {
    const rd = node.ready();
    storage.append(rd.entries);
    if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
    out.push(...rd.messages);
    node.advance(rd);
  }
  return out;
}

describe('Raft paper §5.1–5.2: terms and leader election', () => {
  it('a server starts up as a follower (§5.2)', () => {
    const { node } = soloNode(1, [1, 2, 3]);
    expect(node.status().softState.role).toBe('follower');
    // The founding members' bootstrap entries are of term 1; no election has happened yet.
    expect(node.status().hardState.term).toBe(1);
    expect(node.status().softState.lead).toBe(0);
  });

  it('a follower that hears nothing for an election timeout becomes a candidate and requests votes (§5.2)', () => {
    const { node, storage } = soloNode(1, [1, 2, 3], noPreVote);
    let ticks = 0;
    while (node.status().softState.role === 'follower' && ticks < 31) {
      node.tick();
      ticks++;
    }
    // The timeout is drawn in [150, 300] ms = [15, 30] ticks of 10 ms.
    expect(ticks).toBeGreaterThanOrEqual(15);
    expect(ticks).toBeLessThanOrEqual(30);
    expect(node.status().softState.role).toBe('candidate');
    expect(node.status().hardState.term).toBe(2);
    expect(node.status().hardState.vote).toBe(1);
    const votes = drain(node, storage).filter((m) => m.type === 'MsgVote');
    expect(votes.map((m) => m.to).sort()).toEqual([2, 3]);
  });

  it('a candidate retries its vote request every heartbeat to the voters that have not answered (§5.1: servers retry RPCs)', () => {
    const { node, storage } = soloNode(1, [1, 2, 3], noPreVote);
    while (node.status().softState.role === 'follower') node.tick();
    drain(node, storage);
    // Node 2 rejects; node 3 says nothing.
    node.step({ type: 'MsgVoteResp', from: 2 as NodeId, to: 1 as NodeId, term: 2 as Term, reject: true });
    drain(node, storage);
    for (let i = 0; i < 5; i++) node.tick(); // heartbeat_ms 50 = 5 ticks
    expect(node.status().softState.role).toBe('candidate');
    const again = drain(node, storage).filter((m) => m.type === 'MsgVote');
    expect(again.map((m) => m.to)).toEqual([3]);
    expect(again[0]!.term).toBe(2);
  });

  it('a candidate wins an election with votes from a majority and sends heartbeats (§5.2)', () => {
    const net = new TestNetwork([1, 2, 3], noPreVote);
    net.campaign(1);
    expect(net.leaders()).toEqual([1]);
    expect(net.node(2).status().softState.lead).toBe(1);
    expect(net.node(3).status().softState.lead).toBe(1);
  });

  it('a candidate that cannot reach a majority does not become leader (§5.2)', () => {
    const net = new TestNetwork([1, 2, 3, 4, 5], noPreVote);
    net.isolate(2);
    net.isolate(3);
    net.isolate(4);
    net.campaign(1);
    expect(net.leaders()).toEqual([]);
    expect(net.node(1).status().softState.role).toBe('candidate');
  });

  it('grants at most one vote per term (§5.2)', () => {
    const { node, storage } = soloNode(1, [1, 2, 3], noPreVote);
    const vote = (from: number): Message => ({ type: 'MsgVote', from: from as NodeId, to: 1 as NodeId, term: 2 as Term, index: 3 as LogIndex, logTerm: 1 as Term, transfer: false });
    node.step(vote(2));
    node.step(vote(3));
    const resps = drain(node, storage).filter((m) => m.type === 'MsgVoteResp');
    expect(resps.map((m) => [m.to, m.type === 'MsgVoteResp' && m.reject])).toEqual([
      [2, false],
      [3, true],
    ]);
    expect(storage.initialState().hardState.vote).toBe(2);
  });

  it('a server that sees a higher term updates its term and reverts to follower (§5.1)', () => {
    const net = new TestNetwork([1, 2, 3], noPreVote);
    net.campaign(1);
    const leader = net.node(1);
    leader.step({ type: 'MsgHeartbeat', from: 2 as NodeId, to: 1 as NodeId, term: 5 as Term, commit: 0 as LogIndex, context: '' });
    expect(leader.status().softState.role).toBe('follower');
    expect(leader.status().hardState.term).toBe(5);
  });

  it('a server rejects a request with a stale term (§5.1)', () => {
    const net = new TestNetwork([1, 2, 3], noPreVote);
    net.campaign(1);
    net.campaign(2);
    expect(net.leader()).toBe(2);
    const before = net.node(2).status().hardState;
    net.node(2).step({ type: 'MsgApp', from: 1 as NodeId, to: 2 as NodeId, term: 1 as Term, index: 0 as LogIndex, logTerm: 0 as Term, entries: [], commit: 0 as LogIndex });
    net.stabilize();
    expect(net.node(2).status().hardState.term).toBe(before.term);
    expect(net.leader()).toBe(2);
  });

  it('election timeouts are chosen randomly from the configured range (§5.2)', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 50; seed++) {
      const storage = new MemoryStorage({ voters: [1, 2, 3] as NodeId[], learners: [] });
      const node = new RawNode({ id: 1 as NodeId, random: seededRandom(seed), ...noPreVote }, storage);
      drain(node, storage);
      let ticks = 0;
      while (node.status().softState.role === 'follower' && ticks < 1000) {
        node.tick();
        ticks++;
      }
      expect(ticks).toBeGreaterThanOrEqual(15);
      expect(ticks).toBeLessThanOrEqual(30);
      seen.add(ticks);
    }
    expect(seen.size).toBeGreaterThan(5);
  });

  it('a leader sends heartbeats every heartbeat interval to keep its authority (§5.2)', () => {
    const net = new TestNetwork([1, 2, 3], noPreVote);
    net.campaign(1);
    net.delivered = [];
    net.tick(5, [1]);
    const beats = net.delivered.filter((m) => m.type === 'MsgHeartbeat');
    expect(beats.map((m) => m.to).sort()).toEqual([2, 3]);
  });

  it('followers that keep hearing heartbeats never start an election (§5.2)', () => {
    const net = new TestNetwork([1, 2, 3], noPreVote);
    net.campaign(1);
    net.tick(200);
    expect(net.leaders()).toEqual([1]);
    expect(net.node(1).status().hardState.term).toBe(2);
  });

  it('a new leader is elected after the old one crashes (§5.2)', () => {
    const net = new TestNetwork([1, 2, 3], {}, 7);
    net.campaign(1);
    net.isolate(1);
    net.tick(60, [2, 3]);
    const leader = net.leader();
    expect(leader === 2 || leader === 3).toBe(true);
  });
});

describe('Raft paper §5.3: log replication', () => {
  it('the leader appends a command, replicates it, and applies it once a majority stores it (§5.3)', () => {
    const net = new TestNetwork([1, 2, 3], noPreVote);
    net.campaign(1);
    net.propose(1, 'x=1');
    for (const id of [1, 2, 3]) expect(net.peer(id).applied).toEqual(['x=1']);
  });

  it('an entry is committed once stored on a majority even if one follower is down (§5.3)', () => {
    const net = new TestNetwork([1, 2, 3], noPreVote);
    net.campaign(1);
    net.isolate(3);
    net.propose(1, 'a');
    expect(net.peer(1).applied).toEqual(['a']);
    expect(net.peer(2).applied).toEqual(['a']);
    expect(net.peer(3).applied).toEqual([]);
  });

  it('an entry stored on a minority is not committed (§5.3)', () => {
    const net = new TestNetwork([1, 2, 3, 4, 5], noPreVote);
    net.campaign(1);
    net.isolate(3);
    net.isolate(4);
    net.isolate(5);
    net.propose(1, 'a');
    expect(net.peer(1).applied).toEqual([]);
    // 5 bootstrap entries and the leader's no-op are committed; 'a' at index 7 is not.
    expect(net.node(1).status().hardState.commit).toBe(6);
    expect(net.node(1).status().lastIndex).toBe(7);
  });

  it('a follower rejects AppendEntries whose previous entry does not match (§5.3)', () => {
    const { node, storage } = soloNode(2, [1, 2, 3]);
    node.step({ type: 'MsgApp', from: 1 as NodeId, to: 2 as NodeId, term: 2 as Term, index: 10 as LogIndex, logTerm: 2 as Term, entries: [], commit: 0 as LogIndex });
    const resp = drain(node, storage).find((m) => m.type === 'MsgAppResp');
    // The hint: our last entry (3, term 1) is where the leader should probe next.
    expect(resp).toMatchObject({ type: 'MsgAppResp', reject: true, index: 10, rejectHint: 3, logTerm: 1 });
  });

  it('a follower deletes conflicting entries and all that follow them (§5.3)', () => {
    const { node, storage } = soloNode(2, [1, 2, 3]);
    const e = (index: number, term: number, d: string) => ({ index: index as LogIndex, term: term as Term, type: 'normal' as const, data: bytes(d) });
    node.step({ type: 'MsgApp', from: 1 as NodeId, to: 2 as NodeId, term: 2 as Term, index: 3 as LogIndex, logTerm: 1 as Term, entries: [e(4, 2, 'a'), e(5, 2, 'b'), e(6, 2, 'c')], commit: 4 as LogIndex });
    drain(node, storage);
    node.step({ type: 'MsgApp', from: 3 as NodeId, to: 2 as NodeId, term: 3 as Term, index: 4 as LogIndex, logTerm: 2 as Term, entries: [e(5, 3, 'B')], commit: 4 as LogIndex });
    drain(node, storage);
    expect(storage.lastIndex()).toBe(5);
    expect(storage.term(5 as LogIndex)).toBe(3);
  });

  it('a slow follower catches up once it is reachable again (log matching, §5.3)', () => {
    const net = new TestNetwork([1, 2, 3], noPreVote);
    net.campaign(1);
    net.isolate(3);
    for (let i = 0; i < 20; i++) net.propose(1, `v${i}`);
    net.recover();
    net.tick(5);
    expect(net.peer(3).applied).toEqual(net.peer(1).applied);
    expect(net.peer(3).applied.length).toBe(20);
  });

  it('fast backtracking repairs a long divergent log in few round trips (§5.3)', () => {
    const net = new TestNetwork([1, 2, 3, 4, 5], noPreVote);
    net.campaign(1);
    // 1 leads, is cut off with 2 and keeps appending 50 uncommitted entries.
    net.isolate(3);
    net.isolate(4);
    net.isolate(5);
    net.cutLink(1, 2);
    for (let i = 0; i < 50; i++) net.node(1).propose(bytes(`lost${i}`));
    net.stabilize();
    net.recover();
    net.isolate(1);
    net.campaign(3);
    expect(net.leader()).toBe(3);
    for (let i = 0; i < 50; i++) net.node(3).propose(bytes(`kept${i}`));
    net.stabilize();
    net.recover();
    net.delivered = [];
    net.tick(5);
    const rejects = net.delivered.filter((m) => m.type === 'MsgAppResp' && m.reject && m.from === 1);
    expect(rejects.length).toBeLessThanOrEqual(3);
    expect(net.peer(1).applied).toEqual(net.peer(3).applied);
    expect(net.peer(1).applied.some((s) => s.startsWith('lost'))).toBe(false);
  });
});

describe('Raft paper §5.4: safety', () => {
  it('a voter denies its vote to a candidate whose log is less up-to-date (§5.4.1)', () => {
    const net = new TestNetwork([1, 2, 3], noPreVote);
    net.campaign(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.recover();
    net.isolate(1);
    // 3 missed 'a': 2 must refuse it, so 3 cannot win.
    net.campaign(3);
    expect(net.node(3).isLeader()).toBe(false);
    net.campaign(2);
    expect(net.node(2).isLeader()).toBe(true);
  });

  function figure8(knobs: { commitPriorTermByCounting?: boolean }): { commitBeforeNoop: number; net: TestNetwork } {
    const net = new TestNetwork([1, 2, 3, 4, 5], { ...noPreVote, testingKnobs: knobs });
    net.campaign(1); // term 2, no-op at index 6 (after 5 bootstrap entries) committed everywhere
    // (a) 1 replicates 'old' (index 7, term 2) to 2 only.
    net.isolate(3);
    net.isolate(4);
    net.isolate(5);
    net.propose(1, 'old');
    net.recover();
    // (b) 5 is elected in term 3 by 3 and 4 and appends its no-op at index 7, then is cut off.
    net.isolate(1);
    net.isolate(2);
    net.ignored.add('MsgApp');
    net.campaign(5);
    expect(net.node(5).isLeader()).toBe(true);
    net.recover();
    net.isolate(5);
    // (c) 1 learns of term 3, then is elected in term 4; its no-op at index 8 reaches nobody yet.
    net.node(1).step({ type: 'MsgHeartbeat', from: 5 as NodeId, to: 1 as NodeId, term: 3 as Term, commit: 0 as LogIndex, context: '' });
    net.ignored.add('MsgApp');
    net.campaign(1);
    expect(net.node(1).isLeader()).toBe(true);
    const term = net.node(1).status().hardState.term as Term;
    // 1 replicates 'old' (and not its no-op) to 2 and 3: a majority (1, 2, 3) holds index 7 of term 2.
    const old = net.peer(1).storage.entries(7 as LogIndex, 8 as LogIndex, Infinity);
    for (const to of [2, 3]) {
      net.node(to).step({ type: 'MsgApp', from: 1 as NodeId, to: to as NodeId, term, index: 6 as LogIndex, logTerm: 2 as Term, entries: old, commit: 6 as LogIndex });
    }
    net.stabilize();
    expect(net.node(1).status().progress?.get(3 as NodeId)?.match).toBe(7);
    const commitBeforeNoop = net.node(1).status().hardState.commit;
    return { commitBeforeNoop, net };
  }

  it('a leader never commits an entry of an earlier term by counting replicas (§5.4.2, Figure 8)', () => {
    const { commitBeforeNoop, net } = figure8({});
    expect(commitBeforeNoop).toBe(6);
    // Once an entry of its own term is on a majority, everything before it commits.
    net.recover();
    net.isolate(5);
    net.tick(5);
    expect(net.node(1).status().hardState.commit).toBe(8);
    expect(net.peer(1).applied).toEqual(['old']);
  });

  it('the planted commitPriorTermByCounting knob does commit an earlier-term entry (test-only bug)', () => {
    const { commitBeforeNoop } = figure8({ commitPriorTermByCounting: true });
    expect(commitBeforeNoop).toBe(7);
  });

  it('committed entries survive in every later leader (leader completeness, §5.4)', () => {
    const net = new TestNetwork([1, 2, 3], {}, 3);
    net.campaign(1);
    net.propose(1, 'a');
    net.propose(1, 'b');
    net.isolate(1);
    net.tick(60, [2, 3]);
    const l = net.leader();
    expect(l === 2 || l === 3).toBe(true);
    net.propose(l!, 'c');
    net.recover();
    net.tick(10);
    for (const id of [1, 2, 3]) expect(net.peer(id).applied).toEqual(['a', 'b', 'c']);
  });
});
