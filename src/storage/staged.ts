/**
 * The meaning of {@link StagedWrites}, shared by every store: how a batch changes a durable image.
 * Stores that keep an in-memory model (the memory store; recovery of the file store) replay with it.
 */
import { assert } from '../util/assert.ts';
import type { Entry, HardState, LogIndex, NodeId, Snapshot, Term } from '../raft/index.ts';
import type { StagedWrites } from './types.ts';

/** A mutable durable image: hard state, latest snapshot, entries after it (contiguous). */
export interface DurableImage {
  hardState: HardState;
  snapshot: Snapshot | undefined;
  entries: Entry[];
}

/** The image of a store that never saved anything. */
export function emptyDurableState(): DurableImage {
  return { hardState: { term: 0 as Term, vote: 0 as NodeId, commit: 0 as LogIndex }, snapshot: undefined, entries: [] };
}

/**
 * applyStagedWrites: the snapshot replaces the log (entries it covers dropped, later ones kept only
 * when they follow it), then entries overwrite the suffix from their first index, then the hard
 * state is replaced. Entries must not leave a gap after the log.
 */
export function applyStagedWrites(image: DurableImage, writes: StagedWrites): void {
  if (writes.snapshot !== undefined) {
    const s = writes.snapshot.metadata.index;
    if (image.snapshot === undefined || s > image.snapshot.metadata.index) {
      image.snapshot = writes.snapshot;
      // A received snapshot replaces the whole log: entries after it came from the old leader's log.
      image.entries = [];
    }
  }
  const entries = writes.entries ?? [];
  if (entries.length > 0) {
    const snapIndex = image.snapshot?.metadata.index ?? 0;
    const first = entries[0]!.index;
    const held = image.entries;
    const heldFirst = held.length > 0 ? held[0]!.index : snapIndex + 1;
    const heldLast = held.length > 0 ? held[held.length - 1]!.index : snapIndex;
    assert(first <= heldLast + 1, `append at ${first} leaves a gap after the last index ${heldLast}`);
    const keep = Math.max(0, first - heldFirst);
    held.length = Math.min(held.length, keep);
    for (const e of entries) if (e.index > snapIndex) held.push(e);
  }
  if (writes.hardState !== undefined) image.hardState = writes.hardState;
}
