/**
 * Plan operators: kind-tagged, immutable once built, each knowing how to describe itself
 * (EXPLAIN) and how to build its push operator in front of a downstream one. A pipeline is a
 * list of operators applied in order to the rows flowing from an argument row.
 */
import type { Eval, ExecContext, Pipe, Row } from '../exec/context.ts';
import type { ColumnComparison } from '../exec/column-scan.ts';

export interface PlanOp {
  /** Operator name as EXPLAIN shows it, e.g. `NodeIndexSeek`. */
  readonly kind: string;
  /** One-line detail, e.g. `(p:Person {id: $id})`. */
  readonly detail: string;
  /** Nested pipelines shown indented (optional match, subqueries, union parts). */
  readonly children?: readonly Pipeline[];
  /** Set on a plain label scan, so a following aggregation may fuse with it. */
  readonly labelScan?: { readonly variable: string; readonly slot: number; readonly label: string };
  /** Set on a label scan fused with a property comparison, so a following `count(*)` may fuse with it. */
  readonly columnFilter?: ColumnFilterSpec;
  build(next: Pipe): Pipe;
}

/** `(variable:label) WHERE variable.key op value` read from the property column. */
export interface ColumnFilterSpec {
  readonly label: string;
  readonly key: string;
  readonly op: ColumnComparison;
  readonly value: Eval;
}

export type Pipeline = readonly PlanOp[];

/** Builds the pipes of `ops` in front of `terminal`; returns the first. */
export function buildPipeline(ops: Pipeline, terminal: Pipe): Pipe {
  let next = terminal;
  for (let i = ops.length - 1; i >= 0; i--) next = ops[i]!.build(next);
  return next;
}

/** A pipe that forwards start/finish; subclasses override push. */
export abstract class PassPipe implements Pipe {
  constructor(protected readonly next: Pipe) {}
  start(ctx: ExecContext): void {
    this.next.start(ctx);
  }
  abstract push(row: Row, ctx: ExecContext): boolean;
  finish(ctx: ExecContext): void {
    this.next.finish(ctx);
  }
}

/** A terminal that calls `onRow` for each row; `onRow` returns false to stop. */
export class CallbackPipe implements Pipe {
  onRow: (row: Row, ctx: ExecContext) => boolean;
  constructor(onRow: (row: Row, ctx: ExecContext) => boolean) {
    this.onRow = onRow;
  }
  start(): void {}
  push(row: Row, ctx: ExecContext): boolean {
    return this.onRow(row, ctx);
  }
  finish(): void {}
}

/** Simple op built from a detail and a pipe factory. */
export function op(kind: string, detail: string, build: (next: Pipe) => Pipe, children?: readonly Pipeline[]): PlanOp {
  return children === undefined ? { kind, detail, build } : { kind, detail, build, children };
}

/**
 * A pipeline compiled once, runnable many times for one input row each (subqueries, pattern
 * predicates, OPTIONAL MATCH bodies): `run(row, ctx, onRow)` streams the matching rows.
 */
export class SubPipeline {
  readonly #head: Pipe;
  readonly #terminal: CallbackPipe;
  #running = false;

  constructor(readonly ops: Pipeline) {
    this.#terminal = new CallbackPipe(() => true);
    this.#head = buildPipeline(ops, this.#terminal);
  }

  /** Streams the rows `ops` produce from `row` to `onRow` (false stops). Not re-entrant: nested use builds a fresh copy. */
  run(row: Row, ctx: ExecContext, onRow: (row: Row, ctx: ExecContext) => boolean): void {
    if (this.#running) {
      const fresh = new SubPipeline(this.ops);
      fresh.run(row, ctx, onRow);
      return;
    }
    this.#running = true;
    const saved = this.#terminal.onRow;
    this.#terminal.onRow = onRow;
    try {
      this.#head.start(ctx);
      this.#head.push(row, ctx);
      this.#head.finish(ctx);
    } finally {
      this.#terminal.onRow = saved;
      this.#running = false;
    }
  }
}
