/**
 * A sharded cluster in this process: a relay and five peers (memory storage) with three shards of
 * three replicas each. The shard map forms from the configuration, placement puts each shard's
 * voters on distinct peers with the leaders spread, reads go through the coordinator (a key lookup
 * asks one shard, a scan all three), inserts land on their key's shard, single-shard updates run
 * there, and an update spanning shards commits on all of them (a transaction of its own), while a
 * schema command is refused with CrossShardWrite. Last, the peer holding the most replicas goes:
 * placement re-creates every one of them on the others, one move at a time (`max_moves: 1`), and
 * the map ends with no replica on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Geode } from '../../src/node.ts';
import { startShardedPeers, until, type ShardedPeers } from './in-process-helpers.ts';

const CLUSTER = { id: 'shards-in-process', secret: 'sharded' };
// fail_after_ms: generous, so a peer slowed by a busy machine is not taken for failed (replicas would move).
// max_moves 1: the re-creation of a gone peer's replicas runs one move at a time (the last test).
const config = { sharding: { shards: 3, labels: { Person: { strategy: 'hash', key: 'id' } }, fail_after_ms: 5_000, max_moves: 1 }, replication: { factor: 3 } };

describe('a sharded cluster of five peers in process', () => {
  let cluster: ShardedPeers | undefined;
  const peers: Geode[] = [];

  beforeAll(async () => {
    cluster = await startShardedPeers(CLUSTER, 5, config, 3, 100_000);
    peers.push(...cluster.peers);
  }, 120_000);

  afterAll(() => cluster?.close());

  it('places each shard on three distinct peers and spreads the leaders', () => {
    const rows = peers[0]!.cluster!.sharding!.shards();
    for (const r of rows) expect(new Set(r.replicas).size).toBe(3);
    expect(new Set(rows.map((r) => r.leader)).size).toBeGreaterThan(1);
  });

  it('inserts land on their shard and reads through any peer see them all', async () => {
    for (let i = 1; i <= 30; i++) await peers[i % 5]!.query('CREATE (:Person {id: $id, name: $name})', { id: BigInt(i), name: `p${i}` });
    const count = await peers[2]!.query('MATCH (p:Person) RETURN count(p) AS n');
    expect(count.rows[0]!['n']).toBe(30n);
    expect(count.shards).toEqual([0, 1, 2]);
    const one = await peers[3]!.query('MATCH (p:Person {id: 7}) RETURN p.name AS name');
    expect(one.rows).toEqual([{ name: 'p7' }]);
    expect(one.shards?.length).toBe(1);
  });

  it('a single-shard update runs on its shard; an update spanning shards lands on every shard; a schema command is refused', async () => {
    const r = await peers[1]!.query('MATCH (p:Person {id: 7}) SET p.age = 40');
    expect(r.shards?.length).toBe(1);
    const got = await peers[4]!.query('MATCH (p:Person {id: 7}) RETURN p.age AS age');
    expect(got.rows).toEqual([{ age: 40n }]);
    const all = await peers[0]!.query('MATCH (p:Person) SET p.seen = true');
    expect(all.shards!.length).toBeGreaterThan(1);
    const seen = await peers[2]!.query('MATCH (p:Person) RETURN count(p) AS n, count(p.seen) AS s');
    expect(seen.rows[0]!['s']).toBe(seen.rows[0]!['n']);
    await expect(peers[0]!.query('CREATE INDEX ON :Person(name)')).rejects.toMatchObject({ code: 'INPUT_INVALID', detail: 'CrossShardWrite' });
  });

  it('cross_shard_queries counts statements that asked several shards, not pruned lookups', async () => {
    const stats = peers[4]!.cluster!.sharding!.stats;
    const before = stats().crossShardQueries;
    await peers[4]!.query('MATCH (p:Person {id: 3}) RETURN p.name AS name');
    expect(stats().crossShardQueries).toBe(before);
    await peers[4]!.query('MATCH (p:Person) RETURN count(p.name) AS n');
    expect(stats().crossShardQueries).toBe(before + 1);
    const explain = await peers[4]!.query('EXPLAIN MATCH (p:Person {id: 3}) RETURN p');
    expect(explain.shards?.length).toBe(1);
    expect(explain.plan).toContain('Shards:');
  });

  it('CALL db.cluster.shards() answers one row per shard', async () => {
    const r = await peers[2]!.query('CALL db.cluster.shards()');
    expect(r.rows.length).toBe(3);
    const total = r.rows.reduce((a, row) => a + Number(row['nodes']), 0);
    expect(total).toBe(30);
  });

  it("re-creates a gone peer's replicas on the others, one move at a time, until the map lists none on it", async () => {
    const map = peers[0]!.cluster!.sharding!.map();
    const held = (p: Geode): number => map.shards.filter((s) => s.replicas.some((r) => r === p.cluster!.self)).length;
    const victim = [...peers].sort((a, b) => held(b) - held(a))[0]!;
    expect(held(victim)).toBeGreaterThan(1); // 9 replicas on 5 peers: some peer holds two or more
    const gone = victim.cluster!.self;
    const survivors = peers.filter((p) => p !== victim);
    await victim.close();
    await until(
      "every shard back to three voters on live peers, in the map and in the groups",
      () =>
        survivors.every((p) => {
          const m = p.cluster!.sharding!.map();
          const rows = p.cluster!.sharding!.shards();
          return m.shards.every((s) => s.replicas.length === 3 && !s.replicas.some((r) => r === gone)) && rows.every((r) => r.replicas.length === 3 && !r.replicas.includes(gone) && r.leader !== null && r.leader !== gone);
        }),
      60_000,
    );
    const r = await survivors[0]!.query('MATCH (p:Person) RETURN count(p) AS n');
    expect(r.rows[0]!['n']).toBeGreaterThan(0n);
  }, 90_000);
});
