/**
 * Snapshot chunking: a split snapshot joins back to the same bytes, and every way a stored
 * snapshot can be damaged is INPUT_INVALID naming the database, the object store and the key.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConfState, NodeId } from '../../raft/index.ts';
import { isGeodeError } from '../../util/errors.ts';
import { decodeSnapshotMeta, type SnapshotMetaRecord } from './records.ts';
import { joinSnapshot, splitSnapshot } from './snapshot-chunks.ts';

const conf: ConfState = { voters: [1 as NodeId], learners: [] };

function meta(index: number, byteLength: number, chunkBytes: number): SnapshotMetaRecord {
  return { index, term: 1, conf, byteLength, chunkCount: Math.ceil(byteLength / chunkBytes), chunkBytes };
}

function keysOf(index: number, n: number): [number, number][] {
  return Array.from({ length: n }, (_, i): [number, number] => [index, i]);
}

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('snapshot chunks', () => {
  it('joins the chunks of any split back into the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (data, chunkBytes) => {
        const parts = splitSnapshot(data, chunkBytes);
        expect(parts.every((p) => p.length <= chunkBytes && p.buffer.byteLength === p.length)).toBe(true);
        const joined = joinSnapshot('db', meta(7, data.length, chunkBytes), keysOf(7, parts.length), parts);
        expect(Array.from(joined)).toEqual(Array.from(data));
      }),
    );
  });

  it('reports a missing chunk as INPUT_INVALID naming the database, object store and key', () => {
    const parts = splitSnapshot(new Uint8Array(25), 10);
    const err = errorOf(() => joinSnapshot('peer-x', meta(4, 25, 10), [[4, 0], [4, 2]], [parts[0], parts[2]]));
    expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain("IndexedDB database 'peer-x', object store 'snapshotChunks', key [4,1]: snapshot chunk missing");
  });

  it('reports a chunk of the wrong length, a chunk that is not bytes, and an extra chunk', () => {
    const m = meta(4, 25, 10);
    const short = errorOf(() => joinSnapshot('db', m, keysOf(4, 3), [new Uint8Array(10), new Uint8Array(9), new Uint8Array(5)]));
    expect((short as Error).message).toContain('key [4,1]: snapshot chunk is 9 bytes, expected 10');
    const notBytes = errorOf(() => joinSnapshot('db', m, keysOf(4, 3), [new Uint8Array(10), 'x', new Uint8Array(5)]));
    expect((notBytes as Error).message).toContain('key [4,1]: snapshot chunk is not a Uint8Array');
    const extra = errorOf(() => joinSnapshot('db', m, keysOf(4, 4), [new Uint8Array(10), new Uint8Array(10), new Uint8Array(5), new Uint8Array(1)]));
    expect((extra as Error).message).toContain('key [4,3]: unexpected snapshot chunk');
    for (const e of [short, notBytes, extra]) expect(isGeodeError(e, 'INPUT_INVALID')).toBe(true);
  });

  it('refuses snapshot metadata whose chunk count does not fit its length', () => {
    const err = errorOf(() => decodeSnapshotMeta('db', 'snapshot', { ...meta(4, 25, 10), chunkCount: 2 }));
    expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain("object store 'meta', key \"snapshot\": snapshot of 25 bytes in chunks of 10 cannot have 2 chunks");
  });
});
