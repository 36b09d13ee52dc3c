/**
 * Recovery: reads a data directory and finds what is durable, without changing anything. It
 * returns the durable image and a list of repairs (a torn tail to cut, a leftover temp file to
 * remove, ...); the store applies the repairs only when the whole directory checked out, so a
 * corrupt directory is left exactly as it was found.
 *
 * Rules (docs/storage.md): a bad record at the very end of the LAST segment is a torn tail
 * (a write cut short by a crash) and is dropped; a bad record anywhere else is corruption and
 * fails with INPUT_INVALID naming the file and byte offset.
 */
import { join } from 'node:path';
import { GeodeError } from '../../util/errors.ts';
import { assert } from '../../util/assert.ts';
import type { Entry, Snapshot } from '../../raft/index.ts';
import { emptyDurableState, type DurableImage } from '../staged.ts';
import { frameHeaderBytes, recordBytesMax, segmentHeaderBytes, tmpSuffix } from './constants.ts';
import { crc32 } from './crc.ts';
import {
  allZero,
  DecodeError,
  decodeRecordHeader,
  decodeRecordPayload,
  decodeSegmentHeader,
  decodeSnapshotFile,
  type WalOp,
} from './format.ts';
import type { FileStoreIo } from './io.ts';
import { parseSegmentName, parseSnapshotName, segmentPath } from './names.ts';

/** What the store knows of one segment: where it is, how long, the highest log index in it. */
export interface SegmentInfo {
  readonly seq: number;
  readonly path: string;
  size: number;
  /** Highest entry (or installed snapshot) index written in the segment; 0 when none. */
  maxIndex: number;
}

/** A change recovery asks for once the directory checked out. */
export type Repair =
  | { readonly kind: 'removeFile'; readonly path: string; readonly warning: string | undefined }
  | { readonly kind: 'truncate'; readonly path: string; readonly size: number; readonly warning: string }
  /** (Re)write the last segment as a header and a hard-state record (it held no good record). */
  | { readonly kind: 'rewriteLast'; readonly seq: number; readonly path: string; readonly warning: string | undefined };

/** What a data directory holds. */
export interface Recovered {
  readonly image: DurableImage;
  /** Index of the last log entry (the snapshot's index when no entry follows it). */
  readonly lastIndex: number;
  /** The snapshot file in use, if any. */
  readonly snapshotPath: string | undefined;
  /** Segments, oldest first, as they will be once the repairs are done (never empty after them). */
  readonly segments: SegmentInfo[];
  readonly repairs: Repair[];
}

function corruptSegment(path: string, offset: number, why: string): GeodeError {
  return new GeodeError('INPUT_INVALID', `corrupt WAL segment ${path} at byte offset ${offset}: ${why}`, { source: path });
}

/** A record of a segment, decoded. */
interface ScannedRecord {
  readonly offset: number;
  readonly ops: WalOp[];
}

interface ScannedSegment {
  /** Undefined when the last segment's header itself is torn. */
  readonly headerOk: boolean;
  readonly records: ScannedRecord[];
  /** Offset just past the last good record. */
  readonly goodEnd: number;
  /** Set when a torn tail was found (last segment only): where and why. */
  readonly torn: { readonly offset: number; readonly reason: string } | undefined;
}

/**
 * scanSegment: checks and decodes every record of one segment. `isLast` allows a torn tail:
 * a record cut short by the end of the file, a final record whose payload checksum fails, or a
 * zero-filled tail. Everything else throws INPUT_INVALID naming the file and offset.
 */
export function scanSegment(bytes: Uint8Array, path: string, seq: number, isLast: boolean): ScannedSegment {
  const n = bytes.length;
  if (isLast && (n < segmentHeaderBytes || allZero(bytes, 0, segmentHeaderBytes))) {
    return { headerOk: false, records: [], goodEnd: 0, torn: { offset: 0, reason: 'incomplete segment header' } };
  }
  try {
    const header = decodeSegmentHeader(bytes);
    if (header.seq !== seq) throw new DecodeError(`header says segment ${header.seq}, its name says ${seq}`, 12);
  } catch (err) {
    if (err instanceof DecodeError) throw corruptSegment(path, err.offset, err.message);
    throw err;
  }
  const records: ScannedRecord[] = [];
  let at = segmentHeaderBytes;
  const torn = (reason: string): ScannedSegment => {
    if (!isLast) throw corruptSegment(path, at, reason);
    return { headerOk: true, records, goodEnd: at, torn: { offset: at, reason } };
  };
  while (at < n) {
    if (n - at < frameHeaderBytes) return torn(`record header cut short (${n - at} of ${frameHeaderBytes} bytes)`);
    const header = decodeRecordHeader(bytes, at);
    if (header === undefined) {
      if (isLast && allZero(bytes, at, n)) return torn('zero-filled tail');
      throw corruptSegment(path, at, 'record header checksum mismatch');
    }
    const { payloadLength, payloadCrc } = header;
    if (payloadLength === 0 || payloadLength > recordBytesMax) {
      throw corruptSegment(path, at, `record length ${payloadLength} outside 1..${recordBytesMax}`);
    }
    const end = at + frameHeaderBytes + payloadLength;
    if (end > n) return torn(`record of ${payloadLength} bytes runs past the end of the file (${n} bytes)`);
    const payload = bytes.subarray(at + frameHeaderBytes, end);
    if (crc32(payload) !== payloadCrc) {
      if (isLast && (end === n || allZero(bytes, end, n))) return torn('checksum mismatch in the final record');
      throw corruptSegment(path, at, 'record checksum mismatch');
    }
    try {
      records.push({ offset: at, ops: decodeRecordPayload(payload) });
    } catch (err) {
      if (err instanceof DecodeError) throw corruptSegment(path, at + frameHeaderBytes + err.offset, err.message);
      throw err;
    }
    at = end;
  }
  return { headerOk: true, records, goodEnd: at, torn: undefined };
}

/**
 * LogReplayer: applies WAL ops to a durable image in order, checking that they fit together
 * (entries follow on from the log, truncations and installs stay inside it). Entries at or below
 * the snapshot's index are skipped: the snapshot holds them.
 */
class LogReplayer {
  readonly image: DurableImage;
  readonly base: number;
  /** End of the log as written (may be below `base` only transiently); undefined until an op says. */
  last: number | undefined;

  constructor(snapshot: Snapshot | undefined) {
    this.image = emptyDurableState();
    this.image.snapshot = snapshot;
    this.base = snapshot?.metadata.index ?? 0;
    this.last = undefined;
  }

  /** apply: one op; returns a reason when it does not fit the log, else undefined. Updates `seg.maxIndex`. */
  apply(op: WalOp, seg: SegmentInfo): string | undefined {
    const held = this.image.entries;
    switch (op.kind) {
      case 'hardState':
        this.image.hardState = op.hardState;
        return undefined;
      case 'truncate':
        if (this.last !== undefined && op.index > this.last) return `truncation at ${op.index} past the log's end ${this.last}`;
        held.length = Math.min(held.length, Math.max(0, op.index - this.base - 1));
        this.last = op.index - 1;
        return undefined;
      case 'install':
        if (op.index > this.base) return `snapshot install at ${op.index} but the latest snapshot file is at ${this.base}`;
        if (op.index === this.base && op.term !== this.image.snapshot?.metadata.term) {
          return `snapshot install at ${op.index} with term ${op.term}, the snapshot file has term ${this.image.snapshot?.metadata.term}`;
        }
        held.length = 0;
        this.last = op.index;
        seg.maxIndex = Math.max(seg.maxIndex, op.index);
        return undefined;
      case 'entries':
        return this.#entries(op.entries, seg);
    }
  }

  #entries(entries: readonly Entry[], seg: SegmentInfo): string | undefined {
    const held = this.image.entries;
    const first = entries[0]!.index;
    if (this.last !== undefined && first !== this.last + 1) return `entries start at ${first} but the log ends at ${this.last}`;
    if (this.last === undefined && first > this.base + 1) return `entries start at ${first} but the snapshot ends at ${this.base} (a segment is missing)`;
    for (const e of entries) {
      if (e.index <= this.base) continue;
      assert(e.index === this.base + 1 + held.length, `replayed entry ${e.index} does not follow ${this.base + held.length}`);
      held.push(e);
    }
    this.last = first + entries.length - 1;
    seg.maxIndex = Math.max(seg.maxIndex, this.last);
    return undefined;
  }
}

interface DirListing {
  readonly segments: { seq: number; path: string }[];
  readonly snapshots: { index: number; path: string }[];
  readonly tmps: string[];
}

async function listDirectory(io: FileStoreIo, dir: string): Promise<DirListing> {
  const segments: { seq: number; path: string }[] = [];
  const snapshots: { index: number; path: string }[] = [];
  const tmps: string[] = [];
  for (const name of await io.readdir(dir)) {
    if (name.endsWith(tmpSuffix)) {
      tmps.push(join(dir, name));
      continue;
    }
    const seq = parseSegmentName(name);
    if (seq !== undefined) segments.push({ seq, path: join(dir, name) });
    const index = parseSnapshotName(name);
    if (index !== undefined) snapshots.push({ index, path: join(dir, name) });
  }
  segments.sort((a, b) => a.seq - b.seq);
  snapshots.sort((a, b) => a.index - b.index);
  return { segments, snapshots, tmps };
}

async function readLatestSnapshot(io: FileStoreIo, latest: { index: number; path: string } | undefined): Promise<Snapshot | undefined> {
  if (latest === undefined) return undefined;
  const bytes = await io.readFile(latest.path);
  let snapshot: Snapshot;
  try {
    snapshot = decodeSnapshotFile(bytes);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new GeodeError('INPUT_INVALID', `corrupt snapshot file ${latest.path} at byte offset ${err.offset}: ${err.message}`, { source: latest.path });
  }
  if (snapshot.metadata.index !== latest.index) {
    throw new GeodeError('INPUT_INVALID', `snapshot file ${latest.path} holds index ${snapshot.metadata.index}, its name says ${latest.index}`, { source: latest.path });
  }
  return snapshot;
}

/** firstInstallIndex: the index of an install op in the first record, if any (a rolled install segment starts with one). */
function firstInstallIndex(records: readonly ScannedRecord[]): number | undefined {
  const first = records[0];
  if (first === undefined) return undefined;
  for (const op of first.ops) if (op.kind === 'install') return op.index;
  return undefined;
}

/**
 * recoverDirectory: reads `dir` (never writing to it) and returns what is durable and which
 * repairs to make. Throws INPUT_INVALID on corruption, IO when a read fails.
 */
export async function recoverDirectory(io: FileStoreIo, dir: string): Promise<Recovered> {
  const listing = await listDirectory(io, dir);
  const repairs: Repair[] = [];
  for (const path of listing.tmps) repairs.push({ kind: 'removeFile', path, warning: `${path}: removed a leftover temporary file` });
  const latest = listing.snapshots[listing.snapshots.length - 1];
  const snapshot = await readLatestSnapshot(io, latest);
  for (const s of listing.snapshots) if (s !== latest) repairs.push({ kind: 'removeFile', path: s.path, warning: undefined });

  const replay = new LogReplayer(snapshot);
  const segments: SegmentInfo[] = [];
  const files = listing.segments;
  for (let i = 0; i < files.length; i++) {
    const { seq, path } = files[i]!;
    const prev = files[i - 1];
    if (prev !== undefined && seq !== prev.seq + 1) {
      throw new GeodeError('INPUT_INVALID', `WAL segment ${segmentPath(dir, prev.seq + 1)} is missing (found ${path} after ${prev.path})`, { source: path });
    }
    const isLast = i === files.length - 1;
    const bytes = await io.readFile(path);
    const scanned = scanSegment(bytes, path, seq, isLast);
    const info: SegmentInfo = { seq, path, size: scanned.goodEnd, maxIndex: 0 };
    segments.push(info);
    const install = isLast ? firstInstallIndex(scanned.records) : undefined;
    if (install !== undefined && install > replay.base) {
      // The crash came between the install record and the snapshot file: the install never finished.
      repairs.push({ kind: 'rewriteLast', seq, path, warning: `${path}: dropped an unfinished snapshot install at index ${install} (no snapshot file for it)` });
      info.size = 0;
      break;
    }
    for (const record of scanned.records) {
      for (const op of record.ops) {
        const why = replay.apply(op, info);
        if (why !== undefined) throw corruptSegment(path, record.offset, why);
      }
    }
    if (!scanned.headerOk || scanned.records.length === 0) {
      const warning = scanned.torn === undefined ? undefined : `${path}: dropped a torn tail at byte offset ${scanned.torn.offset} (${scanned.torn.reason})`;
      repairs.push({ kind: 'rewriteLast', seq, path, warning });
      info.size = 0;
    } else if (scanned.torn !== undefined) {
      const t = scanned.torn;
      repairs.push({
        kind: 'truncate',
        path,
        size: t.offset,
        warning: `${path}: dropped a torn record at byte offset ${t.offset} (${t.reason}); file truncated from ${bytes.length} to ${t.offset} bytes`,
      });
    }
  }
  if (segments.length === 0) {
    const seq = 1;
    segments.push({ seq, path: segmentPath(dir, seq), size: 0, maxIndex: 0 });
    repairs.push({ kind: 'rewriteLast', seq, path: segmentPath(dir, seq), warning: undefined });
  }
  const base = replay.base;
  if (replay.last !== undefined && replay.last < base) {
    const last = segments[segments.length - 1]!;
    throw corruptSegment(last.path, last.size, `the log ends at ${replay.last}, before the snapshot at ${base} (a segment is missing)`);
  }
  return { image: replay.image, lastIndex: replay.last ?? base, snapshotPath: latest?.path, segments, repairs };
}
