/**
 * MemoryLogStore: a {@link LogStore} in this process's memory, for tests and the simulator. What
 * `sync()` made durable survives `close()` and `crash()` and is what the next `open()` returns; what
 * was only staged is lost by `crash()`, as a process crash loses what was not fsynced.
 */
import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';
import type { Entry, HardState, LogIndex, Snapshot } from '../raft/index.ts';
import type { DurableMark, DurableState, LogStore, StagedWrites } from './types.ts';
import { applyStagedWrites, emptyDurableState } from './staged.ts';

export class MemoryLogStore implements LogStore {
  readonly kind = 'memory' as const;
  readonly location = 'memory';
  #durable: { hardState: HardState; snapshot: Snapshot | undefined; entries: Entry[] } = emptyDurableState();
  #staged: StagedWrites[] = [];
  #open = false;
  /** Device syncs done (group commit makes this smaller than the number of `sync()` calls). */
  syncs = 0;

  open(): Promise<DurableState> {
    if (this.#open) return Promise.reject(new GeodeError('IO', 'memory store is already open'));
    this.#open = true;
    this.#staged = [];
    const d = this.#durable;
    return Promise.resolve({ hardState: d.hardState, snapshot: d.snapshot, entries: d.entries.slice() });
  }

  stage(writes: StagedWrites): void {
    this.#checkOpen();
    this.#staged.push(writes);
  }

  sync(): Promise<void> {
    if (!this.#open) return Promise.reject(new GeodeError('CLOSED', 'memory store is closed'));
    if (this.#staged.length > 0) {
      for (const w of this.#staged) applyStagedWrites(this.#durable, w);
      this.#staged = [];
      this.syncs++;
    }
    return Promise.resolve();
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    await this.sync();
    const d = this.#durable;
    const index = snapshot.metadata.index;
    if (d.snapshot !== undefined && d.snapshot.metadata.index >= index) return;
    const last = d.entries.length === 0 ? (d.snapshot?.metadata.index ?? 0) : d.entries[d.entries.length - 1]!.index;
    assert(index <= last, `saveSnapshot(${index}) is past the last durable index ${last}`);
    d.snapshot = snapshot;
    d.entries = d.entries.filter((e) => e.index > index);
  }

  durable(): DurableMark {
    const d = this.#durable;
    const snapshotIndex = (d.snapshot?.metadata.index ?? 0) as LogIndex;
    const lastIndex = d.entries.length === 0 ? snapshotIndex : d.entries[d.entries.length - 1]!.index;
    return { lastIndex, snapshotIndex };
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    await this.sync();
    this.#open = false;
  }

  /** crash: TEST-ONLY: the owner dies; staged writes are lost, the store can be opened again. */
  crash(): void {
    this.#staged = [];
    this.#open = false;
  }

  #checkOpen(): void {
    if (!this.#open) throw new GeodeError('CLOSED', 'memory store is closed');
  }
}
