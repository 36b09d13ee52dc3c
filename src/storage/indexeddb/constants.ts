/**
 * Names, versions and limits of the IndexedDB log store. Each limit says why it is what it is.
 */
import { assert } from '../../util/assert.ts';

/**
 * schemaVersion: the IndexedDB database version this code creates and understands (the object
 * stores below). A database at a higher version was written by newer code and is refused.
 */
export const schemaVersion = 1;

/**
 * recordFormatVersion: the format of the records inside the object stores, kept in `meta` under
 * {@link metaKeyFormat}. Bumped when a record shape changes without a new object store.
 */
export const recordFormatVersion = 1;

/** Object store of log entries, in runs: key = the index of a run's last entry (see RunRecord). */
export const entriesStoreName = 'entries';
/** Object store of small records: format, hard state, snapshot metadata. Out-of-line string keys. */
export const metaStoreName = 'meta';
/** Object store of snapshot data, split in chunks: key = [snapshotIndex, chunkNo]. */
export const snapshotChunksStoreName = 'snapshotChunks';

/** Key in `meta` of the format record. */
export const metaKeyFormat = 'format';
/** Key in `meta` of the hard state. */
export const metaKeyHardState = 'hardState';
/** Key in `meta` of the current snapshot's metadata (absent before the first snapshot). */
export const metaKeySnapshot = 'snapshot';

/**
 * snapshotChunkBytes: the size of one snapshot chunk (the last may be shorter). 1 MiB keeps each
 * structured clone small enough not to stall the page while still writing a 100 MiB snapshot in
 * 100 records.
 */
export const snapshotChunkBytes = 1024 * 1024;

/**
 * snapshotBytesMax: the largest snapshot stored. 1 GiB: past this a browser's quota (and the
 * page's memory, which holds the snapshot whole) runs out anyway; better a clear LIMIT_EXCEEDED.
 */
export const snapshotBytesMax = 1024 * 1024 * 1024;

/**
 * stagedBytesMax: most entry data bytes staged and not yet handed to a transaction. A host that
 * stages this much without calling `sync()` is not following the Ready contract; `stage` then
 * rejects with LIMIT_EXCEEDED instead of growing memory without bound. 256 MiB.
 */
export const stagedBytesMax = 256 * 1024 * 1024;

/**
 * stagedWritesMax: most `stage` calls queued before a `sync()` takes them (same reason as
 * {@link stagedBytesMax}; bounds the queue by count when entries are tiny).
 */
export const stagedWritesMax = 1_000_000;

/**
 * runEntriesMax / runBytesMax: most entries, and most entry data bytes, in one run record of
 * `entries` (a sync writes its entries as few runs as these allow). A record stays small enough
 * for a cheap structured clone and a bounded rewrite when a conflicting suffix cuts it.
 */
export const runEntriesMax = 4_096;
export const runBytesMax = 256 * 1024;

/** lockNamePrefix: Web Lock names are `lockNamePrefix + databaseName`. */
export const lockNamePrefix = 'geode-idb:';

/** sessionKeySuffix: sessionStorage key of a tab's peer database name is `prefix + sessionKeySuffix`. */
export const sessionKeySuffix = ':peer-database';

/** tabNameAttemptsMax: how many fresh names `tabPeerDatabaseName` tries before giving up. */
export const tabNameAttemptsMax = 16;

assert(snapshotChunkBytes > 0, `snapshotChunkBytes ${snapshotChunkBytes} must be positive`);
assert(snapshotBytesMax % snapshotChunkBytes === 0, `snapshotBytesMax ${snapshotBytesMax} must be a multiple of snapshotChunkBytes ${snapshotChunkBytes}`);
assert(stagedBytesMax >= snapshotChunkBytes, `stagedBytesMax ${stagedBytesMax} below one chunk ${snapshotChunkBytes}`);
