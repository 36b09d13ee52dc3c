import { describe, expect, it } from 'vitest';
import { parse } from '../gql/index.ts';
import { planWrite } from './shard-writes.ts';
import { initialShardMap, validateShardingConfig } from './sharding-config.ts';

const map = initialShardMap(validateShardingConfig({ sharding: { shards: 3, labels: { Person: { strategy: 'hash', key: 'id' }, Post: { strategy: 'range', key: 'at', ranges: [100, 200] } } } }));
const plan = (text: string, params: Record<string, unknown> = {}): ReturnType<typeof planWrite> => planWrite(parse(text), params as never, map);

describe('planWrite: the path of a write on a sharded graph', () => {
  it('a statement that only creates is an insert (placed node by node later)', () => {
    expect(plan('CREATE (:Person {id: 1})')).toEqual({ kind: 'insert' });
    expect(plan('UNWIND range(1, 10) AS i CREATE (p:Person {id: i}) RETURN p')).toEqual({ kind: 'insert' });
  });

  it('an update of nodes matched by their shard keys on one shard runs on that shard', () => {
    const one = plan('MATCH (p:Person {id: 7}) SET p.age = 3');
    expect(one.kind).toBe('shard');
    const two = plan('MATCH (a:Post {at: 150}), (b:Post) WHERE b.at = 160 CREATE (a)-[:NEXT]->(b)');
    expect(two).toEqual({ kind: 'shard', shard: 1 });
  });

  it('writes that may touch several shards are refused, saying why', () => {
    for (const q of [
      'MATCH (p:Person) SET p.seen = true',
      'MATCH (a:Post {at: 50}), (b:Post {at: 250}) CREATE (a)-[:NEXT]->(b)',
      'MATCH (p:Person {id: 7})-[:KNOWS]->(q) SET q.x = 1',
      'MATCH (p:Person {id: 7}) DETACH DELETE p',
      'MERGE (p:Person {id: 7})',
      'MATCH (p:Person {id: 7}) SET p.id = 8',
      'MATCH (p:Person {id: 7}) SET p:Admin',
      'MATCH (p:Person {id: 7}) CREATE (p)-[:WROTE]->(:Post {at: 5})',
    ]) {
      const r = plan(q);
      expect(r.kind, q).toBe('refuse');
    }
  });
});
