/**
 * The member side of a cluster client's transactions, on a stub host (no network): what a member
 * holds for a client, for how long, within which limits, and what it refuses. The messages
 * round-trip through the codec; malformed ones are refused INPUT_INVALID without touching anything.
 * The same service over real libp2p connections: test/cluster/client-txn-in-process.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import type { CallHandler } from '../shard/host.ts';
import type { PeerId } from '../net/types.ts';
import { encodeParams } from '../shard/values.ts';
import type { QueryResult } from './database.ts';
import { decodeTxnSessionReply, decodeTxnSessionRequest, encodeTxnSessionReply, encodeTxnSessionRequest, TXN_SESSION_SERVICE, type TxnSessionRequest } from './remote-txn-codec.ts';
import { serveRemoteTransactions } from './remote-transaction.ts';
import type { GeodeTransaction, TransactionOptions, TransactionState } from './transaction.ts';

/** A transaction that records what was done to it. */
class FakeTx implements GeodeTransaction {
  readonly isolation = 'snapshot' as const;
  readonly readOnly = false;
  state: TransactionState = 'open';
  readonly statements: string[] = [];
  constructor(readonly options: TransactionOptions) {}
  query(text: string): Promise<QueryResult> {
    this.statements.push(text);
    return Promise.resolve({ columns: ['x'], rows: [{ x: 1n }], plan: undefined, writes: 1 });
  }
  commit(): Promise<void> {
    this.state = 'committed';
    return Promise.resolve();
  }
  rollback(): Promise<void> {
    if (this.state === 'open') this.state = 'rolledBack';
    return Promise.resolve();
  }
}

/** A call handler taking plain strings for peer ids. */
type Handler = (from: string, group: number, payload: Uint8Array) => Promise<Uint8Array>;

function stubHost(): { handler: () => Handler; down: (peer: string) => void; host: Parameters<typeof serveRemoteTransactions>[0] } {
  let handler: CallHandler | undefined;
  const listeners = new Set<(peer: PeerId) => void>();
  return {
    handler: () => {
      const served = handler!; // the handler as installed now (stop() uninstalls it; a stopped service still refuses)
      return (from, group, payload) => served(from as PeerId, group, payload);
    },
    down: (peer) => {
      for (const l of listeners) l(peer as PeerId);
    },
    host: {
      serveCalls: (service, h) => {
        expect(service).toBe(TXN_SESSION_SERVICE);
        handler = h;
      },
      onPeerDown: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    },
  };
}

async function call<O extends TxnSessionRequest['op']>(h: Handler, from: string, r: TxnSessionRequest & { op: O }) {
  return decodeTxnSessionReply(r.op, await h(from, 0, encodeTxnSessionRequest(r)), 'member') as ReturnType<typeof decodeTxnSessionReply<O>>;
}

const begin = { op: 'begin', isolation: 'serializable', readOnly: false, timeoutMs: 60_000 } as const;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('remote transaction messages', () => {
  it('round-trip every request and reply kind', () => {
    const requests: TxnSessionRequest[] = [
      begin,
      { op: 'query', txn: 'ab.1', text: 'MATCH (n {id: $id}) SET n.v = $v', params: { id: 7n, v: [1.5, 'x', null] }, timeoutMs: 250 },
      { op: 'query', txn: 'ab.1', text: 'RETURN 1', params: {}, timeoutMs: undefined },
      { op: 'commit', txn: 'ab.2' },
      { op: 'rollback', txn: 'ab.3' },
    ];
    for (const r of requests) expect(decodeTxnSessionRequest(encodeTxnSessionRequest(r))).toEqual(r);
    expect(decodeTxnSessionReply('begin', encodeTxnSessionReply('begin', { txn: 'z.9' }), 'm')).toEqual({ txn: 'z.9' });
    expect(decodeTxnSessionReply('query', encodeTxnSessionReply('query', { columns: ['a'], rows: [{ a: 2n }], writes: 3 }), 'm')).toEqual({ columns: ['a'], rows: [{ a: 2n }], writes: 3 });
    expect(decodeTxnSessionReply('commit', encodeTxnSessionReply('commit', {}), 'm')).toEqual({});
  });

  it('refuse malformed requests and replies with INPUT_INVALID', () => {
    const good = encodeTxnSessionRequest(begin);
    const head = (json: string, op = 1, tail: number[] = []): Uint8Array => {
      const h = new TextEncoder().encode(json);
      const out = new Uint8Array(6 + h.length + tail.length);
      out[0] = 1;
      out[1] = op;
      new DataView(out.buffer).setUint32(2, h.length);
      out.set(h, 6);
      out.set(tail, 6 + h.length);
      return out;
    };
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      good.slice(0, 4),
      Uint8Array.from([2, ...good.slice(1)]), // version
      Uint8Array.from([1, 9, ...good.slice(2)]), // op
      Uint8Array.from([1, 1, 0xff, 0xff, 0xff, 0xff]), // header length past the end
      head('{"isolation":"snapshot","readOnly":false,"timeoutMs":1', 1), // not JSON
      head('[1]'),
      head('{"isolation":"read committed","readOnly":false,"timeoutMs":1}'),
      head('{"isolation":"snapshot","readOnly":"no","timeoutMs":1}'),
      head('{"isolation":"snapshot","readOnly":false,"timeoutMs":-1}'),
      head('{"isolation":"snapshot","readOnly":false,"timeoutMs":1e12}'),
      head('{"isolation":"snapshot","readOnly":false,"timeoutMs":1,"extra":1}'),
      head('{"isolation":"snapshot","readOnly":false,"timeoutMs":1}', 1, [1, 2]), // trailing bytes
      head('{"txn":"A B","text":"RETURN 1"}', 2, [...encodeParams({})]),
      head('{"txn":"a.1","text":5}', 2),
      head('{"txn":"a.1","text":"RETURN 1"}', 2, [1, 2, 3]), // params not the value codec
      head(`{"txn":"${'a'.repeat(65)}"}`, 3),
      head('{"txn":""}', 4),
    ];
    for (const b of bad) {
      let err: unknown;
      try {
        decodeTxnSessionRequest(b);
      } catch (e) {
        err = e;
      }
      expect(isGeodeError(err, 'INPUT_INVALID'), `${String(err)} for ${Array.from(b.slice(0, 12)).join(',')}`).toBe(true);
    }
    expect(() => decodeTxnSessionReply('begin', new TextEncoder().encode('{"txn":7}'), 'm')).toThrow(/bad remote transaction message/);
    expect(() => decodeTxnSessionReply('commit', new TextEncoder().encode('{"ok":1}'), 'm')).toThrow(/unknown field/);
    expect(() => decodeTxnSessionReply('query', Uint8Array.from([1, 2, 3]), 'm')).toThrow();
  });
});

describe('a member serving remote transactions', () => {
  it('runs statements in the transaction it began for the client, and keeps it for that client only', async () => {
    const s = stubHost();
    const opened: FakeTx[] = [];
    const server = serveRemoteTransactions(s.host, { begin: (o) => Promise.resolve(opened[opened.push(new FakeTx(o)) - 1]!) });
    const h = s.handler();
    const { txn } = await call(h, 'client-a', begin);
    expect(opened[0]!.options).toEqual({ isolation: 'serializable', readOnly: false, timeoutMs: 60_000 });
    const r = await call(h, 'client-a', { op: 'query', txn, text: 'CREATE ()', params: {}, timeoutMs: undefined });
    expect(r).toEqual({ columns: ['x'], rows: [{ x: 1n }], writes: 1 });
    // Another client cannot reach it.
    const other = await rejection(call(h, 'client-b', { op: 'query', txn, text: 'MATCH (n) DELETE n', params: {}, timeoutMs: undefined }));
    expect(isGeodeError(other, 'PROPOSAL_DROPPED') && other.detail === 'TxnAborted').toBe(true);
    await call(h, 'client-b', { op: 'commit', txn }).catch(() => {});
    expect(opened[0]!.state).toBe('open');
    expect(opened[0]!.statements).toEqual(['CREATE ()']);
    await call(h, 'client-a', { op: 'commit', txn });
    expect(opened[0]!.state).toBe('committed');
    expect(server.open()).toBe(0);
    // Ended: its id is unknown now (retryable abort: the client's retry starts a new one).
    const after = await rejection(call(h, 'client-a', { op: 'query', txn, text: 'RETURN 1', params: {}, timeoutMs: undefined }));
    expect(isGeodeError(after, 'PROPOSAL_DROPPED') && after.detail === 'TxnAborted').toBe(true);
    server.stop();
  });

  it('rolls back what a client held when its connection closes, and nothing of other clients', async () => {
    const s = stubHost();
    const opened: FakeTx[] = [];
    const server = serveRemoteTransactions(s.host, { begin: (o) => Promise.resolve(opened[opened.push(new FakeTx(o)) - 1]!) });
    const h = s.handler();
    await call(h, 'client-a', begin);
    await call(h, 'client-a', begin);
    await call(h, 'client-b', begin);
    expect(server.open('client-a' as PeerId)).toBe(2);
    s.down('client-a');
    expect(opened.map((t) => t.state)).toEqual(['rolledBack', 'rolledBack', 'open']);
    expect(server.open()).toBe(1);
    server.stop();
    expect(opened[2]!.state).toBe('rolledBack');
    const stopped = await rejection(h('client-b', 0, encodeTxnSessionRequest(begin)));
    expect(isGeodeError(stopped, 'CLOSED')).toBe(true);
  });

  it('rolls back a transaction whose client went silent past its time limit', async () => {
    const s = stubHost();
    const opened: FakeTx[] = [];
    const server = serveRemoteTransactions(s.host, { begin: (o) => Promise.resolve(opened[opened.push(new FakeTx(o)) - 1]!) });
    await call(s.handler(), 'client-a', { ...begin, timeoutMs: 20 });
    for (let i = 0; i < 400 && server.open() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.open()).toBe(0);
    expect(opened[0]!.state).toBe('rolledBack');
    server.stop();
  });

  it('refuses a begin past the per-connection and per-member limits, and counts a slot again once one ends', async () => {
    const s = stubHost();
    const server = serveRemoteTransactions(s.host, { begin: (o) => Promise.resolve(new FakeTx(o)), perConnectionMax: 2, perMemberMax: 3 });
    const h = s.handler();
    const a1 = await call(h, 'a', begin);
    await call(h, 'a', begin);
    const perConnection = await rejection(call(h, 'a', begin));
    expect(isGeodeError(perConnection, 'LIMIT_EXCEEDED') && perConnection.detail === 'TooManyRemoteTransactions').toBe(true);
    await call(h, 'b', begin);
    const perMember = await rejection(call(h, 'c', begin));
    expect(isGeodeError(perMember, 'LIMIT_EXCEEDED') && perMember.detail === 'TooManyRemoteTransactions').toBe(true);
    await call(h, 'a', { op: 'rollback', txn: a1.txn });
    await call(h, 'c', begin);
    expect(server.open()).toBe(3);
    server.stop();
  });

  it('answers a malformed request with INPUT_INVALID and goes on serving', async () => {
    const s = stubHost();
    const server = serveRemoteTransactions(s.host, { begin: (o) => Promise.resolve(new FakeTx(o)) });
    const h = s.handler();
    const err = await rejection(h('a', 0, Uint8Array.from([1, 1, 0, 0, 0, 2, 0x7b, 0x7d])));
    expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
    const wrongGroup = await rejection(h('a', 3, encodeTxnSessionRequest(begin)));
    expect(isGeodeError(wrongGroup, 'INPUT_INVALID')).toBe(true);
    expect(server.open()).toBe(0);
    await call(h, 'a', begin);
    expect(server.open()).toBe(1);
    server.stop();
  });
});
