/**
 * The file log store (Node): durable Raft log, hard state and snapshots in a data directory.
 * See docs/storage.md for the on-disk format, the durability promise and the recovery rules.
 *
 * @example
 * ```ts
 * const store = openFileLogStore('./data/group-1', { onWarning: console.warn });
 * const { hardState, snapshot, entries } = await store.open();
 * store.stage({ entries: ready.entries, hardState: ready.hardState });
 * await store.sync(); // durable: now send ready.messages
 * ```
 *
 * @packageDocumentation
 */
export { FileLogStore, openFileLogStore } from './file-log-store.ts';
export type { FileLogStoreOptions, FileLogStoreStats } from './file-log-store.ts';
export type { FileStoreIo, FileStoreHandle, OpenMode } from './io.ts';
export { nodeFileStoreIo } from './io.ts';
export { isStoreFileName } from './names.ts';
export {
  fileFormatVersion,
  recordBytesMax,
  segmentBytesDefault,
  snapshotDataBytesMax,
  snapshotMetaBytesMax,
  lockFileName,
} from './constants.ts';
