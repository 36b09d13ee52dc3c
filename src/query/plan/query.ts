/**
 * The clause planner: a single query's clauses, in order, become one pipeline; UNION parts
 * become several. Checks clause composition (InvalidClauseComposition, UNION column lists)
 * and inserts eager barriers so a clause's reads finish before the next clause's writes
 * (Cypher's clause-at-a-time semantics).
 */
import type { Clause, Query, SingleQuery } from '../../gql/index.ts';
import { EagerPipe, OptionalPipe, UnwindPipe } from '../exec/projection-ops.ts';
import { compileExpr } from '../exec/expr.ts';
import { PlanState, Scope } from '../semantic/scope.ts';
import { planCallSubquery, planProcedureCall } from './call.ts';
import { planPatternPipeline } from './match.ts';
import { SubPipeline, op, type PlanOp, type Pipeline } from './ops.ts';
import { planProjection } from './projection.ts';
import { planCreate, planDelete, planMerge, planRemove, planSet } from './writes.ts';
import { createSkipsEager } from './eager.ts';

export interface PlannedPart {
  readonly ops: Pipeline;
  /** Slots of the result columns, in column order. */
  readonly slots: readonly number[];
}

export interface PlannedQuery {
  readonly parts: readonly PlannedPart[];
  readonly columns: readonly string[];
  /** False when UNION (distinct) joins the parts. */
  readonly unionAll: boolean;
}

const WRITES = new Set(['Create', 'Merge', 'Set', 'Remove', 'Delete']);
const READS = new Set(['Match', 'Merge', 'Call', 'CallSubquery']);

type Mode = 'top' | 'subquery' | 'call';

/** Plans a (possibly UNION) query on top of `scope`. */
export function planQuery(q: Query, scope: Scope, st: PlanState, mode: Mode): PlannedQuery {
  if (q.unionAll.length > 0 && q.unionAll.some((u) => u !== q.unionAll[0])) {
    throw st.error(q.pos, 'InvalidClauseComposition', 'UNION and UNION ALL cannot be mixed');
  }
  const parts: PlannedPart[] = [];
  let columns: string[] | undefined;
  for (const sq of q.parts) {
    const planned = planSingle(sq, scope, st, mode, q.parts.length > 1);
    if (columns === undefined) columns = planned.columns;
    else if (columns.length !== planned.columns.length || columns.some((c, i) => c !== planned.columns[i])) {
      throw st.error(sq.pos, 'DifferentColumnsInUnion', 'all parts of a UNION must return the same columns');
    }
    parts.push({ ops: planned.ops, slots: planned.slots });
  }
  return { parts, columns: columns ?? [], unionAll: q.unionAll[0] ?? true };
}

function clauseText(st: PlanState, c: Clause): string {
  return st.text.slice(c.pos, c.pos + 60).split('\n')[0]!.trim();
}

interface PlannedSingle {
  readonly ops: PlanOp[];
  readonly columns: string[];
  readonly slots: number[];
}

function planSingle(sq: SingleQuery, outer: Scope, st: PlanState, mode: Mode, inUnion: boolean): PlannedSingle {
  const clauses = sq.clauses;
  checkComposition(sq, st, mode, inUnion);
  let scope = outer;
  const ops: PlanOp[] = [];
  let readSinceEager = false;
  let wroteSinceEager = false;
  const readsSinceEager: Clause[] = [];
  let columns: string[] = [];
  let slots: number[] = [];
  const eager = (): void => {
    ops.push(op('Eager', '', (n) => new EagerPipe(n)));
    readSinceEager = false;
    wroteSinceEager = false;
    readsSinceEager.length = 0;
  };
  clauses.forEach((c, index) => {
    const last = index === clauses.length - 1;
    const limits = (c.kind === 'With' || c.kind === 'Return') && (c.projection.limit !== undefined || c.projection.skip !== undefined);
    if (WRITES.has(c.kind) && readSinceEager && !(c.kind === 'Create' && createSkipsEager(c, readsSinceEager, scope))) eager();
    else if ((READS.has(c.kind) || limits) && wroteSinceEager) eager();
    switch (c.kind) {
      case 'Match': {
        const planned = planPatternPipeline(c.patterns, c.where, scope, st, c.optional);
        if (c.optional) {
          const sub = new SubPipeline(planned.ops);
          const newSlots = planned.newSlots;
          ops.push(op('Optional', clauseText(st, c), (n) => new OptionalPipe(n, sub, newSlots), [planned.ops]));
        } else ops.push(...planned.ops);
        scope = planned.scope;
        break;
      }
      case 'Unwind': {
        if (scope.has(c.variable)) throw st.error(c.pos, 'VariableAlreadyBound', `variable '${c.variable}' is already bound`);
        const list = compileExpr(c.expression, { scope, st, noAggregates: 'in UNWIND' });
        const slot = st.newSlot();
        scope = scope.with(c.variable, { slot, kind: 'any' });
        ops.push(op('Unwind', clauseText(st, c), (n) => new UnwindPipe(n, list, slot)));
        break;
      }
      case 'With': {
        const p = planProjection(c.projection, c.where, scope, st, ops, false);
        scope = p.scope;
        break;
      }
      case 'Return': {
        const p = planProjection(c.projection, undefined, scope, st, ops, true);
        scope = p.scope;
        columns = p.columns;
        slots = p.slots;
        break;
      }
      case 'Create':
        scope = planCreate(c, scope, st, ops);
        break;
      case 'Merge':
        scope = planMerge(c, scope, st, ops);
        break;
      case 'Set':
        planSet(c.items, c.pos, scope, st, ops);
        break;
      case 'Remove':
        planRemove(c.items, c.pos, scope, st, ops);
        break;
      case 'Delete':
        planDelete(c, scope, st, ops);
        break;
      case 'Call': {
        const standalone = mode === 'top' && clauses.length === 1 && !inUnion;
        const p = planProcedureCall(c, scope, st, ops, standalone);
        scope = p.scope;
        if (last && standalone) {
          columns = p.columns;
          slots = p.slots;
        }
        break;
      }
      case 'CallSubquery':
        scope = planCallSubquery(c, scope, st, ops);
        break;
      case 'Finish':
        break;
    }
    if (READS.has(c.kind)) {
      readSinceEager = true;
      readsSinceEager.push(c);
    }
    if (WRITES.has(c.kind)) wroteSinceEager = true;
  });
  return { ops, columns, slots };
}

function checkComposition(sq: SingleQuery, st: PlanState, mode: Mode, inUnion: boolean): void {
  const clauses = sq.clauses;
  clauses.forEach((c, i) => {
    if (c.kind === 'Return' && i !== clauses.length - 1) {
      throw st.error(clauses[i + 1]!.pos, 'InvalidClauseComposition', 'RETURN must be the last clause');
    }
  });
  const last = clauses[clauses.length - 1];
  if (last === undefined) throw st.error(sq.pos, 'InvalidClauseComposition', 'empty query');
  if (mode === 'subquery') {
    const w = clauses.find((c) => WRITES.has(c.kind));
    if (w !== undefined) throw st.error(w.pos, 'InvalidClauseComposition', 'an EXISTS / COUNT subquery cannot write');
    return;
  }
  const endsOk =
    last.kind === 'Return' ||
    WRITES.has(last.kind) ||
    last.kind === 'Finish' ||
    last.kind === 'CallSubquery' ||
    (last.kind === 'Call' && (clauses.length === 1 || mode === 'call'));
  if (!endsOk) {
    throw st.error(last.pos, 'InvalidClauseComposition', `a query cannot end with ${last.kind.toUpperCase()} (add RETURN)`);
  }
  if (inUnion && last.kind !== 'Return') {
    throw st.error(last.pos, 'InvalidClauseComposition', 'every part of a UNION must end with RETURN');
  }
}
