/**
 * What the cluster layer's procedures and metrics read: a view of a shard host and, optionally,
 * of the network peer under it. `ShardHost` (src/shard) and `GeodePeer` (src/net) satisfy these
 * structurally; tests may pass small stand-ins.
 */
import type { NetStats, PeerId, PeerKind, PresenceState } from '../net/index.ts';
import type { ShardHost } from '../shard/index.ts';

/** The parts of a {@link ShardHost} read here. */
export type ClusterHostView = Pick<ShardHost, 'self' | 'status' | 'replicationLag' | 'raftStatus' | 'isLeader' | 'leaderElections' | 'framesRejected'> &
  Partial<Pick<ShardHost, 'snapshotsReceived'>>;

/** The parts of a network peer read here (all optional: the memory transport has none). */
export interface ClusterNetView {
  /** This peer's runtime. */
  readonly kind?: PeerKind;
  /** Presence states of the cluster (gives each peer's kind). */
  presence?(): readonly PresenceState[];
  /** The remote multiaddr of the connection to `peer`. */
  peerAddr?(peer: PeerId): string | undefined;
  /** This peer's own addresses. */
  addrs?(): string[];
  /** Transport counters. */
  stats?(): Readonly<NetStats>;
  connected?(): readonly PeerId[];
}

/**
 * The federation links of a cluster, as the federation layer reports them (src/federation's
 * agent satisfies it): per upstream cluster, its log index merged up to, entries not merged yet,
 * and ms since this cluster last knew it had everything. Empty on a peer that does not lead.
 */
export interface FederationLagView {
  lag(): readonly { readonly cluster: string; readonly cursor: number; readonly entriesBehind: number; readonly msBehind: number }[];
}

/** What {@link clusterProcedures} and {@link registerClusterMetrics} are built from. */
export interface ClusterViewInit {
  readonly host: ClusterHostView;
  /** Federation links: rows of `db.cluster.replicationLag()` with source `federation`, and `replication_lag_ms{federation}` samples. */
  readonly federation?: FederationLagView;
  readonly net?: ClusterNetView;
  /** The groups (shards) to report; default the host's first group only. */
  readonly groups?: readonly number[];
  /** A sharded cluster's router counters (the `cross_shard_queries` family); absent: not sharded. */
  readonly sharding?: { stats(): { readonly queries: number; readonly crossShardQueries: number } };
  /** Transactions this member holds open for cluster clients now (`remote_transactions_open`); absent: not reported. */
  readonly remoteTransactions?: () => number;
}
