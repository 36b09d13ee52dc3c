/**
 * Helpers of the cluster tests that run their peers in this process (`openGeode({ cluster })` over
 * loopback): waiting for a condition, and an idempotent write retried across leader changes.
 */
import { createRelay, openGeode, type Geode, type Relay } from '../../src/node.ts';
import { shardingOf, shardOfNode } from '../../src/cluster/shard-map.ts';

/** Longest wait for a cluster to reach a state (a liveness bound: generous on a busy machine). */
export const WAIT_MS = 20_000;

/** until: resolves once `cond()` holds (polled every 25 ms); throws after `ms`, with `state()` in the message when given. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = WAIT_MS, state?: () => string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${state === undefined ? '' : `; state: ${state()}`}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** write: an idempotent write retried until acknowledged (a leader change in between fails it). */
export async function write(db: Geode, text: string, params: Record<string, unknown>, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await db.query(text, params);
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A relay and three peers of one cluster in this process: the first founds it, all three are voters. */
export interface ThreePeers {
  readonly relay: Relay;
  /** The relay's first address (what the peers joined through). */
  readonly relays: string[];
  readonly peers: Geode[];
  /** close: every peer still open, then the relay. */
  close(): Promise<void>;
}

/** startThreePeers: the relay, the founder (waited to lead), two more peers, waited to be voters. */
export async function startThreePeers(cluster: { readonly id: string; readonly secret: string }): Promise<ThreePeers> {
  const relay = await createRelay();
  const relays = [relay.addrs()[0]!];
  const peers: Geode[] = [await openGeode({ cluster: { ...cluster, relays, bootstrap: true } })];
  await until('a leader', () => peers[0]!.cluster!.isLeader());
  for (let i = 0; i < 2; i++) peers.push(await openGeode({ cluster: { ...cluster, relays } }));
  await until('three voters', () => peers[0]!.cluster!.status().filter((r) => r.role === 'voter').length === 3);
  return {
    relay,
    relays,
    peers,
    close: async () => {
      await Promise.all(peers.map((p) => p.close().catch(() => {})));
      await relay.close();
    },
  };
}

/** A relay and the members of a sharded cluster in this process. */
export interface ShardedPeers {
  readonly relay: Relay;
  readonly peers: Geode[];
  /** close: every peer still open, then the relay. */
  close(): Promise<void>;
}

/**
 * startShardedPeers: the relay and `n` members with `config` (the first founds the cluster), waited
 * (up to `ms`) until every peer sees `shards` shards, each with three voters and a leader.
 */
export async function startShardedPeers(cluster: { readonly id: string; readonly secret: string }, n: number, config: Record<string, unknown>, shards: number, ms = 60_000): Promise<ShardedPeers> {
  const relay = await createRelay();
  const relays = [relay.addrs()[0]!];
  const peers: Geode[] = [await openGeode({ cluster: { ...cluster, relays, bootstrap: true, config } })];
  for (let i = 1; i < n; i++) peers.push(await openGeode({ cluster: { ...cluster, relays, config } }));
  const close = async (): Promise<void> => {
    await Promise.all(peers.map((p) => p.close().catch(() => {})));
    await relay.close();
  };
  await until(
    `every peer sees ${shards} shards with three voters and a leader`,
    () =>
      peers.every((p) => {
        const rows = p.cluster!.sharding!.shards();
        return rows.length === shards && rows.every((r) => r.replicas.length === 3 && r.leader !== null);
      }),
    ms,
    () =>
      JSON.stringify(
        peers.map((p) => ({
          shards: p.cluster!.sharding!.shards().map((r) => ({ shard: r.shard, leader: r.leader, replicas: r.replicas.length, learners: r.learners.length, state: r.state })),
          meta: p.cluster!.status().map((s) => ({ peer: s.peer.slice(-6), role: s.role, state: s.state, leader: s.leader?.slice(-6), term: s.term })),
        })),
      ),
  );
  return { relay, peers, close };
}

/** Four peers of a sharded cluster (three shards of three replicas, Person hash-sharded by id) and two Person ids on two shards. */
export interface FourShardedPeers {
  readonly relay: Relay;
  readonly peers: Geode[];
  /** Person ids `a` and `b` on different shards, in groups `ga` and `gb`. */
  readonly a: number;
  readonly b: number;
  readonly ga: number;
  readonly gb: number;
  close(): Promise<void>;
}

/** startFourShardedPeers: the relay, four members (the first founds the cluster), waited until every shard has three voters and a leader. */
export async function startFourShardedPeers(cluster: { readonly id: string; readonly secret: string }): Promise<FourShardedPeers> {
  const config = { sharding: { shards: 3, labels: { Person: { strategy: 'hash', key: 'id' } } }, replication: { factor: 3 } };
  const { relay, peers, close } = await startShardedPeers(cluster, 4, config, 3);
  const map = peers[0]!.cluster!.sharding!.map();
  const spread = shardingOf(map, ['Person']);
  const shardOf = (id: number): number => shardOfNode(spread, BigInt(id), new Map([['id', BigInt(id)]]))!;
  const a = 1_000;
  let b = a + 1;
  while (shardOf(b) === shardOf(a)) b++;
  const groupOf = (id: number): number => map.shards.find((s) => s.id === shardOf(id))!.group;
  return { relay, peers, a, b, ga: groupOf(a), gb: groupOf(b), close };
}
