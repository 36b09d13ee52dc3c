/**
 * registerClusterMetrics: the cluster and network metric families of one peer (docs/metrics.md
 * lists them). All are collected at scrape time from the shard host and the transport: nothing
 * is counted twice and nothing runs on the hot path.
 *
 * Per-group families carry a `group` label; per-replica ones a `peer` label (replication lag is
 * known on the leader only: other peers expose no `replication_lag_*` samples).
 */
import type { MetricsRegistry } from './metrics.ts';
import type { Sample } from './prometheus-text.ts';
import type { ClusterViewInit } from './types.ts';

/** registerClusterMetrics: adds the cluster families to `reg`. `init.groups` defaults to [0] (the host's default group). */
export function registerClusterMetrics(reg: MetricsRegistry, init: ClusterViewInit): void {
  const { host, net } = init;
  const groups = init.groups ?? [0];
  const first = groups[0];
  const perGroup = (read: (g: number) => number): (() => Sample[]) => {
    return () => groups.map((g) => ({ labels: { group: String(g) }, value: read(g) }));
  };

  const sharding = init.sharding;
  if (sharding !== undefined) {
    reg.register({ name: 'cross_shard_queries', type: 'counter', help: 'Statements through this peer that read from or wrote to more than one shard.', collect: () => sharding.stats().crossShardQueries });
    reg.register({ name: 'sharded_queries_total', type: 'counter', help: 'Statements this peer ran through the shard router.', collect: () => sharding.stats().queries });
  }
  const remote = init.remoteTransactions;
  if (remote !== undefined) {
    reg.register({ name: 'remote_transactions_open', type: 'gauge', help: 'Transactions this member holds open for cluster clients (at most 1,024).', collect: () => remote() });
  }
  reg.register({
    name: 'cluster_nodes_total',
    type: 'gauge',
    help: 'Peers this peer knows in the shard group: members and connected peers (rows of db.cluster.status()).',
    collect: () => host.status(first).length,
  });
  reg.register({ name: 'cluster_voters', type: 'gauge', help: 'Voters of the shard group.', collect: perGroup((g) => host.raftStatus(g).conf.voters.length) });
  reg.register({ name: 'cluster_learners', type: 'gauge', help: 'Learners (non-voting replicas) of the shard group.', collect: perGroup((g) => host.raftStatus(g).conf.learners.length) });
  reg.register({ name: 'cluster_is_leader', type: 'gauge', help: '1 when this peer is the ready leader of the group.', collect: perGroup((g) => (host.isLeader(g) ? 1 : 0)) });
  reg.register({ name: 'cluster_leader_elections', type: 'counter', help: 'Terms in which this peer became leader (summed over groups).', collect: () => host.leaderElections });

  reg.register({
    name: 'replication_lag_ms',
    type: 'gauge',
    help: 'How long a replica has been behind the leader, ms (exposed by the leader only); with a federation label, how long since this cluster had everything from that federated cluster.',
    collect: () => {
      const out: Sample[] = [];
      for (const g of groups) for (const r of host.replicationLag(g)) out.push({ labels: { group: String(g), peer: r.peer }, value: r.msBehind });
      for (const l of init.federation?.lag() ?? []) out.push({ labels: { federation: l.cluster }, value: l.msBehind });
      return out;
    },
  });
  reg.register({
    name: 'replication_lag_entries',
    type: 'gauge',
    help: 'Log entries a replica is behind the leader (exposed by the leader only).',
    collect: () => {
      const out: Sample[] = [];
      for (const g of groups) for (const r of host.replicationLag(g)) out.push({ labels: { group: String(g), peer: r.peer }, value: r.entriesBehind });
      for (const l of init.federation?.lag() ?? []) out.push({ labels: { federation: l.cluster }, value: l.entriesBehind });
      return out;
    },
  });

  reg.register({ name: 'raft_term', type: 'gauge', help: 'The current Raft term.', collect: perGroup((g) => host.raftStatus(g).hardState.term) });
  reg.register({ name: 'raft_commit_index', type: 'gauge', help: 'The highest log index this peer knows committed.', collect: perGroup((g) => host.raftStatus(g).hardState.commit) });
  reg.register({ name: 'raft_applied_index', type: 'gauge', help: 'The highest log index applied to this peer\'s graph.', collect: perGroup((g) => host.raftStatus(g).applied) });
  reg.register({ name: 'raft_last_index', type: 'gauge', help: 'The last index of this peer\'s Raft log.', collect: perGroup((g) => host.raftStatus(g).lastIndex) });

  reg.register({
    name: 'shard_frames_rejected_total',
    type: 'counter',
    help: 'Shard frames this peer refused as invalid (the connection was closed).',
    collect: () => host.framesRejected,
  });
  if (host.snapshotsReceived !== undefined) {
    reg.register({ name: 'shard_snapshots_received_total', type: 'counter', help: 'Snapshots installed from a leader.', collect: () => host.snapshotsReceived ?? 0 });
  }

  const stats = net?.stats?.bind(net);
  reg.register({
    name: 'net_frames_rejected_total',
    type: 'counter',
    help: 'Frames or streams refused: invalid frames, failed handshakes, frames the shard layer refused.',
    // The transport counts the shard layer's refusals too (ShardHost calls transport.reject).
    collect: () => (stats === undefined ? host.framesRejected : stats().rejected),
  });
  if (stats !== undefined) {
    reg.register({ name: 'net_auth_failures_total', type: 'counter', help: 'Cluster handshakes that failed (wrong secret, timeout, malformed).', collect: () => stats().authFailures });
    reg.register({ name: 'net_frames_in_total', type: 'counter', help: 'Frames received.', collect: () => stats().framesIn });
    reg.register({ name: 'net_frames_out_total', type: 'counter', help: 'Frames sent.', collect: () => stats().framesOut });
    reg.register({ name: 'net_bytes_in_total', type: 'counter', help: 'Bytes received.', collect: () => stats().bytesIn });
    reg.register({ name: 'net_bytes_out_total', type: 'counter', help: 'Bytes sent.', collect: () => stats().bytesOut });
  }
  const connected = net?.connected?.bind(net);
  if (connected !== undefined) {
    reg.register({ name: 'net_peers_connected', type: 'gauge', help: 'Cluster members connected now.', collect: () => connected().length });
  }
}
