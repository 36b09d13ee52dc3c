/**
 * The storage layer's contract: a durable Raft log, hard state and snapshot for one Raft group
 * on one peer. Implemented in memory (tests), on files (Node) and in IndexedDB (browsers).
 *
 * The Raft core reads its log synchronously from an in-memory view (`MemoryStorage` in src/raft);
 * a {@link LogStore} is the write-behind durable copy of that view. The host (src/shard) follows
 * Raft's Ready contract with it:
 *
 * 1. `stage(ready)`: hand over the Ready's snapshot, entries and hard state (kept in order, in memory);
 * 2. `await sync()`: everything staged so far is durable (fsync / committed IndexedDB transaction);
 *    only then are the Ready's messages sent and its writes acknowledged;
 * 3. after applying up to some index, `saveSnapshot(snapshot)` stores the application's snapshot
 *    durably and drops the log entries it covers (log compaction).
 *
 * A store never re-orders writes: a later `sync()` never makes a later write durable while an
 * earlier one is not. Many `stage` calls before one `sync` is group commit: one fsync for all.
 */
import type { Entry, HardState, LogIndex, Snapshot } from '../raft/index.ts';

/** What a store held durably when it was opened: the state a Raft node restarts from. */
export interface DurableState {
  /** The last saved hard state ({ term: 0, vote: 0, commit: 0 } for a new store). */
  readonly hardState: HardState;
  /** The latest saved snapshot; undefined when none was ever saved. */
  readonly snapshot: Snapshot | undefined;
  /**
   * The log entries after the snapshot (or from index 1 without one), contiguous and in order:
   * entries[i].index === first + i. A torn tail (a record cut short by a crash) is not included.
   */
  readonly entries: readonly Entry[];
}

/** What is durable now, for `db.cluster.status()` and tests. */
export interface DurableMark {
  /** Index of the last log entry known durable (0 when none). */
  readonly lastIndex: LogIndex;
  /** Index of the durable snapshot (0 when none). */
  readonly snapshotIndex: LogIndex;
}

/** A batch of writes of one Raft Ready, in the order they must land. */
export interface StagedWrites {
  /** A snapshot received from the leader: replaces the whole log (entries after it follow). */
  readonly snapshot?: Snapshot | undefined;
  /**
   * Entries to append. They follow on from the log or overwrite a suffix of it: every held entry
   * at or after `entries[0].index` is dropped first (a conflicting suffix truncated).
   */
  readonly entries?: readonly Entry[];
  /** The hard state to save, when it changed. */
  readonly hardState?: HardState | undefined;
}

/**
 * LogStore: the durable log of one Raft group on one peer.
 *
 * Single writer: a store is opened by one owner; the file store also locks its directory against
 * other processes. Methods other than `open` may be called only after `open` resolved and before
 * `close`. Errors are GeodeError: `IO` (the device failed; the detail names the file or database),
 * `INPUT_INVALID` (corruption found; the message names the file and byte offset, or the object
 * store and key), `LIMIT_EXCEEDED` (quota), `CLOSED`.
 * After a failed `sync` or `saveSnapshot` the store is unusable (every later call rejects with the
 * same error): what is durable is unknown until it is opened again, as after a crash.
 */
export interface LogStore {
  /** Which kind of store this is, for status and errors. */
  readonly kind: 'memory' | 'file' | 'indexeddb';
  /** Where it lives: a directory path, an IndexedDB database name, or `memory`. */
  readonly location: string;
  /**
   * open: takes ownership (locks), recovers, and returns what is durable. A torn final record is
   * dropped (and reported through `onWarning`); corruption before the end rejects with
   * INPUT_INVALID naming the file and offset, and changes nothing on disk.
   */
  open(): Promise<DurableState>;
  /** stage: queues one Ready's writes (synchronously; nothing is durable yet). */
  stage(writes: StagedWrites): void;
  /**
   * sync: resolves once everything staged before the call is durable. Calls that overlap share
   * one device sync (group commit).
   */
  sync(): Promise<void>;
  /**
   * saveSnapshot: durably stores `snapshot` (atomically: a crash leaves the old one or the new one),
   * after syncing what is staged, then drops the log entries up to `snapshot.metadata.index`
   * (entries after it stay). The snapshot's index must be at most the last durable index.
   */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  /** durable: what is durable now. */
  durable(): DurableMark;
  /** close: syncs what is staged, releases the lock and files. Idempotent. */
  close(): Promise<void>;
}

/** Options every store takes. */
export interface LogStoreOptions {
  /** Called with recoverable oddities found while opening (a torn tail dropped, a stale temp file removed). */
  readonly onWarning?: (message: string) => void;
}
