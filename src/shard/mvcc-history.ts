/**
 * MvccHistory: the recent applied entries of one shard group replica, kept so a graph transaction
 * can read the group as it stood at an older log index (a snapshot) and so a commit can be
 * validated at key granularity (which node and edge ids each entry wrote).
 *
 * Each kept entry holds its log index, the entity keys it wrote (`n:<node id>`, `e:<edge id>`,
 * and for an edge created or deleted, its ends' `n:` keys as well — the same keys transaction
 * intents lock), its forward commands (to redo it) and a function that undoes it on the graph
 * (the undo commands `GraphStore.apply` returned, or a leader's speculative rollback). Undoing the
 * entries after `V` newest first turns the graph into the graph at `V`; redoing them oldest first
 * brings it back exactly (the store's contract: the same commands in the same order give the same
 * store). Entries with no graph commands (conf changes, a leader's no-op) are not kept: the graph
 * at their index is the graph at the entry before.
 *
 * Bounds and collection: at most `maxEntries` entries and {@link mvccHistoryCommandsMax} graph
 * commands in all (a memory bound: a few large entries count for what they hold; the oldest go
 * first); besides, entries no
 * live snapshot needs go — everything at or below the oldest pinned index, and, with no pin that
 * old, all but the newest `recentEntries` (kept so a leader can validate the commit of a
 * transaction that read on another member, which pins its snapshot only there) and those applied
 * less than `retentionMs` ago (so a read at a past timestamp finds them). `floor` is the
 * oldest index a read can be at: every entry after it is kept. A pin carries a deadline (the
 * transaction's): a pin never released stops holding history once it passed.
 *
 * Timestamps: an entry may carry the version stamp its leader gave it (src/shard/entry-stamp.ts;
 * stamps grow with the index). {@link MvccHistory.indexAt} maps a snapshot timestamp to the index
 * of the group's version at that time: the last entry stamped at or before it.
 *
 * Pure: no clock (callers pass `now`), no I/O.
 */
import type { GraphCommand } from '../graph/index.ts';
import { assert } from '../util/assert.ts';
import { compareStamps, type VersionStamp } from './entry-stamp.ts';

/** One applied entry as the history keeps it. */
export interface HistoryEntry {
  readonly index: number;
  /** Entity keys the entry wrote, distinct (`n:<id>`, `e:<id>`). */
  readonly keys: readonly string[];
  /** Its graph commands in order: redoing it applies them again. */
  readonly commands: readonly GraphCommand[];
  /** Undoes it on the graph (which must stand just after it). */
  readonly undo: () => void;
  /** True when it created or dropped an index or a constraint (query plans depend on those). */
  readonly schema: boolean;
  /** The entry's version stamp (its commit timestamp); undefined for an unstamped entry. */
  readonly stamp?: VersionStamp | undefined;
}

/** Where a snapshot timestamp falls in a history: the index of the version then, or why there is none. */
export type IndexAt =
  | { readonly index: number }
  | { readonly tooOld: true; readonly unstamped: boolean };

/** Most graph commands a history keeps in all (each with its undo: roughly 100–300 bytes). */
export const mvccHistoryCommandsMax = 100_000;

const schemaOps = new Set(['createIndex', 'dropIndex', 'createConstraint', 'dropConstraint']);

/** entryKeys: the distinct entity keys `commands` write (see the file header), and whether any is a schema command. */
export function entryKeys(commands: readonly GraphCommand[]): { keys: string[]; schema: boolean } {
  const keys = new Set<string>();
  let schema = false;
  for (const c of commands) {
    switch (c.op) {
      case 'createEdge':
        keys.add(`e:${c.id}`).add(`n:${c.src}`).add(`n:${c.dst}`);
        break;
      case 'deleteEdge':
      case 'setEdgeProperty':
        keys.add(`e:${c.id}`);
        break;
      case 'createNode':
      case 'deleteNode':
      case 'setNodeProperty':
      case 'addLabel':
      case 'removeLabel':
        keys.add(`n:${c.id}`);
        break;
      default:
        if (schemaOps.has(c.op)) schema = true;
    }
  }
  return { keys: [...keys], schema };
}

interface Pin {
  readonly index: number;
  readonly until: number;
}

export class MvccHistory {
  /** Kept entries, ascending by index. */
  #entries: HistoryEntry[] = [];
  /** When each kept entry was pushed (the clock `push` is given), parallel to #entries. */
  #pushedAt: number[] = [];
  /** The stamp of the version at the floor (the last entry collected, or the snapshot reset to); undefined when unknown. */
  #floorStamp: VersionStamp | undefined;
  readonly #retentionMs: number;
  /** Start of the live part of #entries (entries before it were collected; compacted now and then). */
  #head = 0;
  #floor: number;
  readonly #maxEntries: number;
  readonly #maxCommands: number;
  readonly #recentEntries: number;
  /** Commands of the kept entries. */
  #commands = 0;
  readonly #pins = new Map<number, Pin>();
  #nextPin = 1;

  /** `floor`: the index the graph stands at when the history starts (nothing older can be read). */
  constructor(floor: number, maxEntries: number, recentEntries: number, maxCommands = mvccHistoryCommandsMax, retentionMs = 0, floorStamp?: VersionStamp) {
    assert(Number.isFinite(retentionMs) && retentionMs >= 0, `mvcc retention must be a non-negative number of ms, got ${retentionMs}`);
    this.#retentionMs = retentionMs;
    this.#floorStamp = floorStamp;
    assert(Number.isSafeInteger(maxEntries) && maxEntries >= 1, `mvcc history bound must be a positive integer, got ${maxEntries}`);
    assert(Number.isSafeInteger(recentEntries) && recentEntries >= 0, `mvcc recent entries must be a non-negative integer, got ${recentEntries}`);
    this.#floor = floor;
    this.#maxEntries = maxEntries;
    assert(Number.isSafeInteger(maxCommands) && maxCommands >= 1, `mvcc history command bound must be a positive integer, got ${maxCommands}`);
    this.#maxCommands = maxCommands;
    this.#recentEntries = Math.min(recentEntries, maxEntries);
  }

  /** The oldest index a snapshot read can be at (every entry after it is kept). */
  get floor(): number {
    return this.#floor;
  }

  /** Entries kept. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** Live pins (released or not yet expired ones alike until collected). */
  get pins(): number {
    return this.#pins.size;
  }

  /** push: an entry just applied (its index above every kept one); then collects. */
  push(entry: HistoryEntry, now: number): void {
    const last = this.#entries[this.#entries.length - 1];
    assert(last === undefined || last.index < entry.index, `history entry ${entry.index} after ${last?.index}`);
    assert(entry.index > this.#floor, `history entry ${entry.index} at or below the floor ${this.#floor}`);
    if (entry.stamp !== undefined && last?.stamp !== undefined) {
      assert(compareStamps(last.stamp, entry.stamp) < 0, `history entry ${entry.index} stamped ${entry.stamp.wall}.${entry.stamp.logical}, not after entry ${last.index}'s ${last.stamp.wall}.${last.stamp.logical}`);
    }
    this.#entries.push(entry);
    this.#pushedAt.push(now);
    this.#commands += entry.commands.length;
    this.collect(now, entry.index);
  }

  /** reset: the graph was replaced (a snapshot installed) at `index`, whose version carries `stamp` (undefined: unknown): nothing before it can be read. */
  reset(index: number, stamp?: VersionStamp): void {
    this.#entries = [];
    this.#pushedAt = [];
    this.#head = 0;
    this.#commands = 0;
    this.#floor = Math.max(this.#floor, index);
    this.#floorStamp = stamp;
  }

  /** The stamp of the newest version kept (the last entry's, or the floor's); undefined when unknown. */
  get newestStamp(): VersionStamp | undefined {
    const last = this.#entries.length > this.#head ? this.#entries[this.#entries.length - 1] : undefined;
    return last === undefined ? this.#floorStamp : last.stamp;
  }

  /** stampAt: the stamp of the version at `index` (the last kept entry at or before it, or the floor's); undefined when unknown or below the floor. */
  stampAt(index: number): VersionStamp | undefined {
    if (index < this.#floor) return undefined;
    for (let i = this.#entries.length - 1; i >= this.#head; i--) {
      const e = this.#entries[i]!;
      if (e.index <= index) return e.stamp;
    }
    return this.#floorStamp;
  }

  /**
   * indexAt: the index of the group's version at snapshot timestamp `ts` among what is kept — the
   * last entry stamped at or before `ts`, or the floor when every kept entry is stamped after it
   * and the floor's version is known to be older. `tooOld` when the history does not reach back
   * to `ts` (or an unstamped entry is in the way: `unstamped`). The caller makes sure no entry
   * stamped at or before `ts` is still to come (src/shard/host.ts).
   */
  indexAt(ts: VersionStamp): IndexAt {
    for (let i = this.#entries.length - 1; i >= this.#head; i--) {
      const e = this.#entries[i]!;
      if (e.stamp === undefined) return { tooOld: true, unstamped: true };
      if (compareStamps(e.stamp, ts) <= 0) return { index: e.index };
    }
    if (this.#floorStamp !== undefined && compareStamps(this.#floorStamp, ts) <= 0) return { index: this.#floor };
    return { tooOld: true, unstamped: this.#floorStamp === undefined };
  }

  /**
   * pin: a live snapshot at `index` (a transaction reads the group there) until `until` (ms, the
   * clock `collect` is given); returns what releases it (idempotent). The history then keeps
   * every entry after `index`, within the bound.
   */
  pin(index: number, until: number): () => void {
    assert(index >= this.#floor, `pin at ${index} below the history floor ${this.#floor}`);
    const id = this.#nextPin++;
    this.#pins.set(id, { index, until });
    return () => {
      this.#pins.delete(id);
    };
  }

  /**
   * collect: drops what no live snapshot needs (see the file header); `applied` is the index the
   * graph stands at now, `now` the clock pins' deadlines are on.
   */
  collect(now: number, applied: number): void {
    let keepAfter = applied - this.#recentEntries;
    for (const [id, p] of this.#pins) {
      if (p.until < now) this.#pins.delete(id);
      else if (p.index < keepAfter) keepAfter = p.index;
    }
    const retainedFrom = now - this.#retentionMs;
    let h = this.#head;
    const end = this.#entries.length;
    while (
      h < end &&
      (end - h > this.#maxEntries || this.#commands > this.#maxCommands || (this.#entries[h]!.index <= keepAfter && (this.#retentionMs === 0 || this.#pushedAt[h]! < retainedFrom)))
    ) {
      const e = this.#entries[h]!;
      this.#floor = Math.max(this.#floor, e.index);
      this.#floorStamp = e.stamp;
      this.#commands -= e.commands.length;
      h++;
    }
    this.#head = h;
    if (h > 1024 && h * 2 > end) {
      this.#entries = this.#entries.slice(h);
      this.#pushedAt = this.#pushedAt.slice(h);
      this.#head = 0;
    }
  }

  /**
   * after: the kept entries with index above `index`, ascending (a fresh array); undefined when
   * `index` is below the floor (some of them were collected: the snapshot is too old).
   */
  after(index: number): HistoryEntry[] | undefined {
    if (index < this.#floor) return undefined;
    const out: HistoryEntry[] = [];
    for (let i = this.#entries.length - 1; i >= this.#head; i--) {
      const e = this.#entries[i]!;
      if (e.index <= index) break;
      out.push(e);
    }
    out.reverse();
    return out;
  }
}
