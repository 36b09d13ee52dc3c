import { assert } from '../util/assert.ts';
import { encodeConfChange } from './confchange/codec.ts';
import type { ConfState, Entry, HardState, InitialState, LogIndex, NodeId, RaftStorage, Snapshot, Term } from './types.ts';

const emptyData = new Uint8Array(0);

/** emptyHardState: term 0, no vote, nothing committed. */
export const emptyHardState: HardState = { term: 0 as Term, vote: 0 as NodeId, commit: 0 as LogIndex };

/**
 * bootstrapEntries: the log a founding member of a group starts with: one `confChange` entry per
 * member (voters first, then learners), term 1, indexes 1..n, all committed. Replaying them builds
 * the initial membership, so a node that joins later learns it from the log like any other change
 * (applying them again on a node that knows the membership changes nothing).
 */
export function bootstrapEntries(conf: ConfState): Entry[] {
  const out: Entry[] = [];
  let index = 1;
  for (const id of conf.voters) {
    const data = encodeConfChange({ changes: [{ type: 'addNode', nodeId: id }] });
    out.push({ term: 1 as Term, index: index++ as LogIndex, type: 'confChange', data });
  }
  for (const id of conf.learners) {
    const data = encodeConfChange({ changes: [{ type: 'addLearner', nodeId: id }] });
    out.push({ term: 1 as Term, index: index++ as LogIndex, type: 'confChange', data });
  }
  return out;
}

/** MemoryStorage: a RaftStorage held in memory, for tests, the simulator and benchmarks. */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = emptyHardState;
  private snap: Snapshot;
  /** ents[0] is a dummy at the snapshot's index and term; real entries follow. */
  private ents: Entry[];

  /**
   * Creates a store. With a membership `conf` (voters non-empty) it is a founding member's store:
   * it holds {@link bootstrapEntries}, committed, at term 1. Without, it is the empty store of a node
   * that joins an existing group (added by a conf change; it learns the membership from the log).
   */
  constructor(conf: ConfState = { voters: [], learners: [] }) {
    this.snap = { metadata: { index: 0 as LogIndex, term: 0 as Term, conf }, data: emptyData };
    this.ents = [{ term: 0 as Term, index: 0 as LogIndex, type: 'normal', data: emptyData }];
    if (conf.voters.length > 0) {
      const boot = bootstrapEntries(conf);
      this.append(boot);
      this.hardState = { term: 1 as Term, vote: 0 as NodeId, commit: boot.length as LogIndex };
    }
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.snap.metadata.conf };
  }

  /** setHardState: saves the hard state (Ready step 1). */
  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  /** setConfState: records the membership (for a store built before the group starts). */
  setConfState(conf: ConfState): void {
    this.snap = { metadata: { ...this.snap.metadata, conf }, data: this.snap.data };
  }

  private offset(): number {
    return this.ents[0]!.index;
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    const offset = this.offset();
    assert(lo > offset, `entries(${lo}, ${hi}): ${lo} is compacted (first index ${offset + 1})`);
    assert(hi <= this.lastIndex() + 1, `entries(${lo}, ${hi}): past last index ${this.lastIndex()}`);
    assert(lo <= hi, `entries(${lo}, ${hi}): lo above hi`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - offset]!;
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  term(i: LogIndex): Term | undefined {
    const offset = this.offset();
    if (i < offset || i > this.lastIndex()) return undefined;
    return this.ents[i - offset]!.term;
  }

  firstIndex(): LogIndex {
    return (this.offset() + 1) as LogIndex;
  }

  lastIndex(): LogIndex {
    return (this.offset() + this.ents.length - 1) as LogIndex;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** applySnapshot: replaces the whole log with `snap` (Ready step 1 when a snapshot arrives). */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index) return; // older snapshot: nothing to do
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: 'normal', data: emptyData }];
  }

  /**
   * createSnapshot: records a snapshot of the application state at `index` (which must be applied,
   * hence in the log) with membership `conf`. Call `compact` after it to drop the covered entries.
   */
  createSnapshot(index: LogIndex, conf: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) return this.snap;
    assert(index <= this.lastIndex(), `createSnapshot(${index}) is past the last index ${this.lastIndex()}`);
    const t = this.ents[index - this.offset()]!.term;
    this.snap = { metadata: { index, term: t, conf }, data };
    return this.snap;
  }

  /** compact: drops entries up to and including `index` (which must not pass the last index). */
  compact(index: LogIndex): void {
    const offset = this.offset();
    if (index <= offset) return;
    assert(index <= this.lastIndex(), `compact(${index}) is past the last index ${this.lastIndex()}`);
    const t = this.ents[index - offset]!.term;
    const rest = this.ents.slice(index - offset + 1);
    rest.unshift({ term: t, index, type: 'normal', data: emptyData });
    this.ents = rest;
  }

  /**
   * append: stores entries (Ready step 1). Entries must follow on from the log or overwrite a
   * suffix of it: any held entries at or after the first new index are replaced.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return; // all compacted already
    let start = 0;
    if (first > entries[0]!.index) start = first - entries[0]!.index;
    const from = entries[start]!.index;
    assert(from <= this.lastIndex() + 1, `append at ${from} leaves a gap after last index ${this.lastIndex()}`);
    this.ents.length = from - this.offset();
    for (let i = start; i < entries.length; i++) this.ents.push(entries[i]!);
  }
}
