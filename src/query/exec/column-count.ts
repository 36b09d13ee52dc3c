/**
 * Counting without rows: `MATCH (n:L) WHERE n.k > $v RETURN count(*)` and
 * `MATCH (n:L) RETURN count(*)`, chosen by the planner (see plan/fuse-count.ts) when a label
 * scan, with or without one fused property comparison, feeds straight into an aggregation
 * with no grouping keys whose aggregates are all `count(*)`.
 *
 * The filtered count runs one tight loop over the store's property column (unboxed doubles
 * compared against the bound, no row, no per-node property lookup); entries that are not exact
 * doubles take the generic comparison, so the count equals that of a NodeByLabelScan, a Filter
 * and an Aggregation. Each input row adds to the count (as an aggregation would, once per
 * matching node per input row); `finish` emits the one row, 0 when nothing matched.
 */
import { COLUMN_NUMBER, COLUMN_OTHER, type PropertyColumn } from '../../graph/index.ts';
import type { Value } from '../../graph/index.ts';
import { spendWork, WORK_CHECK_INTERVAL, type Eval, type ExecContext, type Pipe, type Row } from './context.ts';
import { exactDouble, type ColumnComparison } from './column-scan.ts';
import { compareOp } from './expr.ts';

/** What is counted per input row. */
export type CountSource =
  | { readonly kind: 'label'; readonly label: string }
  | { readonly kind: 'column'; readonly label: string; readonly key: string; readonly op: ColumnComparison; readonly value: Eval };

export class CountScanPipe implements Pipe {
  #count = 0;

  constructor(
    private readonly next: Pipe,
    private readonly source: CountSource,
    private readonly countSlots: readonly number[],
    private readonly width: () => number,
  ) {}

  start(ctx: ExecContext): void {
    this.#count = 0;
    this.next.start(ctx);
  }

  push(row: Row, ctx: ExecContext): boolean {
    const s = this.source;
    if (s.kind === 'label') {
      spendWork(ctx);
      this.#count += ctx.store.labelCount(s.label);
      return true;
    }
    const bound = s.value(row, ctx);
    if (bound === null) return true; // `x < null` is null for every x: nothing counts
    this.#count += countColumn(ctx, ctx.store.propertyColumn(s.label, s.key), s.op, bound);
    return true;
  }

  finish(ctx: ExecContext): void {
    const row = new Array<Value>(this.width()).fill(null);
    const n = BigInt(this.#count);
    for (const slot of this.countSlots) row[slot] = n;
    this.#count = 0;
    this.next.push(row, ctx);
    this.next.finish(ctx);
  }
}

/** Entries of `column` whose value compares `op` to `bound` as true; spends one work unit per entry. */
export function countColumn(ctx: ExecContext, column: PropertyColumn, op: ColumnComparison, bound: Value): number {
  const { kinds, nums, values } = column;
  const target = exactDouble(bound);
  const n = kinds.length;
  let count = 0;
  for (let start = 0; start < n; start += WORK_CHECK_INTERVAL) {
    const end = Math.min(n, start + WORK_CHECK_INTERVAL);
    count += target === undefined ? countGeneric(kinds, values, op, bound, start, end) : countNumbers(kinds, nums, values, op, target, bound, start, end);
    // One deadline look per chunk, as one unit of work per entry would give.
    ctx.workLeft -= end - start - 1;
    spendWork(ctx);
  }
  return count;
}

/** Entries in [start, end) compared generically (the bound is no exact double). */
function countGeneric(kinds: Uint8Array, values: readonly Value[], op: ColumnComparison, bound: Value, start: number, end: number): number {
  let c = 0;
  for (let i = start; i < end; i++) if (kinds[i] !== 0 && compareOp(op, values[i]!, bound) === true) c++;
  return c;
}

/**
 * Entries in [start, end) against an exact double: unboxed comparisons for number entries, the
 * generic one for the rest (strings, lists, ... compare to a number as null or false, but the
 * generic rule decides). One loop per operator keeps the loop body free of a switch.
 */
function countNumbers(
  kinds: Uint8Array,
  nums: Float64Array,
  values: readonly Value[],
  op: ColumnComparison,
  t: number,
  bound: Value,
  start: number,
  end: number,
): number {
  let c = 0;
  let others = false;
  switch (op) {
    case '>':
      for (let i = start; i < end; i++) {
        const k = kinds[i]!;
        if (k === COLUMN_NUMBER) c += nums[i]! > t ? 1 : 0;
        else others ||= k === COLUMN_OTHER;
      }
      break;
    case '>=':
      for (let i = start; i < end; i++) {
        const k = kinds[i]!;
        if (k === COLUMN_NUMBER) c += nums[i]! >= t ? 1 : 0;
        else others ||= k === COLUMN_OTHER;
      }
      break;
    case '<':
      for (let i = start; i < end; i++) {
        const k = kinds[i]!;
        if (k === COLUMN_NUMBER) c += nums[i]! < t ? 1 : 0;
        else others ||= k === COLUMN_OTHER;
      }
      break;
    case '<=':
      for (let i = start; i < end; i++) {
        const k = kinds[i]!;
        if (k === COLUMN_NUMBER) c += nums[i]! <= t ? 1 : 0;
        else others ||= k === COLUMN_OTHER;
      }
      break;
    case '=':
      for (let i = start; i < end; i++) {
        const k = kinds[i]!;
        if (k === COLUMN_NUMBER) c += nums[i]! === t ? 1 : 0;
        else others ||= k === COLUMN_OTHER;
      }
      break;
  }
  if (others) {
    for (let i = start; i < end; i++) if (kinds[i] === COLUMN_OTHER && compareOp(op, values[i]!, bound) === true) c++;
  }
  return c;
}
