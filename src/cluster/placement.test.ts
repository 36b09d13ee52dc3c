import { describe, expect, it } from 'vitest';
import type { PeerId } from '../net/types.ts';
import { planPlacement, type PlacementPeer } from './placement.ts';
import type { ShardEntry } from './shard-map.ts';

const P = (s: string): PeerId => s as PeerId;
const node = (id: string, healthy = true): PlacementPeer => ({ id: P(id), kind: 'node', visible: true, healthy });
const tab = (id: string, visible = true): PlacementPeer => ({ id: P(id), kind: 'tab', visible, healthy: true });
const shard = (id: number, replicas: string[], leader?: string): ShardEntry => ({ id, group: id + 1, replicas: replicas.map(P), learners: [], leader: leader === undefined ? undefined : P(leader), term: 1 });

describe('planPlacement', () => {
  it('gives an under-replicated shard a replica on a peer without one, Node peers and visible tabs first, spreading replicas', () => {
    const peers = [tab('t1', false), tab('t2'), node('n1'), node('n2'), node('n3')];
    const moves = planPlacement({ shards: [shard(0, ['n1']), shard(1, ['n1'])], peers, factor: 3, movesInFlight: 0, maxMoves: 10 });
    expect(moves).toEqual([
      { op: 'addReplica', shard: 0, peer: 'n2' },
      { op: 'addReplica', shard: 1, peer: 'n3' },
    ]);
  });

  it('replaces a failed replica: adds a healthy one first, drops the failed one once the factor is met', () => {
    const peers = [node('a'), node('b'), node('c', false), node('d')];
    expect(planPlacement({ shards: [shard(0, ['a', 'b', 'c'], 'a')], peers, factor: 3, movesInFlight: 0, maxMoves: 5 })).toEqual([{ op: 'addReplica', shard: 0, peer: 'd' }]);
    expect(planPlacement({ shards: [shard(0, ['a', 'b', 'c', 'd'], 'a')], peers, factor: 3, movesInFlight: 0, maxMoves: 5 })).toEqual([{ op: 'removeReplica', shard: 0, peer: 'c' }]);
  });

  it('spreads leaders: a peer leading more than its share hands shards to replicas that lead fewer', () => {
    const peers = [node('a'), node('b'), node('c')];
    const shards = [0, 1, 2].map((i) => shard(i, ['a', 'b', 'c'], 'a'));
    const moves = planPlacement({ shards, peers, factor: 3, movesInFlight: 0, maxMoves: 5 });
    expect(moves).toEqual([
      { op: 'transferLeader', shard: 0, from: 'a', to: 'b' },
      { op: 'transferLeader', shard: 1, from: 'a', to: 'c' },
    ]);
  });

  it('starts no more than the move limit allows, and nothing when placement is already right', () => {
    const peers = ['a', 'b', 'c', 'd', 'e'].map((x) => node(x));
    const shards = [0, 1, 2].map((i) => shard(i, ['a']));
    expect(planPlacement({ shards, peers, factor: 3, movesInFlight: 1, maxMoves: 2 })).toHaveLength(1);
    expect(planPlacement({ shards, peers, factor: 3, movesInFlight: 2, maxMoves: 2 })).toEqual([]);
    const settled = [shard(0, ['a', 'b', 'c'], 'a'), shard(1, ['b', 'c', 'd'], 'b'), shard(2, ['c', 'd', 'e'], 'c')];
    expect(planPlacement({ shards: settled, peers, factor: 3, movesInFlight: 0, maxMoves: 5 })).toEqual([]);
  });
});
