import { describe, expect, it } from 'vitest';
import type { TxnRequest } from './participant.ts';
import { decodeTxnReply, decodeTxnRequest, encodeTxnReply, encodeTxnRequest } from './txn-codec.ts';

const enc = (x: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(x));

describe('transaction messages between processes', () => {
  it('every request kind decodes to what was encoded, a prepare with its raw commands', () => {
    const requests: TxnRequest[] = [
      {
        op: 'prepare',
        req: {
          txn: 'p/1/x',
          record: 0,
          start: undefined,
          timeoutMs: 5_000,
          isolation: 'snapshot',
          kv: [['k', [1, 'a', null, true]]],
          reads: ['k'],
          commands: [{ op: 'createEdge', id: 7001, type: 'KNOWS', src: 11, dst: 42, props: [['since', 2020n]] }],
          participants: [1, 2],
          deadline: 1_700_000_000_000,
        },
      },
      {
        op: 'prepare',
        req: { txn: 'g/2/y', record: 0, start: undefined, timeoutMs: 5_000, isolation: 'serializable', kv: [], reads: [], commands: [], participants: [1, 2], deadline: 9, expect: 41 },
      },
      { op: 'apply', commands: [{ op: 'setNodeProperty', id: 5, key: 'balance', value: 90n }], expect: 17 },
      { op: 'resolve', txn: 't', decision: { decision: 'committed', ts: { wall: 5, logical: 1 } } },
      { op: 'timestamp' },
      { op: 'decide', txn: 't', want: 'abort', participants: [1, 3], deadline: 9 },
      { op: 'forget', txn: 't' },
      { op: 'read', keys: ['a', 'b'], ts: { wall: 1, logical: 0 } },
      { op: 'record', txn: 't' },
      { op: 'intents' },
      { op: 'records' },
      { op: 'holds', txn: 't' },
    ];
    for (const r of requests) expect(decodeTxnRequest(encodeTxnRequest(r))).toEqual(r);
  });

  it('refuses malformed requests with INPUT_INVALID before anything runs', () => {
    const bad = [
      new Uint8Array([0xff, 0xfe]),
      enc([1, 2]),
      enc({ op: 'drop-everything' }),
      enc({ op: 'decide', txn: 't', want: 'maybe', participants: [1], deadline: 1 }),
      enc({ op: 'decide', txn: 't', want: 'commit', participants: [-1], deadline: 1 }),
      enc({ op: 'read', keys: ['a'], ts: { wall: 1.5, logical: 0 } }),
      enc({ op: 'forget', txn: 'x'.repeat(5_000) }),
      enc({ op: 'prepare', req: { txn: 't', record: 0, start: null, timeoutMs: 1, isolation: 'snapshot', kv: [], reads: [], commands: 'not base64 commands!', participants: [1], deadline: 1 } }),
      enc({ op: 'resolve', txn: 't', decision: { decision: 'committed' } }),
      enc({ op: 'apply', commands: '', expect: -1 }),
      enc({ op: 'apply', commands: 'not base64 commands!', expect: 1 }),
    ];
    for (const b of bad) expect(() => decodeTxnRequest(b)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
  });

  it('replies round trip per kind and a reply of the wrong shape is refused', () => {
    expect(decodeTxnReply('prepare', encodeTxnReply('prepared'))).toBe('prepared');
    expect(decodeTxnReply('apply', encodeTxnReply('applied'))).toBe('applied');
    expect(() => decodeTxnReply('apply', encodeTxnReply('prepared'))).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
    expect(decodeTxnReply('record', encodeTxnReply(undefined))).toBeUndefined();
    const rec = { txn: 't', decision: { decision: 'aborted' }, participants: [1, 2], at: 3 };
    expect(decodeTxnReply('records', encodeTxnReply([rec]))).toEqual([rec]);
    expect(decodeTxnReply('decide', encodeTxnReply({ decision: 'committed', ts: { wall: 2, logical: 0 } }))).toEqual({ decision: 'committed', ts: { wall: 2, logical: 0 } });
    expect(() => decodeTxnReply('prepare', encodeTxnReply('ok'))).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
    expect(() => decodeTxnReply('holds', encodeTxnReply(1))).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
    expect(() => decodeTxnReply('timestamp', encodeTxnReply({ wall: 'x', logical: 0 }))).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
  });
});
