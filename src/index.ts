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
export { openGeode } from './api/database.ts';
export type { Geode, GeodeOptions, QueryOptions, QueryResult, QueryParams } from './api/database.ts';
export { GeodeNode, GeodeRelationship, GeodePath } from './api/result.ts';
export { TemporalValue, DurationValue } from './graph/temporal.ts';
export type { ResultValue, ResultRow } from './api/result.ts';
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
