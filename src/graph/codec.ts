/**
 * The graph's binary codec, with msgpackr: snapshots (plain data) ⇄ bytes, and batches of write
 * commands ⇄ Raft log entry data.
 *
 * msgpackr alone is not lossless for our data: it decodes a JS `Map` as a plain object, drops the
 * null prototype of an object and renames a `__proto__` key. So values are first turned into a
 * tagged tree that only uses arrays, plain objects with ordinary keys and primitives:
 * - bigint → msgpack int64 (always, even when small; decoded back as bigint with `int64AsType`),
 * - number → msgpack int or float64 (decoded as number: integers stay floats in our model),
 * - `Map` → `{ "\u0000map": [k0, v0, k1, v1, ...] }`, `Set` → `{ "\u0000set": [...] }`,
 * - an object with a null prototype or an awkward key → `{ "\u0000obj": [k0, v0, ...], "\u0000np": true }`.
 * The file starts with a magic header and a format version so a foreign file is refused, not misread.
 */
import { Packr } from 'msgpackr';
import { GeodeError } from '../util/errors.ts';
import { assert } from '../util/assert.ts';
import { DurationValue, TemporalValue, type TemporalKind } from './temporal.ts';
import type { GraphCommand } from './types.ts';

/** First bytes of a snapshot file: "GEODESNP". */
export const SNAPSHOT_MAGIC = new Uint8Array([0x47, 0x45, 0x4f, 0x44, 0x45, 0x53, 0x4e, 0x50]);
/** Bumped when the encoding changes incompatibly. */
export const SNAPSHOT_FORMAT_VERSION = 1;
/** Deepest nesting the tagger walks: snapshots are shallow (records of properties of lists). */
export const SNAPSHOT_DEPTH_MAX = 64;

const TAG_MAP = '\u0000map';
const TAG_SET = '\u0000set';
const TAG_OBJ = '\u0000obj';
const TAG_NULL_PROTO = '\u0000np';
const TAG_TEMPORAL = '\u0000tmp';
const TAG_DURATION = '\u0000dur';
const TAG_NEGATIVE_ZERO = '\u0000-0';

const packr = new Packr({ useRecords: false, int64AsType: 'bigint', moreTypes: false, useToJSON: false, variableMapSize: true });

function plainKeysAreSafe(obj: object): boolean {
  for (const key of Object.keys(obj)) {
    if (key === '__proto__' || key.charCodeAt(0) === 0) return false;
  }
  return true;
}

function tagValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new GeodeError('INPUT_INVALID', `snapshot: a ${typeof value} cannot be stored`);
    }
    // msgpack writes an integral double as an integer, which would turn -0.0 into 0.
    if (value === 0 && Object.is(value, -0)) return { [TAG_NEGATIVE_ZERO]: true };
    return value;
  }
  if (depth > SNAPSHOT_DEPTH_MAX) throw new GeodeError('LIMIT_EXCEEDED', `snapshot: nesting deeper than ${SNAPSHOT_DEPTH_MAX}`);
  if (Array.isArray(value)) {
    // Copied only from the first element that changes: most of a snapshot needs no tag.
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const t = tagValue(v, depth + 1);
      if (out === undefined && t !== v) out = value.slice(0, i);
      if (out !== undefined) out.push(t);
    }
    return out ?? value;
  }
  if (value instanceof Uint8Array) return value;
  if (value instanceof Map) {
    const flat: unknown[] = [];
    for (const [k, v] of value) flat.push(tagValue(k, depth + 1), tagValue(v, depth + 1));
    return { [TAG_MAP]: flat };
  }
  if (value instanceof TemporalValue) {
    return { [TAG_TEMPORAL]: [value.kind, value.epochDay, value.nanoOfDay, value.offsetSeconds] };
  }
  if (value instanceof DurationValue) {
    return { [TAG_DURATION]: [value.months, value.days, value.seconds, value.nanoseconds] };
  }
  if (value instanceof Set) {
    const items: unknown[] = [];
    for (const v of value) items.push(tagValue(v, depth + 1));
    return { [TAG_SET]: items };
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new GeodeError('INPUT_INVALID', `snapshot: a ${name} instance is not plain data`);
  }
  const obj = value as Record<string, unknown>;
  if (proto === null || !plainKeysAreSafe(obj)) {
    const flat: unknown[] = [];
    for (const key of Object.keys(obj)) flat.push(key, tagValue(obj[key], depth + 1));
    return proto === null ? { [TAG_OBJ]: flat, [TAG_NULL_PROTO]: true } : { [TAG_OBJ]: flat };
  }
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v = obj[key];
    const t = tagValue(v, depth + 1);
    if (out === undefined && t !== v) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]!] = obj[keys[j]!];
    }
    if (out !== undefined) out[key] = t;
  }
  return out ?? obj;
}

/** Untags in place: `value` is msgpackr's fresh output, owned by the decoder. */
function untagValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > SNAPSHOT_DEPTH_MAX) throw new GeodeError('LIMIT_EXCEEDED', `snapshot: nesting deeper than ${SNAPSHOT_DEPTH_MAX}`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') value[i] = untagValue(v, depth + 1);
    }
    return value;
  }
  if (value instanceof Uint8Array) return value;
  const obj = value as Record<string, unknown>;
  const map = obj[TAG_MAP];
  if (Array.isArray(map)) {
    const out = new Map<unknown, unknown>();
    for (let i = 0; i + 1 < map.length; i += 2) out.set(untagValue(map[i], depth + 1), untagValue(map[i + 1], depth + 1));
    return out;
  }
  if (obj[TAG_NEGATIVE_ZERO] === true) return -0;
  const temporal = obj[TAG_TEMPORAL];
  if (Array.isArray(temporal)) {
    const [kind, epochDay, nanoOfDay, offset] = temporal as [TemporalKind, number, number, number];
    return new TemporalValue(kind, epochDay, nanoOfDay, offset);
  }
  const duration = obj[TAG_DURATION];
  if (Array.isArray(duration)) {
    const [months, days, seconds, nanos] = duration as [number, number, number, number];
    return new DurationValue(months, days, seconds, nanos);
  }
  const set = obj[TAG_SET];
  if (Array.isArray(set)) return new Set(set.map((v) => untagValue(v, depth + 1)));
  const flat = obj[TAG_OBJ];
  if (Array.isArray(flat)) {
    const out = (obj[TAG_NULL_PROTO] === true ? Object.create(null) : {}) as Record<string, unknown>;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      Object.defineProperty(out, String(flat[i]), {
        value: untagValue(flat[i + 1], depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v !== null && typeof v === 'object') obj[key] = untagValue(v, depth + 1);
  }
  return obj;
}

/** Encodes plain data (objects, arrays, Maps, Sets, bigint, number, string, boolean, null) to snapshot bytes. */
export function encodeSnapshot(data: unknown): Uint8Array {
  const body = packr.pack({ version: SNAPSHOT_FORMAT_VERSION, data: tagValue(data, 0) });
  const out = new Uint8Array(SNAPSHOT_MAGIC.length + body.length);
  out.set(SNAPSHOT_MAGIC, 0);
  out.set(body, SNAPSHOT_MAGIC.length);
  return out;
}

/** Decodes bytes written by {@link encodeSnapshot}; INPUT_INVALID when they are not a snapshot of this format. */
export function decodeSnapshot(bytes: Uint8Array, source = 'snapshot'): unknown {
  if (bytes.length < SNAPSHOT_MAGIC.length || !SNAPSHOT_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new GeodeError('INPUT_INVALID', `${source}: not a Geode snapshot file (bad magic header)`, { source });
  }
  let envelope: unknown;
  try {
    envelope = packr.unpack(bytes.subarray(SNAPSHOT_MAGIC.length));
  } catch (err) {
    throw new GeodeError('INPUT_INVALID', `${source}: the snapshot is corrupt (${err instanceof Error ? err.message : String(err)})`, {
      source,
      cause: err,
    });
  }
  if (typeof envelope !== 'object' || envelope === null || !('version' in envelope) || !('data' in envelope)) {
    throw new GeodeError('INPUT_INVALID', `${source}: the snapshot has no version/data envelope`, { source });
  }
  const version = (envelope as { version: unknown }).version;
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw new GeodeError('INPUT_INVALID', `${source}: snapshot format version ${String(version)} is not supported (expected ${SNAPSHOT_FORMAT_VERSION})`, {
      source,
    });
  }
  const data = untagValue((envelope as { data: unknown }).data, 0);
  assert(data !== undefined, 'decoded snapshot data is undefined');
  return data;
}

/** First byte of an encoded command batch (a Raft log entry of the graph state machine): its format version. */
export const COMMANDS_FORMAT_VERSION = 1;
/**
 * First byte of a command batch that holds a `stampNodes` command (2026-12-06): the same layout
 * as {@link COMMANDS_FORMAT_VERSION}'s, a new byte so that a peer of older code refuses the
 * batch ("not a command batch of format 1 (first byte 2)") instead of failing on an unknown
 * command or, in a federated cluster's change stream, reading past the records it carries.
 * Batches without one keep format 1, byte for byte.
 */
export const COMMANDS_FORMAT_VERSION_STAMPS = 2;

/** The format byte of a batch of the first `n` of `commands` (all of them by default). */
function batchFormat(commands: readonly GraphCommand[], n = commands.length): number {
  for (let i = n - 1; i >= 0; i--) if (commands[i]!.op === 'stampNodes') return COMMANDS_FORMAT_VERSION_STAMPS;
  return COMMANDS_FORMAT_VERSION;
}

function isBatchFormat(b: number | undefined): boolean {
  return b === COMMANDS_FORMAT_VERSION || b === COMMANDS_FORMAT_VERSION_STAMPS;
}

/**
 * Encodes a batch of graph commands (one statement's writes) as the data of one Raft log entry:
 * a version byte, then the tagged msgpack tree of the commands.
 */
export function encodeCommands(commands: readonly GraphCommand[]): Uint8Array {
  let split = commands.length;
  while (split > 0 && isHandWritten(commands[split - 1]!)) split--;
  if (split === commands.length) {
    const body = packr.pack(tagValue(commands, 0));
    const out = new Uint8Array(1 + body.length);
    out[0] = batchFormat(commands);
    out.set(body, 1);
    return out;
  }
  return encodeWithBytesMeta(commands, split);
}

/**
 * A `setMeta` command whose key is a string of ASCII characters and whose value is bytes: what
 * federation's write hook appends to a statement (one record each). The codec's tagging leaves
 * it as it is, so it can be written by hand ({@link encodeWithBytesMeta}).
 */
function isBytesMeta(c: GraphCommand): boolean {
  if (c.op !== 'setMeta' || !(c.value instanceof Uint8Array) || typeof c.key !== 'string') return false;
  const k = c.key;
  for (let i = 0; i < k.length; i++) if (k.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * A `stampNodes` command of ids in [0, 2³²) and a stamp of an ASCII origin (or null): what
 * federation's write hook appends to a statement that creates nodes. Written by hand as the
 * records ({@link encodeWithBytesMeta}), the bytes msgpackr writes (tested against it).
 */
function isSimpleStamp(c: GraphCommand): boolean {
  if (c.op !== 'stampNodes' || !Array.isArray(c.ids) || c.ids.length >= 0x10000) return false;
  for (let i = 0; i < c.ids.length; i++) {
    const id = c.ids[i];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffff_ffff || Object.is(id, -0)) return false;
  }
  const st = c.stamp;
  if (st === null) return true;
  if (!Array.isArray(st) || st.length !== 3) return false;
  const [w, l, o] = st;
  if (typeof w !== 'number' || !Number.isSafeInteger(w) || w < 0 || typeof l !== 'number' || !Number.isInteger(l) || l < 0 || l > 0xffff_ffff || typeof o !== 'string' || o.length >= 0x10000) return false;
  for (let i = 0; i < o.length; i++) if (o.charCodeAt(i) >= 0x80) return false;
  return true;
}

function isHandWritten(c: GraphCommand): boolean {
  return c.op === 'setMeta' ? isBytesMeta(c) : isSimpleStamp(c);
}

/** msgpack bytes of `{ op: 'stampNodes', ids: ` before the ids' array: map of 3, "op", "stampNodes", "ids". */
const STAMP_HEAD = new Uint8Array([0x83, 0xa2, 0x6f, 0x70, 0xaa, 0x73, 0x74, 0x61, 0x6d, 0x70, 0x4e, 0x6f, 0x64, 0x65, 0x73, 0xa3, 0x69, 0x64, 0x73]);
/** msgpack bytes of "stamp". */
const STAMP_KEY = new Uint8Array([0xa5, 0x73, 0x74, 0x61, 0x6d, 0x70]);

/** Bytes msgpackr writes for a non-negative integer below 2³² (a wall time above it: float64). */
function uintBytes(v: number): number {
  return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : v <= 0xffff_ffff ? 5 : 9;
}

function writeUint(out: Uint8Array, view: DataView, at: number, v: number): number {
  if (v < 0x80) {
    out[at] = v;
    return at + 1;
  }
  if (v < 0x100) {
    out[at] = 0xcc;
    out[at + 1] = v;
    return at + 2;
  }
  if (v < 0x10000) {
    out[at] = 0xcd;
    view.setUint16(at + 1, v);
    return at + 3;
  }
  if (v <= 0xffff_ffff) {
    out[at] = 0xce;
    view.setUint32(at + 1, v);
    return at + 5;
  }
  out[at] = 0xcb;
  view.setFloat64(at + 1, v);
  return at + 9;
}

/** The bytes of a {@link isSimpleStamp} command. */
function stampBytes(c: Extract<GraphCommand, { op: 'stampNodes' }>): number {
  let n = STAMP_HEAD.length + (c.ids.length < 16 ? 1 : 3) + STAMP_KEY.length;
  for (let i = 0; i < c.ids.length; i++) n += uintBytes(c.ids[i]!);
  if (c.stamp === null) return n + 1;
  return n + 1 + uintBytes(c.stamp[0]) + uintBytes(c.stamp[1]) + headBytes(c.stamp[2].length, true) + c.stamp[2].length;
}

function writeStamp(out: Uint8Array, view: DataView, at: number, c: Extract<GraphCommand, { op: 'stampNodes' }>): number {
  out.set(STAMP_HEAD, at);
  at += STAMP_HEAD.length;
  const n = c.ids.length;
  if (n < 16) out[at++] = 0x90 | n;
  else {
    out[at] = 0xdc;
    view.setUint16(at + 1, n);
    at += 3;
  }
  for (let i = 0; i < n; i++) at = writeUint(out, view, at, c.ids[i]!);
  out.set(STAMP_KEY, at);
  at += STAMP_KEY.length;
  if (c.stamp === null) {
    out[at] = 0xc0;
    return at + 1;
  }
  out[at++] = 0x93;
  at = writeUint(out, view, at, c.stamp[0]);
  at = writeUint(out, view, at, c.stamp[1]);
  const o = c.stamp[2];
  at = writeHead(out, at, o.length, true);
  for (let j = 0; j < o.length; j++) out[at++] = o.charCodeAt(j);
  return at;
}

/** msgpack bytes of a `{ op: 'setMeta', key, value }` map before its key: map of 3, "op", "setMeta", "key". */
const BYTES_META_HEAD = new Uint8Array([0x83, 0xa2, 0x6f, 0x70, 0xa7, 0x73, 0x65, 0x74, 0x4d, 0x65, 0x74, 0x61, 0xa3, 0x6b, 0x65, 0x79]);
/** msgpack bytes of "value". */
const BYTES_META_VALUE = new Uint8Array([0xa5, 0x76, 0x61, 0x6c, 0x75, 0x65]);

/** Bytes of a msgpack header of `n` (str: fixstr, str8/16/32; bin: bin8/16/32). */
function headBytes(n: number, str: boolean): number {
  if (str && n < 32) return 1;
  return n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

function writeHead(out: Uint8Array, at: number, n: number, str: boolean): number {
  if (str && n < 32) {
    out[at] = 0xa0 | n;
    return at + 1;
  }
  const base = str ? 0xd9 : 0xc4;
  if (n < 0x100) {
    out[at] = base;
    out[at + 1] = n;
    return at + 2;
  }
  if (n < 0x10000) {
    out[at] = base + 1;
    out[at + 1] = n >>> 8;
    out[at + 2] = n & 0xff;
    return at + 3;
  }
  out[at] = base + 2;
  out[at + 1] = n >>> 24;
  out[at + 2] = (n >>> 16) & 0xff;
  out[at + 3] = (n >>> 8) & 0xff;
  out[at + 4] = n & 0xff;
  return at + 5;
}

/**
 * {@link encodeCommands} of a batch whose commands from `split` on are {@link isBytesMeta}: the
 * first ones packed as usual, the others written by hand after them — the bytes msgpackr writes
 * for them (tested against it), without its walk of each command's keys and its typed-array
 * extension lookup (about a microsecond per federated write; bench/federation-stamp.bench.ts).
 */
function encodeWithBytesMeta(commands: readonly GraphCommand[], split: number): Uint8Array {
  const count = commands.length;
  let head: Uint8Array | undefined;
  let headSkip = 0;
  if (split > 0) {
    head = packr.pack(tagValue(split === count ? commands : commands.slice(0, split), 0));
    headSkip = arrayHeader(head, 0)[1];
  }
  let size = 1 + (count < 16 ? 1 : count < 0x10000 ? 3 : 5) + (head === undefined ? 0 : head.length - headSkip);
  let format = batchFormat(commands, split);
  for (let i = split; i < count; i++) {
    const c = commands[i]!;
    if (c.op === 'stampNodes') {
      size += stampBytes(c);
      format = COMMANDS_FORMAT_VERSION_STAMPS;
      continue;
    }
    const v = (c as Extract<GraphCommand, { op: 'setMeta' }>).value as Uint8Array;
    const key = (c as Extract<GraphCommand, { op: 'setMeta' }>).key;
    size += BYTES_META_HEAD.length + headBytes(key.length, true) + key.length + BYTES_META_VALUE.length + headBytes(v.length, false) + v.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = format;
  let at = 1;
  if (count < 16) out[at++] = 0x90 | count;
  else if (count < 0x10000) {
    out[at++] = 0xdc;
    out[at++] = count >>> 8;
    out[at++] = count & 0xff;
  } else {
    out[at++] = 0xdd;
    view.setUint32(at, count);
    at += 4;
  }
  if (head !== undefined) {
    out.set(head.subarray(headSkip), at);
    at += head.length - headSkip;
  }
  for (let i = split; i < count; i++) {
    const s = commands[i]!;
    if (s.op === 'stampNodes') {
      at = writeStamp(out, view, at, s);
      continue;
    }
    const c = s as Extract<GraphCommand, { op: 'setMeta' }>;
    const k = c.key;
    const v = c.value as Uint8Array;
    out.set(BYTES_META_HEAD, at);
    at = writeHead(out, at + BYTES_META_HEAD.length, k.length, true);
    for (let j = 0; j < k.length; j++) out[at++] = k.charCodeAt(j);
    out.set(BYTES_META_VALUE, at);
    at = writeHead(out, at + BYTES_META_VALUE.length, v.length, false);
    if (v.length < 64) for (let j = 0; j < v.length; j++) out[at + j] = v[j]!;
    else out.set(v, at);
    at += v.length;
  }
  assert(at === size, `encodeCommands: wrote ${at} bytes of ${size}`);
  return out;
}

/**
 * concatCommandBatches: one command batch holding `batches`' commands in order, as
 * {@link encodeCommands} of their concatenation would give — without decoding them: each batch's
 * msgpack array header is dropped and one header for the total count written in front (msgpack
 * arrays are a count and then their elements). Every part must come from `encodeCommands`.
 */
export function concatCommandBatches(batches: readonly Uint8Array[]): Uint8Array {
  assert(batches.length > 0, 'concatCommandBatches: no batch');
  if (batches.length === 1) return batches[0]!;
  let count = 0;
  let bytes = 0;
  let format = COMMANDS_FORMAT_VERSION;
  const heads: number[] = new Array<number>(batches.length);
  for (let i = 0; i < batches.length; i++) {
    const b = batches[i]!;
    assert(isBatchFormat(b[0]), `concatCommandBatches: part ${i} is not a command batch`);
    if (b[0] === COMMANDS_FORMAT_VERSION_STAMPS) format = COMMANDS_FORMAT_VERSION_STAMPS;
    const [n, head] = arrayHeader(b, 1);
    count += n;
    heads[i] = 1 + head;
    bytes += b.length - heads[i]!;
  }
  const headBytes = count < 16 ? 1 : count < 0x10000 ? 3 : 5;
  const out = new Uint8Array(1 + headBytes + bytes);
  out[0] = format;
  if (headBytes === 1) out[1] = 0x90 | count;
  else if (headBytes === 3) {
    out[1] = 0xdc;
    out[2] = count >>> 8;
    out[3] = count & 0xff;
  } else {
    out[1] = 0xdd;
    new DataView(out.buffer, out.byteOffset + 2, 4).setUint32(0, count);
  }
  let o = 1 + headBytes;
  for (let i = 0; i < batches.length; i++) {
    const b = batches[i]!;
    out.set(b.subarray(heads[i]!), o);
    o += b.length - heads[i]!;
  }
  return out;
}

/** The element count and header length of the msgpack array at `at`. */
function arrayHeader(b: Uint8Array, at: number): [count: number, headerBytes: number] {
  const t = b[at]!;
  if ((t & 0xf0) === 0x90) return [t & 0x0f, 1];
  if (t === 0xdc) return [(b[at + 1]! << 8) | b[at + 2]!, 3];
  assert(t === 0xdd, `concatCommandBatches: byte ${t} does not start a msgpack array`);
  return [new DataView(b.buffer, b.byteOffset + at + 1, 4).getUint32(0), 5];
}

/**
 * Decodes {@link encodeCommands}' output; INPUT_INVALID naming `source` (e.g. `log entry 42`) when
 * the bytes are not a command batch of this format. The commands are shape-checked only as far as
 * being a list of objects with an `op`: the store validates each one when it applies it.
 */
export function decodeCommands(bytes: Uint8Array, source = 'command batch'): GraphCommand[] {
  if (bytes.length < 2 || !isBatchFormat(bytes[0])) {
    throw new GeodeError('INPUT_INVALID', `${source}: not a command batch of format ${COMMANDS_FORMAT_VERSION} or ${COMMANDS_FORMAT_VERSION_STAMPS} (first byte ${bytes[0] ?? 'missing'})`, { source });
  }
  let tree: unknown;
  try {
    tree = packr.unpack(bytes.subarray(1));
  } catch (err) {
    throw new GeodeError('INPUT_INVALID', `${source}: the command batch is corrupt (${err instanceof Error ? err.message : String(err)})`, { source, cause: err });
  }
  const commands = untagValue(tree, 0);
  if (!Array.isArray(commands) || !commands.every((c) => typeof c === 'object' && c !== null && typeof (c as { op?: unknown }).op === 'string')) {
    throw new GeodeError('INPUT_INVALID', `${source}: a command batch must be a list of commands`, { source });
  }
  return commands as GraphCommand[];
}

/** First byte of a value encoded by {@link encodeValue}: its format version. */
export const VALUE_FORMAT_VERSION = 1;

/**
 * encodeValue: one plain-data value (as a snapshot holds: objects, arrays, Maps, bigint, ...) as
 * bytes: a version byte, then its tagged msgpack tree. Metadata kept as bytes costs a snapshot,
 * a log entry and the garbage collector one buffer instead of a tree of objects.
 */
export function encodeValue(value: unknown): Uint8Array {
  const body = packr.pack(tagValue(value, 0));
  const out = new Uint8Array(1 + body.length);
  out[0] = VALUE_FORMAT_VERSION;
  out.set(body, 1);
  return out;
}

/** decodeValue: {@link encodeValue}'s output back; INPUT_INVALID naming `source` for other bytes. */
export function decodeValue(bytes: Uint8Array, source = 'value'): unknown {
  if (bytes.length < 2 || bytes[0] !== VALUE_FORMAT_VERSION) {
    throw new GeodeError('INPUT_INVALID', `${source}: not a value of format ${VALUE_FORMAT_VERSION} (first byte ${bytes[0] ?? 'missing'})`, { source });
  }
  let tree: unknown;
  try {
    tree = packr.unpack(bytes.subarray(1));
  } catch (err) {
    throw new GeodeError('INPUT_INVALID', `${source}: the value is corrupt (${err instanceof Error ? err.message : String(err)})`, { source, cause: err });
  }
  return untagValue(tree, 0);
}
