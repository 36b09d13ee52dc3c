/**
 * Result values as the public API hands them out: plain, detached snapshots, safe to keep after
 * the store changes. Integers are `bigint`, floats are `number`, maps are plain objects.
 */
import { EdgeRecord, NodeRecord, PathValue } from '../graph/index.ts';
import type { Value } from '../graph/index.ts';
import { DurationValue, TemporalValue } from '../graph/index.ts';

/** A node in a result. */
export class GeodeNode {
  constructor(
    readonly id: number,
    readonly labels: readonly string[],
    readonly properties: Readonly<Record<string, ResultValue>>,
  ) {}
}

/** A relationship (edge) in a result. */
export class GeodeRelationship {
  constructor(
    readonly id: number,
    readonly type: string,
    readonly startNodeId: number,
    readonly endNodeId: number,
    readonly properties: Readonly<Record<string, ResultValue>>,
  ) {}
}

/** A path in a result: `nodes.length === relationships.length + 1`. */
export class GeodePath {
  constructor(
    readonly nodes: readonly GeodeNode[],
    readonly relationships: readonly GeodeRelationship[],
  ) {}
}

export type ResultValue =
  | null
  | boolean
  | bigint
  | number
  | string
  | readonly ResultValue[]
  | { readonly [key: string]: ResultValue }
  | GeodeNode
  | GeodeRelationship
  | GeodePath
  | TemporalValue
  | DurationValue;

/** A result row: column name to value. */
export type ResultRow = Record<string, ResultValue>;

function propsToObject(props: Map<string, Value>): Record<string, ResultValue> {
  const out: Record<string, ResultValue> = {};
  for (const [k, v] of props) out[k] = toResultValue(v);
  return out;
}

function nodeToResult(n: NodeRecord): GeodeNode {
  return new GeodeNode(n.id, [...n.labels], propsToObject(n.props));
}

function edgeToResult(e: EdgeRecord): GeodeRelationship {
  return new GeodeRelationship(e.id, e.type, e.src.id, e.dst.id, propsToObject(e.props));
}

/** Detaches an engine value from the store. */
export function toResultValue(v: Value): ResultValue {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toResultValue);
  if (v instanceof NodeRecord) return nodeToResult(v);
  if (v instanceof EdgeRecord) return edgeToResult(v);
  if (v instanceof PathValue) return new GeodePath(v.nodes.map(nodeToResult), v.edges.map(edgeToResult));
  if (v instanceof TemporalValue || v instanceof DurationValue) return v; // immutable: safe to hand out
  const out: Record<string, ResultValue> = {};
  for (const k of Object.keys(v)) out[k] = toResultValue((v as Record<string, Value>)[k] as Value);
  return out;
}
