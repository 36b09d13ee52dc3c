/**
 * Shard pruning: which shards the node patterns of a statement's MATCH clauses can bind, from the
 * labels' spreads in the shard map and the predicates on their shard keys. The coordinator's
 * router starts each path pattern on the shards of its most pruned node and ships the frontier
 * from there; EXPLAIN lists them.
 *
 * What prunes (everything else keeps every shard of the label's spread, so pruning is never wrong):
 * - hash with a `key` property: `{key: v}`, `n.key = v`, `n.key IN [v, ...]` → the ring's shards of
 *   those values; hash without a key (by node id): the same forms with `id(n)`;
 * - range: `{key: v}`, `n.key = v` → one shard; `n.key < v`, `<=`, `>`, `>=`, chains like
 *   `a < n.key <= b` → the overlapping ranges; `IN` lists → their shards;
 * - graph-aware: nothing (a node's shard depends on its neighbours).
 * Values are literals or parameters; predicates count only as conjuncts of the WHERE (AND), not
 * under OR / NOT / XOR. A node pattern with several labels takes the first label's own spread; one
 * whose labels have no spread of their own prunes only while no label has one (a node is placed by
 * the first of its labels that has its own spread, so it may sit on any shard).
 */
import type { Comparison, Expression, LabelExpression, MatchClause, NodePattern, Statement } from '../gql/ast.ts';
import type { Value } from '../graph/index.ts';
import type { HashRing, ShardId } from './hash-ring.ts';
import type { KeyRange, RangePartitioner } from './range-partitioner.ts';
import { placerOf, shardingOf, type LabelSharding, type ShardMapState } from './shard-map.ts';

/** The shards one node variable (or anonymous node pattern) can bind. */
export interface PrunedNode {
  /** The variable, or `#i` for the i-th anonymous node pattern of the statement. */
  readonly name: string;
  readonly labels: readonly string[];
  readonly strategy: LabelSharding['strategy'];
  /** Ascending. */
  readonly shards: readonly ShardId[];
  /** The spread's shard count (shards.length < this: pruned). */
  readonly of: number;
}

/** What pruning found for a statement. */
export interface PruneResult {
  readonly nodes: readonly PrunedNode[];
  /** Per path pattern, the shards of its most pruned node: where the pattern starts. */
  readonly starts: readonly (readonly ShardId[])[];
  /** The union of `starts`: the shards the statement's MATCH clauses begin on. */
  readonly touched: readonly ShardId[];
}

/** One shard-key constraint of a variable, gathered from patterns and WHERE conjuncts. */
type Constraint = { readonly kind: 'eq'; readonly values: readonly Value[] } | { readonly kind: 'range'; readonly range: KeyRange };

/** pruneShards: the shards each node pattern of `statement`'s MATCH clauses can bind. */
export function pruneShards(statement: Statement, params: Readonly<Record<string, Value>>, map: ShardMapState): PruneResult {
  const nodes: PrunedNode[] = [];
  const starts: ShardId[][] = [];
  const body = statement.body;
  if (body.kind !== 'Query') return { nodes, starts, touched: [] };
  let anonymous = 0;
  for (const part of body.parts) {
    for (const clause of part.clauses) {
      if (clause.kind !== 'Match') continue;
      const conjuncts = clause.where === undefined ? [] : splitAnd(clause.where);
      for (const path of (clause as MatchClause).patterns) {
        let start: ShardId[] | undefined;
        for (const el of path.elements) {
          if (el.kind !== 'NodePattern') continue;
          const name = el.variable ?? `#${anonymous++}`;
          const pruned = pruneNode(el, name, conjuncts, params, map);
          nodes.push(pruned);
          if (start === undefined || pruned.shards.length < start.length) start = [...pruned.shards];
        }
        starts.push(start ?? []);
      }
    }
  }
  const touched = [...new Set(starts.flat())].sort((a, b) => a - b);
  return { nodes, starts, touched };
}

function labelNames(e: LabelExpression | undefined): string[] {
  if (e === undefined) return [];
  if (e.kind === 'LabelName') return [e.name];
  if (e.kind === 'LabelAnd') return [...labelNames(e.left), ...labelNames(e.right)];
  return []; // OR / NOT / wildcard: no single spread to rely on
}

function splitAnd(e: Expression): Expression[] {
  return e.kind === 'BinaryOp' && e.op === 'AND' ? [...splitAnd(e.left), ...splitAnd(e.right)] : [e];
}

/** The value of a literal or parameter, or undefined for anything else. */
function constant(e: Expression, params: Readonly<Record<string, Value>>): { value: Value } | undefined {
  if (e.kind === 'Literal') return { value: e.value };
  if (e.kind === 'Parameter' && Object.prototype.hasOwnProperty.call(params, e.name)) return { value: params[e.name]! };
  return undefined;
}

/** Whether `e` is the shard key of `name`: `name.key`, or `id(name)` when the key is the node id. */
function isKey(e: Expression, name: string, key: string | undefined): boolean {
  if (key === undefined) return e.kind === 'FunctionCall' && e.name.toLowerCase() === 'id' && e.args.length === 1 && e.args[0]!.kind === 'Variable' && e.args[0]!.name === name;
  return e.kind === 'PropertyAccess' && e.key === key && e.object.kind === 'Variable' && e.object.name === name;
}

function pruneNode(el: NodePattern, name: string, conjuncts: readonly Expression[], params: Readonly<Record<string, Value>>, map: ShardMapState): PrunedNode {
  const labels = labelNames(el.labels);
  const sharding = shardingOf(map, labels);
  // A node is placed by the first of its labels with a spread of its own, so a pattern whose
  // labels have none may match nodes on any shard once some label has one.
  const own = labels.some((l) => map.labels.has(l));
  const spreadShards = own || map.labels.size === 0 ? sharding.shards : map.shards.map((s) => s.id);
  const all = [...spreadShards].sort((a, b) => a - b);
  const result = (shards: readonly ShardId[]): PrunedNode => ({ name, labels, strategy: sharding.strategy, shards, of: all.length });
  if (sharding.strategy === 'graph-aware' || all.length <= 1 || !(own || map.labels.size === 0)) return result(all);
  const key = sharding.key;
  const constraints: Constraint[] = [];
  // Inline properties `(n:L {key: v})`.
  if (key !== undefined && el.properties?.kind === 'MapLiteral') {
    for (const entry of el.properties.entries) {
      const c = entry.key === key ? constant(entry.value, params) : undefined;
      if (c !== undefined) constraints.push({ kind: 'eq', values: [c.value] });
    }
  }
  const preds = [...conjuncts, ...(el.where === undefined ? [] : splitAnd(el.where))];
  if (el.variable !== undefined) for (const c of preds) constraints.push(...constraintsOf(c, el.variable, key, params));
  let shards = new Set(all);
  for (const c of constraints) {
    const allowed = new Set(shardsOf(c, sharding));
    shards = new Set([...shards].filter((s) => allowed.has(s)));
  }
  return result([...shards].sort((a, b) => a - b));
}

function constraintsOf(e: Expression, name: string, key: string | undefined, params: Readonly<Record<string, Value>>): Constraint[] {
  if (e.kind === 'BinaryOp' && e.op === 'IN' && isKey(e.left, name, key) && e.right.kind === 'ListLiteral') {
    const values: Value[] = [];
    for (const item of e.right.items) {
      const c = constant(item, params);
      if (c === undefined) return [];
      values.push(c.value);
    }
    return [{ kind: 'eq', values }];
  }
  if (e.kind === 'BinaryOp' && e.op === 'IN' && isKey(e.left, name, key) && e.right.kind === 'Parameter') {
    const c = constant(e.right, params);
    return c !== undefined && Array.isArray(c.value) ? [{ kind: 'eq', values: c.value as Value[] }] : [];
  }
  if (e.kind === 'Comparison') return comparisonConstraints(e, name, key, params);
  return [];
}

const flip: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };

/** Each link `a op b` of a comparison chain with the key on one side and a constant on the other. */
function comparisonConstraints(e: Comparison, name: string, key: string | undefined, params: Readonly<Record<string, Value>>): Constraint[] {
  const out: Constraint[] = [];
  for (let i = 0; i < e.operators.length; i++) {
    let op = e.operators[i]!;
    const a = e.operands[i]!;
    const b = e.operands[i + 1]!;
    let c: { value: Value } | undefined;
    if (isKey(a, name, key)) c = constant(b, params);
    else if (isKey(b, name, key)) {
      c = constant(a, params);
      op = flip[op] as typeof op;
    }
    if (c === undefined || op === '<>' || c.value === null) continue;
    const v = c.value;
    if (op === '=') out.push({ kind: 'eq', values: [v] });
    else if (op === '<' || op === '<=') out.push({ kind: 'range', range: { upper: { value: v, inclusive: op === '<=' } } });
    else out.push({ kind: 'range', range: { lower: { value: v, inclusive: op === '>=' } } });
  }
  return out;
}

function shardsOf(c: Constraint, sharding: LabelSharding): ShardId[] {
  if (sharding.strategy === 'range') {
    const p = placerOf(sharding) as RangePartitioner;
    if (c.kind === 'range') return p.shardsFor(c.range);
    return c.values.map((v) => p.shardOf(v));
  }
  if (c.kind === 'range') return [...sharding.shards];
  // Built once per spread (shardOfNode's): a ring has shards × virtual nodes points to sort.
  const ring = placerOf(sharding) as HashRing;
  const out: ShardId[] = [];
  for (const v of c.values) {
    // Only ints and strings have a ring position: any other value keeps every shard.
    if (typeof v === 'bigint' || typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v))) out.push(ring.shardOf(v));
    else return [...sharding.shards];
  }
  return out;
}

/**
 * A statement whose pruning hangs on one shard-key value: one MATCH (no WHERE) of one node pattern
 * (no WHERE of its own) whose labels have a hash-with-key or range spread of their own, and whose
 * inline properties give that key once, as a literal or a parameter: `MATCH (p:Person {id: $id})
 * RETURN ...`. {@link pointShards} then prunes it with one ring or range look-up instead of
 * {@link pruneShards}' walk (routers keep it per parsed statement and map: the point lookup is
 * the statement they see most).
 */
export interface PointKey {
  readonly sharding: LabelSharding;
  /** The spread's shards, ascending. */
  readonly all: readonly ShardId[];
  readonly value: { readonly kind: 'literal'; readonly value: Value } | { readonly kind: 'param'; readonly name: string };
}

/** pointKeyOf: the {@link PointKey} of `statement` under `map`, or undefined when it is not of that shape. */
export function pointKeyOf(statement: Statement, map: ShardMapState): PointKey | undefined {
  const body = statement.body;
  if (body.kind !== 'Query') return undefined;
  let match: MatchClause | undefined;
  for (const part of body.parts) {
    for (const clause of part.clauses) {
      if (clause.kind !== 'Match') continue;
      if (match !== undefined) return undefined;
      match = clause;
    }
  }
  if (match === undefined || match.where !== undefined || match.patterns.length !== 1) return undefined;
  const path = match.patterns[0]!;
  const el = path.elements.length === 1 ? path.elements[0]! : undefined;
  if (el?.kind !== 'NodePattern' || el.where !== undefined || el.properties?.kind !== 'MapLiteral') return undefined;
  const labels = labelNames(el.labels);
  if (!labels.some((l) => map.labels.has(l))) return undefined;
  const sharding = shardingOf(map, labels);
  const key = sharding.key;
  if (sharding.strategy === 'graph-aware' || key === undefined) return undefined;
  const entries = el.properties.entries.filter((e) => e.key === key);
  if (entries.length !== 1) return undefined;
  const v = entries[0]!.value;
  const all = [...sharding.shards].sort((a, b) => a - b);
  if (v.kind === 'Literal') return { sharding, all, value: { kind: 'literal', value: v.value } };
  if (v.kind === 'Parameter') return { sharding, all, value: { kind: 'param', name: v.name } };
  return undefined;
}

/** pointShards: `pruneShards(statement, params, map).touched` for a statement whose {@link pointKeyOf} is `k`. */
export function pointShards(k: PointKey, params: Readonly<Record<string, Value>>): readonly ShardId[] {
  if (k.all.length <= 1) return k.all;
  let v: Value;
  if (k.value.kind === 'literal') v = k.value.value;
  else if (Object.prototype.hasOwnProperty.call(params, k.value.name)) v = params[k.value.name]!;
  else return k.all;
  const allowed = shardsOf({ kind: 'eq', values: [v] }, k.sharding);
  return k.all.filter((s) => allowed.includes(s));
}

/** PointKeyCache: {@link pointKeyOf} per parsed statement, for the map it was taken under (a router's parsed statements are kept by text, so the same object comes back). */
export class PointKeyCache {
  readonly #keys = new WeakMap<Statement, { readonly map: ShardMapState; readonly key: PointKey | undefined }>();

  /** touched: the shards `statement` begins on (pruneShards' `touched`), by its point key when it has one. */
  touched(statement: Statement, params: Readonly<Record<string, Value>>, map: ShardMapState): readonly ShardId[] {
    let k = this.#keys.get(statement);
    if (k === undefined || k.map !== map) this.#keys.set(statement, (k = { map, key: pointKeyOf(statement, map) }));
    return k.key === undefined ? pruneShards(statement, params, map).touched : pointShards(k.key, params);
  }
}
