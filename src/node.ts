/**
 * Geode for Node: everything the universal entry offers, plus file storage
 * (`openGeode({ storage: 'file:./data' })`). Package users get it as `geode-db` under Node (the
 * `node` export condition) or explicitly as `geode-db/node`.
 *
 * @example
 * ```ts
 * import { openGeode } from 'geode-db/node';
 * const db = await openGeode({ storage: 'file:./data' });
 * await db.query("CREATE (:Person {name: 'Ada'})");
 * await db.close(); // the next openGeode on ./data finds Ada
 * ```
 *
 * @packageDocumentation
 */
import './util/polyfills.ts'; // first: Node 20 lacks Promise.withResolvers, which libp2p uses
import { registerStorageDriver } from './api/storage-drivers.ts';
import { registerClusterTransport } from './api/cluster-transport.ts';

registerStorageDriver('file', async (location, options) => {
  const { openFileLogStore } = await import('./storage/file/index.ts');
  return openFileLogStore(location, options);
});

// Cluster peers in Node: TCP and WebSockets, the key kept in a file: data directory (loaded on first use).
registerClusterTransport(async (request) => {
  const { nodeClusterTransport } = await import('./api/node-cluster.ts');
  return nodeClusterTransport(request);
});

export * from './index.ts';
export { createRelay, type Relay, type RelayInit } from './net/node.ts';
