/**
 * Which values may be stored as properties: booleans, integers (bigint within int64), floats,
 * strings, temporal values and durations, and homogeneous lists of those (no nulls, no nested lists; integers and floats may
 * mix, they are all numbers). Anything else — maps, nodes, edges, paths, lists of maps — is a
 * GQL_TYPE error with detail `InvalidPropertyType`, as the openCypher TCK names it.
 */
import { GeodeError } from '../util/errors.ts';
import { INT64_MAX, INT64_MIN, type PropertyValue } from './values.ts';
import { DurationValue, TemporalValue } from './temporal.ts';

/** The element class of a list: integers and floats share 'number'. */
function scalarClass(v: unknown): 'boolean' | 'number' | 'string' | 'temporal' | 'duration' | undefined {
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'bigint':
      return v >= INT64_MIN && v <= INT64_MAX ? 'number' : undefined;
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'object':
      if (v instanceof TemporalValue) return 'temporal';
      if (v instanceof DurationValue) return 'duration';
      return undefined;
    default:
      return undefined;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return (v as object).constructor === undefined ? 'a map' : `a ${(v as object).constructor.name}`;
  return `a ${typeof v}`;
}

function invalid(key: string, message: string): GeodeError {
  return new GeodeError('GQL_TYPE', `property '${key}': ${message}`, { detail: 'InvalidPropertyType' });
}

/**
 * True when `v` may be stored as a property value (null excluded: null means "remove").
 * Allocation-free for scalars.
 */
export function isStorable(v: unknown): v is PropertyValue {
  if (scalarClass(v) !== undefined) return true;
  if (!Array.isArray(v)) return false;
  let cls: string | undefined;
  for (let i = 0; i < v.length; i++) {
    const c = scalarClass(v[i]);
    if (c === undefined) return false;
    if (cls === undefined) cls = c;
    else if (cls !== c) return false;
  }
  return true;
}

/** Throws GQL_TYPE / InvalidPropertyType when `v` (non-null) cannot be stored under `key`. */
export function checkStorable(key: string, v: unknown): asserts v is PropertyValue {
  if (isStorable(v)) return;
  if (typeof v === 'bigint') throw invalid(key, `integer ${v} does not fit in 64 bits`);
  if (!Array.isArray(v)) throw invalid(key, `${describe(v)} cannot be stored as a property value`);
  let cls: string | undefined;
  for (let i = 0; i < v.length; i++) {
    const c = scalarClass(v[i]);
    if (c === undefined) throw invalid(key, `a list holding ${describe(v[i])} cannot be stored as a property value`);
    if (cls === undefined) cls = c;
    else if (cls !== c) throw invalid(key, `a list mixing ${cls} and ${c} values cannot be stored as a property value`);
  }
}
