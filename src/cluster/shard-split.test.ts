import { describe, expect, it } from 'vitest';
import { GraphStore, type GraphCommand, type Value } from '../graph/index.ts';
import { QueryEngine } from '../query/index.ts';
import { toResultValue } from '../api/result.ts';
import { Prng } from '../sim/prng.ts';
import type { PeerId } from '../net/types.ts';
import { isGeodeError } from '../util/errors.ts';
import { ShardCoordinator } from './coordinator/coordinator.ts';
import { answerFetch, isInternal } from './coordinator/shard-data.ts';
import { shardGraph } from './coordinator/testing.ts';
import { HashRing } from './hash-ring.ts';
import { applyShardMapChange, emptyShardMap, shardingOf, type ShardMapChange, type ShardMapState } from './shard-map.ts';
import {
  checkFence,
  checkMapFresh,
  cleanedCommand,
  cleanupCommands,
  copyCommands,
  familyOf,
  fenceCommand,
  mapAfterSplit,
  movingLocked,
  ownerFilter,
  ownerIn,
  packGroups,
  planSplit,
  shardToSplit,
  STALE_MAP_DETAIL,
  type SplitNode,
} from './shard-split.ts';
import { validateShardingConfig } from './sharding-config.ts';

const SHARDS = [0, 1, 2];
const base: ShardMapChange[] = SHARDS.map((i) => ({ op: 'addShard', shard: i, group: i + 1 }));
const map0 = [
  ...base,
  { op: 'setSharding', label: undefined, sharding: { strategy: 'hash', shards: SHARDS } },
  { op: 'setSharding', label: 'Person', sharding: { strategy: 'hash', shards: SHARDS, key: 'id' } },
  { op: 'setSharding', label: 'Post', sharding: { strategy: 'range', shards: SHARDS, key: 'created', ranges: [300n, 600n] } },
].reduce((m, c) => applyShardMapChange(m, c as ShardMapChange), emptyShardMap());

/** A seeded social graph: people hashed by id, posts by creation time, cities by node id. */
function socialGraph(seed: number, people: number): GraphStore {
  const rnd = new Prng(seed);
  const g = new GraphStore();
  const e = new QueryEngine(g);
  e.run('UNWIND range(1, 8) AS i CREATE (:City {name: "city" + toString(i)})', {});
  e.run('UNWIND range(1, $n) AS i CREATE (:Person {id: i, name: "p" + toString(i), age: 18 + i % 50})', { n: BigInt(people) });
  e.run('UNWIND range(1, $n) AS i CREATE (:Post {id: i, created: i * 7})', { n: BigInt(people) });
  const pairs: bigint[][] = [];
  for (let i = 0; i < people * 3; i++) pairs.push([BigInt(rnd.int(1, people)), BigInt(rnd.int(1, people))]);
  e.run('UNWIND $pairs AS p MATCH (a:Person {id: p[0]}), (b:Person {id: p[1]}) CREATE (a)-[:KNOWS]->(b)', { pairs });
  e.run('MATCH (p:Person) MATCH (c:City {name: "city" + toString(1 + p.id % 8)}) CREATE (p)-[:LIVES_IN]->(c)', {});
  const likes: bigint[][] = [];
  for (let i = 0; i < people * 2; i++) likes.push([BigInt(rnd.int(1, people)), BigInt(rnd.int(1, people))]);
  e.run('UNWIND $likes AS l MATCH (a:Person {id: l[0]}), (m:Post {id: l[1]}) CREATE (a)-[:LIKES]->(m)', { likes });
  return g;
}

const QUERIES: string[] = [
  'MATCH (p:Person {id: 7}) RETURN p.name AS name',
  'MATCH (n) RETURN count(n) AS c',
  'MATCH ()-[r]->() RETURN count(r) AS c',
  'MATCH (p:Person) RETURN count(*) AS c, sum(p.age) AS s',
  'MATCH (p:Person) WHERE p.age > 60 RETURN p.id AS id ORDER BY id',
  'MATCH (p:Person)-[:LIVES_IN]->(c:City) RETURN c.name AS city, count(p) AS n ORDER BY city',
  'MATCH (a:Person {id: 3})-[:KNOWS]->(b)-[:KNOWS]->(c) RETURN DISTINCT c.id AS id ORDER BY id',
  'MATCH (a:Person)<-[:KNOWS]-(b:Person) WHERE a.id < 9 RETURN a.id AS a, b.id AS b ORDER BY a, b',
  'MATCH (m:Post) WHERE m.created >= 200 AND m.created < 450 RETURN m.id AS id ORDER BY id',
  'MATCH (p:Person)-[:LIKES]->(m:Post) RETURN m.id AS m, count(p) AS n ORDER BY m',
  'MATCH (n) RETURN labels(n)[0] AS l, count(*) AS c ORDER BY l',
];

function rowsOf(columns: readonly string[], rows: readonly (readonly Value[])[]): string {
  return JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, toResultValue(r[i] ?? null)]))), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** Every query through the coordinator over `stores` under `map` answers as the single database. */
async function expectSameAnswers(single: GraphStore, map: ShardMapState, stores: ReadonlyMap<number, GraphStore>, fresh = false): Promise<void> {
  const coord = new ShardCoordinator(map, {
    fetch: (shard, req) => {
      const store = stores.get(shard)!;
      checkMapFresh(store, map, shard, fresh);
      return Promise.resolve(answerFetch(store, shard, req, ownerFilter(map, shard)));
    },
  });
  const engine = new QueryEngine(single);
  for (const q of QUERIES) {
    const want = engine.run(q, {});
    const got = (await coord.run(q)).result;
    expect(rowsOf(got.columns, got.rows), q).toBe(rowsOf(want.columns, want.rows));
  }
}

function ownedNodes(store: GraphStore): SplitNode[] {
  return [...store.nodes()].filter((n) => !n.deleted && !isInternal(n));
}

const replicas = ['a', 'b', 'c'] as unknown as PeerId[];

describe('shard splits (pure core)', () => {
  it('picks the largest shard past the threshold, none at 0 or while a split is under way', () => {
    const counts = new Map([[0, 50], [1, 120], [2, 110]]);
    expect(shardToSplit(map0, counts, 100)).toBe(1);
    expect(shardToSplit(map0, counts, 0)).toBeUndefined();
    expect(shardToSplit(map0, counts, 200)).toBeUndefined();
    const plan = planSplit(map0, 1, [1, 2, 3, 4].map((i) => ({ id: i, labels: ['Person'], props: new Map<string, Value>([['id', BigInt(i * 977)]]) })), replicas)!;
    expect(shardToSplit(applyShardMapChange(map0, plan), counts, 100)).toBeUndefined();
  });

  it('validates sharding.split_threshold_nodes (default a million, 0 turns splits off, 1 refused)', () => {
    expect(validateShardingConfig({}).splitThresholdNodes).toBe(1_000_000);
    expect(validateShardingConfig({ sharding: { split_threshold_nodes: 1_000_000 } }).splitThresholdNodes).toBe(1_000_000);
    expect(validateShardingConfig({ 'sharding.split_threshold_nodes': 0 }).splitThresholdNodes).toBe(0);
    expect(validateShardingConfig({ sharding: { split_threshold_nodes: 500 } }).splitThresholdNodes).toBe(500);
    for (const bad of [1, -3, 2.5, 'x']) {
      expect(() => validateShardingConfig({ sharding: { split_threshold_nodes: bad } })).toThrow(/sharding.split_threshold_nodes/);
    }
  });

  it('cuts a hash spread at the median hash: about half the shard moves, only to the new shard, other shards keep every key', () => {
    const nodes = Array.from({ length: 4_000 }, (_, i) => ({ id: i + 1, labels: ['Person'], props: new Map<string, Value>([['id', BigInt(i + 1)]]) }));
    const spread = shardingOf(map0, ['Person']);
    const before = new Map(nodes.map((n) => [n.id, ownerIn(map0, 0, n)]));
    const onOne = nodes.filter((n) => before.get(n.id) === 1);
    const plan = planSplit(map0, 1, onOne, replicas)!;
    expect(plan.into).toBe(3);
    const after = mapAfterSplit(applyShardMapChange(map0, plan), applyShardMapChange(map0, plan).splits[0]!);
    const moved = onOne.filter((n) => ownerIn(after, 1, n) === 3).length;
    expect(moved / onOne.length).toBeGreaterThan(0.45);
    expect(moved / onOne.length).toBeLessThan(0.55);
    for (const n of nodes) {
      const now = ownerIn(after, 1, n);
      if (before.get(n.id) === 1) expect([1, 3]).toContain(now);
      else expect(now).toBe(before.get(n.id));
    }
    // The ring's spans still cover every hash exactly once.
    const sh = shardingOf(after, ['Person']);
    expect(sh).not.toBe(spread);
    const spans = [...HashRing.of(sh.shards, sh.virtualNodes, sh.arcs).spans().values()].flat().sort((a, b) => a[0] - b[0]);
    let next = 0;
    for (const [a, b] of spans) {
      expect(a).toBe(next);
      next = b + 1;
    }
    expect(next).toBe(2 ** 32);
  });

  it('cuts a range spread at the median key, the new shard taking the upper part', () => {
    const nodes = Array.from({ length: 40 }, (_, i) => ({ id: i + 1, labels: ['Post'], props: new Map<string, Value>([['created', BigInt(300 + i * 7)]]) }));
    const plan = planSplit(map0, 1, nodes, replicas)!;
    const m = applyShardMapChange(map0, plan);
    const after = mapAfterSplit(m, m.splits[0]!);
    const post = shardingOf(after, ['Post']);
    expect(post.shards).toEqual([0, 1, 3, 2]);
    expect(post.ranges).toEqual([300n, 300n + 20n * 7n, 600n]);
    expect(nodes.filter((n) => ownerIn(after, 1, n) === 3).length).toBe(20);
    // One key value cannot be cut.
    const same = nodes.map((n) => ({ ...n, props: new Map<string, Value>([['created', 400n]]) }));
    expect(planSplit({ ...map0, labels: new Map([['Post', shardingOf(map0, ['Post'])]]) }, 1, same, replicas)).toBeUndefined();
  });

  it('a split keeps every query equal to the single database: copying, serving from both (source cleaning up), after the cleanup', async () => {
    const single = socialGraph(7, 150);
    const stores = shardGraph(single, map0);
    await expectSameAnswers(single, map0, stores);
    const from = [...stores].sort((a, b) => ownedNodes(b[1]).length - ownedNodes(a[1]).length)[0]![0];
    const src = stores.get(from)!;
    const plan = planSplit(map0, from, ownedNodes(src), replicas)!;
    expect(plan).toBeDefined();
    const map1 = applyShardMapChange(map0, plan);
    const sp = map1.splits[0]!;
    const after = mapAfterSplit(map1, sp);
    const owner = (n: SplitNode): number => ownerIn(after, from, n);

    // The fence: writes touching the moving half are refused, the rest go on.
    src.apply(fenceCommand(map1, sp));
    const moving = ownedNodes(src).find((n) => owner(n) === sp.into)!;
    const staying = ownedNodes(src).find((n) => owner(n) === from)!;
    const refuses = (commands: GraphCommand[]): boolean => {
      try {
        checkFence(src, commands);
        return false;
      } catch (err) {
        if (!isGeodeError(err, 'PROPOSAL_DROPPED') || err.detail !== STALE_MAP_DETAIL) throw err;
        return true;
      }
    };
    expect(refuses([{ op: 'setNodeProperty', id: moving.id, key: 'x', value: 1n }])).toBe(true);
    expect(refuses([{ op: 'createEdge', id: 9_999_999, type: 'T', src: staying.id, dst: moving.id, props: [] }])).toBe(true);
    expect(refuses([{ op: 'setNodeProperty', id: staying.id, key: 'x', value: 1n }])).toBe(false);
    const movingKey = [...Array(10_000).keys()].map((i) => BigInt(i)).find((k) => owner({ id: 0, labels: ['Person'], props: new Map([['id', k]]) }) === sp.into)!;
    expect(refuses([{ op: 'createNode', id: 9_999_998, labels: ['Person'], props: [['id', movingKey]] }])).toBe(true);
    expect(refuses([cleanedCommand(from, sp.into), { op: 'setNodeProperty', id: moving.id, key: 'x', value: 1n }])).toBe(false);
    // A reader whose map does not know the split must refresh it (and may go on with a fresh one while only fenced).
    expect(() => checkMapFresh(src, map0, from, false)).toThrow(/refresh/);
    expect(() => checkMapFresh(src, map0, from, true)).not.toThrow();

    // The copy: the new shard is not read until the switch.
    const dst = new GraphStore();
    dst.applyBatch(copyCommands(src, owner, from, sp.into, () => false));
    const withNew = new Map([...stores, [sp.into, dst]]);
    await expect(expectSameAnswers(single, map1, withNew)).rejects.toThrow(/refresh/); // fenced, and the map not refreshed
    await expectSameAnswers(single, map1, withNew, true);
    expect(ownedNodes(dst).length).toBeGreaterThan(ownedNodes(src).length * 0.3);

    // The switch: both serve, the source's moved half counted by the map's rule.
    const map2 = applyShardMapChange(map1, { op: 'switchSplit', shard: from });
    expect(map2.shards.map((s) => s.id)).toEqual([0, 1, 2, 3]);
    expect(familyOf(map2, from)).toEqual([from, sp.into]);
    await expectSameAnswers(single, map2, withNew);

    // The cleanup: the source drops the moved half; stale readers now must refresh.
    for (const b of packGroups(cleanupCommands(src, (n) => ownerIn(map2, from, n), from, sp.into), 50)) src.applyBatch([cleanedCommand(from, sp.into), ...b]);
    expect(ownedNodes(src).some((n) => owner(n) === sp.into)).toBe(false);
    await expectSameAnswers(single, map2, withNew);
    expect(() => checkMapFresh(src, map0, from, true)).toThrow(/refresh/);
    const map3 = applyShardMapChange(map2, { op: 'finishSplit', shard: from });
    expect(map3.splits).toEqual([]);
    await expectSameAnswers(single, map3, withNew);
    expect(ownedNodes(src).length + ownedNodes(dst).length).toBe(ownedNodes(stores.get(from)!).length + ownedNodes(dst).length);
  });

  it('the copy waits for prepared transactions that lock a moving node or create one, not for those on the staying half', () => {
    const single = socialGraph(3, 60);
    const stores = shardGraph(single, map0);
    const src = stores.get(1)!;
    const m = applyShardMapChange(map0, planSplit(map0, 1, ownedNodes(src), replicas)!);
    const after = mapAfterSplit(m, m.splits[0]!);
    const owner = (n: SplitNode): number => ownerIn(after, 1, n);
    const moving = ownedNodes(src).find((n) => owner(n) !== 1)!;
    const staying = ownedNodes(src).find((n) => owner(n) === 1)!;
    const txn = 2 ** 52;
    src.apply({ op: 'createNode', id: txn, labels: ['__geode_txn'], props: [] });
    expect(movingLocked(src, owner, 1)).toBe(false);
    src.apply({ op: 'setNodeProperty', id: txn, key: `w:n:${staying.id}`, value: 'x' });
    expect(movingLocked(src, owner, 1)).toBe(false);
    src.apply({ op: 'setNodeProperty', id: txn, key: `w:n:${moving.id}`, value: 'x' });
    expect(movingLocked(src, owner, 1)).toBe(true);
    src.apply({ op: 'setNodeProperty', id: txn, key: `w:n:${moving.id}`, value: null });
    src.apply({ op: 'setNodeProperty', id: txn, key: 'w:n:123456789', value: 'x' });
    expect(movingLocked(src, owner, 1)).toBe(true);
  });

  it('refuses a second split while one is under way, and switch / finish out of order', () => {
    const plan = planSplit(map0, 0, [1, 2, 3, 4].map((i) => ({ id: i * 31, labels: ['City'], props: new Map<string, Value>() })), replicas)!;
    const m = applyShardMapChange(map0, plan);
    expect(() => applyShardMapChange(m, { ...plan, shard: 1, into: 4, group: 5 })).toThrow(/one split at a time/);
    expect(() => applyShardMapChange(m, { op: 'finishSplit', shard: 0 })).toThrow(/no split cleaning up/);
    expect(() => applyShardMapChange(map0, { op: 'switchSplit', shard: 0 })).toThrow(/no split copying/);
  });
});
