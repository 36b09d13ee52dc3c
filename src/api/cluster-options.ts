/**
 * The `cluster` option of `openGeode`: which cluster to join and how, validated with the key named.
 */
import { GeodeError } from '../util/errors.ts';

/** Options of a clustered database (`openGeode({ cluster })`). */
export interface ClusterOptions {
  /** The cluster's id: peers of one cluster share it (and the secret). 1..256 characters. */
  readonly id: string;
  /** The cluster secret every member knows (never sent: members prove they know it). */
  readonly secret: string | Uint8Array;
  /** Relay multiaddrs (with `/p2p/<id>`): the peer registers there and finds the other members. */
  readonly relays?: readonly string[];
  /**
   * Found the cluster: this peer starts the shard as its only voter when its storage is empty.
   * Exactly one peer of a new cluster bootstraps; the others are added by the leader. Default false.
   */
  readonly bootstrap?: boolean;
  /**
   * The peer's libp2p identity key (`generatePeerKey()` bytes). A peer must keep its id across
   * restarts with the same data. Default: with `file:` storage in Node, `<dir>/peer.key` (created
   * on first open); with memory storage a new key each open; with IndexedDB it must be given.
   */
  readonly key?: Uint8Array;
  /** Listen multiaddrs of a Node peer (default TCP and WebSockets on loopback, free ports). */
  readonly listen?: readonly string[];
  /** Shard configuration keys (`raft.*`, `replication.factor`, `read_quorum`, ...; docs/configuration.md). */
  readonly config?: Readonly<Record<string, unknown>>;
  /**
   * Join as a client: never a replica nor a voter; every statement runs on a member (writes
   * through the leader). For tools such as `geode query --join`. Default false.
   */
  readonly client?: boolean;
  /** Members to dial directly besides those the relays list: `{ id, addrs }`. */
  readonly peers?: readonly { readonly id: string; readonly addrs: readonly string[] }[];
  /**
   * On `close()`, how long a leader waits for another voter to take over before it stops, ms
   * (0: do not hand off). Default 1,000.
   */
  readonly handOffMs?: number;
}

/** ClusterOptions with defaults applied. */
export interface ResolvedClusterOptions {
  readonly id: string;
  readonly secret: string | Uint8Array;
  readonly relays: readonly string[];
  readonly bootstrap: boolean;
  readonly key: Uint8Array | undefined;
  readonly listen: readonly string[] | undefined;
  readonly config: Readonly<Record<string, unknown>>;
  readonly client: boolean;
  readonly peers: readonly { readonly id: string; readonly addrs: readonly string[] }[];
  readonly handOffMs: number;
}

/** Longest cluster id, characters. */
export const clusterIdCharsMax = 256;
/** Most relays or listen addresses. */
export const clusterAddrsMax = 64;
/** Default hand-off wait on close, ms. */
export const handOffMsDefault = 1_000;
/** Longest hand-off wait on close, ms. */
export const handOffMsMax = 60_000;

/** Every key of {@link ClusterOptions} that {@link validateClusterOptions} accepts (docs/configuration.md lists each). */
export const clusterOptionKeys: readonly string[] = ['id', 'secret', 'relays', 'bootstrap', 'key', 'listen', 'config', 'client', 'peers', 'handOffMs'];

const keys: ReadonlySet<string> = new Set(clusterOptionKeys);

function bad(key: string, why: string): never {
  throw new GeodeError('CONFIG_INVALID', `cluster.${key} ${why}`, { source: 'config', detail: `cluster.${key}` });
}

function addrList(key: string, v: unknown): readonly string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > clusterAddrsMax) bad(key, `must be an array of at most ${clusterAddrsMax} multiaddr strings`);
  for (const a of v) if (typeof a !== 'string' || !a.startsWith('/')) bad(key, `must hold multiaddr strings such as '/ip4/127.0.0.1/tcp/4001/p2p/12D3Koo...', got ${JSON.stringify(a)}`);
  return v as string[];
}

/** validateClusterOptions: CONFIG_INVALID naming the key (`cluster.id`, ...) for anything wrong. */
export function validateClusterOptions(o: unknown): ResolvedClusterOptions {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new GeodeError('CONFIG_INVALID', 'cluster must be an object', { source: 'config', detail: 'cluster' });
  const c = o as Record<string, unknown>;
  for (const k of Object.keys(c)) if (!keys.has(k)) bad(k, `is not a cluster option (known: ${[...keys].join(', ')})`);
  const id = c['id'];
  if (typeof id !== 'string' || id.length === 0 || id.length > clusterIdCharsMax) bad('id', `must be a string of 1..${clusterIdCharsMax} characters`);
  const secret = c['secret'];
  if (!(typeof secret === 'string' && secret.length > 0) && !(secret instanceof Uint8Array && secret.length > 0)) bad('secret', 'must be a non-empty string or byte array');
  const bool = (k: string): boolean => {
    const v = c[k];
    if (v !== undefined && typeof v !== 'boolean') bad(k, `must be true or false, got ${JSON.stringify(v)}`);
    return v === true;
  };
  const key = c['key'];
  if (key !== undefined && !(key instanceof Uint8Array)) bad('key', 'must be the bytes of generatePeerKey()');
  const config = c['config'] ?? {};
  if (config === null || typeof config !== 'object' || Array.isArray(config)) bad('config', 'must be an object of configuration keys');
  const peersRaw = c['peers'] ?? [];
  if (!Array.isArray(peersRaw) || peersRaw.length > clusterAddrsMax) bad('peers', `must be an array of at most ${clusterAddrsMax} { id, addrs }`);
  const peers = peersRaw.map((p: unknown, i: number) => {
    if (p === null || typeof p !== 'object' || typeof (p as { id?: unknown }).id !== 'string') bad(`peers[${i}]`, 'must be { id: string, addrs: string[] }');
    return { id: (p as { id: string }).id, addrs: addrList(`peers[${i}].addrs`, (p as { addrs?: unknown }).addrs) ?? [] };
  });
  const handOff = c['handOffMs'] ?? handOffMsDefault;
  if (typeof handOff !== 'number' || !Number.isFinite(handOff) || handOff < 0 || handOff > handOffMsMax) bad('handOffMs', `must be 0..${handOffMsMax} ms`);
  const client = bool('client');
  const bootstrap = bool('bootstrap');
  if (client && bootstrap) bad('bootstrap', 'cannot be set with cluster.client (a client holds no replica)');
  return {
    id,
    secret: secret as string | Uint8Array,
    relays: addrList('relays', c['relays']) ?? [],
    bootstrap,
    key,
    listen: addrList('listen', c['listen']),
    config: config as Record<string, unknown>,
    client,
    peers,
    handOffMs: handOff,
  };
}
