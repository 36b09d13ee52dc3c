/**
 * PropertyColumn: a columnar copy of one property over the nodes of one label, for scans that
 * filter on that property. Numbers that a float64 holds exactly (floats, and integers within
 * ±2^53) sit in `nums` so a comparison runs on unboxed doubles; every other value keeps its
 * place in `values` and is compared the generic way.
 *
 * A column is a snapshot: it is valid while the store's `version` equals `column.version`.
 * The store caches a few and rebuilds one lazily after any write.
 */
import type { NodeRecord } from './records.ts';
import type { Value } from './values.ts';

/** `kinds[i]`: how entry i is held. */
export const COLUMN_MISSING = 0;
export const COLUMN_NUMBER = 1;
export const COLUMN_OTHER = 2;

export interface PropertyColumn {
  /** The store version this column was built at. */
  readonly version: number;
  /** The label's live nodes, in the order `nodesByLabel` gives them. */
  readonly nodes: readonly NodeRecord[];
  /** COLUMN_MISSING (no such property), COLUMN_NUMBER (`nums[i]` is exact) or COLUMN_OTHER (`values[i]`). */
  readonly kinds: Uint8Array;
  readonly nums: Float64Array;
  /** The property values themselves (null where missing). */
  readonly values: readonly Value[];
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Builds the column of `key` over `nodes` (the label's live nodes). */
export function buildPropertyColumn(version: number, nodes: Iterable<NodeRecord>, key: string): PropertyColumn {
  const list: NodeRecord[] = [];
  for (const n of nodes) list.push(n);
  const count = list.length;
  const kinds = new Uint8Array(count);
  const nums = new Float64Array(count);
  const values = new Array<Value>(count);
  for (let i = 0; i < count; i++) {
    const v = list[i]!.props.get(key);
    if (v === undefined) {
      values[i] = null;
      continue;
    }
    values[i] = v;
    if (typeof v === 'number') {
      kinds[i] = COLUMN_NUMBER;
      nums[i] = v;
    } else if (typeof v === 'bigint' && v <= SAFE_MAX && v >= -SAFE_MAX) {
      kinds[i] = COLUMN_NUMBER;
      nums[i] = Number(v);
    } else {
      kinds[i] = COLUMN_OTHER;
    }
  }
  return { version, nodes: list, kinds, nums, values };
}
