import { assert } from '../util/assert.ts';
import { Unstable } from './log-unstable.ts';
import type { Entry, LogIndex, RaftStorage, Snapshot, Term } from './types.ts';

/** ConflictHint: where a follower's log may agree with the leader's (fast backtracking). */
export interface ConflictHint {
  readonly index: LogIndex;
  readonly term: Term;
}

/**
 * RaftLog: the node's view of its log: what storage holds plus what is not yet persisted.
 *
 * Invariants: applied <= applying <= committed <= lastIndex(); firstIndex() - 1 <= applied
 * once a snapshot was applied.
 */
export class RaftLog {
  readonly storage: RaftStorage;
  readonly unstable: Unstable;
  /** committed: the highest index known to be stored on a quorum. */
  committed: LogIndex;
  /** applying: the highest index handed to the host to apply (in a Ready not yet advanced). */
  applying: LogIndex;
  /** applied: the highest index the host has applied. */
  applied: LogIndex;

  constructor(storage: RaftStorage) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable((last + 1) as LogIndex);
    this.committed = (first - 1) as LogIndex;
    this.applying = (first - 1) as LogIndex;
    this.applied = (first - 1) as LogIndex;
  }

  firstIndex(): LogIndex {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): LogIndex {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** term: the term of entry `i`, or undefined when `i` is compacted or past the end. */
  term(i: LogIndex): Term | undefined {
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    return this.storage.term(i);
  }

  lastTerm(): Term {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, `unexpected error when getting the last term at ${this.lastIndex()}`);
    return t;
  }

  matchTerm(i: LogIndex, t: Term): boolean {
    return this.term(i) === t;
  }

  /** isUpToDate: a candidate's last entry (`lasti`, `t`) is at least as up-to-date as ours (§5.4.1). */
  isUpToDate(lasti: LogIndex, t: Term): boolean {
    const lt = this.lastTerm();
    return t > lt || (t === lt && lasti >= this.lastIndex());
  }

  /**
   * maybeAppend: the MsgApp rule. When our entry at `index` has term `logTerm`, appends `ents`
   * (after the first conflict), commits up to min(`committed`, last new index) and returns the
   * last new index; otherwise returns undefined.
   */
  maybeAppend(index: LogIndex, logTerm: Term, committed: LogIndex, ents: readonly Entry[]): LogIndex | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastnewi = (index + ents.length) as LogIndex;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      assert(ci > this.committed, `entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      const offset = index + 1;
      this.append(ci - offset === 0 ? ents : ents.slice(ci - offset));
    }
    this.commitTo(Math.min(committed, lastnewi) as LogIndex);
    return lastnewi;
  }

  /** append: appends entries after the first of them overwrote a suffix; returns the last index. */
  append(ents: readonly Entry[]): LogIndex {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    assert(after >= this.committed, `after(${after}) is out of range [committed(${this.committed})]`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** findConflict: the index of the first entry of `ents` whose term differs from ours (or is new); 0 if none. */
  findConflict(ents: readonly Entry[]): LogIndex {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0 as LogIndex;
  }

  /**
   * findConflictByTerm: the largest index <= `index` whose term is <= `t`, with that term
   * (term 0 when the index is compacted). Used for fast backtracking on both sides.
   */
  findConflictByTerm(index: LogIndex, t: Term): ConflictHint {
    let i = index;
    for (; i > 0; i--) {
      const ourTerm = this.term(i as LogIndex);
      if (ourTerm === undefined) return { index: i as LogIndex, term: 0 as Term };
      if (ourTerm <= t) return { index: i as LogIndex, term: ourTerm };
    }
    return { index: 0 as LogIndex, term: 0 as Term };
  }

  unstableEntries(): readonly Entry[] {
    return this.unstable.entries;
  }

  /** hasNextCommittedEnts: committed entries wait to be handed to the host. */
  hasNextCommittedEnts(): boolean {
    if (this.unstable.snapshot !== undefined) return false;
    const lo = Math.max(this.applying + 1, this.firstIndex());
    return this.committed + 1 > lo;
  }

  /** nextCommittedEnts: committed entries not yet handed to the host, at most `maxBytes` of data. */
  nextCommittedEnts(maxBytes: number): Entry[] {
    if (!this.hasNextCommittedEnts()) return [];
    const lo = Math.max(this.applying + 1, this.firstIndex()) as LogIndex;
    const ents = this.slice(lo, (this.committed + 1) as LogIndex, maxBytes);
    assert(ents !== undefined, `committed entries from ${lo} are compacted`);
    return ents;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  commitTo(tocommit: LogIndex): void {
    if (this.committed >= tocommit) return;
    assert(
      this.lastIndex() >= tocommit,
      `tocommit(${tocommit}) is out of range [lastIndex(${this.lastIndex()})]. Was the raft log corrupted, truncated, or lost?`,
    );
    this.committed = tocommit;
  }

  /** acceptApplying: entries up to `i` were handed to the host. */
  acceptApplying(i: LogIndex): void {
    assert(i <= this.committed, `applying(${i}) is past committed(${this.committed})`);
    if (i > this.applying) this.applying = i;
  }

  appliedTo(i: LogIndex): void {
    if (i === 0) return;
    assert(this.committed >= i && i >= this.applied, `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    this.applied = i;
    if (this.applying < i) this.applying = i;
  }

  stableTo(i: LogIndex, t: Term): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: LogIndex): void {
    this.unstable.stableSnapTo(i);
  }

  /** maybeCommit: commits `maxIndex` if it is past the commit index and of term `t` (§5.4.2). */
  maybeCommit(maxIndex: LogIndex, t: Term): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === t) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** restore: the log becomes `snap` (entries dropped); everything in it is committed. */
  restore(snap: Snapshot): void {
    this.committed = snap.metadata.index;
    this.unstable.restore(snap);
  }

  /** entriesFrom: entries from `i` on, at most `maxEntries` and `maxBytes`; undefined when `i` is compacted. */
  entriesFrom(i: LogIndex, maxEntries: number, maxBytes: number): Entry[] | undefined {
    const last = this.lastIndex();
    if (i > last) return [];
    const hi = Math.min(last + 1, i + maxEntries) as LogIndex;
    return this.slice(i, hi, maxBytes);
  }

  /** allEntries: every entry held (for tests). */
  allEntries(): Entry[] {
    return this.entriesFrom(this.firstIndex(), Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) ?? [];
  }

  /**
   * slice: entries in [lo, hi), stopping once their data passes `maxBytes` (at least one entry);
   * undefined when `lo` is compacted.
   */
  slice(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    assert(hi <= this.lastIndex() + 1 && lo <= hi, `slice[${lo},${hi}) out of bound [${this.firstIndex()},${this.lastIndex()}]`);
    if (lo === hi) return [];
    const uoff = this.unstable.offset;
    let out: Entry[] = [];
    if (lo < uoff) {
      out = this.storage.entries(lo, Math.min(hi, uoff) as LogIndex, maxBytes);
      // Storage stopped early on the byte limit: done.
      if (out.length < Math.min(hi, uoff) - lo) return out;
    }
    if (hi > uoff) {
      const from = Math.max(lo, uoff) as LogIndex;
      let bytes = 0;
      for (const e of out) bytes += e.data.length;
      const ents = this.unstable.entries;
      for (let i = from; i < hi; i++) {
        const e = ents[i - uoff]!;
        bytes += e.data.length;
        if (out.length > 0 && bytes > maxBytes) break;
        out.push(e);
      }
    }
    return out;
  }
}
