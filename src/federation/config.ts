/**
 * The federation keys of a cluster's configuration (`cluster.config`, or the CLI's `--config`
 * file): `federation.enabled`, `federation.cluster_id`, `federation.peers` (each a remote cluster
 * to replicate FROM: its peers' addresses and its cluster id, `async: true`),
 * `federation.conflict_resolution` (`'last-write-wins'`), `federation.replication_lag_threshold_ms`.
 * Nested (`{ federation: { enabled: true } }`) or dotted (`{ 'federation.enabled': true }`); an
 * unknown key or a bad value is refused with CONFIG_INVALID whose detail is the key.
 *
 * `splitFederationConfig` takes the federation keys out of a configuration object, so the rest
 * goes to the shard layer's validator unchanged.
 */
import { GeodeError } from '../util/errors.ts';

/** One remote cluster this cluster replicates from. */
export interface FederationPeer {
  /** Multiaddrs (with `/p2p/<id>`) of the remote cluster's peers: any of them serves its change stream. */
  readonly addresses: readonly string[];
  /** The remote cluster's federation id. */
  readonly clusterId: string;
}

/** The federation configuration with defaults applied. */
export interface ResolvedFederationConfig {
  readonly enabled: boolean;
  /** This cluster's federation id (default: the cluster's id); stamps every change made here. */
  readonly clusterId: string | undefined;
  readonly peers: readonly FederationPeer[];
  readonly conflictResolution: 'last-write-wins';
  readonly lagThresholdMs: number;
  /** Most log entries per pulled batch. */
  readonly batchMax: number;
  /** Log entries of group 0 kept behind each snapshot, so a link that far behind catches up from the tail (0: none). */
  readonly logRetainEntries: number;
  /**
   * `federation.record_free_creations` (default true): a node a statement creates and nothing
   * changes gets a creation stamp (`stampNodes`, command batch format 2) instead of a record.
   * false: a record for every node, in entries that peers of older code still apply (for a
   * rolling upgrade: turn it on once every peer runs this version).
   */
  readonly recordFreeCreations: boolean;
}

/** Default `federation.replication_lag_threshold_ms`. */
export const lagThresholdMsDefault = 5_000;
/** Largest `federation.replication_lag_threshold_ms` (a day). */
export const lagThresholdMsMax = 86_400_000;
/** Default and range of `federation.batch_max` (log entries per pulled batch). */
export const batchMaxDefault = 2_048;
export const batchMaxMax = 10_000;
/**
 * Default and largest `federation.log_retain_entries`: log entries kept behind each snapshot (in
 * memory, about 250 bytes each for a one-node CREATE), so that a link cut for up to that many of
 * the upstream's writes catches up from its log (only what changed) instead of a snapshot of the
 * whole graph's records. 100,000: a 100 s cut at 1,000 writes/s, about 25 MB.
 */
export const logRetainEntriesDefault = 100_000;
export const logRetainEntriesMax = 10_000_000;
/** Most federated clusters one cluster replicates from. */
export const federationPeersMax = 16;
/** Most addresses per federated cluster. */
export const federationAddressesMax = 16;
/** Longest federation cluster id, characters. */
export const federationClusterIdCharsMax = 256;

/** Every key {@link validateFederationConfig} accepts, dotted (docs/configuration.md lists each). */
export const federationConfigKeys: readonly string[] = [
  'federation.enabled',
  'federation.cluster_id',
  'federation.peers',
  'federation.conflict_resolution',
  'federation.replication_lag_threshold_ms',
  'federation.batch_max',
  'federation.log_retain_entries',
  'federation.record_free_creations',
];
const fields = new Set(federationConfigKeys.map((k) => k.slice('federation.'.length)));
const peerFields = new Set(['address', 'cluster_id', 'async']);

function bad(key: string, why: string): never {
  throw new GeodeError('CONFIG_INVALID', `${key}: ${why}`, { source: 'config', detail: key });
}

function plainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * splitFederationConfig: `config` without its federation keys, and those keys as a nested
 * object (a key given both nested and dotted is refused).
 */
export function splitFederationConfig(config: Readonly<Record<string, unknown>>): { readonly rest: Record<string, unknown>; readonly federation: Record<string, unknown> } {
  const rest: Record<string, unknown> = {};
  const federation: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'federation') {
      if (!plainObject(v)) bad('federation', 'must be an object of federation keys');
      for (const [f, fv] of Object.entries(v)) {
        if (f in federation) bad(`federation.${f}`, 'is given twice (nested and dotted)');
        federation[f] = fv;
      }
    } else if (k.startsWith('federation.')) {
      const f = k.slice('federation.'.length);
      if (f in federation) bad(k, 'is given twice (nested and dotted)');
      federation[f] = v;
    } else {
      rest[k] = v;
    }
  }
  return { rest, federation };
}

function clusterId(key: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > federationClusterIdCharsMax || /[\s/]/.test(v)) {
    bad(key, `must be a string of 1..${federationClusterIdCharsMax} characters without spaces or '/', got ${JSON.stringify(v)}`);
  }
  return v;
}

function peer(i: number, v: unknown, self: string | undefined): FederationPeer {
  const key = `federation.peers[${i}]`;
  if (!plainObject(v)) bad(key, 'must be { address, cluster_id, async: true }');
  for (const k of Object.keys(v)) if (!peerFields.has(k)) bad(`${key}.${k}`, `is not a federation peer key (known: ${[...peerFields].join(', ')})`);
  const raw = v['address'];
  const addresses = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(addresses) || addresses.length === 0 || addresses.length > federationAddressesMax) {
    bad(`${key}.address`, `must be a multiaddr or a list of 1..${federationAddressesMax} multiaddrs of the remote cluster's peers`);
  }
  for (const a of addresses) {
    if (typeof a !== 'string' || !a.startsWith('/') || !a.includes('/p2p/')) bad(`${key}.address`, `must hold peer multiaddrs ending in /p2p/<id>, got ${JSON.stringify(a)}`);
  }
  const id = clusterId(`${key}.cluster_id`, v['cluster_id']);
  if (id === self) bad(`${key}.cluster_id`, `is this cluster's own id (${id}): a cluster cannot federate with itself`);
  if (v['async'] !== undefined && v['async'] !== true) bad(`${key}.async`, 'must be true: federation is asynchronous only');
  return { addresses: addresses as string[], clusterId: id };
}

/**
 * validateFederationConfig: the nested federation section (from {@link splitFederationConfig})
 * checked and resolved. `defaultClusterId`: the cluster's own id, used when `cluster_id` is not given.
 */
export function validateFederationConfig(f: Readonly<Record<string, unknown>>, defaultClusterId?: string): ResolvedFederationConfig {
  for (const k of Object.keys(f)) if (!fields.has(k)) bad(`federation.${k}`, `is not a federation key (known: ${federationConfigKeys.join(', ')})`);
  const enabled = f['enabled'] ?? false;
  if (typeof enabled !== 'boolean') bad('federation.enabled', `must be true or false, got ${JSON.stringify(enabled)}`);
  const id = f['cluster_id'] === undefined ? defaultClusterId : clusterId('federation.cluster_id', f['cluster_id']);
  if (enabled && id === undefined) bad('federation.cluster_id', 'is required when federation is enabled');
  const rawPeers = f['peers'] ?? [];
  if (!Array.isArray(rawPeers) || rawPeers.length > federationPeersMax) bad('federation.peers', `must be a list of at most ${federationPeersMax} { address, cluster_id, async: true }`);
  const peers = rawPeers.map((p: unknown, i: number) => peer(i, p, id));
  const seen = new Set<string>();
  for (const [i, p] of peers.entries()) {
    if (seen.has(p.clusterId)) bad(`federation.peers[${i}].cluster_id`, `lists cluster ${p.clusterId} twice`);
    seen.add(p.clusterId);
  }
  const cr = f['conflict_resolution'] ?? 'last-write-wins';
  if (cr !== 'last-write-wins') bad('federation.conflict_resolution', `must be 'last-write-wins' (the only strategy), got ${JSON.stringify(cr)}`);
  const lag = f['replication_lag_threshold_ms'] ?? lagThresholdMsDefault;
  if (typeof lag !== 'number' || !Number.isFinite(lag) || lag <= 0 || lag > lagThresholdMsMax) {
    bad('federation.replication_lag_threshold_ms', `must be a number of milliseconds in (0, ${lagThresholdMsMax}], got ${JSON.stringify(lag)}`);
  }
  const batch = f['batch_max'] ?? batchMaxDefault;
  if (typeof batch !== 'number' || !Number.isSafeInteger(batch) || batch < 1 || batch > batchMaxMax) bad('federation.batch_max', `must be an integer 1..${batchMaxMax}, got ${JSON.stringify(batch)}`);
  const retain = f['log_retain_entries'] ?? logRetainEntriesDefault;
  if (typeof retain !== 'number' || !Number.isSafeInteger(retain) || retain < 0 || retain > logRetainEntriesMax) {
    bad('federation.log_retain_entries', `must be an integer 0..${logRetainEntriesMax}, got ${JSON.stringify(retain)}`);
  }
  const recordFree = f['record_free_creations'] ?? true;
  if (typeof recordFree !== 'boolean') bad('federation.record_free_creations', `must be true or false, got ${JSON.stringify(recordFree)}`);
  return { enabled, clusterId: id, peers, conflictResolution: 'last-write-wins', lagThresholdMs: lag, batchMax: batch, logRetainEntries: retain, recordFreeCreations: recordFree };
}
