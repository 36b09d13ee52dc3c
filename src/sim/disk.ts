/**
 * A simulated disk for one Raft node: writes land in a volatile page cache at once and become
 * durable only when synced (in order: a sync makes every earlier write durable). A crash throws away everything not synced; a restart reads back the
 * durable image. The running node reads the volatile view (what it wrote), as a real process
 * would read its own writes.
 */

import { MemoryStorage } from '../raft/index.ts';
import type { ConfState, Entry, HardState, LogIndex, Snapshot } from '../raft/index.ts';

type Write =
  | { readonly kind: 'snapshot'; readonly snapshot: Snapshot }
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  | { readonly kind: 'hardState'; readonly hardState: HardState };

/** SimDisk: a durable image, a volatile view and the writes between them. */
export class SimDisk {
  private durable: MemoryStorage;
  /** The storage the running node reads: every write, synced or not. */
  volatile: MemoryStorage;
  private unsynced: Write[] = [];
  /** Counters for reports. */
  syncs = 0;
  lostWrites = 0;

  constructor(private readonly conf: ConfState) {
    this.durable = new MemoryStorage(conf);
    this.volatile = new MemoryStorage(conf);
  }

  /** writeSnapshot / writeEntries / writeHardState: write to the page cache (not durable yet). */
  writeSnapshot(snapshot: Snapshot): void {
    this.volatile.applySnapshot(snapshot);
    this.unsynced.push({ kind: 'snapshot', snapshot });
  }

  writeEntries(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.volatile.append(entries);
    this.unsynced.push({ kind: 'entries', entries });
  }

  writeHardState(hardState: HardState): void {
    this.volatile.setHardState(hardState);
    this.unsynced.push({ kind: 'hardState', hardState });
  }

  /** sync: every write so far becomes durable (fsync). */
  sync(): void {
    this.syncs++;
    for (const w of this.unsynced) {
      if (w.kind === 'snapshot') this.durable.applySnapshot(w.snapshot);
      else if (w.kind === 'entries') this.durable.append(w.entries);
      else this.durable.setHardState(w.hardState);
    }
    this.unsynced = [];
  }

  /** hasUnsynced: writes are waiting for a sync. */
  get hasUnsynced(): boolean {
    return this.unsynced.length > 0;
  }

  /**
   * compact: the host took a snapshot of its applied state at `index` (written and synced at once,
   * as a snapshot file is), and drops the log entries it covers, in both images when they hold them.
   */
  compact(index: LogIndex, conf: ConfState, data: Uint8Array): void {
    // The snapshot is written with an fsync, which also makes every earlier write durable (so the
    // durable hard state's commit is never behind the durable snapshot).
    this.sync();
    this.volatile.createSnapshot(index, conf, data);
    this.volatile.compact(index);
    if (index <= this.durable.lastIndex() && this.durable.term(index) === this.volatile.snapshot().metadata.term) {
      this.durable.createSnapshot(index, conf, data);
      this.durable.compact(index);
    }
  }

  /** crash: unsynced writes are lost; the volatile view becomes the durable image again. */
  crash(): void {
    this.lostWrites += this.unsynced.length;
    this.unsynced = [];
    this.volatile = copyStorage(this.durable, this.conf);
  }

  /** durableHardState: the hard state a restart would read. */
  durableHardState(): HardState {
    return this.durable.initialState().hardState;
  }
}

/** copyStorage: an independent copy of a MemoryStorage (snapshot, entries, hard state). */
export function copyStorage(from: MemoryStorage, conf: ConfState): MemoryStorage {
  const to = new MemoryStorage(conf);
  const snap = from.snapshot();
  if (snap.metadata.index > 0) to.applySnapshot(snap);
  const first = from.firstIndex();
  const last = from.lastIndex();
  if (last >= first) to.append(from.entries(first, (last + 1) as LogIndex, Number.MAX_SAFE_INTEGER));
  to.setHardState(from.initialState().hardState);
  return to;
}
