/**
 * The pure part of a sync: what each staged write does to the stored log ({@link pendingWriteOf},
 * checked when staged) and what one transaction must do for a batch of them ({@link planFlush}),
 * then how new entries are laid out as run records ({@link putRuns}). Kept apart from the store so
 * it can be checked against the reference semantics (src/storage/staged.ts) without a browser.
 */
import type { Entry, HardState, Snapshot } from '../../raft/index.ts';
import { assert } from '../../util/assert.ts';
import type { StagedWrites } from '../types.ts';
import { runBytesMax, runEntriesMax } from './constants.ts';
import { decodeRun, entryToRecord, type EntryRecord, type RunRecord } from './records.ts';

/** PendingWrite: one staged write as the next transaction carries it out, with the marks it leaves. */
export interface PendingWrite {
  /** A received snapshot newer than the held one: replaces the whole log. */
  readonly snapshot: Snapshot | undefined;
  /** Delete every entry from this index on first (a conflicting suffix); 0 for none. */
  readonly deleteFrom: number;
  /** Entries to put (those the snapshot covers already left out). */
  readonly entries: readonly Entry[];
  readonly hardState: HardState | undefined;
  /** Snapshot index in force when this write's entries land (entries at or below it stay out of the log). */
  readonly snapBefore: number;
  /** Snapshot index and last index once this write has landed. */
  readonly snapAfter: number;
  readonly lastAfter: number;
}

/**
 * pendingWriteOf: checks `writes` against the log as it will be once everything staged before
 * lands (snapshot at `snap`, last index `last`) and returns what the transaction must do for it,
 * or undefined when it changes nothing. A snapshot no newer than the held one is ignored; entries
 * must follow on from the log or overwrite a suffix of it (an AssertionError otherwise: the host
 * broke the Ready contract); entries the snapshot covers are left out.
 */
export function pendingWriteOf(writes: StagedWrites, snap: number, last: number): PendingWrite | undefined {
  const snapshot = writes.snapshot !== undefined && writes.snapshot.metadata.index > snap ? writes.snapshot : undefined;
  if (snapshot !== undefined) snap = last = snapshot.metadata.index;
  const all = writes.entries ?? [];
  let deleteFrom = 0;
  let entries: readonly Entry[] = all;
  if (all.length > 0) {
    const first = all[0]!.index;
    assert(first >= 1, `staged entry index ${first} must be at least 1`);
    assert(first <= last + 1, `staged entries from ${first} leave a gap after the last index ${last}`);
    for (let i = 1; i < all.length; i++) {
      assert(all[i]!.index === first + i, `staged entries not contiguous: [${i}] is ${all[i]!.index}, expected ${first + i}`);
    }
    // Every held entry at or after `first` goes (a conflicting suffix); those the snapshot covers are not written.
    if (first <= last) deleteFrom = first;
    if (first <= snap) entries = all.slice(Math.min(all.length, snap - first + 1));
    last = Math.max(snap, first + all.length - 1);
  }
  if (snapshot === undefined && all.length === 0 && writes.hardState === undefined) return undefined;
  return { snapshot, deleteFrom, entries, hardState: writes.hardState, snapBefore: snap, snapAfter: snap, lastAfter: last };
}

/** FlushPlan: what one flush does: the net effect of its staged writes, computed before the transaction. */
export interface FlushPlan {
  /** A received snapshot (the last of the batch): chunks replaced, every run deleted first. */
  readonly snapshot: Snapshot | undefined;
  /** Delete every stored entry from this index on (after the snapshot step); 0 for none. */
  readonly cutFrom: number;
  /** The snapshot index in force when cutting (entries at or below it are not rewritten). */
  readonly snapAtCut: number;
  /** New entries to put, contiguous, following what stays stored. */
  readonly run: readonly Entry[];
  readonly hardState: HardState | undefined;
}

/**
 * planFlush: folds a batch of staged writes into one {@link FlushPlan}: a received snapshot
 * resets everything before it; a conflicting suffix cuts the new entries of the batch or, when it
 * reaches below them, what is stored; the last hard state wins. `storedLast` is the last index
 * stored when the batch starts.
 */
export function planFlush(batch: readonly PendingWrite[], storedLast: number): FlushPlan {
  let snapshot: Snapshot | undefined;
  let cutFrom = 0;
  let snapAtCut = 0;
  let stored = storedLast;
  let run: Entry[] = [];
  let hardState: HardState | undefined;
  for (const w of batch) {
    if (w.snapshot !== undefined) {
      snapshot = w.snapshot;
      cutFrom = 0;
      run = [];
      stored = w.snapshot.metadata.index;
    }
    if (w.deleteFrom > 0) {
      if (run.length > 0 && w.deleteFrom <= run[run.length - 1]!.index) run.length = Math.max(0, w.deleteFrom - run[0]!.index);
      if (w.deleteFrom <= stored) {
        // After a received snapshot nothing is stored past it: the clear already did the cut.
        if (snapshot === undefined) {
          cutFrom = w.deleteFrom;
          snapAtCut = w.snapBefore;
        }
        // Entries the snapshot covers stay covered: the log then ends at the snapshot.
        stored = Math.max(w.deleteFrom - 1, w.snapBefore);
      }
    }
    for (let i = 0; i < w.entries.length; i++) run.push(w.entries[i]!);
    if (w.hardState !== undefined) hardState = w.hardState;
  }
  if (run.length > 0) {
    const first = run[0]!.index;
    assert(first === stored + 1, `flush run starts at ${first}, not right after the last stored index ${stored}`);
  }
  return { snapshot, cutFrom, snapAtCut, run, hardState };
}

/** RunSink: where run records go (the `entries` object store, or a test's twin of it). */
export interface RunSink {
  put(value: RunRecord, key: number): unknown;
}

/** putRuns: puts `entries` (contiguous) as runs of at most runEntriesMax entries and about runBytesMax bytes. */
export function putRuns(store: RunSink, entries: readonly Entry[]): void {
  let start = 0;
  while (start < entries.length) {
    let end = start;
    let bytes = 0;
    while (end < entries.length && end - start < runEntriesMax && (end === start || bytes + entries[end]!.data.length <= runBytesMax)) {
      bytes += entries[end]!.data.length;
      end++;
    }
    const records = new Array<EntryRecord>(end - start);
    for (let i = start; i < end; i++) records[i - start] = entryToRecord(entries[i]!);
    const run: RunRecord = { first: entries[start]!.index, entries: records };
    store.put(run, entries[end - 1]!.index);
    start = end;
  }
}


/**
 * headBefore: when a conflicting suffix is cut from `cutFrom`, the run holding `cutFrom` (the
 * first run whose key, its last index, is at or after it; read under `key`) loses its tail: these
 * are the entries of it to write back, those before `cutFrom` and after the snapshot `snapIndex`.
 */
export function headBefore(dbName: string, key: unknown, value: unknown, cutFrom: number, snapIndex: number): Entry[] {
  const run = decodeRun(dbName, key, value);
  const head: Entry[] = [];
  for (let i = 0; i < run.length; i++) {
    const e = run[i]!;
    if (e.index < cutFrom && e.index > snapIndex) head.push(e);
  }
  return head;
}
