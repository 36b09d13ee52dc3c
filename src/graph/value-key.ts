/**
 * valueKey: a hashable key for a value such that values equal under Cypher equality get the
 * same key. Indexes and uniqueness constraints bucket by it.
 *
 * - integers (bigint) and integral floats map to the same key: a number inside the safe-integer
 *   range (`1n` and `1.0` share `1`; `-0.0` maps to `0`), the exact bigint outside it. Comparison
 *   is exact, as in Cypher (`2^53 + 1 <> 2.0^53`). Non-integral floats are never integral, so
 *   they cannot collide with an integer's number key.
 * - other floats map to themselves (a number); `NaN` maps to `NaN`, but NaN equals nothing, so
 *   callers must not treat two NaN keys as a match (see {@link isNaNKeyed}).
 * - booleans map to themselves.
 * - strings map to themselves, except that a string starting with U+0000 gets one more U+0000
 *   in front, so no string collides with the encoded keys below (which start with U+0000 and a
 *   non-zero character).
 * - lists (by content, element-wise, recursively), maps (by sorted keys), nodes, edges, paths and
 *   null get a string encoding starting with U+0000.
 */
import type { Value } from './values.ts';
import { EdgeRecord, NodeRecord, PathValue } from './records.ts';
import { DurationValue, formatDuration, formatTemporal, TemporalValue } from './temporal.ts';

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = -SAFE_MAX;

/** What {@link valueKey} returns: usable as a Map or Set key. */
export type ValueKey = string | number | bigint | boolean;

/** Hashable key of `v`; Cypher-equal values get equal keys (`1n` and `1.0` included). */
export function valueKey(v: Value): ValueKey {
  switch (typeof v) {
    case 'string':
      return v.length !== 0 && v.charCodeAt(0) === 0 ? '\u0000' + v : v;
    case 'bigint':
      // Safe-range integers key as numbers: V8 hashes a number key far faster than a BigInt one.
      return v >= SAFE_MIN && v <= SAFE_MAX ? Number(v) : v;
    case 'boolean':
      return v;
    case 'number':
      // Integral floats share the integer's key; past 2^53 the exact BigInt value is the key.
      return Number.isInteger(v) && !Number.isSafeInteger(v) ? BigInt(v) : v === 0 ? 0 : v;
    default:
      return '\u0000\u0001' + encode(v);
  }
}

/** True when `v` is or holds a NaN: such a value equals nothing, so it never matches an index entry. */
export function isNaNKeyed(v: Value): boolean {
  if (typeof v === 'number') return v !== v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (isNaNKeyed(v[i] as Value)) return true;
  }
  return false;
}

/** The string encoding of a value, unambiguous (lengths prefix strings). */
function encode(v: Value): string {
  if (v === null) return 'z';
  switch (typeof v) {
    case 'string':
      return `s${v.length}:${v}`;
    case 'bigint':
      return `i${v.toString()};`;
    case 'boolean':
      return v ? 't' : 'f';
    case 'number':
      return Number.isInteger(v) ? `i${BigInt(v).toString()};` : `d${String(v)};`;
    default:
      break;
  }
  if (Array.isArray(v)) {
    let s = `l${v.length}[`;
    for (let i = 0; i < v.length; i++) s += encode(v[i] as Value);
    return s + ']';
  }
  if (v instanceof TemporalValue) return `t${v.kind}:${formatTemporal(v)};`;
  if (v instanceof DurationValue) return `d${formatDuration(v)};`;
  if (v instanceof NodeRecord) return `n${v.id};`;
  if (v instanceof EdgeRecord) return `e${v.id};`;
  if (v instanceof PathValue) {
    let s = `p${v.edges.length}[`;
    for (let i = 0; i < v.nodes.length; i++) s += `n${v.nodes[i]!.id};`;
    for (let i = 0; i < v.edges.length; i++) s += `e${v.edges[i]!.id};`;
    return s + ']';
  }
  const map = v as { [key: string]: Value };
  const keys = Object.keys(map).sort();
  let s = `m${keys.length}{`;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    s += `s${k.length}:${k}` + encode(map[k] as Value);
  }
  return s + '}';
}
