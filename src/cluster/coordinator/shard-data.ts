/**
 * One shard's graph and what it answers the coordinator.
 *
 * Layout: a shard's {@link GraphStore} holds the nodes it owns; every edge lives in the shard of
 * its source, with a reverse entry (the same edge id, type and properties) in the shard of its
 * target, so one hop in either direction is one shard visit. The far end of an edge that crosses
 * shards is a **ghost** in the store: a node with only the label {@link GHOST_LABEL} and the
 * property {@link GHOST_HOME_KEY} (its home shard). Ghosts never leave a shard as nodes: answers
 * name them as endpoints with their home shard.
 *
 * `answerFetch` is pure over the store (any GraphReader: a shard group's replica graph): the coordinator's {@link FetchRequest} in, plain data out.
 */
import type { GraphCommand, GraphReader, NodeRecord, PropertyValue, Value } from '../../graph/index.ts';
import { valueKey } from '../../graph/index.ts';
import { GeodeError } from '../../util/errors.ts';
import { assert } from '../../util/assert.ts';
import { QueryEngine, type EngineStore } from '../../query/index.ts';
import type { ShardRows } from './pushdown.ts';
import type { ShardId } from '../hash-ring.ts';

/** The label of a ghost node (the far end of an edge owned by another shard). */
export const GHOST_LABEL = '__geode_ghost';
/** The property of a ghost that names its home shard (an integer). */
export const GHOST_HOME_KEY = '__geode_home';

/** A node as a fetch answer carries it. */
export interface NodeData {
  readonly id: number;
  readonly labels: readonly string[];
  readonly props: readonly (readonly [string, PropertyValue])[];
}

/** An edge as a fetch answer carries it (src / dst: node ids). */
export interface EdgeData {
  readonly id: number;
  readonly type: string;
  readonly src: number;
  readonly dst: number;
  readonly props: readonly (readonly [string, PropertyValue])[];
}

/** What the coordinator asks a shard. */
export type FetchRequest =
  /** Sizes and schema: node, edge and label counts of owned data, the names in use, indexes. */
  | { readonly kind: 'counts' }
  /** Owned nodes carrying a label. */
  | { readonly kind: 'label'; readonly label: string }
  /** Owned nodes with a label whose property equals a value (Cypher equality). */
  | { readonly kind: 'seek'; readonly label: string; readonly key: string; readonly value: PropertyValue }
  /** Owned nodes among these ids. */
  | { readonly kind: 'nodes'; readonly ids: readonly number[] }
  /** Every edge touching these owned nodes (out: owned; in: reverse entries), with the far ends' homes. */
  | { readonly kind: 'adjacency'; readonly ids: readonly number[] }
  /** Every owned node. */
  | { readonly kind: 'allNodes' }
  /** Every owned edge (source owned here), with the endpoints' homes. */
  | { readonly kind: 'allEdges' }
  /** The edges with these ids that this shard owns. */
  | { readonly kind: 'edges'; readonly ids: readonly number[] }
  /** A pushed-down read over one label's nodes (`pushdown.ts`), run on the shard's own graph. */
  | { readonly kind: 'query'; readonly text: string; readonly params: Readonly<Record<string, Value>> };

/** Counts and schema of one shard. */
export interface ShardCounts {
  readonly nodes: number;
  readonly edges: number;
  readonly labels: readonly (readonly [string, number])[];
  readonly relationshipTypes: readonly string[];
  readonly propertyKeys: readonly string[];
  /** (label, key) pairs with a property index. */
  readonly indexes: readonly (readonly [string, string])[];
}

/** A shard's answer. */
export interface FetchAnswer {
  readonly nodes: readonly NodeData[];
  readonly edges: readonly EdgeData[];
  /** Home shard of every endpoint of `edges` and of every node in `nodes`. */
  readonly homes: readonly (readonly [number, ShardId])[];
  /** Set for `counts`. */
  readonly counts?: ShardCounts;
  /** Set for `query`: the shard's rows. */
  readonly rows?: ShardRows;
}

/** One engine per shard graph answering pushed-down reads (its plan cache lives as long as the graph). */
const engines = new WeakMap<GraphReader, QueryEngine>();

function engineFor(store: GraphReader): QueryEngine {
  let engine = engines.get(store);
  if (engine === undefined) {
    // The shard's replica graph is a store; pushed-down statements only read (readOnly below).
    assert(typeof (store as Partial<EngineStore>).apply === 'function', 'a shard answers pushed-down reads from its graph store');
    engine = new QueryEngine(store as EngineStore);
    engines.set(store, engine);
  }
  return engine;
}

export function isGhost(n: NodeRecord): boolean {
  return n.labels.has(GHOST_LABEL);
}

/**
 * Labels of a shard graph's bookkeeping nodes start with this: ghosts, and the transaction state
 * node (`__geode_txn`, src/txn/intents.ts). Such nodes, their labels and their properties never
 * leave a shard as data.
 */
export const INTERNAL_LABEL_PREFIX = '__geode_';

export function isInternal(n: NodeRecord): boolean {
  for (const l of n.labels) if (l.startsWith(INTERNAL_LABEL_PREFIX)) return true;
  return false;
}

function nodeData(n: NodeRecord): NodeData {
  return { id: n.id, labels: [...n.labels], props: [...n.props] as [string, PropertyValue][] };
}

/**
 * answerFetch: what shard `self` (whose graph is `store`) answers `req`. Ids it does not own are
 * left out (the coordinator asked more shards than needed, or the node moved). `owner`: while a
 * split of this shard cleans up, the shard the reader's map gives each real node of the store
 * (the moved ones answer as ghosts of their new shard; pushed-down statements are refused, so the
 * coordinator takes the general path).
 */
export function answerFetch(store: GraphReader, self: ShardId, req: FetchRequest, owner?: (n: NodeRecord) => ShardId): FetchAnswer {
  const nodes: NodeData[] = [];
  const edges: EdgeData[] = [];
  const homes = new Map<number, ShardId>();
  const home = (n: NodeRecord): ShardId => (isGhost(n) ? Number(n.props.get(GHOST_HOME_KEY) as bigint) : owner === undefined || isInternal(n) ? self : owner(n));
  /** Not this shard's node: a ghost, or moved away by a split cleaning up. */
  const away = (n: NodeRecord): boolean => isGhost(n) || (owner !== undefined && !isInternal(n) && owner(n) !== self);
  const addNode = (n: NodeRecord | undefined): void => {
    if (n === undefined || n.deleted || isInternal(n) || (owner !== undefined && owner(n) !== self)) return;
    nodes.push(nodeData(n));
    homes.set(n.id, self);
  };
  const addEdge = (e: { id: number; type: string; src: NodeRecord; dst: NodeRecord; props: Map<string, Value> }): void => {
    edges.push({ id: e.id, type: e.type, src: e.src.id, dst: e.dst.id, props: [...e.props] as [string, PropertyValue][] });
    homes.set(e.src.id, home(e.src));
    homes.set(e.dst.id, home(e.dst));
  };
  switch (req.kind) {
    case 'counts': {
      if (owner !== undefined) return { nodes, edges, homes: [], counts: filteredCounts(store, self, owner) };
      const labels: [string, number][] = [];
      let hidden = 0;
      const hiddenKeys = new Set<string>([GHOST_HOME_KEY]);
      for (const l of store.labels()) {
        if (!l.startsWith(INTERNAL_LABEL_PREFIX)) labels.push([l, store.labelCount(l)]);
        else {
          hidden += store.labelCount(l);
          if (l !== GHOST_LABEL) for (const n of store.nodesByLabel(l)) for (const k of n.props.keys()) hiddenKeys.add(k);
        }
      }
      // Owned edges: all but the reverse entries, which are the edges out of ghosts (asked every statement: O(ghosts), not O(edges)).
      let owned = store.edgeCount;
      for (const g of store.nodesByLabel(GHOST_LABEL)) for (const _ of g.out) owned--;
      const counts: ShardCounts = {
        nodes: store.nodeCount - hidden,
        edges: owned,
        labels,
        relationshipTypes: store.relationshipTypes().filter((t) => !t.startsWith(INTERNAL_LABEL_PREFIX)),
        propertyKeys: store.propertyKeys().filter((k) => !hiddenKeys.has(k)),
        indexes: store.indexes().flatMap((ix) => (ix.keys.length === 1 ? [[ix.label, ix.keys[0]!] as const] : [])),
      };
      return { nodes, edges, homes: [], counts };
    }
    case 'label':
      if (!req.label.startsWith(INTERNAL_LABEL_PREFIX)) for (const n of store.nodesByLabel(req.label)) addNode(n);
      break;
    case 'seek': {
      const want = valueKey(req.value);
      const hits = store.lookupIndex(req.label, req.key, req.value);
      for (const n of hits ?? store.nodesByLabel(req.label)) {
        const v = n.props.get(req.key);
        if (v !== undefined && v !== null && valueKey(v) === want) addNode(n);
      }
      break;
    }
    case 'nodes':
      for (const id of req.ids) addNode(store.node(id));
      break;
    case 'adjacency':
      for (const id of req.ids) {
        const n = store.node(id);
        if (n === undefined || n.deleted || away(n)) continue;
        for (const e of n.out) addEdge(e);
        for (const e of n.in) addEdge(e);
      }
      break;
    case 'allNodes':
      for (const n of store.nodes()) addNode(n);
      break;
    case 'allEdges':
      for (const e of store.edges()) if (!away(e.src)) addEdge(e);
      break;
    case 'edges':
      for (const id of req.ids) {
        const e = store.edge(id);
        if (e !== undefined && !e.deleted && !away(e.src)) addEdge(e);
      }
      break;
    case 'query': {
      if (owner !== undefined) {
        throw new GeodeError('UNSUPPORTED', `shard ${self} still holds nodes it handed to a new shard: no pushed-down statement until it deleted them`, { source: `shard ${self}`, detail: 'ShardSplitting' });
      }
      const r = engineFor(store).run(req.text, req.params as Record<string, Value>, { readOnly: true });
      return { nodes, edges, homes: [], rows: { columns: r.columns, rows: r.rows } };
    }
    default:
      throw new GeodeError('INPUT_INVALID', `unknown fetch request ${String((req as { kind?: unknown }).kind)}`, { source: `shard ${self}` });
  }
  return { nodes, edges, homes: [...homes] };
}

/** The counts of a shard that still holds nodes a split moved away (O(nodes + edges): only while it cleans up). */
function filteredCounts(store: GraphReader, self: ShardId, owner: (n: NodeRecord) => ShardId): ShardCounts {
  const mine = (n: NodeRecord): boolean => !n.deleted && !isInternal(n) && owner(n) === self;
  const labels = new Map<string, number>();
  const keys = new Set<string>();
  let nodes = 0;
  for (const n of store.nodes()) {
    if (!mine(n)) continue;
    nodes++;
    for (const l of n.labels) labels.set(l, (labels.get(l) ?? 0) + 1);
  }
  let edges = 0;
  for (const e of store.edges()) if (!e.deleted && mine(e.src)) edges++;
  const hidden = new Set<string>([GHOST_HOME_KEY]);
  for (const l of store.labels()) if (l.startsWith(INTERNAL_LABEL_PREFIX) && l !== GHOST_LABEL) for (const n of store.nodesByLabel(l)) for (const k of n.props.keys()) hidden.add(k);
  for (const k of store.propertyKeys()) if (!hidden.has(k)) keys.add(k);
  return {
    nodes,
    edges,
    labels: [...labels],
    relationshipTypes: store.relationshipTypes().filter((t) => !t.startsWith(INTERNAL_LABEL_PREFIX)),
    propertyKeys: [...keys],
    indexes: store.indexes().flatMap((ix) => (ix.keys.length === 1 ? [[ix.label, ix.keys[0]!] as const] : [])),
  };
}

/**
 * splitCommands: the commands each shard applies to hold a graph laid out as above, from the
 * nodes and edges of a whole graph and each node's shard (`shardOf`). Used to load shards from a
 * single graph (tests, the simulator, imports) and, per statement, by the coordinator's writes.
 */
export function splitGraph(
  nodes: Iterable<NodeData>,
  edges: Iterable<EdgeData>,
  shardOf: (id: number) => ShardId,
): Map<ShardId, GraphCommand[]> {
  const out = new Map<ShardId, GraphCommand[]>();
  const list = (s: ShardId): GraphCommand[] => {
    let l = out.get(s);
    if (l === undefined) out.set(s, (l = []));
    return l;
  };
  const ghosts = new Map<ShardId, Set<number>>();
  const ghost = (s: ShardId, id: number): void => {
    let g = ghosts.get(s);
    if (g === undefined) ghosts.set(s, (g = new Set()));
    if (g.has(id)) return;
    g.add(id);
    list(s).push({ op: 'createNode', id, labels: [GHOST_LABEL], props: [[GHOST_HOME_KEY, BigInt(shardOf(id))]] });
  };
  for (const n of nodes) list(shardOf(n.id)).push({ op: 'createNode', id: n.id, labels: n.labels, props: n.props });
  for (const e of edges) {
    const a = shardOf(e.src);
    const b = shardOf(e.dst);
    if (a !== b) ghost(a, e.dst);
    list(a).push({ op: 'createEdge', id: e.id, type: e.type, src: e.src, dst: e.dst, props: e.props });
    if (a !== b) {
      ghost(b, e.src);
      list(b).push({ op: 'createEdge', id: e.id, type: e.type, src: e.src, dst: e.dst, props: e.props });
    }
  }
  return out;
}
