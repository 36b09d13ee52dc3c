/**
 * The `graph-aware` sharding strategy: a new node goes to the shard that holds most of its
 * neighbours, as long as that shard stays within the imbalance bound (no shard above
 * (1 + imbalance) × the mean size), so traversals stay inside one shard. It is linear deterministic
 * greedy (LDG) streaming partitioning: the score of shard s is
 * `neighbours in s × (1 − size(s) / capacity)`; a node with no placed neighbour goes to the
 * smallest shard. Because edges often arrive after their nodes (a person is created, then whom
 * they know), {@link refinePartition} then moves nodes towards their neighbours' shards in passes
 * (label propagation under the same bound): the rebalancer runs it on a shard map's nodes and
 * turns the moves into migrations.
 *
 * Both are pure and deterministic: ties break by the smaller shard, then the lower shard id.
 */
import { GeodeError } from '../util/errors.ts';
import type { ShardId } from './hash-ring.ts';
import { imbalanceDefault } from './sharding-constants.ts';

/** checkImbalance: `sharding.imbalance` in (0, 10]. */
export function checkImbalance(imbalance: number): number {
  if (typeof imbalance !== 'number' || !Number.isFinite(imbalance) || imbalance <= 0 || imbalance > 10) {
    throw new GeodeError('CONFIG_INVALID', `sharding.imbalance must be a number in (0, 10], got ${String(imbalance)}`, { source: 'config', detail: 'sharding.imbalance' });
  }
  return imbalance;
}

/** The most nodes a shard may hold when `total` nodes are spread over `shards` shards. */
export function shardCapacity(total: number, shards: number, imbalance: number): number {
  return Math.max(1, Math.ceil(((1 + imbalance) * total) / shards));
}

export class GraphAwarePartitioner {
  readonly shards: readonly ShardId[];
  readonly imbalance: number;
  readonly #sizes: Map<ShardId, number>;
  #total = 0;

  /** `shards`: the shard ids; `sizes`: nodes each holds already (default none). */
  constructor(shards: readonly ShardId[], imbalance = imbalanceDefault, sizes?: ReadonlyMap<ShardId, number>) {
    if (shards.length === 0) throw new GeodeError('CONFIG_INVALID', 'sharding: the graph-aware strategy needs at least one shard', { source: 'config', detail: 'sharding.shards' });
    this.shards = [...shards].sort((a, b) => a - b);
    this.imbalance = checkImbalance(imbalance);
    this.#sizes = new Map(this.shards.map((s) => [s, sizes?.get(s) ?? 0]));
    for (const n of this.#sizes.values()) this.#total += n;
  }

  /** size: nodes placed on a shard so far. */
  size(shard: ShardId): number {
    return this.#sizes.get(shard) ?? 0;
  }

  /**
   * place: the shard for a new node whose placed neighbours are on `neighbourShards` (one entry
   * per edge; shards not in this partitioner are ignored), counted as placed there.
   */
  place(neighbourShards: Iterable<ShardId>): ShardId {
    const counts = new Map<ShardId, number>();
    for (const s of neighbourShards) if (this.#sizes.has(s)) counts.set(s, (counts.get(s) ?? 0) + 1);
    const capacity = shardCapacity(this.#total + 1, this.shards.length, this.imbalance);
    let best: ShardId | undefined;
    let bestScore = -1;
    let bestSize = Infinity;
    for (const s of this.shards) {
      const size = this.#sizes.get(s)!;
      if (size >= capacity) continue;
      const score = (counts.get(s) ?? 0) * (1 - size / capacity);
      if (score > bestScore || (score === bestScore && size < bestSize)) [best, bestScore, bestSize] = [s, score, size];
    }
    // Every shard full cannot happen (the capacities add up to more than total + 1); stay total anyway.
    const chosen = best ?? this.#smallest();
    this.#sizes.set(chosen, this.#sizes.get(chosen)! + 1);
    this.#total++;
    return chosen;
  }

  #smallest(): ShardId {
    let best = this.shards[0]!;
    for (const s of this.shards) if (this.#sizes.get(s)! < this.#sizes.get(best)!) best = s;
    return best;
  }
}

/** A graph to partition: node indexes 0..n-1 and undirected neighbour lists. */
export interface PartitionGraph {
  readonly nodes: number;
  /** Neighbours of node i (each edge listed at both ends). */
  neighbours(i: number): ArrayLike<number>;
}

/**
 * refinePartition: up to `passes` sweeps over the nodes in index order; each node moves to the
 * shard holding most of its neighbours when that beats its current shard and the target stays
 * under capacity (and its own shard stays above zero). `assignment` is updated in place; returns
 * the number of moves made.
 */
export function refinePartition(graph: PartitionGraph, assignment: Uint32Array, shards: readonly ShardId[], imbalance = imbalanceDefault, passes = 4): number {
  checkImbalance(imbalance);
  const capacity = shardCapacity(graph.nodes, shards.length, imbalance);
  const sizes = new Map<ShardId, number>(shards.map((s) => [s, 0]));
  for (let i = 0; i < graph.nodes; i++) sizes.set(assignment[i]!, (sizes.get(assignment[i]!) ?? 0) + 1);
  const counts = new Map<ShardId, number>();
  let moves = 0;
  for (let pass = 0; pass < passes; pass++) {
    let movedThisPass = 0;
    for (let i = 0; i < graph.nodes; i++) {
      const nb = graph.neighbours(i);
      if (nb.length === 0) continue;
      counts.clear();
      for (let j = 0; j < nb.length; j++) {
        const s = assignment[nb[j]!]!;
        counts.set(s, (counts.get(s) ?? 0) + 1);
      }
      const here = assignment[i]!;
      let best = here;
      let bestCount = counts.get(here) ?? 0;
      for (const [s, c] of counts) {
        if (s === here || sizes.get(s)! >= capacity) continue;
        // Strictly more neighbours than here; among equals elsewhere, the lower shard id.
        if (c > bestCount || (c === bestCount && best !== here && s < best)) [best, bestCount] = [s, c];
      }
      if (best === here || sizes.get(here)! <= 1) continue;
      assignment[i] = best;
      sizes.set(here, sizes.get(here)! - 1);
      sizes.set(best, sizes.get(best)! + 1);
      movedThisPass++;
    }
    moves += movedThisPass;
    if (movedThisPass === 0) break;
  }
  return moves;
}

/** edgeCut: the share of edges (u, v) whose ends are on different shards, in [0, 1]. */
export function edgeCut(edges: Iterable<readonly [number, number]>, assignment: ArrayLike<number>): { cut: number; edges: number; crossing: number } {
  let n = 0;
  let crossing = 0;
  for (const [u, v] of edges) {
    n++;
    if (assignment[u] !== assignment[v]) crossing++;
  }
  return { cut: n === 0 ? 0 : crossing / n, edges: n, crossing };
}
