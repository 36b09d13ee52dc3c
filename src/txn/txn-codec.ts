/**
 * The wire encoding of transaction requests and replies between processes (the `txn` service of
 * the shard wire's call items, docs/protocol.md): UTF-8 JSON, a prepare's raw graph commands as
 * the graph command codec's bytes in base64 (as intents keep them). Decoding validates EVERY field
 * — types, integer ranges, string and list lengths, nesting — before anything is used, and throws
 * GeodeError INPUT_INVALID naming what is wrong: a payload is input from another process.
 */
import type { GraphCommand } from '../graph/index.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import type { HlcTimestamp } from './hlc.ts';
import { decodeRawCommands, encodeRawCommands, lockedKeysMax, type Decision, type IntentState, type PrepareRequest, type RecordState, type RegisterRead, type SnapshotCheck, type TxnValue } from './intents.ts';
import type { TxnReplies, TxnRequest } from './participant.ts';

/** Longest transaction id, register key or lock key, characters. */
export const txnStringCharsMax = 4_096;
/** Most participants of one transaction (the shard map's shard limit). */
export const txnParticipantsMax = 1_024;
/** Most items of a list reply (intents, records, register reads). */
export const txnListMax = 100_000;
/** Deepest nesting of a register value. */
const valueDepthMax = 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function bad(what: string, why: string): never {
  throw new GeodeError('INPUT_INVALID', `bad transaction message: ${what} ${why}`, { source: 'transaction', detail: 'BadTxnMessage' });
}

type Obj = Record<string, unknown>;

function obj(x: unknown, what: string): Obj {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) bad(what, 'must be an object');
  return x as Obj;
}
function str(x: unknown, what: string, max = txnStringCharsMax): string {
  if (typeof x !== 'string') bad(what, 'must be a string');
  if (x.length > max) bad(what, `is longer than ${max} characters`);
  return x;
}
function int(x: unknown, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > max) bad(what, `must be an integer in [${min}, ${max}]`);
  return x;
}
function list<T>(x: unknown, what: string, max: number, each: (v: unknown, what: string) => T): T[] {
  if (!Array.isArray(x)) bad(what, 'must be a list');
  if (x.length > max) bad(what, `has more than ${max} items`);
  return x.map((v, i) => each(v, `${what}[${i}]`));
}
function strs(x: unknown, what: string, max = lockedKeysMax): string[] {
  return list(x, what, max, (v, w) => str(v, w));
}
function groups(x: unknown, what: string): number[] {
  return list(x, what, txnParticipantsMax, (v, w) => int(v, w));
}
function hlc(x: unknown, what: string): HlcTimestamp {
  const o = obj(x, what);
  return { wall: int(o['wall'], `${what}.wall`), logical: int(o['logical'], `${what}.logical`) };
}
function value(x: unknown, what: string, depth = 0): TxnValue {
  if (x === null || typeof x === 'boolean' || typeof x === 'string') return x;
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) bad(what, 'must be a finite number');
    return x;
  }
  if (Array.isArray(x) && depth < valueDepthMax) return list(x, what, txnListMax, (v, w) => value(v, w, depth + 1));
  return bad(what, 'must be a JSON value (null, boolean, number, string or list, nested at most 32 deep)');
}
function kv(x: unknown, what: string): [string, TxnValue][] {
  return list(x, what, lockedKeysMax, (v, w) => {
    const pair = list(v, w, 2, (p, pw) => p as unknown);
    if (pair.length !== 2) bad(w, 'must be [key, value]');
    return [str(pair[0], `${w}[0]`), value(pair[1], `${w}[1]`)];
  });
}
function decision(x: unknown, what: string): Decision {
  const o = obj(x, what);
  if (o['decision'] === 'committed') return { decision: 'committed', ts: hlc(o['ts'], `${what}.ts`) };
  if (o['decision'] === 'aborted') return { decision: 'aborted' };
  return bad(`${what}.decision`, 'must be "committed" or "aborted"');
}
function record(x: unknown, what: string): RecordState {
  const o = obj(x, what);
  return { txn: str(o['txn'], `${what}.txn`), decision: decision(o['decision'], `${what}.decision`), participants: groups(o['participants'], `${what}.participants`), at: int(o['at'], `${what}.at`) };
}
function optionalHlc(x: unknown, what: string): HlcTimestamp | undefined {
  return x === null || x === undefined ? undefined : hlc(x, what);
}
function intent(x: unknown, what: string): IntentState {
  const o = obj(x, what);
  return {
    txn: str(o['txn'], `${what}.txn`),
    record: int(o['record'], `${what}.record`),
    start: optionalHlc(o['start'], `${what}.start`),
    deadline: int(o['deadline'], `${what}.deadline`),
    writes: strs(o['writes'], `${what}.writes`),
    reads: strs(o['reads'], `${what}.reads`),
    kv: kv(o['kv'], `${what}.kv`),
    cmds: str(o['cmds'], `${what}.cmds`, Number.MAX_SAFE_INTEGER),
    participants: groups(o['participants'], `${what}.participants`),
  };
}
function registerRead(x: unknown, what: string): RegisterRead {
  const o = obj(x, what);
  if (o['kind'] === 'value') return { kind: 'value', value: o['value'] === undefined ? undefined : value(o['value'], `${what}.value`) };
  if (o['kind'] === 'locked') return { kind: 'locked', txn: str(o['txn'], `${what}.txn`), record: int(o['record'], `${what}.record`), deadline: int(o['deadline'], `${what}.deadline`) };
  return bad(`${what}.kind`, 'must be "value" or "locked"');
}

function commandsOf(text: string): GraphCommand[] {
  try {
    return decodeRawCommands(text, 'the commands of a prepare');
  } catch (err) {
    if (isGeodeError(err, 'INPUT_INVALID')) throw err;
    return bad('req.commands', 'is not base64 of the graph command codec');
  }
}

function parse(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(decoder.decode(bytes)) as unknown;
  } catch {
    return bad(what, 'is not UTF-8 JSON');
  }
}

function snapshotCheck(x: unknown, what: string): SnapshotCheck {
  if (x !== 'keys' && x !== 'data') bad(what, 'must be "keys" or "data"');
  return x;
}

/** encodeTxnRequest: a request's bytes. */
export function encodeTxnRequest(request: TxnRequest): Uint8Array {
  if (request.op === 'apply') return encoder.encode(JSON.stringify({ ...request, commands: encodeRawCommands(request.commands) }));
  if (request.op !== 'prepare') return encoder.encode(JSON.stringify(request));
  const { commands, start, ...rest } = request.req;
  return encoder.encode(JSON.stringify({ op: 'prepare', req: { ...rest, start: start ?? null, commands: encodeRawCommands(commands) } }));
}

/** decodeTxnRequest: a request from its bytes, every field checked (INPUT_INVALID otherwise). */
export function decodeTxnRequest(bytes: Uint8Array): TxnRequest {
  const o = obj(parse(bytes, 'the request'), 'the request');
  const op = o['op'];
  switch (op) {
    case 'prepare': {
      const r = obj(o['req'], 'req');
      const isolation = r['isolation'];
      if (isolation !== 'snapshot' && isolation !== 'serializable') bad('req.isolation', 'must be "snapshot" or "serializable"');
      const req: PrepareRequest = {
        txn: str(r['txn'], 'req.txn'),
        record: int(r['record'], 'req.record'),
        start: optionalHlc(r['start'], 'req.start'),
        timeoutMs: int(r['timeoutMs'], 'req.timeoutMs', 1, 86_400_000),
        isolation,
        kv: kv(r['kv'], 'req.kv'),
        reads: strs(r['reads'], 'req.reads'),
        commands: commandsOf(str(r['commands'], 'req.commands', Number.MAX_SAFE_INTEGER)),
        participants: groups(r['participants'], 'req.participants'),
        deadline: int(r['deadline'], 'req.deadline'),
        ...(r['expect'] === undefined ? {} : { expect: int(r['expect'], 'req.expect') }),
        ...(r['check'] === undefined ? {} : { check: snapshotCheck(r['check'], 'req.check') }),
      };
      return { op, req };
    }
    case 'resolve':
      return { op, txn: str(o['txn'], 'txn'), decision: decision(o['decision'], 'decision') };
    case 'apply':
      return {
        op,
        commands: commandsOf(str(o['commands'], 'commands', Number.MAX_SAFE_INTEGER)),
        expect: int(o['expect'], 'expect'),
        ...(o['check'] === undefined ? {} : { check: snapshotCheck(o['check'], 'check') }),
      };
    case 'timestamp':
    case 'intents':
    case 'records':
      return { op };
    case 'decide': {
      const want = o['want'];
      if (want !== 'commit' && want !== 'abort') bad('want', 'must be "commit" or "abort"');
      return {
        op,
        txn: str(o['txn'], 'txn'),
        want,
        participants: groups(o['participants'], 'participants'),
        deadline: int(o['deadline'], 'deadline'),
        ...(o['after'] === undefined || o['after'] === null ? {} : { after: hlc(o['after'], 'after') }),
      };
    }
    case 'forget':
    case 'record':
    case 'holds':
      return { op, txn: str(o['txn'], 'txn') };
    case 'read':
      return { op, keys: strs(o['keys'], 'keys'), ts: hlc(o['ts'], 'ts') };
    default:
      return bad('op', `is unknown (${typeof op === 'string' ? op.slice(0, 32) : typeof op})`);
  }
}

/** encodeTxnReply: a reply's bytes (undefined as null). */
export function encodeTxnReply(reply: unknown): Uint8Array {
  return encoder.encode(JSON.stringify({ r: reply ?? null }));
}

/** decodeTxnReply: the reply to a request of kind `op`, every field checked (INPUT_INVALID otherwise). */
export function decodeTxnReply<R extends TxnRequest>(op: R['op'], bytes: Uint8Array): TxnReplies[R['op']] {
  const x = obj(parse(bytes, 'the reply'), 'the reply')['r'];
  let out: unknown;
  switch (op as TxnRequest['op']) {
    case 'prepare':
      if (x === 'prepared') out = x;
      else if (typeof x === 'object' && x !== null && !Array.isArray(x) && 'prepared' in x) out = { prepared: hlc((x as Record<string, unknown>)['prepared'], 'the reply to prepare') };
      else bad('the reply to prepare', 'must be "prepared" or {"prepared": timestamp}');
      break;
    case 'apply':
      if (x !== 'applied') bad('the reply to apply', 'must be "applied"');
      out = x;
      break;
    case 'resolve':
      if (x !== 'resolved' && x !== 'absent') bad('the reply to resolve', 'must be "resolved" or "absent"');
      out = x;
      break;
    case 'timestamp':
      out = hlc(x, 'the timestamp');
      break;
    case 'decide':
      out = decision(x, 'the decision');
      break;
    case 'forget':
    case 'holds':
      if (typeof x !== 'boolean') bad(`the reply to ${op}`, 'must be a boolean');
      out = x;
      break;
    case 'read':
      out = list(x, 'the reads', txnListMax, registerRead);
      break;
    case 'record':
      out = x === null ? undefined : record(x, 'the record');
      break;
    case 'intents':
      out = list(x, 'the intents', txnListMax, intent);
      break;
    case 'records':
      out = list(x, 'the records', txnListMax, record);
      break;
  }
  return out as TxnReplies[R['op']];
}
