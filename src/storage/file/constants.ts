/**
 * Limits and names of the file log store's on-disk format. Every size that comes from a file is
 * checked against one of these before it is trusted (a corrupt length must not allocate 4 GiB).
 */
import { assert } from '../../util/assert.ts';

const MiB = 1024 * 1024;

/** Version written in every file header; a file with another version is refused. */
export const fileFormatVersion = 1;
/** Magic at the start of every WAL segment (8 ASCII bytes). */
export const walMagic = 'GEODEWAL';
/** Magic at the start of every snapshot file (8 ASCII bytes). */
export const snapshotMagic = 'GEODSNAP';

/** Bytes of a segment header: magic, version, sequence number, start index, header CRC. */
export const segmentHeaderBytes = 32;
/** Bytes of a record (frame) header: payload length, payload CRC, header CRC. */
export const frameHeaderBytes = 12;
/** Bytes of a snapshot file header: magic, version, metadata length, data length, body CRC, header CRC. */
export const snapshotHeaderBytes = 32;

/** Default size past which the store rolls to a new segment (checked before each flush). */
export const segmentBytesDefault = 64 * MiB;
/** Smallest accepted `segmentBytes` option (tests use small segments to exercise rolling). */
export const segmentBytesMin = 64;
/** Largest record payload, written or read. A batch bigger than this is split across records. */
export const recordBytesMax = 64 * MiB;
/** Smallest accepted `recordBytes` option (tests use small records to exercise splitting). */
export const recordBytesMin = 256;
/** Bytes a record spends around one entry's data besides the data: ENTRIES op header + entry header. */
export const entryOverheadBytes = 13 + 13;
/** Largest metadata (JSON) of a snapshot file. */
export const snapshotMetaBytesMax = 1 * MiB;
/** Largest snapshot data, written or read (it is held in memory whole, as `Snapshot.data` is). */
export const snapshotDataBytesMax = 1024 * MiB;
/** Buffer kept between flushes by the record encoder; a bigger one is dropped after its flush. */
export const encoderKeepBytesMax = 1 * MiB;

/** Name of the lock file holding the owner's pid and host name. */
export const lockFileName = 'LOCK';
/** Largest lock file read (it holds a pid and a host name). */
export const lockFileBytesMax = 4096;
/** Suffix of files being written before an atomic rename; leftovers are removed when opening. */
export const tmpSuffix = '.tmp';

// A record length travels in a u32; a segment header must hold a record header's worth of room.
assert(recordBytesMax < 2 ** 32, `recordBytesMax ${recordBytesMax} must fit in a u32`);
assert(recordBytesMin > entryOverheadBytes + 25, `recordBytesMin ${recordBytesMin} must hold an entry and a hard state`);
assert(snapshotMetaBytesMax < 2 ** 32, `snapshotMetaBytesMax ${snapshotMetaBytesMax} must fit in a u32`);
assert(snapshotDataBytesMax <= Number.MAX_SAFE_INTEGER, 'snapshotDataBytesMax must be a safe integer');
