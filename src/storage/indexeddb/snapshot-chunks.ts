/**
 * Splitting snapshot data into chunks for `snapshotChunks`, and putting it back together with
 * every check a damaged database needs: each chunk present, under the expected key, of the
 * expected length.
 */
import { assert } from '../../util/assert.ts';
import { GeodeError } from '../../util/errors.ts';
import { snapshotChunksStoreName } from './constants.ts';
import { recordPlace, type ChunkKey, type SnapshotMetaRecord } from './records.ts';

/**
 * splitSnapshot: `data` cut in pieces of `chunkBytes` (the last may be shorter; none for empty
 * data). Each piece is a copy, not a view: structured clone would store a view's whole buffer.
 */
export function splitSnapshot(data: Uint8Array, chunkBytes: number): Uint8Array[] {
  assert(Number.isSafeInteger(chunkBytes) && chunkBytes > 0, `chunkBytes ${chunkBytes} must be a positive integer`);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += chunkBytes) {
    chunks.push(data.slice(at, Math.min(at + chunkBytes, data.length)));
  }
  assert(chunks.length === Math.ceil(data.length / chunkBytes), `split ${data.length} bytes into ${chunks.length} chunks`);
  return chunks;
}

function chunkError(dbName: string, key: unknown, what: string): GeodeError {
  return new GeodeError('INPUT_INVALID', `${recordPlace(dbName, snapshotChunksStoreName, key)}: ${what}`, { source: dbName });
}

function sameKey(key: IDBValidKey | undefined, index: number, no: number): boolean {
  return Array.isArray(key) && key.length === 2 && key[0] === index && key[1] === no;
}

/**
 * joinSnapshot: the snapshot data from the chunks read under keys [meta.index, 0..] (in key order,
 * `keys[i]` the key of `values[i]`). A missing chunk, an extra one, a chunk that is not a
 * Uint8Array or has the wrong length is INPUT_INVALID naming the database and the key.
 */
export function joinSnapshot(
  dbName: string,
  meta: SnapshotMetaRecord,
  keys: readonly IDBValidKey[],
  values: readonly unknown[],
): Uint8Array {
  assert(keys.length === values.length, `${keys.length} chunk keys but ${values.length} values`);
  const out = new Uint8Array(meta.byteLength);
  let at = 0;
  for (let no = 0; no < meta.chunkCount; no++) {
    const expected: ChunkKey = [meta.index, no];
    if (!sameKey(keys[no], meta.index, no)) {
      throw chunkError(dbName, expected, `snapshot chunk missing (snapshot at index ${meta.index} has ${meta.chunkCount} chunks, ${keys.length} found)`);
    }
    const chunk = values[no];
    if (!(chunk instanceof Uint8Array)) throw chunkError(dbName, expected, 'snapshot chunk is not a Uint8Array');
    const want = Math.min(meta.chunkBytes, meta.byteLength - at);
    if (chunk.length !== want) {
      throw chunkError(dbName, expected, `snapshot chunk is ${chunk.length} bytes, expected ${want} (snapshot of ${meta.byteLength} bytes)`);
    }
    out.set(chunk, at);
    at += chunk.length;
  }
  if (keys.length > meta.chunkCount) {
    throw chunkError(dbName, keys[meta.chunkCount], `unexpected snapshot chunk past the ${meta.chunkCount} of the snapshot at index ${meta.index}`);
  }
  assert(at === meta.byteLength, `reassembled ${at} of ${meta.byteLength} snapshot bytes`);
  return out;
}
