import { describe, expect, it } from 'vitest';
import { Prng } from '../sim/prng.ts';
import { isGeodeError } from '../util/errors.ts';
import { edgeCut, GraphAwarePartitioner, refinePartition, shardCapacity, type PartitionGraph } from './graph-aware-partitioner.ts';
import { HashRing } from './hash-ring.ts';

/** `communities` dense groups of `size` nodes, a few edges between groups; node order interleaved. */
function communityGraph(communities: number, size: number, seed: number): { graph: PartitionGraph; edges: [number, number][] } {
  const rnd = new Prng(seed);
  const n = communities * size;
  const adj: number[][] = Array.from({ length: n }, () => []);
  const edges: [number, number][] = [];
  const add = (u: number, v: number): void => {
    if (u === v) return;
    adj[u]!.push(v);
    adj[v]!.push(u);
    edges.push([u, v]);
  };
  // Node i is in community i % communities, so arrival order mixes the communities.
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 4; k++) add(i, (rnd.int(0, size - 1) * communities + (i % communities)) % n);
    if (rnd.chance(0.1)) add(i, rnd.int(0, n - 1));
  }
  return { graph: { nodes: n, neighbours: (i) => adj[i]! }, edges };
}

describe('GraphAwarePartitioner', () => {
  it('puts a new node with the shard holding most of its neighbours', () => {
    const p = new GraphAwarePartitioner([0, 1, 2], 0.5);
    for (let i = 0; i < 30; i++) p.place([]); // 10 each
    expect(p.place([2, 2, 1])).toBe(2);
    expect(p.place([0])).toBe(0);
  });

  it('never lets a shard pass (1 + imbalance) × the mean, even when every node points at one shard', () => {
    const p = new GraphAwarePartitioner([0, 1, 2, 3], 0.1);
    for (let i = 0; i < 1_000; i++) {
      p.place([0, 0, 0]);
      const total = i + 1;
      for (const s of [0, 1, 2, 3]) expect(p.size(s)).toBeLessThanOrEqual(shardCapacity(total, 4, 0.1));
    }
  });

  it('goes to the smallest shard when no neighbour is placed yet', () => {
    const p = new GraphAwarePartitioner([5, 6, 7]);
    expect([p.place([]), p.place([]), p.place([])].sort()).toEqual([5, 6, 7]);
  });

  it('refuses an imbalance outside (0, 10] with the key named', () => {
    for (const x of [0, -1, 11, Number.NaN]) {
      try {
        new GraphAwarePartitioner([0], x);
        expect.unreachable();
      } catch (err) {
        expect(isGeodeError(err, 'CONFIG_INVALID')).toBe(true);
        expect((err as Error).message).toMatch(/^sharding\.imbalance/);
      }
    }
  });
});

describe('refinePartition', () => {
  it('cuts far fewer edges than hashing on a graph with communities, within the imbalance bound', () => {
    const { graph, edges } = communityGraph(4, 500, 7);
    const shards = [0, 1, 2, 3];
    const ring = HashRing.of(shards);
    const hashed = Uint32Array.from({ length: graph.nodes }, (_, i) => ring.shardOf(i));
    const p = new GraphAwarePartitioner(shards, 0.1);
    const aware = new Uint32Array(graph.nodes);
    for (let i = 0; i < graph.nodes; i++) {
      const placed: number[] = [];
      const nb = graph.neighbours(i);
      for (let j = 0; j < nb.length; j++) if (nb[j]! < i) placed.push(aware[nb[j]!]!);
      aware[i] = p.place(placed);
    }
    refinePartition(graph, aware, shards, 0.1);
    const hashCut = edgeCut(edges, hashed).cut;
    const awareCut = edgeCut(edges, aware).cut;
    expect(hashCut).toBeGreaterThan(0.6); // 3/4 of random pairs cross four shards
    expect(awareCut).toBeLessThan(hashCut / 2);
    const sizes = [0, 0, 0, 0];
    for (const s of aware) sizes[s]!++;
    for (const n of sizes) expect(n).toBeLessThanOrEqual(shardCapacity(graph.nodes, 4, 0.1));
  });

  it('changes nothing on a partition that already follows the graph', () => {
    const adj = [[1], [0], [3], [2]];
    const a = Uint32Array.from([0, 0, 1, 1]);
    expect(refinePartition({ nodes: 4, neighbours: (i) => adj[i]! }, a, [0, 1])).toBe(0);
    expect([...a]).toEqual([0, 0, 1, 1]);
  });
});
