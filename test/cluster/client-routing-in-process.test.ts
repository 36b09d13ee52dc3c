/**
 * Client-side routing (src/cluster/client-router.ts) in a sharded cluster in this process: a cluster
 * client caches the shard map and sends a pruned lookup, a single-shard update and an insert that
 * lands on one shard straight to that shard's leader, which runs it on the group it leads (the
 * members' router counters show no read confirmed through another peer and no insert forwarded);
 * a scatter read still goes to any member. After a leader moves, and with a client map kept stale
 * across a split, every answer is still right and no acknowledged write is lost or doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeode, type Geode } from '../../src/node.ts';
import { isGeodeError } from '../../src/util/errors.ts';
import { startShardedPeers, until, type ShardedPeers } from './in-process-helpers.ts';

const SECRET = 'client-routing';

/** Sums a router counter over the members. */
function total(peers: readonly Geode[], key: 'leaderReads' | 'followerReads' | 'localWrites' | 'forwardedWrites' | 'queries' | 'pointReads'): number {
  return peers.reduce((a, p) => a + p.cluster!.sharding!.router[key], 0);
}

async function openClient(id: string, cluster: ShardedPeers, shards: number): Promise<Geode> {
  const client = await openGeode({ cluster: { id, secret: SECRET, relays: [cluster.relay.addrs()[0]!], client: true } });
  await until('the client to reach the members and know every shard leader', () => client.cluster!.transport.connected().length === cluster.peers.length);
  // The first statement starts the map's refresh; route once it answered.
  await until('the client to cache the shard map', async () => {
    await client.query('MATCH (n:Person {id: -1}) RETURN n').catch(() => undefined);
    return (client.cluster!.clientRouting!.map()?.shards.length ?? 0) >= shards;
  });
  return client;
}

describe('client-side routing over three shards', () => {
  const id = 'client-routing-in-process';
  let cluster: ShardedPeers | undefined;
  let client: Geode | undefined;

  beforeAll(async () => {
    cluster = await startShardedPeers({ id, secret: SECRET }, 3, { sharding: { shards: 3, labels: { Person: { strategy: 'hash', key: 'id' } }, fail_after_ms: 5_000 }, replication: { factor: 3 } }, 3);
    client = await openClient(id, cluster, 3);
  }, 90_000);

  afterAll(async () => {
    await client?.close().catch(() => {});
    await cluster?.close();
  });

  it('sends single-shard inserts, lookups and updates to the shard leader: no forwarded write, no read through another peer', async () => {
    const peers = cluster!.peers;
    const routing = client!.cluster!.clientRouting!;
    // Leaders settle after the start (placement spreads them): wait until the client's view and the map agree.
    await until('the leaders to settle', () => peers.every((p) => p.cluster!.sharding!.shards().every((r) => r.leader !== null && p.cluster!.sharding!.map().shards.every((s) => s.leader === r.leader || s.id !== r.shard))));
    const before = { direct: routing.direct, fw: total(peers, 'forwardedWrites'), lw: total(peers, 'localWrites'), fr: total(peers, 'followerReads'), lr: total(peers, 'leaderReads'), q: total(peers, 'queries'), pr: total(peers, 'pointReads') };
    const N = 30;
    for (let i = 1; i <= N; i++) await client!.query('CREATE (:Person {id: $id, name: $name})', { id: BigInt(i), name: `p${i}` });
    for (let i = 1; i <= N; i++) await client!.query('CREATE (:Item {k: $k})', { k: BigInt(i) }); // placed by id: the leader gives it an id of its shard
    for (let i = 1; i <= N; i++) {
      const r = await client!.query('MATCH (p:Person {id: $id}) RETURN p.name AS name', { id: BigInt(i) });
      expect(r.rows).toEqual([{ name: `p${i}` }]);
    }
    const upd = await client!.query('MATCH (p:Person {id: 7}) SET p.age = 40');
    expect(upd.writes).toBe(1);
    expect(routing.direct - before.direct).toBe(3 * N + 1);
    expect(total(peers, 'queries') - before.q).toBe(3 * N + 1); // each statement ran once, on one member
    // Leaders may move while the test runs (placement's spread): allow a hop or two, not the 2 in 3 a single router member forwards.
    expect(total(peers, 'forwardedWrites') - before.fw).toBeLessThanOrEqual(2);
    expect(total(peers, 'localWrites') - before.lw).toBeGreaterThanOrEqual(2 * N - 1);
    expect(total(peers, 'followerReads') - before.fr).toBeLessThanOrEqual(2);
    expect(total(peers, 'leaderReads') - before.lr).toBeGreaterThanOrEqual(N);
    // The lookups ran as plain queries on the group their leader leads, not through the coordinator.
    expect(total(peers, 'pointReads') - before.pr).toBeGreaterThanOrEqual(N - 2);
    // Scans go to any member and see everything.
    const routedBefore = routing.routed;
    const people = await client!.query('MATCH (p:Person) RETURN count(p) AS n');
    expect(people.rows[0]!['n']).toBe(BigInt(N));
    const items = await client!.query('MATCH (i:Item) RETURN count(i) AS n, count(DISTINCT i.k) AS k');
    expect(items.rows[0]).toEqual({ n: BigInt(N), k: BigInt(N) });
    expect(routing.routed - routedBefore).toBe(2);
    // Items were spread over the shards (each leader placed its own).
    const rows = peers[0]!.cluster!.sharding!.shards();
    expect(rows.filter((r) => (r.nodes ?? 0) > 0).length).toBe(3);
  }, 60_000);

  it('after a leader moves, lookups and writes through the client still answer right', async () => {
    const peers = cluster!.peers;
    const map = peers[0]!.cluster!.sharding!.map();
    const shard = map.shards[0]!;
    const leader = peers.find((p) => p.cluster!.self === shard.leader)!;
    const moved = await leader.cluster!.host!.stepDown({ group: shard.group });
    expect(moved).toBeDefined();
    // Right away, before the client heard of the new leader.
    for (let i = 1; i <= 30; i++) {
      const r = await client!.query('MATCH (p:Person {id: $id}) RETURN p.name AS name', { id: BigInt(i) });
      expect(r.rows).toEqual([{ name: `p${i}` }]);
    }
    for (let i = 31; i <= 40; i++) await client!.query('CREATE (:Person {id: $id, name: $name})', { id: BigInt(i), name: `p${i}` });
    const all = await client!.query('MATCH (p:Person) RETURN p.id AS id');
    const ids = all.rows.map((r) => Number(r['id'])).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  }, 60_000);
});

describe('a client whose shard map is stale across a split', () => {
  const id = 'client-routing-split';
  let cluster: ShardedPeers | undefined;
  let client: Geode | undefined;

  beforeAll(async () => {
    cluster = await startShardedPeers({ id, secret: SECRET }, 3, { sharding: { shards: 2, labels: { Person: { strategy: 'hash', key: 'id' } }, fail_after_ms: 5_000, split_threshold_nodes: 40 }, replication: { factor: 3 } }, 2);
    client = await openClient(id, cluster, 2);
  }, 90_000);

  afterAll(async () => {
    await client?.close().catch(() => {});
    await cluster?.close();
  });

  it('routes by its old map while shards split: every answer right, no acknowledged write lost or doubled', async () => {
    const routing = client!.cluster!.clientRouting!;
    routing.autoRefresh = false; // keep the two-shard map through the splits
    const PEOPLE = 110;
    const acked = new Set<number>();
    const unknown = new Set<number>();
    for (let i = 1; i <= PEOPLE; i++) {
      try {
        await client!.query('CREATE (:Person {id: $id, name: $name})', { id: BigInt(i), name: `p${i}` });
        acked.add(i);
      } catch (err) {
        if (!isGeodeError(err)) throw err;
        unknown.add(i);
      }
    }
    const peers = cluster!.peers;
    await until('a split to finish', () => peers.every((p) => p.cluster!.sharding!.map().shards.length >= 3 && p.cluster!.sharding!.map().splits.length === 0), 45_000);
    expect(routing.map()!.shards.length).toBe(2); // still the old map
    expect(acked.size).toBeGreaterThan(PEOPLE * 0.9);
    const directBefore = routing.direct;
    for (const i of acked) {
      const r = await client!.query('MATCH (p:Person {id: $id}) RETURN p.name AS name', { id: BigInt(i) });
      expect(r.rows).toEqual([{ name: `p${i}` }]);
    }
    // Routed by the stale map (a few without a preference while a shard's leader was not known), answered right.
    expect(routing.direct - directBefore).toBeGreaterThanOrEqual(acked.size * 0.9);
    const all = await client!.query('MATCH (p:Person) RETURN p.id AS id');
    const ids = all.rows.map((r) => Number(r['id']));
    expect(new Set(ids).size).toBe(ids.length);
    for (const i of acked) expect(ids).toContain(i);
    for (const i of ids) expect(acked.has(i) || unknown.has(i)).toBe(true);
    // Refreshed, it knows the new shards.
    await routing.refresh();
    expect(routing.map()!.shards.length).toBeGreaterThanOrEqual(3);
  }, 90_000);
});
