/**
 * The coordinator over real shard groups: five shard hosts in the simulator, three shards each its
 * own Raft group, the graph written to the groups through their leaders; reads through any peer
 * equal the single database's, before and after the peer leading every group crashes.
 */
import { describe, expect, it } from 'vitest';
import { GraphStore, type Value } from '../../graph/index.ts';
import { QueryEngine } from '../../query/index.ts';
import { toResultValue } from '../../api/result.ts';
import { SimCluster } from '../../shard/sim-cluster.ts';
import type { ShardHost } from '../../shard/host.ts';
import { applyShardMapChange, emptyShardMap, type ShardMapChange } from '../shard-map.ts';
import type { ShardId } from '../hash-ring.ts';
import { ShardCoordinator, type ShardSource } from './coordinator.ts';
import { answerFetch, type FetchAnswer, type FetchRequest } from './shard-data.ts';
import { loadShards, runShardedSim } from './sharded-sim.ts';
import { txnWriteSide } from '../../txn/sharded-sim-txn.ts';

const seeds = Number(process.env['SHARDED_SIM_SEEDS'] ?? 3);
const start = Number(process.env['SHARDED_SIM_START'] ?? 1);

const SHARDS = [0, 1, 2];
const GROUPS = [1, 2, 3];
const map = (
  [
    ...SHARDS.map((i): ShardMapChange => ({ op: 'addShard', shard: i, group: GROUPS[i]! })),
    { op: 'setSharding', label: undefined, sharding: { strategy: 'hash', shards: SHARDS } },
    { op: 'setSharding', label: 'Person', sharding: { strategy: 'hash', shards: SHARDS, key: 'id' } },
  ] as ShardMapChange[]
).reduce(applyShardMapChange, emptyShardMap());
const groupOf = (shard: ShardId): number => map.shards.find((s) => s.id === shard)!.group;

function graph(): GraphStore {
  const g = new GraphStore();
  const e = new QueryEngine(g);
  e.run('UNWIND range(1, 60) AS i CREATE (:Person {id: i, age: 20 + i % 30})', {});
  e.run('UNWIND range(1, 4) AS i CREATE (:City {name: "c" + toString(i)})', {});
  e.run('MATCH (a:Person), (b:Person) WHERE b.id = (a.id * 7) % 60 + 1 OR b.id = (a.id * 11) % 60 + 1 CREATE (a)-[:KNOWS]->(b)', {});
  e.run('MATCH (p:Person), (c:City) WHERE c.name = "c" + toString(1 + p.id % 4) CREATE (p)-[:LIVES_IN]->(c)', {});
  return g;
}

const QUERIES = [
  'MATCH (p:Person {id: 17}) RETURN p.age AS age',
  'MATCH (p:Person) RETURN count(p) AS n, sum(p.age) AS s',
  'MATCH (a:Person {id: 3})-[:KNOWS]->(b)-[:KNOWS]->(c) RETURN c.id AS id ORDER BY id',
  'MATCH (p:Person)-[:LIVES_IN]->(c:City) RETURN c.name AS city, count(*) AS n ORDER BY city',
  'MATCH (a:Person)<-[:KNOWS]-(b) WHERE a.id <= 5 RETURN a.id AS a, count(b) AS n ORDER BY a',
];

/** Reads through `via`'s replica of each group (ReadIndex makes them linearizable). */
function hostSource(via: () => ShardHost): ShardSource {
  return {
    fetch: (shard: ShardId, req: FetchRequest): Promise<FetchAnswer> => via().readGraph(groupOf(shard), (g) => answerFetch(g, shard, req)),
  };
}

function rows(r: readonly (readonly Value[])[]): string[] {
  return r.map((row) => JSON.stringify(row.map(toResultValue), (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)));
}

describe('the coordinator over shard groups in the simulator', () => {
  it('answers as one database would, through any peer, and still after the peer leading every group crashes', async () => {
    const c = new SimCluster({ seed: 31, groups: GROUPS, config: { raft: { tick_ms: 10 }, request_timeout_ms: 5_000, replication: { factor: 3 }, async_replicas: 2 } });
    await c.start('p1', true);
    for (let i = 2; i <= 5; i++) await c.start(`p${i}`);
    const formed = await c.until(
      () => GROUPS.every((g) => [...c.hosts.values()].some((h) => h.isLeader(g) && h.raftStatus(g).conf.voters.length === 3 && h.raftStatus(g).conf.learners.length === 2)),
      30_000,
    );
    expect(formed).toBe(true);
    const whole = graph();
    await loadShards(c, map, whole);
    const single = new QueryEngine(whole);

    const check = async (via: string): Promise<void> => {
      const coord = new ShardCoordinator(map, hostSource(() => c.host(via)));
      for (const q of QUERIES) {
        const got = await c.value(coord.run(q));
        expect(rows(got.result.rows), `${q} via ${via}`).toEqual(rows(single.run(q, {}).rows));
      }
    };
    await check('p4');
    const leaderOfAll = [...c.hosts.values()].find((h) => GROUPS.every((g) => h.isLeader(g)))?.self;
    expect(leaderOfAll).toBe('p1'); // p1 founded every group
    c.crash('p1');
    await check('p2');
    await check('p5');
  });
});

describe('seeded sharded simulation (3 shard groups and a record group on 5 hosts; crashes, restarts, cut-offs; cross-shard reads and writes)', () => {
  const writes = txnWriteSide({ resolverPeriodMs: 200 });

  it(`${seeds} seeds: writes all-or-none on their shards, acknowledged ones on all; answers equal one database's; failures retryable; no intent left`, async () => {
    let answered = 0;
    let crashes = 0;
    let ackedCrossShard = 0;
    let writeAnswers = 0;
    for (let s = start; s < start + seeds; s++) {
      const r = await runShardedSim(s, 1_000, { writes });
      // Replay one seed with SHARDED_SIM_START=<seed> SHARDED_SIM_SEEDS=1 (or npm run sim:shards -- --seeds 1 --start <seed>).
      expect(r.violations, `seed ${s}`).toEqual([]);
      answered += r.answered;
      crashes += r.crashes;
      ackedCrossShard += r.ackedCrossShard;
      writeAnswers += r.writeAnswers;
    }
    expect(answered).toBeGreaterThan(seeds * 30);
    expect(crashes).toBeGreaterThanOrEqual(seeds);
    expect(ackedCrossShard).toBeGreaterThan(seeds * 5);
    expect(writeAnswers).toBeGreaterThan(seeds * 5);
  }, 120_000);

  it('catches a planted bug: coordinators resolve as committed without recording the decision', async () => {
    const planted = txnWriteSide({ resolverPeriodMs: 200, plantSkipRecord: true });
    let found: string | undefined;
    for (let s = 1; s <= 10 && found === undefined; s++) found = (await runShardedSim(s, 1_000, { writes: planted })).violations[0];
    // A resolver, finding no record, aborts what the coordinator acknowledged (on some shards, or all).
    expect(found).toMatch(/acknowledged but is on none of its shards|on some of its shards only/);
  }, 120_000);

  it('catches a planted bug: shards read from local replicas without ReadIndex', async () => {
    let found: string | undefined;
    for (let s = 1; s <= 20 && found === undefined; s++) found = (await runShardedSim(s, 3_000, { localReads: true })).violations[0];
    // A wrong answer, or a node a fetched edge points at that the lagging replica lacks.
    expect(found).toMatch(/one database answers|did not answer|no shard holds it/);
  }, 120_000);
});

describe('seeded sharded simulation with a shard split during the faults', () => {
  it('3 seeds: every answer during and after the split equals one database\'s; the split runs to its end under crashes and cut-offs', async () => {
    let splits = 0;
    // Seeds 1 and 6 draw hash maps (a split cuts them); 2 draws graph-aware (nothing to cut: no split).
    for (const s of [1, 2, 6]) {
      const r = await runShardedSim(s, 1_000, { split: true });
      // Replay: npm run sim:splits -- --seeds 1 --start <seed>.
      expect(r.violations, `seed ${s}`).toEqual([]);
      expect(r.crashes).toBeGreaterThan(0);
      splits += r.splits;
    }
    expect(splits).toBe(2);
  }, 120_000);

  it('2 seeds with writers: acknowledged writes on all their shards (or the shards split from them), failed ones on none, while the split runs', async () => {
    const writes = txnWriteSide({ resolverPeriodMs: 200 });
    let splits = 0;
    let acked = 0;
    for (const s of [1, 2]) {
      const r = await runShardedSim(s, 1_000, { split: true, writes });
      // Replay: npm run sim:splits -- --seeds 1 --start <seed>.
      expect(r.violations, `seed ${s}`).toEqual([]);
      splits += r.splits;
      acked += r.acked;
    }
    expect(splits).toBe(2);
    expect(acked).toBeGreaterThan(10);
  }, 120_000);

  it('catches a planted bug: no fence on the source, so writes to the moving half after the copy are lost', async () => {
    const writes = txnWriteSide({ resolverPeriodMs: 200 });
    let found: string | undefined;
    for (let s = 1; s <= 20 && found === undefined; s++) found = (await runShardedSim(s, 1_000, { split: true, writes, plantNoFence: true })).violations[0];
    expect(found).toMatch(/acknowledged but is on none|on some of its shards only|one database answers|shows/);
  }, 120_000);

  it('catches a planted bug: readers count a source cleaning up without the owner rule', async () => {
    let found: string | undefined;
    const writes = txnWriteSide({ resolverPeriodMs: 200 });
    for (let s = 1; s <= 20 && found === undefined; s++) found = (await runShardedSim(s, 1_000, { split: true, writes, plantSkipOwnerFilter: true })).violations[0];
    // The moved half counted twice: a result unlike the one database's, or a write's nodes seen twice.
    expect(found).toMatch(/one database answers|shows \d+ nodes of write \d+, which has/);
  }, 120_000);
});
