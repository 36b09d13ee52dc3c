/**
 * One Raft group across three Chromium pages and one Node peer, through a Node relay, over real
 * WebRTC between the tabs (WebSockets from each tab to the Node peer). Each page is its own
 * browser context (its own IndexedDB) composed in e2e/pages/cluster-peer.ts; the Node peer and
 * the relay run in this process. A tab founds the group, so a tab leads; a write in one page is
 * read (linearizably) in another; `CALL db.cluster.status()` in a page lists all four peers;
 * closing the leader's page elects a new leader and no acknowledged write is lost.
 * Needs Chromium (see e2e/browser-harness.ts).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterProcedures } from '../src/cluster/index.ts';
import { createNodePeer } from '../src/net/peer-node.ts';
import { createRelay, type Relay } from '../src/net/relay.ts';
import type { GeodePeer } from '../src/net/transport.ts';
import { ShardHost, systemClock } from '../src/shard/index.ts';
import { MemoryLogStore } from '../src/storage/memory.ts';
import type { ClusterPageInfo, ClusterPageStart, ClusterTest } from './pages/cluster-peer.ts';
import { REPO, startBrowserHarness, type BrowserHarness, callPage, waitUntil } from './browser-harness.ts';

const PAGES = { 'cluster-peer': join(REPO, 'e2e/pages/cluster-peer.ts') };
const CLUSTER = { clusterId: 'e2e-raft-cluster', secret: 'e2e-raft-secret' };
/** Transport timings: fast discovery and reconnection, a closed page noticed within ~1.5 s. */
const NET = { directoryRefreshMs: 300, reconnectBaseMs: 100, reconnectMaxMs: 1_000, keepaliveMs: 300, idleTimeoutMs: 1_500 };
const CONFIG = { request_timeout_ms: 5_000 };
/** Upper bound of any one wait for the cluster to reach a state. */
const WAIT_MS = 20_000;

let harness: BrowserHarness | undefined;
let relay: Relay | undefined;
let nodePeer: GeodePeer | undefined;
let nodeHost: ShardHost | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    relay = await createRelay();
    nodePeer = await createNodePeer({ ...CLUSTER, relays: [relay.addrs()[0]!], ...NET });
    nodeHost = await ShardHost.start({ transport: nodePeer, clock: systemClock, random: Math.random, logStore: () => new MemoryLogStore() }, { bootstrap: false, config: CONFIG });
    for (const p of clusterProcedures({ host: nodeHost, net: nodePeer })) nodeHost.registerProcedure(p);
    harness = await startBrowserHarness(PAGES);
  } catch (err) {
    setupError = err;
  }
}, 90_000);

afterAll(async () => {
  await harness?.close();
  await nodeHost?.close(); // closes the Node peer too
  await relay?.close();
}, 30_000);

function ready(): { h: BrowserHarness; r: Relay; host: ShardHost } {
  if (setupError !== undefined) throw setupError;
  if (harness === undefined || relay === undefined || nodeHost === undefined) throw new Error('setup did not finish');
  return { h: harness, r: relay, host: nodeHost };
}

const until = (what: string, cond: () => Promise<boolean> | boolean): Promise<void> => waitUntil(what, cond, WAIT_MS);

function call<K extends keyof ClusterTest & string>(page: Page, name: K, ...args: Parameters<ClusterTest[K]>): Promise<Awaited<ReturnType<ClusterTest[K]>>> {
  return callPage<ClusterTest, K>(page, 'clusterTest', name, ...(args as never)) as Promise<Awaited<ReturnType<ClusterTest[K]>>>;
}

/** Runs an idempotent write until it is acknowledged (a leader change in between fails it: try again). */
async function writeAcknowledged(run: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      await run();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function keysOf(rows: readonly Record<string, unknown>[]): number[] {
  return rows.map((r) => Number(r['k'])).sort((a, b) => a - b);
}

describe('a Raft group of three Chromium tabs and one Node peer, through a relay, over WebRTC', () => {
  it('bundles the tab member without any Node built-in module', () => {
    const { h } = ready();
    expect(h.built.builtinImports, h.built.builtinImports.join('\n')).toEqual([]);
  });

  it('replicates writes between tabs, lists all four peers, and survives closing the leader tab', async () => {
    const { h, r, host } = ready();
    const wsRelay = r.addrs().find((a) => a.includes('/ws'))!;
    const start = (bootstrap: boolean): ClusterPageStart => ({ relay: wsRelay, ...CLUSTER, bootstrap, config: CONFIG, net: NET });
    const [a, b, c] = [await h.openPage('cluster-peer'), await h.openPage('cluster-peer'), await h.openPage('cluster-peer')] as [Page, Page, Page];

    // Page a founds the group and leads it; b, c and the Node peer join (learners, then voters up to replication.factor 3).
    const idA = await call(a, 'start', start(true));
    await until('page a to lead', async () => (await call(a, 'info')).isLeader);
    const idB = await call(b, 'start', start(false));
    const idC = await call(c, 'start', start(false));
    const ids = [idA, idB, idC, host.self].sort();
    await until('four members: 3 voters and 1 learner, applied everywhere', async () => {
      const infos: ClusterPageInfo[] = [await call(a, 'info'), await call(b, 'info'), await call(c, 'info')];
      const nodeConf = host.raftStatus().conf;
      return infos.every((i) => i.voters === 3 && i.learners === 1) && nodeConf.voters.length === 3 && nodeConf.learners.length === 1;
    });

    // A write in one page is read in another (linearizable read through ReadIndex).
    const acked: number[] = [];
    for (let k = 1; k <= 5; k++) {
      await call(b, 'query', 'CREATE (:Item {k: $k})', { k });
      acked.push(k);
    }
    await host.query('CREATE (:Item {k: $k})', { k: 6n });
    acked.push(6);
    expect(keysOf(await call(c, 'query', 'MATCH (i:Item) RETURN i.k AS k'))).toEqual(acked);
    expect(keysOf(await call(a, 'query', 'MATCH (i:Item) RETURN i.k AS k'))).toEqual(acked);

    // CALL db.cluster.status() in a page: all four peers, three tabs and a Node peer, page a leads.
    // Kind (presence) and address (a live connection) fill in once page c is connected to every
    // peer and has their presence: membership can complete before the last tab-to-tab link is up.
    let status: Record<string, unknown>[] = [];
    await until('page c to know every peer (presence and connection)', async () => {
      status = await call(c, 'query', 'CALL db.cluster.status()');
      return status.length === 4 && status.every((row) => row['kind'] !== null && row['address'] !== null);
    });
    expect(status.map((row) => row['id']).sort()).toEqual(ids);
    expect(Object.fromEntries(status.map((row) => [row['id'], row['kind']]))).toEqual({ [idA]: 'tab', [idB]: 'tab', [idC]: 'tab', [host.self]: 'node' });
    expect(status.filter((row) => row['state'] === 'leader').map((row) => row['id'])).toEqual([idA]);
    expect(status.map((row) => row['role']).sort()).toEqual(['learner', 'voter', 'voter', 'voter']);
    expect(new Set(status.map((row) => row['leader']))).toEqual(new Set([idA]));
    // Tab to tab over a direct WebRTC connection, tab to Node peer over WebSockets.
    expect(String(status.find((row) => row['id'] === idA)!['address'])).toContain('/webrtc');
    expect(String(status.find((row) => row['id'] === host.self)!['address'])).toContain('/ws');

    // The leader tab's metrics, rendered in the browser.
    const metrics = await call(a, 'metrics');
    expect(metrics).toMatch(/^cluster_nodes_total 4$/m);
    expect(metrics).toMatch(/^cluster_is_leader\{group="0"\} 1$/m);
    expect(metrics.match(/^replication_lag_ms\{/gm)?.length).toBe(4);

    // Close the leader's page (no goodbye: like a crashed tab). Another member is elected.
    const termBefore = (await call(b, 'info')).term;
    await a.close();
    const survivors = [b, c];
    await until('a new leader', async () => {
      const infos = await Promise.all(survivors.map((p) => call(p, 'info')));
      const leaders = [...infos.filter((i) => i.isLeader).map((i) => i.self), ...(host.isLeader() ? [host.self] : [])];
      return leaders.length === 1 && leaders[0] !== idA;
    });
    expect((await call(b, 'info')).term).toBeGreaterThan(termBefore);

    // Nothing acknowledged is lost, and the group takes writes again (from a tab, through the new leader).
    // MERGE: a retried attempt whose first try's outcome was unknown must not write twice.
    await writeAcknowledged(() => call(c, 'query', 'MERGE (:Item {k: $k})', { k: 7 }));
    acked.push(7);
    for (const p of survivors) expect(keysOf(await call(p, 'query', 'MATCH (i:Item) RETURN i.k AS k'))).toEqual(acked);
    expect(keysOf((await host.query('MATCH (i:Item) RETURN i.k AS k')).rows)).toEqual(acked);
    expect(h.problems).toEqual([]);
  }, 60_000);
});
