import { describe, expect, it } from 'vitest';
import type { PeerId, PresenceState } from '../net/index.ts';
import type { ShardHost } from '../shard/index.ts';
import { isGeodeError } from '../util/errors.ts';
import { clusterStatus, replicationLag, REPLICATION_LAG_COLUMNS, STATUS_COLUMNS } from './procedures.ts';
import { followers, formed } from './testing.ts';

describe('db.cluster procedures over shard hosts', () => {
  it('CALL db.cluster.status() on any host lists the three voters, one leader, the same term and leader', async () => {
    const c = await formed(31);
    const leader = c.leader()!;
    for (const h of c.hosts.values()) {
      const r = await c.value(h.query('CALL db.cluster.status()'));
      expect(r.columns).toEqual(STATUS_COLUMNS.map((col) => col.name));
      expect(r.rows.map((row) => row['id']).sort()).toEqual(['p1', 'p2', 'p3']);
      expect(r.rows.filter((row) => row['self'] === true).map((row) => row['id'])).toEqual([h.self]);
      expect(new Set(r.rows.map((row) => row['leader']))).toEqual(new Set([leader.self]));
      expect(new Set(r.rows.map((row) => row['role']))).toEqual(new Set(['voter']));
      expect(r.rows.filter((row) => row['state'] === 'leader').map((row) => row['id'])).toEqual([leader.self]);
      const terms = new Set(r.rows.map((row) => row['term']));
      expect(terms.size).toBe(1);
      expect([...terms][0]).toBeGreaterThan(0n);
    }
    // The leader hears from every member: all healthy, recent contact, known to it.
    const onLeader = clusterStatus(leader);
    expect(onLeader.map((r) => r.health)).toEqual(['healthy', 'healthy', 'healthy']);
    for (const r of onLeader) expect(r.last_contact_ms).toBeLessThan(500);
    // A follower cannot see the other follower's health.
    const f = followers(c)[0]!;
    const other = followers(c).find((h) => h !== f)!.self;
    expect(clusterStatus(f).find((r) => r.id === other)!.health).toBe('unknown');
  });

  it('YIELD picks status columns, and a crashed voter shows as not healthy on the leader', async () => {
    const c = await formed(32);
    const leader = c.leader()!;
    const victim = followers(c)[0]!.self;
    c.crash(victim);
    await c.run(2_000);
    const r = await c.value(leader.query('CALL db.cluster.status() YIELD id, health WHERE id = $id RETURN health', { id: victim }));
    expect(r.rows.length).toBe(1);
    expect(['suspect', 'failed']).toContain(r.rows[0]!['health']);
  });

  it('kind and address come from the network view (presence, live connections)', () => {
    const host = {
      self: 'a' as PeerId,
      status: () => [
        { peer: 'a' as PeerId, self: true, role: 'voter' as const, state: 'leader' as const, health: 'healthy' as const, term: 3, leader: 'a' as PeerId, lastContactMs: 0 },
        { peer: 'b' as PeerId, self: false, role: 'voter' as const, state: 'follower' as const, health: 'healthy' as const, term: 3, leader: 'a' as PeerId, lastContactMs: 12.4 },
        { peer: 'c' as PeerId, self: false, role: 'none' as const, state: 'unknown' as const, health: 'unknown' as const, term: 3, leader: 'a' as PeerId, lastContactMs: undefined },
      ],
    } as unknown as ShardHost;
    const presence: PresenceState[] = [
      { id: 'a' as PeerId, kind: 'node', visible: true, roles: [], shards: [] },
      { id: 'b' as PeerId, kind: 'tab', visible: true, roles: [], shards: [] },
    ];
    const rows = clusterStatus(host, { kind: 'node', presence: () => presence, addrs: () => ['/ip4/127.0.0.1/tcp/1'], peerAddr: (p) => (p === 'b' ? '/webrtc/p2p/b' : undefined) });
    expect(rows.map((r) => [r.id, r.kind, r.address, r.last_contact_ms])).toEqual([
      ['a', 'node', '/ip4/127.0.0.1/tcp/1', 0],
      ['b', 'tab', '/webrtc/p2p/b', 12],
      ['c', null, null, null],
    ]);
  });

  it('replicationLag: the leader answers one row per replica; a follower answers its own row, marked self', async () => {
    const c = await formed(33);
    for (let i = 0; i < 5; i++) await c.value(c.host('p1').query('CREATE (:N {k: $k})', { k: BigInt(i) }));
    await c.run(300);
    const leader = c.leader()!;
    const r = await c.value(leader.query('CALL db.cluster.replicationLag()'));
    expect(r.columns).toEqual(REPLICATION_LAG_COLUMNS.map((col) => col.name));
    expect(r.rows.map((row) => row['peer']).sort()).toEqual(['p1', 'p2', 'p3']);
    const last = BigInt(leader.raftStatus().lastIndex);
    for (const row of r.rows) {
      expect(row['source']).toBe('leader');
      expect(row['match_index']).toBe(last);
      expect(row['entries_behind']).toBe(0n);
      expect(row['ms_behind']).toBe(0n);
    }
    const f = followers(c)[0]!;
    const own = replicationLag(f);
    expect(own.length).toBe(1);
    expect(own[0]!.peer).toBe(f.self);
    expect(own[0]!.source).toBe('self');
    expect(own[0]!.role).toBe('voter');
    expect(own[0]!.match_index).toBe(f.raftStatus().lastIndex);
    expect(own[0]!.ms_behind).not.toBeNull();
  });

  it('a replica cut off from the leader falls behind in entries and ms on the leader', async () => {
    const c = await formed(34);
    const leader = c.leader()!;
    const lagging = followers(c)[0]!.self;
    c.net.isolate(lagging);
    for (let i = 0; i < 5; i++) await c.value(leader.query('CREATE (:N {k: $k})', { k: BigInt(i) }));
    await c.run(500);
    const row = replicationLag(leader).find((r) => r.peer === lagging)!;
    expect(row.entries_behind).toBeGreaterThanOrEqual(5);
    expect(row.ms_behind).toBeGreaterThanOrEqual(400);
  });

  it('cut off from any leader, a linearizable status call fails but status still answers at readQuorum 1 (the local view)', async () => {
    const c = await formed(35);
    const f = followers(c)[0]!;
    c.net.isolate(f.self);
    await c.run(3_000);
    const linearizable = await c.settle(f.query('CALL db.cluster.status()', {}, { timeoutMs: 500 }));
    expect(linearizable.ok).toBe(false);
    expect(isGeodeError(linearizable.ok ? undefined : linearizable.error)).toBe(true);
    const r = await c.value(f.query('CALL db.cluster.status() YIELD id, self RETURN count(*) AS n', {}, { readQuorum: 1 }));
    expect(r.rows).toEqual([{ n: 3n }]);
  });
});

