/**
 * The run-time state of one statement execution, and the shapes every operator shares:
 * rows are slot arrays (variable → slot fixed at plan time), mutated in place along a
 * pipeline; an operator that keeps a row (sort, eager, results) copies it.
 */
import type { GraphCommand } from '../../graph/index.ts';
import type { NodeRecord } from '../../graph/index.ts';
import type { Value } from '../../graph/index.ts';
import { GeodeError } from '../../util/errors.ts';
import type { FunctionContext } from '../functions/index.ts';
import type { EngineStore } from '../store.ts';
import type { Params } from '../types.ts';
import type { ProcedureRegistry } from '../procedures/registry.ts';
import { queryRowsMax } from '../constants.ts';
import { assert } from '../../util/assert.ts';

export type Row = Value[];

export interface ExecContext {
  readonly store: EngineStore;
  readonly params: Params;
  readonly fn: FunctionContext;
  readonly procedures: ProcedureRegistry;
  /** Commands applied so far, in order. */
  readonly commands: GraphCommand[];
  /**
   * One entry per applied command, in apply order: the commands that undo it, or, for a
   * create, the store's next id before it (the undo, a delete by id, is derived on rollback:
   * a bulk load then keeps one object per created entity, not three).
   */
  readonly undo: UndoEntry[];
  /** Nodes a non-DETACH DELETE could not delete yet because edges remained; checked at the end. */
  readonly pendingDeletes: Set<NodeRecord>;
  /** Subquery nesting depth at run time. */
  depth: number;
  /** Rows and expansion steps left before the next deadline check (see {@link spendWork}). */
  workLeft: number;
  /** The time limit of this statement, if any: `now()` past `deadline` stops it. */
  readonly deadline: Deadline | undefined;
}

/** A statement's time limit; the clock is the shell's, the engine itself reads none. */
export interface Deadline {
  readonly at: number;
  readonly timeoutMs: number;
  readonly now: () => number;
}

/** Work units between two looks at the clock: small enough to stop within a few ms, large enough to cost nothing. */
export const WORK_CHECK_INTERVAL = 4096;

/**
 * Counts one unit of work (a scanned row, an expanded edge). Every {@link WORK_CHECK_INTERVAL}
 * units it checks the deadline and stops the statement with LIMIT_EXCEEDED (detail
 * `QueryTimeout`) once it is past: a runaway pattern cannot hang the peer.
 */
export function spendWork(ctx: ExecContext): void {
  if (--ctx.workLeft > 0) return;
  ctx.workLeft = WORK_CHECK_INTERVAL;
  const d = ctx.deadline;
  if (d !== undefined && d.now() > d.at) {
    throw new GeodeError('LIMIT_EXCEEDED', `the query ran longer than its time limit of ${d.timeoutMs} ms`, {
      detail: 'QueryTimeout',
    });
  }
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

/** How to undo one applied command: see {@link ExecContext.undo}. */
export type UndoEntry = readonly GraphCommand[] | number;

/** Applies a write command to the store, recording it and its undo. */
export function applyCommand(ctx: ExecContext, command: GraphCommand): void {
  if (command.op === 'createNode' || command.op === 'createEdge') {
    const nextBefore = command.op === 'createNode' ? ctx.store.peekNextNodeId() : ctx.store.peekNextEdgeId();
    ctx.store.applyWithoutUndo(command);
    ctx.commands.push(command);
    ctx.undo.push(nextBefore);
    return;
  }
  const undo = ctx.store.apply(command);
  ctx.commands.push(command);
  ctx.undo.push(undo);
}

/** Undoes every applied command, newest first, leaving the store as before the statement. */
export function rollbackCommands(store: EngineStore, commands: readonly GraphCommand[], undo: readonly UndoEntry[]): void {
  assert(commands.length === undo.length, `rollback: ${commands.length} commands but ${undo.length} undo entries`);
  for (let i = undo.length - 1; i >= 0; i--) {
    const entry = undo[i]!;
    if (typeof entry !== 'number') {
      for (const cmd of entry) store.apply(cmd);
      continue;
    }
    const c = commands[i]!;
    assert(c.op === 'createNode' || c.op === 'createEdge', `rollback: a derived undo for a ${c.op} command`);
    const rewind = c.id >= entry ? { rewindNextId: entry } : {};
    store.apply(c.op === 'createNode' ? { op: 'deleteNode', id: c.id, ...rewind } : { op: 'deleteEdge', id: c.id, ...rewind });
  }
}

/** LIMIT_EXCEEDED when a breaker holds more rows than {@link queryRowsMax}. */
export function checkRows(n: number, what: string): void {
  if (n > queryRowsMax) {
    throw new GeodeError('LIMIT_EXCEEDED', `${what} holds more than ${queryRowsMax} rows`);
  }
}
