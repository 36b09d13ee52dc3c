/**
 * Fuses a label scan (plain, or with one property comparison read from the column) and the
 * aggregation right after it into one counting operator when the aggregation has no grouping
 * keys and only `count(*)` aggregates (see exec/column-count.ts).
 */
import { CountScanPipe, type CountSource } from '../exec/column-count.ts';
import type { Eval } from '../exec/context.ts';
import { op, type PlanOp } from './ops.ts';

/** The aggregates as the projection planner lists them. */
interface CountSpec {
  readonly name: string;
  readonly distinct: boolean;
  readonly args: readonly Eval[];
  readonly slot: number;
}

/**
 * The fused operator replacing the last of `ops` (a label scan) and the aggregation, or
 * undefined when the shape differs: grouping keys, another aggregate, `count(x)`, DISTINCT,
 * or anything but a fusable scan right before.
 */
export function fuseCount(ops: readonly PlanOp[], keyCount: number, specs: readonly CountSpec[], width: () => number): PlanOp | undefined {
  const last = ops[ops.length - 1];
  if (last === undefined || keyCount !== 0 || specs.length === 0) return undefined;
  for (const s of specs) if (s.name.toLowerCase() !== 'count' || s.distinct || s.args.length !== 0) return undefined;
  let source: CountSource;
  let detail: string;
  if (last.columnFilter !== undefined) {
    const f = last.columnFilter;
    source = { kind: 'column', label: f.label, key: f.key, op: f.op, value: f.value };
    detail = `${last.detail}, count(*)`;
  } else if (last.labelScan !== undefined) {
    source = { kind: 'label', label: last.labelScan.label };
    detail = `${last.detail}, count(*)`;
  } else return undefined;
  const slots = specs.map((s) => s.slot);
  return op(source.kind === 'column' ? 'NodeByLabelColumnCount' : 'NodeByLabelCount', detail, (next) => new CountScanPipe(next, source, slots, width));
}
