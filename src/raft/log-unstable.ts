import { assert } from '../util/assert.ts';
import type { Entry, LogIndex, Snapshot, Term } from './types.ts';

/**
 * Unstable: entries (and possibly a snapshot) the node holds that the host has not yet written to
 * storage. `entries[i]` has index `offset + i`.
 *
 * Invariant: when `snapshot` is set, `offset === snapshot.metadata.index + 1`, or entries after it
 * were appended, in which case entries[0].index === offset still holds.
 */
export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  offset: LogIndex;

  constructor(offset: LogIndex) {
    this.offset = offset;
  }

  /** maybeFirstIndex: the first index of the log if a snapshot is pending, else undefined. */
  maybeFirstIndex(): LogIndex | undefined {
    return this.snapshot === undefined ? undefined : ((this.snapshot.metadata.index + 1) as LogIndex);
  }

  /** maybeLastIndex: the last index held here (entries, else the snapshot), else undefined. */
  maybeLastIndex(): LogIndex | undefined {
    if (this.entries.length > 0) return (this.offset + this.entries.length - 1) as LogIndex;
    if (this.snapshot !== undefined) return this.snapshot.metadata.index;
    return undefined;
  }

  /** maybeTerm: the term of entry `i` if held here, else undefined. */
  maybeTerm(i: LogIndex): Term | undefined {
    if (i < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    if (this.entries.length === 0) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /** stableTo: entries up to (`i`, `t`) are on storage; drops them unless they were since overwritten. */
  stableTo(i: LogIndex, t: Term): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined || gt !== t || i < this.offset) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = (i + 1) as LogIndex;
  }

  /** stableSnapTo: the snapshot at `i` is on storage. */
  stableSnapTo(i: LogIndex): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === i) this.snapshot = undefined;
  }

  /** restore: the log is replaced by `snap`. */
  restore(snap: Snapshot): void {
    this.offset = (snap.metadata.index + 1) as LogIndex;
    this.entries = [];
    this.snapshot = snap;
  }

  /** truncateAndAppend: appends `ents`, first dropping any held entries at or after ents[0].index. */
  truncateAndAppend(ents: readonly Entry[]): void {
    const from = ents[0]!.index;
    if (from === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (from <= this.offset) {
      // Replaces everything held here (and, on storage, the suffix from `from`).
      this.offset = from;
      this.entries = ents.slice();
    } else {
      const kept = this.entries.slice(0, from - this.offset);
      for (const e of ents) kept.push(e);
      this.entries = kept;
    }
  }

  /** slice: entries in [lo, hi), all held here. */
  slice(lo: LogIndex, hi: LogIndex): Entry[] {
    const upper = this.offset + this.entries.length;
    assert(lo >= this.offset && lo <= hi && hi <= upper, `unstable.slice[${lo},${hi}) out of bound [${this.offset},${upper}]`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
