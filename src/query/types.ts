/**
 * The query layer's public contract.
 *
 * `QueryEngine.run(text, params)` parses (through a plan cache keyed by the text), plans, and
 * executes a statement against a {@link GraphStore}. Writes are turned into {@link GraphCommand}s
 * and applied to the store as the query runs (so later clauses read earlier writes); the
 * commands are returned so a replicated host can ship them. If the query fails, the engine
 * undoes what it applied and rethrows: a failed query leaves the store as it was.
 */
import type { GraphCommand } from '../graph/index.ts';
import type { Value } from '../graph/index.ts';

export interface EngineResult {
  /** Column names in order (aliases, or the item's text as written). */
  readonly columns: readonly string[];
  /** One array per row, cells in column order. Node/edge cells are live store records. */
  readonly rows: readonly (readonly Value[])[];
  /** The write commands the statement applied, in order; empty for a read-only statement. */
  readonly commands: readonly GraphCommand[];
  /**
   * Undoes the statement's writes, leaving the store as before it. Valid only until the next
   * write to the store (a host calls it when its writes could not be made durable).
   */
  readonly rollback: () => void;
  /**
   * append (writing statements only): records `command`, which the caller applied to the store
   * right after the statement and which returned `undo`, as part of the statement: `commands`
   * ends with it and `rollback` undoes it first. (A host's write hook adds its commands this
   * way instead of wrapping the rollback.)
   */
  readonly append?: (command: GraphCommand, undo: readonly GraphCommand[]) => void;
  /** For EXPLAIN: the plan as readable text (rows then hold one row per plan line). */
  readonly plan: string | undefined;
}

export type Params = Readonly<Record<string, Value>>;

/** Per-statement options of `QueryEngine.run`. */
export interface RunOptions {
  /** Stop the statement (LIMIT_EXCEEDED, detail `QueryTimeout`) once it has run this long. Needs `now`. */
  readonly timeoutMs?: number;
  /** The clock, in ms; the engine reads no clock of its own. */
  readonly now?: () => number;
  /**
   * Refuse a statement that can write (a write clause or a schema command) before it runs:
   * INPUT_INVALID, detail `ReadOnlyTransaction`. A READ ONLY transaction runs its statements so.
   */
  readonly readOnly?: boolean;
}

/** A procedure's output column. */
export interface ProcedureColumn {
  readonly name: string;
  readonly type: string;
}

/** A procedure callable with `CALL name(args) YIELD ...`. */
export interface ProcedureDefinition {
  /** Dotted name, matched case-insensitively, e.g. `db.labels`. */
  readonly name: string;
  readonly description: string;
  readonly inputs: readonly ProcedureColumn[];
  readonly outputs: readonly ProcedureColumn[];
  /** Rows as arrays in `outputs` order. May throw GeodeError. */
  readonly run: (args: readonly Value[], context: ProcedureContext) => Iterable<readonly Value[]>;
}

/** What a procedure can see. Later layers (cluster) extend what they put behind it. */
export interface ProcedureContext {
  readonly graph: import('../graph/types.ts').GraphReader;
}
