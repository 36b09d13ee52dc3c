import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeConfChange, type Entry, type LogIndex, type Message, type NodeId, type Term } from '../raft/index.ts';
import { buildDuration, encodeCommands } from '../graph/index.ts';
import { GeodeNode, GeodePath, GeodeRelationship } from '../api/result.ts';
import type { PeerId } from '../net/types.ts';
import { isGeodeError } from '../util/errors.ts';
import { decodeFrame, encodeFrame, type FrameContext, type FrameItem, type GroupId } from './wire.ts';

const seed = Number(process.env['FC_SEED'] ?? 20260501);
const ctx: FrameContext = { peer: 'peerA' as PeerId, maxFrameBytes: 1 << 20, knownGroup: (id) => id === 0 || id === 7 };
const G = 0 as GroupId;
const n = (x: number): NodeId => x as NodeId;
const t = (x: number): Term => x as Term;
const i = (x: number): LogIndex => x as LogIndex;

function entry(index: number, term: number, data = new Uint8Array([1, 2, 3])): Entry {
  return { index: i(index), term: t(term), type: 'normal', data };
}

const everyMessage: Message[] = [
  { type: 'MsgProp', from: n(1), to: n(2), term: t(0), entries: [entry(0, 0)] },
  { type: 'MsgApp', from: n(1), to: n(2), term: t(5), index: i(10), logTerm: t(4), commit: i(9), entries: [entry(11, 5), entry(12, 5)] },
  { type: 'MsgApp', from: n(1), to: n(2), term: t(5), index: i(10), logTerm: t(4), commit: i(9), entries: [] },
  { type: 'MsgAppResp', from: n(2), to: n(1), term: t(5), index: i(12), reject: true, rejectHint: i(3), logTerm: t(2) },
  { type: 'MsgVote', from: n(3), to: n(1), term: t(6), index: i(12), logTerm: t(5), transfer: false },
  { type: 'MsgPreVote', from: n(3), to: n(1), term: t(7), index: i(12), logTerm: t(5), transfer: true },
  { type: 'MsgVoteResp', from: n(1), to: n(3), term: t(6), reject: false },
  { type: 'MsgPreVoteResp', from: n(1), to: n(3), term: t(7), reject: true },
  { type: 'MsgHeartbeat', from: n(1), to: n(2), term: t(5), commit: i(9), context: 'ctx-1' },
  { type: 'MsgHeartbeatResp', from: n(2), to: n(1), term: t(5), context: 'ctx-1' },
  {
    type: 'MsgSnap',
    from: n(1),
    to: n(2),
    term: t(5),
    snapshot: { metadata: { index: i(100), term: t(4), conf: { voters: [n(1), n(2)], learners: [n(3)], votersOutgoing: [n(1)], autoLeave: true } }, data: new Uint8Array(300) },
  },
  { type: 'MsgReadIndex', from: n(2), to: n(1), term: t(0), context: 'r1' },
  { type: 'MsgReadIndexResp', from: n(1), to: n(2), term: t(5), index: i(40), context: 'r1' },
  { type: 'MsgTimeoutNow', from: n(1), to: n(2), term: t(5) },
  { type: 'MsgTransferLeader', from: n(2), to: n(1), term: t(5), transferee: n(2) },
];

const confEntry: Entry = {
  index: i(13),
  term: t(5),
  type: 'confChange',
  data: encodeConfChange({ changes: [{ type: 'addLearner', nodeId: n(9) }], context: 'peerZ' }),
};

const node = new GeodeNode(3, ['A', 'B'], { name: 'x', n: 1n, f: 0.5, nested: { l: [1n, null] } });
const rel = new GeodeRelationship(4, 'R', 3, 5, { w: -0 });
const end = new GeodeNode(5, [], {});
const everyItem: FrameItem[] = [
  { kind: 'raft', group: G, messages: everyMessage },
  { kind: 'raft', group: 7 as GroupId, messages: [{ ...(everyMessage[1] as Extract<Message, { type: 'MsgApp' }>), entries: [entry(11, 5), entry(12, 5), { ...confEntry, index: i(13) }] }] },
  { kind: 'query', group: G, requestId: 42, text: 'CREATE (:N {k: $k})', params: { k: 1n, f: 2.5, l: ['a', null], m: Object.assign(Object.create(null), { d: buildDuration({ days: 2 }) }) } },
  { kind: 'result', group: G, requestId: 42, result: { columns: ['n', 'r', 'p', 'x'], rows: [{ n: node, r: rel, p: new GeodePath([node, end], [rel]), x: [1n, 'two', { three: 3 }] }], writes: 2 } },
  { kind: 'error', group: G, requestId: 43, code: 'PROPOSAL_DROPPED', message: 'the leader changed', detail: 'LeaderChanged' },
  { kind: 'leader', group: G, leader: 'peerB' as PeerId, term: 9 },
  { kind: 'leader', group: G, leader: undefined, term: 10 },
  { kind: 'apply', group: 7 as GroupId, requestId: 44, commands: encodeCommands([{ op: 'createNode', id: 9, labels: ['A'], props: [['k', 1n]] }]) },
  { kind: 'call', group: 7 as GroupId, requestId: 45, service: 'txn', payload: new TextEncoder().encode('{"op":"timestamp"}') },
  { kind: 'reply', group: 7 as GroupId, requestId: 45, payload: new Uint8Array([1, 2, 3]) },
];

function rejected(bytes: Uint8Array): boolean {
  try {
    decodeFrame(bytes, ctx);
    return false;
  } catch (err) {
    if (!isGeodeError(err, 'INPUT_INVALID')) throw err; // anything else is a crash
    expect(err.message).toContain('peerA');
    return true;
  }
}

describe('the shard wire codec', () => {
  it('decodes what it encodes, for every message type and item kind', () => {
    const frame = encodeFrame(everyItem);
    const back = decodeFrame(frame, ctx);
    expect(back).toEqual(everyItem);
    const result = back[3] as Extract<FrameItem, { kind: 'result' }>;
    const row = result.result.rows[0]!;
    expect(row['n']).toBeInstanceOf(GeodeNode);
    expect(row['r']).toBeInstanceOf(GeodeRelationship);
    expect(row['p']).toBeInstanceOf(GeodePath);
    expect(Object.is((row['r'] as GeodeRelationship).properties['w'], -0)).toBe(true);
  });

  it('refuses items of unknown groups, bad versions and broken invariants, naming the peer', () => {
    const bad: FrameItem[][] = [
      [{ kind: 'raft', group: 5 as GroupId, messages: [everyMessage[0]!] }],
      // MsgApp entries that do not follow on from its index.
      [{ kind: 'raft', group: G, messages: [{ ...(everyMessage[1] as Extract<Message, { type: 'MsgApp' }>), entries: [entry(11, 5), entry(13, 5)] }] }],
      // Entry of a later term than the message.
      [{ kind: 'raft', group: G, messages: [{ ...(everyMessage[1] as Extract<Message, { type: 'MsgApp' }>), entries: [entry(11, 6)] }] }],
      // A conf change entry that does not decode.
      [{ kind: 'raft', group: G, messages: [{ ...(everyMessage[1] as Extract<Message, { type: 'MsgApp' }>), entries: [{ ...confEntry, index: i(11), data: new Uint8Array([1]) }] }] }],
      // Node id 0.
      [{ kind: 'raft', group: G, messages: [{ ...(everyMessage[13] as Message), from: n(0) }] }],
    ];
    for (const items of bad) expect(rejected(encodeFrame(items))).toBe(true);
    // A leader hint whose peer id is too long.
    expect(rejected(encodeFrame([{ kind: 'leader', group: G, leader: 'p'.repeat(200) as PeerId, term: 1 }]))).toBe(true);
    expect(rejected(encodeFrame([{ kind: 'apply', group: G, requestId: 1, commands: Uint8Array.of(1, 2, 3) }]))).toBe(true);
    // A call whose service name is too long, or to a group this host does not know.
    expect(rejected(encodeFrame([{ kind: 'call', group: G, requestId: 1, service: 's'.repeat(33), payload: Uint8Array.of(1) }]))).toBe(true);
    expect(rejected(encodeFrame([{ kind: 'call', group: 5 as GroupId, requestId: 1, service: 'txn', payload: Uint8Array.of(1) }]))).toBe(true);
  });

  it('never crashes on random bytes: every one is decoded or refused with INPUT_INVALID', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          decodeFrame(bytes, ctx);
        } catch (err) {
          if (!isGeodeError(err, 'INPUT_INVALID')) throw err;
        }
      }),
      { numRuns: 2_000, seed },
    );
  });

  it('never crashes on mutated valid frames (flipped, cut, spliced bytes)', () => {
    const valid = encodeFrame(everyItem);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat({ max: valid.length }), { nil: undefined }),
        (flips, cut) => {
          const bytes = valid.slice(0, cut ?? valid.length);
          for (const [at, v] of flips) if (at < bytes.length) bytes[at] = v;
          try {
            const items = decodeFrame(bytes, ctx);
            // Whatever decodes is well-formed: it encodes again.
            encodeFrame(items);
          } catch (err) {
            if (!isGeodeError(err, 'INPUT_INVALID')) throw err;
          }
        },
      ),
      { numRuns: 3_000, seed },
    );
  });

  it('refuses a frame over the size limit before decoding it', () => {
    const big = encodeFrame([{ kind: 'raft', group: G, messages: [{ ...(everyMessage[10] as Extract<Message, { type: 'MsgSnap' }>), snapshot: { ...(everyMessage[10] as Extract<Message, { type: 'MsgSnap' }>).snapshot, data: new Uint8Array(2 << 20) } }] }]);
    expect(rejected(big)).toBe(true);
  });
});
