/**
 * The cluster layer (so far): the `db.cluster.*` procedures, the `SHOW CLUSTER STATUS` alias,
 * metrics in the Prometheus text format, for Node peers and browser tabs alike, and the pure core
 * of sharding: the shard map (the meta group's state machine), the hash / range / graph-aware
 * strategies and replica placement. Other layers import from here. See docs/procedures.md,
 * docs/metrics.md and docs/sharding.md.
 * @packageDocumentation
 */
export { clusterProcedures, clusterStatus, replicationLag, STATUS_COLUMNS, REPLICATION_LAG_COLUMNS } from './procedures.ts';
export type { ClusterStatusRow, ReplicationLagRow, StatusState } from './procedures.ts';
export { rewriteShowCommand, SHOW_COMMANDS } from './show-commands.ts';
export { MetricsRegistry } from './metrics.ts';
export type { CollectedFamily, Counter, Gauge } from './metrics.ts';
export { registerClusterMetrics } from './cluster-metrics.ts';
export { registerProcessMetrics } from './process-metrics.ts';
export { formatFamilies, escapeHelp, escapeLabelValue, formatValue, isMetricName, isLabelName } from './prometheus-text.ts';
export type { Labels, MetricFamily, MetricType, Sample } from './prometheus-text.ts';
export type { ClusterHostView, ClusterNetView, ClusterViewInit } from './types.ts';
export { PROMETHEUS_CONTENT_TYPE } from './constants.ts';
export { HashRing, hashKey, hashString } from './hash-ring.ts';
export type { RingKey, ShardId } from './hash-ring.ts';
export { RangePartitioner } from './range-partitioner.ts';
export type { KeyRange, RangeBound } from './range-partitioner.ts';
export { GraphAwarePartitioner, refinePartition, edgeCut, shardCapacity, checkImbalance } from './graph-aware-partitioner.ts';
export type { PartitionGraph } from './graph-aware-partitioner.ts';
export { applyShardMapChange, emptyShardMap, shardingOf, shardOfNode } from './shard-map.ts';
export { pruneShards } from './shard-pruning.ts';
export type { PrunedNode, PruneResult } from './shard-pruning.ts';
export type { LabelSharding, ShardEntry, ShardMapChange, ShardMapState, ShardStrategy } from './shard-map.ts';
export { planPlacement } from './placement.ts';
export type { PlacementInput, PlacementMove, PlacementPeer } from './placement.ts';
