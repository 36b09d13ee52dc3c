/**
 * Partitioning benchmark: how the sharding strategies of src/cluster spread the LDBC SNB sample
 * (../shared/ldbc-snb-sf-tiny, imported as `geode import` does) over `--shards` shards (default 3):
 *
 * - `hash_cut`: the share of edges whose two ends land on different shards under the hash ring;
 * - `graph_aware_cut`: the same after graph-aware placement. The importer creates every node
 *   before any edge, so at creation a node has no neighbour to follow and goes to the smallest
 *   shard; the rebalancer's refinement passes (label propagation under the imbalance bound) then
 *   move nodes towards their neighbours. `graph_aware_stream_cut`: placement alone, had each node's
 *   edges to earlier nodes been known when it was created;
 * - `*_max_over_mean`: the largest shard's size over the mean (imbalance);
 * - `hash_moved_on_add`: the share of nodes that move when a shard is added to the ring (ideal
 *   1/(shards + 1)).
 *
 * Deterministic (no randomness): two runs print the same figures. Progress on stderr; the LAST
 * stdout line is one JSON object.
 *
 *   npx tsx bench/partition.bench.ts [--shards 3] [--imbalance 0.1] [--data ../shared/ldbc-snb-sf-tiny]
 */
import { resolve } from 'node:path';
import { openGeode } from '../src/index.ts';
import { storeOf } from '../src/api/database.ts';
import { importLdbcFolder } from '../packages/cli/src/import/importer.ts';
import { edgeCut, GraphAwarePartitioner, refinePartition, type PartitionGraph } from '../src/cluster/graph-aware-partitioner.ts';
import { HashRing } from '../src/cluster/hash-ring.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : (process.argv[i + 1] ?? dflt);
}

const shardCount = Number(arg('shards', '3'));
const imbalance = Number(arg('imbalance', '0.1'));
const folder = resolve(arg('data', '../shared/ldbc-snb-sf-tiny'));
const shards = Array.from({ length: shardCount }, (_, i) => i);
const round = (x: number, d = 4): number => Math.round(x * 10 ** d) / 10 ** d;

const db = await openGeode({ storage: 'memory' });
const t0 = performance.now();
const quiet = { fileStarted: () => {}, fileProgress: () => {}, fileFinished: () => {} };
const summary = await importLdbcFolder(db, folder, quiet);
process.stderr.write(`imported ${summary.nodes} nodes, ${summary.edges} edges in ${Math.round(performance.now() - t0)} ms\n`);

const store = storeOf(db);
const ids: number[] = [];
const index = new Map<number, number>();
for (const n of store.nodes()) {
  index.set(n.id, ids.length);
  ids.push(n.id);
}
const adj: number[][] = ids.map(() => []);
const edges: [number, number][] = [];
for (const e of store.edges()) {
  const u = index.get(e.src.id)!;
  const v = index.get(e.dst.id)!;
  edges.push([u, v]);
  if (u === v) continue;
  adj[u]!.push(v);
  adj[v]!.push(u);
}
const graph: PartitionGraph = { nodes: ids.length, neighbours: (i) => adj[i]! };

function maxOverMean(a: Uint32Array): number {
  const sizes = new Array<number>(shardCount).fill(0);
  for (const s of a) sizes[s]!++;
  return Math.max(...sizes) / (a.length / shardCount);
}

const ring = HashRing.of(shards);
const hashed = Uint32Array.from(ids, (id) => ring.shardOf(id));
const bigger = ring.withShard(shardCount);
let moved = 0;
for (let i = 0; i < ids.length; i++) if (bigger.shardOf(ids[i]!) !== hashed[i]) moved++;

// As the importer creates them: nodes first (no neighbour known), then refinement.
const placer = new GraphAwarePartitioner(shards, imbalance);
const aware = Uint32Array.from(ids, () => placer.place([]));
const t1 = performance.now();
const moves = refinePartition(graph, aware, shards, imbalance, 8);
const refineMs = performance.now() - t1;

// Had the edges to earlier nodes been known at creation.
const streamer = new GraphAwarePartitioner(shards, imbalance);
const streamed = new Uint32Array(ids.length);
for (let i = 0; i < ids.length; i++) {
  const placed: number[] = [];
  for (const j of adj[i]!) if (j < i) placed.push(streamed[j]!);
  streamed[i] = streamer.place(placed);
}

const hashCut = edgeCut(edges, hashed);
const awareCut = edgeCut(edges, aware);
const out = {
  nodes: ids.length,
  edges: edges.length,
  shards: shardCount,
  imbalance,
  hash_cut: round(hashCut.cut),
  graph_aware_cut: round(awareCut.cut),
  graph_aware_stream_cut: round(edgeCut(edges, streamed).cut),
  cut_reduction: round(1 - awareCut.cut / hashCut.cut),
  hash_max_over_mean: round(maxOverMean(hashed)),
  graph_aware_max_over_mean: round(maxOverMean(aware)),
  hash_moved_on_add: round(moved / ids.length),
  refine_moves: moves,
  refine_ms: Math.round(refineMs),
};
await db.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
