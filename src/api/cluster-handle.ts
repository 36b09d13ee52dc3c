/**
 * GeodeCluster: what `db.cluster` shows of a clustered database (undefined for an embedded one).
 */
import type { GeodePeer } from '../net/index.ts';
import type { PeerStatus, ReplicaLag, ShardHost } from '../shard/index.ts';

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
}
