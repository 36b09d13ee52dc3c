import { describe, expect, it } from 'vitest';
import type { PeerId } from '../net/types.ts';
import { isGeodeError } from '../util/errors.ts';
import { applyShardMapChange, emptyShardMap, shardingOf, type ShardMapChange, type ShardMapState } from './shard-map.ts';

const P = (s: string): PeerId => s as PeerId;

function build(changes: readonly ShardMapChange[]): ShardMapState {
  return changes.reduce(applyShardMapChange, emptyShardMap());
}

const three: ShardMapChange[] = [
  { op: 'addShard', shard: 0, group: 1 },
  { op: 'addShard', shard: 1, group: 2 },
  { op: 'addShard', shard: 2, group: 3 },
  { op: 'setSharding', label: undefined, sharding: { strategy: 'hash', shards: [0, 1, 2] } },
  { op: 'setSharding', label: 'Post', sharding: { strategy: 'range', shards: [0, 1, 2], key: 'created_at', ranges: [100n, 200n] } },
];

function refused(state: ShardMapState, change: ShardMapChange): string {
  try {
    applyShardMapChange(state, change);
  } catch (err) {
    expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
    return (err as Error).message;
  }
  return expect.unreachable('the change was applied');
}

describe('the shard map', () => {
  it('is the same on every peer that applied the same changes, and bumps its version per real change', () => {
    const a = build(three);
    const b = build(three);
    expect(a).toEqual(b);
    expect(a.version).toBe(5);
    expect(a.shards.map((s) => s.group)).toEqual([1, 2, 3]);
    expect(shardingOf(a, ['Post']).strategy).toBe('range');
    expect(shardingOf(a, ['Person']).strategy).toBe('hash');
  });

  it('ignores leader reports of older terms and repeated reports, without a new version', () => {
    let m = build(three);
    m = applyShardMapChange(m, { op: 'setLeader', shard: 1, leader: P('peerB'), term: 5 });
    const v = m.version;
    expect(applyShardMapChange(m, { op: 'setLeader', shard: 1, leader: P('peerA'), term: 4 })).toBe(m);
    expect(applyShardMapChange(m, { op: 'setLeader', shard: 1, leader: P('peerB'), term: 5 })).toBe(m);
    const later = applyShardMapChange(m, { op: 'setLeader', shard: 1, leader: P('peerC'), term: 6 });
    expect(later.version).toBe(v + 1);
    expect(later.shards[1]!.leader).toBe('peerC');
  });

  it('records replicas and learners, refusing a peer in both or twice', () => {
    const m = applyShardMapChange(build(three), { op: 'setReplicas', shard: 2, replicas: [P('a'), P('b'), P('c')], learners: [P('d')] });
    expect(m.shards[2]!.replicas).toEqual(['a', 'b', 'c']);
    expect(refused(m, { op: 'setReplicas', shard: 2, replicas: [P('a')], learners: [P('a')] })).toMatch(/both/);
    expect(refused(m, { op: 'setReplicas', shard: 2, replicas: [P('a'), P('a')], learners: [] })).toMatch(/twice/);
  });

  it('refuses changes that cannot apply, saying why', () => {
    const m = build(three);
    expect(refused(m, { op: 'addShard', shard: 1, group: 9 })).toMatch(/shard 1 exists/);
    expect(refused(m, { op: 'addShard', shard: 7, group: 2 })).toMatch(/group 2 already/);
    expect(refused(m, { op: 'removeShard', shard: 0 })).toMatch(/still used by default, label Post/);
    expect(refused(m, { op: 'setLeader', shard: 9, leader: undefined, term: 1 })).toMatch(/shard 9 does not exist/);
    expect(refused(m, { op: 'setSharding', label: 'X', sharding: { strategy: 'range', shards: [0, 1], key: 'k', ranges: [] } })).toMatch(/boundaries/);
    expect(refused(m, { op: 'setSharding', label: 'X', sharding: { strategy: 'range', shards: [0, 1] , ranges: [1n] } })).toMatch(/key property/);
    expect(refused(m, { op: 'setSharding', label: 'X', sharding: { strategy: 'hash', shards: [0, 5] } })).toMatch(/shard 5 does not exist/);
    expect(refused(m, { op: 'nope' } as unknown as ShardMapChange)).toMatch(/unknown op/);
  });

  it('removes a shard no spread uses', () => {
    const m = applyShardMapChange(build([...three, { op: 'addShard', shard: 3, group: 4 }]), { op: 'removeShard', shard: 3 });
    expect(m.shards.map((s) => s.id)).toEqual([0, 1, 2]);
  });
});
