/**
 * Test page: a browser tab as a full cluster member, composed as an app would: the tab's libp2p
 * peer (src/net/peer-browser.ts), a ShardHost (src/shard) over it with an IndexedDB log store
 * (src/storage/indexeddb) and the system clock, the `db.cluster.*` procedures and a metrics
 * registry (src/cluster). Exposes `window.clusterTest` for e2e/cluster-browser.test.ts and sets
 * `data-ready` at once; `start` joins the cluster through a relay.
 */
import { clusterProcedures, MetricsRegistry, registerClusterMetrics, registerProcessMetrics } from '../../src/cluster/index.ts';
import { createBrowserPeer } from '../../src/net/peer-browser.ts';
import type { GeodePeer } from '../../src/net/transport.ts';
import { ShardHost, systemClock } from '../../src/shard/index.ts';
import { openIndexedDbLogStore } from '../../src/storage/indexeddb/index.ts';

/** Options of {@link ClusterTest.start}. */
export interface ClusterPageStart {
  readonly relay: string;
  readonly clusterId: string;
  readonly secret: string;
  /** Found the group with this tab as its first voter. */
  readonly bootstrap: boolean;
  /** The shard layer's configuration (see src/shard/config.ts). */
  readonly config: Record<string, unknown>;
  /** Transport timings (ms), as the net e2e test tunes them. */
  readonly net: Record<string, number>;
}

/** A tab's view of the group, JSON-safe. */
export interface ClusterPageInfo {
  readonly self: string;
  readonly isLeader: boolean;
  readonly state: string;
  readonly leader: string | undefined;
  readonly term: number;
  readonly applied: number;
  readonly voters: number;
  readonly learners: number;
  readonly connected: string[];
}

/** What the test drives. Values are JSON-safe: integers come back as numbers. */
export interface ClusterTest {
  start(o: ClusterPageStart): Promise<string>;
  /** Runs a statement; rows with bigint values as numbers. Rejects with `CODE: message`. */
  query(text: string, params?: Record<string, number | string>, readQuorum?: 'majority' | 1): Promise<Record<string, unknown>[]>;
  info(): ClusterPageInfo;
  /** Prometheus text of this tab's metrics registry. */
  metrics(): string;
}

let host: ShardHost | undefined;
let peer: GeodePeer | undefined;
let registry: MetricsRegistry | undefined;

function need(): ShardHost {
  if (host === undefined) throw new Error('clusterTest.start was not called');
  return host;
}

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

const api: ClusterTest = {
  async start(o) {
    peer = await createBrowserPeer({ clusterId: o.clusterId, secret: o.secret, relays: [o.relay], ...o.net });
    const store = await openIndexedDbLogStore('geode-cluster-e2e');
    host = await ShardHost.start(
      { transport: peer, clock: systemClock, random: Math.random, logStore: () => store, onWarning: (m) => console.warn(`shard: ${m}`) },
      { bootstrap: o.bootstrap, config: o.config },
    );
    for (const p of clusterProcedures({ host, net: peer })) host.registerProcedure(p);
    registry = new MetricsRegistry();
    registerClusterMetrics(registry, { host, net: peer });
    registerProcessMetrics(registry);
    return peer.self;
  },
  async query(text, params, readQuorum) {
    const args: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params ?? {})) args[k] = typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v;
    try {
      const r = await need().query(text, args, readQuorum === undefined ? {} : { readQuorum });
      return r.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
    } catch (err) {
      const e = err as { code?: string; detail?: string; message?: string };
      throw new Error(`${e.code ?? 'ERROR'}${e.detail === undefined ? '' : `/${e.detail}`}: ${e.message ?? String(err)}`);
    }
  },
  info() {
    const h = need();
    const st = h.raftStatus();
    const me = h.status().find((r) => r.self);
    return {
      self: h.self,
      isLeader: h.isLeader(),
      state: st.softState.role,
      leader: me?.leader,
      term: st.hardState.term,
      applied: st.applied,
      voters: st.conf.voters.length,
      learners: st.conf.learners.length,
      connected: [...(peer?.connected() ?? [])],
    };
  },
  metrics: () => registry?.render() ?? '',
};

(window as unknown as { clusterTest: ClusterTest }).clusterTest = api;
document.documentElement.dataset['ready'] = 'true';
