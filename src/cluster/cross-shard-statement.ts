/**
 * A write statement the per-shard paths cannot run (a SET, DELETE, DETACH DELETE or MERGE whose
 * matches may lie on several shards), run inside a transaction ({@link GroupView}): every shard's
 * data as the transaction sees it is copied into one scratch graph, the statement runs there, and
 * its changes are split back into each shard's commands — with the sharded layout's bookkeeping:
 * an edge between two shards is written on both (its forward entry on its source's shard, its
 * reverse entry on its target's), with ghosts of the far ends where missing, and a deleted node's
 * ghosts go with it. The transaction commits the parts on all shards or none.
 *
 * Pure but for the views: {@link splitStatement} takes the scratch copy, runs, and returns the
 * per-shard commands and the rows. New nodes and edges get the ids of `lease` (cluster-unique);
 * nodes are placed by `place` (the router's placement).
 *
 * Limits: the copy is of the whole graph ({@link crossShardCopyMax} nodes and edges at most:
 * beyond, LIMIT_EXCEEDED `CrossShardWriteTooLarge`); a change of a node's shard key or of labels
 * that would move it to another shard is refused (`CrossShardWrite`), as for single-shard writes.
 */
import { GraphStore, type GraphCommand, type NodeRecord, type PropertyValue, type Value } from '../graph/index.ts';
import { QueryEngine } from '../query/index.ts';
import { GeodePath, GeodeNode, GeodeRelationship, type ResultRow, type ResultValue } from '../api/result.ts';
import { GeodeError } from '../util/errors.ts';
import { GHOST_HOME_KEY, GHOST_LABEL, isGhost, isInternal, type EdgeData, type NodeData } from './coordinator/shard-data.ts';
import { crossShardRefusal } from './cross-shard.ts';
import type { ShardId } from './hash-ring.ts';
import { shardingOf, type ShardMapState } from './shard-map.ts';
import { checkMapFresh, ownerFilter } from './shard-split.ts';
import { detachRows, type GroupView } from './txn-view.ts';

/** Most nodes plus edges a cross-shard update statement copies from the shards. */
export const crossShardCopyMax = 200_000;

/** One shard's data as a transaction sees it: its own nodes, its forward edges, its ghosts. */
interface ShardCopy {
  readonly shard: ShardId;
  readonly group: number;
  readonly nodes: NodeData[];
  readonly edges: EdgeData[];
  readonly ghosts: Set<number>;
}

/** What the statement does on the shards. */
export interface SplitStatement {
  readonly columns: readonly string[];
  readonly rows: ResultRow[];
  /** Commands per shard group, in the statement's order. */
  readonly parts: Map<number, GraphCommand[]>;
  readonly writes: number;
}

function tooLarge(): GeodeError {
  return new GeodeError('LIMIT_EXCEEDED', `a write spanning shards copies at most ${crossShardCopyMax} nodes and edges of the graph: split the statement, or run it per shard`, {
    detail: 'CrossShardWriteTooLarge',
    source: 'coordinator',
  });
}

/** copyShards: each shard's data through `tx`'s view (one snapshot per group). */
export async function copyShards(tx: GroupView, map: ShardMapState, fresh = false): Promise<ShardCopy[]> {
  const out: ShardCopy[] = [];
  let total = 0;
  for (const s of map.shards) {
    // While a split cleans up, the source's moved nodes count as ghosts of their new shard.
    const owner = ownerFilter(map, s.id);
    const away = (n: NodeRecord): boolean => isGhost(n) || (owner !== undefined && !isInternal(n) && owner(n) !== s.id);
    out.push(
      await tx.view(s.group, (g) => {
        checkMapFresh(g, map, s.id, fresh);
        const copy: ShardCopy = { shard: s.id, group: s.group, nodes: [], edges: [], ghosts: new Set() };
        for (const n of g.nodes()) {
          if (away(n)) copy.ghosts.add(n.id);
          else if (!isInternal(n)) copy.nodes.push({ id: n.id, labels: [...n.labels], props: [...n.props] as [string, PropertyValue][] });
        }
        for (const e of g.edges()) {
          if (away(e.src) || isInternal(e.src)) continue; // a reverse entry (or bookkeeping): the forward one is on the source's shard
          copy.edges.push({ id: e.id, type: e.type, src: e.src.id, dst: e.dst.id, props: [...e.props] as [string, PropertyValue][] });
        }
        total += copy.nodes.length + copy.edges.length;
        if (total > crossShardCopyMax) throw tooLarge();
        return copy;
      }),
    );
  }
  return out;
}

/**
 * Where the ids of what a statement created go: node ids and edge ids apart (a scratch graph's
 * node 1 and edge 1 are two entities: one map for both renamed a matched node 1 as the new edge 1).
 */
interface IdMaps {
  readonly nodes: ReadonlyMap<number, number>;
  readonly edges: ReadonlyMap<number, number>;
}

/** The ids `r` names, remapped where `ids` says (created entities get their leased ids). */
function remapValue(v: ResultValue, ids: IdMaps): ResultValue {
  const node = (x: number): number => ids.nodes.get(x) ?? x;
  const edge = (x: number): number => ids.edges.get(x) ?? x;
  if (v instanceof GeodeNode) return new GeodeNode(node(v.id), v.labels, v.properties);
  if (v instanceof GeodeRelationship) return new GeodeRelationship(edge(v.id), v.type, node(v.startNodeId), node(v.endNodeId), v.properties);
  if (v instanceof GeodePath) return new GeodePath(v.nodes.map((n) => remapValue(n, ids) as GeodeNode), v.relationships.map((r) => remapValue(r, ids) as GeodeRelationship));
  if (Array.isArray(v)) return v.map((x: ResultValue) => remapValue(x, ids));
  return v;
}

/** A command with its ids remapped (and no rewind of a next-id counter: shards allocate their own). */
function remapCommand(c: GraphCommand, ids: IdMaps): GraphCommand {
  const node = (x: number): number => ids.nodes.get(x) ?? x;
  const edge = (x: number): number => ids.edges.get(x) ?? x;
  switch (c.op) {
    case 'createEdge':
      return { ...c, id: edge(c.id), src: node(c.src), dst: node(c.dst) };
    case 'deleteNode':
      return { op: c.op, id: node(c.id) };
    case 'deleteEdge':
      return { op: c.op, id: edge(c.id) };
    case 'setEdgeProperty':
      return { ...c, id: edge(c.id) };
    case 'createNode':
    case 'setNodeProperty':
    case 'addLabel':
    case 'removeLabel':
      return { ...c, id: node(c.id) };
    default:
      throw crossShardRefusal(`this statement makes a ${c.op} change`);
  }
}

/**
 * splitStatement: runs `text` on a scratch graph holding `copies`, and splits its changes by shard.
 * `lease(n)` gives `n` fresh ids for what it creates; `place` the shard of each new node.
 */
export async function splitStatement(
  copies: readonly ShardCopy[],
  map: ShardMapState,
  text: string,
  params: Record<string, Value>,
  lease: (n: number) => Promise<{ readonly start: number }>,
  place: (nodes: readonly NodeData[], edges: readonly EdgeData[]) => Map<number, ShardId>,
): Promise<SplitStatement> {
  const scratch = new GraphStore();
  const home = new Map<number, ShardId>();
  const groupOf = new Map<ShardId, number>(copies.map((c) => [c.shard, c.group]));
  for (const c of copies) {
    for (const n of c.nodes) {
      scratch.apply({ op: 'createNode', id: n.id, labels: n.labels, props: n.props });
      home.set(n.id, c.shard);
    }
  }
  const ends = new Map<number, { src: number; dst: number }>();
  for (const c of copies) {
    for (const e of c.edges) {
      scratch.apply({ op: 'createEdge', id: e.id, type: e.type, src: e.src, dst: e.dst, props: e.props });
      ends.set(e.id, { src: e.src, dst: e.dst });
    }
  }
  const r = new QueryEngine(scratch).run(text, params);
  const rows = detachRows(r.columns, r.rows);
  // Fresh ids for what it created (the scratch graph's own ids are only unique in it).
  const created = r.commands.filter((c) => (c.op === 'createNode' && !home.has(c.id)) || (c.op === 'createEdge' && !ends.has(c.id)));
  const ids = { nodes: new Map<number, number>(), edges: new Map<number, number>() };
  if (created.length > 0) {
    const { start } = await lease(created.length);
    created.forEach((c, i) => (c.op === 'createNode' ? ids.nodes : ids.edges).set((c as { id: number }).id, start + i));
  }
  const commands = r.commands.map((c) => remapCommand(c, ids));
  const newNodes: NodeData[] = [];
  const newEdges: EdgeData[] = [];
  for (const c of commands) {
    if (c.op === 'createNode' && !home.has(c.id)) newNodes.push({ id: c.id, labels: c.labels, props: c.props as [string, PropertyValue][] });
    if (c.op === 'createEdge') newEdges.push({ id: c.id, type: c.type, src: c.src, dst: c.dst, props: c.props as [string, PropertyValue][] });
  }
  for (const [id, s] of place(newNodes, newEdges)) if (!home.has(id)) home.set(id, s);
  const labels = new Map<number, Set<string>>();
  for (const c of copies) for (const n of c.nodes) labels.set(n.id, new Set(n.labels));
  for (const n of newNodes) labels.set(n.id, new Set(n.labels));
  const ghosts = new Map<ShardId, Set<number>>(copies.map((c) => [c.shard, new Set(c.ghosts)]));

  const parts = new Map<number, GraphCommand[]>();
  const push = (shard: ShardId, c: GraphCommand): void => {
    const g = groupOf.get(shard)!;
    let l = parts.get(g);
    if (l === undefined) parts.set(g, (l = []));
    l.push(c);
  };
  const shardOf = (node: number): ShardId => {
    const s = home.get(node);
    if (s === undefined) throw new GeodeError('INPUT_INVALID', `node ${node} has no shard`, { source: 'coordinator', detail: 'ShardedWrite' });
    return s;
  };
  const spreadKey = (node: number): string => JSON.stringify(shardingOf(map, [...(labels.get(node) ?? [])]));
  /** Ghost of `node` on `shard` unless it is there (its own node or a ghost). */
  const ensureGhost = (shard: ShardId, node: number): void => {
    if (shardOf(node) === shard || ghosts.get(shard)!.has(node)) return;
    ghosts.get(shard)!.add(node);
    push(shard, { op: 'createNode', id: node, labels: [GHOST_LABEL], props: [[GHOST_HOME_KEY, BigInt(shardOf(node))]] });
  };
  /** Both entries of an edge: its source's shard, and its target's when that differs. */
  const onEdge = (edge: number, c: GraphCommand): void => {
    const e = ends.get(edge)!;
    const a = shardOf(e.src);
    const b = shardOf(e.dst);
    push(a, c);
    if (b !== a) push(b, c);
  };
  for (const c of commands) {
    switch (c.op) {
      case 'createNode':
        push(shardOf(c.id), c);
        break;
      case 'setNodeProperty': {
        const spread = shardingOf(map, [...(labels.get(c.id) ?? [])]);
        if (spread.key === c.key && !newNodes.some((n) => n.id === c.id)) throw crossShardRefusal(`this statement sets ${c.key}, a shard key (the node would move to another shard)`);
        push(shardOf(c.id), c);
        break;
      }
      case 'addLabel':
      case 'removeLabel': {
        const before = spreadKey(c.id);
        const set = labels.get(c.id) ?? new Set<string>();
        if (c.op === 'addLabel') set.add(c.label);
        else set.delete(c.label);
        labels.set(c.id, set);
        if (spreadKey(c.id) !== before) throw crossShardRefusal(`this statement changes the label ${c.label}, which moves the node to another spread`);
        push(shardOf(c.id), c);
        break;
      }
      case 'deleteNode': {
        push(shardOf(c.id), c);
        // Its ghosts go with it (its edges, and so theirs, were deleted before it).
        for (const [s, set] of ghosts) {
          if (set.delete(c.id)) push(s, { op: 'deleteNode', id: c.id });
        }
        break;
      }
      case 'createEdge': {
        ends.set(c.id, { src: c.src, dst: c.dst });
        const a = shardOf(c.src);
        const b = shardOf(c.dst);
        if (a !== b) {
          ensureGhost(a, c.dst);
          ensureGhost(b, c.src);
        }
        onEdge(c.id, c);
        break;
      }
      case 'deleteEdge':
      case 'setEdgeProperty':
        onEdge(c.id, c);
        break;
      default:
        throw crossShardRefusal(`this statement makes a ${c.op} change`);
    }
  }
  return { columns: r.columns, rows: created.length === 0 ? rows : rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, remapValue(v, ids)]))), parts, writes: r.commands.length };
}
