/**
 * IndexedDbLogStore: the durable Raft log of one peer in a browser, in one IndexedDB database.
 *
 * Layout (schema version 1): `entries` (key path `index`), `meta` (`format`, `hardState`,
 * `snapshot`), `snapshotChunks` (key [snapshotIndex, chunkNo]). See docs/storage.md.
 *
 * Writes are serialised through one queue of readwrite transactions. `sync()` hands everything
 * staged so far to the next transaction; while one transaction commits, later `sync()` calls
 * join the one queued behind it (group commit: many syncs, one transaction, one disk flush).
 * A transaction is all-or-nothing, so a crash leaves the state before it or after it.
 */
import { openDB, unwrap, type IDBPDatabase } from 'idb';
import type { Entry, HardState, LogIndex, NodeId, Snapshot, Term } from '../../raft/index.ts';
import { assert } from '../../util/assert.ts';
import { GeodeError } from '../../util/errors.ts';
import type { DurableMark, DurableState, LogStore, LogStoreOptions, StagedWrites } from '../types.ts';
import {
  entriesStoreName,
  metaKeyFormat,
  metaKeyHardState,
  metaKeySnapshot,
  metaStoreName,
  recordFormatVersion,
  schemaVersion,
  snapshotBytesMax,
  snapshotChunkBytes,
  snapshotChunksStoreName,
  stagedBytesMax,
  stagedWritesMax,
} from './constants.ts';
import { toStoreError } from './errors.ts';
import {
  decodeFormat,
  entriesAfter,
  decodeHardState,
  decodeSnapshotMeta,
  recordPlace,
  snapshotMetadataOf,
  type LogDbSchema,
  type SnapshotMetaRecord,
} from './records.ts';
import { headBefore, pendingWriteOf, planFlush, putRuns, type PendingWrite } from './flush-plan.ts';
import { joinSnapshot, splitSnapshot } from './snapshot-chunks.ts';
import { lockNameOf, tryLock, type HeldLock } from './web-lock.ts';

/** Options of {@link openIndexedDbLogStore}. */
export interface IndexedDbLogStoreOptions extends LogStoreOptions {
  /**
   * Durability asked of each write transaction. `strict` (default): the browser flushes to disk
   * before the transaction completes, so a resolved `sync()` survives a power cut. `relaxed`
   * survives a tab or browser crash but not an OS crash; it is faster. Browsers that do not know
   * the option ignore it (and use their default).
   */
  readonly durability?: 'strict' | 'relaxed' | 'default';
  /**
   * How long `open()` waits for another holder of the database's Web Lock to let go before
   * refusing with IO. Default 0: refuse at once (`ifAvailable`). A page that reopens its own
   * database right after a reload may pass ~1000: the old page releases its lock as it unloads.
   */
  readonly lockWaitMs?: number;
  /** Size of one snapshot chunk in bytes (default 1 MiB). Smaller values are for tests. */
  readonly snapshotChunkBytes?: number;
}

/** Counters of one open store, for tests (group commit) and benchmarks. */
export interface IndexedDbLogStoreStats {
  /** `sync()` calls made. */
  readonly syncCalls: number;
  /** Readwrite transactions committed for syncs (fewer than `syncCalls` when syncs coalesce). */
  readonly syncTransactions: number;
  /** Readwrite transactions committed for `saveSnapshot`. */
  readonly snapshotTransactions: number;
  /** Log entries written (puts) in committed transactions. */
  readonly entriesWritten: number;
  /** Entry data bytes written in committed transactions. */
  readonly entryBytesWritten: number;
}

type LogDb = IDBPDatabase<LogDbSchema>;

/** Aborts `tx` after a request was refused synchronously, so nothing of its batch lands. */
function abortQuietly(tx: { abort(): void }, done: Promise<void>): void {
  done.catch(noop);
  try {
    tx.abort();
  } catch {
    // The transaction already finished or aborted.
  }
}

type Phase = 'new' | 'opening' | 'open' | 'closing' | 'closed';

const emptyHardState: HardState = { term: 0 as Term, vote: 0 as NodeId, commit: 0 as LogIndex };
function noop(): void {}

/** IndexedDbLogStore: a {@link LogStore} in one IndexedDB database. Create with {@link openIndexedDbLogStore}. */
export class IndexedDbLogStore implements LogStore {
  readonly kind = 'indexeddb' as const;
  readonly location: string;

  private readonly durability: 'strict' | 'relaxed' | 'default';
  private readonly lockWaitMs: number;
  private readonly chunkBytes: number;
  private readonly onWarning: (message: string) => void;

  private phase: Phase = 'new';
  private db: LogDb | undefined;
  private lock: HeldLock | undefined;
  /** The error that made the store unusable (a failed write, a lost connection); sticky. */
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  /** Writes staged and not yet taken by a transaction, in order. */
  private pending: PendingWrite[] = [];
  private pendingBytes = 0;
  /** The flush queued behind the running transaction, not started yet; later syncs join it. */
  private nextFlush: Promise<void> | undefined;
  /** The last queued write transaction (may reject). */
  private lastWrite: Promise<void> = Promise.resolve();
  /** `lastWrite` with its failure swallowed: what the next transaction waits for. */
  private writeTail: Promise<void> = Promise.resolve();

  /** Durable marks (after the last committed transaction). */
  private durableLast = 0;
  private durableSnap = 0;
  /** Marks as they will be once everything staged is written: what `stage` checks against. */
  private stagedLast = 0;
  private stagedSnap = 0;

  private counters = { syncCalls: 0, syncTransactions: 0, snapshotTransactions: 0, entriesWritten: 0, entryBytesWritten: 0 };

  /** Use {@link openIndexedDbLogStore}; the constructor opens nothing. */
  constructor(name: string, options: IndexedDbLogStoreOptions = {}) {
    if (name.length === 0) throw new GeodeError('CONFIG_INVALID', 'IndexedDB log store: database name must not be empty');
    const chunkBytes = options.snapshotChunkBytes ?? snapshotChunkBytes;
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0 || chunkBytes > snapshotChunkBytes) {
      throw new GeodeError('CONFIG_INVALID', `IndexedDB log store: snapshotChunkBytes must be an integer in [1, ${snapshotChunkBytes}], got ${chunkBytes}`);
    }
    const lockWaitMs = options.lockWaitMs ?? 0;
    if (!Number.isFinite(lockWaitMs) || lockWaitMs < 0) {
      throw new GeodeError('CONFIG_INVALID', `IndexedDB log store: lockWaitMs must be a non-negative number, got ${lockWaitMs}`);
    }
    this.location = name;
    this.durability = options.durability ?? 'strict';
    this.lockWaitMs = lockWaitMs;
    this.chunkBytes = chunkBytes;
    this.onWarning = options.onWarning ?? noop;
  }

  // -------------------------------------------------------------------------------------------
  // open / close
  // -------------------------------------------------------------------------------------------

  async open(): Promise<DurableState> {
    assert(this.phase === 'new', `open() on a store that is ${this.phase}`);
    this.phase = 'opening';
    const name = this.location;
    const lock = await tryLock(lockNameOf(name), this.lockWaitMs, () =>
      this.onWarning(`no Web Locks API: database '${name}' is guarded against a second open in this page only, not in other tabs`),
    ).catch((err: unknown) => {
      this.phase = 'new';
      throw toStoreError(name, 'taking its Web Lock', err);
    });
    if (lock === undefined) {
      this.phase = 'new';
      throw new GeodeError('IO', `IndexedDB database '${name}' is open in another tab (or already open in this one): its Web Lock '${lockNameOf(name)}' is held`, {
        source: name,
        detail: 'Locked',
      });
    }
    try {
      this.db = await this.openDatabase();
      const state = await this.readDurable(this.db);
      this.lock = lock;
      this.phase = 'open';
      return state;
    } catch (err) {
      this.db?.close();
      this.db = undefined;
      lock.release();
      this.phase = 'new';
      throw toStoreError(name, 'opening', err);
    }
  }

  /** Opens (creating or upgrading) the database; refuses a newer version and a blocked upgrade. */
  private openDatabase(): Promise<LogDb> {
    const name = this.location;
    return new Promise<LogDb>((resolve, reject) => {
      let blocked = false;
      // Why the upgrade transaction failed (a quota error, ...): openDB only reports "aborted".
      let upgradeError: unknown;
      openDB<LogDbSchema>(name, schemaVersion, {
        upgrade(db, oldVersion, _newVersion, tx) {
          if (oldVersion < 1) {
            db.createObjectStore(entriesStoreName);
            db.createObjectStore(metaStoreName);
            db.createObjectStore(snapshotChunksStoreName);
            tx.objectStore(metaStoreName)
              .put({ version: recordFormatVersion }, metaKeyFormat)
              .catch((err: unknown) => {
                upgradeError ??= err;
              });
          }
          tx.done.catch((err: unknown) => {
            upgradeError ??= err;
          });
        },
        blocked(currentVersion, blockedVersion) {
          blocked = true;
          reject(
            new GeodeError(
              'IO',
              `IndexedDB database '${name}' cannot be upgraded from version ${currentVersion} to ${String(blockedVersion)}: ` +
                'another connection (an older tab of this site) keeps it open; close the other tabs and retry',
              { source: name, detail: 'Blocked' },
            ),
          );
        },
        blocking: () => this.connectionLost('another connection wants to upgrade or delete it'),
        terminated: () => this.connectionLost('the browser closed the connection (storage cleared or device failure)'),
      }).then(
        (db) => {
          if (blocked) db.close();
          else resolve(db);
        },
        (err: unknown) => reject(upgradeError ?? err),
      );
    });
  }

  /** The connection went away under us: close it, and make every later call fail with IO. */
  private connectionLost(why: string): void {
    this.db?.close();
    this.poison(new GeodeError('IO', `IndexedDB database '${this.location}' was closed: ${why}`, { source: this.location, detail: 'ConnectionLost' }));
  }

  /** Reads format, hard state, snapshot and the entries after it, in one readonly transaction. */
  private async readDurable(db: LogDb): Promise<DurableState> {
    const name = this.location;
    for (const store of [entriesStoreName, metaStoreName, snapshotChunksStoreName] as const) {
      if (!db.objectStoreNames.contains(store)) {
        throw new GeodeError('INPUT_INVALID', `IndexedDB database '${name}' is not a Geode log database: object store '${store}' is missing`, { source: name });
      }
    }
    const tx = db.transaction([entriesStoreName, metaStoreName, snapshotChunksStoreName], 'readonly');
    const meta = tx.objectStore(metaStoreName);
    const [formatValue, hardValue, snapValue] = await Promise.all([meta.get(metaKeyFormat), meta.get(metaKeyHardState), meta.get(metaKeySnapshot)]);
    const format = decodeFormat(name, metaKeyFormat, formatValue);
    if (format === undefined) {
      throw new GeodeError('INPUT_INVALID', `${recordPlace(name, metaStoreName, metaKeyFormat)}: format record missing`, { source: name });
    }
    if (format.version > recordFormatVersion) {
      throw new GeodeError(
        'IO',
        `IndexedDB database '${name}' holds records of format ${format.version}, newer than this code's ${recordFormatVersion}: it was written by a newer Geode`,
        { source: name, detail: 'VersionError' },
      );
    }
    const hardState = decodeHardState(name, metaKeyHardState, hardValue) ?? emptyHardState;
    const snapMeta = decodeSnapshotMeta(name, metaKeySnapshot, snapValue);
    const snapIndex = snapMeta?.index ?? 0;

    const chunkRange = IDBKeyRange.bound([snapIndex, 0], [snapIndex, Infinity]);
    const chunks = tx.objectStore(snapshotChunksStoreName);
    // Runs ending after the snapshot; the first may start at or before it (its head is skipped).
    const runRange = IDBKeyRange.lowerBound(snapIndex, true);
    const [chunkKeys, chunkValues, runKeys, runValues] = await Promise.all([
      snapMeta === undefined ? Promise.resolve([]) : chunks.getAllKeys(chunkRange),
      snapMeta === undefined ? Promise.resolve([]) : chunks.getAll(chunkRange),
      tx.objectStore(entriesStoreName).getAllKeys(runRange),
      tx.objectStore(entriesStoreName).getAll(runRange),
    ]);
    await tx.done;

    const snapshot: Snapshot | undefined =
      snapMeta === undefined ? undefined : { metadata: snapshotMetadataOf(snapMeta), data: joinSnapshot(name, snapMeta, chunkKeys, chunkValues) };
    const entries = entriesAfter(name, runKeys, runValues, snapIndex);
    const last = entries.length === 0 ? snapIndex : entries[entries.length - 1]!.index;
    this.durableSnap = this.stagedSnap = snapIndex;
    this.durableLast = this.stagedLast = last;
    return { hardState, snapshot, entries };
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    if (this.phase === 'new') {
      this.phase = 'closed';
      return;
    }
    assert(this.phase !== 'opening', 'close() while open() is running');
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    // A store that failed before close already reported its error: close only releases it then.
    // A failure while close syncs what is staged is reported by close.
    let error: unknown;
    if (this.failure === undefined) {
      try {
        await this.syncStaged();
      } catch (err) {
        error = err;
      }
    }
    await this.writeTail;
    this.phase = 'closed';
    this.db?.close();
    this.db = undefined;
    this.lock?.release();
    this.lock = undefined;
    if (error !== undefined) throw error;
  }

  // -------------------------------------------------------------------------------------------
  // stage / sync
  // -------------------------------------------------------------------------------------------

  /** Why a call cannot proceed now, or undefined. */
  private unusable(): Error | undefined {
    if (this.failure !== undefined) return this.failure;
    if (this.phase === 'closing' || this.phase === 'closed' || this.closing !== undefined) {
      return new GeodeError('CLOSED', `IndexedDB log store '${this.location}' is closed`, { source: this.location });
    }
    assert(this.phase === 'open', `IndexedDB log store used before open() resolved (${this.phase})`);
    return undefined;
  }

  stage(writes: StagedWrites): void {
    const bad = this.unusable();
    if (bad !== undefined) throw bad;
    const all = writes.entries ?? [];
    let bytes = writes.snapshot?.data.length ?? 0;
    for (let i = 0; i < all.length; i++) bytes += all[i]!.data.length;
    if (this.pending.length >= stagedWritesMax || this.pendingBytes + bytes > stagedBytesMax) {
      throw new GeodeError(
        'LIMIT_EXCEEDED',
        `IndexedDB log store '${this.location}': ${this.pending.length} writes of ${this.pendingBytes} bytes staged without sync() ` +
          `(limits ${stagedWritesMax} writes, ${stagedBytesMax} bytes)`,
        { source: this.location },
      );
    }
    const pending = pendingWriteOf(writes, this.stagedSnap, this.stagedLast);
    if (pending === undefined) return;
    this.stagedSnap = pending.snapAfter;
    this.stagedLast = pending.lastAfter;
    this.pending.push(pending);
    this.pendingBytes += bytes;
  }

  sync(): Promise<void> {
    this.counters.syncCalls++;
    const bad = this.unusable();
    if (bad !== undefined) return Promise.reject(bad);
    return this.syncStaged();
  }

  /** Group commit: what is staged joins the transaction queued behind the running one. */
  private syncStaged(): Promise<void> {
    if (this.pending.length === 0) {
      // Everything staged before this call is in a transaction already queued or running.
      return this.nextFlush ?? this.lastWrite;
    }
    this.nextFlush ??= this.enqueueWrite(() => {
      this.nextFlush = undefined;
      return this.flush();
    });
    return this.nextFlush;
  }

  /** Queues `write` behind every earlier write transaction; a failed store refuses to run it. */
  private enqueueWrite(write: () => Promise<void>): Promise<void> {
    const run = this.writeTail.then(() => {
      if (this.failure !== undefined) throw this.failure;
      return write();
    });
    this.lastWrite = run;
    this.writeTail = run.then(noop, noop);
    return run;
  }

  /** Records the first failure; every later call rejects with it. Returns it. */
  private poison(err: Error): Error {
    this.failure ??= err;
    return this.failure;
  }

  private openDb(): LogDb {
    const db = this.db;
    assert(db !== undefined, `IndexedDB log store '${this.location}' has no connection`);
    return db;
  }

  /** Writes everything pending in one readwrite transaction and waits for it to commit. */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (batch.length === 0) return;
    const plan = planFlush(batch, this.durableLast);
    try {
      const db = this.openDb();
      const tx =
        plan.snapshot !== undefined
          ? db.transaction([entriesStoreName, metaStoreName, snapshotChunksStoreName], 'readwrite', { durability: this.durability })
          : db.transaction([entriesStoreName, metaStoreName], 'readwrite', { durability: this.durability });
      const done = tx.done;
      try {
        const raw = unwrap(tx);
        const entries = raw.objectStore(entriesStoreName);
        const meta = raw.objectStore(metaStoreName);
        if (plan.snapshot !== undefined) {
          this.putSnapshot(raw.objectStore(snapshotChunksStoreName), meta, plan.snapshot);
          // A received snapshot replaces the whole log.
          entries.clear();
        }
        if (plan.cutFrom > 0) {
          // The run holding cutFrom is the first one ending at or after it; its head (kept) is rewritten.
          const holder = await tx.objectStore(entriesStoreName).openCursor(IDBKeyRange.lowerBound(plan.cutFrom));
          const head = holder === null ? [] : headBefore(this.location, holder.key, holder.value, plan.cutFrom, plan.snapAtCut);
          entries.delete(IDBKeyRange.lowerBound(plan.cutFrom));
          if (head.length > 0) putRuns(entries, head);
        }
        if (plan.run.length > 0) putRuns(entries, plan.run);
        const hs = plan.hardState;
        if (hs !== undefined) meta.put({ term: hs.term, vote: hs.vote, commit: hs.commit }, metaKeyHardState);
      } catch (err) {
        abortQuietly(tx, done);
        throw err;
      }
      await done;
    } catch (err) {
      throw this.poison(toStoreError(this.location, `writing ${batch.length} staged writes`, err));
    }
    const tail = batch[batch.length - 1]!;
    this.durableSnap = tail.snapAfter;
    this.durableLast = tail.lastAfter;
    this.counters.syncTransactions++;
    this.counters.entriesWritten += plan.run.length;
    let bytes = 0;
    for (let i = 0; i < plan.run.length; i++) bytes += plan.run[i]!.data.length;
    this.counters.entryBytesWritten += bytes;
  }

  /** Issues the requests that replace the stored snapshot by `snapshot` (chunks, then metadata). */
  private putSnapshot(chunks: IDBObjectStore, meta: IDBObjectStore, snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    const parts = splitSnapshot(snapshot.data, this.chunkBytes);
    chunks.clear();
    for (let no = 0; no < parts.length; no++) chunks.put(parts[no]!, [index, no]);
    const md = snapshot.metadata;
    const record: SnapshotMetaRecord = {
      index,
      term: md.term,
      conf: md.conf,
      byteLength: snapshot.data.length,
      chunkCount: parts.length,
      chunkBytes: this.chunkBytes,
    };
    meta.put(record, metaKeySnapshot);
  }

  // -------------------------------------------------------------------------------------------
  // snapshots
  // -------------------------------------------------------------------------------------------

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    const bad = this.unusable();
    if (bad !== undefined) throw bad;
    if (snapshot.data.length > snapshotBytesMax) {
      throw new GeodeError('LIMIT_EXCEEDED', `IndexedDB log store '${this.location}': snapshot of ${snapshot.data.length} bytes is over the ${snapshotBytesMax} byte limit`, {
        source: this.location,
      });
    }
    await this.sync();
    const index = snapshot.metadata.index;
    assert(index <= this.durableLast, `saveSnapshot at ${index} past the last durable index ${this.durableLast}`);
    return this.enqueueWrite(() => this.writeSnapshot(snapshot));
  }

  /** One transaction: the new snapshot's chunks and metadata in, older chunks and entries <= index out. */
  private async writeSnapshot(snapshot: Snapshot): Promise<void> {
    const index = snapshot.metadata.index;
    // A snapshot at this index or later is durable already (received from the leader meanwhile).
    if (index <= this.durableSnap) return;
    try {
      const tx = this.openDb().transaction([entriesStoreName, metaStoreName, snapshotChunksStoreName], 'readwrite', { durability: this.durability });
      const done = tx.done;
      try {
        const raw = unwrap(tx);
        this.putSnapshot(raw.objectStore(snapshotChunksStoreName), raw.objectStore(metaStoreName), snapshot);
        // Runs wholly covered go; a run straddling the index keeps its covered head (skipped on read).
        raw.objectStore(entriesStoreName).delete(IDBKeyRange.upperBound(index));
      } catch (err) {
        abortQuietly(tx, done);
        throw err;
      }
      await done;
    } catch (err) {
      throw this.poison(toStoreError(this.location, `saving the snapshot at index ${index}`, err));
    }
    this.durableSnap = index;
    if (this.stagedSnap < index) this.stagedSnap = index;
    if (this.durableLast < index) this.durableLast = index;
    if (this.stagedLast < index) this.stagedLast = index;
    this.counters.snapshotTransactions++;
  }

  /**
   * crash: TEST-ONLY: the owner dies. Staged writes are lost, nothing more is written, the
   * connection is closed (a transaction already handed to the browser still completes, as it
   * would if the tab died after handing it over) and the lock is released.
   */
  crash(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.poison(new GeodeError('CLOSED', `IndexedDB log store '${this.location}' crashed (test)`, { source: this.location }));
    this.phase = 'closed';
    this.db?.close();
    this.db = undefined;
    this.lock?.release();
    this.lock = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // introspection
  // -------------------------------------------------------------------------------------------

  durable(): DurableMark {
    return { lastIndex: this.durableLast as LogIndex, snapshotIndex: this.durableSnap as LogIndex };
  }

  /** stats: counters since open (group commit shows as `syncTransactions` < `syncCalls`). */
  stats(): IndexedDbLogStoreStats {
    return { ...this.counters };
  }
}

/**
 * openIndexedDbLogStore: the log store of one peer in the IndexedDB database `name`, NOT opened
 * yet (like every storage driver): its `open()` takes the database's Web Lock, creates or upgrades
 * the database and returns what it held durably. `open()` rejects with GeodeError IO when the
 * database is open in another tab or has a newer version, INPUT_INVALID when its content is
 * damaged (the message names the object store and key).
 */
export function openIndexedDbLogStore(name: string, options: IndexedDbLogStoreOptions = {}): Promise<IndexedDbLogStore> {
  try {
    return Promise.resolve(new IndexedDbLogStore(name, options));
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
