/**
 * How the cluster tests pass values over their JSON-lines control channel: bigint as
 * `{ "$int": "<digits>" }`, everything else as plain JSON. Used by both ends (harness and peer).
 */

/** encodeJsonValue: a value made JSON-safe (bigints tagged), recursively. */
export function encodeJsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return { $int: v.toString() };
  if (Array.isArray(v)) return v.map(encodeJsonValue);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeJsonValue(x)]));
  return v;
}

/** decodeJsonValue: the inverse of {@link encodeJsonValue}. */
export function decodeJsonValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeJsonValue);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o['$int'] === 'string') return BigInt(o['$int']);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decodeJsonValue(x)]));
  }
  return v;
}
