/**
 * ColumnFilterScanPipe: a label scan fused with one comparison of a property against a value
 * fixed for the scan (`MATCH (p:Person) WHERE p.age > $min`). It reads the store's columnar
 * snapshot of the property, so the common case compares unboxed doubles with no per-row
 * property lookup; entries that are not exact doubles, and every entry once the store has
 * changed under the scan, take the generic comparison on the live node. Results equal a
 * NodeByLabelScan followed by a Filter (a property test compares the two).
 */
import { COLUMN_NUMBER, type NodeRecord, type PropertyColumn } from '../../graph/index.ts';
import type { Value } from '../../graph/index.ts';
import { PassPipe } from '../plan/ops.ts';
import { checkRows, spendWork, WORK_CHECK_INTERVAL, type Eval, type ExecContext, type Pipe, type Row } from './context.ts';
import { queryRowsMax } from '../constants.ts';
import { groupingKey } from '../value-ops.ts';
import { compareOp } from './expr.ts';

/** Comparisons the fused scan takes; the property is on the left. */
export type ColumnComparison = '=' | '<' | '<=' | '>' | '>=';

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** The value as an exact double, or undefined when a double cannot hold it exactly. */
export function exactDouble(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' && v <= SAFE_MAX && v >= -SAFE_MAX) return Number(v);
  return undefined;
}

function compareDoubles(op: ColumnComparison, a: number, b: number): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

export class ColumnFilterScanPipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly slot: number,
    private readonly label: string,
    private readonly key: string,
    private readonly op: ColumnComparison,
    private readonly value: Eval,
  ) {
    super(next);
  }

  push(row: Row, ctx: ExecContext): boolean {
    const bound = this.value(row, ctx);
    if (bound === null) return true; // `x < null` is null for every x: no row passes
    const column = ctx.store.propertyColumn(this.label, this.key);
    const target = exactDouble(bound);
    const { nodes, kinds, nums, values } = column;
    const op = this.op;
    const slot = this.slot;
    const next = this.next;
    for (let i = 0; i < nodes.length; i++) {
      spendWork(ctx);
      let pass: boolean;
      if (ctx.store.version !== column.version) {
        // The pipeline wrote since the column was built: judge the live node.
        const n = nodes[i]!;
        if (n.deleted) continue;
        pass = this.#generic(n, bound);
      } else if (target !== undefined && kinds[i] === COLUMN_NUMBER) {
        pass = compareDoubles(op, nums[i]!, target);
      } else {
        const v = values[i]!;
        pass = v !== null && compareOp(op, v, bound) === true;
      }
      if (!pass) continue;
      row[slot] = nodes[i]!;
      if (!next.push(row, ctx)) return false;
    }
    return true;
  }

  #generic(n: NodeRecord, bound: Value): boolean {
    const v = n.props.get(this.key);
    return v !== undefined && compareOp(this.op, v, bound) === true;
  }
}

export type { PropertyColumn };

/**
 * GroupCountScanPipe: `MATCH (n:L) RETURN n.k, count(*)` as one loop over the property column
 * of (L, k): each input row adds the label's nodes to their groups (by grouping key, so 1 and
 * 1.0 share a group and nulls form one), and `finish` emits one row per group. Equal to a
 * NodeByLabelScan followed by a GroupAggregation (a property test compares the two).
 */
export class GroupCountScanPipe implements Pipe {
  #groups = new Map<unknown, { value: Value; count: number }>();

  constructor(
    private readonly next: Pipe,
    private readonly label: string,
    private readonly key: string,
    private readonly keySlot: number,
    private readonly countSlots: readonly number[],
    private readonly width: () => number,
  ) {}

  start(ctx: ExecContext): void {
    this.#groups = new Map();
    this.next.start(ctx);
  }

  push(_row: Row, ctx: ExecContext): boolean {
    const column = ctx.store.propertyColumn(this.label, this.key);
    const codes = groupCodes(column);
    if (codes !== undefined) {
      this.#addCoded(codes, ctx);
      return true;
    }
    const { values } = column;
    const groups = this.#groups;
    for (let i = 0; i < values.length; i++) {
      spendWork(ctx);
      const v = values[i]!;
      const k = groupingKey(v);
      const g = groups.get(k);
      if (g !== undefined) g.count++;
      else {
        groups.set(k, { value: v, count: 1 });
        checkRows(groups.size, 'aggregation');
      }
    }
    return true;
  }

  /** Adds a dictionary-coded column: a histogram of small integers, merged in first-seen order. */
  #addCoded(coded: GroupCodes, ctx: ExecContext): void {
    const { codes, values, keys } = coded;
    const counts = new Float64Array(keys.length);
    for (let start = 0; start < codes.length; start += WORK_CHECK_INTERVAL) {
      const end = Math.min(codes.length, start + WORK_CHECK_INTERVAL);
      for (let i = start; i < end; i++) counts[codes[i]!]!++;
      ctx.workLeft -= end - start - 1;
      spendWork(ctx);
    }
    const groups = this.#groups;
    for (let c = 0; c < keys.length; c++) {
      const g = groups.get(keys[c]);
      if (g !== undefined) g.count += counts[c]!;
      else {
        groups.set(keys[c], { value: values[c]!, count: counts[c]! });
        checkRows(groups.size, 'aggregation');
      }
    }
  }

  finish(ctx: ExecContext): void {
    const width = this.width();
    for (const g of this.#groups.values()) {
      const row = new Array<Value>(width).fill(null);
      row[this.keySlot] = g.value;
      for (const s of this.countSlots) row[s] = BigInt(g.count);
      if (!this.next.push(row, ctx)) break;
    }
    this.#groups = new Map();
    this.next.finish(ctx);
  }
}

/**
 * A column's values as small integers, one per grouping key (1 and 1.0 share one, nulls form
 * one), numbered in first-seen order: `values[c]` is the first value seen with code c and
 * `keys[c]` its grouping key.
 */
interface GroupCodes {
  readonly codes: Int32Array;
  readonly values: readonly Value[];
  readonly keys: readonly unknown[];
}

/** Codes are worth keeping while the distinct keys are at most this share of the entries. */
const GROUP_CODES_MAX_SHARE = 0.5;

/** Coded columns, kept as long as the column itself (a column is replaced on any write). */
const codedColumns = new WeakMap<PropertyColumn, GroupCodes | null>();

/**
 * The dictionary coding of `column` (built on first use), or undefined when the column has too
 * many distinct keys for coding to pay (then the caller groups value by value).
 */
function groupCodes(column: PropertyColumn): GroupCodes | undefined {
  const known = codedColumns.get(column);
  if (known !== undefined) return known ?? undefined;
  const { values } = column;
  const limit = Math.min(queryRowsMax, Math.max(16, Math.floor(values.length * GROUP_CODES_MAX_SHARE)));
  const codes = new Int32Array(values.length);
  const byKey = new Map<unknown, number>();
  const firstValues: Value[] = [];
  const keys: unknown[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const k = groupingKey(v);
    let c = byKey.get(k);
    if (c === undefined) {
      if (keys.length >= limit) {
        codedColumns.set(column, null);
        return undefined;
      }
      c = keys.length;
      byKey.set(k, c);
      keys.push(k);
      firstValues.push(v);
    }
    codes[i] = c;
  }
  const coded: GroupCodes = { codes, values: firstValues, keys };
  codedColumns.set(column, coded);
  return coded;
}
