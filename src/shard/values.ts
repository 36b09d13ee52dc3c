/**
 * Query parameters and results as they cross the wire between peers (a write forwarded to the
 * leader and its answer), on top of the graph's value codec (`encodeSnapshot`, which keeps bigint
 * vs number, -0.0, null-prototype maps, temporal values).
 *
 * Result nodes, relationships and paths are classes; the graph codec takes plain data only, so each
 * is wrapped in a one-key `Map` (`n`, `r` or `p`) — result values never contain a Map otherwise,
 * so the tag cannot collide with user data — and rebuilt on the other side after a shape check.
 */
import { decodeSnapshot, DurationValue, encodeSnapshot, TemporalValue, type Value } from '../graph/index.ts';
import { GeodeNode, GeodePath, GeodeRelationship, type ResultRow, type ResultValue } from '../api/result.ts';
import { GeodeError } from '../util/errors.ts';
import { Packr } from 'msgpackr';

/**
 * The compact forms. Most statements carry a few scalar parameters and most answers to writes no
 * rows, or rows of scalars; for those the graph codec's envelope (magic, version, tagging walk) is
 * most of the cost (about 1 µs to encode and 0.5 µs to decode each, on both ends of every
 * statement). A compact form is one marker byte and plain msgpack; a snapshot-coded value begins
 * with the codec's magic `G` (0x47), so the first byte tells them apart and either is accepted.
 * Scalars are null, booleans, strings, bigints (INTEGER) and numbers (FLOAT) other than -0.0:
 * msgpack keeps bigint and number apart (integral numbers come back as numbers) but not -0.0.
 */
const COMPACT_PARAMS = 0x01;
/** A compact result: the marker, then msgpack `[columns, writes, rows]`, each row its values in column order. */
const COMPACT_RESULT = 0x02;
const compact = new Packr({ useRecords: false, int64AsType: 'bigint', moreTypes: false, useToJSON: false, variableMapSize: true });

function isScalar(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return true;
    case 'number':
      return !Object.is(v, -0);
    default:
      return v === null;
  }
}

function withMarker(marker: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = marker;
  out.set(body, 1);
  return out;
}

function unpackCompact(bytes: Uint8Array, source: string, what: string): unknown {
  try {
    return compact.unpack(bytes.subarray(1));
  } catch (err) {
    return bad(source, `${what} are corrupt (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** A query's answer as it travels: columns, detached rows, the number of write commands. */
export interface WireResult {
  readonly columns: readonly string[];
  readonly rows: readonly ResultRow[];
  readonly writes: number;
}

function bad(source: string, why: string): never {
  throw new GeodeError('INPUT_INVALID', `${source}: ${why}`, { source });
}

function tagResult(v: ResultValue): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(tagResult);
  if (v instanceof GeodeNode) return new Map([['n', [v.id, v.labels.slice(), tagProps(v.properties)]]]);
  if (v instanceof GeodeRelationship) return new Map([['r', [v.id, v.type, v.startNodeId, v.endNodeId, tagProps(v.properties)]]]);
  if (v instanceof GeodePath) {
    return new Map([['p', [v.nodes.map((n) => tagResult(n)), v.relationships.map((r) => tagResult(r))]]]);
  }
  if (v instanceof TemporalValue || v instanceof DurationValue) return v;
  return tagProps(v as Readonly<Record<string, ResultValue>>);
}

function tagProps(props: Readonly<Record<string, ResultValue>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(props)) out[k] = tagResult(props[k]!);
  return out;
}

function isId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function untagResult(v: unknown, source: string): ResultValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v !== 'object') return bad(source, `a result value of type ${typeof v}`);
  if (Array.isArray(v)) return v.map((x) => untagResult(x, source));
  if (v instanceof TemporalValue || v instanceof DurationValue) return v;
  if (v instanceof Map) {
    if (v.size !== 1) return bad(source, 'a tagged result value must have one tag');
    const [[tag, body]] = [...(v as Map<unknown, unknown>).entries()] as [[unknown, unknown]];
    if (!Array.isArray(body)) return bad(source, `tag ${String(tag)} without a body`);
    if (tag === 'n') return untagNode(body, source);
    if (tag === 'r') return untagRel(body, source);
    if (tag === 'p') {
      const [nodes, rels] = body as [unknown, unknown];
      if (!Array.isArray(nodes) || !Array.isArray(rels) || nodes.length !== rels.length + 1) return bad(source, 'a path needs one more node than relationships');
      return new GeodePath(
        nodes.map((n) => {
          const x = untagResult(n, source);
          return x instanceof GeodeNode ? x : bad(source, 'a path node is not a node');
        }),
        rels.map((r) => {
          const x = untagResult(r, source);
          return x instanceof GeodeRelationship ? x : bad(source, 'a path relationship is not a relationship');
        }),
      );
    }
    return bad(source, `unknown result tag ${String(tag)}`);
  }
  if (v instanceof Uint8Array) return bad(source, 'bytes are not a result value');
  return untagProps(v, source);
}

function untagProps(v: unknown, source: string): Record<string, ResultValue> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Map) return bad(source, 'properties must be a map');
  const out: Record<string, ResultValue> = {};
  for (const k of Object.keys(v)) {
    Object.defineProperty(out, k, { value: untagResult((v as Record<string, unknown>)[k], source), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function untagNode(body: unknown[], source: string): GeodeNode {
  const [id, labels, props] = body;
  if (!isId(id)) return bad(source, 'a node id must be a non-negative integer');
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) return bad(source, 'node labels must be strings');
  return new GeodeNode(id, labels as string[], untagProps(props, source));
}

function untagRel(body: unknown[], source: string): GeodeRelationship {
  const [id, type, start, end, props] = body;
  if (!isId(id) || !isId(start) || !isId(end)) return bad(source, 'relationship ids must be non-negative integers');
  if (typeof type !== 'string') return bad(source, 'a relationship type must be a string');
  return new GeodeRelationship(id, type, start, end, untagProps(props, source));
}

/** encodeResult: a query's answer as bytes. Throws LIMIT_EXCEEDED for values nested too deeply. */
export function encodeResult(result: WireResult): Uint8Array {
  const fast = compactResult(result);
  if (fast !== undefined) return fast;
  const rows = result.rows.map((r) => tagProps(r));
  return encodeSnapshot({ columns: result.columns.slice(), rows, writes: result.writes });
}

/** decodeResult: the inverse of {@link encodeResult}, every part checked; INPUT_INVALID naming `source`. */
export function decodeResult(bytes: Uint8Array, source: string): WireResult {
  if (bytes[0] === COMPACT_RESULT) return decodeCompactResult(bytes, source);
  const raw = decodeSnapshot(bytes, source) as { columns?: unknown; rows?: unknown; writes?: unknown };
  if (typeof raw !== 'object' || raw === null) return bad(source, 'a result must be a map');
  const { columns, rows, writes } = raw;
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) return bad(source, 'result columns must be strings');
  if (!Array.isArray(rows)) return bad(source, 'result rows must be a list');
  if (!isId(writes)) return bad(source, 'result writes must be a non-negative integer');
  return { columns: columns as string[], rows: rows.map((r) => untagProps(r, source)), writes };
}

/** encodeParams: query parameters (already engine values) as bytes. */
export function encodeParams(params: Readonly<Record<string, Value>>): Uint8Array {
  for (const k in params) {
    if (k === '__proto__' || !isScalar(params[k])) return encodeSnapshot(params);
  }
  try {
    return withMarker(COMPACT_PARAMS, compact.pack(params));
  } catch {
    return encodeSnapshot(params); // says what cannot be encoded
  }
}

/** decodeParams: the inverse of {@link encodeParams}: a map of engine values; INPUT_INVALID naming `source`. */
export function decodeParams(bytes: Uint8Array, source: string): Record<string, Value> {
  if (bytes[0] === COMPACT_PARAMS) {
    const raw = unpackCompact(bytes, source, 'parameters');
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Map || raw instanceof Uint8Array) return bad(source, 'parameters must be a map');
    for (const k in raw) if (!isScalar((raw as Record<string, unknown>)[k])) bad(source, 'a compact parameter is not a scalar');
    return raw as Record<string, Value>;
  }
  const raw = decodeSnapshot(bytes, source);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Map) return bad(source, 'parameters must be a map');
  checkParamValue(raw, source, 0);
  return raw as Record<string, Value>;
}

/** The compact form of `result` when every row holds exactly its columns, in order, with scalar values; else undefined. */
function compactResult(result: WireResult): Uint8Array | undefined {
  const { columns, rows } = result;
  const arrays: unknown[][] = new Array<unknown[]>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const keys = Object.keys(row);
    if (keys.length !== columns.length) return undefined;
    const values = new Array<unknown>(keys.length);
    for (let c = 0; c < keys.length; c++) {
      if (keys[c] !== columns[c] || keys[c] === '__proto__') return undefined;
      const v = row[keys[c]!];
      if (!isScalar(v)) return undefined;
      values[c] = v;
    }
    arrays[i] = values;
  }
  try {
    return withMarker(COMPACT_RESULT, compact.pack([columns, result.writes, arrays]));
  } catch {
    return undefined;
  }
}

function decodeCompactResult(bytes: Uint8Array, source: string): WireResult {
  const raw = unpackCompact(bytes, source, 'the result');
  if (!Array.isArray(raw) || raw.length !== 3) return bad(source, 'a compact result must be [columns, writes, rows]');
  const [columns, writes, arrays] = raw as unknown[];
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) return bad(source, 'result columns must be strings');
  if (new Set(columns).size !== columns.length || columns.includes('__proto__')) return bad(source, 'compact result columns must be distinct names other than __proto__');
  if (!isId(writes)) return bad(source, 'result writes must be a non-negative integer');
  if (!Array.isArray(arrays)) return bad(source, 'result rows must be a list');
  const rows = arrays.map((values: unknown) => {
    if (!Array.isArray(values) || values.length !== columns.length) return bad(source, 'a compact row must hold one value per column');
    const row: Record<string, ResultValue> = {};
    for (let c = 0; c < columns.length; c++) {
      const v: unknown = values[c];
      if (!isScalar(v)) bad(source, 'a compact row value is not a scalar');
      row[columns[c] as string] = v as ResultValue;
    }
    return row;
  });
  return { columns: columns as string[], rows, writes };
}

function checkParamValue(v: unknown, source: string, depth: number): void {
  if (depth > 64) bad(source, 'parameters nested too deeply');
  if (v === null || typeof v === 'boolean' || typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string') return;
  if (v instanceof TemporalValue || v instanceof DurationValue) return;
  if (Array.isArray(v)) {
    for (const x of v) checkParamValue(x, source, depth + 1);
    return;
  }
  if (typeof v === 'object' && !(v instanceof Map) && !(v instanceof Set) && !(v instanceof Uint8Array)) {
    for (const k of Object.keys(v)) checkParamValue((v as Record<string, unknown>)[k], source, depth + 1);
    return;
  }
  bad(source, 'a parameter value is not a query value');
}

/** toEngineParams: the embedded database's parameter conversion, so a parameter means the same in a cluster. */
export { toEngineParams } from '../api/params.ts';
