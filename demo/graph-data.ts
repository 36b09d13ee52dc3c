/**
 * The nodes and relationships a result holds, for the graph drawing: found anywhere in a row
 * (columns, lists, maps, paths), each once. Pure: no DOM, no cytoscape.
 */
import { GeodeNode, GeodePath, GeodeRelationship, type ResultRow, type ResultValue } from '../src/index.ts';

/** Most nodes drawn; past it the drawing says how many were left out (cytoscape's layout slows down). */
export const GRAPH_NODES_MAX = 300;
/** Most relationships drawn. */
export const GRAPH_EDGES_MAX = 1_000;
/** Deepest nesting of lists and maps searched for nodes. */
export const GRAPH_VALUE_DEPTH_MAX = 16;

/** What the graph view draws. */
export interface GraphData {
  readonly nodes: readonly GeodeNode[];
  readonly relationships: readonly GeodeRelationship[];
  /** Endpoints of drawn relationships that the result does not hold: drawn as placeholders. */
  readonly missingNodeIds: readonly number[];
  /** Nodes and relationships found but not drawn because of the limits. */
  readonly nodesOmitted: number;
  readonly relationshipsOmitted: number;
}

/** Collects the graph of `rows`; `columns` gives the order (so the drawing is stable). */
export function collectGraph(columns: readonly string[], rows: readonly ResultRow[]): GraphData {
  const nodes = new Map<number, GeodeNode>();
  const rels = new Map<number, GeodeRelationship>();
  let nodesOmitted = 0;
  let relationshipsOmitted = 0;
  const addNode = (n: GeodeNode): void => {
    if (nodes.has(n.id)) return;
    if (nodes.size >= GRAPH_NODES_MAX) nodesOmitted++;
    else nodes.set(n.id, n);
  };
  const addRel = (r: GeodeRelationship): void => {
    if (rels.has(r.id)) return;
    if (rels.size >= GRAPH_EDGES_MAX) relationshipsOmitted++;
    else rels.set(r.id, r);
  };
  // An explicit stack (depth-bounded) rather than recursion, so a deep value cannot overflow.
  const stack: { value: ResultValue; depth: number }[] = [];
  for (const row of rows) {
    for (let c = columns.length - 1; c >= 0; c--) stack.push({ value: row[columns[c]!] ?? null, depth: 0 });
    while (stack.length > 0) {
      const { value, depth } = stack.pop()!;
      if (value === null || typeof value !== 'object') continue;
      if (value instanceof GeodeNode) addNode(value);
      else if (value instanceof GeodeRelationship) addRel(value);
      else if (value instanceof GeodePath) {
        for (const n of value.nodes) addNode(n);
        for (const r of value.relationships) addRel(r);
      } else if (depth < GRAPH_VALUE_DEPTH_MAX) {
        const children: readonly ResultValue[] = Array.isArray(value) ? value : Object.values(value as Record<string, ResultValue>);
        for (let i = children.length - 1; i >= 0; i--) stack.push({ value: children[i]!, depth: depth + 1 });
      }
    }
  }
  const missing = new Set<number>();
  const drawn: GeodeRelationship[] = [];
  for (const r of rels.values()) {
    for (const id of [r.startNodeId, r.endNodeId]) {
      if (!nodes.has(id)) missing.add(id);
    }
    drawn.push(r);
  }
  return { nodes: [...nodes.values()], relationships: drawn, missingNodeIds: [...missing], nodesOmitted, relationshipsOmitted };
}

/** True when the result holds anything to draw. */
export function hasGraph(g: GraphData): boolean {
  return g.nodes.length > 0 || g.relationships.length > 0;
}

/** Property keys tried, in order, for a node's caption in the drawing. */
const CAPTION_KEYS = ['name', 'title', 'firstName', 'label', 'id'] as const;
/** Longest caption drawn, in characters. */
export const CAPTION_CHARS_MAX = 24;

/** The caption of a node: its first caption property, else its first label, else its id. */
export function nodeCaption(n: GeodeNode): string {
  for (const key of CAPTION_KEYS) {
    const v = n.properties[key];
    if (typeof v === 'string' || typeof v === 'bigint' || typeof v === 'number') {
      let text = String(v);
      if (key === 'firstName' && typeof n.properties['lastName'] === 'string') text += ' ' + n.properties['lastName'];
      return text.length > CAPTION_CHARS_MAX ? text.slice(0, CAPTION_CHARS_MAX - 1) + '…' : text;
    }
  }
  return n.labels[0] ?? `#${n.id}`;
}
