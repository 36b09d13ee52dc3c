import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isGeodeError } from '../../util/errors.ts';
import { openFileLogStore, type FileLogStore, type FileLogStoreOptions } from './index.ts';
import { countingIo, entries, entry, hardState, removeTempDirs, segmentFiles, snapshot, tempDir } from './test-helpers.ts';

afterEach(removeTempDirs);

async function reopen(dir: string, options?: FileLogStoreOptions): Promise<{ store: FileLogStore; state: Awaited<ReturnType<FileLogStore['open']>> }> {
  const store = openFileLogStore(dir, options);
  const state = await store.open();
  return { store, state };
}

function indexes(list: readonly { index: number }[]): number[] {
  return list.map((e) => e.index);
}

describe('FileLogStore', () => {
  it('opens a fresh directory as an empty log with a zero hard state', async () => {
    const dir = join(tempDir(), 'nested', 'data');
    const { store, state } = await reopen(dir);
    expect(state.entries).toEqual([]);
    expect(state.snapshot).toBeUndefined();
    expect(state.hardState).toEqual(hardState(0, 0, 0));
    expect(store.durable()).toEqual({ lastIndex: 0, snapshotIndex: 0 });
    await store.close();
  });

  it('round trip: what sync made durable is exactly what the next open returns', async () => {
    const dir = tempDir();
    const { store } = await reopen(dir);
    const written = [entry(1, 1, 0), entry(2, 1, 100), { ...entry(3, 2, 5), type: 'confChange' as const }];
    store.stage({ entries: written, hardState: hardState(2, 1, 2) });
    await store.sync();
    expect(store.durable()).toEqual({ lastIndex: 3, snapshotIndex: 0 });
    await store.close();
    const { store: again, state } = await reopen(dir);
    expect(state.entries).toEqual(written);
    expect(state.hardState).toEqual(hardState(2, 1, 2));
    await again.close();
  });

  it('keeps every synced entry in order over many stage/sync calls and restarts', async () => {
    const dir = tempDir();
    let { store } = await reopen(dir);
    let next = 1;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 60; i++) {
        const n = 1 + (i % 4);
        store.stage({ entries: entries(next, next + n - 1, round + 1, i % 50), hardState: hardState(round + 1, 1, next) });
        next += n;
        if (i % 3 === 0) await store.sync();
      }
      await store.close();
      const r = await reopen(dir);
      store = r.store;
      expect(indexes(r.state.entries)).toEqual(Array.from({ length: next - 1 }, (_, k) => k + 1));
      expect(r.state.entries[r.state.entries.length - 1]).toEqual(entry(next - 1, round + 1, r.state.entries[next - 2]!.data.length));
    }
    await store.close();
  });

  it('a truncated conflicting suffix stays truncated across restarts', async () => {
    const dir = tempDir();
    let { store } = await reopen(dir);
    store.stage({ entries: entries(1, 10, 1) });
    await store.sync();
    await store.close();
    ({ store } = await reopen(dir));
    store.stage({ entries: entries(6, 8, 2), hardState: hardState(2, 0, 5) });
    await store.sync();
    await store.close();
    let r = await reopen(dir);
    expect(r.state.entries).toEqual([...entries(1, 5, 1), ...entries(6, 8, 2)]);
    r.store.stage({ entries: entries(9, 9, 2) });
    r.store.stage({ entries: entries(3, 4, 3) });
    await r.store.sync();
    await r.store.close();
    r = await reopen(dir);
    expect(r.state.entries).toEqual([...entries(1, 2, 1), ...entries(3, 4, 3)]);
    expect(r.store.durable().lastIndex).toBe(4);
    await r.store.close();
  });

  it('rolls to a new segment past segmentBytes and reads the log back across segments', async () => {
    const dir = tempDir();
    const options = { segmentBytes: 300 };
    let { store } = await reopen(dir, options);
    for (let i = 1; i <= 40; i++) {
      store.stage({ entries: [entry(i, 1, 30)], hardState: hardState(1, 1, i - 1) });
      await store.sync();
    }
    expect(store.stats().segments).toBeGreaterThan(5);
    expect(segmentFiles(dir).length).toBe(store.stats().segments);
    await store.close();
    const r = await reopen(dir, options);
    expect(r.state.entries).toEqual(entries(1, 40, 1, 30));
    expect(r.state.hardState).toEqual(hardState(1, 1, 39));
    await r.store.close();
  });

  it('splits a batch bigger than one record into several records', async () => {
    const dir = tempDir();
    const { store } = await reopen(dir, { recordBytes: 256 });
    store.stage({ entries: entries(1, 50, 1, 40), hardState: hardState(1, 1, 50) });
    await store.sync();
    await store.close();
    const r = await reopen(dir);
    expect(r.state.entries).toEqual(entries(1, 50, 1, 40));
    expect(r.state.hardState).toEqual(hardState(1, 1, 50));
    await r.store.close();
  });

  it('refuses an entry larger than a record with LIMIT_EXCEEDED and stages nothing of it', async () => {
    const dir = tempDir();
    const { store } = await reopen(dir, { recordBytes: 256 });
    let err: unknown;
    try {
      store.stage({ entries: [entry(1), entry(2, 1, 300)] });
    } catch (e) {
      err = e;
    }
    expect(isGeodeError(err, 'LIMIT_EXCEEDED')).toBe(true);
    store.stage({ entries: [entry(1)] });
    await store.sync();
    expect(store.durable().lastIndex).toBe(1);
    await store.close();
  });

  it('saveSnapshot removes the segments it covers wholly and keeps later entries readable', async () => {
    const dir = tempDir();
    const options = { segmentBytes: 400 };
    let { store } = await reopen(dir, options);
    for (let i = 1; i <= 60; i++) {
      store.stage({ entries: [entry(i, 1, 40)], hardState: hardState(1, 1, i) });
      await store.sync();
    }
    const before = segmentFiles(dir);
    await store.saveSnapshot(snapshot(45, 1));
    const after = segmentFiles(dir);
    expect(after.length).toBeLessThan(before.length);
    expect(after[after.length - 1]).toBe(before[before.length - 1]);
    expect(store.durable()).toEqual({ lastIndex: 60, snapshotIndex: 45 });
    expect(readdirSync(dir).filter((n) => n.endsWith('.snap'))).toEqual(['snapshot-00000000000000000045.snap']);
    await store.saveSnapshot(snapshot(58, 1));
    expect(readdirSync(dir).filter((n) => n.endsWith('.snap'))).toEqual(['snapshot-00000000000000000058.snap']);
    store.stage({ entries: [entry(61, 1, 40)] });
    await store.close();
    const r = await reopen(dir, options);
    expect(r.state.snapshot).toEqual(snapshot(58, 1));
    expect(r.state.entries).toEqual(entries(59, 61, 1, 40));
    expect(r.state.hardState).toEqual(hardState(1, 1, 60));
    await r.store.close();
  });

  it('the hard state survives compaction of the segment that last recorded it', async () => {
    const dir = tempDir();
    const { store } = await reopen(dir, { segmentBytes: 200 });
    store.stage({ hardState: hardState(7, 3, 0) });
    for (let i = 1; i <= 30; i++) {
      store.stage({ entries: [entry(i, 7, 30)] });
      await store.sync();
    }
    await store.saveSnapshot(snapshot(30, 7));
    expect(segmentFiles(dir).length).toBe(1);
    await store.crash();
    const r = await reopen(dir);
    expect(r.state.hardState).toEqual(hardState(7, 3, 0));
    await r.store.close();
  });

  it('a snapshot covering every entry leaves an empty log that continues after it', async () => {
    const dir = tempDir();
    const { store } = await reopen(dir, { segmentBytes: 200 });
    for (let i = 1; i <= 20; i++) {
      store.stage({ entries: [entry(i, 1, 30)], hardState: hardState(1, 1, i) });
      await store.sync();
    }
    await store.saveSnapshot(snapshot(20, 1));
    expect(segmentFiles(dir).length).toBe(1);
    await store.close();
    let r = await reopen(dir);
    expect(r.state.entries).toEqual([]);
    expect(r.state.hardState).toEqual(hardState(1, 1, 20));
    r.store.stage({ entries: entries(21, 22) });
    await r.store.close();
    r = await reopen(dir);
    expect(r.state.entries).toEqual(entries(21, 22));
    await r.store.close();
  });

  it('a received snapshot replaces the whole log, durably, and older segments go', async () => {
    const dir = tempDir();
    let { store } = await reopen(dir, { segmentBytes: 200 });
    for (let i = 1; i <= 10; i++) {
      store.stage({ entries: [entry(i, 1, 30)] });
      await store.sync();
    }
    store.stage({ snapshot: snapshot(8, 3), entries: entries(7, 10, 3), hardState: hardState(3, 2, 8) });
    await store.sync();
    expect(segmentFiles(dir).length).toBe(1);
    expect(store.durable()).toEqual({ lastIndex: 10, snapshotIndex: 8 });
    await store.close();
    const r = await reopen(dir);
    expect(r.state.snapshot).toEqual(snapshot(8, 3));
    expect(r.state.entries).toEqual(entries(9, 10, 3));
    expect(r.state.hardState).toEqual(hardState(3, 2, 8));
    await r.store.close();
  });

  it('group commit: concurrent sync() calls share fewer device syncs than calls', async () => {
    const dir = tempDir();
    const io = countingIo();
    const { store } = await reopen(dir, { io });
    const start = io.datasyncs;
    const n = 64;
    const waits: Promise<void>[] = [];
    for (let i = 1; i <= n; i++) {
      store.stage({ entries: [entry(i)] });
      waits.push(store.sync());
    }
    await Promise.all(waits);
    expect(io.datasyncs - start).toBeLessThan(n);
    expect(store.stats().flushes).toBeLessThan(n);
    // Writers that keep going while a flush runs: each sync waits for the next flush, shared.
    const before = store.stats().flushes;
    let next = n + 1;
    const writer = async (): Promise<void> => {
      for (let k = 0; k < 20; k++) {
        store.stage({ entries: [entry(next++)] });
        await store.sync();
      }
    };
    await Promise.all(Array.from({ length: 16 }, writer));
    expect(store.stats().flushes - before).toBeLessThan(16 * 20);
    expect(store.durable().lastIndex).toBe(next - 1);
    await store.close();
    const r = await reopen(dir);
    expect(indexes(r.state.entries)).toEqual(Array.from({ length: next - 1 }, (_, k) => k + 1));
    await r.store.close();
  });

  it('a sync() that finds nothing staged waits for the flush holding earlier writes', async () => {
    const dir = tempDir();
    const { store } = await reopen(dir);
    store.stage({ entries: [entry(1)] });
    const first = store.sync();
    const second = store.sync();
    await second;
    expect(store.durable().lastIndex).toBe(1);
    await first;
    await store.close();
  });

  it('a failed write poisons the store: every later call rejects with that error', async () => {
    const dir = tempDir();
    const io = countingIo();
    const { store } = await reopen(dir, { io });
    store.stage({ entries: [entry(1)] });
    await store.sync();
    io.failOn = (call) => call === 'datasync';
    store.stage({ entries: [entry(2)] });
    const err = await store.sync().then(() => undefined, (e: unknown) => e);
    expect(isGeodeError(err, 'IO')).toBe(true);
    expect((err as Error).message).toContain(join(dir, 'wal-00000000000000000001.log'));
    io.failOn = undefined;
    expect(() => store.stage({ entries: [entry(3)] })).toThrow(err as Error);
    await expect(store.sync()).rejects.toBe(err);
    await expect(store.saveSnapshot(snapshot(1, 1))).rejects.toBe(err);
    await expect(store.close()).rejects.toBe(err);
    const r = await reopen(dir);
    expect(r.state.entries.length).toBeGreaterThanOrEqual(1);
    await r.store.close();
  });

  it('writes staged but never synced are lost by a crash; synced ones are not', async () => {
    const dir = tempDir();
    const { store } = await reopen(dir);
    store.stage({ entries: entries(1, 3) });
    await store.sync();
    store.stage({ entries: entries(4, 5) });
    await store.crash();
    const r = await reopen(dir);
    expect(r.state.entries).toEqual(entries(1, 3));
    await r.store.close();
  });

  it('refuses calls on a closed store with CLOSED and allows close twice', async () => {
    const dir = tempDir();
    const { store } = await reopen(dir);
    await store.close();
    await store.close();
    expect(() => store.stage({ entries: [entry(1)] })).toThrow(/not open/);
    const err = await store.sync().then(() => undefined, (e: unknown) => e);
    expect(isGeodeError(err, 'CLOSED')).toBe(true);
  });

  it('removes a leftover temporary file with a warning', async () => {
    const dir = tempDir();
    const { store } = await reopen(dir);
    store.stage({ entries: [entry(1)] });
    await store.close();
    const tmp = join(dir, 'snapshot-00000000000000000007.snap.tmp');
    writeFileSync(tmp, 'partial');
    const warnings: string[] = [];
    const r = await reopen(dir, { onWarning: (m) => warnings.push(m) });
    expect(warnings.some((w) => w.includes(tmp))).toBe(true);
    expect(() => statSync(tmp)).toThrow();
    expect(r.state.entries).toEqual([entry(1)]);
    await r.store.close();
  });
});
