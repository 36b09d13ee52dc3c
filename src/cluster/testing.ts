/**
 * Test helpers of the cluster layer: three shard hosts over the memory transport in virtual time
 * (src/shard SimCluster), with the `db.cluster.*` procedures registered. Not part of the layer's API.
 */
import { SimCluster } from '../shard/sim-cluster.ts';
import type { ShardHost } from '../shard/index.ts';
import { clusterProcedures } from './procedures.ts';

/** Fast ticks in virtual time. */
export const fast = { raft: { tick_ms: 10 }, request_timeout_ms: 3_000 };

/** formed: a settled 3-voter cluster (seeded), every host knowing the leader and the configuration. */
export async function formed(seed: number): Promise<SimCluster> {
  const c = new SimCluster({ seed, config: fast, onStart: (h) => clusterProcedures(h).forEach((p) => h.registerProcedure(p)) });
  await c.form(3);
  // form() returns once the leader's configuration has 3 voters: wait until every host applied it.
  const settled = await c.until(() => [...c.hosts.values()].every((h) => h.raftStatus().conf.voters.length === 3 && h.status().every((r) => r.leader !== undefined)), 2_000);
  if (!settled) throw new Error('the 3 hosts did not all apply the 3-voter configuration');
  return c;
}

/** followers: the running hosts that are not the leader. */
export function followers(c: SimCluster): ShardHost[] {
  return [...c.hosts.values()].filter((h) => !h.isLeader());
}

/** The value of an unlabelled (or the first matching) sample line in Prometheus text. */
export function sample(text: string, line: string): number | undefined {
  const m = new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
}

