/**
 * The CLI's persistence until the storage layer exists: a data directory (`--data`, default
 * `./.geode`) holding one `graph.snapshot` file, the whole graph store encoded by
 * `src/graph/codec.ts`. Written atomically: temp file, fsync, rename, fsync of the directory.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openGeodeOnStore, storeOf, type Geode } from '../../../src/api/database.ts';
import { GraphStore } from '../../../src/graph/index.ts';
import { GeodeError } from '../../../src/util/errors.ts';
import { decodeSnapshot, encodeSnapshot } from '../../../src/graph/codec.ts';

/** The data directory when `--data` is not given, relative to the working directory. */
export const DEFAULT_DATA_DIR = './.geode';
/** The snapshot's file name inside the data directory. */
export const SNAPSHOT_FILE = 'graph.snapshot';

/** What `GraphStore.restore` takes (and `snapshot()` returns). */
export type StoreSnapshot = Parameters<typeof GraphStore.restore>[0];

/** The snapshot path of a data directory. */
export function snapshotPath(dataDir: string): string {
  return join(dataDir, SNAPSHOT_FILE);
}

/** Writes `bytes` to `path` atomically: a crash leaves either the old file or the new one. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(temp, path);
  const dir = join(path, '..');
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

function isSystemError(err: unknown): err is Error {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && (err as { syscall?: unknown }).syscall !== undefined;
}

/** A database opened over a data directory. */
export interface OpenedData {
  readonly db: Geode;
  /** True when a snapshot was found and restored; false for a fresh, empty graph. */
  readonly restored: boolean;
}

/** An empty in-memory graph (for `import --replace`). */
export function openEmptyData(queryTimeoutMs?: number): OpenedData {
  return { db: openGeodeOnStore(new GraphStore(), queryTimeoutMs), restored: false };
}

/** Opens the graph of `dataDir`: restored from its snapshot when there is one, else empty. */
export function openDataDir(dataDir: string, queryTimeoutMs?: number): OpenedData {
  const path = snapshotPath(dataDir);
  if (!existsSync(path)) return openEmptyData(queryTimeoutMs);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new GeodeError('IO', `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { source: path, cause: err });
  }
  const data = decodeSnapshot(bytes, path);
  if (typeof data !== 'object' || data === null) {
    throw new GeodeError('INPUT_INVALID', `${path}: the snapshot does not hold a graph`, { source: path });
  }
  let store: GraphStore;
  try {
    store = GraphStore.restore(data as StoreSnapshot);
  } catch (err) {
    throw new GeodeError('INPUT_INVALID', `${path}: the snapshot does not restore: ${err instanceof Error ? err.message : String(err)}`, {
      source: path,
      cause: err,
    });
  }
  return { db: openGeodeOnStore(store, queryTimeoutMs), restored: true };
}

/** Saves the graph of `db` to `dataDir` (created if missing), replacing the previous snapshot atomically. */
export function saveDataDir(dataDir: string, db: Geode): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileAtomic(snapshotPath(dataDir), encodeSnapshot(storeOf(db).snapshot()));
  } catch (err) {
    if (!isSystemError(err)) throw err;
    throw new GeodeError('IO', `cannot write ${snapshotPath(dataDir)}: ${err instanceof Error ? err.message : String(err)}`, {
      source: dataDir,
      cause: err,
    });
  }
}
