import { appendFileSync, readFileSync, readdirSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isGeodeError, type GeodeError } from '../../util/errors.ts';
import { openFileLogStore, type FileLogStoreOptions } from './index.ts';
import { countingIo, entries, entry, hardState, removeTempDirs, segmentFiles, snapshot, tempDir } from './test-helpers.ts';

afterEach(removeTempDirs);

async function openState(dir: string, options?: FileLogStoreOptions) {
  const store = openFileLogStore(dir, options);
  const state = await store.open();
  await store.close();
  return state;
}

async function openError(dir: string): Promise<GeodeError> {
  const store = openFileLogStore(dir);
  const err = await store.open().then(() => undefined, (e: unknown) => e);
  expect(isGeodeError(err)).toBe(true);
  return err as GeodeError;
}

/** A directory with one segment: batches of 3 entries, each synced; returns the file and each batch's end offset. */
async function writeBatches(batches: number): Promise<{ dir: string; file: string; ends: number[] }> {
  const dir = tempDir();
  const store = openFileLogStore(dir);
  await store.open();
  const file = join(dir, segmentFiles(dir)[0]!);
  const ends = [statSync(file).size];
  for (let b = 0; b < batches; b++) {
    store.stage({ entries: entries(b * 3 + 1, b * 3 + 3, 1, 20), hardState: hardState(1, 1, b * 3) });
    await store.sync();
    ends.push(statSync(file).size);
  }
  await store.close();
  return { dir, file, ends };
}

describe('file store recovery', () => {
  it('drops a torn final record cut at every byte offset and opens with what came before', async () => {
    const { dir, file, ends } = await writeBatches(4);
    const pristine = readFileSync(file);
    const lastStart = ends[ends.length - 2]!;
    const lastEnd = ends[ends.length - 1]!;
    for (let cut = lastStart + 1; cut < lastEnd; cut++) {
      writeFileSync(file, pristine.subarray(0, cut));
      const warnings: string[] = [];
      const state = await openState(dir, { onWarning: (m) => warnings.push(m) });
      expect(state.entries).toEqual(entries(1, 9, 1, 20));
      expect(state.hardState).toEqual(hardState(1, 1, 6));
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toContain(file);
      expect(warnings[0]).toContain(`byte offset ${lastStart}`);
      expect(statSync(file).size).toBe(lastStart);
    }
    // Cut exactly at a record boundary: nothing torn, nothing to warn about.
    writeFileSync(file, pristine.subarray(0, lastStart));
    const warnings: string[] = [];
    expect((await openState(dir, { onWarning: (m) => warnings.push(m) })).entries).toEqual(entries(1, 9, 1, 20));
    expect(warnings).toEqual([]);
  });

  it('appends after a dropped torn tail and keeps both across the next restart', async () => {
    const { dir, file, ends } = await writeBatches(2);
    truncateSync(file, ends[2]! - 5);
    const store = openFileLogStore(dir);
    expect((await store.open()).entries).toEqual(entries(1, 3, 1, 20));
    store.stage({ entries: entries(4, 5, 2) });
    await store.close();
    expect((await openState(dir)).entries).toEqual([...entries(1, 3, 1, 20), ...entries(4, 5, 2)]);
  });

  it('drops a zero-filled tail (space the file system extended but never wrote)', async () => {
    const { dir, file, ends } = await writeBatches(2);
    appendFileSync(file, new Uint8Array(4096));
    const warnings: string[] = [];
    expect((await openState(dir, { onWarning: (m) => warnings.push(m) })).entries).toEqual(entries(1, 6, 1, 20));
    expect(warnings[0]).toContain('zero-filled');
    expect(statSync(file).size).toBe(ends[2]);
  });

  it('reports a flipped byte before the final record as INPUT_INVALID naming the file and offset, changing nothing', async () => {
    const { dir, file, ends } = await writeBatches(4);
    const pristine = readFileSync(file);
    const lastStart = ends[ends.length - 2]!;
    for (let at = ends[0]!; at < lastStart; at += 7) {
      const bytes = Buffer.from(pristine);
      bytes[at] = bytes[at]! ^ 0x10;
      writeFileSync(file, bytes);
      const err = await openError(dir);
      expect(err.code).toBe('INPUT_INVALID');
      expect(err.message).toContain(file);
      expect(err.message).toMatch(/at byte offset \d+/);
      const offset = Number(/at byte offset (\d+)/.exec(err.message)![1]);
      expect(offset).toBeLessThanOrEqual(at);
      expect(err.source).toBe(file);
      expect(readFileSync(file).equals(bytes)).toBe(true);
      expect(readdirSync(dir)).not.toContain('LOCK');
    }
  });

  it('reports a flipped byte in the final record header as corruption, not a torn tail', async () => {
    const { dir, file, ends } = await writeBatches(3);
    const bytes = readFileSync(file);
    const at = ends[2]! + 2;
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(file, bytes);
    const err = await openError(dir);
    expect(err.code).toBe('INPUT_INVALID');
    expect(err.message).toContain(`${file} at byte offset ${ends[2]}`);
  });

  it('reports a damaged record at the end of a segment that is not the last as corruption', async () => {
    const dir = tempDir();
    const store = openFileLogStore(dir, { segmentBytes: 200 });
    await store.open();
    for (let i = 1; i <= 12; i++) {
      store.stage({ entries: [entry(i, 1, 40)] });
      await store.sync();
    }
    await store.close();
    const first = join(dir, segmentFiles(dir)[0]!);
    truncateSync(first, statSync(first).size - 3);
    const err = await openError(dir);
    expect(err.code).toBe('INPUT_INVALID');
    expect(err.message).toContain(first);
  });

  it('reports a missing middle segment as INPUT_INVALID', async () => {
    const dir = tempDir();
    const store = openFileLogStore(dir, { segmentBytes: 150 });
    await store.open();
    for (let i = 1; i <= 12; i++) {
      store.stage({ entries: [entry(i, 1, 40)] });
      await store.sync();
    }
    await store.close();
    const names = segmentFiles(dir);
    expect(names.length).toBeGreaterThan(2);
    unlinkSync(join(dir, names[1]!));
    const err = await openError(dir);
    expect(err.code).toBe('INPUT_INVALID');
    expect(err.message).toContain(names[1]!);
  });

  it('reports a truncated snapshot file as INPUT_INVALID naming the file', async () => {
    const dir = tempDir();
    const store = openFileLogStore(dir);
    await store.open();
    store.stage({ entries: entries(1, 5) });
    await store.saveSnapshot(snapshot(4, 1, 1000));
    await store.close();
    const snap = join(dir, 'snapshot-00000000000000000004.snap');
    const pristine = readFileSync(snap);
    for (const cut of [0, 10, 40, pristine.length - 1]) {
      writeFileSync(snap, pristine.subarray(0, cut));
      const err = await openError(dir);
      expect(err.code).toBe('INPUT_INVALID');
      expect(err.message).toContain(snap);
      expect(err.source).toBe(snap);
    }
    const flipped = Buffer.from(pristine);
    flipped[pristine.length - 10] = flipped[pristine.length - 10]! ^ 0xff;
    writeFileSync(snap, flipped);
    expect((await openError(dir)).message).toContain(`${snap} at byte offset`);
    writeFileSync(snap, pristine);
    const state = await openState(dir);
    expect(state.snapshot).toEqual(snapshot(4, 1, 1000));
    expect(state.entries).toEqual(entries(5, 5));
  });

  it('drops a snapshot install whose snapshot file never got written, keeping the log before it', async () => {
    const dir = tempDir();
    const io = countingIo();
    const store = openFileLogStore(dir, { io });
    await store.open();
    store.stage({ entries: entries(1, 4, 1), hardState: hardState(1, 1, 2) });
    await store.sync();
    // The install writes its segment (write 1 after this point), then the snapshot temp file: fail that.
    const writesBefore = io.writes;
    io.failOn = (call, n) => call === 'write' && n === writesBefore + 2;
    store.stage({ snapshot: snapshot(10, 2), hardState: hardState(2, 2, 10) });
    const err = await store.sync().then(() => undefined, (e: unknown) => e);
    expect(isGeodeError(err, 'IO')).toBe(true);
    expect((err as Error).message).toContain('snapshot-00000000000000000010.snap.tmp');
    await store.close().catch(() => undefined);
    const warnings: string[] = [];
    const state = await openState(dir, { onWarning: (m) => warnings.push(m) });
    expect(state.snapshot).toBeUndefined();
    expect(state.entries).toEqual(entries(1, 4, 1));
    expect(state.hardState).toEqual(hardState(1, 1, 2));
    expect(warnings.some((w) => w.includes('unfinished snapshot install'))).toBe(true);
    expect(warnings.some((w) => w.includes('.snap.tmp'))).toBe(true);
  });

  it('refuses a segment written by another format version', async () => {
    const { dir, file } = await writeBatches(1);
    const bytes = readFileSync(file);
    bytes[8] = 9;
    writeFileSync(file, bytes);
    const err = await openError(dir);
    expect(err.code).toBe('INPUT_INVALID');
    expect(err.message).toContain(file);
  });
});
