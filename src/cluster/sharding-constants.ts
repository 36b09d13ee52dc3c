/**
 * Limits and defaults of the sharding layer (docs/sharding.md, docs/LIMITS.md).
 */

/** Most shards in one shard map (shard ids are in [0, shardsMax)). */
export const shardsMax = 1_024;
/** Ring points per shard of a hash ring, by default. */
export const virtualNodesDefault = 128;
/** Most ring points per shard. */
export const virtualNodesMax = 4_096;
/** Most boundaries of one range strategy. */
export const rangeBoundariesMax = 1_023;
/** Most labels with their own strategy. */
export const labelStrategiesMax = 1_000;
/** Default bound on shard imbalance of the graph-aware strategy: no shard above (1 + it) × the mean. */
export const imbalanceDefault = 0.1;
/** Most replica moves in flight at once, by default (placement). */
export const concurrentMovesDefault = 2;
