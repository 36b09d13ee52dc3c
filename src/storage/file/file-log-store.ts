/**
 * FileLogStore: a {@link LogStore} on files (Node): append-only WAL segments of checksummed
 * records, group commit (one write and one fdatasync per flush, shared by every `sync()` that
 * overlapped it), atomic snapshot files, log compaction by removing whole segments, and a lock
 * file against a second process. The on-disk format and the recovery rules are in
 * docs/storage.md.
 */
import { unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assert } from '../../util/assert.ts';
import { GeodeError } from '../../util/errors.ts';
import type { Entry, HardState, LogIndex, Snapshot } from '../../raft/index.ts';
import type { DurableMark, DurableState, LogStore, LogStoreOptions, StagedWrites } from '../types.ts';
import {
  encoderKeepBytesMax,
  entryOverheadBytes,
  lockFileName,
  recordBytesMax,
  recordBytesMin,
  segmentBytesDefault,
  segmentBytesMin,
  snapshotDataBytesMax,
  tmpSuffix,
} from './constants.ts';
import { encodeSnapshotFile, RecordEncoder } from './format.ts';
import { errnoOf, guardIo, nodeFileStoreIo, type FileStoreHandle, type FileStoreIo } from './io.ts';
import { acquireDirectoryLock, type DirectoryLock } from './lock.ts';
import { segmentPath, snapshotPath } from './names.ts';
import { recoverDirectory, type Recovered, type SegmentInfo } from './recovery.ts';

/** Options of {@link openFileLogStore}. */
export interface FileLogStoreOptions extends LogStoreOptions {
  /** Roll to a new segment once the current one is this long (checked before each flush). Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Largest record payload written; bigger batches are split across records. Default and maximum 64 MiB. */
  readonly recordBytes?: number;
  /** The file system; default `node:fs`. Tests inject one to count syncs or fail writes. */
  readonly io?: FileStoreIo;
}

/** Counters of what a store did since it was created, for tests and benchmarks. */
export interface FileLogStoreStats {
  /** `sync()` calls. */
  readonly syncCalls: number;
  /** Flushes of staged writes (each one write + one fdatasync, more when it rolls or installs a snapshot). */
  readonly flushes: number;
  /** fdatasync/fsync calls on files (not directories). */
  readonly fileSyncs: number;
  /** fsync calls on the data directory. */
  readonly dirSyncs: number;
  /** Bytes written to segments. */
  readonly walBytes: number;
  /** Segments now in the directory. */
  readonly segments: number;
  /** Snapshot files written. */
  readonly snapshotsWritten: number;
}

/** One staged operation, in the order it must land. */
type StagedOp =
  | { readonly kind: 'hardState'; readonly hardState: HardState }
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  | { readonly kind: 'truncate'; readonly index: number }
  | { readonly kind: 'install'; readonly snapshot: Snapshot };

type StoreState = 'new' | 'opening' | 'open' | 'closed';

const ZERO_HARD_STATE = { term: 0, vote: 0, commit: 0 } as unknown as HardState;
const noop = (): void => {};

function checkOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new GeodeError('CONFIG_INVALID', `${name} must be an integer in ${min}..${max}, got ${value}`, { source: 'config' });
  }
  return value;
}

export class FileLogStore implements LogStore {
  readonly kind = 'file' as const;
  readonly location: string;
  readonly #io: FileStoreIo;
  readonly #warn: (message: string) => void;
  readonly #segmentBytes: number;
  readonly #recordBytes: number;
  readonly #encoder: RecordEncoder;

  #state: StoreState = 'new';
  /** The failure that made the store unusable (a GeodeError, or an AssertionError for a bug). */
  #poison: Error | undefined;
  #lock: DirectoryLock | undefined;
  #segments: SegmentInfo[] = [];
  #handle: FileStoreHandle | undefined;
  #snapshotPath: string | undefined;

  #staged: StagedOp[] = [];
  /** Snapshot index and log end as of everything staged (what `stage` checks new writes against). */
  #stagedBase = 0;
  #stagedLast = 0;
  /** Snapshot index, log end and hard state as of everything durable. */
  #durableBase = 0;
  #durableLast = 0;
  #durableHs: HardState = ZERO_HARD_STATE;

  /** Tail of the chain that runs flushes and snapshot saves one at a time. */
  #serial: Promise<void> = Promise.resolve();
  /** The flush scheduled but not started: `sync()` calls made now share it. */
  #pending: Promise<void> | undefined;
  /** The last flush scheduled: it covers everything staged before it. */
  #latest: Promise<void> = Promise.resolve();

  #syncCalls = 0;
  #flushes = 0;
  #fileSyncs = 0;
  #dirSyncs = 0;
  #walBytes = 0;
  #snapshotsWritten = 0;

  constructor(dir: string, options: FileLogStoreOptions = {}) {
    this.location = dir;
    this.#io = guardIo(options.io ?? nodeFileStoreIo);
    this.#warn = options.onWarning ?? noop;
    this.#segmentBytes = checkOption('segmentBytes', options.segmentBytes ?? segmentBytesDefault, segmentBytesMin, Number.MAX_SAFE_INTEGER);
    this.#recordBytes = checkOption('recordBytes', options.recordBytes ?? recordBytesMax, recordBytesMin, recordBytesMax);
    this.#encoder = new RecordEncoder(this.#recordBytes, encoderKeepBytesMax);
  }

  /** entryBytesMax: the largest entry data this store accepts. */
  get entryBytesMax(): number {
    return this.#recordBytes - entryOverheadBytes;
  }

  async open(): Promise<DurableState> {
    if (this.#state === 'open' || this.#state === 'opening') throw new GeodeError('IO', `file store ${this.location} is already open`, { source: this.location });
    this.#state = 'opening';
    try {
      const created = await this.#io.mkdirp(this.location);
      // A directory just made must outlive a crash too: its name lives in its parent.
      if (created !== undefined) await this.#io.syncDir(dirname(created));
      const lock = await acquireDirectoryLock(this.#io, this.location, this.#warn);
      try {
        const recovered = await recoverDirectory(this.#io, this.location);
        await this.#repair(recovered);
        const last = this.#segments[this.#segments.length - 1]!;
        this.#handle = await this.#io.open(last.path, 'append');
        this.#lock = lock;
        const image = recovered.image;
        this.#snapshotPath = recovered.snapshotPath;
        this.#durableBase = this.#stagedBase = image.snapshot?.metadata.index ?? 0;
        this.#durableLast = this.#stagedLast = recovered.lastIndex;
        this.#durableHs = image.hardState;
        this.#staged = [];
        this.#poison = undefined;
        this.#pending = undefined;
        this.#latest = Promise.resolve();
        this.#state = 'open';
        return { hardState: image.hardState, snapshot: image.snapshot, entries: image.entries };
      } catch (err) {
        await lock.release().catch(noop);
        throw err;
      }
    } catch (err) {
      this.#state = 'closed';
      throw err;
    }
  }

  /** #repair: makes the changes recovery asked for (only reached when the directory checked out). */
  async #repair(recovered: Recovered): Promise<void> {
    this.#segments = recovered.segments;
    let removed = false;
    for (const r of recovered.repairs) {
      if (r.warning !== undefined) this.#warn(r.warning);
      if (r.kind === 'removeFile') {
        await this.#unlinkIfPresent(r.path);
        removed = true;
      } else if (r.kind === 'truncate') {
        const h = await this.#io.open(r.path, 'append');
        try {
          await h.truncate(r.size);
          await h.sync();
          this.#fileSyncs++;
        } finally {
          await h.close();
        }
      } else {
        await this.#rewriteLastSegment(r.seq, r.path, recovered);
      }
    }
    if (removed) await this.#syncDir();
  }

  /** #rewriteLastSegment: the last segment held no good record: make it a header and the hard state. */
  async #rewriteLastSegment(seq: number, path: string, recovered: Recovered): Promise<void> {
    const info = this.#segments[this.#segments.length - 1]!;
    assert(info.seq === seq, `rewriting segment ${seq}, the last is ${info.seq}`);
    const enc = this.#encoder;
    enc.reset();
    enc.segmentHeader({ seq, startIndex: recovered.lastIndex + 1 });
    enc.beginRecord();
    enc.hardState(recovered.image.hardState);
    enc.endRecord();
    const bytes = enc.bytes();
    const h = await this.#io.open(path, 'overwrite');
    try {
      await h.write(bytes, 0);
      await h.datasync();
      this.#fileSyncs++;
    } finally {
      await h.close();
    }
    await this.#syncDir();
    info.size = bytes.length;
    info.maxIndex = 0;
  }

  stage(writes: StagedWrites): void {
    this.#checkUsable();
    const snap = writes.snapshot;
    const install = snap !== undefined && snap.metadata.index > this.#stagedBase;
    if (install) this.#checkSnapshotSize(snap);
    const base = install ? snap.metadata.index : this.#stagedBase;
    const last = install ? snap.metadata.index : this.#stagedLast;
    const entries = writes.entries ?? [];
    let from = 0;
    if (entries.length > 0) {
      const first = entries[0]!.index;
      for (let k = 0; k < entries.length; k++) {
        const e = entries[k]!;
        assert(e.index === first + k, `staged entries are not contiguous: ${e.index} after ${first + k - 1}`);
        if (e.data.length > this.entryBytesMax) {
          throw new GeodeError('LIMIT_EXCEEDED', `entry ${e.index} has ${e.data.length} bytes of data, more than the ${this.entryBytesMax} a record holds`, { source: this.location });
        }
      }
      from = first > base ? 0 : Math.min(entries.length, base + 1 - first);
      if (from < entries.length) assert(entries[from]!.index <= last + 1, `append at ${entries[from]!.index} leaves a gap after the last index ${last}`);
    }
    // Checked: now stage (nothing above changed the store).
    if (install) {
      this.#staged.push({ kind: 'install', snapshot: snap });
      this.#stagedBase = this.#stagedLast = snap.metadata.index;
    }
    if (from < entries.length) {
      const kept = from === 0 ? entries : entries.slice(from);
      const first = kept[0]!.index;
      if (first <= this.#stagedLast) this.#staged.push({ kind: 'truncate', index: first });
      this.#staged.push({ kind: 'entries', entries: kept });
      this.#stagedLast = kept[kept.length - 1]!.index;
    }
    if (writes.hardState !== undefined) this.#staged.push({ kind: 'hardState', hardState: writes.hardState });
  }

  sync(): Promise<void> {
    this.#syncCalls++;
    if (this.#poison !== undefined) return Promise.reject(this.#poison);
    if (this.#state !== 'open') return Promise.reject(this.#closedError());
    if (this.#staged.length === 0) return this.#latest;
    if (this.#pending === undefined) {
      const flush = this.#exclusive(() => {
        this.#pending = undefined;
        const ops = this.#staged;
        this.#staged = [];
        return this.#flush(ops);
      });
      this.#pending = flush;
      this.#latest = flush;
      flush.catch(noop);
    }
    return this.#pending;
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.#checkUsable();
    this.#checkSnapshotSize(snapshot);
    await this.sync();
    await this.#exclusive(async () => {
      const index = snapshot.metadata.index;
      if (index <= this.#durableBase) return;
      assert(index <= this.#durableLast, `saveSnapshot(${index}) is past the last durable index ${this.#durableLast}`);
      await this.#writeSnapshotFile(snapshot);
      this.#durableBase = index;
      if (this.#stagedBase < index) this.#stagedBase = index;
      let k = 0;
      while (k < this.#segments.length - 1 && this.#segments[k]!.maxIndex <= index) k++;
      await this.#removeSegments(k);
    });
  }

  durable(): DurableMark {
    return { lastIndex: Math.max(this.#durableLast, this.#durableBase) as LogIndex, snapshotIndex: this.#durableBase as LogIndex };
  }

  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    let failure: unknown;
    try {
      if (this.#poison === undefined) await this.sync();
      await this.#serial;
    } catch (err) {
      failure = err;
    }
    await this.#release();
    if (this.#poison !== undefined) throw this.#poison;
    if (failure !== undefined) throw failure;
  }

  /**
   * crash: TEST-ONLY: the owner dies. Staged writes are lost; a flush already running completes
   * (the crash comes just after it); the lock file is removed as a dead owner's lock would be taken
   * over. The store can be opened again (or another store opened on the directory).
   */
  async crash(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#staged = [];
    this.#state = 'closed';
    await this.#serial;
    await this.#handle?.close().catch(noop);
    this.#handle = undefined;
    if (this.#lock !== undefined) {
      try {
        unlinkSync(join(this.location, lockFileName));
      } catch {
        // already gone
      }
    }
    this.#lock = undefined;
  }

  /** stats: what the store did so far (flush and sync counts show group commit at work). */
  stats(): FileLogStoreStats {
    return {
      syncCalls: this.#syncCalls,
      flushes: this.#flushes,
      fileSyncs: this.#fileSyncs,
      dirSyncs: this.#dirSyncs,
      walBytes: this.#walBytes,
      segments: this.#segments.length,
      snapshotsWritten: this.#snapshotsWritten,
    };
  }

  // -------------------------------------------------------------------------------------------

  async #release(): Promise<void> {
    this.#state = 'closed';
    this.#staged = [];
    const handle = this.#handle;
    const lock = this.#lock;
    this.#handle = undefined;
    this.#lock = undefined;
    await handle?.close().catch(noop);
    await lock?.release().catch(noop);
  }

  /** #exclusive: runs `task` after every flush and snapshot save before it; a failure poisons the store. */
  #exclusive(task: () => Promise<void>): Promise<void> {
    const run = this.#serial.then(async () => {
      if (this.#poison !== undefined) throw this.#poison;
      if (this.#state !== 'open') throw this.#closedError();
      try {
        await task();
      } catch (err) {
        this.#poison ??=
          err instanceof Error ? err : new GeodeError('IO', `file store ${this.location} failed: ${String(err)}`, { source: this.location, cause: err });
        throw this.#poison;
      }
    });
    this.#serial = run.then(noop, noop);
    return run;
  }

  /** #flush: writes staged ops, one group per snapshot install (usually one group: one write, one fdatasync). */
  async #flush(ops: readonly StagedOp[]): Promise<void> {
    this.#flushes++;
    let i = 0;
    while (i < ops.length) {
      let j = i + 1;
      while (j < ops.length && ops[j]!.kind !== 'install') j++;
      await this.#flushGroup(ops, i, j);
      i = j;
    }
  }

  /**
   * #flushGroup: ops[from, to) as records in one write and one fdatasync. A group that installs a
   * snapshot (its first op) or finds the segment full starts a new segment, whose first record
   * begins with the hard state so older segments never hold the only copy of it.
   */
  async #flushGroup(ops: readonly StagedOp[], from: number, to: number): Promise<void> {
    const head = ops[from]!;
    const install = head.kind === 'install' ? head.snapshot : undefined;
    const current = this.#segments[this.#segments.length - 1]!;
    const roll = install !== undefined || current.size >= this.#segmentBytes;
    const enc = this.#encoder;
    enc.reset();
    let hs = this.#durableHs;
    let last = this.#durableLast;
    let maxIndex = 0;
    if (roll) enc.segmentHeader({ seq: current.seq + 1, startIndex: (install?.metadata.index ?? last) + 1 });
    enc.beginRecord();
    if (roll) enc.hardState(hs);
    for (let k = from; k < to; k++) {
      const op = ops[k]!;
      if (op.kind === 'install') {
        enc.install(op.snapshot.metadata.index, op.snapshot.metadata.term);
        last = op.snapshot.metadata.index;
        maxIndex = Math.max(maxIndex, last);
      } else if (op.kind === 'hardState') {
        enc.hardState(op.hardState);
        hs = op.hardState;
      } else if (op.kind === 'truncate') {
        enc.truncate(op.index);
        last = op.index - 1;
      } else {
        enc.entries(op.entries);
        last = op.entries[op.entries.length - 1]!.index;
        maxIndex = Math.max(maxIndex, last);
      }
    }
    enc.endRecord();
    const bytes = enc.bytes();
    if (roll) {
      await this.#startSegment(current.seq + 1, bytes, maxIndex);
    } else {
      const handle = this.#handle;
      assert(handle !== undefined, 'flush without an open segment');
      await handle.write(bytes, current.size);
      await handle.datasync();
      this.#fileSyncs++;
      current.size += bytes.length;
      current.maxIndex = Math.max(current.maxIndex, maxIndex);
    }
    this.#walBytes += bytes.length;
    this.#durableHs = hs;
    this.#durableLast = last;
    if (install !== undefined) {
      // Install record first, snapshot file second: recovery drops an install whose file is missing.
      await this.#writeSnapshotFile(install);
      this.#durableBase = install.metadata.index;
      await this.#removeSegments(this.#segments.length - 1);
    }
  }

  /** #startSegment: creates segment `seq` holding `bytes` (header and records), durably, and appends to it from now on. */
  async #startSegment(seq: number, bytes: Uint8Array, maxIndex: number): Promise<void> {
    const path = segmentPath(this.location, seq);
    const handle = await this.#io.open(path, 'createNew');
    try {
      await handle.write(bytes, 0);
      await handle.datasync();
      this.#fileSyncs++;
    } catch (err) {
      await handle.close().catch(noop);
      throw err;
    }
    await this.#syncDir();
    const old = this.#handle;
    this.#handle = handle;
    this.#segments.push({ seq, path, size: bytes.length, maxIndex });
    await old?.close();
  }

  /** #writeSnapshotFile: `snapshot-<index>.snap` written to a temp file, fsynced, renamed, directory fsynced; the old one removed. */
  async #writeSnapshotFile(snapshot: Snapshot): Promise<void> {
    const path = snapshotPath(this.location, snapshot.metadata.index);
    const tmp = path + tmpSuffix;
    const [head, data] = encodeSnapshotFile(snapshot);
    const handle = await this.#io.open(tmp, 'overwrite');
    try {
      await handle.write(head, 0);
      await handle.write(data, head.length);
      await handle.sync();
      this.#fileSyncs++;
    } finally {
      await handle.close();
    }
    await this.#io.rename(tmp, path);
    await this.#syncDir();
    this.#snapshotsWritten++;
    const old = this.#snapshotPath;
    this.#snapshotPath = path;
    if (old !== undefined && old !== path) await this.#unlinkIfPresent(old);
  }

  /** #removeSegments: removes the oldest `count` segments (never the last) and syncs the directory. */
  async #removeSegments(count: number): Promise<void> {
    assert(count < this.#segments.length, `removing ${count} of ${this.#segments.length} segments would remove the last`);
    if (count <= 0) return;
    for (let k = 0; k < count; k++) await this.#unlinkIfPresent(this.#segments[k]!.path);
    this.#segments.splice(0, count);
    await this.#syncDir();
  }

  async #unlinkIfPresent(path: string): Promise<void> {
    try {
      await this.#io.unlink(path);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
  }

  async #syncDir(): Promise<void> {
    await this.#io.syncDir(this.location);
    this.#dirSyncs++;
  }

  #checkSnapshotSize(snapshot: Snapshot): void {
    if (snapshot.data.length > snapshotDataBytesMax) {
      throw new GeodeError('LIMIT_EXCEEDED', `snapshot at ${snapshot.metadata.index} has ${snapshot.data.length} bytes of data, more than ${snapshotDataBytesMax}`, { source: this.location });
    }
  }

  #checkUsable(): void {
    if (this.#poison !== undefined) throw this.#poison;
    if (this.#state !== 'open') throw this.#closedError();
  }

  #closedError(): GeodeError {
    return new GeodeError('CLOSED', `file store ${this.location} is not open`, { source: this.location });
  }
}

/**
 * openFileLogStore: a file log store on directory `dir` (created if missing). Constructor-like:
 * nothing happens until `open()`, which locks the directory and recovers it.
 */
export function openFileLogStore(dir: string, options?: FileLogStoreOptions): FileLogStore {
  return new FileLogStore(dir, options);
}
