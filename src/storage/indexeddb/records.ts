/**
 * The records the IndexedDB log store keeps, the idb schema type, and their checks on read.
 *
 * Every value read back is checked before it is trusted (TigerBeetle's "assert validity right
 * after reading from disk"): a browser profile can be damaged or edited from DevTools, so a bad
 * record is INPUT_INVALID naming the database, the object store and the key, never a crash later.
 */
import type { DBSchema } from 'idb';
import type { ConfState, Entry, EntryType, HardState, LogIndex, NodeId, SnapshotMetadata, Term } from '../../raft/index.ts';
import { GeodeError } from '../../util/errors.ts';
import { entriesStoreName, metaStoreName, snapshotChunksStoreName } from './constants.ts';

/** EntryRecord: one log entry inside a {@link RunRecord}. */
export interface EntryRecord {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/**
 * RunRecord: a run of consecutive log entries, stored in `entries` under the index of its LAST
 * entry. One record per run rather than per entry because IndexedDB's cost is per record: on an
 * on-disk Chromium profile one record per entry tops out near 12,000 entries/s, one per batch
 * passes 200,000 (see docs/storage.md). Keying by the last index makes both log
 * operations range deletes: compaction up to i deletes keys <= i (runs wholly covered; a run
 * straddling i keeps its covered head, skipped on read), and truncation from i deletes keys >= i
 * after rewriting the head of the run holding i.
 */
export interface RunRecord {
  readonly first: number;
  readonly entries: readonly EntryRecord[];
}

/** FormatRecord: `meta/format`, the record format version the database was written with. */
export interface FormatRecord {
  readonly version: number;
}

/** HardStateRecord: `meta/hardState`. */
export interface HardStateRecord {
  readonly term: number;
  readonly vote: number;
  readonly commit: number;
}

/**
 * SnapshotMetaRecord: `meta/snapshot`, the current snapshot's Raft metadata plus how its data is
 * split: `chunkCount` chunks under keys [index, 0..chunkCount-1] in `snapshotChunks`, each
 * `chunkBytes` long except the last, `byteLength` bytes in all.
 */
export interface SnapshotMetaRecord {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
  readonly byteLength: number;
  readonly chunkCount: number;
  readonly chunkBytes: number;
}

/** MetaRecord: any value of the `meta` store. */
export type MetaRecord = FormatRecord | HardStateRecord | SnapshotMetaRecord;

/** ChunkKey: key of a snapshot chunk, [snapshotIndex, chunkNo]. */
export type ChunkKey = [number, number];

/** LogDbSchema: the typed shape of one peer's database, for idb. */
export interface LogDbSchema extends DBSchema {
  [entriesStoreName]: { key: number; value: RunRecord };
  [metaStoreName]: { key: string; value: MetaRecord };
  [snapshotChunksStoreName]: { key: ChunkKey; value: Uint8Array };
}

/** recordPlace: "IndexedDB database 'db', object store 'store', key K", for error messages. */
export function recordPlace(dbName: string, store: string, key: unknown): string {
  return `IndexedDB database '${dbName}', object store '${store}', key ${JSON.stringify(key)}`;
}

function invalid(dbName: string, store: string, key: unknown, what: string): GeodeError {
  return new GeodeError('INPUT_INVALID', `${recordPlace(dbName, store, key)}: ${what}`, { source: dbName });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isNodeIdList(v: unknown): v is NodeId[] {
  return Array.isArray(v) && v.every((id) => typeof id === 'number' && Number.isSafeInteger(id) && id > 0);
}

/** entryToRecord: the record stored for `entry`; `data` is copied when it is a view into a larger buffer. */
export function entryToRecord(entry: Entry): EntryRecord {
  const d = entry.data;
  // Structured clone stores a view's whole underlying buffer: copy views so only the entry is kept.
  const data = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? d : d.slice();
  return { term: entry.term, index: entry.index, type: entry.type, data };
}

/** decodeEntry: checks entry `at` of the run stored under `key`, which must have index `index`. */
function decodeEntry(dbName: string, key: unknown, at: number, index: number, v: unknown): Entry {
  const where = `entry ${at} (index ${index})`;
  if (!isObject(v)) throw invalid(dbName, entriesStoreName, key, `${where} is not an object`);
  if (v['index'] !== index) throw invalid(dbName, entriesStoreName, key, `${where} has index ${String(v['index'])}: the run is not contiguous`);
  if (!isCount(v['term'])) throw invalid(dbName, entriesStoreName, key, `${where} has term ${String(v['term'])}, not a non-negative integer`);
  const type = v['type'];
  if (type !== 'normal' && type !== 'confChange') throw invalid(dbName, entriesStoreName, key, `${where} has unknown type ${JSON.stringify(type)}`);
  const data = v['data'];
  if (!(data instanceof Uint8Array)) throw invalid(dbName, entriesStoreName, key, `${where} data is not a Uint8Array`);
  return { term: v['term'] as Term, index: index as LogIndex, type, data };
}

/**
 * decodeRun: checks a value read from `entries` under `key` (a run of entries `first..key`,
 * contiguous, at least one) and returns its entries.
 */
export function decodeRun(dbName: string, key: unknown, v: unknown): Entry[] {
  if (!isCount(key) || key === 0) throw invalid(dbName, entriesStoreName, key, 'run key is not a positive integer index');
  if (!isObject(v) || !Array.isArray(v['entries'])) throw invalid(dbName, entriesStoreName, key, 'run record has no entries list');
  const list = v['entries'] as unknown[];
  const first = v['first'];
  if (!isCount(first) || list.length === 0 || first + list.length - 1 !== key) {
    throw invalid(dbName, entriesStoreName, key, `run from ${String(first)} with ${list.length} entries does not end at its key`);
  }
  const out = new Array<Entry>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = decodeEntry(dbName, key, i, first + i, list[i]);
  return out;
}

/** decodeFormat: checks `meta/format`; undefined stays undefined (a database made by `upgrade` and not yet written). */
export function decodeFormat(dbName: string, key: string, v: unknown): FormatRecord | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || !isCount(v['version']) || v['version'] === 0) {
    throw invalid(dbName, metaStoreName, key, 'format record has no positive integer version');
  }
  return { version: v['version'] };
}

/** decodeHardState: checks `meta/hardState`; undefined stays undefined (nothing saved yet). */
export function decodeHardState(dbName: string, key: string, v: unknown): HardState | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || !isCount(v['term']) || !isCount(v['vote']) || !isCount(v['commit'])) {
    throw invalid(dbName, metaStoreName, key, 'hard state needs non-negative integer term, vote and commit');
  }
  return { term: v['term'] as Term, vote: v['vote'] as NodeId, commit: v['commit'] as LogIndex };
}

function decodeConf(dbName: string, key: string, v: unknown): ConfState {
  if (!isObject(v) || !isNodeIdList(v['voters']) || !isNodeIdList(v['learners'])) {
    throw invalid(dbName, metaStoreName, key, 'snapshot conf needs voters and learners as lists of positive node ids');
  }
  const out: { -readonly [K in keyof ConfState]: ConfState[K] } = { voters: v['voters'], learners: v['learners'] };
  if (v['votersOutgoing'] !== undefined) {
    if (!isNodeIdList(v['votersOutgoing'])) throw invalid(dbName, metaStoreName, key, 'snapshot conf votersOutgoing is not a list of node ids');
    out.votersOutgoing = v['votersOutgoing'];
  }
  if (v['learnersNext'] !== undefined) {
    if (!isNodeIdList(v['learnersNext'])) throw invalid(dbName, metaStoreName, key, 'snapshot conf learnersNext is not a list of node ids');
    out.learnersNext = v['learnersNext'];
  }
  if (v['autoLeave'] !== undefined) {
    if (typeof v['autoLeave'] !== 'boolean') throw invalid(dbName, metaStoreName, key, 'snapshot conf autoLeave is not a boolean');
    out.autoLeave = v['autoLeave'];
  }
  return out;
}

/** decodeSnapshotMeta: checks `meta/snapshot`; undefined stays undefined (no snapshot saved). */
export function decodeSnapshotMeta(dbName: string, key: string, v: unknown): SnapshotMetaRecord | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw invalid(dbName, metaStoreName, key, 'snapshot metadata is not an object');
  for (const field of ['index', 'term', 'byteLength', 'chunkCount', 'chunkBytes'] as const) {
    if (!isCount(v[field])) throw invalid(dbName, metaStoreName, key, `snapshot ${field} ${String(v[field])} is not a non-negative integer`);
  }
  const r = v as unknown as SnapshotMetaRecord;
  if (r.chunkBytes === 0) throw invalid(dbName, metaStoreName, key, 'snapshot chunkBytes is 0');
  if (r.chunkCount !== Math.ceil(r.byteLength / r.chunkBytes)) {
    throw invalid(dbName, metaStoreName, key, `snapshot of ${r.byteLength} bytes in chunks of ${r.chunkBytes} cannot have ${r.chunkCount} chunks`);
  }
  const conf = decodeConf(dbName, key, v['conf']);
  return { index: r.index, term: r.term, conf, byteLength: r.byteLength, chunkCount: r.chunkCount, chunkBytes: r.chunkBytes };
}

/** snapshotMetadataOf: the Raft metadata of a stored snapshot record. */
export function snapshotMetadataOf(r: SnapshotMetaRecord): SnapshotMetadata {
  return { index: r.index as LogIndex, term: r.term as Term, conf: r.conf };
}

/**
 * entriesAfter: the log entries after `snapIndex` held by the runs read (keys in order, `keys[r]`
 * the key of `values[r]`), checked contiguous from snapIndex + 1. The head of a run that the
 * snapshot covers is skipped; a gap is INPUT_INVALID naming the run's key.
 */
export function entriesAfter(dbName: string, keys: readonly unknown[], values: readonly unknown[], snapIndex: number): Entry[] {
  if (keys.length !== values.length) throw invalid(dbName, entriesStoreName, '*', `${keys.length} run keys read but ${values.length} runs`);
  const entries: Entry[] = [];
  let expected = snapIndex + 1;
  for (let r = 0; r < values.length; r++) {
    const run = decodeRun(dbName, keys[r], values[r]);
    for (let i = 0; i < run.length; i++) {
      const e = run[i]!;
      if (e.index <= snapIndex) continue;
      if (e.index !== expected) {
        throw invalid(
          dbName,
          entriesStoreName,
          keys[r],
          `gap in the log: the run holds index ${e.index} where ${expected} was expected (${snapIndex === 0 ? 'no snapshot' : `snapshot at ${snapIndex}`})`,
        );
      }
      entries.push(e);
      expected++;
    }
  }
  return entries;
}
