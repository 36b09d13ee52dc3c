/**
 * TEST-ONLY helpers for the file store's tests: temporary directories, entries, hard states, and
 * an io wrapper that counts syncs and can fail a chosen call.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, HardState, LogIndex, NodeId, Snapshot, Term } from '../../raft/index.ts';
import { nodeFileStoreIo, type FileStoreIo } from './io.ts';

const made: string[] = [];

/** tempDir: a fresh directory under the OS temp dir; removed by {@link removeTempDirs}. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'geode-file-store-'));
  made.push(dir);
  return dir;
}

/** removeTempDirs: removes every directory {@link tempDir} made. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** entry: entry `index` of `term` with `size` bytes of data derived from index and term. */
export function entry(index: number, term = 1, size = 8): Entry {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return { index: index as LogIndex, term: term as Term, type: 'normal', data };
}

/** entries: entries lo..hi (inclusive) of `term`. */
export function entries(lo: number, hi: number, term = 1, size = 8): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(entry(i, term, size));
  return out;
}

/** hardState: a hard state. */
export function hardState(term: number, vote: number, commit: number): HardState {
  return { term: term as Term, vote: vote as NodeId, commit: commit as LogIndex };
}

/** snapshot: a snapshot at index/term with a few bytes of data. */
export function snapshot(index: number, term: number, size = 16): Snapshot {
  const data = new Uint8Array(size).map((_, i) => (index + i) & 0xff);
  return { metadata: { index: index as LogIndex, term: term as Term, conf: { voters: [1 as NodeId], learners: [] } }, data };
}

/** segmentFiles: the WAL segment names in `dir`, oldest first. */
export function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('wal-')).sort();
}

/** CountingIo: the real io, counting file syncs and failing the write or sync calls `failOn` chooses. */
export interface CountingIo extends FileStoreIo {
  datasyncs: number;
  writes: number;
  /** When set, called before each write/datasync; returning true makes that call fail with EIO. */
  failOn: ((call: 'write' | 'datasync', n: number) => boolean) | undefined;
}

/** countingIo: see {@link CountingIo}. */
export function countingIo(): CountingIo {
  const io: CountingIo = {
    ...nodeFileStoreIo,
    datasyncs: 0,
    writes: 0,
    failOn: undefined,
    async open(path, mode) {
      const h = await nodeFileStoreIo.open(path, mode);
      const fail = (call: 'write' | 'datasync', n: number): void => {
        if (io.failOn?.(call, n) === true) throw Object.assign(new Error(`EIO: injected ${call} failure`), { code: 'EIO' });
      };
      return {
        write: async (bytes, position) => {
          fail('write', ++io.writes);
          await h.write(bytes, position);
        },
        datasync: async () => {
          fail('datasync', ++io.datasyncs);
          await h.datasync();
        },
        sync: () => h.sync(),
        truncate: (length) => h.truncate(length),
        close: () => h.close(),
      };
    },
  };
  return io;
}
