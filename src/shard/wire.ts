/**
 * The shard layer's wire format: what peers send each other, one frame per peer pair per host
 * loop iteration, inside the transport's framed stream (docs/shard.md, "Wire format").
 *
 * A frame is a msgpack array `[version, item, item, ...]`; each item is an array led by a kind:
 *
 * | kind | item | meaning |
 * |---|---|---|
 * | 0 | `[0, group, msg, msg, ...]` | Raft messages of one group (a frame carries the messages of every group to that peer: heartbeats of many groups travel together) |
 * | 1 | `[1, group, requestId, text, params]` | a statement forwarded to the group's leader (params: the graph value codec's bytes) |
 * | 2 | `[2, group, requestId, result]` | its answer (columns, rows, writes; nodes, relationships and paths tagged) |
 * | 3 | `[3, group, requestId, code, message, detail]` | its failure (a GeodeError's code, message and detail) |
 * | 4 | `[4, 0, mode]` | hello: the sender's mode, 0 member (may be added to groups), 1 client (never a member); sent when a peer connects |
 * | 5 | `[5, group, requestId, text, params, readQuorum]` | a client's statement, run by the receiving member as its own query (`readQuorum` 0 majority, 1 local); answered by kinds 2 / 3 |
 * | 7 | `[7, group, requestId, commands]` | graph commands (the graph command codec's bytes) forwarded to the group's leader, applied there as one log entry (`ShardHost.submitCommands`); answered by kinds 2 / 3 |
| 8 | `[8, group, requestId, service, payload]` | a call of another layer's service (`service` a name of at most 32 characters, `payload` bytes the service decodes and validates) to a peer running the group, e.g. `"txn"`: a transaction request to the group's leader (src/txn/net-transport.ts); answered by kind 9 or 3 (`ShardHost.call` / `serveCalls`) |
 * | 9 | `[9, group, requestId, payload]` | the answer to a call: the service's reply bytes |
| 6 | `[6, group, leader, term]` | member → client: who leads the group as the member sees it (`leader` a peer id, `""` none), sent on the client's hello and on every change, so a client sends statements to the leader without a member's extra hop |
 *
 * Raft messages are arrays `[type, from, to, term, ...fields]` (see `encodeMessage`), entries are
 * `[term, index, type, data]`. Snapshots travel whole inside one MsgSnap; a snapshot larger than
 * the transport's frame limit cannot be sent yet (chunking is future work, noted in docs/shard.md).
 *
 * Decoding validates EVERYTHING before anything is used: types, integer ranges, array lengths,
 * byte sizes, known group ids, that a MsgApp's entries follow on from its index, that a conf
 * change entry decodes. A bad frame throws GeodeError INPUT_INVALID naming the peer, never an
 * assertion: a frame is input from the world.
 */
import { Packr } from 'msgpackr';
import { decodeConfChange, type ConfState, type Entry, type LogIndex, type Message, type MessageType, type NodeId, type Snapshot, type Term } from '../raft/index.ts';
import { decodeCommands, type Value } from '../graph/index.ts';
import type { PeerId } from '../net/types.ts';
import { GeodeError, type GeodeErrorCode } from '../util/errors.ts';
import { assert, unreachable } from '../util/assert.ts';
import {
  confMembersMax,
  contextCharsMax,
  errorMessageCharsMax,
  frameItemsMax,
  frameMessagesMax,
  groupIdMax,
  messageEntriesMax,
  SHARD_WIRE_VERSION,
  statementCharsMax,
} from './constants.ts';
import { peerIdCharsMax } from './peer-ids.ts';
import { decodeParams, decodeResult, encodeParams, encodeResult, type WireResult } from './values.ts';

/** GroupId: a Raft group (shard) id, an integer in [0, groupIdMax]. */
export type GroupId = number & { readonly __brand: 'GroupId' };

/** groupId: checks and brands a group id; CONFIG_INVALID otherwise. */
export function groupId(n: number): GroupId {
  if (!Number.isSafeInteger(n) || n < 0 || n > groupIdMax) {
    throw new GeodeError('CONFIG_INVALID', `a group id must be an integer in [0, ${groupIdMax}], got ${n}`, { source: 'config' });
  }
  return n as GroupId;
}

/** RaftItem: Raft messages of one group. */
export interface RaftItem {
  readonly kind: 'raft';
  readonly group: GroupId;
  readonly messages: readonly Message[];
}
/** QueryItem: a statement forwarded to the leader. */
export interface QueryItem {
  readonly kind: 'query';
  readonly group: GroupId;
  readonly requestId: number;
  readonly text: string;
  readonly params: Readonly<Record<string, Value>>;
}
/** ResultItem: the answer to a forwarded statement. */
export interface ResultItem {
  readonly kind: 'result';
  readonly group: GroupId;
  readonly requestId: number;
  readonly result: WireResult;
}
/** ErrorItem: a forwarded statement failed. */
export interface ErrorItem {
  readonly kind: 'error';
  readonly group: GroupId;
  readonly requestId: number;
  readonly code: GeodeErrorCode;
  readonly message: string;
  readonly detail: string;
}
/** PeerMode: a member may be added to groups; a client never is (it only sends statements). */
export type PeerMode = 'member' | 'client';
/** HelloItem: the sender says what it is, once per connection. */
export interface HelloItem {
  readonly kind: 'hello';
  readonly mode: PeerMode;
}
/** ClientQueryItem: a client's statement; the receiving member runs it as its own `query`. */
export interface ClientQueryItem {
  readonly kind: 'clientQuery';
  readonly group: GroupId;
  readonly requestId: number;
  readonly text: string;
  readonly params: Readonly<Record<string, Value>>;
  readonly readQuorum: 'majority' | 1;
}
/** LeaderItem: a member tells a client who leads a group (a routing hint; statements stay correct when it is stale). */
export interface LeaderItem {
  readonly kind: 'leader';
  readonly group: GroupId;
  /** The leader's peer id, or undefined when the member knows of none. */
  readonly leader: PeerId | undefined;
  readonly term: number;
}
/** ApplyItem: graph commands forwarded to the group's leader, applied there as one log entry (all or none). */
export interface ApplyItem {
  readonly kind: 'apply';
  readonly group: GroupId;
  readonly requestId: number;
  /** The commands in the graph command codec (checked to decode when the frame is decoded). */
  readonly commands: Uint8Array;
}
/** CallItem: a request to another layer's service on a peer running the group (answered by a {@link ReplyItem} or an {@link ErrorItem}). */
export interface CallItem {
  readonly kind: 'call';
  readonly group: GroupId;
  readonly requestId: number;
  /** The service's name (at most {@link serviceCharsMax} characters). */
  readonly service: string;
  /** The request, in the service's own encoding (validated by the service). */
  readonly payload: Uint8Array;
}
/** ReplyItem: a service's answer to a call. */
export interface ReplyItem {
  readonly kind: 'reply';
  readonly group: GroupId;
  readonly requestId: number;
  readonly payload: Uint8Array;
}
/** FrameItem: one thing a frame carries. */
export type FrameItem = RaftItem | QueryItem | ResultItem | ErrorItem | HelloItem | ClientQueryItem | LeaderItem | ApplyItem | CallItem | ReplyItem;

/** Longest service name of a call item. */
export const serviceCharsMax = 32;

const KIND_RAFT = 0;
const KIND_QUERY = 1;
const KIND_RESULT = 2;
const KIND_ERROR = 3;
const KIND_HELLO = 4;
const KIND_CLIENT_QUERY = 5;
const KIND_LEADER = 6;
const KIND_APPLY = 7;
const KIND_CALL = 8;
const KIND_REPLY = 9;

const messageTypes: readonly MessageType[] = [
  'MsgProp',
  'MsgApp',
  'MsgAppResp',
  'MsgVote',
  'MsgPreVote',
  'MsgVoteResp',
  'MsgPreVoteResp',
  'MsgHeartbeat',
  'MsgHeartbeatResp',
  'MsgSnap',
  'MsgReadIndex',
  'MsgReadIndexResp',
  'MsgTimeoutNow',
  'MsgTransferLeader',
];
const messageTypeCode = new Map<MessageType, number>(messageTypes.map((t, i) => [t, i]));

/** Every error code, so a decoded one is checked against the closed union. */
const errorCodes: Record<GeodeErrorCode, true> = {
  GQL_SYNTAX: true,
  GQL_SEMANTIC: true,
  GQL_TYPE: true,
  GQL_ARGUMENT: true,
  GQL_PARAMETER_MISSING: true,
  GQL_OVERFLOW: true,
  CONSTRAINT_VIOLATION: true,
  ENTITY_NOT_FOUND: true,
  NOT_FOUND: true,
  PROCEDURE_FAILED: true,
  LIMIT_EXCEEDED: true,
  CONFIG_INVALID: true,
  INPUT_INVALID: true,
  CLOSED: true,
  IO: true,
  PROPOSAL_DROPPED: true,
  UNSUPPORTED: true,
};

const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number', mapsAsObjects: true, useToJSON: false });
const emptyBytes = new Uint8Array(0);

// ------------------------------------------------------------------------------------ encoding

function encodeEntry(e: Entry): unknown[] {
  return [e.term, e.index, e.type === 'normal' ? 0 : 1, e.data];
}

function encodeConf(c: ConfState): unknown[] {
  return [c.voters.slice(), c.learners.slice(), c.votersOutgoing?.slice() ?? null, c.learnersNext?.slice() ?? null, c.autoLeave ?? null];
}

/** encodeMessage: a Raft message as an array `[type, from, to, term, ...fields]`. */
function encodeMessage(m: Message): unknown[] {
  const head = [messageTypeCode.get(m.type)!, m.from, m.to, m.term];
  switch (m.type) {
    case 'MsgProp':
      return [...head, m.entries.map(encodeEntry)];
    case 'MsgApp':
      return [...head, m.index, m.logTerm, m.commit, m.entries.map(encodeEntry)];
    case 'MsgAppResp':
      return [...head, m.index, m.reject, m.rejectHint, m.logTerm];
    case 'MsgVote':
    case 'MsgPreVote':
      return [...head, m.index, m.logTerm, m.transfer];
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return [...head, m.reject];
    case 'MsgHeartbeat':
      return [...head, m.commit, m.context];
    case 'MsgHeartbeatResp':
      return [...head, m.context];
    case 'MsgSnap': {
      const md = m.snapshot.metadata;
      return [...head, md.index, md.term, encodeConf(md.conf), m.snapshot.data];
    }
    case 'MsgReadIndex':
      return [...head, m.context];
    case 'MsgReadIndexResp':
      return [...head, m.index, m.context];
    case 'MsgTimeoutNow':
      return head;
    case 'MsgTransferLeader':
      return [...head, m.transferee];
    default:
      return unreachable(m, 'encodeMessage');
  }
}

function encodeItem(item: FrameItem): unknown[] {
  switch (item.kind) {
    case 'raft': {
      const out: unknown[] = [KIND_RAFT, item.group];
      for (const m of item.messages) out.push(encodeMessage(m));
      return out;
    }
    case 'query':
      return [KIND_QUERY, item.group, item.requestId, item.text, encodeParams(item.params)];
    case 'result':
      return [KIND_RESULT, item.group, item.requestId, encodeResult(item.result)];
    case 'error':
      return [KIND_ERROR, item.group, item.requestId, item.code, item.message.slice(0, errorMessageCharsMax), item.detail];
    case 'hello':
      return [KIND_HELLO, 0, item.mode === 'member' ? 0 : 1];
    case 'clientQuery':
      return [KIND_CLIENT_QUERY, item.group, item.requestId, item.text, encodeParams(item.params), item.readQuorum === 1 ? 1 : 0];
    case 'leader':
      return [KIND_LEADER, item.group, item.leader ?? '', item.term];
    case 'apply':
      return [KIND_APPLY, item.group, item.requestId, item.commands];
    case 'call':
      return [KIND_CALL, item.group, item.requestId, item.service, item.payload];
    case 'reply':
      return [KIND_REPLY, item.group, item.requestId, item.payload];
    default:
      return unreachable(item, 'encodeItem');
  }
}

/** encodeFrame: the bytes of a frame holding `items` (at most frameItemsMax). */
export function encodeFrame(items: readonly FrameItem[]): Uint8Array {
  assert(items.length > 0 && items.length <= frameItemsMax, `a frame holds 1..${frameItemsMax} items, got ${items.length}`);
  const out: unknown[] = [SHARD_WIRE_VERSION];
  for (const it of items) out.push(encodeItem(it));
  return packr.pack(out);
}

// ------------------------------------------------------------------------------------ decoding

/** FrameContext: what the decoder checks against. */
export interface FrameContext {
  /** The sending peer, named in errors. */
  readonly peer: PeerId;
  /** Largest frame (bytes) accepted. */
  readonly maxFrameBytes: number;
  /** Whether this host runs group `id`; items of other groups are refused. */
  readonly knownGroup: (id: number) => boolean;
}

/** Thrown while checking; turned into one INPUT_INVALID naming the peer. */
class FrameError extends Error {}

function fail(why: string): never {
  throw new FrameError(why);
}

function arr(x: unknown, what: string, min: number, max: number): unknown[] {
  if (!Array.isArray(x)) fail(`${what} must be an array`);
  if (x.length < min || x.length > max) fail(`${what} must have ${min}..${max} elements, has ${x.length}`);
  return x;
}

function uint(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) fail(`${what} must be a non-negative safe integer, got ${describe(x)}`);
  return x;
}

function nodeIdOf(x: unknown, what: string): NodeId {
  const n = uint(x, what);
  if (n === 0) fail(`${what} must be a positive node id`);
  return n as NodeId;
}

function bool(x: unknown, what: string): boolean {
  if (typeof x !== 'boolean') fail(`${what} must be a boolean, got ${describe(x)}`);
  return x;
}

function str(x: unknown, what: string, max: number): string {
  if (typeof x !== 'string') fail(`${what} must be a string, got ${describe(x)}`);
  if (x.length > max) fail(`${what} is longer than ${max} characters`);
  return x;
}

/**
 * bytes: a binary field, copied into a plain Uint8Array: msgpackr hands out views (Node Buffers)
 * into the frame, which the transport may reuse, and entries outlive the frame in the log.
 */
function bytes(x: unknown, what: string, max: number): Uint8Array {
  if (!(x instanceof Uint8Array)) fail(`${what} must be bytes, got ${describe(x)}`);
  if (x.length > max) fail(`${what} is larger than ${max} bytes`);
  return new Uint8Array(x);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (x instanceof Uint8Array) return `${x.length} bytes`;
  if (typeof x === 'string') return `a string of ${x.length}`;
  if (typeof x === 'object') return 'an object';
  return `${typeof x} ${String(x).slice(0, 24)}`;
}

function decodeEntry(x: unknown, what: string, maxBytes: number): Entry {
  const a = arr(x, what, 4, 4);
  const t = uint(a[0], `${what} term`) as Term;
  const index = uint(a[1], `${what} index`) as LogIndex;
  const type = a[2];
  if (type !== 0 && type !== 1) fail(`${what} type must be 0 or 1, got ${describe(type)}`);
  const data = a[3] === null || a[3] === undefined ? emptyBytes : bytes(a[3], `${what} data`, maxBytes);
  if (type === 1) {
    try {
      decodeConfChange(data);
    } catch (err) {
      fail(`${what} is a conf change that does not decode (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  return { term: t, index, type: type === 0 ? 'normal' : 'confChange', data };
}

function decodeEntries(x: unknown, what: string, maxBytes: number): Entry[] {
  const a = arr(x, what, 0, messageEntriesMax);
  const out = new Array<Entry>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = decodeEntry(a[i], `${what}[${i}]`, maxBytes);
  return out;
}

function decodeIds(x: unknown, what: string): NodeId[] {
  const a = arr(x, what, 0, confMembersMax);
  const out = a.map((v, i) => nodeIdOf(v, `${what}[${i}]`));
  if (new Set(out).size !== out.length) fail(`${what} lists a node twice`);
  return out;
}

function decodeConf(x: unknown, what: string): ConfState {
  const a = arr(x, what, 5, 5);
  const conf: { voters: NodeId[]; learners: NodeId[]; votersOutgoing?: NodeId[]; learnersNext?: NodeId[]; autoLeave?: boolean } = {
    voters: decodeIds(a[0], `${what} voters`),
    learners: decodeIds(a[1], `${what} learners`),
  };
  if (a[2] !== null) conf.votersOutgoing = decodeIds(a[2], `${what} outgoing voters`);
  if (a[3] !== null) conf.learnersNext = decodeIds(a[3], `${what} next learners`);
  if (a[4] !== null) conf.autoLeave = bool(a[4], `${what} autoLeave`);
  for (const l of conf.learners) if (conf.voters.includes(l)) fail(`${what}: node ${l} is both voter and learner`);
  return conf;
}

/** A MsgApp's (or MsgProp's) entries must be contiguous, after `index`, with terms not decreasing and at most the message's term. */
function checkRun(entries: readonly Entry[], after: number, msgTerm: number, what: string, assignIndexes: boolean): void {
  let prevTerm = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (!assignIndexes && e.index !== after + 1 + i) fail(`${what}: entry ${i} has index ${e.index}, expected ${after + 1 + i}`);
    if (!assignIndexes && (e.term < prevTerm || e.term > msgTerm)) fail(`${what}: entry ${i} has term ${e.term} out of order (message term ${msgTerm})`);
    prevTerm = e.term;
  }
}

function decodeMessage(x: unknown, what: string, maxBytes: number): Message {
  const a = arr(x, what, 4, 8);
  const code = uint(a[0], `${what} type`);
  const type = messageTypes[code];
  if (type === undefined) fail(`${what} has unknown message type ${code}`);
  const from = nodeIdOf(a[1], `${what} from`);
  const to = nodeIdOf(a[2], `${what} to`);
  const t = uint(a[3], `${what} term`) as Term;
  // Term 0 means "not bound to a term" to the Raft core: only forwarded proposals, reads and
  // transfer requests travel without one. Any other message at term 0 would skip the term check.
  if (t === 0 && type !== 'MsgProp' && type !== 'MsgReadIndex' && type !== 'MsgTransferLeader') fail(`${what} (${type}) must carry a term, got 0`);
  const base = { from, to, term: t };
  const n = (len: number): void => {
    if (a.length !== len) fail(`${what} (${type}) must have ${len} fields, has ${a.length}`);
  };
  switch (type) {
    case 'MsgProp': {
      n(5);
      const entries = decodeEntries(a[4], `${what} entries`, maxBytes);
      return { ...base, type, entries };
    }
    case 'MsgApp': {
      n(8);
      const index = uint(a[4], `${what} index`) as LogIndex;
      const logTerm = uint(a[5], `${what} logTerm`) as Term;
      const commit = uint(a[6], `${what} commit`) as LogIndex;
      const entries = decodeEntries(a[7], `${what} entries`, maxBytes);
      if (logTerm > t) fail(`${what}: logTerm ${logTerm} is above the message term ${t}`);
      checkRun(entries, index, t, what, false);
      return { ...base, type, index, logTerm, commit, entries };
    }
    case 'MsgAppResp':
      n(8);
      return {
        ...base,
        type,
        index: uint(a[4], `${what} index`) as LogIndex,
        reject: bool(a[5], `${what} reject`),
        rejectHint: uint(a[6], `${what} rejectHint`) as LogIndex,
        logTerm: uint(a[7], `${what} logTerm`) as Term,
      };
    case 'MsgVote':
    case 'MsgPreVote':
      n(7);
      return { ...base, type, index: uint(a[4], `${what} index`) as LogIndex, logTerm: uint(a[5], `${what} logTerm`) as Term, transfer: bool(a[6], `${what} transfer`) };
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      n(5);
      return { ...base, type, reject: bool(a[4], `${what} reject`) };
    case 'MsgHeartbeat':
      n(6);
      return { ...base, type, commit: uint(a[4], `${what} commit`) as LogIndex, context: str(a[5], `${what} context`, contextCharsMax) };
    case 'MsgHeartbeatResp':
      n(5);
      return { ...base, type, context: str(a[4], `${what} context`, contextCharsMax) };
    case 'MsgSnap': {
      n(8);
      const index = uint(a[4], `${what} snapshot index`) as LogIndex;
      const st = uint(a[5], `${what} snapshot term`) as Term;
      if (index === 0) fail(`${what}: a snapshot at index 0`);
      if (st > t) fail(`${what}: snapshot term ${st} is above the message term ${t}`);
      const conf = decodeConf(a[6], `${what} snapshot conf`);
      const data = bytes(a[7], `${what} snapshot data`, maxBytes);
      const snapshot: Snapshot = { metadata: { index, term: st, conf }, data };
      return { ...base, type, snapshot };
    }
    case 'MsgReadIndex':
      n(5);
      return { ...base, type, context: str(a[4], `${what} context`, contextCharsMax) };
    case 'MsgReadIndexResp':
      n(6);
      return { ...base, type, index: uint(a[4], `${what} index`) as LogIndex, context: str(a[5], `${what} context`, contextCharsMax) };
    case 'MsgTimeoutNow':
      n(4);
      return { ...base, type };
    case 'MsgTransferLeader':
      n(5);
      return { ...base, type, transferee: nodeIdOf(a[4], `${what} transferee`) };
    default:
      return unreachable(type, 'decodeMessage');
  }
}

function decodeItem(x: unknown, what: string, ctx: FrameContext): FrameItem {
  const a = arr(x, what, 2, frameMessagesMax + 2);
  const kind = uint(a[0], `${what} kind`);
  const g = uint(a[1], `${what} group`);
  if (kind === KIND_HELLO) {
    if (a.length !== 3 || g !== 0) fail(`${what} (hello) must be [4, 0, mode]`);
    const mode = uint(a[2], `${what} mode`);
    if (mode > 1) fail(`${what}: unknown mode ${mode}`);
    return { kind: 'hello', mode: mode === 0 ? 'member' : 'client' };
  }
  if (g > groupIdMax || !ctx.knownGroup(g)) fail(`${what}: unknown group ${g}`);
  const group = g as GroupId;
  const source = `frame from ${ctx.peer}, ${what}`;
  switch (kind) {
    case KIND_RAFT: {
      const messages: Message[] = [];
      for (let i = 2; i < a.length; i++) messages.push(decodeMessage(a[i], `${what} message ${i - 2}`, ctx.maxFrameBytes));
      if (messages.length === 0) fail(`${what}: no messages`);
      return { kind: 'raft', group, messages };
    }
    case KIND_QUERY: {
      if (a.length !== 5) fail(`${what} (query) must have 5 fields`);
      const requestId = uint(a[2], `${what} request id`);
      const text = str(a[3], `${what} text`, statementCharsMax);
      const params = decodeInner(() => decodeParams(bytes(a[4], `${what} params`, ctx.maxFrameBytes), source));
      return { kind: 'query', group, requestId, text, params };
    }
    case KIND_RESULT: {
      if (a.length !== 4) fail(`${what} (result) must have 4 fields`);
      const requestId = uint(a[2], `${what} request id`);
      const result = decodeInner(() => decodeResult(bytes(a[3], `${what} result`, ctx.maxFrameBytes), source));
      return { kind: 'result', group, requestId, result };
    }
    case KIND_ERROR: {
      if (a.length !== 6) fail(`${what} (error) must have 6 fields`);
      const requestId = uint(a[2], `${what} request id`);
      const code = str(a[3], `${what} code`, 64);
      if (!Object.prototype.hasOwnProperty.call(errorCodes, code)) fail(`${what}: unknown error code ${code}`);
      const message = str(a[4], `${what} message`, errorMessageCharsMax);
      const detail = str(a[5], `${what} detail`, 256);
      return { kind: 'error', group, requestId, code: code as GeodeErrorCode, message, detail };
    }
    case KIND_CLIENT_QUERY: {
      if (a.length !== 6) fail(`${what} (client query) must have 6 fields`);
      const requestId = uint(a[2], `${what} request id`);
      const text = str(a[3], `${what} text`, statementCharsMax);
      const params = decodeInner(() => decodeParams(bytes(a[4], `${what} params`, ctx.maxFrameBytes), source));
      const rq = uint(a[5], `${what} read quorum`);
      if (rq > 1) fail(`${what}: read quorum ${rq} is not 0 (majority) or 1`);
      return { kind: 'clientQuery', group, requestId, text, params, readQuorum: rq === 1 ? 1 : 'majority' };
    }
    case KIND_LEADER: {
      if (a.length !== 4) fail(`${what} (leader) must have 4 fields`);
      const leader = str(a[2], `${what} leader`, peerIdCharsMax);
      const term = uint(a[3], `${what} term`);
      return { kind: 'leader', group, leader: leader === '' ? undefined : (leader as PeerId), term };
    }
    case KIND_APPLY: {
      if (a.length !== 4) fail(`${what} (apply) must have 4 fields`);
      const requestId = uint(a[2], `${what} request id`);
      const commands = bytes(a[3], `${what} commands`, ctx.maxFrameBytes);
      decodeInner(() => decodeCommands(commands, source));
      return { kind: 'apply', group, requestId, commands };
    }
    case KIND_CALL: {
      if (a.length !== 5) fail(`${what} (call) must have 5 fields`);
      const requestId = uint(a[2], `${what} request id`);
      const service = str(a[3], `${what} service`, serviceCharsMax);
      const payload = bytes(a[4], `${what} payload`, ctx.maxFrameBytes);
      return { kind: 'call', group, requestId, service, payload };
    }
    case KIND_REPLY: {
      if (a.length !== 4) fail(`${what} (reply) must have 4 fields`);
      const requestId = uint(a[2], `${what} request id`);
      const payload = bytes(a[3], `${what} payload`, ctx.maxFrameBytes);
      return { kind: 'reply', group, requestId, payload };
    }
    default:
      return fail(`${what} has unknown kind ${kind}`);
  }
}

function decodeInner<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof FrameError) throw err;
    fail(err instanceof Error ? err.message : String(err));
  }
}

/**
 * decodeFrame: the items of a frame from `ctx.peer`, every field checked. Throws GeodeError
 * INPUT_INVALID (source: the peer id, message naming it and what is wrong) for anything else.
 */
export function decodeFrame(frame: Uint8Array, ctx: FrameContext): FrameItem[] {
  try {
    if (!(frame instanceof Uint8Array)) fail('a frame must be bytes');
    if (frame.length > ctx.maxFrameBytes) fail(`the frame has ${frame.length} bytes, more than ${ctx.maxFrameBytes}`);
    let raw: unknown;
    try {
      raw = packr.unpack(frame);
    } catch (err) {
      fail(`not msgpack (${err instanceof Error ? err.message : String(err)})`);
    }
    const a = arr(raw, 'the frame', 2, frameItemsMax + 1);
    if (a[0] !== SHARD_WIRE_VERSION) fail(`wire version ${describe(a[0])} is not ${SHARD_WIRE_VERSION}`);
    const items: FrameItem[] = [];
    for (let i = 1; i < a.length; i++) items.push(decodeItem(a[i], `item ${i - 1}`, ctx));
    return items;
  } catch (err) {
    if (err instanceof FrameError || err instanceof RangeError || err instanceof TypeError) {
      throw new GeodeError('INPUT_INVALID', `bad frame from peer ${ctx.peer}: ${err.message}`, { source: ctx.peer, cause: err });
    }
    throw err;
  }
}
