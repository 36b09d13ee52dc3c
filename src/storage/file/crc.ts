/**
 * The record checksum: CRC-32 (IEEE 802.3, the zlib/gzip polynomial) from `node:zlib`, present
 * on Node 20.15+ and 22.2+. It is the only place the store computes checksums, so swapping in
 * CRC-32C (a package) means changing this file and bumping `fileFormatVersion`.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

/** crc32: the CRC-32 of `bytes`, continuing from `previous` (0 to start). */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return zlibCrc32(bytes, previous) >>> 0;
}
