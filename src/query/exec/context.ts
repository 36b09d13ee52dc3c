/**
 * The run-time state of one statement execution, and the shapes every operator shares:
 * rows are slot arrays (variable → slot fixed at plan time), mutated in place along a
 * pipeline; an operator that keeps a row (sort, eager, results) copies it.
 */
import type { GraphCommand } from '../../graph/types.ts';
import type { NodeRecord } from '../../graph/records.ts';
import type { Value } from '../../graph/values.ts';
import { GeodeError } from '../../util/errors.ts';
import type { FunctionContext } from '../functions/index.ts';
import type { EngineStore } from '../store.ts';
import type { Params } from '../types.ts';
import type { ProcedureRegistry } from '../procedures/registry.ts';
import { queryRowsMax } from '../constants.ts';

export type Row = Value[];

export interface ExecContext {
  readonly store: EngineStore;
  readonly params: Params;
  readonly fn: FunctionContext;
  readonly procedures: ProcedureRegistry;
  /** Commands applied so far, in order. */
  readonly commands: GraphCommand[];
  /** Undo command lists, one per applied command, in apply order. */
  readonly undo: GraphCommand[][];
  /** Nodes a non-DETACH DELETE could not delete yet because edges remained; checked at the end. */
  readonly pendingDeletes: Set<NodeRecord>;
  /** Subquery nesting depth at run time. */
  depth: number;
}

/** A compiled expression. */
export type Eval = (row: Row, ctx: ExecContext) => Value;

/**
 * A push operator. `start` before the first row, `push` per row (returns false when no more
 * rows are wanted), `finish` after the last; both propagate downstream.
 */
export interface Pipe {
  start(ctx: ExecContext): void;
  push(row: Row, ctx: ExecContext): boolean;
  finish(ctx: ExecContext): void;
}

/** Applies a write command to the store, recording it and its undo. */
export function applyCommand(ctx: ExecContext, command: GraphCommand): void {
  const undo = ctx.store.apply(command);
  ctx.commands.push(command);
  ctx.undo.push(undo);
}

/** LIMIT_EXCEEDED when a breaker holds more rows than {@link queryRowsMax}. */
export function checkRows(n: number, what: string): void {
  if (n > queryRowsMax) {
    throw new GeodeError('LIMIT_EXCEEDED', `${what} holds more than ${queryRowsMax} rows`);
  }
}
