/**
 * WITH / RETURN planning: projection, DISTINCT, grouping and aggregation, ORDER BY, SKIP,
 * LIMIT, and WITH ... WHERE. Checks the projection rules (NoVariablesInScope, NoExpressionAlias,
 * ColumnNameConflict, InvalidAggregation, NestedAggregation, AmbiguousAggregationExpression,
 * NonConstantExpression, NegativeIntegerArgument, InvalidArgumentType).
 */
import type { Expression, FunctionCall, Projection, ProjectionItem } from '../../gql/index.ts';
import { isAggregateFunction } from '../aggregates.ts';
import type { Eval, ExecContext } from '../exec/context.ts';
import { compileExpr, containsAggregate, exprKey, findNondeterministicCall, freeVariables, type ExprEnv } from '../exec/expr.ts';
import { FilterPipe } from '../exec/match-ops.ts';
import { GroupCountScanPipe } from '../exec/column-scan.ts';
import { fuseCount } from './fuse-count.ts';
import { printExpression } from '../../gql/index.ts';
import {
  AggregatePipe,
  DistinctPipe,
  LimitPipe,
  ProjectPipe,
  SkipPipe,
  SortPipe,
  countValue,
  type AggregateSpec,
  type SortKey,
} from '../exec/projection-ops.ts';
import { PlanState, Scope, type VarKind } from '../semantic/scope.ts';
import { compileError } from '../semantic/errors.ts';
import { op, type PlanOp } from './ops.ts';

export interface PlannedProjection {
  readonly scope: Scope;
  readonly columns: string[];
  readonly slots: number[];
}

interface Item {
  readonly name: string;
  readonly expression: Expression;
  readonly pos: number;
}

function itemsOf(proj: Projection, scope: Scope, st: PlanState, isReturn: boolean): Item[] {
  const items: Item[] = [];
  if (proj.star) {
    const names = scope.visibleNames();
    if (names.length === 0 && proj.items.length === 0 && isReturn) {
      throw st.error(proj.pos, 'NoVariablesInScope', `${isReturn ? 'RETURN' : 'WITH'} * has no variables in scope`);
    }
    for (const n of names) items.push({ name: n, expression: { kind: 'Variable', name: n, pos: proj.pos }, pos: proj.pos });
  }
  for (const it of proj.items) items.push({ name: itemName(it, st, isReturn), expression: it.expression, pos: it.pos });
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.name)) throw st.error(it.pos, 'ColumnNameConflict', `column '${it.name}' is defined twice`);
    seen.add(it.name);
  }
  return items;
}

function itemName(it: ProjectionItem, st: PlanState, isReturn: boolean): string {
  if (it.alias !== undefined) return it.alias;
  if (it.expression.kind === 'Variable') return it.expression.name;
  if (!isReturn) throw st.error(it.pos, 'NoExpressionAlias', 'expressions in WITH must be aliased (use AS)');
  return it.text;
}

/** What a projected expression is known to hold: an entity kind, a plain value, or unknown. */
function kindOf(e: Expression, scope: Scope): VarKind {
  switch (e.kind) {
    case 'Variable':
      return scope.get(e.name)?.kind ?? 'any';
    case 'Literal':
      return e.value === null ? 'any' : 'value';
    case 'ListLiteral':
    case 'MapLiteral':
    case 'BinaryOp':
    case 'Comparison':
    case 'IsNull':
    case 'LabelCheck':
    case 'UnaryOp':
    case 'ListComprehension':
    case 'MapProjection':
      return 'value';
    default:
      return 'any';
  }
}

/** A constant SKIP / LIMIT count, checked at compile time when it is a literal. */
function countExpr(e: Expression, what: string, st: PlanState): (ctx: ExecContext) => number {
  if (freeVariables(e).size > 0 || containsPatternish(e)) {
    throw st.error(e.pos, 'NonConstantExpression', `${what} must be a constant expression`);
  }
  if (e.kind === 'Literal') {
    const v = e.value;
    if (typeof v === 'bigint' && v < 0n) {
      throw compileError('GQL_SEMANTIC', st.text, e.pos, 'NegativeIntegerArgument', `${what} must not be negative`);
    }
    if (typeof v !== 'bigint') {
      throw compileError('GQL_SEMANTIC', st.text, e.pos, 'InvalidArgumentType', `${what} expects an INTEGER`);
    }
  }
  if (e.kind === 'UnaryOp' && e.op === '-' && e.operand.kind === 'Literal' && typeof e.operand.value === 'bigint') {
    throw compileError('GQL_SEMANTIC', st.text, e.pos, 'NegativeIntegerArgument', `${what} must not be negative`);
  }
  const f = compileExpr(e, { scope: new Scope(), st, noAggregates: `in ${what}` });
  const row: never[] = [];
  return (ctx) => countValue(f(row, ctx), what);
}

function containsPatternish(e: unknown): boolean {
  return JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? 0 : v)).includes('"PatternPredicate"');
}

/** Aggregate calls inside `e` (outermost), checking for nested aggregates. */
function collectAggregates(e: unknown, st: PlanState, out: (FunctionCall | Expression)[]): void {
  if (e === null || typeof e !== 'object') return;
  if (Array.isArray(e)) {
    for (const x of e) collectAggregates(x, st, out);
    return;
  }
  const n = e as Expression;
  if (n.kind === 'CountStar') {
    out.push(n);
    return;
  }
  if (n.kind === 'FunctionCall' && isAggregateFunction(n.name)) {
    if (containsAggregate(n.args)) throw st.error(n.pos, 'NestedAggregation', `aggregate ${n.name}() contains an aggregate`);
    out.push(n);
    return;
  }
  if (n.kind === 'ExistsSubquery' || n.kind === 'CountSubquery' || n.kind === 'PatternComprehension') return;
  for (const k of Object.keys(n)) if (k !== 'pos') collectAggregates((n as unknown as Record<string, unknown>)[k], st, out);
}

/** Plans a WITH / RETURN; appends ops, returns the new scope and the item slots. */
export function planProjection(
  proj: Projection,
  where: Expression | undefined,
  scope: Scope,
  st: PlanState,
  ops: PlanOp[],
  isReturn: boolean,
): PlannedProjection {
  const items = itemsOf(proj, scope, st, isReturn);
  const aggregating = items.some((it) => containsAggregate(it.expression));
  const planned = aggregating
    ? planAggregating(proj, items, scope, st, ops)
    : planSimple(proj, items, scope, st, ops);
  if (where !== undefined) {
    // After a non-aggregating WITH, WHERE still sees the variables bound before it.
    let whereScope = planned.scope;
    if (!aggregating) {
      whereScope = scope.clone();
      for (const [k, v] of planned.scope.vars) whereScope.vars.set(k, v);
    }
    const env: ExprEnv = { scope: whereScope, st, noAggregates: 'in WHERE' };
    const pred = compileExpr(where, env);
    ops.push(op('Filter', printExpression(where), (next) => new FilterPipe(next, pred)));
  }
  return planned;
}

function planSimple(proj: Projection, items: Item[], scope: Scope, st: PlanState, ops: PlanOp[]): PlannedProjection {
  const env: ExprEnv = { scope, st, noAggregates: 'here' };
  const evals: Eval[] = [];
  const slots: number[] = [];
  const itemSlots: number[] = [];
  let next = new Scope();
  for (const it of items) {
    const e = it.expression;
    const passThrough = e.kind === 'Variable' && scope.has(e.name);
    const ev = compileExpr(e, env);
    let slot: number;
    if (passThrough && e.name === it.name) slot = scope.get(e.name)!.slot;
    else {
      slot = st.newSlot();
      evals.push(ev);
      slots.push(slot);
    }
    itemSlots.push(slot);
    next = next.with(it.name, { slot, kind: kindOf(e, scope) });
  }
  if (evals.length > 0) ops.push(op('Projection', items.map((i) => i.name).join(', '), (n) => new ProjectPipe(n, evals, slots)));
  if (proj.distinct) ops.push(op('Distinct', items.map((i) => i.name).join(', '), (n) => new DistinctPipe(n, itemSlots)));
  const keys = new Map<string, number>();
  items.forEach((it, i) => keys.set(exprKey(it.expression), itemSlots[i]!));
  let orderScope: Scope;
  if (proj.distinct) orderScope = next;
  else {
    orderScope = scope.clone();
    for (const [k, v] of next.vars) orderScope.vars.set(k, v);
  }
  const orderEnv: ExprEnv = { scope: orderScope, st, noAggregates: 'in ORDER BY after a projection without aggregation' };
  planOrderSkipLimit(proj, orderEnv, keys, st, ops);
  return { scope: next, columns: items.map((i) => i.name), slots: itemSlots };
}

/**
 * `MATCH (n:L) RETURN n.k, count(*)`: a label scan straight into a grouping by one property of
 * the scanned node with only `count(*)` aggregates reads the property column instead of each
 * node's properties (see {@link GroupCountScanPipe}). Undefined when the shape differs.
 */
function fuseGroupCount(
  ops: PlanOp[],
  items: readonly Item[],
  itemSlots: readonly number[],
  specs: readonly AggregateSpec[],
  width: () => number,
): PlanOp | undefined {
  const scan = ops[ops.length - 1]?.labelScan;
  if (scan === undefined || specs.length === 0) return undefined;
  for (const s of specs) if (s.name !== 'count' || s.distinct || s.args.length !== 0) return undefined;
  let key: { readonly name: string; readonly slot: number } | undefined;
  for (let i = 0; i < items.length; i++) {
    const e = items[i]!.expression;
    if (containsAggregate(e)) continue;
    if (key !== undefined || e.kind !== 'PropertyAccess' || e.object.kind !== 'Variable' || e.object.name !== scan.variable) return undefined;
    key = { name: e.key, slot: itemSlots[i]! };
  }
  if (key === undefined) return undefined;
  const { label } = scan;
  const countSlots = specs.map((s) => s.slot);
  const k = key;
  return op('NodeByLabelGroupCount', `(${scan.variable.trim()}:${label}) keys: [${scan.variable.trim()}.${k.name}]`, (next) => new GroupCountScanPipe(next, label, k.name, k.slot, countSlots, width));
}

/** A variable or a property of one: the grouping keys that aggregating expressions may reuse. */
function isSimpleKey(e: Expression): boolean {
  return e.kind === 'Variable' || (e.kind === 'PropertyAccess' && e.object.kind === 'Variable');
}

function planAggregating(proj: Projection, items: Item[], scope: Scope, st: PlanState, ops: PlanOp[]): PlannedProjection {
  const preEnv: ExprEnv = { scope, st, noAggregates: 'inside an aggregate' };
  const keyEvals: Eval[] = [];
  const keySlots: number[] = [];
  const groupKeys = new Map<string, number>();
  /**
   * Grouping keys an expression that also aggregates may use: variables and properties only.
   * openCypher refuses `a.x + b.y + count(*)` even when `a.x + b.y` is itself a grouping key.
   */
  const simpleGroupKeys = new Map<string, number>();
  let keyScope = new Scope();
  const aggItems: { it: Item; index: number }[] = [];
  const itemSlots: number[] = new Array<number>(items.length);
  items.forEach((it, index) => {
    if (containsAggregate(it.expression)) {
      aggItems.push({ it, index });
      return;
    }
    const slot = st.newSlot();
    keyEvals.push(compileExpr(it.expression, preEnv));
    keySlots.push(slot);
    itemSlots[index] = slot;
    groupKeys.set(exprKey(it.expression), slot);
    if (isSimpleKey(it.expression)) simpleGroupKeys.set(exprKey(it.expression), slot);
    keyScope = keyScope.with(it.name, { slot, kind: kindOf(it.expression, scope) });
  });
  const calls: Expression[] = [];
  for (const { it } of aggItems) collectAggregates(it.expression, st, calls);
  for (const s of proj.orderBy) collectAggregates(s.expression, st, calls);
  const aggSlots = new Map<Expression, number>();
  const specs: AggregateSpec[] = [];
  const byKey = new Map<string, number>();
  for (const c of calls) {
    const key = exprKey(c);
    const existing = byKey.get(key);
    if (existing !== undefined) {
      aggSlots.set(c, existing);
      continue;
    }
    const slot = st.newSlot();
    byKey.set(key, slot);
    aggSlots.set(c, slot);
    if (c.kind === 'CountStar') specs.push({ name: 'count', distinct: false, args: [], slot });
    else {
      const f = c as FunctionCall;
      const random = findNondeterministicCall(f.args);
      if (random !== undefined) {
        throw st.error(random.pos, 'NonConstantExpression', `${random.name}() cannot be used inside the aggregate ${f.name}()`);
      }
      specs.push({ name: f.name, distinct: f.distinct, args: f.args.map((a) => compileExpr(a, preEnv)), slot });
    }
  }
  const width = (): number => st.slotCount;
  const fused = fuseGroupCount(ops, items, itemSlots, specs, width) ?? fuseCount(ops, keyEvals.length, specs, width);
  if (fused !== undefined) ops.splice(ops.length - 1, 1, fused);
  else {
  const detail = `keys: [${items.filter((_, i) => itemSlots[i] !== undefined).map((i) => i.name).join(', ')}], aggregates: [${aggItems.map((a) => a.it.name).join(', ')}]`;
  ops.push(op(keyEvals.length === 0 ? 'Aggregation' : 'GroupAggregation', detail, (n) => new AggregatePipe(n, keyEvals, keySlots, specs, width)));
  }
  const postEnv: ExprEnv = { scope: keyScope, st, aggregates: aggSlots, groupKeys: simpleGroupKeys, preScope: scope, noAggregates: 'here' };
  const evals: Eval[] = [];
  const slots: number[] = [];
  let next = keyScope;
  for (const { it, index } of aggItems) {
    const direct = aggSlots.get(it.expression);
    let slot: number;
    if (direct !== undefined) slot = direct;
    else {
      slot = st.newSlot();
      evals.push(compileExpr(it.expression, postEnv));
      slots.push(slot);
    }
    itemSlots[index] = slot;
    next = next.with(it.name, { slot, kind: 'any' });
  }
  if (evals.length > 0) ops.push(op('Projection', aggItems.map((a) => a.it.name).join(', '), (n) => new ProjectPipe(n, evals, slots)));
  if (proj.distinct) ops.push(op('Distinct', items.map((i) => i.name).join(', '), (n) => new DistinctPipe(n, itemSlots)));
  const orderKeys = new Map(groupKeys);
  items.forEach((it, i) => orderKeys.set(exprKey(it.expression), itemSlots[i]!));
  const orderEnv: ExprEnv = { scope: next, st, aggregates: aggSlots, groupKeys: orderKeys, preScope: scope, noAggregates: 'here' };
  for (const s of proj.orderBy) {
    // An ORDER BY item that aggregates follows the same rule as a projected one.
    if (containsAggregate(s.expression) && !orderKeys.has(exprKey(s.expression))) {
      compileExpr(s.expression, { ...orderEnv, groupKeys: simpleGroupKeys });
    }
  }
  planOrderSkipLimit(proj, orderEnv, new Map(), st, ops);
  return { scope: next, columns: items.map((i) => i.name), slots: itemSlots };
}

function planOrderSkipLimit(proj: Projection, env: ExprEnv, itemKeys: Map<string, number>, st: PlanState, ops: PlanOp[]): void {
  const skip = proj.skip === undefined ? undefined : countExpr(proj.skip, 'SKIP', st);
  const limit = proj.limit === undefined ? undefined : countExpr(proj.limit, 'LIMIT', st);
  if (proj.orderBy.length > 0) {
    const keys: SortKey[] = proj.orderBy.map((s) => {
      const slot = itemKeys.get(exprKey(s.expression));
      const ev: Eval = slot !== undefined ? (row) => row[slot]! : compileExpr(s.expression, env);
      return { eval: ev, descending: s.descending };
    });
    let top: ((ctx: ExecContext) => number) | undefined;
    if (limit !== undefined) top = skip === undefined ? limit : (ctx) => limit(ctx) + skip(ctx);
    const detail = proj.orderBy.map((s) => `${printExpression(s.expression)}${s.descending ? ' DESC' : ''}`).join(', ');
    ops.push(op(top === undefined ? 'Sort' : 'Top', detail, (n) => new SortPipe(n, keys, top)));
  }
  if (skip !== undefined) ops.push(op('Skip', printExpression(proj.skip!), (n) => new SkipPipe(n, skip)));
  if (limit !== undefined) ops.push(op('Limit', printExpression(proj.limit!), (n) => new LimitPipe(n, limit)));
}
