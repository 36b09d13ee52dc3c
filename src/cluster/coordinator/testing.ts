/**
 * Test helpers: a sharded copy of a graph, in process. `shardGraph` splits a whole graph over the
 * shards of a map (placement by `shardOfNode`, graph-aware spreads by GraphAwarePartitioner over
 * the nodes' edges), and `InProcessShards` answers the coordinator's fetches from those stores.
 */
import { GraphStore, type NodeRecord, type PropertyValue } from '../../graph/index.ts';
import { GraphAwarePartitioner } from '../graph-aware-partitioner.ts';
import type { ShardId } from '../hash-ring.ts';
import { shardingOf, shardOfNode, type ShardMapState } from '../shard-map.ts';
import type { ShardSource } from './coordinator.ts';
import { answerFetch, splitGraph, type EdgeData, type FetchAnswer, type FetchRequest, type NodeData } from './shard-data.ts';

/** shardGraph: each shard's store holding its part of `whole` under `map`. */
export function shardGraph(whole: GraphStore, map: ShardMapState): Map<ShardId, GraphStore> {
  const home = new Map<number, ShardId>();
  const partitioners = new Map<string, GraphAwarePartitioner>();
  const nodes: NodeData[] = [];
  for (const n of whole.nodes()) {
    const labels = [...n.labels];
    const spread = shardingOf(map, labels);
    let shard = shardOfNode(spread, n.id, n.props);
    if (shard === undefined) {
      const key = spread.shards.join(',');
      let p = partitioners.get(key);
      if (p === undefined) partitioners.set(key, (p = new GraphAwarePartitioner(spread.shards)));
      shard = p.place(neighbourShards(n, home));
    }
    home.set(n.id, shard);
    nodes.push({ id: n.id, labels, props: [...n.props] as [string, PropertyValue][] });
  }
  const edges: EdgeData[] = [];
  for (const e of whole.edges()) edges.push({ id: e.id, type: e.type, src: e.src.id, dst: e.dst.id, props: [...e.props] as [string, PropertyValue][] });
  const stores = new Map<ShardId, GraphStore>(map.shards.map((s) => [s.id, new GraphStore()]));
  for (const [shard, commands] of splitGraph(nodes, edges, (id) => home.get(id)!)) {
    const store = stores.get(shard)!;
    store.applyBatch(commands);
  }
  return stores;
}

function neighbourShards(n: NodeRecord, home: ReadonlyMap<number, ShardId>): ShardId[] {
  const out: ShardId[] = [];
  for (const e of n.out) {
    const s = home.get(e.dst.id);
    if (s !== undefined) out.push(s);
  }
  for (const e of n.in) {
    const s = home.get(e.src.id);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** InProcessShards: a ShardSource over stores in this process, counting what it was asked. */
export class InProcessShards implements ShardSource {
  readonly stores: ReadonlyMap<ShardId, GraphStore>;
  /** Requests per shard. */
  readonly asked = new Map<ShardId, number>();

  constructor(stores: ReadonlyMap<ShardId, GraphStore>) {
    this.stores = stores;
  }

  fetch(shard: ShardId, request: FetchRequest): Promise<FetchAnswer> {
    this.asked.set(shard, (this.asked.get(shard) ?? 0) + 1);
    const store = this.stores.get(shard);
    if (store === undefined) return Promise.reject(new Error(`no shard ${shard}`));
    // Answers are plain data the coordinator copies into its own cache (no record is shared).
    return Promise.resolve(answerFetch(store, shard, request));
  }
}
