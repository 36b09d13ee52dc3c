import { describe, expect, it } from 'vitest';
import { parse } from '../gql/index.ts';
import { toEngineParams } from '../shard/index.ts';
import { insertDestination, routeStatement, ShardedClientRouter, staticInsert, type RoutingClient } from './client-router.ts';
import { encodeChange, foldChanges } from './meta-store.ts';
import type { PeerId } from '../net/types.ts';
import { isPointShape } from './sharded-router.ts';
import { shardingOf, shardOfNode } from './shard-map.ts';
import { initialChanges, initialShardMap, validateShardingConfig } from './sharding-config.ts';

const map = initialShardMap(validateShardingConfig({ sharding: { shards: 3, labels: { Person: { strategy: 'hash', key: 'id' }, Post: { strategy: 'range', key: 'at', ranges: [100, 200] } } } }));
const personShard = (id: bigint): number => shardOfNode(shardingOf(map, ['Person']), id, new Map([['id', id]]))!;
const route = (text: string, params: Record<string, unknown> = {}): ReturnType<typeof routeStatement> => routeStatement(text, parse(text), toEngineParams(params), map);

describe('client routing decisions', () => {
  it('sends a lookup by the shard key, an update of one keyed node and an insert landing on one shard to that shard', () => {
    expect(route('MATCH (p:Person {id: $id}) RETURN p.name', { id: 7n })).toEqual({ kind: 'shard', shard: personShard(7n) });
    expect(route('MATCH (p:Person {id: 7}) SET p.age = 3')).toEqual({ kind: 'shard', shard: personShard(7n) });
    expect(route('CREATE (:Person {id: $id, name: "a"})', { id: 9n })).toEqual({ kind: 'shard', shard: personShard(9n) });
    expect(route('CREATE (:Post {at: 150})')).toEqual({ kind: 'shard', shard: 1 });
  });

  it('sends a node placed by its id to any of its spread`s leaders, and everything else to any member', () => {
    expect(route('CREATE (:Item {k: 1})')).toEqual({ kind: 'anyOf', shards: [0, 1, 2] });
    expect(route('MATCH (p:Person) RETURN count(p)')).toEqual({ kind: 'member' });
    expect(route('EXPLAIN MATCH (p:Person {id: 1}) RETURN p')).toEqual({ kind: 'member' });
    expect(route('CALL db.cluster.shards()')).toEqual({ kind: 'member' });
    const a = 1n;
    let b = 2n;
    while (personShard(b) === personShard(a)) b++;
    expect(route('CREATE (:Person {id: $a})-[:KNOWS]->(:Person {id: $b})', { a, b })).toEqual({ kind: 'member' });
    expect(route('MATCH (p:Person) DETACH DELETE p')).toEqual({ kind: 'member' });
  });

  it('reads a plain insert off its text as the engine would run it, and leaves the rest to the engine', () => {
    const text = 'CREATE (a:Person {id: $id, name: "x"})-[:KNOWS]->(b:Person {id: 2}), (a)-[:LIKES]->(b)';
    const quick = staticInsert(parse(text), toEngineParams({ id: 1n }));
    expect(quick?.nodes.map((n) => [n.labels, [...n.props]])).toEqual([
      [['Person'], [['id', 1n], ['name', 'x']]],
      [['Person'], [['id', 2n]]],
    ]);
    expect(quick?.edges).toBe(2);
    for (const id of [1n, 2n, 3n, 4n]) {
      const t = 'CREATE (:Person {id: $id})';
      expect(insertDestination(t, toEngineParams({ id }), map, parse(t))).toEqual(insertDestination(t, toEngineParams({ id }), map));
    }
    expect(staticInsert(parse('UNWIND [1, 2] AS i CREATE (:Person {id: i})'), {})).toBeUndefined();
    expect(staticInsert(parse('CREATE (:Person {id: 1 + 1})'), {})).toBeUndefined();
  });
});

describe('point reads on the shard leader (isPointShape)', () => {
  it('takes one MATCH of one labelled node then RETURN', () => {
    expect(isPointShape(parse('MATCH (p:Person {id: $id}) RETURN p.firstName AS f'))).toBe(true);
    expect(isPointShape(parse('MATCH (p:Person) WHERE p.id = 3 AND p.age > 2 RETURN p, labels(p) ORDER BY p.age LIMIT 3'))).toBe(true);
  });

  it('refuses anything that may leave the node: relationships, pattern expressions, subqueries, CALL, several patterns or clauses', () => {
    for (const text of [
      'MATCH (p:Person {id: 1})-[:KNOWS]->(q) RETURN q',
      'MATCH (p:Person {id: 1}) RETURN size([(p)-->(q) | q]) AS n',
      'MATCH (p:Person {id: 1}) WHERE (p)-->() RETURN p',
      'MATCH (p:Person {id: 1}) WHERE EXISTS { (p)-[:KNOWS]->() } RETURN p',
      'MATCH (p:Person {id: 1}) RETURN COUNT { (p)--() } AS n',
      'MATCH (p:Person {id: 1}), (q:Person {id: 2}) RETURN p, q',
      'MATCH (p {id: 1}) RETURN p',
      'OPTIONAL MATCH (p:Person {id: 1}) RETURN p',
      'MATCH (p:Person {id: 1}) WITH p RETURN p',
      'EXPLAIN MATCH (p:Person {id: 1}) RETURN p',
    ]) {
      expect(isPointShape(parse(text)), text).toBe(false);
    }
  });
});

describe('the leader a node placed by its id is sent to (ShardedClientRouter)', () => {
  it('is the one with the fewest of the router`s statements under way, so writers answered together go back together', async () => {
    const shardMap = foldChanges(initialChanges(validateShardingConfig({ sharding: { shards: 3 } })).map(encodeChange));
    const groups = shardMap.shards.map((s) => s.group);
    const held: { peer: PeerId | undefined; done: () => void }[] = [];
    const client: RoutingClient = {
      knownGroups: () => [0, ...groups],
      leaderOf: (g) => `leader-${g}` as PeerId,
      query: (text, _params, _options, prefer) => {
        if (text.startsWith('CALL db.cluster.mapChanges')) {
          const rows = initialChanges(validateShardingConfig({ sharding: { shards: 3 } })).map((c, i) => ({ seq: BigInt(i + 1), change: encodeChange(c) }));
          return Promise.resolve({ columns: ['seq', 'change'], rows, writes: 0 } as never);
        }
        return new Promise((ok) => held.push({ peer: prefer, done: () => ok({ columns: [], rows: [], writes: 1 } as never) }));
      },
    };
    const router = new ShardedClientRouter(client);
    await router.refresh();
    const runs = Array.from({ length: 6 }, () => router.run('CREATE (:Item {k: 1})', {}));
    const count = (peer: string): number => held.filter((h) => h.peer === peer).length;
    const leaders = groups.map((g) => `leader-${g}`);
    expect(leaders.map(count)).toEqual([2, 2, 2]); // spread evenly
    // The two statements of one leader answered: the next two go to that leader (it has none under way).
    const first = leaders[1]!;
    for (const h of held.filter((x) => x.peer === first)) h.done();
    await Promise.all(runs.filter((_, i) => held[i]!.peer === first));
    held.splice(0, held.length, ...held.filter((h) => h.peer !== first));
    const more = [router.run('CREATE (:Item {k: 2})', {}), router.run('CREATE (:Item {k: 3})', {})];
    expect(held.slice(-2).map((h) => h.peer)).toEqual([first, first]);
    for (const h of held) h.done();
    await Promise.all([...runs, ...more]);
    expect(router.direct).toBe(8);
  });
});
