/**
 * Pushdown: a read over the nodes of one label runs on the shards themselves, and the coordinator
 * merges their partial results, instead of fetching the nodes. It covers the statements that a
 * scan of one label answers alone:
 *
 * ```
 * MATCH (v:Label [{...}] [WHERE ...]) [WHERE ...]
 * RETURN [DISTINCT] items [ORDER BY ...] [SKIP s] [LIMIT l]
 * ```
 *
 * where the items are either all plain expressions of `v` (each shard returns its rows, sorted and
 * cut to `s + l` when there is a LIMIT; the coordinator sorts, dedupes and cuts the union), or
 * grouping keys beside top-level `count`, `sum`, `min`, `max` and `avg` calls without DISTINCT
 * (each shard returns its partial aggregates per group; the coordinator re-aggregates: counts and
 * sums add up, minima and maxima compare, an average is the sum of sums over the sum of counts).
 *
 * Why it gives the single database's answer: every node lives on exactly one shard, a shard's
 * ghosts (the far ends of crossing edges) carry no label but the ghost label, so a labelled
 * pattern meets each node once; the statement reads nothing but the node itself (patterns,
 * subqueries and procedures are not pushed down). The merge runs on the ordinary engine, so
 * sorting, grouping and arithmetic keep their semantics. Anything else — or a shard answering
 * with a node, an edge or a path in a cell — goes the general way (fetch and run locally).
 */
import type { Expression, MatchClause, NodePattern, Projection, ReturnClause, Statement } from '../../gql/index.ts';
import { printExpression, printLabels } from '../../gql/index.ts';
import { EdgeRecord, GraphStore, NodeRecord, PathValue, type Value } from '../../graph/index.ts';
import { QueryEngine, type EngineResult } from '../../query/index.ts';
import { isAggregateFunction } from '../../query/aggregates.ts';

/** The parameter that carries the shards' rows into the merge statement. */
export const PUSHDOWN_ROWS_PARAM = '__geode_rows';

/** A statement split into what each shard runs and how the coordinator merges the answers. */
export interface PushdownPlan {
  /** The label whose nodes the statement reads (its spread decides the shards). */
  readonly label: string;
  /** Runs on every shard (with the statement's parameters). */
  readonly shardText: string;
  /** Runs on the coordinator over the shards' rows (`$__geode_rows`: a list of maps) and the parameters. */
  readonly mergeText: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const quoteName = (n: string): string => (IDENTIFIER.test(n) ? n : `\`${n.replaceAll('`', '``')}\``);

/** Expression kinds that read beyond the node (or call procedures): never pushed down. */
const unsafeKinds: ReadonlySet<string> = new Set(['PatternComprehension', 'PatternPredicate', 'ExistsSubquery', 'CountSubquery']);

/** An AST node as the walker sees it. */
interface AstLike {
  readonly kind: string;
  readonly name?: string;
}

/** Walks an AST subtree; `visit` returns false to stop. */
function walk(node: unknown, visit: (n: AstLike) => boolean): boolean {
  if (node === null || typeof node !== 'object') return true;
  if (Array.isArray(node)) {
    for (const x of node) if (!walk(x, visit)) return false;
    return true;
  }
  const n = node as { readonly kind?: unknown };
  if (typeof n.kind === 'string' && !visit(n as AstLike)) return false;
  for (const v of Object.values(node)) if (typeof v === 'object' && !walk(v, visit)) return false;
  return true;
}

function isSafe(e: Expression | undefined): boolean {
  return walk(e, (n) => !unsafeKinds.has(n.kind));
}

function hasAggregate(e: Expression): boolean {
  return !walk(e, (n) => !(n.kind === 'CountStar' || (n.kind === 'FunctionCall' && isAggregateFunction(n.name ?? ''))));
}

/** The one labelled node of a `MATCH (v:Label ...)` clause, or undefined. */
function singleNode(match: MatchClause): { readonly node: NodePattern; readonly label: string } | undefined {
  if (match.optional || match.patterns.length !== 1) return undefined;
  const path = match.patterns[0]!;
  if (path.variable !== undefined || path.shortest !== undefined || path.elements.length !== 1) return undefined;
  const node = path.elements[0] as NodePattern;
  if (node.variable === undefined || node.labels === undefined) return undefined;
  // A plain label or a conjunction: the first plain label decides the shards.
  let labels = node.labels;
  while (labels.kind === 'LabelAnd') labels = labels.left;
  if (labels.kind !== 'LabelName') return undefined;
  return { node, label: labels.name };
}

type AggregateName = 'count' | 'sum' | 'min' | 'max' | 'avg';

/** A top-level aggregate call the merge can re-aggregate, or undefined. */
function mergeableAggregate(e: Expression): { readonly fn: AggregateName; readonly arg: Expression | undefined } | undefined {
  if (e.kind === 'CountStar') return { fn: 'count', arg: undefined };
  if (e.kind !== 'FunctionCall' || e.distinct || e.args.length !== 1) return undefined;
  const fn = e.name.toLowerCase();
  if (fn !== 'count' && fn !== 'sum' && fn !== 'min' && fn !== 'max' && fn !== 'avg') return undefined;
  if (hasAggregate(e.args[0]!)) return undefined;
  return { fn, arg: e.args[0]! };
}

/** The column name a projection item gives, as the engine names it. */
const columnOf = (item: Projection['items'][number]): string => item.alias ?? item.text;

/** The index of the item an ORDER BY expression names: by alias, or written as the item's expression. */
function itemOf(e: Expression, projection: Projection): number {
  if (e.kind === 'Variable') {
    const k = projection.items.findIndex((i) => i.alias === e.name);
    if (k >= 0) return k;
  }
  const printed = printExpression(e);
  return projection.items.findIndex((i) => printExpression(i.expression) === printed);
}

/**
 * planPushdown: the shard and merge statements for `stmt`, or undefined when it is not of the
 * shape above (then the coordinator fetches and runs it itself).
 */
export function planPushdown(stmt: Statement): PushdownPlan | undefined {
  if (stmt.explain || stmt.profile || stmt.body.kind !== 'Query') return undefined;
  const q = stmt.body;
  if (q.parts.length !== 1) return undefined;
  const clauses = q.parts[0]!.clauses;
  if (clauses.length !== 2 || clauses[0]!.kind !== 'Match' || clauses[1]!.kind !== 'Return') return undefined;
  const match = clauses[0];
  const projection = (clauses[1] as ReturnClause).projection;
  const single = singleNode(match);
  if (single === undefined || projection.star || projection.items.length === 0) return undefined;
  const { node, label } = single;
  if (!isSafe(node.properties) || !isSafe(node.where) || !isSafe(match.where)) return undefined;
  for (const item of projection.items) if (!isSafe(item.expression)) return undefined;
  for (const s of projection.orderBy) if (!isSafe(s.expression)) return undefined;
  if (!isSafe(projection.skip) || !isSafe(projection.limit)) return undefined;
  const v = node.variable!;
  // ORDER BY may name the aliases of the items; the shard has only the node.
  const aliases = new Set(projection.items.flatMap((i) => (i.alias === undefined ? [] : [i.alias])));
  const pattern = `(${quoteName(v)}:${printLabels(node.labels!)}${node.properties === undefined ? '' : ` ${printExpression(node.properties)}`}${node.where === undefined ? '' : ` WHERE ${printExpression(node.where)}`})`;
  const matchText = `MATCH ${pattern}${match.where === undefined ? '' : ` WHERE ${printExpression(match.where)}`}`;
  const rowsIn = `UNWIND $${PUSHDOWN_ROWS_PARAM} AS __r`;
  const cut = `${projection.skip === undefined ? '' : ` SKIP ${printExpression(projection.skip)}`}${projection.limit === undefined ? '' : ` LIMIT ${printExpression(projection.limit)}`}`;

  const aggregates = projection.items.map((i) => hasAggregate(i.expression));
  if (!aggregates.some((a) => a)) {
    // Rows: each shard projects (and sorts and cuts to SKIP + LIMIT); the merge does it again over the union.
    const shardCols: string[] = projection.items.map((i, k) => `${printExpression(i.expression)} AS c${k}`);
    const mergeCols: string[] = projection.items.map((i, k) => `__r.c${k} AS ${quoteName(columnOf(i))}`);
    // Sort keys: an item's column, or (without DISTINCT) an extra column of an expression of v.
    const shardSort: string[] = [];
    const mergeSort: string[] = [];
    let extras = 0;
    for (const sort of projection.orderBy) {
      const dir = sort.descending ? ' DESC' : '';
      const k = itemOf(sort.expression, projection);
      if (k >= 0) {
        shardSort.push(`c${k}${dir}`);
        mergeSort.push(`${quoteName(columnOf(projection.items[k]!))}${dir}`);
        continue;
      }
      const overAlias = !walk(sort.expression, (n) => !(n.kind === 'Variable' && aliases.has(n.name ?? '')));
      if (projection.distinct || overAlias) return undefined;
      shardCols.push(`${printExpression(sort.expression)} AS o${extras}`);
      shardSort.push(`o${extras}${dir}`);
      mergeSort.push(`__r.o${extras}${dir}`);
      extras++;
    }
    const shardLimit =
      projection.limit === undefined ? '' : ` LIMIT ${projection.skip === undefined ? `(${printExpression(projection.limit)})` : `(${printExpression(projection.skip)}) + (${printExpression(projection.limit)})`}`;
    const distinct = projection.distinct ? 'DISTINCT ' : '';
    return {
      label,
      shardText: `${matchText} RETURN ${distinct}${shardCols.join(', ')}${shardSort.length === 0 ? '' : ` ORDER BY ${shardSort.join(', ')}`}${shardLimit}`,
      mergeText: `${rowsIn} RETURN ${distinct}${mergeCols.join(', ')}${mergeSort.length === 0 ? '' : ` ORDER BY ${mergeSort.join(', ')}`}${cut}`,
    };
  }

  // Aggregates: grouping keys and top-level mergeable aggregates only.
  if (projection.distinct) return undefined;
  const shardCols: string[] = [];
  const mergeWith: string[] = [];
  const mergeReturn: string[] = [];
  for (let k = 0; k < projection.items.length; k++) {
    const item = projection.items[k]!;
    const out = quoteName(columnOf(item));
    if (!aggregates[k]) {
      shardCols.push(`${printExpression(item.expression)} AS k${k}`);
      mergeWith.push(`__r.k${k} AS __k${k}`);
      mergeReturn.push(`__k${k} AS ${out}`);
      continue;
    }
    const agg = mergeableAggregate(item.expression);
    if (agg === undefined) return undefined;
    const arg = agg.arg === undefined ? '*' : printExpression(agg.arg);
    switch (agg.fn) {
      case 'count':
      case 'sum':
        shardCols.push(`${agg.fn}(${arg}) AS a${k}`);
        mergeWith.push(`sum(__r.a${k}) AS __a${k}`);
        break;
      case 'min':
      case 'max':
        shardCols.push(`${agg.fn}(${arg}) AS a${k}`);
        mergeWith.push(`${agg.fn}(__r.a${k}) AS __a${k}`);
        break;
      case 'avg':
        shardCols.push(`sum(${arg}) AS a${k}`, `count(${arg}) AS n${k}`);
        mergeWith.push(`CASE sum(__r.n${k}) WHEN 0 THEN null ELSE toFloat(sum(__r.a${k})) / sum(__r.n${k}) END AS __a${k}`);
        break;
    }
    mergeReturn.push(`__a${k} AS ${out}`);
  }
  const mergeSort: string[] = [];
  for (const sort of projection.orderBy) {
    const k = itemOf(sort.expression, projection);
    if (k < 0) return undefined;
    mergeSort.push(`${quoteName(columnOf(projection.items[k]!))}${sort.descending ? ' DESC' : ''}`);
  }
  return {
    label,
    shardText: `${matchText} RETURN ${shardCols.join(', ')}`,
    mergeText: `${rowsIn} WITH ${mergeWith.join(', ')} RETURN ${mergeReturn.join(', ')}${mergeSort.length === 0 ? '' : ` ORDER BY ${mergeSort.join(', ')}`}${cut}`,
  };
}

/** Whether a cell holds a node, an edge or a path (then the general way must answer). */
export function holdsEntity(v: Value): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (v instanceof NodeRecord || v instanceof EdgeRecord || v instanceof PathValue) return true;
  if (Array.isArray(v)) return v.some((x) => holdsEntity(x as Value));
  if (Object.getPrototypeOf(v) === null) return Object.values(v).some((x) => holdsEntity(x as Value));
  return false;
}

/** One shard's rows of a pushed-down statement: column names and cells. */
export interface ShardRows {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Value[])[];
}

const mergeStore = new GraphStore();
const mergeEngine = new QueryEngine(mergeStore);

/** mergePushdown: runs the merge statement over the shards' rows (each turned into a map by column). */
export function mergePushdown(plan: PushdownPlan, answers: readonly ShardRows[], params: Readonly<Record<string, Value>>): EngineResult {
  const rows: Value[] = [];
  for (const a of answers) {
    for (const r of a.rows) {
      const m = Object.create(null) as Record<string, Value>;
      for (let c = 0; c < a.columns.length; c++) m[a.columns[c]!] = r[c] ?? null;
      rows.push(m as Value);
    }
  }
  return mergeEngine.run(plan.mergeText, { ...(params as Record<string, Value>), [PUSHDOWN_ROWS_PARAM]: rows }, { readOnly: true });
}
