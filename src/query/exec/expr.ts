/**
 * The expression compiler: an AST expression becomes a closure `(row, ctx) => Value` once per
 * plan; variables are resolved to row slots at compile time, so nothing walks the AST per row.
 * Semantic errors found on the way (UndefinedVariable, UnknownFunction, InvalidAggregation, ...)
 * are thrown here with the expression's position.
 */
import { EdgeRecord, NodeRecord } from '../../graph/index.ts';
import type { Value, ValueMap } from '../../graph/index.ts';
import type { Expression, FunctionCall, MapProjection, PathPattern, Query } from '../../gql/index.ts';
import { GeodeError } from '../../util/errors.ts';
import { isAggregateFunction } from '../aggregates.ts';
import { lookupFunction } from '../functions/index.ts';
import {
  add,
  and3,
  cypherCompare,
  cypherEquals,
  divide,
  isTruthy,
  modulo,
  multiply,
  negate,
  not3,
  or3,
  power,
  subtract,
  typeName,
  xor3,
} from '../value-ops.ts';
import { PlanState, Scope, isHidden } from '../semantic/scope.ts';
import { WORK_CHECK_INTERVAL, type Eval, type ExecContext, type Row } from './context.ts';
import {
  compileLabelTest,
  concat,
  contains,
  deletedError,
  elementOf,
  endsWith,
  inList,
  propertiesMap,
  propertyOf,
  regexMatch,
  sliceOf,
  startsWith,
  testLabels,
  typeError,
} from './runtime.ts';
import { SubPipeline } from '../plan/ops.ts';
import { planPatternPipeline } from '../plan/match.ts';
import { planSubquery } from '../plan/subquery.ts';
import { subqueryDepthMax } from '../constants.ts';

/** Where an expression is compiled. */
export interface ExprEnv {
  readonly scope: Scope;
  readonly st: PlanState;
  /** After aggregation: aggregate call nodes → the slot holding their result. */
  readonly aggregates?: ReadonlyMap<Expression, number>;
  /** After aggregation: grouping-key expressions (by {@link exprKey}) → slot. */
  readonly groupKeys?: ReadonlyMap<string, number>;
  /** After aggregation: the scope before it, to tell ambiguous from undefined variables. */
  readonly preScope?: Scope;
  /** Where aggregates are not allowed, the reason (for InvalidAggregation); undefined = allowed via `aggregates`. */
  readonly noAggregates?: string;
}

/** A structural key of an expression (positions ignored), to compare expressions. */
export function exprKey(e: unknown): string {
  return JSON.stringify(e, (k, v: unknown) => {
    if (k === 'pos' || k === 'text') return undefined;
    if (typeof v === 'bigint') return `${v}n`;
    return v;
  });
}

const K_TRUE: Eval = () => true;

/** Compiles `e` in `env`; constant subexpressions are evaluated once, here. */
export function compileExpr(e: Expression, env: ExprEnv): Eval {
  const f = compileNode(e, env);
  if (e.kind === 'Literal' || e.kind === 'Parameter' || e.kind === 'Variable' || !isConstant(e, new Set())) return f;
  return fold(f, env, e.pos);
}

/** Evaluates a constant expression at compile time: a type error there is a compile-time error. */
function fold(f: Eval, env: ExprEnv, pos: number): Eval {
  const st = env.st;
  const ctx = {
    store: st.graph,
    params: {},
    fn: { graph: st.graph, random: Math.random },
    procedures: st.procedures,
    commands: [],
    undo: [],
    pendingDeletes: new Set(),
    depth: 0,
    workLeft: WORK_CHECK_INTERVAL,
    deadline: undefined,
  } as unknown as ExecContext;
  let v: Value;
  try {
    v = f(new Array<Value>(st.slotCount + 1).fill(null), ctx);
  } catch (err) {
    if (err instanceof GeodeError && err.code === 'GQL_TYPE' && err.detail === 'InvalidArgumentType') {
      throw env.st.error(pos, err.detail, err.message);
    }
    return f;
  }
  return () => v;
}

const NON_CONSTANT = new Set(['Parameter', 'PatternPredicate', 'PatternComprehension', 'ExistsSubquery', 'CountSubquery', 'CountStar', 'MapProjection']);

/** True when `e` reads no row, parameter, graph or random source (locals of comprehensions excepted). */
function isConstant(e: unknown, locals: Set<string>): boolean {
  if (e === null || typeof e !== 'object') return true;
  if (Array.isArray(e)) return e.every((x) => isConstant(x, locals));
  const n = e as Record<string, unknown> & { kind?: string };
  const kind = n.kind;
  if (kind !== undefined && NON_CONSTANT.has(kind)) return false;
  if (kind === 'Variable') return locals.has(n['name'] as string);
  if (kind === 'FunctionCall') {
    const name = n['name'] as string;
    if (isAggregateFunction(name)) return false;
    const def = lookupFunction(name);
    if (def === undefined || !def.deterministic) return false;
  }
  if (kind === 'ListComprehension' || kind === 'Quantifier') {
    const inner = new Set(locals).add(n['variable'] as string);
    return isConstant(n['list'], locals) && isConstant(n['where'], inner) && isConstant(n['map'], inner);
  }
  if (kind === 'Reduce') {
    const inner = new Set(locals).add(n['variable'] as string).add(n['accumulator'] as string);
    return isConstant(n['init'], locals) && isConstant(n['list'], locals) && isConstant(n['expression'], inner);
  }
  for (const k of Object.keys(n)) if (k !== 'pos' && !isConstant(n[k], locals)) return false;
  return true;
}

function compileNode(e: Expression, env: ExprEnv): Eval {
  if (env.aggregates !== undefined) {
    const slot = env.aggregates.get(e);
    if (slot !== undefined) return (row) => row[slot]!;
  }
  if (env.groupKeys !== undefined && e.kind !== 'Literal' && e.kind !== 'Parameter') {
    const slot = env.groupKeys.get(exprKey(e));
    if (slot !== undefined) return (row) => row[slot]!;
  }
  switch (e.kind) {
    case 'Literal': {
      const v = e.value;
      return () => v;
    }
    case 'Parameter': {
      const name = e.name;
      env.st.params.add(name);
      return (_row, ctx) => {
        const v = ctx.params[name];
        return v === undefined ? null : v;
      };
    }
    case 'Variable':
      return compileVariable(e.name, e.pos, env);
    case 'PropertyAccess':
      return compileProperty(e.object, e.key, env);
    case 'IndexAccess': {
      const o = compileExpr(e.object, env);
      const i = compileExpr(e.index, env);
      return (row, ctx) => elementOf(o(row, ctx), i(row, ctx));
    }
    case 'SliceAccess': {
      const o = compileExpr(e.object, env);
      const f = e.from === undefined ? undefined : compileExpr(e.from, env);
      const t = e.to === undefined ? undefined : compileExpr(e.to, env);
      return (row, ctx) => sliceOf(o(row, ctx), f?.(row, ctx), t?.(row, ctx));
    }
    case 'ListLiteral': {
      const items = e.items.map((x) => compileExpr(x, env));
      const n = items.length;
      return (row, ctx) => {
        const out = new Array<Value>(n);
        for (let i = 0; i < n; i++) out[i] = items[i]!(row, ctx);
        return out;
      };
    }
    case 'MapLiteral': {
      const keys = e.entries.map((x) => x.key);
      const vals = e.entries.map((x) => compileExpr(x.value, env));
      return (row, ctx) => {
        const m = Object.create(null) as ValueMap;
        for (let i = 0; i < keys.length; i++) m[keys[i]!] = vals[i]!(row, ctx);
        return m;
      };
    }
    case 'MapProjection':
      return compileMapProjection(e, env);
    case 'UnaryOp': {
      const o = compileExpr(e.operand, env);
      if (e.op === 'NOT') return (row, ctx) => not3(o(row, ctx));
      if (e.op === '-') return (row, ctx) => negate(o(row, ctx));
      return (row, ctx) => {
        const v = o(row, ctx);
        if (v === null || typeof v === 'bigint' || typeof v === 'number') return v;
        throw typeError(`unary + expects a number, got ${typeName(v)}`);
      };
    }
    case 'BinaryOp':
      return compileBinary(e.op, compileExpr(e.left, env), compileExpr(e.right, env), e.op === 'AND' || e.op === 'OR');
    case 'Comparison':
      return compileComparison(e.operators, e.operands.map((x) => compileExpr(x, env)), e.operands);
    case 'IsNull': {
      const o = compileExpr(e.operand, env);
      return e.negated ? (row, ctx) => o(row, ctx) !== null : (row, ctx) => o(row, ctx) === null;
    }
    case 'LabelCheck': {
      const o = compileExpr(e.operand, env);
      const test = compileLabelTest(e.labels);
      return (row, ctx) => testLabels(o(row, ctx), test);
    }
    case 'FunctionCall':
      return compileFunction(e, env);
    case 'CountStar':
      throw env.st.error(e.pos, 'InvalidAggregation', `count(*) is not allowed ${env.noAggregates ?? 'here'}`);
    case 'Case':
      return compileCase(e, env);
    case 'ListComprehension': {
      const list = compileExpr(e.list, env);
      const { inner, slot } = localScope(env, e.variable);
      const where = e.where === undefined ? undefined : compileExpr(e.where, inner);
      const map = e.map === undefined ? undefined : compileExpr(e.map, inner);
      return (row, ctx) => {
        const l = list(row, ctx);
        if (l === null) return null;
        if (!Array.isArray(l)) throw typeError(`list comprehension expects a LIST, got ${typeName(l)}`);
        const out: Value[] = [];
        for (const x of l as readonly Value[]) {
          row[slot] = x;
          if (where !== undefined && !isTruthy(where(row, ctx))) continue;
          out.push(map === undefined ? x : map(row, ctx));
        }
        return out;
      };
    }
    case 'Quantifier':
      return compileQuantifier(e.quantifier, e.variable, e.list, e.where, env);
    case 'Reduce': {
      const init = compileExpr(e.init, env);
      const list = compileExpr(e.list, env);
      const acc = localScope(env, e.accumulator);
      const item = localScope({ ...env, scope: acc.inner.scope }, e.variable);
      const body = compileExpr(e.expression, item.inner);
      return (row, ctx) => {
        let a = init(row, ctx);
        const l = list(row, ctx);
        if (l === null) return null;
        if (!Array.isArray(l)) throw typeError(`reduce expects a LIST, got ${typeName(l)}`);
        for (const x of l as readonly Value[]) {
          row[acc.slot] = a;
          row[item.slot] = x;
          a = body(row, ctx);
        }
        return a;
      };
    }
    case 'PatternComprehension':
      return compilePatternComprehension(e.pattern, e.where, e.map, env);
    case 'PatternPredicate': {
      for (const el of e.pattern.elements) {
        if (el.variable !== undefined && !env.scope.has(el.variable)) {
          throw env.st.error(el.pos, 'UndefinedVariable', `variable '${el.variable}' is not defined (a pattern predicate cannot introduce variables)`);
        }
      }
      const sub = patternSub([e.pattern], undefined, env);
      return (row, ctx) => exists(sub, row, ctx);
    }
    case 'ExistsSubquery': {
      const sub = subqueryOrPattern(e.patterns, e.where, e.query, env);
      return (row, ctx) => exists(sub, row, ctx);
    }
    case 'CountSubquery': {
      const sub = subqueryOrPattern(e.patterns, e.where, e.query, env);
      return (row, ctx) => {
        let n = 0n;
        enter(ctx);
        try {
          sub.run(row, ctx, () => {
            n++;
            return true;
          });
        } finally {
          ctx.depth--;
        }
        return n;
      };
    }
  }
}

function enter(ctx: ExecContext): void {
  if (++ctx.depth > subqueryDepthMax) {
    ctx.depth--;
    throw new GeodeError('LIMIT_EXCEEDED', `subqueries nested deeper than ${subqueryDepthMax}`);
  }
}

function exists(sub: SubPipeline, row: Row, ctx: ExecContext): boolean {
  let found = false;
  enter(ctx);
  try {
    sub.run(row, ctx, () => {
      found = true;
      return false;
    });
  } finally {
    ctx.depth--;
  }
  return found;
}

function checkDepth(env: ExprEnv, pos: number): void {
  if (env.st.depth > subqueryDepthMax) {
    throw new GeodeError('LIMIT_EXCEEDED', `subqueries nested deeper than ${subqueryDepthMax} (offset ${pos})`);
  }
}

function patternSub(patterns: readonly PathPattern[], where: Expression | undefined, env: ExprEnv): SubPipeline {
  checkDepth(env, patterns[0]?.pos ?? 0);
  env.st.depth++;
  try {
    const { ops } = planPatternPipeline(patterns, where, env.scope, env.st, false);
    return new SubPipeline(ops);
  } finally {
    env.st.depth--;
  }
}

function subqueryOrPattern(
  patterns: readonly PathPattern[] | undefined,
  where: Expression | undefined,
  query: Query | undefined,
  env: ExprEnv,
): SubPipeline {
  if (patterns !== undefined) return patternSub(patterns, where, env);
  if (query === undefined) return new SubPipeline([]);
  env.st.depth++;
  try {
    return new SubPipeline(planSubquery(query, env.scope, env.st, false).ops);
  } finally {
    env.st.depth--;
  }
}

function compilePatternComprehension(
  pattern: PathPattern,
  where: Expression | undefined,
  map: Expression,
  env: ExprEnv,
): Eval {
  checkDepth(env, pattern.pos);
  env.st.depth++;
  let sub: SubPipeline;
  let mapEval: Eval;
  try {
    const planned = planPatternPipeline([pattern], where, env.scope, env.st, false);
    sub = new SubPipeline(planned.ops);
    mapEval = compileExpr(map, { ...env, scope: planned.scope });
  } finally {
    env.st.depth--;
  }
  return (row, ctx) => {
    const out: Value[] = [];
    enter(ctx);
    try {
      sub.run(row, ctx, (r, c) => {
        out.push(mapEval(r, c));
        return true;
      });
    } finally {
      ctx.depth--;
    }
    return out;
  };
}

/** A scope extended with a local variable (comprehensions, quantifiers, reduce). */
function localScope(env: ExprEnv, name: string): { inner: ExprEnv; slot: number } {
  const slot = env.st.newSlot();
  const inner: ExprEnv = { ...env, scope: env.scope.with(name, { slot, kind: 'any' }) };
  // A local variable shadows grouping keys of the same name.
  if (env.groupKeys !== undefined) {
    const keys = new Map(env.groupKeys);
    keys.delete(exprKey({ kind: 'Variable', name }));
    return { inner: { ...inner, groupKeys: keys }, slot };
  }
  return { inner, slot };
}

function compileVariable(name: string, pos: number, env: ExprEnv): Eval {
  const v = env.scope.get(name);
  if (v === undefined) {
    if (env.preScope?.has(name) === true) {
      throw env.st.error(
        pos,
        'AmbiguousAggregationExpression',
        `variable '${name}' is neither a grouping key nor inside an aggregate`,
      );
    }
    throw env.st.error(pos, 'UndefinedVariable', `variable '${name}' is not defined`);
  }
  const slot = v.slot;
  return (row) => row[slot]!;
}

function compileProperty(object: Expression, key: string, env: ExprEnv): Eval {
  if (object.kind === 'Variable' && env.scope.get(object.name)?.kind === 'path') {
    throw env.st.error(object.pos, 'InvalidArgumentType', `'${object.name}' is a path: paths have no properties`);
  }
  const o = compileExpr(object, env);
  if (object.kind === 'Variable' && env.groupKeys === undefined) {
    const slot = env.scope.get(object.name)!.slot;
    return (row) => {
      const v = row[slot]!;
      if (v instanceof NodeRecord) {
        if (v.deleted) throw deletedError(v);
        const x = v.props.get(key);
        return x === undefined ? null : x;
      }
      return propertyOf(v, key);
    };
  }
  return (row, ctx) => propertyOf(o(row, ctx), key);
}

function compileMapProjection(e: MapProjection, env: ExprEnv): Eval {
  const base = compileVariable(e.variable, e.pos, env);
  const parts: ((row: Row, ctx: ExecContext, src: Value, out: ValueMap) => void)[] = [];
  for (const item of e.items) {
    switch (item.kind) {
      case 'PropertySelector': {
        const key = item.key;
        parts.push((_r, _c, src, out) => {
          out[key] = propertyOf(src, key);
        });
        break;
      }
      case 'AllPropertiesSelector':
        parts.push((_r, _c, src, out) => {
          const m = propertiesMap(src);
          if (m !== null) for (const k of Object.keys(m)) out[k] = m[k]!;
        });
        break;
      case 'LiteralEntry': {
        const key = item.key;
        const v = compileExpr(item.value, env);
        parts.push((r, c, _src, out) => {
          out[key] = v(r, c);
        });
        break;
      }
      case 'VariableSelector': {
        const name = item.name;
        const v = compileVariable(name, e.pos, env);
        parts.push((r, c, _src, out) => {
          out[name] = v(r, c);
        });
        break;
      }
    }
  }
  return (row, ctx) => {
    const src = base(row, ctx);
    if (src === null) return null;
    if (src instanceof NodeRecord || src instanceof EdgeRecord) {
      if (src.deleted) throw deletedError(src);
    } else if (typeof src !== 'object' || Array.isArray(src)) {
      throw typeError(`map projection needs a node, relationship or map, got ${typeName(src)}`);
    }
    const out = Object.create(null) as ValueMap;
    for (const p of parts) p(row, ctx, src, out);
    return out;
  };
}

type Binary = (a: Value, b: Value) => Value;

const BINARY: Record<string, Binary> = {
  XOR: xor3,
  '+': add,
  '-': subtract,
  '*': multiply,
  '/': divide,
  '%': modulo,
  '^': power,
  IN: inList,
  'STARTS WITH': startsWith,
  'ENDS WITH': endsWith,
  CONTAINS: contains,
  '=~': regexMatch,
  '||': concat,
};

function compileBinary(opName: string, l: Eval, r: Eval, logical: boolean): Eval {
  if (logical) {
    // Both sides are evaluated, so `false AND 123` is still a type error, as openCypher requires.
    if (opName === 'AND') return (row, ctx) => and3(l(row, ctx), r(row, ctx));
    return (row, ctx) => or3(l(row, ctx), r(row, ctx));
  }
  const f = BINARY[opName]!;
  return (row, ctx) => f(l(row, ctx), r(row, ctx));
}

export function compareOp(op: string, a: Value, b: Value): Value {
  switch (op) {
    case '=':
      return cypherEquals(a, b);
    case '<>': {
      const eq = cypherEquals(a, b);
      return eq === null ? null : !eq;
    }
    default: {
      const c = cypherCompare(a, b);
      if (c === null) return null;
      if (op === '<') return c < 0;
      if (op === '>') return c > 0;
      if (op === '<=') return c <= 0;
      return c >= 0;
    }
  }
}

function compileComparison(ops: readonly string[], operands: Eval[], asts: readonly Expression[]): Eval {
  if (ops.length === 1) {
    const op = ops[0]!;
    const l = operands[0]!;
    const r = operands[1]!;
    const rightAst = asts[1]!;
    if (rightAst.kind === 'Literal' && typeof rightAst.value === 'bigint' && op !== '=' && op !== '<>') {
      const lit = rightAst.value;
      return (row, ctx) => {
        const a = l(row, ctx);
        if (typeof a === 'bigint') return op === '>' ? a > lit : op === '<' ? a < lit : op === '>=' ? a >= lit : a <= lit;
        return compareOp(op, a, lit);
      };
    }
    return (row, ctx) => compareOp(op, l(row, ctx), r(row, ctx));
  }
  return (row, ctx) => {
    let result: Value = true;
    let prev = operands[0]!(row, ctx);
    for (let i = 0; i < ops.length; i++) {
      const next = operands[i + 1]!(row, ctx);
      result = and3(result, compareOp(ops[i]!, prev, next));
      if (result === false) return false;
      prev = next;
    }
    return result;
  };
}

function compileCase(e: Extract<Expression, { kind: 'Case' }>, env: ExprEnv): Eval {
  const test = e.test === undefined ? undefined : compileExpr(e.test, env);
  const whens = e.whens.map((w) => compileExpr(w.when, env));
  const thens = e.whens.map((w) => compileExpr(w.then, env));
  const otherwise = e.else === undefined ? undefined : compileExpr(e.else, env);
  return (row, ctx) => {
    if (test !== undefined) {
      const t = test(row, ctx);
      for (let i = 0; i < whens.length; i++) if (cypherEquals(t, whens[i]!(row, ctx)) === true) return thens[i]!(row, ctx);
    } else {
      for (let i = 0; i < whens.length; i++) if (whens[i]!(row, ctx) === true) return thens[i]!(row, ctx);
    }
    return otherwise === undefined ? null : otherwise(row, ctx);
  };
}

function compileQuantifier(
  q: 'all' | 'any' | 'none' | 'single',
  variable: string,
  listExpr: Expression,
  whereExpr: Expression | undefined,
  env: ExprEnv,
): Eval {
  const list = compileExpr(listExpr, env);
  const { inner, slot } = localScope(env, variable);
  const where = whereExpr === undefined ? K_TRUE : compileExpr(whereExpr, inner);
  return (row, ctx) => {
    const l = list(row, ctx);
    if (l === null) return null;
    if (!Array.isArray(l)) throw typeError(`${q}() expects a LIST, got ${typeName(l)}`);
    let trues = 0;
    let nulls = 0;
    let falses = 0;
    for (const x of l as readonly Value[]) {
      row[slot] = x;
      const p = where(row, ctx);
      if (p === true) trues++;
      else if (p === null) nulls++;
      else if (p === false) falses++;
      else throw typeError(`${q}() predicate must be BOOLEAN, got ${typeName(p)}`);
    }
    switch (q) {
      case 'all':
        return falses > 0 ? false : nulls > 0 ? null : true;
      case 'any':
        return trues > 0 ? true : nulls > 0 ? null : false;
      case 'none':
        return trues > 0 ? false : nulls > 0 ? null : true;
      case 'single':
        return trues > 1 ? false : nulls > 0 ? null : trues === 1;
    }
  };
}

/** True when `e` contains an aggregate call (not looking into nested subqueries). */
export function containsAggregate(e: unknown): boolean {
  if (e === null || typeof e !== 'object') return false;
  if (Array.isArray(e)) return e.some(containsAggregate);
  const n = e as { kind?: string; name?: string };
  if (n.kind === 'CountStar') return true;
  if (n.kind === 'FunctionCall' && isAggregateFunction(n.name!)) return true;
  if (n.kind === 'ExistsSubquery' || n.kind === 'CountSubquery' || n.kind === 'PatternComprehension') return false;
  for (const k of Object.keys(n)) {
    if (k === 'pos') continue;
    if (containsAggregate((n as Record<string, unknown>)[k])) return true;
  }
  return false;
}

/** The first call of a non-deterministic function (`rand()`) in `e`, if any. */
export function findNondeterministicCall(e: unknown): FunctionCall | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  if (Array.isArray(e)) {
    for (const x of e) {
      const found = findNondeterministicCall(x);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const n = e as { kind?: string; name?: string };
  if (n.kind === 'FunctionCall' && lookupFunction(n.name!)?.deterministic === false) return e as FunctionCall;
  for (const k of Object.keys(n)) {
    if (k === 'pos') continue;
    const found = findNondeterministicCall((n as Record<string, unknown>)[k]);
    if (found !== undefined) return found;
  }
  return undefined;
}

function compileFunction(e: FunctionCall, env: ExprEnv): Eval {
  const lower = e.name.toLowerCase();
  if (isAggregateFunction(lower)) {
    throw env.st.error(e.pos, 'InvalidAggregation', `aggregate ${e.name}() is not allowed ${env.noAggregates ?? 'here'}`);
  }
  if (lower === 'exists' && e.args.length === 1) {
    const a = e.args[0]!;
    if (a.kind === 'PatternPredicate') return compileExpr(a, env);
    if (a.kind !== 'PropertyAccess' && a.kind !== 'IndexAccess') {
      throw env.st.error(a.pos, 'InvalidArgumentExpression', 'exists() expects a property access or a pattern');
    }
    const o = compileExpr(a, env);
    return (row, ctx) => o(row, ctx) !== null;
  }
  const def = lookupFunction(e.name);
  if (def === undefined) throw env.st.error(e.pos, 'UnknownFunction', `unknown function '${e.name}'`);
  if (e.args.length < def.minArgs || e.args.length > def.maxArgs) {
    throw env.st.error(
      e.pos,
      'InvalidNumberOfArguments',
      `${def.name}() takes ${def.minArgs === def.maxArgs ? def.minArgs : `${def.minArgs} to ${def.maxArgs}`} arguments, got ${e.args.length}`,
    );
  }
  checkArgKinds(lower, e, env);
  const args = e.args.map((a) => compileExpr(a, env));
  const n = args.length;
  if (n === 1) {
    const a0 = args[0]!;
    return (row, ctx) => def.call([a0(row, ctx)], ctx.fn);
  }
  return (row, ctx) => {
    const vals = new Array<Value>(n);
    for (let i = 0; i < n; i++) vals[i] = args[i]!(row, ctx);
    return def.call(vals, ctx.fn);
  };
}

const ARG_KINDS: Record<string, readonly string[]> = {
  labels: ['node', 'any'],
  size: ['value', 'any', 'relList'],
  length: ['path', 'any', 'value'],
  type: ['rel', 'any'],
  properties: ['node', 'rel', 'any', 'value'],
};

/** Compile-time argument checks where the variable's kind is known (labels(path), length(node), ...). */
function checkArgKinds(lower: string, e: FunctionCall, env: ExprEnv): void {
  const allowed = ARG_KINDS[lower];
  const a = e.args[0];
  if (allowed === undefined || a === undefined) return;
  let kind: string | undefined;
  if (a.kind === 'Variable') kind = env.scope.get(a.name)?.kind;
  else if (a.kind === 'Literal' && a.value !== null && lower === 'properties') kind = 'literal';
  if (kind !== undefined && !allowed.includes(kind)) {
    throw env.st.error(a.pos, 'InvalidArgumentType', `${e.name}() cannot take a ${kind === 'rel' ? 'relationship' : kind}`);
  }
}

/** Variables an expression reads (over-approximation: every Variable name, locals included). */
export function freeVariables(e: unknown, out: Set<string> = new Set()): Set<string> {
  if (e === null || typeof e !== 'object') return out;
  if (Array.isArray(e)) {
    for (const x of e) freeVariables(x, out);
    return out;
  }
  const n = e as Record<string, unknown>;
  if (n['kind'] === 'Variable') out.add(n['name'] as string);
  else if (n['kind'] === 'MapProjection') out.add(n['variable'] as string);
  else if (n['kind'] === 'NodePattern' || n['kind'] === 'RelationshipPattern') {
    if (typeof n['variable'] === 'string') out.add(n['variable']);
  }
  for (const k of Object.keys(n)) if (k !== 'pos') freeVariables(n[k], out);
  return out;
}

/** Visible variables of a scope, for messages. */
export function describeScope(scope: Scope): string {
  return scope.visibleNames().join(', ');
}

export { isHidden };
