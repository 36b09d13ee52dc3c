/**
 * Values: what a property, a parameter, an expression or a result cell can hold.
 *
 * Representation (fixed, relied on by every layer):
 * - null            → `null`
 * - boolean         → `boolean`
 * - integer (int64) → `bigint`, always; never a JS number. Results past 2^53 stay exact.
 * - float (double)  → `number`, always; `1.0` is a float, `1` is an integer.
 * - string          → `string`
 * - list            → `Value[]` (treated as immutable once built)
 * - map             → {@link ValueMap}, a null-prototype object (so a key `__proto__` is just a key)
 * - node, edge      → the store's {@link NodeRecord} / {@link EdgeRecord} (live references inside the engine)
 * - path            → {@link PathValue}
 * - date, time, ... → {@link TemporalValue}; duration → {@link DurationValue} (immutable, storable)
 *
 * Only null … map may be stored as properties (and lists only of those); nodes, edges and
 * paths appear in query rows and results.
 */
import type { EdgeRecord, NodeRecord } from './records.ts';
import { PathValue } from './records.ts';
import type { DurationValue, TemporalValue } from './temporal.ts';

export type { EdgeRecord, NodeRecord } from './records.ts';
export { PathValue } from './records.ts';
export { DurationValue, TemporalValue } from './temporal.ts';

export type Value =
  | null
  | boolean
  | bigint
  | number
  | string
  | readonly Value[]
  | ValueMap
  | NodeRecord
  | EdgeRecord
  | PathValue
  | TemporalValue
  | DurationValue;

/** A map value: string keys to values, null prototype. */
export interface ValueMap {
  [key: string]: Value;
}

/** The storable subset: what a node or edge property may hold. */
export type PropertyValue = null | boolean | bigint | number | string | TemporalValue | DurationValue | readonly PropertyValue[];

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** A fresh empty map value (null prototype). */
export function newValueMap(): ValueMap {
  return Object.create(null) as ValueMap;
}
