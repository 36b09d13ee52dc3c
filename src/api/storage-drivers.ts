/**
 * Storage drivers: how a `storage` option (`'file:./data'`, `'indexeddb'`, ...) becomes a
 * {@link LogStore}. Each entry point registers the drivers of its platform, loaded on first use, so
 * a browser bundle never contains `node:fs` and an in-memory database loads no storage code.
 */
import { GeodeError } from '../util/errors.ts';
import type { LogStore, LogStoreOptions } from '../storage/types.ts';

/** The `storage` option: `'memory'`, `'file:<dir>'`, `'indexeddb'` or `'indexeddb:<name>'`. */
export type StorageSpec = 'memory' | 'indexeddb' | `indexeddb:${string}` | `file:${string}`;

/** Makes a store (not opened) for the part of the spec after the scheme (may be empty). */
export type StorageDriver = (location: string, options: LogStoreOptions) => Promise<LogStore>;

const drivers = new Map<string, StorageDriver>();

/** Registers the driver of a scheme (`file`, `indexeddb`); entry points call it at import. */
export function registerStorageDriver(scheme: string, driver: StorageDriver): void {
  drivers.set(scheme, driver);
}

const hints: Readonly<Record<string, string>> = {
  file: "file storage needs Node: import openGeode from 'geode-db/node' (src/node.ts)",
  indexeddb: 'IndexedDB storage needs a browser',
};

/** The store a spec names, not opened yet. CONFIG_INVALID for a malformed or unavailable spec. */
export function openLogStore(spec: string, options: LogStoreOptions): Promise<LogStore> {
  if (typeof spec !== 'string') {
    return Promise.reject(new GeodeError('CONFIG_INVALID', `storage must be a string such as 'memory', 'file:./data' or 'indexeddb', got ${typeof spec}`, { source: 'config' }));
  }
  const colon = spec.indexOf(':');
  const scheme = colon < 0 ? spec : spec.slice(0, colon);
  const location = colon < 0 ? '' : spec.slice(colon + 1);
  if (scheme === 'file' && location === '') {
    return Promise.reject(new GeodeError('CONFIG_INVALID', `storage: 'file:' needs a directory, as in 'file:./data'`, { source: 'config' }));
  }
  const driver = drivers.get(scheme);
  if (driver === undefined) {
    const hint = hints[scheme] ?? "use 'memory', 'file:<dir>' or 'indexeddb'";
    return Promise.reject(new GeodeError('CONFIG_INVALID', `storage: '${spec}' is not available here (${hint})`, { source: 'config' }));
  }
  return driver(location, options);
}
