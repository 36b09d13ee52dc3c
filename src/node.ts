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
import { registerStorageDriver } from './api/storage-drivers.ts';

registerStorageDriver('file', async (location, options) => {
  const { openFileLogStore } = await import('./storage/file/index.ts');
  return openFileLogStore(location, options);
});

export * from './index.ts';
