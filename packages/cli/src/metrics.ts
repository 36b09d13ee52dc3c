/**
 * Prometheus text for `geode relay` and `geode peer` (`/metrics`), and the `/health` answer.
 * Process metrics, the relay's counters, and a peer's cluster and network counters.
 */
import type { Relay } from '../../../src/net/node.ts';
import type { GeodeCluster } from '../../../src/api/cluster-handle.ts';
import { formatFamilies, MetricsRegistry, registerClusterMetrics, registerProcessMetrics } from '../../../src/cluster/index.ts';

type Sample = readonly [name: string, type: 'counter' | 'gauge', help: string, value: number, labels?: Readonly<Record<string, string>>];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** formatPrometheus: samples as Prometheus text format 0.0.4 (one HELP / TYPE per name). */
export function formatPrometheus(samples: readonly Sample[]): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const [name, type, help, value, labels] of samples) {
    if (!seen.has(name)) {
      seen.add(name);
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    }
    const l = labels === undefined ? '' : `{${Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
    out.push(`${name}${l} ${Number.isFinite(value) ? value : 0}`);
  }
  return `${out.join('\n')}\n`;
}

const startedAt = Date.now() / 1000;

/** processSamples: the usual process metrics. */
export function processSamples(): Sample[] {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return [
    ['process_cpu_seconds_total', 'counter', 'User and system CPU time spent, seconds.', (cpu.user + cpu.system) / 1e6],
    ['process_resident_memory_bytes', 'gauge', 'Resident memory size, bytes.', mem.rss],
    ['process_heap_bytes', 'gauge', 'V8 heap used, bytes.', mem.heapUsed],
    ['process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch, seconds.', startedAt],
  ];
}

/** relayMetrics: a relay's `/metrics`. */
export function relayMetrics(relay: Relay): string {
  const s = relay.stats();
  return formatPrometheus([
    ['relay_directory_requests_total', 'counter', 'Directory requests served.', s.directoryRequests],
    ['relay_directory_rejected_total', 'counter', 'Directory requests refused (malformed, timeout).', s.directoryRejected],
    ['relay_clusters', 'gauge', 'Clusters with a peer registered.', s.clusters],
    ['relay_peers', 'gauge', 'Peers registered.', s.peers],
    ['relay_reservations', 'gauge', 'Circuit relay reservations held.', s.reservations],
    ...processSamples(),
  ]);
}

/**
 * clusterMetricsText: a peer's `/metrics` from the cluster layer's registry (src/cluster:
 * `cluster_nodes_total`, `cluster_leader_elections`, `replication_lag_ms`, network and process
 * metrics, as docs/metrics.md lists).
 */
export function clusterMetricsText(cluster: GeodeCluster): string {
  let reg = registries.get(cluster);
  if (reg === undefined) {
    reg = new MetricsRegistry();
    if (cluster.host !== undefined) {
      registerClusterMetrics(reg, {
        host: cluster.host,
        net: cluster.transport,
        remoteTransactions: () => cluster.remoteTransactions(),
        ...(cluster.federation === undefined ? {} : { federation: cluster.federation }),
        ...(cluster.sharding === undefined ? {} : { sharding: cluster.sharding, groups: [0, ...cluster.sharding.map().shards.map((s) => s.group)] }),
      });
    }
    registerProcessMetrics(reg);
    registries.set(cluster, reg);
  }
  return formatFamilies(reg.collect());
}

const registries = new WeakMap<GeodeCluster, MetricsRegistry>();

/** peerMetrics: a peer's `/metrics` without the cluster layer's registry (kept for tools; the CLI serves {@link clusterMetricsText}). */
export function peerMetrics(cluster: GeodeCluster): string {
  const host = cluster.host;
  const status = cluster.status();
  const net = cluster.transport.stats();
  const samples: Sample[] = [
    ['cluster_nodes_total', 'gauge', 'Peers this peer knows in the shard group (members and connected peers).', status.length],
    ['cluster_voters', 'gauge', 'Voters in the shard group.', status.filter((r) => r.role === 'voter').length],
    ['cluster_is_leader', 'gauge', '1 when this peer leads the shard group.', cluster.isLeader() ? 1 : 0],
    ['cluster_leader_elections', 'counter', 'Terms this peer won.', host?.leaderElections ?? 0],
    ['cluster_term', 'gauge', 'The current Raft term.', status.find((r) => r.self)?.term ?? 0],
  ];
  for (const r of cluster.replicationLag()) samples.push(['replication_lag_ms', 'gauge', 'How long a replica has been behind the leader, ms (on the leader).', r.msBehind, { peer: r.peer }]);
  for (const r of cluster.replicationLag()) samples.push(['replication_lag_entries', 'gauge', 'Log entries a replica is behind the leader (on the leader).', r.entriesBehind, { peer: r.peer }]);
  samples.push(
    ['shard_snapshots_received_total', 'counter', 'Snapshots installed from a leader.', host?.snapshotsReceived ?? 0],
    ['shard_frames_rejected_total', 'counter', 'Shard frames refused as invalid (the connection was closed).', host?.framesRejected ?? 0],
    ['net_frames_rejected_total', 'counter', 'Frames or streams refused by the network layer (bad frames, failed handshakes, rejections).', net.rejected],
    ['net_auth_failures_total', 'counter', 'Handshakes that failed.', net.authFailures],
    ['net_frames_in_total', 'counter', 'Frames received.', net.framesIn],
    ['net_frames_out_total', 'counter', 'Frames sent.', net.framesOut],
    ['net_bytes_in_total', 'counter', 'Bytes received.', net.bytesIn],
    ['net_bytes_out_total', 'counter', 'Bytes sent.', net.bytesOut],
    ['net_peers_connected', 'gauge', 'Cluster members connected now.', cluster.transport.connected().length],
    ...processSamples(),
  );
  return formatPrometheus(samples);
}
