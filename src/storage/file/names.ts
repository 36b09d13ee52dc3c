/**
 * File names in a data directory: `wal-<seq>.log` segments and `snapshot-<index>.snap` snapshots,
 * numbers as 20 zero-padded decimal digits so names sort in numeric order.
 */
import { join } from 'node:path';
import { lockFileName, tmpSuffix } from './constants.ts';

const SEGMENT_NAME = /^wal-(\d{20})\.log$/;
const SNAPSHOT_NAME = /^snapshot-(\d{20})\.snap$/;

function pad20(n: number): string {
  return String(n).padStart(20, '0');
}

/** segmentName: `wal-<seq, 20 digits>.log`. */
export function segmentName(seq: number): string {
  return `wal-${pad20(seq)}.log`;
}

/** segmentPath: the path of segment `seq` in `dir`. */
export function segmentPath(dir: string, seq: number): string {
  return join(dir, segmentName(seq));
}

/** snapshotPath: `dir/snapshot-<index, 20 digits>.snap`. */
export function snapshotPath(dir: string, index: number): string {
  return join(dir, `snapshot-${pad20(index)}.snap`);
}

function parseNumber(name: string, pattern: RegExp): number | undefined {
  const m = pattern.exec(name);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** parseSegmentName: the sequence number of a segment file name, or undefined. */
export function parseSegmentName(name: string): number | undefined {
  return parseNumber(name, SEGMENT_NAME);
}

/** parseSnapshotName: the index of a snapshot file name, or undefined. */
export function parseSnapshotName(name: string): number | undefined {
  return parseNumber(name, SNAPSHOT_NAME);
}

/**
 * isStoreFileName: whether a file of a data directory belongs to the store (segments, snapshots,
 * the lock, temporary files of either), so tools can clear a data directory without touching
 * anything else a user put there.
 */
export function isStoreFileName(name: string): boolean {
  const base = name.endsWith(tmpSuffix) ? name.slice(0, -tmpSuffix.length) : name;
  return base === lockFileName || SEGMENT_NAME.test(base) || SNAPSHOT_NAME.test(base);
}
