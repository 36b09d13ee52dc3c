/**
 * bench:xshard — atomic cross-shard inserts between member processes' hosts, in this process:
 * four peers (memory storage, a loopback relay), three shards of three replicas, Person hashed by
 * id. Measures, through a member that leads neither shard group: the latency of an insert on one
 * shard (one log entry) against an insert of an edge across two shards (two-phase commit: prepares,
 * the decision on the meta group, resolutions), one after another, then inserts per second of
 * each kind with `--concurrency` in flight. Prints one JSON line.
 *
 *   npm run bench:xshard -- --n 200 --concurrency 16
 */
import { createRelay, openGeode, type Geode } from '../src/node.ts';
import { shardingOf, shardOfNode } from '../src/cluster/shard-map.ts';
import { numberArg, quantile } from './bench-util.ts';

const n = numberArg('n', 200);
const concurrency = numberArg('concurrency', 16);
const config = { sharding: { shards: 3, labels: { Person: { strategy: 'hash', key: 'id' } } }, replication: { factor: 3 } };

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('the cluster did not form in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const relay = await createRelay();
const relays = [relay.addrs()[0]!];
const cluster = { id: 'bench-xshard', secret: 'bench' };
const peers: Geode[] = [await openGeode({ cluster: { ...cluster, relays, bootstrap: true, config } })];
for (let i = 0; i < 3; i++) peers.push(await openGeode({ cluster: { ...cluster, relays, config } }));
await until(() => peers.every((p) => { const r = p.cluster!.sharding!.shards(); return r.length === 3 && r.every((s) => s.replicas.length === 3 && s.leader !== null); }), 90_000);
const map = peers[0]!.cluster!.sharding!.map();
const spread = shardingOf(map, ['Person']);
const shardOf = (id: number): number => shardOfNode(spread, BigInt(id), new Map([['id', BigInt(id)]]))!;
const leaders = new Set(peers[0]!.cluster!.sharding!.shards().map((r) => r.leader));
const via = peers.find((p) => !leaders.has(p.cluster!.sharding!.manager.host.self)) ?? peers[0]!;

/** Pairs of ids: same shard, or two shards. */
function pairs(count: number, cross: boolean, from: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = from; out.length < count; a += 2) {
    let b = a + 1;
    while ((shardOf(b) !== shardOf(a)) !== cross) b += 2;
    out.push([a, b]);
  }
  return out;
}

const edge = 'CREATE (:Person {id: $a})-[:KNOWS]->(:Person {id: $b})';
async function serial(ps: [number, number][]): Promise<number[]> {
  const ms: number[] = [];
  for (const [a, b] of ps) {
    const t0 = performance.now();
    await via.query(edge, { a: BigInt(a), b: BigInt(b) });
    ms.push(performance.now() - t0);
  }
  return ms.sort((x, y) => x - y);
}

const local = await serial(pairs(n, false, 1_000_000));
const cross = await serial(pairs(n, true, 10_000_000));
/** Inserts per second of `ps` with `concurrency` statements in flight. */
async function rate(ps: [number, number][]): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ps.length) {
        const [a, b] = ps[next++]!;
        await via.query(edge, { a: BigInt(a), b: BigInt(b) });
      }
    }),
  );
  return Math.round((ps.length / (performance.now() - t0)) * 1_000);
}
const localPerS = await rate(pairs(n, false, 30_000_000));
const perS = await rate(pairs(n, true, 50_000_000));
const count = await peers[0]!.query('MATCH (:Person)-[k:KNOWS]->(:Person) RETURN count(k) AS n');
const r2 = (x: number): number => Math.round(x * 100) / 100;
console.log(
  JSON.stringify({
    peers: 4,
    shards: 3,
    n,
    concurrency,
    single_shard_insert_p50_ms: r2(quantile(local, 0.5)),
    single_shard_insert_p99_ms: r2(quantile(local, 0.99)),
    cross_shard_insert_p50_ms: r2(quantile(cross, 0.5)),
    cross_shard_insert_p99_ms: r2(quantile(cross, 0.99)),
    single_shard_inserts_per_s: localPerS,
    cross_shard_inserts_per_s: perS,
    edges_read_back: Number(count.rows[0]!['n']),
    remote_txn_requests: via.cluster!.sharding!.txn.transport.stats.remote,
  }),
);
await Promise.all(peers.map((p) => p.close()));
await relay.close();
