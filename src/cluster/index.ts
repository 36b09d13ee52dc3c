/**
 * The cluster layer (so far): the `db.cluster.*` procedures, the `SHOW CLUSTER STATUS` alias, and
 * metrics in the Prometheus text format, for Node peers and browser tabs alike. Other layers
 * import from here. See docs/procedures.md and docs/metrics.md.
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
