import { describe, expect, it } from 'vitest';
import { registerClusterMetrics } from './cluster-metrics.ts';
import { MetricsRegistry } from './metrics.ts';
import { followers, formed, sample } from './testing.ts';

describe('cluster metrics over shard hosts', () => {
  it('expose node count, Raft indexes and per-replica lag on the leader; followers expose no lag samples', async () => {
    const c = await formed(36);
    await c.value(c.host('p2').query('CREATE (:N)'));
    await c.run(300);
    const leader = c.leader()!;
    const texts = new Map<string, string>();
    for (const h of c.hosts.values()) {
      const reg = new MetricsRegistry();
      registerClusterMetrics(reg, { host: h });
      texts.set(h.self, reg.render());
    }
    const lt = texts.get(leader.self)!;
    expect(sample(lt, 'cluster_nodes_total')).toBe(3);
    expect(sample(lt, 'cluster_voters{group="0"}')).toBe(3);
    expect(sample(lt, 'cluster_is_leader{group="0"}')).toBe(1);
    expect(sample(lt, 'cluster_leader_elections')).toBe(1);
    expect(sample(lt, 'raft_term{group="0"}')).toBe(leader.raftStatus().hardState.term);
    expect(sample(lt, 'raft_commit_index{group="0"}')).toBe(leader.raftStatus().hardState.commit);
    expect(sample(lt, 'raft_applied_index{group="0"}')).toBe(leader.raftStatus().applied);
    for (const p of ['p1', 'p2', 'p3']) expect(sample(lt, `replication_lag_ms{group="0",peer="${p}"}`)).toBe(0);
    expect(sample(lt, 'net_frames_rejected_total')).toBe(0);
    for (const f of followers(c)) {
      const ft = texts.get(f.self)!;
      expect(sample(ft, 'cluster_is_leader{group="0"}')).toBe(0);
      expect(ft).not.toMatch(/^replication_lag_ms\{/m);
      expect(ft).toContain('# TYPE replication_lag_ms gauge');
    }
  });

  it('cluster_leader_elections counts a new win after the leader crashes', async () => {
    const c = await formed(37);
    c.crash(c.leader()!.self);
    expect(await c.until(() => c.leader() !== undefined, 3_000)).toBe(true);
    const reg = new MetricsRegistry();
    registerClusterMetrics(reg, { host: c.leader()! });
    expect(sample(reg.render(), 'cluster_leader_elections')).toBe(1);
    expect(sample(reg.render(), 'raft_term{group="0"}')).toBeGreaterThan(1);
  });
});

