/**
 * Stamped log entries: the stamp and the commands come back as written; data without a stamp (an
 * older entry, or a host without a version clock) reads as before; a malformed stamp is refused
 * with INPUT_INVALID naming where it came from.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCommands, type GraphCommand } from '../graph/index.ts';
import { compareStamps, decodeEntry, entryBatch, entryStamp, stampEntry, STAMP_BYTES } from './entry-stamp.ts';

const commands: GraphCommand[] = [{ op: 'createNode', id: 7, labels: ['A'], props: [['k', 3n]] }];

describe('entry stamps', () => {
  it('a stamped entry gives back its stamp and its commands', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 0xffff_ffff }), (wall, logical) => {
        const data = stampEntry({ wall, logical }, encodeCommands(commands));
        expect(decodeEntry(data, 'test')).toEqual({ stamp: { wall, logical }, commands });
      }),
    );
  });

  it('an unstamped entry reads as it always did, with no stamp', () => {
    const data = encodeCommands(commands);
    expect(decodeEntry(data, 'test')).toEqual({ stamp: undefined, commands });
    expect(entryBatch(data)).toBe(data);
    expect(entryStamp(new Uint8Array(0), 'test')).toBeUndefined();
  });

  it('a malformed stamp is refused with INPUT_INVALID naming the source', () => {
    const data = stampEntry({ wall: 1, logical: 0 }, encodeCommands(commands));
    expect(() => entryStamp(data.subarray(0, STAMP_BYTES), 'entry 9')).toThrow(expect.objectContaining({ code: 'INPUT_INVALID', detail: 'BadEntryStamp', message: expect.stringContaining('entry 9') }));
    const bad = data.slice();
    new DataView(bad.buffer).setFloat64(1, 1.5);
    expect(() => entryStamp(bad, 'entry 9')).toThrow(expect.objectContaining({ code: 'INPUT_INVALID', detail: 'BadEntryStamp' }));
  });

  it('stamps order by wall time, then by the logical counter', () => {
    expect(compareStamps({ wall: 1, logical: 9 }, { wall: 2, logical: 0 })).toBeLessThan(0);
    expect(compareStamps({ wall: 2, logical: 1 }, { wall: 2, logical: 0 })).toBeGreaterThan(0);
    expect(compareStamps({ wall: 2, logical: 1 }, { wall: 2, logical: 1 })).toBe(0);
  });
});
