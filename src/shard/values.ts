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
  const rows = result.rows.map((r) => tagProps(r));
  return encodeSnapshot({ columns: result.columns.slice(), rows, writes: result.writes });
}

/** decodeResult: the inverse of {@link encodeResult}, every part checked; INPUT_INVALID naming `source`. */
export function decodeResult(bytes: Uint8Array, source: string): WireResult {
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
  return encodeSnapshot(params);
}

/** decodeParams: the inverse of {@link encodeParams}: a map of engine values; INPUT_INVALID naming `source`. */
export function decodeParams(bytes: Uint8Array, source: string): Record<string, Value> {
  const raw = decodeSnapshot(bytes, source);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Map) return bad(source, 'parameters must be a map');
  checkParamValue(raw, source, 0);
  return raw as Record<string, Value>;
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
