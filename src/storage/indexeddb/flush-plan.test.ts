/**
 * The IndexedDB store's write planning and run layout, checked without a browser against a dumb
 * twin: a map of run records worked exactly as the store's transactions work `entries` (clear,
 * cut with head rewrite, put runs, compaction by key range), read back as `open()` reads it, must
 * always equal the reference meaning of the staged writes (src/storage/staged.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry, HardState, LogIndex, NodeId, Snapshot, Term } from '../../raft/index.ts';
import { AssertionError } from '../../util/assert.ts';
import { isGeodeError } from '../../util/errors.ts';
import { applyStagedWrites, emptyDurableState, type DurableImage } from '../staged.ts';
import type { StagedWrites } from '../types.ts';
import { runBytesMax, runEntriesMax } from './constants.ts';
import { headBefore, pendingWriteOf, planFlush, putRuns, type PendingWrite } from './flush-plan.ts';
import { entriesAfter, type RunRecord } from './records.ts';

function entry(index: number, term: number, size = 4): Entry {
  return { index: index as LogIndex, term: term as Term, type: 'normal', data: new Uint8Array(size).fill((index + term) & 0xff) };
}
function entries(from: number, to: number, term: number, size = 4): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term, size));
  return out;
}
function hardState(term: number, commit: number): HardState {
  return { term: term as Term, vote: 1 as NodeId, commit: commit as LogIndex };
}
function snapshot(index: number, term: number): Snapshot {
  return { metadata: { index: index as LogIndex, term: term as Term, conf: { voters: [1 as NodeId], learners: [] } }, data: new Uint8Array([index & 0xff]) };
}

/** The `entries` object store as a sorted map of run records, worked as the store's transactions work it. */
class RunTable {
  readonly runs = new Map<number, RunRecord>();
  snapIndex = 0;
  hardState: HardState = emptyDurableState().hardState;
  snap: Snapshot | undefined;

  put(value: RunRecord, key: number): void {
    this.runs.set(key, value);
  }
  sortedKeys(): number[] {
    return [...this.runs.keys()].sort((a, b) => a - b);
  }
  /** One flush transaction, as IndexedDbLogStore.flush issues it. */
  flush(batch: readonly PendingWrite[], storedLast: number): void {
    const plan = planFlush(batch, storedLast);
    if (plan.snapshot !== undefined) {
      this.runs.clear();
      this.snap = plan.snapshot;
      this.snapIndex = plan.snapshot.metadata.index;
    }
    if (plan.cutFrom > 0) {
      const holderKey = this.sortedKeys().find((k) => k >= plan.cutFrom);
      const head = holderKey === undefined ? [] : headBefore('db', holderKey, this.runs.get(holderKey), plan.cutFrom, plan.snapAtCut);
      for (const k of this.sortedKeys()) if (k >= plan.cutFrom) this.runs.delete(k);
      if (head.length > 0) putRuns(this, head);
    }
    if (plan.run.length > 0) putRuns(this, plan.run);
    if (plan.hardState !== undefined) this.hardState = plan.hardState;
  }
  /** saveSnapshot's transaction. */
  compact(s: Snapshot): void {
    for (const k of this.sortedKeys()) if (k <= s.metadata.index) this.runs.delete(k);
    this.snap = s;
    this.snapIndex = s.metadata.index;
  }
  /** open()'s read. */
  read(): DurableImage {
    const keys = this.sortedKeys().filter((k) => k > this.snapIndex);
    return { hardState: this.hardState, snapshot: this.snap, entries: entriesAfter('db', keys, keys.map((k) => this.runs.get(k)), this.snapIndex) };
  }
}

function view(img: DurableImage): unknown {
  return { hardState: img.hardState, snapshot: img.snapshot?.metadata.index, entries: img.entries.map((e) => [e.index, e.term]) };
}

describe('IndexedDB flush planning and run layout', () => {
  it('reads back, after any mix of appends, overwrites, received snapshots, flushes and compactions, exactly the reference log', () => {
    type Op =
      | { k: 'append'; back: number; n: number; termUp: boolean }
      | { k: 'receive'; ahead: number }
      | { k: 'flush' }
      | { k: 'compact'; back: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ k: fc.constant('append' as const), back: fc.nat(5), n: fc.integer({ min: 1, max: 6 }), termUp: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('receive' as const), ahead: fc.integer({ min: 1, max: 4 }) }) },
      { weight: 3, arbitrary: fc.constant({ k: 'flush' as const }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('compact' as const), back: fc.nat(6) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const table = new RunTable();
        const reference = emptyDurableState();
        let staged: StagedWrites[] = [];
        let batch: PendingWrite[] = [];
        let stagedSnap = 0;
        let stagedLast = 0;
        let durableLast = 0;
        let term = 1;
        const stage = (w: StagedWrites): void => {
          const p = pendingWriteOf(w, stagedSnap, stagedLast);
          staged.push(w);
          if (p === undefined) return;
          batch.push(p);
          stagedSnap = p.snapAfter;
          stagedLast = p.lastAfter;
        };
        const flush = (): void => {
          if (batch.length > 0) {
            table.flush(batch, durableLast);
            durableLast = batch[batch.length - 1]!.lastAfter;
          }
          for (const w of staged) applyStagedWrites(reference, w);
          staged = [];
          batch = [];
          expect(view(table.read())).toEqual(view(reference));
        };
        for (const o of ops) {
          if (o.k === 'append') {
            const from = Math.max(1, stagedLast + 1 - o.back);
            if (o.termUp) term++;
            stage({ entries: entries(from, from + o.n - 1, term), hardState: hardState(term, stagedSnap) });
          } else if (o.k === 'receive') {
            term++;
            stage({ snapshot: snapshot(stagedLast + o.ahead, term), hardState: hardState(term, stagedLast + o.ahead) });
          } else if (o.k === 'flush') {
            flush();
          } else {
            flush();
            const at = durableLast - o.back;
            if (at <= stagedSnap) continue;
            const s = snapshot(at, term);
            table.compact(s);
            reference.snapshot = s;
            reference.entries = reference.entries.filter((e) => e.index > at);
            stagedSnap = at;
            expect(view(table.read())).toEqual(view(reference));
          }
        }
        flush();
      }),
      { numRuns: 300 },
    );
  });

  it('lays entries out in contiguous runs keyed by their last index, within the entry and byte limits', () => {
    const table = new RunTable();
    const big = entries(1, runEntriesMax + 10, 1, 1);
    putRuns(table, big);
    const heavy = entries(runEntriesMax + 11, runEntriesMax + 20, 1, runBytesMax / 2 + 1);
    putRuns(table, heavy);
    const keys = table.sortedKeys();
    let next = 1;
    for (const k of keys) {
      const run = table.runs.get(k)!;
      expect(run.first).toBe(next);
      expect(run.first + run.entries.length - 1).toBe(k);
      expect(run.entries.length).toBeLessThanOrEqual(runEntriesMax);
      const bytes = run.entries.reduce((n, e) => n + e.data.length, 0);
      expect(run.entries.length === 1 || bytes <= runBytesMax).toBe(true);
      next = k + 1;
    }
    expect(next).toBe(runEntriesMax + 21);
    // 2 runs for the small entries (runEntriesMax, then 10), 10 for the heavy ones (one each).
    expect(keys.length).toBe(12);
  });

  it('stores a copy of an entry whose data is a view into a larger buffer, not the whole buffer', () => {
    const table = new RunTable();
    const buffer = new Uint8Array(1000).fill(9);
    putRuns(table, [{ index: 1 as LogIndex, term: 1 as Term, type: 'normal', data: buffer.subarray(10, 20) }]);
    const stored = table.runs.get(1)!.entries[0]!.data;
    expect(stored.length).toBe(10);
    expect(stored.buffer.byteLength).toBe(10);
  });

  it('refuses staged entries that leave a gap after the log with an AssertionError (a broken Ready contract)', () => {
    expect(() => pendingWriteOf({ entries: entries(5, 6, 1) }, 0, 3)).toThrow(AssertionError);
    expect(() => pendingWriteOf({ entries: [entry(4, 1), entry(6, 1)] }, 0, 3)).toThrow(AssertionError);
    expect(pendingWriteOf({}, 0, 3)).toBeUndefined();
  });

  it('reports a gap between runs on read as INPUT_INVALID naming the database and the run key', () => {
    const table = new RunTable();
    putRuns(table, entries(1, 3, 1));
    putRuns(table, entries(5, 6, 1));
    let err: unknown;
    try {
      table.read();
    } catch (e) {
      err = e;
    }
    expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain("IndexedDB database 'db', object store 'entries', key 6: gap in the log");
  });
});
