/**
 * QueryEngine: text → (plan cache) → plan → streaming execution against a store. Writes are
 * applied as the query runs and undone if it fails, so a failed statement changes nothing.
 */
import { parse } from '../gql/index.ts';
import type { Statement } from '../gql/index.ts';
import type { GraphCommand } from '../graph/index.ts';
import type { Value } from '../graph/index.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import type { ExecContext, Pipe, Row, UndoEntry } from './exec/context.ts';
import { ResultPipe } from './exec/projection-ops.ts';
import { schemaCommand } from './exec/schema.ts';
import { finishPendingDeletes } from './exec/write-ops.ts';
import { rowKey } from './exec/projection-ops.ts';
import { explainLines } from './plan/explain.ts';
import { buildPipeline, type Pipeline } from './plan/ops.ts';
import { planQuery, type PlannedQuery } from './plan/query.ts';
import { PlanCache } from './plan-cache.ts';
import { builtinProcedures } from './procedures/builtins.ts';
import { ProcedureRegistry } from './procedures/registry.ts';
import { PlanState, Scope } from './semantic/scope.ts';
import type { EngineStore } from './store.ts';
import type { EngineResult, Params, ProcedureDefinition, RunOptions } from './types.ts';
import { checkRows, rollbackCommands, WORK_CHECK_INTERVAL } from './exec/context.ts';
import { isReadOnlyStatement } from './read-only.ts';

type Emit = (cells: Value[], ctx: ExecContext) => boolean;

interface CompiledQuery {
  readonly kind: 'query';
  readonly planned: PlannedQuery;
  /** One pipe chain per UNION part, ending in a ResultPipe that calls `sink.emit`. */
  readonly heads: readonly Pipe[];
  readonly sink: { emit: Emit };
  readonly params: readonly string[];
  readonly width: () => number;
  readonly explain: string | undefined;
  /** Whether the statement can change the graph (a write clause at any depth). */
  readonly writes: boolean;
  running: boolean;
}

interface CompiledSchema {
  readonly kind: 'schema';
  readonly statement: Statement;
  readonly explain: string | undefined;
}

type Compiled = CompiledQuery | CompiledSchema;

const NO_COMMANDS: readonly GraphCommand[] = [];
const noRollback = (): void => {};

export class QueryEngine {
  readonly #store: EngineStore;
  readonly #procedures = new ProcedureRegistry();
  readonly #cache = new PlanCache<Compiled>();
  readonly #fn: { graph: EngineStore; random(): number };

  constructor(store: EngineStore) {
    this.#store = store;
    this.#fn = { graph: store, random: Math.random };
    for (const p of builtinProcedures) this.#procedures.register(p);
  }

  /** Adds a procedure callable with CALL; a taken name is refused. Cached plans are dropped. */
  registerProcedure(def: ProcedureDefinition): void {
    this.#procedures.register(def);
    this.#cache.clear();
  }

  /** Drops every cached plan (call after schema changes made outside this engine). */
  invalidatePlans(): void {
    this.#cache.clear();
  }

    /**
   * Runs one statement. With `options.timeoutMs` and `options.now` (the shell's clock), a
   * statement still running after that many ms stops with LIMIT_EXCEEDED (`QueryTimeout`) and
   * is rolled back like any failed statement.
   */
  run(text: string, params: Params, options: RunOptions = {}): EngineResult {
    let compiled = this.#cache.get(text);
    if (compiled === undefined || (compiled.kind === 'query' && compiled.running)) {
      compiled = this.#compile(text);
      if (this.#cache.get(text) === undefined) this.#cache.set(text, compiled);
    }
    if (compiled.explain !== undefined) {
      const lines = compiled.explain.split('\n');
      return { columns: ['plan'], rows: lines.map((l) => [l]), commands: NO_COMMANDS, rollback: noRollback, plan: compiled.explain };
    }
    if (options.readOnly === true && (compiled.kind === 'schema' || compiled.writes)) {
      throw new GeodeError('INPUT_INVALID', 'a READ ONLY transaction cannot run a statement that writes (start it READ WRITE)', {
        source: 'query',
        detail: 'ReadOnlyTransaction',
      });
    }
    if (compiled.kind === 'schema') return this.#runSchema(compiled.statement);
    return this.#runQuery(compiled, text, params, options);
  }

  #compile(text: string): Compiled {
    const stmt = guard(() => parse(text));
    const body = stmt.body;
    if (body.kind !== 'Query') {
      const explain = stmt.explain ? `SchemaCommand ${body.kind}` : undefined;
      return { kind: 'schema', statement: stmt, explain };
    }
    const st = new PlanState(text, this.#store, this.#procedures);
    const planned = guard(() => planQuery(body, new Scope(), st, 'top'));
    const sink: { emit: Emit } = { emit: () => true };
    const heads = planned.parts.map((p) => buildPipeline(p.ops as Pipeline, new ResultPipe(p.slots, (c, x) => sink.emit(c, x))));
    const explain = stmt.explain || stmt.profile ? explainLines(planned).join('\n') : undefined;
    const writes = !isReadOnlyStatement(stmt);
    return { kind: 'query', planned, heads, sink, params: [...st.params], width: () => st.slotCount, explain, writes, running: false };
  }

  #runSchema(stmt: Statement): EngineResult {
    const cmd = schemaCommand(stmt.body as Exclude<Statement['body'], { kind: 'Query' }>, this.#store);
    const commands: GraphCommand[] = [];
    let undo: GraphCommand[] = [];
    if (cmd !== undefined) {
      undo = this.#store.apply(cmd);
      commands.push(cmd);
    }
    this.#cache.clear();
    const rollback = (): void => {
      for (const u of undo) this.#store.apply(u);
      this.#cache.clear();
    };
    return { columns: [], rows: [], commands, rollback, plan: undefined };
  }

  #runQuery(c: CompiledQuery, text: string, params: Params, options: RunOptions): EngineResult {
    for (const name of c.params) {
      if (!Object.prototype.hasOwnProperty.call(params, name)) {
        throw new GeodeError('GQL_PARAMETER_MISSING', `parameter $${name} was not given`, { detail: 'MissingParameter', source: 'query' });
      }
    }
    const ctx: ExecContext = {
      store: this.#store,
      params,
      fn: this.#fn,
      procedures: this.#procedures,
      commands: [],
      undo: [],
      pendingDeletes: new Set(),
      depth: 0,
      workLeft: WORK_CHECK_INTERVAL,
      deadline:
        options.timeoutMs === undefined || options.now === undefined
          ? undefined
          : { at: options.now() + options.timeoutMs, timeoutMs: options.timeoutMs, now: options.now },
    };
    const rows: Value[][] = [];
    const seen = c.planned.unionAll || c.heads.length === 1 ? undefined : new Set<unknown>();
    const all = seen === undefined ? undefined : c.planned.columns.map((_, i) => i);
    const returns = c.planned.columns.length > 0;
    c.sink.emit = (cells) => {
      if (!returns) return true;
      if (seen !== undefined) {
        const k = rowKey(cells, all!);
        if (seen.has(k)) return true;
        seen.add(k);
      }
      rows.push(cells);
      checkRows(rows.length, 'the result');
      return true;
    };
    c.running = true;
    try {
      const width = c.width();
      for (const head of c.heads) {
        const row: Row = new Array<Value>(width).fill(null);
        head.start(ctx);
        head.push(row, ctx);
        head.finish(ctx);
      }
      finishPendingDeletes(ctx);
    } catch (err) {
      rollbackCommands(this.#store, ctx.commands, ctx.undo);
      throw toGeodeError(err, text);
    } finally {
      c.running = false;
      c.sink.emit = () => true;
    }
    return { columns: c.planned.columns, rows, commands: ctx.commands, rollback: rollbackOf(this.#store, ctx.commands, ctx.undo), append: appendOf(ctx.commands, ctx.undo), plan: undefined };
  }
}

function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw toGeodeError(err, '');
  }
}

/** Stack overflows from pathological input become LIMIT_EXCEEDED; GeodeErrors and assertion failures pass through. */
function toGeodeError(err: unknown, _text: string): unknown {
  if (isGeodeError(err)) return err;
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return new GeodeError('LIMIT_EXCEEDED', 'the query is nested too deeply to evaluate', { cause: err });
  }
  return err;
}

/**
 * rollbackOf: the rollback of one statement's writes. A function of its own, so that the closure
 * holds only these three: a committed write's rollback stays in the group's MVCC history
 * (src/shard/mvcc-history.ts) for thousands of entries, and a closure made in `#runQuery` would
 * keep that run's whole context alive with it (parameters, rows, the execution context).
 */
function rollbackOf(store: EngineStore, commands: readonly GraphCommand[], undo: readonly UndoEntry[]): () => void {
  return () => rollbackCommands(store, commands, undo);
}

/** appendOf: a result's `append`: the command and its undo at the end of the lists `rollbackOf` reads. */
function appendOf(commands: GraphCommand[], undo: UndoEntry[]): (command: GraphCommand, undo: readonly GraphCommand[]) => void {
  return (command, u) => {
    commands.push(command);
    undo.push(u);
  };
}
