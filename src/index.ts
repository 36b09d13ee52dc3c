/**
 * Geode: a peer-to-peer, local-first, federated property-graph database for the web.
 *
 * @example
 * ```ts
 * import { openGeode } from 'geode-db';
 * const db = await openGeode({ storage: 'memory' });
 * await db.query("CREATE (:Person {name: 'Ada'})-[:KNOWS]->(:Person {name: 'Alan'})");
 * const { rows } = await db.query('MATCH (a)-[:KNOWS]->(b) RETURN a.name, b.name');
 * ```
 *
 * @packageDocumentation
 */
import './util/polyfills.ts'; // first: Node 20 lacks Promise.withResolvers, which libp2p uses
export { openGeode } from './api/database.ts';
export type { Geode, GeodeOptions, QueryOptions, QueryResult, QueryParams } from './api/database.ts';
export { GeodeNode, GeodeRelationship, GeodePath } from './api/result.ts';
export { TemporalValue, DurationValue } from './graph/temporal.ts';
export type { ResultValue, ResultRow } from './api/result.ts';
export type { SubscribeOptions, Unsubscribe } from './api/live-query.ts';
export type { GeodeTransaction, GeodeSession, TransactionOptions, TransactionState } from './api/transaction.ts';
export type { TransactionIsolation } from './gql/transaction-control.ts';
export { GeodeError, isGeodeError } from './util/errors.ts';
export type { GeodeErrorCode, SourcePosition } from './util/errors.ts';
export type { ProcedureDefinition, ProcedureColumn, ProcedureContext } from './query/types.ts';

import { registerStorageDriver } from './api/storage-drivers.ts';
import { GeodeError as StorageConfigError } from './util/errors.ts';

// IndexedDB storage, loaded on first use (an in-memory database never loads it).
registerStorageDriver('indexeddb', async (location, options) => {
  if (typeof indexedDB === 'undefined') {
    throw new StorageConfigError('CONFIG_INVALID', "storage: 'indexeddb' needs a browser (this runtime has no indexedDB); in Node use 'file:<dir>'", {
      source: 'config',
    });
  }
  const { openIndexedDbLogStore, tabPeerDatabaseName } = await import('./storage/indexeddb/index.ts');
  return openIndexedDbLogStore(location === '' ? await tabPeerDatabaseName() : location, options);
});
export type { StorageSpec } from './api/storage-drivers.ts';
export type { ClusterOptions } from './api/cluster-options.ts';
export type { GeodeCluster } from './api/cluster-handle.ts';
export type { PeerStatus, ReplicaLag, Staleness, FaultMode } from './shard/index.ts';
export type { FederationAgent, FederationLagEvent, FederationLinkLag, FederationPeer } from './federation/index.ts';

/**
 * generatePeerKey: a new peer identity key (Ed25519, libp2p protobuf bytes) for `cluster.key`.
 * Keep it with the peer's data: a peer restarted on the same data must keep its id. Loads the
 * key code on first use.
 */
export async function generatePeerKey(): Promise<Uint8Array> {
  const keys = await import('./net/keys.ts');
  return keys.generatePeerKey();
}

import { registerClusterTransport } from './api/cluster-transport.ts';

// Cluster peers in a browser tab: WebSockets, WebRTC and circuit relay, loaded on first use (an
// embedded-only app never loads libp2p). src/node.ts replaces this with the Node peer.
registerClusterTransport(async ({ cluster, storage }) => {
  if (cluster.key === undefined && storage !== 'memory') {
    throw new StorageConfigError('CONFIG_INVALID', `cluster.key: a tab peer with '${storage}' storage must be given its key (keep generatePeerKey() bytes with the data)`, {
      source: 'config',
      detail: 'cluster.key',
    });
  }
  const { createBrowserPeer } = await import('./net/browser.ts');
  return createBrowserPeer({
    clusterId: cluster.id,
    secret: cluster.secret,
    relays: cluster.relays,
    ...(cluster.key === undefined ? {} : { privateKey: cluster.key }),
    presence: { roles: [cluster.client ? 'client' : 'member'] },
  });
});
