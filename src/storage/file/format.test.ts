import { describe, expect, it } from 'vitest';
import { frameHeaderBytes, segmentHeaderBytes } from './constants.ts';
import {
  DecodeError,
  decodeRecordHeader,
  decodeRecordPayload,
  decodeSegmentHeader,
  decodeSnapshotFile,
  encodeSnapshotFile,
  RecordEncoder,
  type WalOp,
} from './format.ts';
import { entries, entry, hardState, snapshot } from './test-helpers.ts';

/** decodeAll: the ops of every record in `bytes` (after a segment header when `withHeader`). */
function decodeAll(bytes: Uint8Array, withHeader: boolean): { ops: WalOp[]; records: number } {
  let at = withHeader ? segmentHeaderBytes : 0;
  const ops: WalOp[] = [];
  let records = 0;
  while (at < bytes.length) {
    const h = decodeRecordHeader(bytes, at)!;
    ops.push(...decodeRecordPayload(bytes.subarray(at + frameHeaderBytes, at + frameHeaderBytes + h.payloadLength)));
    at += frameHeaderBytes + h.payloadLength;
    records++;
  }
  return { ops, records };
}

describe('file store record format', () => {
  it('decodes every op the encoder writes, with indexes and terms up to 2^53 - 1', () => {
    const enc = new RecordEncoder(1 << 20, 1 << 20);
    const big = Number.MAX_SAFE_INTEGER;
    enc.segmentHeader({ seq: 7, startIndex: big });
    enc.beginRecord();
    enc.hardState(hardState(big, 3, big - 1));
    enc.truncate(5);
    enc.install(big - 10, 2 ** 40);
    enc.entries([entry(5, 9, 0), { ...entry(6, 9, 3), type: 'confChange' }]);
    enc.endRecord();
    const bytes = enc.bytes();
    expect(decodeSegmentHeader(bytes)).toEqual({ seq: 7, startIndex: big });
    expect(decodeAll(bytes, true).ops).toEqual([
      { kind: 'hardState', hardState: hardState(big, 3, big - 1) },
      { kind: 'truncate', index: 5 },
      { kind: 'install', index: big - 10, term: 2 ** 40 },
      { kind: 'entries', entries: [entry(5, 9, 0), { ...entry(6, 9, 3), type: 'confChange' }] },
    ]);
  });

  it('splits entries over records no bigger than the record limit, keeping their order', () => {
    const enc = new RecordEncoder(300, 1 << 20);
    enc.beginRecord();
    enc.entries(entries(1, 40, 2, 50));
    enc.hardState(hardState(2, 1, 40));
    enc.endRecord();
    const { ops, records } = decodeAll(enc.bytes(), false);
    expect(records).toBeGreaterThan(5);
    const decoded = ops.flatMap((op) => (op.kind === 'entries' ? op.entries : []));
    expect(decoded).toEqual(entries(1, 40, 2, 50));
    expect(ops[ops.length - 1]).toEqual({ kind: 'hardState', hardState: hardState(2, 1, 40) });
  });

  it('refuses a record header whose own checksum does not match', () => {
    const enc = new RecordEncoder(1024, 1024);
    enc.beginRecord();
    enc.truncate(3);
    enc.endRecord();
    const bytes = enc.bytes().slice();
    expect(decodeRecordHeader(bytes, 0)).toBeDefined();
    bytes[1] = bytes[1]! ^ 1;
    expect(decodeRecordHeader(bytes, 0)).toBeUndefined();
  });

  it('refuses payloads that do not parse: unknown op, cut entry, integer past 2^53', () => {
    expect(() => decodeRecordPayload(new Uint8Array([9]))).toThrow(DecodeError);
    const enc = new RecordEncoder(1024, 1024);
    enc.beginRecord();
    enc.entries([entry(1, 1, 20)]);
    enc.endRecord();
    const payload = enc.bytes().subarray(frameHeaderBytes);
    expect(() => decodeRecordPayload(payload.subarray(0, payload.length - 1))).toThrow(/runs past the end/);
    const bad = payload.slice();
    bad[1 + 8 + 4 + 7] = 0xff; // high byte of the entry's term
    expect(() => decodeRecordPayload(bad)).toThrow(/not a safe integer/);
  });

  it('round-trips a snapshot file and refuses one cut short or extended', () => {
    const snap = snapshot(12, 3, 500);
    const [head, data] = encodeSnapshotFile(snap);
    const file = new Uint8Array(head.length + data.length);
    file.set(head);
    file.set(data, head.length);
    expect(decodeSnapshotFile(file)).toEqual(snap);
    expect(() => decodeSnapshotFile(file.subarray(0, file.length - 1))).toThrow(/truncated or extended/);
    const longer = new Uint8Array(file.length + 1);
    longer.set(file);
    expect(() => decodeSnapshotFile(longer)).toThrow(/truncated or extended/);
  });
});
