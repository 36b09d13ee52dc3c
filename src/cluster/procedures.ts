/**
 * The `db.cluster.*` procedures (column sets in docs/procedures.md):
 *
 * - `db.cluster.status()`: one row per peer this host knows in the group (members and connected
 *   peers): id, kind, role, state, health, term, leader, address, last_contact_ms, self.
 * - `db.cluster.replicationLag()`: per replica, how far behind the leader it is. On the leader,
 *   one row per member from the leader's progress tracker (`source = 'leader'`). On another peer
 *   only the leader knows every replica's match index: the answer is one row, this peer's own
 *   view of itself (`source = 'self'`): its last log index, the entries it knows committed but
 *   not applied, and ms since it last heard from the leader. Procedures run synchronously inside
 *   the statement, so they cannot ask the leader; run the call on the leader (its address is in
 *   `db.cluster.status()`) for every row.
 *
 * A procedure runs where the statement runs: through `ShardHost.query` a read on a follower waits
 * for a ReadIndex round, which needs a leader. To look at a cluster with no leader, run it with
 * `readQuorum: 1` (this peer's view at once).
 *
 * @example
 * ```ts
 * for (const p of clusterProcedures({ host, net: peer })) host.registerProcedure(p);
 * await host.query('CALL db.cluster.status() YIELD id, role, state');
 * ```
 */
import type { Value } from '../graph/index.ts';
import type { PeerKind } from '../net/index.ts';
import type { ProcedureDefinition } from '../query/index.ts';
import { statusRowsMax } from './constants.ts';
import type { ClusterHostView, ClusterNetView, ClusterViewInit, FederationLagView } from './types.ts';

/** Output columns of `db.cluster.status()`, in order. */
export const STATUS_COLUMNS = [
  { name: 'id', type: 'STRING' },
  { name: 'kind', type: 'STRING' },
  { name: 'role', type: 'STRING' },
  { name: 'state', type: 'STRING' },
  { name: 'health', type: 'STRING' },
  { name: 'term', type: 'INTEGER' },
  { name: 'leader', type: 'STRING' },
  { name: 'address', type: 'STRING' },
  { name: 'last_contact_ms', type: 'INTEGER' },
  { name: 'self', type: 'BOOLEAN' },
] as const;

/** Output columns of `db.cluster.replicationLag()`, in order. */
export const REPLICATION_LAG_COLUMNS = [
  { name: 'peer', type: 'STRING' },
  { name: 'role', type: 'STRING' },
  { name: 'match_index', type: 'INTEGER' },
  { name: 'entries_behind', type: 'INTEGER' },
  { name: 'ms_behind', type: 'INTEGER' },
  { name: 'source', type: 'STRING' },
] as const;

/** The `state` column's values: Raft roles, `unknown` for a peer whose role this host cannot see. */
export type StatusState = 'leader' | 'follower' | 'candidate' | 'pre_candidate' | 'unknown';

/** One row of `db.cluster.status()` as a plain object (also what the demo's peer list shows). */
export interface ClusterStatusRow {
  readonly id: string;
  readonly kind: PeerKind | null;
  readonly role: 'voter' | 'learner' | 'none';
  readonly state: StatusState;
  readonly health: 'healthy' | 'suspect' | 'failed' | 'unknown';
  readonly term: number;
  readonly leader: string | null;
  readonly address: string | null;
  readonly last_contact_ms: number | null;
  readonly self: boolean;
}

/** One row of `db.cluster.replicationLag()` as a plain object. */
export interface ReplicationLagRow {
  /** The replica's peer id; for a federation row, the upstream cluster's id. */
  readonly peer: string;
  readonly role: 'voter' | 'learner' | 'none' | 'federation';
  readonly match_index: number;
  readonly entries_behind: number;
  /** null when this peer has no leader to measure against. */
  readonly ms_behind: number | null;
  /**
   * `leader`: from the leader's progress tracker; `self`: a non-leader's view of itself;
   * `federation`: a federated cluster this one replicates from (on the leader).
   */
  readonly source: 'leader' | 'self' | 'federation';
}

function kindsOf(net: ClusterNetView | undefined): Map<string, PeerKind> {
  const kinds = new Map<string, PeerKind>();
  if (net?.presence === undefined) return kinds;
  for (const s of net.presence()) kinds.set(s.id, s.kind);
  return kinds;
}

function stateOf(state: string): StatusState {
  switch (state) {
    case 'leader':
    case 'follower':
    case 'candidate':
      return state;
    case 'preCandidate':
      return 'pre_candidate';
    default:
      return 'unknown';
  }
}

/**
 * clusterStatus: the rows of `db.cluster.status()` (sorted by id, at most `statusRowsMax`). Kind
 * comes from presence (this peer's own from the transport), address from the live connection
 * (this peer's own: its first listen / relay address); null where unknown.
 */
export function clusterStatus(host: ClusterHostView, net?: ClusterNetView, group?: number): ClusterStatusRow[] {
  const kinds = kindsOf(net);
  const rows: ClusterStatusRow[] = [];
  for (const p of host.status(group)) {
    if (rows.length >= statusRowsMax) break;
    const address = p.self ? (net?.addrs?.()[0] ?? null) : (net?.peerAddr?.(p.peer) ?? null);
    rows.push({
      id: p.peer,
      kind: (p.self ? (net?.kind ?? kinds.get(p.peer)) : kinds.get(p.peer)) ?? null,
      role: p.role,
      state: stateOf(p.state),
      health: p.health,
      term: p.term,
      leader: p.leader ?? null,
      address,
      last_contact_ms: p.lastContactMs === undefined ? null : Math.max(0, Math.round(p.lastContactMs)),
      self: p.self,
    });
  }
  return rows;
}

/** replicationLag: the rows of `db.cluster.replicationLag()` (see the module comment for a non-leader's answer). */
export function replicationLag(host: ClusterHostView, group?: number): ReplicationLagRow[] {
  const st = host.raftStatus(group);
  if (st.softState.role === 'leader') {
    return host.replicationLag(group).map((r) => ({
      peer: r.peer,
      role: r.role,
      match_index: r.matchIndex,
      entries_behind: r.entriesBehind,
      ms_behind: Math.max(0, Math.round(r.msBehind)),
      source: 'leader' as const,
    }));
  }
  const peers = host.status(group);
  const me = peers.find((p) => p.self);
  const leader = me?.leader === undefined ? undefined : peers.find((p) => p.peer === me.leader);
  const contact = leader?.lastContactMs;
  return [
    {
      peer: host.self,
      role: me?.role ?? 'none',
      match_index: st.lastIndex,
      entries_behind: Math.max(0, st.hardState.commit - st.applied),
      ms_behind: contact === undefined ? null : Math.max(0, Math.round(contact)),
      source: 'self',
    },
  ];
}

/**
 * federationLag: the `db.cluster.replicationLag()` rows of federation links (source
 * `federation`, role `federation`, peer = the upstream cluster, match_index = its log index
 * merged up to, entries_behind = its entries not merged yet, ms_behind = ms since this cluster
 * last had everything from it).
 */
export function federationLag(f: FederationLagView | undefined): ReplicationLagRow[] {
  if (f === undefined) return [];
  return f.lag().map((l) => ({ peer: l.cluster, role: 'federation', match_index: l.cursor, entries_behind: l.entriesBehind, ms_behind: Math.max(0, Math.round(l.msBehind)), source: 'federation' }));
}

const int = (n: number | null): Value => (n === null ? null : BigInt(n));

function statusValues(r: ClusterStatusRow): Value[] {
  return [r.id, r.kind, r.role, r.state, r.health, BigInt(r.term), r.leader, r.address, int(r.last_contact_ms), r.self];
}

function lagValues(r: ReplicationLagRow): Value[] {
  return [r.peer, r.role, BigInt(r.match_index), BigInt(r.entries_behind), int(r.ms_behind), r.source];
}

/**
 * clusterProcedures: the `db.cluster.*` procedures over `host` (register each with
 * `ShardHost.registerProcedure`). They report `init.groups[0]` (default: the host's first group).
 */
export function clusterProcedures(init: ClusterViewInit | ClusterHostView): ProcedureDefinition[] {
  const { host, net, groups, federation } = 'host' in init ? init : { host: init, net: undefined, groups: undefined, federation: undefined };
  const group = groups?.[0];
  return [
    {
      name: 'db.cluster.status',
      description: 'One row per peer this peer knows in the shard group: id, kind, role, state, health, term, leader, address, last contact.',
      inputs: [],
      outputs: STATUS_COLUMNS,
      run: () => clusterStatus(host, net, group).map(statusValues),
    },
    {
      name: 'db.cluster.replicationLag',
      description: "Per replica: match index, entries and ms behind the leader (on a non-leader: its own row, source 'self'); per federated cluster on the leader, source 'federation'.",
      inputs: [],
      outputs: REPLICATION_LAG_COLUMNS,
      run: () => [...replicationLag(host, group), ...federationLag(federation)].map(lagValues),
    },
  ];
}

