/**
 * Version stamps of shard log entries: the commit timestamp of a group's versions.
 *
 * A group's graph moves one log entry at a time; each entry that carries graph commands is one
 * version of the group (MVCC, src/shard/mvcc-history.ts). When the host has a version clock (a
 * hybrid logical clock, injected by the layer that owns it: src/txn/hlc.ts), the leader stamps
 * every entry it proposes with the clock's next timestamp, and every replica tells its clock the
 * stamps of the entries it appends. So within a group's log, stamps grow with the index:
 *
 * - a leader stamps in proposal order from a clock that never goes back;
 * - a new leader has every committed entry in its log (Raft's leader completeness) and its clock
 *   was told their stamps when it appended them, so its first stamp is above all of them.
 *
 * Hence "the group as of timestamp `T`" is a log prefix: every entry stamped at or below `T`,
 * which is what a read at a snapshot timestamp sees (src/shard/host.ts `snapshotIndexAt`).
 *
 * Format of a stamped entry's data: byte {@link STAMPED_ENTRY_FORMAT}, the wall ms as a float64
 * (big-endian, a safe integer), the logical counter as a uint32, then the command batch exactly as
 * `encodeCommands` makes it. Data whose first byte is the command batch's own format byte is an
 * unstamped entry (written by a host without a version clock, or before stamps existed): it reads
 * as it always did, with no stamp.
 *
 * Pure: no clock, no I/O.
 */
import { COMMANDS_FORMAT_VERSION, COMMANDS_FORMAT_VERSION_STAMPS, decodeCommands, type GraphCommand } from '../graph/index.ts';
import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';

/** A version stamp: a hybrid timestamp (wall ms, logical counter), ordered wall first. */
export interface VersionStamp {
  readonly wall: number;
  readonly logical: number;
}

/**
 * VersionClock: what a host stamps entries with. `now()` returns a stamp above every stamp it
 * returned or was told of; `witness(t)` tells it of a stamp seen in the log (never refused: the
 * log is what the group agreed on). The transaction layer's hybrid clock is one.
 */
export interface VersionClock {
  now(): VersionStamp;
  witness(t: VersionStamp): void;
}

/** First byte of a stamped entry (distinct from the command batch's format byte). */
export const STAMPED_ENTRY_FORMAT = 0x53;
/** Bytes of a stamped entry before its command batch. */
export const STAMP_BYTES = 13;

assert((STAMPED_ENTRY_FORMAT as number) !== COMMANDS_FORMAT_VERSION, 'stamped entries must not look like command batches');
assert((STAMPED_ENTRY_FORMAT as number) !== COMMANDS_FORMAT_VERSION_STAMPS, 'stamped entries must not look like command batches of format 2');

/** compareStamps: negative, zero or positive as `a` is before, equal to or after `b`. */
export function compareStamps(a: VersionStamp, b: VersionStamp): number {
  return a.wall !== b.wall ? a.wall - b.wall : a.logical - b.logical;
}

/** stampEntry: `batch` (from `encodeCommands` / `concatCommandBatches`) stamped with `stamp`. */
export function stampEntry(stamp: VersionStamp, batch: Uint8Array): Uint8Array {
  const out = new Uint8Array(STAMP_BYTES + batch.length);
  out[0] = STAMPED_ENTRY_FORMAT;
  const view = new DataView(out.buffer, out.byteOffset, STAMP_BYTES);
  view.setFloat64(1, stamp.wall);
  view.setUint32(9, stamp.logical);
  out.set(batch, STAMP_BYTES);
  return out;
}

/** entryStamp: the stamp of entry data, undefined when it is unstamped (or empty). Throws INPUT_INVALID for a malformed stamp. */
export function entryStamp(data: Uint8Array, source: string): VersionStamp | undefined {
  if (data.length === 0 || data[0] !== STAMPED_ENTRY_FORMAT) return undefined;
  if (data.length < STAMP_BYTES + 2) throw new GeodeError('INPUT_INVALID', `${source}: a stamped entry of ${data.length} bytes is too short`, { source, detail: 'BadEntryStamp' });
  const view = new DataView(data.buffer, data.byteOffset, STAMP_BYTES);
  const wall = view.getFloat64(1);
  const logical = view.getUint32(9);
  if (!Number.isSafeInteger(wall) || wall < 0) throw new GeodeError('INPUT_INVALID', `${source}: an entry stamp's wall time ${wall} is not a non-negative integer`, { source, detail: 'BadEntryStamp' });
  return { wall, logical };
}

/** entryBatch: the command batch of entry data, stamped or not (a view, no copy). */
export function entryBatch(data: Uint8Array): Uint8Array {
  return data.length > 0 && data[0] === STAMPED_ENTRY_FORMAT ? data.subarray(STAMP_BYTES) : data;
}

/** decodeEntry: the stamp and graph commands of entry data. Throws INPUT_INVALID naming `source`. */
export function decodeEntry(data: Uint8Array, source: string): { readonly stamp: VersionStamp | undefined; readonly commands: GraphCommand[] } {
  const stamp = entryStamp(data, source);
  return { stamp, commands: decodeCommands(entryBatch(data), source) };
}
