/**
 * The CLI's data directory (`--data`, default `./.geode`): the graph in durable file storage
 * (src/storage/file), opened with `openGeode({ storage: 'file:<dir>' })`. Every acknowledged write
 * is on disk before the command prints it; there is nothing to save on exit.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openGeode, type Geode } from '../../../src/node.ts';
import { isStoreFileName } from '../../../src/storage/file/index.ts';
import { GeodeError } from '../../../src/util/errors.ts';

/** The data directory when `--data` is not given, relative to the working directory. */
export const DEFAULT_DATA_DIR = './.geode';
/** The single snapshot file earlier versions kept in a data directory. */
export const LEGACY_SNAPSHOT_FILE = 'graph.snapshot';

/** A database opened over a data directory. */
export interface OpenedData {
  readonly db: Geode;
  /** True when the directory held a graph (nodes, edges or indexes); false for an empty one. */
  readonly restored: boolean;
}

export interface OpenDataOptions {
  readonly queryTimeoutMs?: number;
  /** Told about what recovery repaired (a torn log tail dropped, ...). */
  readonly onWarning?: (message: string) => void;
}

/** Opens the graph of `dataDir` (created if missing). */
export async function openDataDir(dataDir: string, options: OpenDataOptions = {}): Promise<OpenedData> {
  const legacy = join(dataDir, LEGACY_SNAPSHOT_FILE);
  if (existsSync(legacy) && storeFiles(dataDir).length === 0) {
    throw new GeodeError(
      'INPUT_INVALID',
      `${legacy} was written by an earlier version of geode, which kept one snapshot file; import the data again into a new data directory`,
      { source: legacy },
    );
  }
  const db = await openGeode({
    storage: `file:${dataDir}`,
    ...(options.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: options.queryTimeoutMs }),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  });
  const g = db.graph;
  const restored = g.nodeCount > 0 || g.edgeCount > 0 || g.indexes().length > 0;
  return { db, restored };
}

function storeFiles(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  return readdirSync(dataDir).filter(isStoreFileName);
}

/**
 * Empties the graph of `dataDir` by removing the store's files (segments, snapshots, lock); files
 * that are not the store's stay (an earlier version's graph.snapshot goes too). Refused (IO) while
 * another process has the directory open.
 */
export async function clearDataDir(dataDir: string): Promise<void> {
  if (!existsSync(dataDir)) return;
  if (storeFiles(dataDir).length > 0) {
    // Opening takes the directory's lock: a directory in use by another process is refused here.
    const { db } = await openDataDir(dataDir);
    await db.close();
  }
  for (const name of storeFiles(dataDir)) rmSync(join(dataDir, name), { force: true });
  rmSync(join(dataDir, LEGACY_SNAPSHOT_FILE), { force: true });
}
