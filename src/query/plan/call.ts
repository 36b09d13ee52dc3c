/**
 * CALL planning: procedure calls (standalone and in a query, YIELD, WHERE) and CALL { }
 * subqueries.
 */
import type { CallClause, CallSubqueryClause } from '../../gql/index.ts';
import type { Value } from '../../graph/index.ts';
import { GeodeError, isGeodeError, StoreInterrupt } from '../../util/errors.ts';
import type { Eval, ExecContext, Pipe, Row } from '../exec/context.ts';
import { checkRows } from '../exec/context.ts';
import { compileExpr } from '../exec/expr.ts';
import { FilterPipe } from '../exec/match-ops.ts';
import { printExpression } from '../../gql/index.ts';
import { coerceArg, fitsType } from '../procedures/args.ts';
import { compileError } from '../semantic/errors.ts';
import { PlanState, Scope } from '../semantic/scope.ts';
import type { ProcedureDefinition } from '../types.ts';
import { typeName } from '../value-ops.ts';
import { PassPipe, SubPipeline, op, type PlanOp } from './ops.ts';
import { planSubquery } from './subquery.ts';

class ProcedurePipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly def: ProcedureDefinition,
    private readonly args: readonly Eval[],
    private readonly outIndex: readonly number[],
    private readonly outSlots: readonly number[],
  ) {
    super(next);
  }

  push(row: Row, ctx: ExecContext): boolean {
    const inputs = this.def.inputs;
    const args: Value[] = this.args.map((a, i) => {
      const v = a(row, ctx);
      const type = inputs[i]!.type;
      if (!fitsType(v, type)) {
        throw new GeodeError('GQL_TYPE', `${this.def.name}: argument '${inputs[i]!.name}' expects ${type}, got ${typeName(v)}`, {
          detail: 'InvalidArgumentType',
        });
      }
      return coerceArg(v, type);
    });
    let results: Iterable<readonly Value[]>;
    const buffered: (readonly Value[])[] = [];
    try {
      results = this.def.run(args, { graph: ctx.store });
      for (const r of results) {
        buffered.push(r);
        checkRows(buffered.length, `procedure ${this.def.name}`);
      }
    } catch (err) {
      if (isGeodeError(err) || err instanceof StoreInterrupt) throw err;
      throw new GeodeError('PROCEDURE_FAILED', `procedure ${this.def.name} failed: ${(err as Error).message ?? String(err)}`, { cause: err });
    }
    if (this.def.outputs.length === 0) return this.next.push(row, ctx);
    for (const r of buffered) {
      for (let i = 0; i < this.outSlots.length; i++) row[this.outSlots[i]!] = normalize(r[this.outIndex[i]!] ?? null);
      if (!this.next.push(row, ctx)) return false;
    }
    return true;
  }
}

/** Procedure results may come back as plain JS numbers for integers in foreign code: keep them as given. */
function normalize(v: Value): Value {
  return v === undefined ? null : v;
}

export interface PlannedCall {
  readonly scope: Scope;
  /** Output columns (for a standalone call): names and slots. */
  readonly columns: string[];
  readonly slots: number[];
}

export function planProcedureCall(c: CallClause, scope: Scope, st: PlanState, ops: PlanOp[], standalone: boolean): PlannedCall {
  const def = st.procedures.lookup(c.procedure);
  if (def === undefined) {
    throw compileError('NOT_FOUND', st.text, c.pos, 'ProcedureNotFound', `there is no procedure named '${c.procedure}'`);
  }
  let args: Eval[];
  if (c.args === undefined) {
    if (!standalone && def.inputs.length > 0) {
      throw st.error(c.pos, 'InvalidArgumentPassingMode', `procedure ${def.name} needs explicit arguments inside a query`);
    }
    args = def.inputs.map((input) => compileExpr({ kind: 'Parameter', name: input.name, pos: c.pos }, { scope, st }));
  } else {
    if (c.args.length !== def.inputs.length) {
      throw st.error(c.pos, 'InvalidNumberOfArguments', `procedure ${def.name} takes ${def.inputs.length} arguments, got ${c.args.length}`);
    }
    c.args.forEach((a, i) => {
      if (a.kind === 'Literal' && !fitsType(a.value, def.inputs[i]!.type)) {
        throw st.error(a.pos, 'InvalidArgumentType', `argument '${def.inputs[i]!.name}' of ${def.name} expects ${def.inputs[i]!.type}`);
      }
    });
    args = c.args.map((a) => compileExpr(a, { scope, st, noAggregates: 'in procedure arguments' }));
  }
  const outIndex: number[] = [];
  const outSlots: number[] = [];
  const columns: string[] = [];
  let next = scope;
  const outputs = def.outputs;
  const yields =
    c.yield === undefined || c.yield === '*'
      ? outputs.map((o) => ({ name: o.name, alias: undefined as string | undefined, pos: c.pos }))
      : c.yield;
  if (c.yield === undefined && !standalone && outputs.length > 0) {
    throw st.error(c.pos, 'InvalidClauseComposition', `procedure ${def.name} returns columns: use YIELD inside a query`);
  }
  for (const y of yields) {
    const idx = outputs.findIndex((o) => o.name === y.name);
    if (idx < 0) throw st.error(y.pos, 'UndefinedVariable', `procedure ${def.name} has no output '${y.name}'`);
    const name = y.alias ?? y.name;
    if (next.has(name)) throw st.error(y.pos, 'VariableAlreadyBound', `variable '${name}' is already bound`);
    const slot = st.newSlot();
    next = next.with(name, { slot, kind: 'any' });
    outIndex.push(idx);
    outSlots.push(slot);
    columns.push(name);
  }
  ops.push(op('ProcedureCall', `${def.name}(${c.args === undefined ? '' : '…'})`, (n) => new ProcedurePipe(n, def, args, outIndex, outSlots)));
  if (c.where !== undefined) {
    const pred = compileExpr(c.where, { scope: next, st, noAggregates: 'in WHERE' });
    ops.push(op('Filter', printExpression(c.where), (n) => new FilterPipe(n, pred)));
  }
  return { scope: next, columns, slots: outSlots };
}

class CallSubqueryPipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly parts: readonly SubPipeline[],
    private readonly innerSlots: readonly (readonly number[])[],
    private readonly outerSlots: readonly number[],
    private readonly unit: boolean,
  ) {
    super(next);
  }
  push(row: Row, ctx: ExecContext): boolean {
    const base = row.slice();
    if (this.unit) {
      for (const p of this.parts) p.run(base.slice(), ctx, () => true);
      return this.next.push(row, ctx);
    }
    const produced: Value[][] = [];
    this.parts.forEach((p, pi) => {
      const slots = this.innerSlots[pi]!;
      p.run(base.slice(), ctx, (r) => {
        produced.push(slots.map((s) => r[s]!));
        checkRows(produced.length, 'CALL subquery');
        return true;
      });
    });
    for (const vals of produced) {
      for (let i = 0; i < base.length; i++) row[i] = base[i]!;
      for (let i = 0; i < vals.length; i++) row[this.outerSlots[i]!] = vals[i]!;
      if (!this.next.push(row, ctx)) return false;
    }
    return true;
  }
}

export function planCallSubquery(c: CallSubqueryClause, scope: Scope, st: PlanState, ops: PlanOp[]): Scope {
  st.depth++;
  let planned;
  try {
    planned = planSubquery(c.query, scope, st, true);
  } finally {
    st.depth--;
  }
  let next = scope;
  const outerSlots: number[] = [];
  for (const name of planned.columns) {
    if (scope.has(name)) throw st.error(c.pos, 'VariableAlreadyBound', `variable '${name}' is already bound`);
    const slot = st.newSlot();
    outerSlots.push(slot);
    next = next.with(name, { slot, kind: 'any' });
  }
  const subs = planned.parts.map((p) => new SubPipeline(p.ops));
  const unit = planned.columns.length === 0;
  ops.push(
    op('CallSubquery', planned.columns.join(', '), (n) => new CallSubqueryPipe(n, subs, planned.parts.map((p) => p.slots), outerSlots, unit), planned.parts.map((p) => p.ops)),
  );
  return next;
}
