import { describe, expect, it } from 'vitest';
import { GraphStore, type Value } from '../../graph/index.ts';
import { QueryEngine } from '../../query/index.ts';
import { toResultValue } from '../../api/result.ts';
import { Prng } from '../../sim/prng.ts';
import { isGeodeError } from '../../util/errors.ts';
import { applyShardMapChange, emptyShardMap, type ShardMapChange, type ShardMapState } from '../shard-map.ts';
import { ShardCoordinator } from './coordinator.ts';
import { InProcessShards, shardGraph } from './testing.ts';

/** A seeded social graph: Person {id, name, age}, City {name}, KNOWS / LIVES_IN / LIKES edges, some posts. */
function socialGraph(seed: number, people: number): GraphStore {
  const rnd = new Prng(seed);
  const g = new GraphStore();
  const e = new QueryEngine(g);
  e.run('UNWIND range(1, 8) AS i CREATE (:City {name: "city" + toString(i), size: i * 10})', {});
  e.run('UNWIND range(1, $n) AS i CREATE (:Person {id: i, name: "p" + toString(i), age: 18 + i % 50})', { n: BigInt(people) });
  e.run('UNWIND range(1, $n) AS i CREATE (:Post {id: i, created: i * 7, title: "t" + toString(i % 13)})', { n: BigInt(people) });
  const pairs: bigint[][] = [];
  for (let i = 0; i < people * 3; i++) pairs.push([BigInt(rnd.int(1, people)), BigInt(rnd.int(1, people))]);
  e.run('UNWIND $pairs AS p MATCH (a:Person {id: p[0]}), (b:Person {id: p[1]}) CREATE (a)-[:KNOWS {since: p[0] + p[1]}]->(b)', { pairs });
  e.run('MATCH (p:Person) MATCH (c:City {name: "city" + toString(1 + p.id % 8)}) CREATE (p)-[:LIVES_IN]->(c)', {});
  const likes: bigint[][] = [];
  for (let i = 0; i < people * 2; i++) likes.push([BigInt(rnd.int(1, people)), BigInt(rnd.int(1, people))]);
  e.run('UNWIND $likes AS l MATCH (a:Person {id: l[0]}), (m:Post {id: l[1]}) CREATE (a)-[:LIKES]->(m)', { likes });
  return g;
}

function mapOf(changes: ShardMapChange[]): ShardMapState {
  return changes.reduce(applyShardMapChange, emptyShardMap());
}

const SHARDS = [0, 1, 2];
const base: ShardMapChange[] = SHARDS.map((i) => ({ op: 'addShard', shard: i, group: i + 1 }));
const maps: Record<string, ShardMapState> = {
  'hash by node id': mapOf([...base, { op: 'setSharding', label: undefined, sharding: { strategy: 'hash', shards: SHARDS } }]),
  'hash by key, range on posts': mapOf([
    ...base,
    { op: 'setSharding', label: undefined, sharding: { strategy: 'hash', shards: SHARDS } },
    { op: 'setSharding', label: 'Person', sharding: { strategy: 'hash', shards: SHARDS, key: 'id' } },
    { op: 'setSharding', label: 'Post', sharding: { strategy: 'range', shards: SHARDS, key: 'created', ranges: [300n, 600n] } },
  ]),
  'graph-aware': mapOf([...base, { op: 'setSharding', label: undefined, sharding: { strategy: 'graph-aware', shards: SHARDS } }]),
};

/** Queries a user runs; ORDER BY ones are compared in order, the others as multisets. */
const QUERIES: [string, Record<string, Value>?][] = [
  ['MATCH (p:Person {id: 7}) RETURN p.name AS name'],
  ['MATCH (p:Person) WHERE p.id = $id RETURN p', { id: 11n }],
  ['MATCH (n) RETURN count(n) AS c'],
  ['MATCH ()-[r]->() RETURN count(r) AS c'],
  ['MATCH (p:Person) RETURN count(*) AS c, sum(p.age) AS s, min(p.age) AS lo, max(p.age) AS hi, avg(p.age) AS mean'],
  ['MATCH (p:Person) WHERE p.age > 60 RETURN p.id AS id ORDER BY id'],
  ['MATCH (p:Person)-[:LIVES_IN]->(c:City) RETURN c.name AS city, count(p) AS n ORDER BY city'],
  ['MATCH (a:Person {id: 3})-[:KNOWS]->(b)-[:KNOWS]->(c) RETURN DISTINCT c.id AS id ORDER BY id'],
  ['MATCH (a:Person {id: 5})-[:KNOWS*1..3]->(b:Person) RETURN count(DISTINCT b) AS reach'],
  ['MATCH (a:Person)<-[:KNOWS]-(b:Person) WHERE a.id < 6 RETURN a.id AS a, collect(b.id) AS from ORDER BY a'],
  ['MATCH (p:Person) RETURN p.name AS name ORDER BY p.age DESC, p.id LIMIT 5'],
  ['MATCH (m:Post) WHERE m.created >= 300 AND m.created < 450 RETURN m.id AS id ORDER BY id'],
  ['MATCH (p:Person)-[:LIKES]->(m:Post) WHERE m.created < 100 RETURN p.id AS p, m.id AS m ORDER BY p, m'],
  ['MATCH (p:Person) OPTIONAL MATCH (p)-[:LIKES]->(m:Post {title: "t1"}) RETURN p.id AS p, count(m) AS n ORDER BY n DESC, p LIMIT 7'],
  ['MATCH (p:Person) WHERE EXISTS { (p)-[:KNOWS]->(:Person {age: 20}) } RETURN count(p) AS c'],
  ['MATCH path = (a:Person {id: 2})-[:KNOWS]->(b) RETURN path'],
  ['MATCH (c:City) RETURN c.name AS name, size([(c)<-[:LIVES_IN]-(p) | p]) AS people ORDER BY name'],
  ['MATCH (a:Person)-[k:KNOWS]->(b:Person) WHERE k.since > 70 RETURN a.id AS a, b.id AS b, k.since AS s ORDER BY s, a, b LIMIT 10'],
  ['MATCH (p:Person) WITH p.age % 5 AS bucket, count(*) AS n RETURN bucket, n ORDER BY bucket'],
  ['CALL db.labels() YIELD label RETURN label ORDER BY label'],
  ['MATCH (p:Person {id: 99999}) RETURN p'],
  // Shapes the shards run themselves (pushdown.ts), merged here:
  ['MATCH (p:Person) WHERE p.age < $age RETURN p.age % 3 AS k, count(*) AS n, sum(p.id) AS s, min(p.name) AS lo, avg(p.age) AS mean ORDER BY k', { age: 40n }],
  ['MATCH (p:Person) RETURN p.age AS age, count(p) AS n ORDER BY n DESC, age LIMIT 4'],
  ['MATCH (p:Person) RETURN DISTINCT p.age % 7 AS r ORDER BY r DESC SKIP 2 LIMIT 3'],
  ['MATCH (p:Person) WHERE p.id > 100 RETURN p.name ORDER BY p.id SKIP 3 LIMIT 4'],
  ['MATCH (m:Post {title: "t3"}) RETURN count(m) AS c, max(m.created) AS newest, avg(m.nothing) AS none'],
  ['MATCH (m:Post) WHERE m.created > 10000 RETURN count(*) AS c, sum(m.id) AS s, min(m.id) AS lo, avg(m.id) AS mean'],
  ['MATCH (c:City) RETURN c.size * 2 AS twice, toUpper(c.name) AS name ORDER BY twice DESC'],
  ['MATCH (p:Person) RETURN p ORDER BY p.id LIMIT 2'],
];

function stringify(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
}

function rowsOf(rows: readonly (readonly Value[])[], ordered: boolean): string[] {
  const out = rows.map((r) => stringify(r.map(toResultValue)));
  return ordered ? out : out.sort();
}

describe('ShardCoordinator', () => {
  const whole = socialGraph(42, 120);
  const single = new QueryEngine(whole);

  for (const [name, map] of Object.entries(maps)) {
    it(`answers every query as one database holding the whole graph would (${name})`, async () => {
      const shards = new InProcessShards(shardGraph(whole, map));
      // Every shard holds part of the graph.
      for (const s of shards.stores.values()) expect(s.nodeCount).toBeGreaterThan(0);
      const coord = new ShardCoordinator(map, shards);
      for (const [q, params = {}] of QUERIES) {
        const want = single.run(q, params);
        const got = await coord.run(q, params);
        const ordered = /ORDER BY/.test(q);
        expect(rowsOf(got.result.rows, ordered), q).toEqual(rowsOf(want.rows, ordered));
        expect(got.result.columns, q).toEqual(want.columns);
      }
    });
  }

  it('prunes: a lookup by the shard key asks one shard, a range only the overlapping ranges, a scan all', async () => {
    const map = maps['hash by key, range on posts']!;
    const shards = new InProcessShards(shardGraph(whole, map));
    const coord = new ShardCoordinator(map, shards);
    const lookup = await coord.run('MATCH (p:Person {id: 7}) RETURN p.name AS name');
    expect(lookup.shards).toHaveLength(1);
    expect(coord.crossShardQueries).toBe(0);
    const scan = await coord.run('MATCH (p:Person) RETURN count(p) AS c');
    expect(scan.shards).toEqual(SHARDS);
    expect(coord.crossShardQueries).toBe(1);
  });

  it('pushes reads of one label down to the shards: one request per shard, no nodes fetched, the same answer', async () => {
    const map = maps['hash by key, range on posts']!;
    const shards = new InProcessShards(shardGraph(whole, map));
    const coord = new ShardCoordinator(map, shards);
    const count = await coord.run('MATCH (p:Person) WHERE p.age > 30 RETURN count(p) AS c, avg(p.age) AS mean');
    expect(count.pushedDown).toBe(true);
    expect(count.fetches).toBe(SHARDS.length);
    expect(count.result.rows).toEqual(single.run('MATCH (p:Person) WHERE p.age > 30 RETURN count(p) AS c, avg(p.age) AS mean', {}).rows);
    const topK = await coord.run('MATCH (p:Person) RETURN p.id AS id, p.age AS age ORDER BY age DESC, id LIMIT 3');
    expect(topK.pushedDown).toBe(true);
    // A range predicate on the range-sharded key still prunes.
    const range = await coord.run('MATCH (m:Post) WHERE m.created < 200 RETURN count(m) AS c');
    expect(range.pushedDown).toBe(true);
    expect(range.shards).toEqual([0]);
    // Entities in the rows, patterns and subqueries go the general way.
    for (const q of ['MATCH (p:Person) RETURN p LIMIT 1', 'MATCH (p:Person)-[:KNOWS]->(q) RETURN count(q) AS c', 'MATCH (p:Person) WHERE EXISTS { (p)-->() } RETURN count(p) AS c']) {
      expect((await coord.run(q)).pushedDown, q).toBeUndefined();
    }
    expect(coord.pushedDownQueries).toBe(3);
  });

  it('EXPLAIN shows where a statement runs: pushed down to which shards, or fetched from which', async () => {
    const map = maps['hash by key, range on posts']!;
    const coord = new ShardCoordinator(map, new InProcessShards(shardGraph(whole, map)));
    const plan = async (q: string): Promise<string> => (await coord.run(`EXPLAIN ${q}`)).result.plan!;
    expect(await plan('MATCH (p:Person) RETURN count(p) AS c')).toContain('Coordinator: pushed down to 3 of 3 shards [0, 1, 2]');
    expect(await plan('MATCH (p:Person {id: 7}) RETURN p.name AS n')).toMatch(/pushed down to 1 of 3 shards \[\d\]/);
    const hop = await plan('MATCH (m:Post)<-[:LIKES]-(p:Person) WHERE m.created < 200 RETURN count(p) AS c');
    expect(hop).toContain('Coordinator: fetches from 1 of 3 shards [0] where the patterns start');
    expect(hop).toContain('m:Post pruned to 1 of 3 shards [0] (range)');
  });

  it('falls back to the general path, with the statement\'s own error, when a pushed-down part fails', async () => {
    const map = maps['hash by node id']!;
    const coord = new ShardCoordinator(map, new InProcessShards(shardGraph(whole, map)));
    await expect(coord.run('MATCH (p:Person) RETURN p.name + $missing AS x')).rejects.toSatisfy((e: unknown) => isGeodeError(e, 'GQL_PARAMETER_MISSING'));
    await expect(coord.run('MATCH (p:Person) RETURN nosuch(p.age) AS x')).rejects.toSatisfy(
      (e: unknown) => isGeodeError(e) && (e as Error).message.includes('nosuch') && (e as Error).message.includes('line 1, column 25'),
    );
  });

  it('takes a few rounds per hop, not one per node', async () => {
    const map = maps['hash by node id']!;
    const coord = new ShardCoordinator(map, new InProcessShards(shardGraph(whole, map)));
    const twoHop = await coord.run('MATCH (a:Person {id: 3})-[:KNOWS]->(b)-[:KNOWS]->(c) RETURN count(c) AS n');
    expect(twoHop.rounds).toBeLessThanOrEqual(8);
  });

  it('refuses writes with a clear error, and stops a statement past its round limit', async () => {
    const map = maps['hash by node id']!;
    const coord = new ShardCoordinator(map, new InProcessShards(shardGraph(whole, map)), { roundsMax: 2 });
    await expect(coord.run('CREATE (:X)')).rejects.toSatisfy((e: unknown) => isGeodeError(e, 'INPUT_INVALID') && (e as { detail?: string }).detail === 'ShardedWrite');
    await expect(coord.run('MATCH (a:Person {id: 3})-[:KNOWS*1..4]->(b) RETURN count(b)')).rejects.toSatisfy(
      (e: unknown) => isGeodeError(e, 'LIMIT_EXCEEDED') && (e as { detail?: string }).detail === 'CoordinatorRounds',
    );
  });
});
