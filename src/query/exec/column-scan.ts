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
import { checkRows, spendWork, type Eval, type ExecContext, type Pipe, type Row } from './context.ts';
import { groupingKey } from '../value-ops.ts';
import { compareOp } from './expr.ts';

/** Comparisons the fused scan takes; the property is on the left. */
export type ColumnComparison = '=' | '<' | '<=' | '>' | '>=';

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** The value as an exact double, or undefined when a double cannot hold it exactly. */
function exactDouble(v: Value): number | undefined {
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
    const { values } = ctx.store.propertyColumn(this.label, this.key);
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
