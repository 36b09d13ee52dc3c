/**
 * Federation in a clustered database: the `federation.*` keys taken out of `cluster.config`
 * (the rest goes to the shard layer) and, when `federation.enabled`, the agent started on the
 * member's host and network peer (src/federation/agent.ts).
 */
import { FederationAgent, splitFederationConfig, validateFederationConfig, type ResolvedFederationConfig } from '../federation/index.ts';
import type { GeodePeer } from '../net/index.ts';
import type { ShardHost } from '../shard/index.ts';

/** splitClusterConfig: the shard keys and the checked federation keys of `cluster.config` (CONFIG_INVALID naming a bad federation key). */
export function splitClusterConfig(config: Readonly<Record<string, unknown>>, clusterId: string): { readonly shardConfig: Record<string, unknown>; readonly federation: ResolvedFederationConfig } {
  const { rest, federation } = splitFederationConfig(config);
  return { shardConfig: rest, federation: validateFederationConfig(federation, clusterId) };
}

/** openFederation: the started agent when federation is enabled, else undefined. */
export async function openFederation(cfg: ResolvedFederationConfig, host: ShardHost, net: GeodePeer, onWarning: ((m: string) => void) | undefined): Promise<FederationAgent | undefined> {
  if (!cfg.enabled) return undefined;
  return FederationAgent.start({ host, net, now: Date.now, ...(onWarning === undefined ? {} : { onWarning }) }, cfg);
}
