/**
 * Side effects of a query, computed by diffing the graph before and after it (as the TCK's own
 * runner does), not by trusting the engine's counters.
 *
 * - `+nodes` / `-nodes`, `+relationships` / `-relationships`: entities by id;
 * - `+labels` / `-labels`: distinct label names present in the graph before vs after;
 * - `+properties` / `-properties`: (entity, key, value) triples; a changed value is one `-` and
 *   one `+`; the properties of a created (deleted) entity count as added (removed).
 */
import type { GraphReader } from '../src/graph/index.ts';

/** The counters a side-effects table can name. */
export const SIDE_EFFECT_KEYS = [
  '+nodes',
  '-nodes',
  '+relationships',
  '-relationships',
  '+labels',
  '-labels',
  '+properties',
  '-properties',
] as const;

export type SideEffectKey = (typeof SIDE_EFFECT_KEYS)[number];
export type SideEffects = Record<SideEffectKey, number>;

/** What the diff needs of the graph: ids, labels and properties. */
export interface GraphSnapshot {
  readonly nodes: ReadonlySet<number>;
  readonly edges: ReadonlySet<number>;
  readonly labels: ReadonlySet<string>;
  /** Triples `n<id>|key|value-key` / `e<id>|key|value-key`. */
  readonly properties: ReadonlySet<string>;
}

/** A stable text for a property value (integers and floats kept apart). */
function valueKey(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'bigint':
      return `i${v}`;
    case 'number':
      return Object.is(v, -0) ? 'f-0' : `f${v}`;
    case 'string':
      return `s${JSON.stringify(v)}`;
    case 'boolean':
      return `b${v}`;
    case 'object':
      if (Array.isArray(v)) return `[${v.map(valueKey).join(',')}]`;
      return `{${Object.keys(v)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${valueKey((v as Record<string, unknown>)[k])}`)
        .join(',')}}`;
    default:
      return `?${typeof v}`;
  }
}

/** Reads everything the diff needs from the graph. */
export function snapshotGraph(graph: GraphReader): GraphSnapshot {
  const nodes = new Set<number>();
  const edges = new Set<number>();
  const labels = new Set<string>();
  const properties = new Set<string>();
  for (const n of graph.nodes()) {
    nodes.add(n.id);
    for (const l of n.labels) labels.add(l);
    for (const [k, v] of n.props) properties.add(`n${n.id}|${k}|${valueKey(v)}`);
  }
  for (const e of graph.edges()) {
    edges.add(e.id);
    for (const [k, v] of e.props) properties.add(`e${e.id}|${k}|${valueKey(v)}`);
  }
  return { nodes, edges, labels, properties };
}

function added<T>(before: ReadonlySet<T>, after: ReadonlySet<T>): number {
  let n = 0;
  for (const x of after) if (!before.has(x)) n++;
  return n;
}

/** The side effects that turn `before` into `after`. */
export function diffSnapshots(before: GraphSnapshot, after: GraphSnapshot): SideEffects {
  return {
    '+nodes': added(before.nodes, after.nodes),
    '-nodes': added(after.nodes, before.nodes),
    '+relationships': added(before.edges, after.edges),
    '-relationships': added(after.edges, before.edges),
    '+labels': added(before.labels, after.labels),
    '-labels': added(after.labels, before.labels),
    '+properties': added(before.properties, after.properties),
    '-properties': added(after.properties, before.properties),
  };
}

/** No side effects at all. */
export function noSideEffects(): SideEffects {
  return {
    '+nodes': 0,
    '-nodes': 0,
    '+relationships': 0,
    '-relationships': 0,
    '+labels': 0,
    '-labels': 0,
    '+properties': 0,
    '-properties': 0,
  };
}

/**
 * Reads an expected side-effects table (`| +nodes | 1 |` rows; missing rows mean 0). Throws on
 * an unknown key or a non-integer count.
 */
export function parseSideEffectsTable(table: readonly (readonly string[])[]): SideEffects {
  const out = noSideEffects();
  for (const row of table) {
    const key = (row[0] ?? '').trim();
    const count = (row[1] ?? '').trim();
    if (!(SIDE_EFFECT_KEYS as readonly string[]).includes(key)) throw new Error(`unknown side effect '${key}'`);
    if (!/^[0-9]+$/.test(count)) throw new Error(`side effect '${key}': '${count}' is not a count`);
    out[key as SideEffectKey] = Number(count);
  }
  return out;
}

/** Undefined when equal, else e.g. `+nodes expected 1, got 2; -labels expected 0, got 1`. */
export function compareSideEffects(expected: SideEffects, actual: SideEffects): string | undefined {
  const diffs: string[] = [];
  for (const k of SIDE_EFFECT_KEYS) if (expected[k] !== actual[k]) diffs.push(`${k} expected ${expected[k]}, got ${actual[k]}`);
  return diffs.length === 0 ? undefined : `side effects differ: ${diffs.join('; ')}`;
}
