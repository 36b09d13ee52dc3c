/**
 * This tab's database: `openGeode({ storage: 'indexeddb' })`, its own IndexedDB database that
 * survives reloads, falling back to memory (with a notice saying why) when that cannot open:
 * a private window without IndexedDB, storage blocked, the database held by another tab, ...
 *
 * `?storage=memory` in the URL asks for memory outright.
 */
import { openGeode, type Geode } from '../src/index.ts';
import { LOCAL_FIRST_POLICY } from './local-first-policy.ts';
import { clusterIdFromHash, fetchRelayInfo, joinTabCluster, shardsFromHash, type TabCluster } from './tab-cluster.ts';
import type { LocalFirst } from './local-first.ts';
import { federationFromHash, type TabFederation } from './tab-federation.ts';

/** Where the tab's database lives, for the cluster panel and the header. */
export interface TabDatabase {
  readonly db: Geode;
  readonly kind: 'indexeddb' | 'memory';
  /** The IndexedDB database's name, or a short description for memory. */
  readonly name: string;
  /** Why the database is not the one asked for (shown as a notice); undefined when it is. */
  readonly fallbackReason: string | undefined;
  /** The cluster this tab joined (the demo's dev server runs a relay); undefined when embedded. */
  readonly cluster?: TabCluster;
  /** With `&federate=` (or `&localfirst=on`): the cluster's federation and, unless `&localfirst=off`, the local-first controller (whose database is `db`). */
  readonly federation?: { readonly fed: TabFederation; readonly localFirst: LocalFirst | undefined };
}

/** Opens the tab's database as the URL asks (`?storage=memory`, else IndexedDB with a memory fallback). */
export async function openTabDatabase(search: string, hash = ''): Promise<TabDatabase> {
  const wanted = new URLSearchParams(search).get('storage');
  if (wanted === 'memory') return { db: await openGeode({ storage: 'memory' }), kind: 'memory', name: 'in this tab only', fallbackReason: undefined };
  let clusterFailure: string | undefined;
  const clusterId = clusterIdFromHash(hash);
  const info = clusterId === undefined ? undefined : await fetchRelayInfo(clusterId);
  if (clusterId !== undefined && info !== undefined) {
    try {
      const fp = federationFromHash(hash, clusterId);
      // Federation streams one group's log: a federated tab cluster has one shard.
      const cluster = await joinTabCluster(clusterId, info, fp === undefined ? shardsFromHash(hash) : 1, fp !== undefined);
      if (fp !== undefined) {
        const { startTabFederation } = await import('./tab-federation.ts');
        const { startLocalFirst } = await import('./local-first.ts');
        const fed = startTabFederation(cluster.db, clusterId, fp.federate);
        const localFirst = startLocalFirst(cluster, { ...LOCAL_FIRST_POLICY, enabled: fp.localFirst });
        return { db: localFirst.db, kind: 'indexeddb', name: cluster.dbName, fallbackReason: undefined, cluster, federation: { fed, localFirst: fp.localFirst ? localFirst : undefined } };
      }
      return { db: cluster.db, kind: 'indexeddb', name: cluster.dbName, fallbackReason: undefined, cluster };
    } catch (err) {
      clusterFailure = `could not join cluster ${clusterId}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  try {
    const db = await openGeode({ storage: 'indexeddb' });
    let name = 'this tab’s database';
    try {
      // While this page holds the database open, this returns its name at once.
      const { tabPeerDatabaseName } = await import('../src/storage/indexeddb/index.ts');
      name = await tabPeerDatabaseName();
    } catch {
      // The name is for display only.
    }
    return { db, kind: 'indexeddb', name, fallbackReason: clusterFailure };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { db: await openGeode({ storage: 'memory' }), kind: 'memory', name: 'in this tab only', fallbackReason: reason };
  }
}
