/**
 * The MATCH planner: binds pattern variables to slots, picks where each path starts by
 * selectivity (bound variable > index seek > smallest label > all nodes), expands along the
 * relationships in both directions, and pushes each predicate down to the first operator after
 * which all its variables are bound.
 */
import type { Expression, NodePattern, PathPattern, RelationshipPattern } from '../../gql/index.ts';
import { compileExpr, freeVariables } from '../exec/expr.ts';
import { printExpression } from '../../gql/index.ts';
import { ColumnFilterScanPipe, type ColumnComparison } from '../exec/column-scan.ts';
import type { Eval } from '../exec/context.ts';
import {
  AllNodesScanPipe,
  BuildPathPipe,
  CheckNodePipe,
  ExpandPipe,
  FilterPipe,
  IndexSeekPipe,
  ShortestPathPipe,
  VarExpandPipe,
  propertiesEqual,
  propertyEquals,
  type Direction,
} from '../exec/match-ops.ts';
import { compileLabelTest, requiredLabels, testLabels, typeAlternatives } from '../exec/runtime.ts';
import { PlanState, Scope, compatible, type VarKind } from '../semantic/scope.ts';
import { op, type PlanOp } from './ops.ts';

interface NodeEl {
  readonly ast: NodePattern;
  readonly name: string;
  readonly slot: number;
}

interface RelEl {
  readonly ast: RelationshipPattern;
  readonly name: string;
  readonly slot: number;
  /** Bound before this MATCH. */
  readonly outer: boolean;
  readonly types: readonly string[];
}

interface PathEl {
  readonly ast: PathPattern;
  readonly nodes: NodeEl[];
  readonly rels: RelEl[];
  readonly pathSlot: number | undefined;
  readonly pathName: string | undefined;
}

interface Conjunct {
  readonly ast: Expression | undefined;
  readonly text: string;
  readonly deps: ReadonlySet<string>;
  readonly eval: Eval;
  done: boolean;
  /** For label conjuncts: the node variable and its single label (dropped when a scan by that label binds it). */
  readonly label?: { readonly node: string; readonly name: string };
  /** For index seeks: `node.key = value` with `value` free of this MATCH's new variables. */
  readonly eq?: { readonly node: string; readonly key: string; readonly value: Expression; readonly eval: Eval };
  /** For fused column scans: `node.key <op> value` with `value` a literal number or a parameter. */
  readonly cmp?: { readonly node: string; readonly key: string; readonly op: ColumnComparison; readonly eval: Eval };
}

export interface PlannedPattern {
  readonly ops: PlanOp[];
  /** The scope after the match (outer variables plus the pattern's). */
  readonly scope: Scope;
  /** Slots bound by this match (for OPTIONAL MATCH to null out). */
  readonly newSlots: number[];
}

/** Splits a predicate on top-level AND. */
export function conjuncts(e: Expression | undefined, out: Expression[] = []): Expression[] {
  if (e === undefined) return out;
  if (e.kind === 'BinaryOp' && e.op === 'AND') {
    conjuncts(e.left, out);
    conjuncts(e.right, out);
  } else out.push(e);
  return out;
}

function exprText(_st: PlanState, e: Expression): string {
  return printExpression(e);
}

/** Binds the variables of `patterns` (checking kinds) and returns the new scope and elements. */
function bindPatterns(
  patterns: readonly PathPattern[],
  outer: Scope,
  st: PlanState,
): { scope: Scope; paths: PathEl[]; newSlots: number[] } {
  let scope = outer;
  const newSlots: number[] = [];
  const relNames = new Set<string>();
  const bind = (name: string | undefined, kind: VarKind, pos: number): { name: string; slot: number } => {
    if (name === undefined) {
      const anon = st.anonName();
      const slot = st.newSlot();
      scope = scope.with(anon, { slot, kind });
      newSlots.push(slot);
      return { name: anon, slot };
    }
    const have = scope.get(name);
    if (have !== undefined) {
      if (!compatible(have.kind, kind)) {
        throw st.error(pos, 'VariableTypeConflict', `variable '${name}' is a ${have.kind}, used here as a ${kind}`);
      }
      return { name, slot: have.slot };
    }
    const slot = st.newSlot();
    scope = scope.with(name, { slot, kind });
    newSlots.push(slot);
    return { name, slot };
  };
  const paths: PathEl[] = [];
  for (const p of patterns) {
    for (const el of p.elements) {
      if (el.properties?.kind === 'Parameter') {
        throw st.error(el.properties.pos, 'InvalidParameterUse', 'a parameter cannot be used as a pattern property map here');
      }
    }
    const nodes: NodeEl[] = [];
    const rels: RelEl[] = [];
    for (const el of p.elements) {
      if (el.kind === 'NodePattern') {
        nodes.push({ ast: el, ...bind(el.variable, 'node', el.pos) });
      } else {
        const kind: VarKind = el.length === undefined ? 'rel' : 'relList';
        if (el.variable !== undefined) {
          if (relNames.has(el.variable)) {
            throw st.error(el.pos, 'RelationshipUniquenessViolation', `relationship '${el.variable}' is used twice in one pattern`);
          }
          relNames.add(el.variable);
        }
        const outerBound = el.variable !== undefined && outer.has(el.variable);
        const types = typeAlternatives(el.types);
        rels.push({ ast: el, outer: outerBound, types: types ?? [], ...bind(el.variable, kind, el.pos) });
      }
    }
    let pathSlot: number | undefined;
    if (p.variable !== undefined) {
      if (scope.has(p.variable)) throw st.error(p.pos, 'VariableAlreadyBound', `variable '${p.variable}' is already bound`);
      pathSlot = st.newSlot();
      scope = scope.with(p.variable, { slot: pathSlot, kind: 'path' });
      newSlots.push(pathSlot);
    }
    paths.push({ ast: p, nodes, rels, pathSlot, pathName: p.variable });
  }
  return { scope, paths, newSlots };
}

/** Predicates of the pattern elements themselves: labels, property maps, inline WHERE, type expressions. */
function elementConjuncts(paths: PathEl[], scope: Scope, st: PlanState, known: Set<string>): Conjunct[] {
  const out: Conjunct[] = [];
  const env = { scope, st, noAggregates: 'in a pattern' };
  const mk = (deps: string[], evalFn: Eval, text: string, ast?: Expression, eq?: Conjunct['eq'], label?: Conjunct['label']): void => {
    out.push({ ast, text, deps: new Set(deps), eval: evalFn, done: false, ...(eq === undefined ? {} : { eq }), ...(label === undefined ? {} : { label }) });
  };
  const propDeps = (e: Expression): string[] => [...freeVariables(e)].filter((v) => known.has(v));
  for (const p of paths) {
    for (const n of p.nodes) {
      const slot = n.slot;
      if (n.ast.labels !== undefined) {
        const test = compileLabelTest(n.ast.labels);
        const single = n.ast.labels.kind === 'LabelName' ? { node: n.name, name: n.ast.labels.name } : undefined;
        mk([n.name], (row) => testLabels(row[slot]!, test), `${n.name.trim()}:labels`, undefined, undefined, single);
      }
      addPropertyConjuncts(n.ast.properties, n.name, slot, env, mk, propDeps, true);
      if (n.ast.where !== undefined) {
        mk([n.name, ...propDeps(n.ast.where)], compileExpr(n.ast.where, env), exprText(st, n.ast.where), n.ast.where);
      }
    }
    for (const r of p.rels) {
      const slot = r.slot;
      if (r.ast.types !== undefined && typeAlternatives(r.ast.types) === undefined) {
        const test = compileLabelTest(r.ast.types);
        mk([r.name], (row) => testLabels(row[slot]!, test), `${r.name}:types`);
      }
      if (r.ast.length === undefined) addPropertyConjuncts(r.ast.properties, r.name, slot, env, mk, propDeps, false);
      if (r.ast.where !== undefined) {
        mk([r.name, ...propDeps(r.ast.where)], compileExpr(r.ast.where, env), exprText(st, r.ast.where), r.ast.where);
      }
    }
  }
  return out;
}

function addPropertyConjuncts(
  props: Expression | undefined,
  name: string,
  slot: number,
  env: { scope: Scope; st: PlanState; noAggregates: string },
  mk: (deps: string[], e: Eval, text: string, ast?: Expression, eq?: Conjunct['eq']) => void,
  propDeps: (e: Expression) => string[],
  isNode: boolean,
): void {
  if (props === undefined) return;
  if (props.kind === 'MapLiteral') {
    for (const entry of props.entries) {
      const v = compileExpr(entry.value, env);
      const eq = isNode ? { node: name, key: entry.key, value: entry.value, eval: v } : undefined;
      mk([name, ...propDeps(entry.value)], propertyEquals(slot, entry.key, v), `${name}.${entry.key} = …`, undefined, eq);
    }
  } else {
    const m = compileExpr(props, env);
    mk([name, ...propDeps(props)], propertiesEqual(slot, m), `${name} {…}`);
  }
}

/** Recognizes `n.key = expr` / `expr = n.key` for index seeks. */
function equalityOf(e: Expression, compile: (x: Expression) => Eval): Conjunct['eq'] | undefined {
  if (e.kind !== 'Comparison' || e.operators.length !== 1 || e.operators[0] !== '=') return undefined;
  const [l, r] = e.operands as [Expression, Expression];
  if (l.kind === 'PropertyAccess' && l.object.kind === 'Variable') return { node: l.object.name, key: l.key, value: r, eval: compile(r) };
  if (r.kind === 'PropertyAccess' && r.object.kind === 'Variable') return { node: r.object.name, key: r.key, value: l, eval: compile(l) };
  return undefined;
}

const FLIPPED: Readonly<Record<string, ColumnComparison>> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** `n.key <op> c` (or `c <op> n.key`) with `c` a number literal or a parameter: a fused scan can take it. */
function columnComparisonOf(e: Expression, compile: (x: Expression) => Eval): Conjunct['cmp'] | undefined {
  if (e.kind !== 'Comparison' || e.operators.length !== 1) return undefined;
  const op = e.operators[0]!;
  if (FLIPPED[op] === undefined) return undefined;
  const [l, r] = e.operands as [Expression, Expression];
  const fixed = (x: Expression): boolean =>
    x.kind === 'Parameter' || (x.kind === 'Literal' && (typeof x.value === 'bigint' || typeof x.value === 'number'));
  if (l.kind === 'PropertyAccess' && l.object.kind === 'Variable' && fixed(r)) {
    return { node: l.object.name, key: l.key, op: op as ColumnComparison, eval: compile(r) };
  }
  if (r.kind === 'PropertyAccess' && r.object.kind === 'Variable' && fixed(l)) {
    return { node: r.object.name, key: r.key, op: FLIPPED[op]!, eval: compile(l) };
  }
  return undefined;
}

/**
 * A WHERE conjunct that is only a node, relationship or path (`WHERE (n)`, `WHERE r`) can never
 * be a boolean: refused at compile time, as openCypher does.
 */
function checkPredicateType(c: Expression, scope: Scope, st: PlanState): void {
  let name: string | undefined;
  if (c.kind === 'Variable') name = c.name;
  else if (c.kind === 'PatternPredicate' && c.pattern.elements.length === 1) {
    const only = c.pattern.elements[0]!;
    if (only.kind === 'NodePattern' && only.labels === undefined && only.properties === undefined) name = only.variable;
  }
  if (name === undefined) return;
  const kind = scope.get(name)?.kind;
  if (kind === 'node' || kind === 'rel' || kind === 'relList' || kind === 'path') {
    throw st.error(c.pos, 'InvalidArgumentType', `WHERE needs a boolean, but '${name}' is a ${kind === 'relList' ? 'list of relationships' : kind}`);
  }
}

/** The state of planning one MATCH. */
interface MatchCtx {
  readonly st: PlanState;
  readonly scope: Scope;
  readonly preds: Conjunct[];
  readonly bound: Set<string>;
  readonly ops: PlanOp[];
  /** Relationship slots bound so far by this MATCH (relationship isomorphism). */
  readonly rels: number[];
  /** Names of all variables this MATCH introduces. */
  readonly newNames: ReadonlySet<string>;
}

/**
 * Plans `patterns` (with `where`) on top of `outer`. The returned ops expect a row where the
 * outer variables are bound; they bind the pattern's variables and filter.
 */
export function planPatternPipeline(
  patterns: readonly PathPattern[],
  where: Expression | undefined,
  outer: Scope,
  st: PlanState,
  _optional: boolean,
): PlannedPattern {
  const { scope, paths, newSlots } = bindPatterns(patterns, outer, st);
  const known = new Set(scope.vars.keys());
  const preds = elementConjuncts(paths, scope, st, known);
  const whereEnv = { scope, st, noAggregates: 'in WHERE' };
  const compile = (x: Expression): Eval => compileExpr(x, whereEnv);
  for (const c of conjuncts(where)) {
    checkPredicateType(c, scope, st);
    const deps = [...freeVariables(c)].filter((v) => known.has(v));
    const eq = equalityOf(c, compile);
    const cmp = columnComparisonOf(c, compile);
    preds.push({
      ast: c,
      text: exprText(st, c),
      deps: new Set(deps),
      eval: compile(c),
      done: false,
      ...(eq === undefined ? {} : { eq }),
      ...(cmp === undefined ? {} : { cmp }),
    });
  }
  const newNames = new Set([...scope.vars.keys()].filter((n) => !outer.has(n)));
  const m: MatchCtx = { st, scope, preds, bound: new Set(outer.vars.keys()), ops: [], rels: [], newNames };
  emitFilters(m);
  const pending = paths.filter((p) => p.ast.shortest === undefined);
  while (pending.length > 0) {
    let best = 0;
    let bestCost = Infinity;
    for (let i = 0; i < pending.length; i++) {
      const c = startCost(pending[i]!, m).cost;
      if (c < bestCost) {
        bestCost = c;
        best = i;
      }
    }
    planPath(pending.splice(best, 1)[0]!, m);
  }
  for (const path of paths) if (path.ast.shortest !== undefined) planShortest(path, m);
  for (const c of preds) {
    if (c.done) continue;
    c.done = true;
    const pred = c.eval;
    m.ops.push(op('Filter', c.text, (next) => new FilterPipe(next, pred)));
  }
  return { ops: m.ops, scope, newSlots };
}

function emitFilters(m: MatchCtx): void {
  for (const c of m.preds) {
    if (c.done) continue;
    let ok = true;
    for (const d of c.deps) if (!m.bound.has(d)) ok = false;
    if (!ok) continue;
    c.done = true;
    const pred = c.eval;
    m.ops.push(op('Filter', c.text, (next) => new FilterPipe(next, pred)));
  }
}

interface StartChoice {
  readonly cost: number;
  readonly index: number;
  readonly seek?: Conjunct;
  readonly label?: string;
}

function startCost(path: PathEl, m: MatchCtx): StartChoice {
  let best: StartChoice = { cost: Infinity, index: 0 };
  for (let i = 0; i < path.nodes.length; i++) {
    const n = path.nodes[i]!;
    if (m.bound.has(n.name)) return { cost: 0, index: i };
    for (const label of requiredLabels(n.ast.labels)) {
      for (const c of m.preds) {
        if (c.done || c.eq === undefined || c.eq.node !== n.name || best.cost <= 1) continue;
        const deps = freeVariables(c.eq.value);
        let free = true;
        for (const d of deps) if (m.newNames.has(d) && !m.bound.has(d)) free = false;
        if (free && m.st.graph.hasIndex(label, c.eq.key)) best = { cost: 1, index: i, seek: c, label };
      }
      const cnt = 2 + m.st.graph.labelCount(label);
      if (cnt < best.cost) best = { cost: cnt, index: i, label };
    }
    const all = 3 + m.st.graph.nodeCount * 2;
    if (all < best.cost) best = { cost: all, index: i };
  }
  return best;
}

function nodeDetail(n: NodeEl): string {
  const labels = requiredLabels(n.ast.labels);
  return `(${n.name.trim()}${labels.map((l) => `:${l}`).join('')})`;
}

function planStart(n: NodeEl, choice: StartChoice, m: MatchCtx): void {
  const slot = n.slot;
  if (m.bound.has(n.name)) {
    m.ops.push(op('Argument', nodeDetail(n), (next) => new CheckNodePipe(next, slot)));
    return;
  }
  const seek = choice.seek;
  if (seek !== undefined && seek.eq !== undefined && choice.label !== undefined) {
    seek.done = true;
    const { key, eval: value } = seek.eq;
    const label = choice.label;
    m.ops.push(op('NodeIndexSeek', `${nodeDetail(n)} ON :${label}(${key})`, (next) => new IndexSeekPipe(next, slot, label, key, value)));
    dropLabelCheck(m, n.name, label);
  } else if (choice.label !== undefined) {
    const label = choice.label;
    dropLabelCheck(m, n.name, label);
    const fused = m.preds.find((c) => !c.done && c.cmp !== undefined && c.cmp.node === n.name && c.deps.size === 1);
    if (fused?.cmp !== undefined) {
      fused.done = true;
      const { key, op: cmpOp, eval: value } = fused.cmp;
      const scan = op('NodeByLabelColumnScan', `${nodeDetail(n)} WHERE ${fused.text}`, (next) => new ColumnFilterScanPipe(next, slot, label, key, cmpOp, value));
      m.ops.push({ ...scan, columnFilter: { label, key, op: cmpOp, value } });
    } else {
      const scan = op('NodeByLabelScan', nodeDetail(n), (next) => new AllNodesScanPipe(next, slot, label));
      m.ops.push({ ...scan, labelScan: { variable: n.name, slot, label } });
    }
  } else {
    m.ops.push(op('AllNodesScan', nodeDetail(n), (next) => new AllNodesScanPipe(next, slot, undefined)));
  }
  m.bound.add(n.name);
}

/** A scan by `label` already guarantees the node's single-label predicate. */
function dropLabelCheck(m: MatchCtx, node: string, label: string): void {
  for (const c of m.preds) if (c.label !== undefined && c.label.node === node && c.label.name === label) c.done = true;
}

function flip(d: Direction): Direction {
  return d === 'out' ? 'in' : d === 'in' ? 'out' : 'both';
}

function planPath(path: PathEl, m: MatchCtx): void {
  const choice = startCost(path, m);
  planStart(path.nodes[choice.index]!, choice, m);
  emitFilters(m);
  for (let i = choice.index; i < path.rels.length; i++) {
    planHop(path.rels[i]!, path.nodes[i]!, path.nodes[i + 1]!, false, m);
    emitFilters(m);
  }
  for (let i = choice.index - 1; i >= 0; i--) {
    planHop(path.rels[i]!, path.nodes[i + 1]!, path.nodes[i]!, true, m);
    emitFilters(m);
  }
  if (path.pathSlot !== undefined) {
    const ps = path.pathSlot;
    const ns = path.nodes.map((n) => n.slot);
    const rs = path.rels.map((r) => r.slot);
    m.ops.push(op('BuildPath', path.pathName!, (next) => new BuildPathPipe(next, ps, ns, rs)));
    m.bound.add(path.pathName!);
    emitFilters(m);
  }
}

function planHop(r: RelEl, from: NodeEl, to: NodeEl, reversed: boolean, m: MatchCtx): void {
  const dir = reversed ? flip(r.ast.direction) : r.ast.direction;
  const toBound = m.bound.has(to.name);
  const relBound = m.bound.has(r.name);
  const unique = m.rels.slice();
  const arrow = dir === 'out' ? '->' : dir === 'in' ? '<-' : '--';
  const typeText = r.types.length > 0 ? `:${r.types.join('|')}` : '';
  if (r.ast.length === undefined) {
    const spec = { from: from.slot, rel: r.slot, to: to.slot, dir, types: r.types, toBound, relBound, unique };
    const kind = toBound ? 'ExpandInto' : 'Expand';
    m.ops.push(op(kind, `(${from.name.trim()})-[${r.name.trim()}${typeText}]${arrow}(${to.name.trim()})`, (next) => new ExpandPipe(next, spec)));
  } else {
    const min = r.ast.length.min ?? 1;
    const max = r.ast.length.max;
    const edgeProps: { key: string; value: Eval }[] = [];
    const props = r.ast.properties;
    if (props !== undefined && props.kind === 'MapLiteral') {
      for (const e of props.entries) edgeProps.push({ key: e.key, value: compileExpr(e.value, { scope: m.scope, st: m.st }) });
    }
    const spec = { from: from.slot, rel: r.slot, to: to.slot, dir, types: r.types, toBound, relBound, unique, min, max, reversed, edgeProps };
    const detail = `(${from.name.trim()})-[${r.name.trim()}${typeText}*${min}..${max ?? ''}]${arrow}(${to.name.trim()})`;
    m.ops.push(op('VarLengthExpand', detail, (next) => new VarExpandPipe(next, spec)));
  }
  if (!r.outer) m.rels.push(r.slot);
  m.bound.add(r.name);
  m.bound.add(to.name);
}

function planShortest(path: PathEl, m: MatchCtx): void {
  const a = path.nodes[0]!;
  const b = path.nodes[path.nodes.length - 1]!;
  for (const n of [a, b]) {
    if (!m.bound.has(n.name)) {
      const labels = requiredLabels(n.ast.labels);
      planStart(n, labels.length > 0 ? { cost: 0, index: 0, label: labels[0]! } : { cost: 0, index: 0 }, m);
      emitFilters(m);
    }
  }
  const r = path.rels[0]!;
  const spec = {
    from: a.slot,
    to: b.slot,
    rel: r.slot,
    path: path.pathSlot,
    dir: r.ast.direction,
    types: r.types,
    min: r.ast.length?.min ?? 1,
    max: r.ast.length === undefined ? 1 : r.ast.length.max,
    all: path.ast.shortest === 'allShortest',
  };
  const kind = spec.all ? 'AllShortestPaths' : 'ShortestPath';
  m.ops.push(op(kind, `(${a.name.trim()})-[${r.name.trim()}]-(${b.name.trim()})`, (next) => new ShortestPathPipe(next, spec)));
  m.bound.add(r.name);
  if (path.pathName !== undefined) m.bound.add(path.pathName);
  emitFilters(m);
}
