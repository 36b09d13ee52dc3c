/**
 * Aggregate functions: count, sum, avg, min, max, collect, percentileDisc, percentileCont,
 * stDev, stDevP.
 *
 * The engine creates one {@link Aggregator} per group and aggregate call, feeds it each row's
 * evaluated arguments with `add`, then reads `result()` once. Nulls in the aggregated value are
 * ignored by every aggregate. With DISTINCT, values are deduplicated by {@link groupingKey}
 * (equivalence: `1` and `1.0` are one value) before they reach the aggregate.
 *
 * Memory is bounded: `collect`, DISTINCT sets and percentile buffers refuse to hold more than
 * their limit (GeodeError 'LIMIT_EXCEEDED').
 */
import type { Value } from '../graph/index.ts';
import { INT64_MAX, INT64_MIN } from '../graph/index.ts';
import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';
import { distinctItemsMax, listItemsMax } from './functions/constants.ts';
import { groupingKey, orderCompare, typeName } from './value-ops.ts';

/** One running aggregate. `add` may throw GeodeError; `result` is read once, after the last `add`. */
export interface Aggregator {
  /** Feeds one row: `args` are the evaluated arguments (`count(*)` passes none). The caller may reuse the array after `add` returns: never keep it. */
  add(args: readonly Value[]): void;
  result(): Value;
}

const AGGREGATES: ReadonlySet<string> = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'collect',
  'percentiledisc',
  'percentilecont',
  'stdev',
  'stdevp',
]);

/** True when `name` (any case) is an aggregate function. */
export function isAggregateFunction(name: string): boolean {
  return AGGREGATES.has(name.toLowerCase());
}

/**
 * A fresh aggregator for `name` (any case). `count` with no arguments counts rows (`count(*)`).
 * `distinct` deduplicates the first argument. Asserts that `name` is an aggregate (check with
 * {@link isAggregateFunction} first).
 */
export function createAggregator(name: string, distinct: boolean): Aggregator {
  const inner = createInner(name.toLowerCase());
  return distinct ? new DistinctAggregator(inner) : inner;
}

function createInner(name: string): Aggregator {
  switch (name) {
    case 'count':
      return new CountAggregator();
    case 'sum':
      return new SumAggregator();
    case 'avg':
      return new AvgAggregator();
    case 'min':
      return new ExtremeAggregator(-1);
    case 'max':
      return new ExtremeAggregator(1);
    case 'collect':
      return new CollectAggregator();
    case 'percentiledisc':
      return new PercentileAggregator(false);
    case 'percentilecont':
      return new PercentileAggregator(true);
    case 'stdev':
      return new StDevAggregator(true);
    case 'stdevp':
      return new StDevAggregator(false);
    default:
      assert(false, `createAggregator: '${name}' is not an aggregate function`);
  }
}

function typeError(fn: string, v: Value): GeodeError {
  return new GeodeError('GQL_TYPE', `${fn}() expects numbers, got ${typeName(v)}`, { detail: 'InvalidArgumentType' });
}

function tooMany(fn: string, limit: number): GeodeError {
  return new GeodeError('LIMIT_EXCEEDED', `${fn}() would hold more than ${limit} values`);
}

/** Passes on a row only the first time its first argument's grouping key is seen; nulls pass (the inner aggregate ignores them). */
class DistinctAggregator implements Aggregator {
  private readonly seen = new Set<unknown>();
  constructor(private readonly inner: Aggregator) {}

  add(args: readonly Value[]): void {
    const v = args[0];
    if (v === undefined || v === null) return;
    const key = groupingKey(v);
    if (this.seen.has(key)) return;
    if (this.seen.size >= distinctItemsMax) throw tooMany('DISTINCT', distinctItemsMax);
    this.seen.add(key);
    this.inner.add(args);
  }

  result(): Value {
    return this.inner.result();
  }
}

class CountAggregator implements Aggregator {
  private n = 0;
  add(args: readonly Value[]): void {
    if (args.length === 0 || (args[0] !== null && args[0] !== undefined)) this.n++;
  }
  result(): Value {
    return BigInt(this.n);
  }
}

/** sum: integers stay integers (exact, overflow is GQL_OVERFLOW); any float makes the result a float; empty is 0. */
class SumAggregator implements Aggregator {
  private int = 0n;
  private float = 0;
  private sawFloat = false;

  add(args: readonly Value[]): void {
    const v = args[0] ?? null;
    if (v === null) return;
    if (typeof v === 'bigint') {
      const s = this.int + v;
      if (s > INT64_MAX || s < INT64_MIN) {
        throw new GeodeError('GQL_OVERFLOW', `sum() overflows 64-bit integers`, { detail: 'IntegerOverflow' });
      }
      this.int = s;
    } else if (typeof v === 'number') {
      this.float += v;
      this.sawFloat = true;
    } else {
      throw typeError('sum', v);
    }
  }

  result(): Value {
    return this.sawFloat ? Number(this.int) + this.float : this.int;
  }
}

/** avg: a float (integers are summed exactly first); null when there was no value. */
class AvgAggregator implements Aggregator {
  private int = 0n;
  private float = 0;
  private n = 0;

  add(args: readonly Value[]): void {
    const v = args[0] ?? null;
    if (v === null) return;
    if (typeof v === 'bigint') this.int += v;
    else if (typeof v === 'number') this.float += v;
    else throw typeError('avg', v);
    this.n++;
  }

  result(): Value {
    if (this.n === 0) return null;
    return (Number(this.int) + this.float) / this.n;
  }
}

/** min (sign -1) / max (sign 1) by the ORDER BY order across types; null when there was no value. */
class ExtremeAggregator implements Aggregator {
  private best: Value = null;
  constructor(private readonly sign: 1 | -1) {}

  add(args: readonly Value[]): void {
    const v = args[0] ?? null;
    if (v === null) return;
    if (this.best === null || orderCompare(v, this.best) * this.sign > 0) this.best = v;
  }

  result(): Value {
    return this.best;
  }
}

class CollectAggregator implements Aggregator {
  private readonly items: Value[] = [];
  add(args: readonly Value[]): void {
    const v = args[0] ?? null;
    if (v === null) return;
    if (this.items.length >= listItemsMax) throw tooMany('collect', listItemsMax);
    this.items.push(v);
  }
  result(): Value {
    return this.items;
  }
}

/**
 * percentileDisc (a value of the input, nearest-rank) and percentileCont (linear interpolation,
 * a float). The second argument is the percentile in [0, 1], else GQL_ARGUMENT NumberOutOfRange.
 */
class PercentileAggregator implements Aggregator {
  private readonly values: (bigint | number)[] = [];
  private percentile = 0;
  constructor(private readonly continuous: boolean) {}

  private get fnName(): string {
    return this.continuous ? 'percentileCont' : 'percentileDisc';
  }

  add(args: readonly Value[]): void {
    const p = args[1] ?? null;
    if (typeof p !== 'number' && typeof p !== 'bigint') {
      throw new GeodeError('GQL_TYPE', `${this.fnName}() expects a number percentile, got ${typeName(p)}`, {
        detail: 'InvalidArgumentType',
      });
    }
    const pf = Number(p);
    if (!(pf >= 0 && pf <= 1)) {
      throw new GeodeError('GQL_ARGUMENT', `${this.fnName}(): percentile ${pf} is not between 0.0 and 1.0`, {
        detail: 'NumberOutOfRange',
      });
    }
    this.percentile = pf;
    const v = args[0] ?? null;
    if (v === null) return;
    if (typeof v !== 'bigint' && typeof v !== 'number') throw typeError(this.fnName, v);
    if (this.values.length >= listItemsMax) throw tooMany(this.fnName, listItemsMax);
    this.values.push(v);
  }

  result(): Value {
    const n = this.values.length;
    if (n === 0) return null;
    const sorted = this.values.slice().sort(orderCompare);
    const p = this.percentile;
    if (!this.continuous) {
      const f = p * n;
      const i = Math.trunc(f);
      const idx = f !== i || i === 0 ? i : i - 1;
      return sorted[Math.min(idx, n - 1)] as bigint | number;
    }
    const f = p * (n - 1);
    const lo = Math.floor(f);
    const hi = Math.ceil(f);
    const a = Number(sorted[lo]);
    if (lo === hi || lo === n - 1) return a;
    const b = Number(sorted[hi]);
    return a * (hi - f) + b * (f - lo);
  }
}

/** stDev (sample, n - 1) and stDevP (population, n), by Welford's method; 0.0 for fewer than two (one) values. */
class StDevAggregator implements Aggregator {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  constructor(private readonly sample: boolean) {}

  add(args: readonly Value[]): void {
    const v = args[0] ?? null;
    if (v === null) return;
    if (typeof v !== 'bigint' && typeof v !== 'number') throw typeError(this.sample ? 'stDev' : 'stDevP', v);
    const x = Number(v);
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }

  result(): Value {
    const div = this.sample ? this.n - 1 : this.n;
    if (div <= 0) return 0;
    return Math.sqrt(this.m2 / div);
  }
}
