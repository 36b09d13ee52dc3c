/**
 * The wire encoding of a cluster client's remote transactions (the `txn-session` service of the
 * shard wire's call items, docs/protocol.md, "Remote transactions"): requests from a client to
 * the member that runs its transaction, and the member's replies.
 *
 * A request is `[version, op, header length (u32, big-endian), header (UTF-8 JSON), params]`:
 * `op` 1 begin (header `{ isolation, readOnly, timeoutMs }`), 2 query (header `{ txn, text,
 * timeoutMs? }`, then the statement's parameters in the graph value codec, as a client's
 * statement carries them), 3 commit and 4 rollback (header `{ txn }`). A reply is, for begin, the
 * JSON `{ txn }`; for query, the statement's result in the shard wire's result encoding; for
 * commit and rollback, the JSON `{}`. Failures travel as the call's error item (code, message,
 * detail).
 *
 * Decoding validates EVERY field before anything is used and throws GeodeError INPUT_INVALID
 * (detail `BadTxnSessionMessage`) naming what is wrong: a payload is input from another peer.
 */
import type { TransactionIsolation } from '../gql/index.ts';
import type { Value } from '../graph/index.ts';
import { statementCharsMax } from '../shard/constants.ts';
import { decodeParams, decodeResult, encodeParams, encodeResult, type WireResult } from '../shard/values.ts';
import { GeodeError } from '../util/errors.ts';
import { TRANSACTION_TIMEOUT_MS_MAX } from './transaction.ts';

/** The service name of remote transaction calls on the shard wire. */
export const TXN_SESSION_SERVICE = 'txn-session';
/** Version byte of a request. */
export const TXN_SESSION_VERSION = 1;
/** Longest remote transaction id, characters. */
export const remoteTxnIdCharsMax = 64;

/** A request of a client to the member running (or to run) its transaction. */
export type TxnSessionRequest =
  /** `asOf`: wall ms of a read at a past timestamp (a READ ONLY transaction); members of code before 2026-12-06 refuse the key. */
  | { readonly op: 'begin'; readonly isolation: TransactionIsolation; readonly readOnly: boolean; readonly timeoutMs: number; readonly asOf?: number | undefined }
  | { readonly op: 'query'; readonly txn: string; readonly text: string; readonly params: Readonly<Record<string, Value>>; readonly timeoutMs: number | undefined }
  | { readonly op: 'commit'; readonly txn: string }
  | { readonly op: 'rollback'; readonly txn: string };

/** What each request is answered with. */
export interface TxnSessionReplies {
  readonly begin: { readonly txn: string };
  readonly query: WireResult;
  readonly commit: Record<string, never>;
  readonly rollback: Record<string, never>;
}

const OPS = ['begin', 'query', 'commit', 'rollback'] as const;
const HEADER_AT = 6;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const TXN_ID = /^[0-9a-z.-]+$/;

function bad(what: string, why: string): never {
  throw new GeodeError('INPUT_INVALID', `bad remote transaction message: ${what} ${why}`, { source: 'transaction', detail: 'BadTxnSessionMessage' });
}

function json(bytes: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(bytes));
  } catch {
    return bad(what, 'is not UTF-8 JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(what, 'must be an object');
  return v as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, keys: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(what, `has an unknown field ${JSON.stringify(k.slice(0, 40))}`);
}

function txnId(x: unknown, what: string): string {
  if (typeof x !== 'string' || x.length === 0 || x.length > remoteTxnIdCharsMax || !TXN_ID.test(x)) bad(what, `must be a transaction id (1..${remoteTxnIdCharsMax} of [0-9a-z.-])`);
  return x;
}

function timeout(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0 || x > TRANSACTION_TIMEOUT_MS_MAX) bad(what, `must be a number of ms in (0, ${TRANSACTION_TIMEOUT_MS_MAX}]`);
  return x;
}

/** encodeTxnSessionRequest: a request as bytes (params already engine values). */
export function encodeTxnSessionRequest(r: TxnSessionRequest): Uint8Array {
  let header: Record<string, unknown>;
  let params: Uint8Array | undefined;
  switch (r.op) {
    case 'begin':
      header = { isolation: r.isolation, readOnly: r.readOnly, timeoutMs: r.timeoutMs, ...(r.asOf === undefined ? {} : { asOf: r.asOf }) };
      break;
    case 'query':
      header = r.timeoutMs === undefined ? { txn: r.txn, text: r.text } : { txn: r.txn, text: r.text, timeoutMs: r.timeoutMs };
      params = encodeParams(r.params);
      break;
    case 'commit':
    case 'rollback':
      header = { txn: r.txn };
      break;
  }
  const head = encoder.encode(JSON.stringify(header));
  const out = new Uint8Array(HEADER_AT + head.length + (params?.length ?? 0));
  out[0] = TXN_SESSION_VERSION;
  out[1] = OPS.indexOf(r.op) + 1;
  new DataView(out.buffer).setUint32(2, head.length);
  out.set(head, HEADER_AT);
  if (params !== undefined) out.set(params, HEADER_AT + head.length);
  return out;
}

/** decodeTxnSessionRequest: the inverse of {@link encodeTxnSessionRequest}, every field checked; INPUT_INVALID otherwise. */
export function decodeTxnSessionRequest(bytes: Uint8Array): TxnSessionRequest {
  if (bytes.length < HEADER_AT) bad('request', `is ${bytes.length} bytes, shorter than its ${HEADER_AT}-byte head`);
  if (bytes[0] !== TXN_SESSION_VERSION) bad('request', `has version ${bytes[0]}, expected ${TXN_SESSION_VERSION}`);
  const op = OPS[bytes[1]! - 1];
  if (op === undefined) bad('request', `has op ${bytes[1]}, expected 1..${OPS.length}`);
  const headLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
  if (headLength > bytes.length - HEADER_AT) bad('request', `says its header has ${headLength} bytes, more than the ${bytes.length - HEADER_AT} that follow`);
  const h = json(bytes.subarray(HEADER_AT, HEADER_AT + headLength), `${op} header`);
  const rest = bytes.subarray(HEADER_AT + headLength);
  if (op !== 'query' && rest.length > 0) bad(`${op} request`, `has ${rest.length} bytes after its header`);
  switch (op) {
    case 'begin': {
      onlyKeys(h, ['isolation', 'readOnly', 'timeoutMs', 'asOf'], 'begin header');
      const isolation = h['isolation'];
      if (isolation !== 'snapshot' && isolation !== 'serializable') bad('begin isolation', "must be 'snapshot' or 'serializable'");
      if (typeof h['readOnly'] !== 'boolean') bad('begin readOnly', 'must be true or false');
      const asOf = h['asOf'];
      if (asOf !== undefined && (typeof asOf !== 'number' || !Number.isSafeInteger(asOf) || asOf < 0)) bad('begin asOf', 'must be a whole number of ms since 1970');
      return { op, isolation, readOnly: h['readOnly'], timeoutMs: timeout(h['timeoutMs'], 'begin timeoutMs'), ...(asOf === undefined ? {} : { asOf: asOf as number }) };
    }
    case 'query': {
      onlyKeys(h, ['txn', 'text', 'timeoutMs'], 'query header');
      const text = h['text'];
      if (typeof text !== 'string' || text.length > statementCharsMax) bad('query text', `must be a string of at most ${statementCharsMax} characters`);
      const params = decodeParams(rest, 'remote transaction parameters');
      return { op, txn: txnId(h['txn'], 'query txn'), text, params, timeoutMs: h['timeoutMs'] === undefined ? undefined : timeout(h['timeoutMs'], 'query timeoutMs') };
    }
    case 'commit':
    case 'rollback':
      onlyKeys(h, ['txn'], `${op} header`);
      return { op, txn: txnId(h['txn'], `${op} txn`) };
  }
}

/** encodeTxnSessionReply: the reply to a request of kind `op`. */
export function encodeTxnSessionReply<O extends TxnSessionRequest['op']>(op: O, reply: TxnSessionReplies[O]): Uint8Array {
  if (op === 'query') return encodeResult(reply as WireResult);
  if (op === 'begin') return encoder.encode(JSON.stringify({ txn: (reply as TxnSessionReplies['begin']).txn }));
  return encoder.encode('{}');
}

/** decodeTxnSessionReply: the inverse of {@link encodeTxnSessionReply}, checked; INPUT_INVALID naming `source` otherwise. */
export function decodeTxnSessionReply<O extends TxnSessionRequest['op']>(op: O, bytes: Uint8Array, source: string): TxnSessionReplies[O] {
  if (op === 'query') return decodeResult(bytes, source) as TxnSessionReplies[O];
  const o = json(bytes, `${op} reply from ${source}`);
  if (op === 'begin') {
    onlyKeys(o, ['txn'], `begin reply from ${source}`);
    return { txn: txnId(o['txn'], `begin reply txn from ${source}`) } as TxnSessionReplies[O];
  }
  onlyKeys(o, [], `${op} reply from ${source}`);
  return {} as TxnSessionReplies[O];
}
