/**
 * Replica placement: given the shard map and the peers online, the next replica moves and
 * leadership transfers that bring every shard to `replication.factor` voters on distinct healthy
 * peers and spread the leaders out. Pure: the meta group's leader calls it on each check, starts
 * what it returns (adding a replica = the shard's Raft group adds a learner, which catches up and
 * is promoted; removing one = a conf change), and records the outcome in the map.
 *
 * Rules, in order, at most `maxMoves - movesInFlight` moves per call:
 * 1. A shard with fewer healthy voters than the factor gets one on the best peer that holds no
 *    replica of it: Node peers before visible tabs before hidden tabs, then the fewest replicas
 *    held, then the peer id (so every peer computes the same answer).
 * 2. A shard with the factor's healthy voters besides a failed one drops the failed one.
 * 3. Leaders: a peer leading more than ⌈shards / eligible peers⌉ shards hands one to a healthy
 *    replica of it leading the fewest, preferring Node peers and visible tabs.
 */
import type { PeerId } from '../net/types.ts';
import type { ShardId } from './hash-ring.ts';
import type { ShardEntry } from './shard-map.ts';

/** A peer as placement sees it (from presence and the failure detector). */
export interface PlacementPeer {
  readonly id: PeerId;
  readonly kind: 'node' | 'tab';
  readonly visible: boolean;
  readonly healthy: boolean;
}

/** What placement decides from. */
export interface PlacementInput {
  readonly shards: readonly ShardEntry[];
  readonly peers: readonly PlacementPeer[];
  /** Voters per shard (replication.factor). */
  readonly factor: number;
  /** Moves already under way (limits how many more start). */
  readonly movesInFlight: number;
  /** Most moves under way at once. */
  readonly maxMoves: number;
}

/** One step placement asks for. */
export type PlacementMove =
  | { readonly op: 'addReplica'; readonly shard: ShardId; readonly peer: PeerId }
  | { readonly op: 'removeReplica'; readonly shard: ShardId; readonly peer: PeerId }
  | { readonly op: 'transferLeader'; readonly shard: ShardId; readonly from: PeerId; readonly to: PeerId };

/** Lower is better: Node peers, then visible tabs, then hidden tabs. */
function rank(p: PlacementPeer): number {
  return p.kind === 'node' ? 0 : p.visible ? 1 : 2;
}

/** planPlacement: the moves to start now, in order (empty when placement is as it should be). */
export function planPlacement(input: PlacementInput): PlacementMove[] {
  const budget = Math.max(0, input.maxMoves - input.movesInFlight);
  const moves: PlacementMove[] = [];
  if (budget === 0) return moves;
  const peers = new Map(input.peers.map((p) => [p.id, p]));
  const healthy = (id: PeerId): boolean => peers.get(id)?.healthy === true;
  // Replicas held per peer, updated as moves are planned so one call spreads them.
  const held = new Map<PeerId, number>();
  for (const s of input.shards) for (const r of [...s.replicas, ...s.learners]) held.set(r, (held.get(r) ?? 0) + 1);

  for (const s of input.shards) {
    if (moves.length >= budget) return moves;
    const live = s.replicas.filter(healthy);
    if (live.length < input.factor) {
      const candidates = input.peers.filter((p) => p.healthy && !s.replicas.includes(p.id) && !s.learners.includes(p.id));
      candidates.sort((a, b) => rank(a) - rank(b) || (held.get(a.id) ?? 0) - (held.get(b.id) ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const pick = candidates[0];
      if (pick !== undefined) {
        moves.push({ op: 'addReplica', shard: s.id, peer: pick.id });
        held.set(pick.id, (held.get(pick.id) ?? 0) + 1);
      }
      continue;
    }
    const failed = s.replicas.find((r) => !healthy(r));
    if (failed !== undefined) moves.push({ op: 'removeReplica', shard: s.id, peer: failed });
  }

  // Leader spread over the healthy peers that hold replicas.
  const leading = new Map<PeerId, ShardEntry[]>();
  for (const s of input.shards) if (s.leader !== undefined && healthy(s.leader)) leading.set(s.leader, [...(leading.get(s.leader) ?? []), s]);
  const eligible = input.peers.filter((p) => p.healthy && (held.get(p.id) ?? 0) > 0).length;
  if (eligible === 0) return moves;
  const fair = Math.ceil(input.shards.length / eligible);
  const leadCount = new Map([...leading].map(([id, list]) => [id, list.length]));
  const leads = (id: PeerId): number => leadCount.get(id) ?? 0;
  for (const [from, shards] of [...leading].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))) {
    for (const s of shards) {
      if (moves.length >= budget || leads(from) <= fair) break;
      const to = s.replicas
        .filter((r) => r !== from && healthy(r) && leads(r) + 1 <= fair)
        .sort((a, b) => rank(peers.get(a)!) - rank(peers.get(b)!) || leads(a) - leads(b) || (a < b ? -1 : 1))[0];
      if (to === undefined) continue;
      moves.push({ op: 'transferLeader', shard: s.id, from, to });
      leadCount.set(to, leads(to) + 1);
      leadCount.set(from, leads(from) - 1);
    }
  }
  return moves;
}
