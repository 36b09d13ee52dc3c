/**
 * GeodeCluster: what `db.cluster` shows of a clustered database (undefined for an embedded one).
 */
import type { GeodePeer } from '../net/index.ts';
import type { FaultMode, PeerStatus, ReplicaLag, ShardHost } from '../shard/index.ts';
import type { FederationAgent } from '../federation/index.ts';
import type { ShardedCluster } from './sharded-cluster.ts';
import type { ShardedClientRouter } from '../cluster/client-router.ts';

/** The cluster side of a database opened with `openGeode({ cluster })`. */
export interface GeodeCluster {
  /** The cluster id. */
  readonly id: string;
  /** This peer's id (its libp2p peer id). */
  readonly self: string;
  /** `member`: holds a replica and may vote; `client`: only sends statements to members. */
  readonly mode: 'member' | 'client';
  /** The addresses this peer listens on / registers with relays. */
  addrs(): string[];
  /** Whether this peer is the shard's ready leader (always false for a client). */
  isLeader(): boolean;
  /** `db.cluster.status()` rows: one per peer as this peer sees them (empty for a client). */
  status(): PeerStatus[];
  /** `db.cluster.replicationLag()` rows (on the leader; empty elsewhere). */
  replicationLag(): ReplicaLag[];
  /** The shard host of a member (tools, metrics, procedures); undefined for a client. */
  readonly host: ShardHost | undefined;
  /** The network peer (counters, presence). */
  readonly transport: GeodePeer;
  /** On a member of a sharded cluster (`sharding.shards` > 1): the shard map, `shards()` rows, the bulk import. */
  readonly sharding?: ShardedCluster;
  /**
   * On a client: its routing over a sharded cluster's cached shard map (docs/sharding.md, "Routing on
   * the client"): the map, and how many statements went straight to a shard's leader (`direct`).
   */
  readonly clientRouting?: ShardedClientRouter;
  /**
   * remoteTransactions: on a member, the transactions it holds open for cluster clients now
   * (docs/transactions.md, "From a cluster client"; the metric `remote_transactions_open`); 0 on a
   * client.
   */
  remoteTransactions(): number;
  /**
   * The federation agent when `federation.enabled` (docs/federation.md): `lag()` per federated
   * cluster, `onLag(listener)` for lag events, `cut(cluster, true|false)` to cut a link (tests,
   * the demo). Undefined otherwise and on a client.
   */
  readonly federation: FederationAgent | undefined;
  /**
   * stepDown: when this peer leads, hands leadership to the best other voter (healthy, a visible
   * tab or a Node peer before a hidden tab, then the most caught up) and waits for it to take
   * over (at most `request_timeout_ms`). Resolves with the new leader's peer id; undefined when
   * this peer does not lead, no voter can take over, or the transfer did not finish in time.
   */
  stepDown(): Promise<string | undefined>;
  /**
   * pause: this peer freezes, as a process stopped in a debugger: its Raft groups stop ticking
   * and it neither sends nor receives shard traffic until {@link GeodeCluster.resume}. Its own
   * statements wait meanwhile. CONFIG_INVALID on a client.
   */
  pause(): void;
  /**
   * isolate: this peer is cut off from the others, as by a network partition: it stays up and
   * keeps ticking, but no shard traffic passes to or from its peers until
   * {@link GeodeCluster.resume} (connections and presence stay up). CONFIG_INVALID on a client.
   */
  isolate(): void;
  /** resume: ends {@link GeodeCluster.pause} or {@link GeodeCluster.isolate}; the peer catches up with its group. */
  resume(): void;
  /** fault: `paused`, `isolated`, or `none` (always `none` on a client). */
  fault(): FaultMode;
  /**
   * setVisible: tells the cluster whether this peer is visible (a browser tab's
   * `document.visibilityState`; presence `visible`). While hidden, a peer that leads hands its
   * leadership to a healthy voter that is a visible tab or a Node peer, now and whenever it finds
   * itself leading again (checked every {@link hiddenLeaderCheckMs}); it keeps leading when no
   * such voter exists. Resolves once the first hand-off settled.
   */
  setVisible(visible: boolean): Promise<void>;
  /** visible: what {@link GeodeCluster.setVisible} last said (true at first). */
  visible(): boolean;
  /**
   * tickSource: what drives this peer's Raft ticks: `worker` (a dedicated Worker's timer, in a
   * browser tab, so a hidden tab keeps its heartbeats) or `timers` (`setTimeout`: Node, or a page
   * where no Worker could start; always `timers` on a client).
   */
  tickSource(): 'worker' | 'timers';
}

/** How often a hidden leader looks for a visible voter to hand its leadership to, ms. */
export const hiddenLeaderCheckMs = 1_000;
