/**
 * Bulk import into a sharded cluster: a whole graph (read from any GraphReader: an embedded
 * database loaded by `geode import`'s LDBC reader, say) is given globally unique ids from one lease
 * of the meta group, placed by the shard map (hash and range by their rules; graph-aware nodes
 * streamed to the shard of most of their placed neighbours, then refined by label propagation
 * under the imbalance bound), split into each shard's part (edges in the source's shard, reverse
 * entries and ghosts in the target's), and written to each shard group's leader in batches, the
 * shards in parallel. The property indexes of the source are created on every shard first.
 *
 * Not atomic across shards (nor across batches): an import that fails midway leaves what it wrote;
 * import into an empty cluster, and again from the start after a failure.
 */
import type { GraphCommand, GraphReader, PropertyValue } from '../graph/index.ts';
import { splitGraph, type EdgeData, type NodeData } from './coordinator/shard-data.ts';
import { GraphAwarePartitioner, refinePartition } from './graph-aware-partitioner.ts';
import type { ShardId } from './hash-ring.ts';
import { shardingOf, shardOfNode, type ShardMapState } from './shard-map.ts';
import type { ShardManager } from './shard-manager.ts';

/** Commands per log entry of an import. */
export const importBatchCommandsDefault = 2_000;

/** What an import did. */
export interface ShardImportSummary {
  readonly nodes: number;
  readonly edges: number;
  /** Nodes per shard, by shard id. */
  readonly perShard: Readonly<Record<number, number>>;
  /** Share of edges whose ends are on different shards. */
  readonly cut: number;
  readonly ms: number;
}

/** placeGraph: each node's shard under `map` (node ids as in `nodes`; neighbours from `edges`). */
export function placeGraph(map: ShardMapState, nodes: readonly NodeData[], edges: readonly EdgeData[]): Map<number, ShardId> {
  const index = new Map<number, number>();
  nodes.forEach((n, i) => index.set(n.id, i));
  const adj: number[][] = nodes.map(() => []);
  for (const e of edges) {
    const u = index.get(e.src);
    const v = index.get(e.dst);
    if (u === undefined || v === undefined || u === v) continue;
    adj[u]!.push(v);
    adj[v]!.push(u);
  }
  const assignment = new Uint32Array(nodes.length);
  const placers = new Map<string, GraphAwarePartitioner>();
  let aware = 0;
  nodes.forEach((n, i) => {
    const spread = shardingOf(map, n.labels);
    const s = shardOfNode(spread, n.id, new Map(n.props));
    if (s !== undefined) {
      assignment[i] = s;
      return;
    }
    aware++;
    const key = spread.shards.join(',');
    let p = placers.get(key);
    if (p === undefined) placers.set(key, (p = new GraphAwarePartitioner(spread.shards)));
    const near: ShardId[] = [];
    for (const j of adj[i]!) if (j < i) near.push(assignment[j]!);
    assignment[i] = p.place(near);
  });
  // Refinement moves nodes freely: only when every node is graph-aware over the same shards.
  if (aware === nodes.length && placers.size === 1 && nodes.length > 0) {
    refinePartition({ nodes: nodes.length, neighbours: (i) => adj[i]! }, assignment, [...placers.values()][0]!.shards, undefined, 8);
  }
  const home = new Map<number, ShardId>();
  nodes.forEach((n, i) => home.set(n.id, assignment[i]!));
  return home;
}

/**
 * importGraph: writes `graph` into the sharded cluster `manager` runs on (see the module comment).
 * Rejects with the first failed batch's GeodeError.
 */
export async function importGraph(manager: ShardManager, graph: GraphReader, options: { readonly batch?: number; readonly timeoutMs?: number } = {}): Promise<ShardImportSummary> {
  const t0 = Date.now();
  const map = await manager.ready(options.timeoutMs ?? 30_000);
  const srcNodes = [...graph.nodes()].filter((n) => !n.deleted);
  const srcEdges = [...graph.edges()].filter((e) => !e.deleted);
  const lease = await manager.leaseIds(Math.max(1, srcNodes.length, srcEdges.length));
  const nodeId = new Map<number, number>();
  const nodes: NodeData[] = srcNodes.map((n, i) => {
    nodeId.set(n.id, lease.start + i);
    return { id: lease.start + i, labels: [...n.labels], props: [...n.props] as [string, PropertyValue][] };
  });
  const edges: EdgeData[] = srcEdges.map((e, i) => ({ id: lease.start + i, type: e.type, src: nodeId.get(e.src.id)!, dst: nodeId.get(e.dst.id)!, props: [...e.props] as [string, PropertyValue][] }));
  const home = placeGraph(map, nodes, edges);
  const parts = splitGraph(nodes, edges, (id) => home.get(id)!);
  const indexes: GraphCommand[] = graph.indexes().filter((ix) => !ix.unique).map((ix): GraphCommand => ({ op: 'createIndex', name: ix.name, label: ix.label, keys: ix.keys }));
  const batch = options.batch ?? importBatchCommandsDefault;
  const perShard: Record<number, number> = {};
  for (const s of map.shards) perShard[s.id] = 0;
  for (const id of home.values()) perShard[id] = (perShard[id] ?? 0) + 1;
  await Promise.all(
    map.shards.map(async (s) => {
      const commands = [...indexes, ...(parts.get(s.id) ?? [])];
      for (let i = 0; i < commands.length; i += batch) {
        await manager.host.submitCommands(s.group, commands.slice(i, i + batch), options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
      }
    }),
  );
  let crossing = 0;
  for (const e of edges) if (home.get(e.src) !== home.get(e.dst)) crossing++;
  return { nodes: nodes.length, edges: edges.length, perShard, cut: edges.length === 0 ? 0 : crossing / edges.length, ms: Date.now() - t0 };
}
