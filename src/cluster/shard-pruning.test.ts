import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from '../gql/index.ts';
import type { Value } from '../graph/index.ts';
import { PointKeyCache, pointKeyOf, pruneShards } from './shard-pruning.ts';
import { applyShardMapChange, emptyShardMap, shardOfNode, type ShardMapChange, type ShardMapState } from './shard-map.ts';

const map: ShardMapState = (
  [
    ...[0, 1, 2, 3].map((i): ShardMapChange => ({ op: 'addShard', shard: i, group: i + 1 })),
    { op: 'setSharding', label: undefined, sharding: { strategy: 'hash', shards: [0, 1, 2, 3] } },
    { op: 'setSharding', label: 'Person', sharding: { strategy: 'hash', shards: [0, 1, 2, 3], key: 'id' } },
    { op: 'setSharding', label: 'Post', sharding: { strategy: 'range', shards: [0, 1, 2, 3], key: 'created', ranges: [100n, 200n, 300n] } },
    { op: 'setSharding', label: 'Forum', sharding: { strategy: 'graph-aware', shards: [0, 1, 2, 3] } },
  ] as ShardMapChange[]
).reduce(applyShardMapChange, emptyShardMap());

const personShard = (id: bigint): number => shardOfNode(map.labels.get('Person')!, 1, new Map<string, Value>([['id', id]]))!;

function touched(q: string, params: Record<string, Value> = {}): readonly number[] {
  return pruneShards(parse(q), params, map).touched;
}

describe('shard pruning', () => {
  it('sends a lookup by the hash key to the one shard that placement chose, however it is written', () => {
    const s = personShard(42n);
    expect(touched('MATCH (p:Person {id: 42}) RETURN p')).toEqual([s]);
    expect(touched('MATCH (p:Person) WHERE p.id = $id RETURN p', { id: 42n })).toEqual([s]);
    expect(touched('MATCH (p:Person) WHERE 42 = p.id AND p.name = "x" RETURN p')).toEqual([s]);
    expect(touched('MATCH (p:Person) WHERE p.id IN [42, 43] RETURN p')).toEqual([...new Set([s, personShard(43n)])].sort());
  });

  it('sends a range query only to the overlapping ranges, and an equality to one', () => {
    expect(touched('MATCH (m:Post) WHERE m.created >= 150 AND m.created < 250 RETURN m')).toEqual([1, 2]);
    expect(touched('MATCH (m:Post) WHERE 150 <= m.created < 200 RETURN count(*)')).toEqual([1]);
    expect(touched('MATCH (m:Post {created: 350}) RETURN m')).toEqual([3]);
    expect(touched('MATCH (m:Post) WHERE m.created > 500 AND m.created < 50 RETURN m')).toEqual([]);
  });

  it('keeps every shard where a predicate cannot prune: OR, other keys, graph-aware labels, no label', () => {
    const all = [0, 1, 2, 3];
    expect(touched('MATCH (p:Person) WHERE p.id = 1 OR p.id = 2 RETURN p')).toEqual(all);
    expect(touched('MATCH (p:Person) WHERE p.name = "Ada" RETURN p')).toEqual(all);
    expect(touched('MATCH (f:Forum {id: 7}) RETURN f')).toEqual(all);
    expect(touched('MATCH (n) RETURN count(n)')).toEqual(all);
    expect(touched('MATCH (m:Post) WHERE m.created <> 150 RETURN m')).toEqual(all);
  });

  it('starts a path on its most pruned node', () => {
    const r = pruneShards(parse('MATCH (p:Person {id: 42})-[:KNOWS]->(q:Person) RETURN q'), {}, map);
    expect(r.starts).toEqual([[personShard(42n)]]);
    expect(r.nodes.map((n) => [n.name, n.shards.length, n.of])).toEqual([
      ['p', 1, 4],
      ['q', 4, 4],
    ]);
  });

  it('prunes id(n) lookups under a hash-by-id spread, but not for labels placed by another label spread', () => {
    const byIdOnly = (
      [...[0, 1, 2, 3].map((i): ShardMapChange => ({ op: 'addShard', shard: i, group: i + 1 })), { op: 'setSharding', label: undefined, sharding: { strategy: 'hash', shards: [0, 1, 2, 3] } }] as ShardMapChange[]
    ).reduce(applyShardMapChange, emptyShardMap());
    const home = shardOfNode(byIdOnly.defaultSharding, 77n, new Map())!;
    expect(pruneShards(parse('MATCH (n:Thing) WHERE id(n) = 77 RETURN n'), {}, byIdOnly).touched).toEqual([home]);
    // With label spreads in the map, a (:Thing:Person) node sits where Person's spread put it.
    expect(touched('MATCH (n:Thing) WHERE id(n) = 77 RETURN n')).toEqual([0, 1, 2, 3]);
  });

  it('prunes a point lookup by its key alone exactly as the full walk does, and takes that path for the usual lookup', () => {
    expect(pointKeyOf(parse('MATCH (p:Person {id: $id}) RETURN p.firstName AS f'), map)).toBeDefined();
    expect(pointKeyOf(parse('MATCH (m:Post {created: 150}) RETURN m'), map)).toBeDefined();
    // Statements of near shapes: a WHERE, two patterns, a relationship, no key, other labels, OPTIONAL, a second MATCH.
    const shapes = [
      'MATCH (p:Person {id: $v}) RETURN p',
      'MATCH (p:Person {id: $v, name: "x"}) RETURN p.name',
      'MATCH (p:Person {name: $v}) RETURN p',
      'MATCH (p:Person {id: $v}) WHERE p.id = $w RETURN p',
      'MATCH (p:Person {id: $v} WHERE p.id = $w) RETURN p',
      'MATCH (p:Person {id: $w}), (q:Person {id: $v}) RETURN p, q',
      'MATCH (p:Person {id: $v})-[:KNOWS]->(q) RETURN q',
      'OPTIONAL MATCH (p:Person {id: $v}) RETURN p',
      'MATCH (p:Person {id: $v}) MATCH (q:Person {id: $w}) RETURN p, q',
      'MATCH (p:Person:Post {id: $v}) RETURN p',
      'MATCH (p:Post:Person {created: $v}) RETURN p',
      'MATCH (m:Post {created: $v}) RETURN m',
      'MATCH (f:Forum {id: $v}) RETURN f',
      'MATCH (x:Other {id: $v}) RETURN x',
      'MATCH (x {id: $v}) RETURN x',
      'MATCH (p:Person {id: 7}) RETURN p',
      'MATCH (p:Person {id: null}) RETURN p',
      'MATCH (p:Person {id: "seven"}) RETURN p',
      'MATCH (p:Person {id: 1.5}) RETURN p',
      'RETURN $v AS v',
    ].map((q) => parse(q));
    const value = fc.oneof(fc.bigInt({ min: -1000n, max: 1000n }), fc.integer({ min: 0, max: 400 }), fc.string({ maxLength: 4 }), fc.constant(null), fc.double({ noNaN: true }), fc.boolean());
    const params = fc.record({ v: value, w: value }, { requiredKeys: [] });
    const cache = new PointKeyCache();
    fc.assert(
      fc.property(fc.constantFrom(...shapes), params, (stmt, p) => {
        expect(cache.touched(stmt, p as Record<string, Value>, map)).toEqual(pruneShards(stmt, p as Record<string, Value>, map).touched);
      }),
      { numRuns: 3000 },
    );
  });
});

