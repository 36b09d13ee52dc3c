/**
 * This tab as a cluster member: when the demo runs on its dev server (`npm run demo`, which runs a
 * relay beside Vite: demo/vite-plugin-relay.ts), the tab joins the cluster named in the URL
 * fragment (`#cluster=<id>`), else {@link DEFAULT_CLUSTER}, as a peer with its own IndexedDB
 * database and peer key (both per tab, kept across reloads). The first tab the relay sees for a
 * cluster founds it; the others are added by its leader.
 *
 * Without the relay endpoint (a static build) or with `#local`, the caller keeps the tab's
 * embedded database.
 */
import { generatePeerKey, openGeode, type Geode } from '../src/index.ts';
import type { RelayInfo } from './vite-plugin-relay.ts';

/** The cluster a tab joins when the URL names none. */
export const DEFAULT_CLUSTER = 'geode-demo';
/**
 * The demo's cluster secret. For the demo only: a real cluster's members share a secret of
 * their own (`cluster.secret`), which never travels.
 */
export const DEMO_SECRET = 'geode-demo-secret';
/**
 * The Raft timers of a demo tab: a browser tab's main thread stalls now and then (a big result
 * drawn, the sample loaded, a busy machine), and the defaults (elections after 150-300 ms of
 * silence) would read a stall as a dead leader. Heartbeats every 100 ms and elections after
 * 600-1,200 ms ride such stalls out; a closed tab still hands over at once (pagehide).
 */
export const DEMO_RAFT = { heartbeat_ms: 100, election_timeout_ms: [600, 1_200] } as const;
/** How long the tab waits for the dev server's relay endpoint, ms. */
export const RELAY_INFO_TIMEOUT_MS = 3_000;

/** The cluster id of a URL fragment: `#cluster=<id>`, `undefined` for `#local`, else the default. */
export function clusterIdFromHash(hash: string): string | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  if (params.has('local')) return undefined;
  const id = params.get('cluster');
  return id === null || id.length === 0 ? DEFAULT_CLUSTER : id.slice(0, 256);
}

/** Most shards a demo cluster may ask for in its URL. */
export const DEMO_SHARDS_MAX = 8;

/**
 * The shard count of a URL fragment (`#cluster=<id>&shards=<n>`): 1 (not sharded) unless `n` is
 * an integer in 2..{@link DEMO_SHARDS_MAX}. Every tab of a cluster must open it with the same
 * count (the founder's map decides; the others' config must agree).
 */
export function shardsFromHash(hash: string): number {
  const n = Number(new URLSearchParams(hash.replace(/^#/, '')).get('shards'));
  return Number.isInteger(n) && n >= 2 && n <= DEMO_SHARDS_MAX ? n : 1;
}

/** A link that opens the demo in the same cluster (the share button's). */
export function shareLink(href: string, clusterId: string, shards = 1): string {
  const u = new URL(href);
  u.hash = `cluster=${encodeURIComponent(clusterId)}${shards > 1 ? `&shards=${shards}` : ''}`;
  return u.toString();
}

/** The dev server's relay addresses, or undefined when there is none (a static build, the relay off). */
export async function fetchRelayInfo(clusterId: string): Promise<RelayInfo | undefined> {
  // Only the dev server has the endpoint, and its plugin says so in a <meta> tag: a static build
  // does not ask (a 404 would be logged).
  const endpoint = document.querySelector<HTMLMetaElement>('meta[name="geode-relay"]')?.content;
  if (endpoint === undefined || endpoint.length === 0) return undefined;
  try {
    const r = await fetch(`${endpoint}?cluster=${encodeURIComponent(clusterId)}`, { signal: AbortSignal.timeout(RELAY_INFO_TIMEOUT_MS), cache: 'no-store' });
    if (!r.ok || !(r.headers.get('content-type') ?? '').includes('json')) return undefined;
    const info = (await r.json()) as RelayInfo;
    return Array.isArray(info.relays) && info.relays.length > 0 ? info : undefined;
  } catch {
    return undefined;
  }
}

const b64 = {
  encode: (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)),
  decode: (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0)),
};

/** This tab's peer key for `dbName`, made once and kept in sessionStorage (per tab, across reloads). */
async function tabPeerKey(dbName: string): Promise<Uint8Array> {
  const slot = `geode-demo-key:${dbName}`;
  const kept = sessionStorage.getItem(slot);
  if (kept !== null) return b64.decode(kept);
  const key = await generatePeerKey();
  sessionStorage.setItem(slot, b64.encode(key));
  return key;
}

/** A tab joined to a cluster. */
export interface TabCluster {
  readonly db: Geode;
  readonly clusterId: string;
  readonly dbName: string;
  readonly founder: boolean;
  readonly relays: readonly string[];
  /** Shards of the cluster (1: not sharded). */
  readonly shards: number;
}

/**
 * Joins `clusterId` through the relay of `info` with this tab's own IndexedDB database; with
 * `shards` > 1 the cluster is sharded (`sharding.shards`, three replicas each; `Person` nodes hashed
 * by their `id` property, other nodes by node id); with `federation`, `federation.enabled` (its
 * links are made at run time: demo/tab-federation.ts; federation needs one shard).
 */
export async function joinTabCluster(clusterId: string, info: RelayInfo, shards = 1, federation = false): Promise<TabCluster> {
  const { tabPeerDatabaseName } = await import('../src/storage/indexeddb/index.ts');
  const dbName = await tabPeerDatabaseName(`geode-demo-${clusterId}`);
  const key = await tabPeerKey(dbName);
  const db = await openGeode({
    storage: `indexeddb:${dbName}`,
    cluster: { id: clusterId, secret: DEMO_SECRET, relays: [...info.relays], bootstrap: info.founder, key, config: {
        request_timeout_ms: 5_000,
        raft: { ...DEMO_RAFT, election_timeout_ms: [...DEMO_RAFT.election_timeout_ms] },
        // Persons (the LDBC sample's) hashed by their `id` property, so a lookup by id asks one shard; the rest by node id.
        ...(shards > 1 ? { sharding: { shards, labels: { Person: { strategy: 'hash', key: 'id' } } } } : {}),
        // A federated tab cluster (`&federate=`, demo/tab-federation.ts): links are made at run time from the directory.
        ...(federation ? { federation: { enabled: true } } : {}),
      },
    },
  });
  return { db, clusterId, dbName, founder: info.founder, relays: info.relays, shards };
}

/**
 * followVisibility: tells the cluster whether this tab is visible, now and on every
 * `visibilitychange`: a hidden tab announces `visible: false` in its presence and, while it leads,
 * hands leadership to a visible tab or a Node peer (`db.cluster.setVisible`). Its Raft ticks come
 * from a Worker's timer, so it keeps its heartbeats meanwhile.
 */
export function followVisibility(db: Geode): void {
  const cluster = db.cluster;
  if (cluster === undefined) return;
  const tell = (): void => {
    const visible = document.visibilityState !== 'hidden';
    document.body.dataset['clusterVisible'] = String(visible);
    if (visible !== cluster.visible()) void cluster.setVisible(visible).catch(() => {}); // closing
  };
  document.addEventListener('visibilitychange', tell);
  tell();
}
