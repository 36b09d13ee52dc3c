/**
 * RangePartitioner: the `range` sharding strategy. Nodes of a label go to shards by the value of
 * one property (`sharding.key`, e.g. `created_at`), cut at ascending boundaries
 * (`sharding.ranges`): with boundaries b0 < b1 < ... < bk-1 there are k + 1 shards,
 * shard 0 holds values below b0, shard i holds [b(i-1), bi), the last holds bk-1 and above.
 * A node without the property (or with null) goes to shard 0.
 *
 * Values compare in the ORDER BY order of the query layer (integers and floats by value, strings
 * by code point, temporal values in time order), so placement and pruning agree for every value
 * a node can hold. Pruning: an equality predicate on the key touches one shard, a range predicate
 * only the shards whose interval overlaps it.
 *
 * @example
 * ```ts
 * const p = RangePartitioner.of([0, 1, 2], [1000n, 2000n]);
 * p.shardOf(1500n);                                     // 1
 * p.shardsFor({ lower: { value: 1800n, inclusive: true } }); // [1, 2]
 * ```
 */
import type { Value } from '../graph/index.ts';
import { orderCompare } from '../query/value-ops.ts';
import { GeodeError } from '../util/errors.ts';
import type { ShardId } from './hash-ring.ts';
import { rangeBoundariesMax } from './sharding-constants.ts';

/** One end of a range predicate. */
export interface RangeBound {
  readonly value: Value;
  readonly inclusive: boolean;
}

/** A predicate on the shard key: `lower <(=) key <(=) upper`; a missing end is unbounded. */
export interface KeyRange {
  readonly lower?: RangeBound;
  readonly upper?: RangeBound;
}

export class RangePartitioner {
  readonly shards: readonly ShardId[];
  readonly boundaries: readonly Value[];

  private constructor(shards: readonly ShardId[], boundaries: readonly Value[]) {
    this.shards = shards;
    this.boundaries = boundaries;
  }

  /**
   * of: `shards` in key order (one more than `boundaries`), boundaries strictly ascending and not
   * null. CONFIG_INVALID (detail `sharding.ranges`) otherwise.
   */
  static of(shards: readonly ShardId[], boundaries: readonly Value[]): RangePartitioner {
    const bad = (why: string): never => {
      throw new GeodeError('CONFIG_INVALID', `sharding.ranges: ${why}`, { source: 'config', detail: 'sharding.ranges' });
    };
    if (boundaries.length > rangeBoundariesMax) bad(`at most ${rangeBoundariesMax} boundaries, got ${boundaries.length}`);
    if (shards.length !== boundaries.length + 1) bad(`${boundaries.length} boundaries cut ${boundaries.length + 1} ranges, but ${shards.length} shards were given`);
    if (new Set(shards).size !== shards.length) bad('a shard appears twice');
    for (let i = 0; i < boundaries.length; i++) {
      const b = boundaries[i]!;
      if (b === null) bad(`boundary ${i} is null`);
      if (i > 0 && orderCompare(boundaries[i - 1]!, b) >= 0) bad(`boundaries must be strictly ascending (boundary ${i} is not above boundary ${i - 1})`);
    }
    return new RangePartitioner([...shards], [...boundaries]);
  }

  /** shardOf: the shard of a node whose key property holds `value` (null or missing: the first). */
  shardOf(value: Value | undefined): ShardId {
    if (value === undefined || value === null) return this.shards[0]!;
    return this.shards[this.#rangeIndex(value)]!;
  }

  /** The range a value falls in: the number of boundaries at or below it. */
  #rangeIndex(value: Value): number {
    let lo = 0;
    let hi = this.boundaries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (orderCompare(this.boundaries[mid]!, value) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * shardsFor: the shards a predicate `range` on the key can match, in key order. Unbounded on
   * both ends: every shard. An empty range (lower above upper): none.
   */
  shardsFor(range: KeyRange): ShardId[] {
    const first = range.lower === undefined || range.lower.value === null ? 0 : this.#rangeIndex(range.lower.value);
    let last = range.upper === undefined || range.upper.value === null ? this.boundaries.length : this.#rangeIndex(range.upper.value);
    // `key < b` where b is exactly a boundary cannot reach the range that starts at b.
    if (range.upper !== undefined && range.upper.value !== null && !range.upper.inclusive && last > 0 && orderCompare(this.boundaries[last - 1]!, range.upper.value) === 0) last--;
    if (range.lower !== undefined && range.upper !== undefined && range.lower.value !== null && range.upper.value !== null) {
      const c = orderCompare(range.lower.value, range.upper.value);
      if (c > 0 || (c === 0 && !(range.lower.inclusive && range.upper.inclusive))) return [];
    }
    return this.shards.slice(first, last + 1);
  }
}
