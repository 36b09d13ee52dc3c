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
 * Bounds and collection: at most `maxEntries` entries (the oldest go first); besides, entries no
 * live snapshot needs go — everything at or below the oldest pinned index, and, with no pin that
 * old, all but the newest `recentEntries` (kept so a leader can validate the commit of a
 * transaction that read on another member, which pins its snapshot only there). `floor` is the
 * oldest index a read can be at: every entry after it is kept. A pin carries a deadline (the
 * transaction's): a pin never released stops holding history once it passed.
 *
 * Pure: no clock (callers pass `now`), no I/O.
 */
import type { GraphCommand } from '../graph/index.ts';
import { assert } from '../util/assert.ts';

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
}

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
  /** Start of the live part of #entries (entries before it were collected; compacted now and then). */
  #head = 0;
  #floor: number;
  readonly #maxEntries: number;
  readonly #recentEntries: number;
  readonly #pins = new Map<number, Pin>();
  #nextPin = 1;

  /** `floor`: the index the graph stands at when the history starts (nothing older can be read). */
  constructor(floor: number, maxEntries: number, recentEntries: number) {
    assert(Number.isSafeInteger(maxEntries) && maxEntries >= 1, `mvcc history bound must be a positive integer, got ${maxEntries}`);
    assert(Number.isSafeInteger(recentEntries) && recentEntries >= 0, `mvcc recent entries must be a non-negative integer, got ${recentEntries}`);
    this.#floor = floor;
    this.#maxEntries = maxEntries;
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
    this.#entries.push(entry);
    this.collect(now, entry.index);
  }

  /** reset: the graph was replaced (a snapshot installed) at `index`: nothing before it can be read. */
  reset(index: number): void {
    this.#entries = [];
    this.#head = 0;
    this.#floor = Math.max(this.#floor, index);
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
    let h = this.#head;
    const end = this.#entries.length;
    while (h < end && (end - h > this.#maxEntries || this.#entries[h]!.index <= keepAfter)) {
      this.#floor = Math.max(this.#floor, this.#entries[h]!.index);
      h++;
    }
    this.#head = h;
    if (h > 1024 && h * 2 > end) {
      this.#entries = this.#entries.slice(h);
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
