/**
 * Query parameters: how the values a user passes to `db.query(text, params)` become engine values.
 */
import { DurationValue, TemporalValue, type Value } from '../graph/index.ts';
import { GeodeError } from '../util/errors.ts';

/**
 * toEngineParams: user query parameters as engine values. JS numbers stay floats, bigints are
 * integers, maps get a null prototype, temporal values pass as they are; anything else is
 * GQL_TYPE naming where it is (`rows[1].a[0]`). Shared by the embedded database and the shard
 * host, so a parameter means the same on one peer and in a cluster.
 */
export function toEngineParams(params: Readonly<Record<string, unknown>> | undefined): Record<string, Value> {
  const out: Record<string, Value> = Object.create(null) as Record<string, Value>;
  if (params === undefined) return out;
  for (const key of Object.keys(params)) {
    const v = fastParamValue(params[key]);
    // A value the fast path cannot take: the checking path names where it is, or converts it.
    out[key] = v === UNSUPPORTED ? toParamValue(params[key], key) : v;
  }
  return out;
}

/** What {@link fastParamValue} returns for anything it does not convert itself. */
const UNSUPPORTED: unique symbol = Symbol('unsupported');

/**
 * {@link toParamValue} without building a path string per value (a bulk load passes many
 * thousands): UNSUPPORTED where that one would throw or needs a case this one skips.
 */
function fastParamValue(v: unknown): Value | typeof UNSUPPORTED {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'bigint':
    case 'string':
    case 'number':
      return v;
    case 'object': {
      if (Array.isArray(v)) {
        const list = new Array<Value>(v.length);
        for (let i = 0; i < v.length; i++) {
          const x = fastParamValue(v[i]);
          if (x === UNSUPPORTED) return UNSUPPORTED;
          list[i] = x;
        }
        return list;
      }
      if (v instanceof TemporalValue || v instanceof DurationValue) return v;
      // Filled as an ordinary object, then given its null prototype: V8 keeps it a fast
      // (shaped) object, where Object.create(null) makes a hash-table one, ~4x larger and slower.
      const map: Record<string, Value> = {};
      for (const key of Object.keys(v)) {
        if (key === '__proto__') return UNSUPPORTED; // would hit Object.prototype's setter
        const x = fastParamValue((v as Record<string, unknown>)[key]);
        if (x === UNSUPPORTED) return UNSUPPORTED;
        map[key] = x;
      }
      return Object.setPrototypeOf(map, null) as Record<string, Value>;
    }
    default:
      return UNSUPPORTED;
  }
}

function toParamValue(v: unknown, path: string): Value {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'bigint':
    case 'string':
      return v;
    case 'number':
      return v;
    case 'object': {
      if (Array.isArray(v)) return v.map((item, i) => toParamValue(item, `${path}[${i}]`));
      if (v instanceof TemporalValue || v instanceof DurationValue) return v; // immutable values, passed as they are
      const map = Object.create(null) as Record<string, Value>;
      for (const key of Object.keys(v)) map[key] = toParamValue((v as Record<string, unknown>)[key], `${path}.${key}`);
      return map;
    }
    default:
      throw new GeodeError('GQL_TYPE', `parameter ${path}: values of type ${typeof v} cannot be passed to a query`, {
        source: 'params',
      });
  }
}

