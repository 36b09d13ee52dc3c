import { describe, expect, it } from 'vitest';
import { GeodeNode } from '../api/result.ts';
import type { PeerId } from '../net/types.ts';
import { isGeodeError } from '../util/errors.ts';
import { validateShardConfig } from './config.ts';
import type { ShardHost } from './host.ts';
import { SimCluster } from './sim-cluster.ts';

const fast = { raft: { tick_ms: 10 }, request_timeout_ms: 3_000 };

/** The keys (k) of every :N node in a host's local graph, sorted. */
function keys(c: SimCluster, peer: string): number[] {
  const out: number[] = [];
  for (const n of c.host(peer).graph().nodesByLabel('N')) out.push(Number(n.props.get('k')));
  return out.sort((a, b) => a - b);
}

function appliedEverywhere(c: SimCluster): boolean {
  const idx = [...c.hosts.values()].map((h) => h.raftStatus().applied);
  return idx.every((i) => i === idx[0]);
}

describe('ShardHost.applyCommands and readGraph', () => {
  it('applies a batch of commands on every replica or, when one is refused, none of it', async () => {
    const c = new SimCluster({ seed: 13, config: fast });
    await c.form(3);
    const leader = c.leader()!;
    await c.value(
      leader.applyCommands(0, [
        { op: 'createNode', id: 100, labels: ['N'], props: [['k', 1n]] },
        { op: 'createNode', id: 101, labels: ['N'], props: [['k', 2n]] },
      ]),
    );
    const refused = await c.settle(
      leader.applyCommands(0, [
        { op: 'createNode', id: 102, labels: ['N'], props: [['k', 3n]] },
        { op: 'createNode', id: 100, labels: ['N'], props: [] },
      ]),
    );
    expect(refused.ok).toBe(false);
    expect(isGeodeError(!refused.ok ? refused.error : undefined, 'INPUT_INVALID')).toBe(true);
    expect(await c.until(() => appliedEverywhere(c), 2_000)).toBe(true);
    for (const p of ['p1', 'p2', 'p3']) expect(keys(c, p)).toEqual([1, 2]);
    const follower = [...c.hosts.values()].find((h) => !h.isLeader())!;
    const notLeader = await c.settle(follower.applyCommands(0, [{ op: 'createNode', id: 200, labels: [], props: [] }]));
    expect(!notLeader.ok && isGeodeError(notLeader.error, 'PROPOSAL_DROPPED') && notLeader.error.detail === 'NotLeader').toBe(true);
    // A follower's linearizable read sees the committed batch.
    const n = await c.value(follower.readGraph(0, (g) => g.labelCount('N')));
    expect(n).toBe(2);
  });
});

describe('ShardHost over the memory transport', () => {
  it('writes through any of 3 hosts are on all 3, with the same graph', async () => {
    const c = new SimCluster({ seed: 11, config: fast });
    await c.form(3);
    const peers = ['p1', 'p2', 'p3'];
    for (let i = 0; i < 12; i++) {
      const r = await c.value(c.host(peers[i % 3]!).query('CREATE (:N {k: $k})', { k: BigInt(i) }));
      expect(r.writes).toBe(1);
    }
    expect(await c.until(() => appliedEverywhere(c), 2_000)).toBe(true);
    for (const p of peers) expect(keys(c, p)).toEqual([...Array(12).keys()]);
  });

  it('writes through any of 5 hosts are on all 5; 3 are voters and 2 learners', async () => {
    const c = new SimCluster({ seed: 12, config: fast });
    await c.form(5);
    const conf = c.leader()!.raftStatus().conf;
    expect(conf.voters.length).toBe(3);
    expect(conf.learners.length).toBe(2);
    await Promise.all([1, 2, 3, 4, 5].map((i) => c.value(c.host(`p${i}`).query('CREATE (:N {k: $k})', { k: BigInt(i) }))));
    expect(await c.until(() => appliedEverywhere(c), 2_000)).toBe(true);
    for (let i = 1; i <= 5; i++) expect(keys(c, `p${i}`)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a forwarded write answers with rebuilt nodes; a follower read is linearizable; read_quorum 1 reports staleness', async () => {
    const c = new SimCluster({ seed: 13, config: fast });
    await c.form(3);
    const follower = [...c.hosts.values()].find((h) => !h.isLeader())!;
    const w = await c.value(follower.query('CREATE (n:N {k: 7, tags: [1, 2.5]}) RETURN n'));
    expect(w.rows[0]!['n']).toBeInstanceOf(GeodeNode);
    expect((w.rows[0]!['n'] as GeodeNode).properties).toEqual({ k: 7n, tags: [1n, 2.5] });
    // The write was acknowledged, so a linearizable read on any host sees it.
    for (const h of c.hosts.values()) {
      const r = await c.value(h.query('MATCH (n:N) RETURN n.k AS k'));
      expect(r.rows).toEqual([{ k: 7n }]);
    }
    const local = await c.value(follower.query('MATCH (n:N) RETURN count(n) AS c', {}, { readQuorum: 1 }));
    expect(local.staleness).toBeDefined();
    expect(local.staleness!.appliedIndex).toBeLessThanOrEqual(local.staleness!.commitIndex);
    expect(local.staleness!.msSinceLeaderContact).toBeGreaterThanOrEqual(0);
  });

  it('a crashed leader is replaced by a new one and no acknowledged write is lost', async () => {
    const c = new SimCluster({ seed: 14, config: fast });
    await c.form(3);
    for (let i = 0; i < 10; i++) await c.value(c.host(`p${(i % 3) + 1}`).query('CREATE (:N {k: $k})', { k: BigInt(i) }));
    const old = c.leader()!.self;
    c.crash(old);
    const t0 = c.scheduler.now;
    expect(await c.until(() => c.leader() !== undefined, 3_000)).toBe(true);
    expect(c.scheduler.now - t0).toBeLessThan(1_000);
    const survivors = [...c.hosts.keys()];
    for (let i = 10; i < 15; i++) await c.value(c.host(survivors[i % 2]!).query('CREATE (:N {k: $k})', { k: BigInt(i) }));
    expect(await c.until(() => appliedEverywhere(c), 2_000)).toBe(true);
    for (const p of survivors) expect(keys(c, p)).toEqual([...Array(15).keys()]);
  });

  it('a restarted host catches up, by snapshot when further behind than snapshot_threshold', async () => {
    const c = new SimCluster({ seed: 15, config: { ...fast, raft: { tick_ms: 10, snapshot_threshold: 20 } } });
    await c.form(3);
    const follower = [...c.hosts.values()].find((h) => !h.isLeader())!.self;
    const behindAt = c.host(follower).raftStatus().lastIndex;
    c.crash(follower);
    const up = [...c.hosts.keys()];
    for (let i = 0; i < 60; i++) await c.value(c.host(up[i % 2]!).query('CREATE (:N {k: $k})', { k: BigInt(i) }));
    const leaderStore = c.stores.get(c.leader()!.self)!;
    // The leader compacted past what the crashed follower holds: only a snapshot can catch it up.
    expect(leaderStore.durable().snapshotIndex).toBeGreaterThan(behindAt);
    await c.start(follower);
    expect(await c.until(() => appliedEverywhere(c) && keys(c, follower).length === 60, 5_000)).toBe(true);
    expect(keys(c, follower)).toEqual([...Array(60).keys()]);
    expect(c.stores.get(follower)!.durable().snapshotIndex).toBeGreaterThan(behindAt);
  });

  it('a leader keeps committing while its snapshot is being written, and compacts once it is durable', async () => {
    const c = new SimCluster({ seed: 17, config: { ...fast, raft: { tick_ms: 10, snapshot_threshold: 20 } } });
    await c.form(3);
    const leader = c.leader()!;
    const store = c.stores.get(leader.self)!;
    const save = store.saveSnapshot.bind(store);
    const held: (() => void)[] = [];
    store.saveSnapshot = (snap) => new Promise<void>((ok, fail) => held.push(() => void save(snap).then(ok, fail)));
    // Past several thresholds with the first save held: every write still commits and answers.
    for (let i = 0; i < 60; i++) await c.value(leader.query('CREATE (:N {k: $k})', { k: BigInt(i) }), 5_000);
    expect(held.length).toBe(1); // one save at a time
    expect(store.durable().snapshotIndex).toBe(0);
    for (const release of held.splice(0)) release();
    expect(await c.until(() => store.durable().snapshotIndex > 0, 2_000)).toBe(true);
    await c.value(leader.query('CREATE (:N {k: 60})'), 5_000);
    expect(await c.until(() => held.length === 1, 2_000)).toBe(true); // the next threshold takes the next snapshot
    expect(keys(c, leader.self)).toEqual([...Array(61).keys()]);
  });

  it('statements run on the leader in one turn share one log entry, each answered, on every replica', async () => {
    const c = new SimCluster({ seed: 19, config: fast });
    await c.form(3);
    const leader = c.leader()!;
    const before = leader.raftStatus().lastIndex;
    const answers = await c.value(Promise.all(Array.from({ length: 20 }, (_, i) => leader.query('CREATE (:N {k: $k}) RETURN 1 AS one', { k: BigInt(i) }))));
    expect(answers.every((a) => a.writes === 1 && a.rows.length === 1)).toBe(true);
    expect(leader.raftStatus().lastIndex - before).toBeLessThanOrEqual(2); // not one entry per statement
    expect(await c.until(() => appliedEverywhere(c), 2_000)).toBe(true);
    for (const p of ['p1', 'p2', 'p3']) expect(keys(c, p)).toEqual([...Array(20).keys()]);
  });

  it('a batched entry Raft refuses fails each of its statements with the reason, and none of them stays in the graph', async () => {
    const c = new SimCluster({ seed: 21, config: { ...fast, raft: { tick_ms: 10, max_uncommitted_bytes: 1 } } });
    await c.form(3);
    const leader = c.leader()!;
    // Followers cut off: the first entry stays uncommitted, so the uncommitted-bytes limit refuses the next one.
    for (const h of c.hosts.values()) if (h !== leader) c.net.cut(leader.self, h.self);
    const first = c.settle(leader.query('CREATE (:N {k: 0})', {}, { timeoutMs: 2_000 }), 3_000);
    await c.run(1);
    const second = await Promise.all([1, 2, 3].map((k) => c.settle(leader.query('CREATE (:N {k: $k})', { k: BigInt(k) }), 1_000)));
    for (const r of second) expect(!r.ok && isGeodeError(r.error, 'PROPOSAL_DROPPED') && r.error.detail === 'UncommittedLimit').toBe(true);
    expect(keys(c, leader.self)).toEqual([0]); // the refused ones rolled back; the first still waits to commit
    for (const h of c.hosts.values()) if (h !== leader) c.net.heal(leader.self, h.self);
    expect((await first).ok).toBe(true);
  });

  it('a partitioned old leader rolls its pre-applied writes back and they fail with LeaderChanged', async () => {
    const c = new SimCluster({ seed: 16, config: fast });
    await c.form(3);
    await c.value(c.host('p1').query('CREATE (:N {k: 0})'));
    const old = c.leader()!;
    c.net.isolate(old.self);
    const lost = old.query('CREATE (:N {k: 100})');
    let outcome: { ok: boolean; error?: unknown } | undefined;
    lost.then(
      () => (outcome = { ok: true }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    await c.run(5);
    expect(keys(c, old.self)).toEqual([0, 100]); // executed speculatively on the old leader's graph
    const others = [...c.hosts.values()].filter((h) => h !== old);
    expect(await c.until(() => others.some((h) => h.isLeader()), 3_000)).toBe(true);
    const newLeader = others.find((h) => h.isLeader())!;
    await c.value(newLeader.query('CREATE (:N {k: 1})'));
    c.net.healAll();
    expect(await c.until(() => outcome !== undefined, 5_000)).toBe(true);
    expect(outcome!.ok).toBe(false);
    expect(isGeodeError(outcome!.error, 'PROPOSAL_DROPPED')).toBe(true);
    expect((outcome!.error as { detail?: string }).detail).toBe('LeaderChanged');
    expect(await c.until(() => appliedEverywhere(c), 3_000)).toBe(true);
    for (const p of c.hosts.keys()) expect(keys(c, p)).toEqual([0, 1]);
  });

  it('a joining peer becomes a learner, then a voter; a failed voter is replaced by a healthy learner', async () => {
    const c = new SimCluster({ seed: 17, config: fast });
    await c.form(4); // 3 voters + 1 learner
    const leader = c.leader()!;
    const conf = leader.raftStatus().conf;
    expect(conf.learners.length).toBe(1);
    const status = leader.status();
    const learner = status.find((r) => r.role === 'learner')!.peer;
    const victim = status.find((r) => r.role === 'voter' && !r.self)!.peer;
    c.crash(victim);
    // After the failure threshold the leader promotes the learner and demotes the failed voter.
    const promoted = await c.until(() => {
      const l = c.leader();
      if (l === undefined) return false;
      const rows = l.status();
      return rows.find((r) => r.peer === learner)?.role === 'voter' && rows.find((r) => r.peer === victim)?.role === 'learner';
    }, 5_000);
    expect(promoted).toBe(true);
    const rows = c.leader()!.status();
    expect(rows.find((r) => r.peer === victim)!.health).toBe('failed');
    const lag = c.leader()!.replicationLag();
    expect(lag.find((r) => r.peer === learner)!.role).toBe('voter');
    expect(lag.find((r) => r.peer === victim)!.entriesBehind).toBeGreaterThan(0);
    // The group still commits with the new voter set.
    await c.value(c.leader()!.query('CREATE (:N {k: 1})'));
  });

  it('adds a peer whose hello was lost because it came before this host listened (two processes started at once)', async () => {
    const c = new SimCluster({ seed: 23, config: fast });
    // p1's network is up before its host (its store still opening): p2's hello to it finds no
    // frame handler and is lost, as it is when both processes start together.
    const early = c.net.join('p1' as PeerId);
    await c.start('p2');
    await c.run(50);
    await c.start('p1', true, early);
    expect(await c.until(() => c.voters() === 2, 5_000)).toBe(true);
    await c.value(c.host('p2').query('CREATE (:N {k: 1})'));
    expect(await c.until(() => keys(c, 'p1').length === 1 && keys(c, 'p2').length === 1, 2_000)).toBe(true);
  });

  it('status lists every peer with role, state, term and leader', async () => {
    const c = new SimCluster({ seed: 18, config: fast });
    await c.form(3);
    const leader = c.leader()!;
    expect(await c.until(() => appliedEverywhere(c), 2_000)).toBe(true);
    const rows = c.host('p2').status();
    expect(rows.map((r) => r.peer)).toEqual(['p1', 'p2', 'p3']);
    expect(rows.every((r) => r.role === 'voter' && r.leader === leader.self && r.term >= 2)).toBe(true);
    expect(rows.find((r) => r.peer === leader.self)!.state).toBe('leader');
    // Only the leader hears from everyone; a follower knows the leader's health and its own.
    expect(leader.status().every((r) => r.health === 'healthy')).toBe(true);
    const other = rows.find((r) => !r.self && r.peer !== leader.self)!;
    expect(other.health).toBe('unknown');
  });

  it('refuses frames that do not decode or claim another peer’s node id, and stays up', async () => {
    const c = new SimCluster({ seed: 19, config: fast });
    await c.form(3);
    const rogue = c.net.join('rogue' as PeerId);
    rogue.send('p1' as PeerId, new Uint8Array([1, 2, 3]));
    // A well-formed heartbeat that claims to come from p2's node.
    const { encodeFrame } = await import('./wire.ts');
    const { nodeIdOfPeer } = await import('./peer-ids.ts');
    const forged = encodeFrame([
      {
        kind: 'raft',
        group: 0 as never,
        messages: [{ type: 'MsgHeartbeat', from: nodeIdOfPeer('p2' as PeerId), to: nodeIdOfPeer('p1' as PeerId), term: 999 as never, commit: 0 as never, context: '' }],
      },
    ]);
    rogue.send('p1' as PeerId, forged);
    await c.run(50);
    expect(c.net.rejections.map((r) => r.peer)).toEqual(['rogue', 'rogue']);
    expect(c.host('p1').framesRejected).toBe(2);
    expect(c.host('p1').raftStatus().hardState.term).toBeLessThan(999);
    await c.value(c.host('p1').query('CREATE (:N {k: 1})'));
  });
});

describe('shard configuration', () => {
  it('names the key of every refused value', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ 'raft.heartbeat_ms': -1 }, 'raft.heartbeat_ms'],
      [{ raft: { election_timeout_ms: [300, 100] } }, 'raft.election_timeout_ms'],
      [{ replication: { factor: 0 } }, 'replication.factor'],
      [{ read_quorum: 2 }, 'read_quorum'],
      [{ write_quorum: 'all' }, 'write_quorum'],
      [{ replication: { factor: 3 }, sync_replicas: 1 }, 'sync_replicas'],
      [{ async_replicas: -1 }, 'async_replicas'],
      [{ bogus: 1 }, 'bogus'],
      [{ 'replication.bogus': 1 }, 'replication.bogus'],
      [{ failure_detector: { threshold: 1, suspect_after: 2 } }, 'failure_detector.suspect_after'],
    ];
    for (const [input, key] of bad) {
      let err: unknown;
      try {
        validateShardConfig(input);
      } catch (e) {
        err = e;
      }
      expect(isGeodeError(err, 'CONFIG_INVALID'), JSON.stringify(input)).toBe(true);
      expect((err as Error).message.startsWith(`${key}:`), (err as Error).message).toBe(true);
    }
  });

  it('accepts the seed keys nested or dotted and fills in defaults', () => {
    const a = validateShardConfig({ 'replication.factor': 5, 'raft.heartbeat_ms': 40, sync_replicas: 4, write_quorum: 'majority', read_quorum: 1 });
    expect(a.replicationFactor).toBe(5);
    expect(a.readQuorum).toBe(1);
    expect(a.fdIntervalMs).toBe(40);
    const b = validateShardConfig({});
    expect(b.replicationFactor).toBe(3);
    expect(b.readQuorum).toBe('majority');
  });
});

describe('ShardHost.graphIndex', () => {
  it('names the index the graph stands at, also while the host syncs another group\'s entries after applying early', async () => {
    // The pump applies each group's committed entries that were durable already, then syncs every
    // store (here group 1's new entries, slowly), and only then moves raft's applied index.
    const c = new SimCluster({ seed: 21, config: fast, groups: [0, 1], syncDelayMs: [4, 8] });
    await c.start('p1', true);
    await c.start('p2');
    await c.start('p3');
    const leaderOf = (g: number) => [...c.hosts.values()].find((h) => h.isLeader(g));
    expect(await c.until(() => [0, 1].every((g) => leaderOf(g)?.raftStatus(g).conf.voters.length === 3), 30_000)).toBe(true);
    const leader = leaderOf(0)!;
    await c.value(leader.applyCommands(0, [{ op: 'createNode', id: 100, labels: ['N'], props: [['v', 0n]] }]));
    // Two graphs at one index must be the same graph: record what the leader shows at each index.
    const seen = new Map<number, bigint>();
    const clashes: string[] = [];
    let writing = true;
    const watch = (): void => {
      const index = leader.graphIndex(0);
      const v = leader.graph(0).node(100)?.props.get('v') as bigint;
      if (index !== undefined) {
        const before = seen.get(index);
        if (before === undefined) seen.set(index, v);
        else if (before !== v) clashes.push(`index ${index}: v = ${before} and v = ${v}`);
      }
      if (writing) c.scheduler.after(1, watch);
    };
    watch();
    // Group 1 keeps its stores syncing; group 0 takes one write at a time.
    const other = (async () => {
      for (let i = 0; writing; i++) {
        const l = leaderOf(1);
        if (l !== undefined) void l.applyCommands(1, [{ op: 'createNode', id: 1_000 + i, labels: [], props: [] }]).catch(() => {});
        await new Promise<void>((ok) => c.scheduler.after(2, ok));
      }
    })();
    for (let i = 1; i <= 30; i++) {
      await c.value(leader.applyCommands(0, [{ op: 'setNodeProperty', id: 100, key: 'v', value: BigInt(i) }]));
      await c.run(3);
    }
    writing = false;
    await c.value(other);
    expect(clashes).toEqual([]);
    expect(seen.size).toBeGreaterThan(20);
  });
});

describe('a group started with its voters (no founder)', () => {
  it('elects a leader among the voters that are up, though the first listed never starts', async () => {
    // A split's new group: every placed replica starts it with all of them as voters. With a
    // founder instead, the founder gone before the others joined left the group without a voter.
    const c = new SimCluster({ seed: 5, config: fast });
    await c.start('p1', true);
    await c.start('p2');
    await c.start('p3');
    const voters = ['p0', 'p2', 'p3'] as PeerId[]; // p0 (first, the would-be founder) never runs
    for (const p of ['p2', 'p3'] as PeerId[]) await c.hosts.get(p)!.addGroup(7, { voters });
    const leaderOf = (): ShardHost | undefined => [...c.hosts.values()].find((h) => h.groups().includes(7) && h.isLeader(7));
    expect(await c.until(() => leaderOf() !== undefined, 30_000)).toBe(true);
    const l = leaderOf()!;
    expect(l.raftStatus(7).conf.voters.length).toBe(3);
    await c.value(l.applyCommands(7, [{ op: 'createNode', id: 1, labels: ['N'], props: [] }]));
    expect(await c.until(() => ['p2', 'p3'].every((p) => c.hosts.get(p as PeerId)!.graph(7).node(1) !== undefined), 30_000)).toBe(true);
    await expect(c.hosts.get('p1' as PeerId)!.addGroup(8, { voters })).rejects.toSatisfy((e: unknown) => isGeodeError(e, 'CONFIG_INVALID')); // p1 is not among them
  });
});
