/**
 * The file store's byte formats: segment headers, records (frames) of WAL operations, and
 * snapshot files. Every encoder has its decoder here; decoders never trust a length before
 * checking it against a limit and the bytes present. See docs/storage.md for the layout.
 *
 * Integers are little-endian. A "u64" holds a non-negative safe integer as two u32 (low, high);
 * a high word above 0x1fffff (not a safe integer) is refused by the decoder.
 */
import { assert } from '../../util/assert.ts';
import type { ConfState, Entry, EntryType, HardState, LogIndex, NodeId, Snapshot, SnapshotMetadata, Term } from '../../raft/index.ts';
import { crc32 } from './crc.ts';
import {
  fileFormatVersion,
  frameHeaderBytes,
  segmentHeaderBytes,
  snapshotDataBytesMax,
  snapshotHeaderBytes,
  snapshotMagic,
  snapshotMetaBytesMax,
  walMagic,
} from './constants.ts';

/** Op kinds inside a record's payload. */
export const OP_HARD_STATE = 1;
export const OP_ENTRIES = 2;
export const OP_TRUNCATE = 3;
export const OP_INSTALL = 4;

/** Bytes of each op before its variable part. */
const HARD_STATE_OP_BYTES = 1 + 8 + 8 + 8;
const ENTRIES_OP_HEADER_BYTES = 1 + 8 + 4;
const ENTRY_HEADER_BYTES = 8 + 1 + 4;
const TRUNCATE_OP_BYTES = 1 + 8;
const INSTALL_OP_BYTES = 1 + 8 + 8;
const TWO_32 = 4294967296;
const U64_HIGH_MAX = 0x1fffff;

/** One operation of the write-ahead log, as written by a flush and replayed by recovery. */
export type WalOp =
  /** The hard state is now `hardState`. */
  | { readonly kind: 'hardState'; readonly hardState: HardState }
  /** Entries follow on from the log's last index (contiguous, in order). */
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  /** Entries at or after `index` are dropped (a conflicting suffix; entries from `index` follow). */
  | { readonly kind: 'truncate'; readonly index: LogIndex }
  /** A snapshot received from the leader replaced the whole log; the log now ends at `index`. */
  | { readonly kind: 'install'; readonly index: LogIndex; readonly term: Term };

/** DecodeError: bytes that do not follow the format; `offset` is relative to the decoded buffer. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function writeU64(view: DataView, at: number, n: number): void {
  assert(Number.isSafeInteger(n) && n >= 0, `u64 field must be a non-negative safe integer, got ${n}`);
  view.setUint32(at, n >>> 0, true);
  view.setUint32(at + 4, Math.floor(n / TWO_32), true);
}

function readU64(view: DataView, at: number): number {
  const high = view.getUint32(at + 4, true);
  if (high > U64_HIGH_MAX) throw new DecodeError(`integer at offset ${at} is not a safe integer`, at);
  return high * TWO_32 + view.getUint32(at, true);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function asciiEquals(bytes: Uint8Array, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

function writeAscii(bytes: Uint8Array, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) bytes[at + i] = text.charCodeAt(i);
}

/** copyBytes: a fresh Uint8Array with `bytes[from, to)` (never a view, even when `bytes` is a Buffer). */
export function copyBytes(bytes: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  out.set(bytes.subarray(from, to));
  return out;
}

/** allZero: true when every byte of `bytes[from, to)` is 0 (a preallocated or zero-filled tail). */
export function allZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Segment header
// ---------------------------------------------------------------------------------------------

/** What a segment header says: its sequence number and the log index expected first in it. */
export interface SegmentHeader {
  readonly seq: number;
  readonly startIndex: number;
}

/** encodeSegmentHeader: magic, version u32, seq u64, startIndex u64, crc32 of bytes 0..28. */
export function encodeSegmentHeader(out: Uint8Array, at: number, header: SegmentHeader): void {
  const view = new DataView(out.buffer, out.byteOffset + at, segmentHeaderBytes);
  writeAscii(out, at, walMagic);
  view.setUint32(8, fileFormatVersion, true);
  writeU64(view, 12, header.seq);
  writeU64(view, 20, header.startIndex);
  view.setUint32(28, crc32(out.subarray(at, at + 28)), true);
}

/** decodeSegmentHeader: the header at the start of `bytes`; throws DecodeError when it is not one. */
export function decodeSegmentHeader(bytes: Uint8Array): SegmentHeader {
  if (bytes.length < segmentHeaderBytes) throw new DecodeError(`segment header is ${bytes.length} bytes, expected ${segmentHeaderBytes}`, 0);
  if (!asciiEquals(bytes, 0, walMagic)) throw new DecodeError('not a Geode WAL segment (bad magic)', 0);
  const view = viewOf(bytes);
  if (view.getUint32(28, true) !== crc32(bytes.subarray(0, 28))) throw new DecodeError('segment header checksum mismatch', 0);
  const version = view.getUint32(8, true);
  if (version !== fileFormatVersion) throw new DecodeError(`segment format version ${version}, expected ${fileFormatVersion}`, 8);
  return { seq: readU64(view, 12), startIndex: readU64(view, 20) };
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

/**
 * RecordEncoder: writes WAL ops into records (frames) in one growable buffer, so a flush is one
 * `write` call. A record is `[u32 payload length][u32 crc32(payload)][u32 crc32(first 8 bytes)]`
 * then the payload: ops back to back. A record never exceeds `recordBytes` of payload; entries
 * that do not fit go on in a new record (a new ENTRIES op continuing the indexes).
 */
export class RecordEncoder {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;
  #frameStart = -1;
  /** Offset of the open ENTRIES op (its count is patched when it closes), or -1. */
  #entriesOp = -1;
  #entriesCount = 0;
  #entriesNext = 0;
  readonly #recordBytes: number;
  readonly #keepBytes: number;

  constructor(recordBytes: number, keepBytes: number) {
    this.#recordBytes = recordBytes;
    this.#keepBytes = keepBytes;
    this.#buf = new Uint8Array(4096);
    this.#view = viewOf(this.#buf);
  }

  /** reset: starts an empty buffer (dropping a big one). */
  reset(): void {
    assert(this.#frameStart === -1, 'reset() with a record still open');
    if (this.#buf.length > this.#keepBytes) {
      this.#buf = new Uint8Array(4096);
      this.#view = viewOf(this.#buf);
    }
    this.#pos = 0;
  }

  /** length: bytes encoded so far. */
  get length(): number {
    return this.#pos;
  }

  /** bytes: the encoded bytes (a view, valid until the next reset or write). */
  bytes(): Uint8Array {
    assert(this.#frameStart === -1, 'bytes() with a record still open');
    return this.#buf.subarray(0, this.#pos);
  }

  /** segmentHeader: writes a segment header (only at the start of a new segment's bytes). */
  segmentHeader(header: SegmentHeader): void {
    assert(this.#frameStart === -1, 'segment header inside a record');
    this.#ensure(segmentHeaderBytes);
    encodeSegmentHeader(this.#buf, this.#pos, header);
    this.#pos += segmentHeaderBytes;
  }

  /** beginRecord: opens a record; ops go into it until endRecord. */
  beginRecord(): void {
    assert(this.#frameStart === -1, 'beginRecord() with a record already open');
    this.#ensure(frameHeaderBytes);
    this.#frameStart = this.#pos;
    this.#pos += frameHeaderBytes;
  }

  /** endRecord: closes the open record, filling in its length and checksums. */
  endRecord(): void {
    assert(this.#frameStart !== -1, 'endRecord() without an open record');
    this.#closeEntries();
    const start = this.#frameStart;
    const payloadLength = this.#pos - start - frameHeaderBytes;
    assert(payloadLength > 0, 'empty record');
    assert(payloadLength <= this.#recordBytes, `record payload ${payloadLength} > limit ${this.#recordBytes}`);
    this.#view.setUint32(start, payloadLength, true);
    this.#view.setUint32(start + 4, crc32(this.#buf.subarray(start + frameHeaderBytes, this.#pos)), true);
    this.#view.setUint32(start + 8, crc32(this.#buf.subarray(start, start + 8)), true);
    this.#frameStart = -1;
  }

  /** hardState: an OP_HARD_STATE op. */
  hardState(hs: HardState): void {
    this.#closeEntries();
    this.#room(HARD_STATE_OP_BYTES);
    this.#buf[this.#pos] = OP_HARD_STATE;
    writeU64(this.#view, this.#pos + 1, hs.term);
    writeU64(this.#view, this.#pos + 9, hs.vote);
    writeU64(this.#view, this.#pos + 17, hs.commit);
    this.#pos += HARD_STATE_OP_BYTES;
  }

  /** truncate: an OP_TRUNCATE op (entries at or after `index` dropped). */
  truncate(index: number): void {
    this.#closeEntries();
    this.#room(TRUNCATE_OP_BYTES);
    this.#buf[this.#pos] = OP_TRUNCATE;
    writeU64(this.#view, this.#pos + 1, index);
    this.#pos += TRUNCATE_OP_BYTES;
  }

  /** install: an OP_INSTALL op (the log was replaced by a snapshot at index/term). */
  install(index: number, term: number): void {
    this.#closeEntries();
    this.#room(INSTALL_OP_BYTES);
    this.#buf[this.#pos] = OP_INSTALL;
    writeU64(this.#view, this.#pos + 1, index);
    writeU64(this.#view, this.#pos + 9, term);
    this.#pos += INSTALL_OP_BYTES;
  }

  /** entries: appends entries (contiguous indexes), continuing an open ENTRIES op when they follow it. */
  entries(list: readonly Entry[]): void {
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      const need = ENTRY_HEADER_BYTES + e.data.length;
      assert(ENTRIES_OP_HEADER_BYTES + need <= this.#recordBytes, `entry ${e.index} of ${e.data.length} bytes cannot fit in a record`);
      const payload = this.#pos - this.#frameStart - frameHeaderBytes;
      if (this.#entriesOp === -1 || this.#entriesNext !== e.index || payload + need > this.#recordBytes) {
        this.#closeEntries();
        this.#room(ENTRIES_OP_HEADER_BYTES + need);
        this.#buf[this.#pos] = OP_ENTRIES;
        writeU64(this.#view, this.#pos + 1, e.index);
        this.#entriesOp = this.#pos;
        this.#entriesCount = 0;
        this.#pos += ENTRIES_OP_HEADER_BYTES;
      }
      this.#ensure(need);
      writeU64(this.#view, this.#pos, e.term);
      this.#buf[this.#pos + 8] = e.type === 'confChange' ? 1 : 0;
      this.#view.setUint32(this.#pos + 9, e.data.length, true);
      this.#buf.set(e.data, this.#pos + ENTRY_HEADER_BYTES);
      this.#pos += need;
      this.#entriesCount++;
      this.#entriesNext = e.index + 1;
    }
  }

  #closeEntries(): void {
    if (this.#entriesOp === -1) return;
    this.#view.setUint32(this.#entriesOp + 9, this.#entriesCount, true);
    this.#entriesOp = -1;
  }

  /** #room: makes sure `n` more payload bytes fit in the open record, starting a new record if not. */
  #room(n: number): void {
    assert(this.#frameStart !== -1, 'op outside a record');
    if (this.#pos - this.#frameStart - frameHeaderBytes + n > this.#recordBytes) {
      this.endRecord();
      this.beginRecord();
    }
    this.#ensure(n);
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = viewOf(next);
  }
}

/** What a record header says, once its own checksum checked out. */
export interface RecordHeader {
  readonly payloadLength: number;
  readonly payloadCrc: number;
}

/** decodeRecordHeader: the record header at `at`, or undefined when its checksum does not match. */
export function decodeRecordHeader(bytes: Uint8Array, at: number): RecordHeader | undefined {
  assert(at + frameHeaderBytes <= bytes.length, `record header at ${at} past the end ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, frameHeaderBytes);
  if (view.getUint32(8, true) !== crc32(bytes.subarray(at, at + 8))) return undefined;
  return { payloadLength: view.getUint32(0, true), payloadCrc: view.getUint32(4, true) };
}

function entryType(code: number, at: number): EntryType {
  if (code === 0) return 'normal';
  if (code === 1) return 'confChange';
  throw new DecodeError(`unknown entry type ${code}`, at);
}

/**
 * decodeRecordPayload: the ops of one record's payload (checksum already verified). Entry data
 * are copied out, so the file's buffer can be dropped. Throws DecodeError with the offset
 * (relative to `payload`) of the first byte that does not parse.
 */
export function decodeRecordPayload(payload: Uint8Array): WalOp[] {
  const view = viewOf(payload);
  const ops: WalOp[] = [];
  let at = 0;
  const need = (n: number, what: string): void => {
    if (at + n > payload.length) throw new DecodeError(`${what} runs past the end of the record`, at);
  };
  while (at < payload.length) {
    const kind = payload[at]!;
    if (kind === OP_HARD_STATE) {
      need(HARD_STATE_OP_BYTES, 'hard state');
      const hardState = { term: readU64(view, at + 1) as Term, vote: readU64(view, at + 9) as NodeId, commit: readU64(view, at + 17) as LogIndex };
      ops.push({ kind: 'hardState', hardState });
      at += HARD_STATE_OP_BYTES;
    } else if (kind === OP_ENTRIES) {
      need(ENTRIES_OP_HEADER_BYTES, 'entries header');
      const first = readU64(view, at + 1);
      const count = view.getUint32(at + 9, true);
      if (count === 0) throw new DecodeError('entries op with no entries', at);
      at += ENTRIES_OP_HEADER_BYTES;
      const entries: Entry[] = [];
      for (let k = 0; k < count; k++) {
        need(ENTRY_HEADER_BYTES, 'entry header');
        const t = readU64(view, at) as Term;
        const type = entryType(payload[at + 8]!, at + 8);
        const length = view.getUint32(at + 9, true);
        at += ENTRY_HEADER_BYTES;
        need(length, 'entry data');
        entries.push({ term: t, index: (first + k) as LogIndex, type, data: copyBytes(payload, at, at + length) });
        at += length;
      }
      if (first < 1 || !Number.isSafeInteger(first + count)) throw new DecodeError(`entries from index ${first} out of range`, at);
      ops.push({ kind: 'entries', entries });
    } else if (kind === OP_TRUNCATE) {
      need(TRUNCATE_OP_BYTES, 'truncate');
      const index = readU64(view, at + 1);
      if (index < 1) throw new DecodeError('truncate at index 0', at);
      ops.push({ kind: 'truncate', index: index as LogIndex });
      at += TRUNCATE_OP_BYTES;
    } else if (kind === OP_INSTALL) {
      need(INSTALL_OP_BYTES, 'install');
      ops.push({ kind: 'install', index: readU64(view, at + 1) as LogIndex, term: readU64(view, at + 9) as Term });
      at += INSTALL_OP_BYTES;
    } else {
      throw new DecodeError(`unknown op kind ${kind}`, at);
    }
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------
// Snapshot files
// ---------------------------------------------------------------------------------------------

/**
 * encodeSnapshotFile: the snapshot file as [header + metadata JSON, data] (two buffers, so the
 * data is written without a copy). Header: magic, version u32, metadata length u32, data length
 * u64, crc32(metadata ++ data) u32, crc32(bytes 0..28) u32.
 */
export function encodeSnapshotFile(snapshot: Snapshot): [Uint8Array, Uint8Array] {
  const meta = new TextEncoder().encode(JSON.stringify(snapshot.metadata));
  assert(meta.length <= snapshotMetaBytesMax, `snapshot metadata of ${meta.length} bytes > ${snapshotMetaBytesMax}`);
  const head = new Uint8Array(snapshotHeaderBytes + meta.length);
  const view = viewOf(head);
  writeAscii(head, 0, snapshotMagic);
  view.setUint32(8, fileFormatVersion, true);
  view.setUint32(12, meta.length, true);
  writeU64(view, 16, snapshot.data.length);
  view.setUint32(24, crc32(snapshot.data, crc32(meta)), true);
  view.setUint32(28, crc32(head.subarray(0, 28)), true);
  head.set(meta, snapshotHeaderBytes);
  return [head, snapshot.data];
}

function isIdList(v: unknown): v is NodeId[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && (x as number) > 0);
}

function checkMetadata(v: unknown): SnapshotMetadata {
  const m = v as { index?: unknown; term?: unknown; conf?: unknown } | null;
  const ok =
    typeof m === 'object' && m !== null &&
    Number.isSafeInteger(m.index) && (m.index as number) >= 0 &&
    Number.isSafeInteger(m.term) && (m.term as number) >= 0 &&
    typeof m.conf === 'object' && m.conf !== null;
  if (!ok) throw new DecodeError('snapshot metadata lacks index, term or conf', snapshotHeaderBytes);
  const c = m.conf as Record<string, unknown>;
  const confOk =
    isIdList(c['voters']) && isIdList(c['learners']) &&
    (c['votersOutgoing'] === undefined || isIdList(c['votersOutgoing'])) &&
    (c['learnersNext'] === undefined || isIdList(c['learnersNext'])) &&
    (c['autoLeave'] === undefined || typeof c['autoLeave'] === 'boolean');
  if (!confOk) throw new DecodeError('snapshot metadata has a malformed conf', snapshotHeaderBytes);
  return { index: m.index as LogIndex, term: m.term as Term, conf: c as unknown as ConfState };
}

/** decodeSnapshotFile: the snapshot in a whole snapshot file; throws DecodeError (truncated, bad checksum, ...). */
export function decodeSnapshotFile(bytes: Uint8Array): Snapshot {
  if (bytes.length < snapshotHeaderBytes) throw new DecodeError(`file is ${bytes.length} bytes, shorter than the ${snapshotHeaderBytes}-byte header`, 0);
  if (!asciiEquals(bytes, 0, snapshotMagic)) throw new DecodeError('not a Geode snapshot file (bad magic)', 0);
  const view = viewOf(bytes);
  if (view.getUint32(28, true) !== crc32(bytes.subarray(0, 28))) throw new DecodeError('snapshot header checksum mismatch', 0);
  const version = view.getUint32(8, true);
  if (version !== fileFormatVersion) throw new DecodeError(`snapshot format version ${version}, expected ${fileFormatVersion}`, 8);
  const metaLength = view.getUint32(12, true);
  const dataLength = readU64(view, 16);
  if (metaLength > snapshotMetaBytesMax) throw new DecodeError(`snapshot metadata of ${metaLength} bytes > limit ${snapshotMetaBytesMax}`, 12);
  if (dataLength > snapshotDataBytesMax) throw new DecodeError(`snapshot data of ${dataLength} bytes > limit ${snapshotDataBytesMax}`, 16);
  const expected = snapshotHeaderBytes + metaLength + dataLength;
  if (bytes.length !== expected) {
    throw new DecodeError(`file is ${bytes.length} bytes, its header says ${expected} (truncated or extended)`, Math.min(bytes.length, expected));
  }
  const metaBytes = bytes.subarray(snapshotHeaderBytes, snapshotHeaderBytes + metaLength);
  const data = bytes.subarray(snapshotHeaderBytes + metaLength);
  if (view.getUint32(24, true) !== crc32(data, crc32(metaBytes))) throw new DecodeError('snapshot body checksum mismatch', snapshotHeaderBytes);
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(metaBytes));
  } catch {
    throw new DecodeError('snapshot metadata is not JSON', snapshotHeaderBytes);
  }
  return { metadata: checkMetadata(meta), data: copyBytes(data, 0, data.length) };
}
