/**
 * The IndexedDB log store (browsers): one database per peer, entries, hard state and chunked
 * snapshots in object stores, group-committed readwrite transactions, one owner per database
 * across tabs through a Web Lock. See docs/storage.md.
 *
 * Browser-only: uses `indexedDB`, `navigator.locks`, `sessionStorage`; imports no Node built-in.
 *
 * @packageDocumentation
 */
export { IndexedDbLogStore, openIndexedDbLogStore } from './store.ts';
export type { IndexedDbLogStoreOptions, IndexedDbLogStoreStats } from './store.ts';
export { tabPeerDatabaseName, reloadReleaseWaitMs } from './tab-name.ts';
export { lockNameOf } from './web-lock.ts';
export { schemaVersion, recordFormatVersion, snapshotChunkBytes, snapshotBytesMax, stagedBytesMax, stagedWritesMax } from './constants.ts';
