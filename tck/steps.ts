/**
 * Runs one expanded TCK scenario against a database opened through the public API.
 *
 * The engine is passed in as a module ({@link EngineModule}: `openGeode` and `isGeodeError`),
 * normally `src/index.ts`; tests of the runner itself may pass a small stand-in.
 *
 * Step semantics follow the TCK's README: Given opens a fresh in-memory database (and loads a
 * named graph), `having executed` runs setup queries (which must succeed), `When executing query`
 * runs the query under test and diffs the graph around it, `When executing control query` runs
 * a read-back query (side effects untouched), and the Then/And steps check result, side effects
 * or the error raised.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { GraphReader } from '../src/graph/index.ts';
import type { TckScenario, TckStep } from './gherkin-loader.ts';
import { compareTable, formatActual, type ActualResult } from './compare.ts';
import { parseTckValue, tckToPlain, type PlainValue } from './tck-values.ts';
import {
  compareSideEffects,
  diffSnapshots,
  noSideEffects,
  parseSideEffectsTable,
  snapshotGraph,
  type SideEffects,
} from './side-effects.ts';

/** What the runner needs of a database: the public `Geode` API, typed loosely enough for stand-ins. */
export interface TckDatabase {
  query(text: string, params?: Readonly<Record<string, unknown>>): Promise<ActualResult>;
  readonly graph: GraphReader;
  registerProcedure(definition: TckProcedureDefinition): void;
  close(): Promise<void>;
}

/** The shape of `ProcedureDefinition` (src/query/types.ts) as the runner builds it. */
export interface TckProcedureDefinition {
  readonly name: string;
  readonly description: string;
  readonly inputs: readonly { readonly name: string; readonly type: string }[];
  readonly outputs: readonly { readonly name: string; readonly type: string }[];
  readonly run: (args: readonly unknown[], context: unknown) => Iterable<readonly unknown[]>;
}

/** The engine module: `src/index.ts` or a stand-in with the same two exports. */
export interface EngineModule {
  openGeode(options?: { storage?: 'memory' }): Promise<TckDatabase>;
  isGeodeError(err: unknown, code?: string): boolean;
}

export interface ScenarioOutcome {
  readonly status: 'passed' | 'failed';
  /** Why it failed (one short line, or a few for a crash). */
  readonly reason?: string;
  /** Remarks that do not fail the scenario (e.g. an error detail other than the TCK's). */
  readonly notes?: readonly string[];
}

export interface ScenarioContext {
  /** The features folder the scenario came from (graphs are looked up beside it). */
  readonly featuresFolder: string;
}

/** Expected TCK error type → the GeodeError codes that satisfy it. */
export const ERROR_CODES: Readonly<Record<string, readonly string[]>> = {
  SyntaxError: ['GQL_SYNTAX', 'GQL_SEMANTIC'],
  SemanticError: ['GQL_SEMANTIC'],
  TypeError: ['GQL_TYPE'],
  ArgumentError: ['GQL_ARGUMENT', 'GQL_OVERFLOW'],
  EntityNotFound: ['ENTITY_NOT_FOUND'],
  ConstraintVerificationFailed: ['CONSTRAINT_VIOLATION'],
  ConstraintValidationFailed: ['CONSTRAINT_VIOLATION'],
  ProcedureError: ['NOT_FOUND', 'PROCEDURE_FAILED'],
  ParameterMissing: ['GQL_PARAMETER_MISSING'],
};

/** Lines of a crash's stack trace kept in a failure reason. */
export const STACK_LINES = 4;

/** A failure that ends the scenario. */
class StepFailure extends Error {
  override readonly name = 'StepFailure';
}

/** Describes an error the engine threw: GeodeErrors by code, anything else with its stack head. */
export function describeError(err: unknown, engine: EngineModule): string {
  if (engine.isGeodeError(err)) {
    const e = err as { code: string; message: string; detail?: string };
    const firstLine = e.message.split('\n')[0] ?? '';
    return `${e.code}${e.detail === undefined ? '' : ` (${e.detail})`}: ${firstLine}`;
  }
  if (err instanceof Error) {
    const stack = (err.stack ?? `${err.name}: ${err.message}`).split('\n').slice(0, STACK_LINES).join('\n    ');
    return `crash (not a GeodeError): ${stack}`;
  }
  return `crash (not a GeodeError): thrown ${formatActual(err)}`;
}

/** Finds `<name>/<name>.cypher` in `../graphs` beside the features folder, else in any ancestor's `graphs`. */
export function findGraphScript(featuresFolder: string, name: string): string | undefined {
  let dir = resolve(featuresFolder);
  for (let i = 0; i < 64; i++) {
    for (const base of [join(dir, '..', 'graphs'), join(dir, 'graphs')]) {
      const file = join(base, name, `${name}.cypher`);
      if (existsSync(file)) return file;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

interface Signature {
  readonly name: string;
  readonly inputs: readonly { name: string; type: string }[];
  readonly outputs: readonly { name: string; type: string }[];
}

function parseColumns(text: string): { name: string; type: string }[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*::\s*(.+?)\??\s*$/.exec(part);
    if (m === null) throw new StepFailure(`bad procedure column '${part.trim()}'`);
    return { name: m[1]!, type: m[2]!.trim() };
  });
}

/** Parses `test.my.proc(a :: STRING?, b :: INTEGER?) :: (out :: STRING?)` (types lose their `?`). */
export function parseProcedureSignature(text: string): Signature {
  const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*\(([^)]*)\)\s*::\s*\(([^)]*)\)\s*$/.exec(text.trim());
  if (m === null) throw new StepFailure(`bad procedure signature '${text}'`);
  return { name: m[1]!, inputs: parseColumns(m[2]!), outputs: parseColumns(m[3]!) };
}

/** Loose equality for matching procedure inputs: numbers across integer/float, else structural. */
function sameInput(a: unknown, b: unknown): boolean {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a === b;
    return Number(a) === Number(b);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameInput(x, b[i]));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameInput(ra[k], rb[k]));
  }
  return a === b;
}

/** Builds the procedure a `there exists a procedure` step describes. */
export function tableProcedure(signatureText: string, table: readonly (readonly string[])[]): TckProcedureDefinition {
  const sig = parseProcedureSignature(signatureText);
  const header = (table[0] ?? []).map((h) => h.trim());
  const index = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new StepFailure(`procedure table has no column '${name}'`);
    return i;
  };
  const inIdx = sig.inputs.map((c) => index(c.name));
  const outIdx = sig.outputs.map((c) => index(c.name));
  const rows: PlainValue[][] = table.slice(1).map((r) => r.map((cell) => tckToPlain(parseTckValue(cell))));
  return {
    name: sig.name,
    description: `TCK test procedure ${signatureText}`,
    inputs: sig.inputs,
    outputs: sig.outputs,
    run(args) {
      const out: PlainValue[][] = [];
      for (const row of rows) {
        if (inIdx.every((col, i) => sameInput(row[col], args[i]))) out.push(outIdx.map((col) => row[col]!));
      }
      return out;
    },
  };
}

/** The mutable state of one running scenario. */
class ScenarioRun {
  db: TckDatabase | undefined;
  params: Record<string, PlainValue> = {};
  result: ActualResult | undefined;
  error: unknown = undefined;
  failed = false;
  sideEffects: SideEffects = noSideEffects();
  readonly notes: string[] = [];

  constructor(
    readonly engine: EngineModule,
    readonly ctx: ScenarioContext,
  ) {}

  async database(): Promise<TckDatabase> {
    if (this.db === undefined) this.db = await this.engine.openGeode({ storage: 'memory' });
    return this.db;
  }

  /** Runs a query that must succeed (setup). */
  async setup(text: string, what: string): Promise<void> {
    const db = await this.database();
    try {
      await db.query(text, this.params);
    } catch (err) {
      throw new StepFailure(`${what} failed: ${describeError(err, this.engine)}`);
    }
  }

  async execute(text: string, trackSideEffects: boolean): Promise<void> {
    const db = await this.database();
    const before = trackSideEffects ? snapshotGraph(db.graph) : undefined;
    this.result = undefined;
    this.error = undefined;
    this.failed = false;
    try {
      this.result = await db.query(text, this.params);
    } catch (err) {
      this.failed = true;
      this.error = err;
      if (!this.engine.isGeodeError(err)) throw new StepFailure(describeError(err, this.engine));
    }
    if (before !== undefined) this.sideEffects = diffSnapshots(before, snapshotGraph(db.graph));
  }

  requireResult(): ActualResult {
    if (this.failed) throw new StepFailure(`query failed: ${describeError(this.error, this.engine)}`);
    if (this.result === undefined) throw new StepFailure('no query was executed before this step');
    return this.result;
  }
}

const RESULT_STEP = /^the result should be(, in (any )?order)?( \(ignoring element order for lists\))?:?$/;
const ERROR_STEP = /^an? ([A-Za-z]+) should be raised at (compile time|runtime|any time):?\s*(.*)$/;

async function runStep(run: ScenarioRun, step: TckStep): Promise<void> {
  const text = step.text.trim();
  const table = step.table ?? [];
  const doc = step.docString ?? '';
  let m: RegExpExecArray | null;

  if (text === 'an empty graph' || text === 'any graph') {
    await run.database();
    return;
  }
  if ((m = /^the (.+) graph$/.exec(text)) !== null) {
    const file = findGraphScript(run.ctx.featuresFolder, m[1]!);
    if (file === undefined) throw new StepFailure(`graph '${m[1]}' not found near ${run.ctx.featuresFolder}`);
    await run.setup(readFileSync(file, 'utf8'), `loading graph '${m[1]}'`);
    return;
  }
  if (text === 'having executed:' || text === 'having executed') {
    await run.setup(doc, 'setup query');
    return;
  }
  if (/^parameters are:?$/.test(text)) {
    for (const row of table) {
      if (row.length < 2) throw new StepFailure(`parameters row needs a name and a value: | ${row.join(' | ')} |`);
      run.params[row[0]!.trim()] = tckToPlain(parseTckValue(row[1]!));
    }
    return;
  }
  if ((m = /^there exists a procedure (.+?)\s*:$/.exec(text)) !== null) {
    const db = await run.database();
    const proc = tableProcedure(m[1]!, table);
    try {
      db.registerProcedure(proc);
    } catch (err) {
      throw new StepFailure(`registering procedure ${proc.name} failed: ${describeError(err, run.engine)}`);
    }
    return;
  }
  if (text === 'executing query:' || text === 'executing query') {
    await run.execute(doc, true);
    return;
  }
  if (text === 'executing control query:' || text === 'executing control query') {
    await run.execute(doc, false);
    return;
  }
  if ((m = RESULT_STEP.exec(text)) !== null) {
    const result = run.requireResult();
    const ordered = m[1] !== undefined && m[2] === undefined;
    const reason = compareTable(table, result, { ordered, ignoreListOrder: m[3] !== undefined });
    if (reason !== undefined) throw new StepFailure(reason);
    return;
  }
  if (text === 'the result should be empty') {
    const result = run.requireResult();
    if (result.rows.length !== 0) {
      const first = result.rows[0]!;
      const shown = result.columns.map((c) => formatActual(first[c])).join(' | ');
      throw new StepFailure(`expected no rows, got ${result.rows.length} (first: | ${shown} |)`);
    }
    return;
  }
  if (/^the side effects should be:?$/.test(text) || text === 'no side effects') {
    const expected = text === 'no side effects' ? noSideEffects() : parseSideEffectsTable(table);
    const reason = compareSideEffects(expected, run.sideEffects);
    if (reason !== undefined) throw new StepFailure(reason);
    return;
  }
  if ((m = ERROR_STEP.exec(text)) !== null) {
    const type = m[1]!;
    const detail = m[3]!.trim();
    if (!run.failed) throw new StepFailure(`expected ${type} (${detail}), but the query succeeded`);
    const codes = ERROR_CODES[type];
    if (codes === undefined) throw new StepFailure(`unknown TCK error type '${type}'`);
    const err = run.error as { code: string; detail?: string };
    if (!codes.includes(err.code)) {
      throw new StepFailure(`expected ${type} (${detail}), got ${describeError(run.error, run.engine)}`);
    }
    if (detail !== '' && err.detail !== detail) run.notes.push(`detail: expected ${detail}, got ${err.detail ?? 'none'}`);
    return;
  }
  throw new StepFailure(`unsupported step: ${step.keyword} ${text}`);
}

/** Runs every step of a scenario; the first failing step ends it. */
export async function runScenario(scenario: TckScenario, engine: EngineModule, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const run = new ScenarioRun(engine, ctx);
  try {
    for (const step of scenario.steps) {
      try {
        await runStep(run, step);
      } catch (err) {
        if (err instanceof StepFailure) {
          return { status: 'failed', reason: `line ${step.line} (${step.text.trim()}): ${err.message}`, notes: run.notes };
        }
        // A crash in the runner's own code around an engine call (e.g. a bad value handed back).
        return { status: 'failed', reason: `line ${step.line}: ${describeError(err, engine)}`, notes: run.notes };
      }
    }
    return { status: 'passed', notes: run.notes };
  } finally {
    if (run.db !== undefined) await run.db.close().catch(() => undefined);
  }
}
