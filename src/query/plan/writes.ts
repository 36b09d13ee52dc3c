/**
 * Planning of the updating clauses: CREATE, MERGE, SET, REMOVE, DELETE, with their semantic
 * checks (VariableAlreadyBound, NoSingleRelationshipType, RequiresDirectedRelationship,
 * CreatingVarLength, VariableTypeConflict, InvalidDelete).
 */
import { printExpression, printPattern } from '../../gql/index.ts';
import type {
  CreateClause,
  DeleteClause,
  Expression,
  MergeClause,
  NodePattern,
  PathPattern,
  RelationshipPattern,
  RemoveItem,
  SetItem,
} from '../../gql/index.ts';
import { GeodeError } from '../../util/errors.ts';
import type { Eval } from '../exec/context.ts';
import { compileExpr, type ExprEnv } from '../exec/expr.ts';
import { requiredLabels } from '../exec/runtime.ts';
import {
  ActionsPipe,
  compileCreateProperties,
  type EntriesEval,
  CreatePipe,
  DeletePipe,
  MergePipe,
  removePropertyAction,
  setAllAction,
  setLabelsAction,
  setPropertyAction,
  type CreateStep,
  type RowAction,
} from '../exec/write-ops.ts';
import { PlanState, Scope, compatible } from '../semantic/scope.ts';
import { planPatternPipeline } from './match.ts';
import { SubPipeline, op, type PlanOp } from './ops.ts';

function plainLabels(n: NodePattern, st: PlanState): string[] {
  if (n.labels === undefined) return [];
  const labels = requiredLabels(n.labels);
  const count = JSON.stringify(n.labels).split('"LabelName"').length - 1;
  if (labels.length !== count) throw st.error(n.pos, 'InvalidLabelExpression', 'only plain labels can be created');
  return labels;
}

function relType(r: RelationshipPattern, st: PlanState): string {
  if (r.types === undefined || r.types.kind !== 'LabelName') {
    throw st.error(r.pos, 'NoSingleRelationshipType', 'a created relationship needs exactly one type');
  }
  return r.types.name;
}

/**
 * Create steps for `patterns`. `scope` holds the variables bound before; new variables are
 * added to it (`forMerge` allows undirected relationships and takes slots from `slotsOf`).
 */
function createSteps(
  patterns: readonly PathPattern[],
  scope: Scope,
  st: PlanState,
  forMerge: boolean,
  slotsOf?: Scope,
): { steps: CreateStep[]; scope: Scope } {
  const steps: CreateStep[] = [];
  const outer = scope;
  const env = (): ExprEnv => ({ scope, st, noAggregates: forMerge ? 'in MERGE' : 'in CREATE' });
  const slotFor = (name: string | undefined): number => {
    if (name !== undefined && slotsOf?.has(name) === true) return slotsOf.get(name)!.slot;
    return st.newSlot();
  };
  for (const p of patterns) {
    const nodeSlots: number[] = [];
    const relSlots: number[] = [];
    p.elements.forEach((el, i) => {
      if (el.kind === 'NodePattern') {
        const name = el.variable;
        const have = name === undefined ? undefined : scope.get(name);
        if (have !== undefined) {
          if (!compatible(have.kind, 'node')) {
            throw st.error(el.pos, 'VariableTypeConflict', `variable '${name}' is a ${have.kind}, not a node`);
          }
          if (el.labels !== undefined || el.properties !== undefined || p.elements.length === 1) {
            throw st.error(el.pos, 'VariableAlreadyBound', `variable '${name}' is already bound`);
          }
          if (outer.has(name!)) steps.push({ kind: 'bound', slot: have.slot, name: name! });
          nodeSlots.push(have.slot);
          return;
        }
        const labels = plainLabels(el, st);
        const props = el.properties === undefined ? undefined : createProperties(el.properties, env());
        const slot = slotFor(name);
        steps.push({ kind: 'node', slot, labels, props });
        if (name !== undefined) scope = scope.with(name, { slot, kind: 'node' });
        nodeSlots.push(slot);
        return;
      }
      if (el.length !== undefined) throw st.error(el.pos, 'CreatingVarLength', 'variable-length relationships cannot be created');
      const type = relType(el, st);
      if (el.direction === 'both' && !forMerge) {
        throw st.error(el.pos, 'RequiresDirectedRelationship', 'a created relationship needs a direction');
      }
      if (el.variable !== undefined && scope.has(el.variable)) {
        const have = scope.get(el.variable)!;
        if (!compatible(have.kind, 'rel')) throw st.error(el.pos, 'VariableTypeConflict', `variable '${el.variable}' is not a relationship`);
        throw st.error(el.pos, 'VariableAlreadyBound', `variable '${el.variable}' is already bound`);
      }
      relSlots.push(-1 - i);
    });
    // Second pass: relationships, now that both end slots are known.
    let ni = 0;
    const finalRelSlots: number[] = [];
    for (let i = 1; i < p.elements.length; i += 2) {
      const el = p.elements[i] as RelationshipPattern;
      const left = nodeSlots[ni]!;
      const right = nodeSlots[ni + 1]!;
      ni++;
      const slot = slotFor(el.variable);
      const props = el.properties === undefined ? undefined : createProperties(el.properties, env());
      const [src, dst] = el.direction === 'in' ? [right, left] : [left, right];
      steps.push({ kind: 'rel', slot, type: relType(el, st), src, dst, props });
      if (el.variable !== undefined) scope = scope.with(el.variable, { slot, kind: 'rel' });
      finalRelSlots.push(slot);
    }
    if (p.variable !== undefined) {
      if (scope.has(p.variable)) throw st.error(p.pos, 'VariableAlreadyBound', `variable '${p.variable}' is already bound`);
      const slot = slotFor(p.variable);
      steps.push({ kind: 'path', slot, nodeSlots, relSlots: finalRelSlots });
      scope = scope.with(p.variable, { slot, kind: 'path' });
    }
    void relSlots;
  }
  // Nodes must exist before relationships reference them: order node steps first per pattern.
  const ordered = [...steps.filter((s) => s.kind === 'node' || s.kind === 'bound'), ...steps.filter((s) => s.kind === 'rel'), ...steps.filter((s) => s.kind === 'path')];
  return { steps: ordered, scope };
}

export function planCreate(c: CreateClause, scope: Scope, st: PlanState, ops: PlanOp[]): Scope {
  const { steps, scope: next } = createSteps(c.patterns, scope, st, false);
  const detail = c.patterns.map(printPattern).join(', ');
  ops.push(op('Create', detail, (n) => new CreatePipe(n, steps)));
  return next;
}

export function compileSetItems(items: readonly SetItem[], scope: Scope, st: PlanState): RowAction[] {
  const env: ExprEnv = { scope, st, noAggregates: 'in SET' };
  return items.map((it) => {
    switch (it.kind) {
      case 'SetProperty':
        return setPropertyAction(compileExpr(it.target.object, env), it.target.key, compileExpr(it.value, env));
      case 'SetAllProperties':
        return setAllAction(varSlot(it.variable, it.pos, scope, st), compileExpr(it.value, env), it.merge);
      case 'SetLabels':
        return setLabelsAction(varSlot(it.variable, it.pos, scope, st), it.labels, false);
    }
  });
}

function varSlot(name: string, pos: number, scope: Scope, st: PlanState): number {
  const v = scope.get(name);
  if (v === undefined) throw st.error(pos, 'UndefinedVariable', `variable '${name}' is not defined`);
  return v.slot;
}

export function planSet(items: readonly SetItem[], pos: number, scope: Scope, st: PlanState, ops: PlanOp[]): void {
  const actions = compileSetItems(items, scope, st);
  ops.push(op('SetProperties', st.text.slice(pos, pos + 60).split('\n')[0]!, (n) => new ActionsPipe(n, actions)));
}

export function planRemove(items: readonly RemoveItem[], pos: number, scope: Scope, st: PlanState, ops: PlanOp[]): void {
  const env: ExprEnv = { scope, st, noAggregates: 'in REMOVE' };
  const actions = items.map((it) =>
    it.kind === 'RemoveProperty'
      ? removePropertyAction(compileExpr(it.target.object, env), it.target.key)
      : setLabelsAction(varSlot(it.variable, it.pos, scope, st), it.labels, true),
  );
  ops.push(op('Remove', st.text.slice(pos, pos + 60).split('\n')[0]!, (n) => new ActionsPipe(n, actions)));
}

export function planDelete(c: DeleteClause, scope: Scope, st: PlanState, ops: PlanOp[]): void {
  const env: ExprEnv = { scope, st, noAggregates: 'in DELETE' };
  const targets: Eval[] = c.expressions.map((e: Expression) => {
    if (e.kind === 'LabelCheck' || e.kind === 'Literal' || e.kind === 'BinaryOp' || e.kind === 'Comparison') {
      throw st.error(e.pos, 'InvalidDelete', 'DELETE expects a node, relationship or path expression');
    }
    return compileExpr(e, env);
  });
  ops.push(op(c.detach ? 'DetachDelete' : 'Delete', c.expressions.map(printExpression).join(', '), (n) => new DeletePipe(n, targets, c.detach)));
}

export function planMerge(c: MergeClause, scope: Scope, st: PlanState, ops: PlanOp[]): Scope {
  const p = c.pattern;
  for (const el of p.elements) {
    if (el.kind === 'NodePattern') {
      if (el.variable !== undefined && scope.has(el.variable) && (el.labels !== undefined || el.properties !== undefined || p.elements.length === 1)) {
        throw st.error(el.pos, 'VariableAlreadyBound', `variable '${el.variable}' is already bound`);
      }
    } else {
      if (el.length !== undefined) throw st.error(el.pos, 'CreatingVarLength', 'MERGE cannot create variable-length relationships');
      relType(el, st);
      if (el.variable !== undefined && scope.has(el.variable)) {
        throw st.error(el.pos, 'VariableAlreadyBound', `variable '${el.variable}' is already bound`);
      }
    }
  }
  const planned = planPatternPipeline([p], undefined, scope, st, false);
  const { steps } = createSteps([p], scope, st, true, planned.scope);
  const next = planned.scope;
  const onMatch = compileSetItems(c.onMatch, next, st);
  const onCreate = compileSetItems(c.onCreate, next, st);
  const nullCheck = mergeNullCheck(p, scope, st);
  const sub = new SubPipeline(planned.ops);
  ops.push(op('Merge', printPattern(c.pattern), (n) => new MergePipe(n, sub, steps, onMatch, onCreate, nullCheck), [planned.ops]));
  return next;
}

/** MERGE cannot create an entity from a null property value (MergeReadOwnWrites). */
function mergeNullCheck(p: PathPattern, scope: Scope, st: PlanState): RowAction {
  const checks: { key: string; value: Eval }[] = [];
  const env: ExprEnv = { scope, st, noAggregates: 'in MERGE' };
  for (const el of p.elements) {
    const props = el.properties;
    if (props?.kind === 'MapLiteral') for (const e of props.entries) checks.push({ key: e.key, value: compileExpr(e.value, env) });
  }
  return (row, ctx) => {
    for (const c of checks) {
      if (c.value(row, ctx) === null) {
        throw new GeodeError('GQL_SEMANTIC', `cannot MERGE with a null value for property '${c.key}'`, { detail: 'MergeReadOwnWrites' });
      }
    }
  };
}

/** The compiled property list of a created element (see {@link compileCreateProperties}). */
function createProperties(e: Expression, env: ExprEnv): EntriesEval {
  const map = compileExpr(e, env);
  if (e.kind !== 'MapLiteral') return compileCreateProperties(undefined, map);
  return compileCreateProperties({ keys: e.entries.map((x) => x.key), values: e.entries.map((x) => compileExpr(x.value, env)) }, map);
}
