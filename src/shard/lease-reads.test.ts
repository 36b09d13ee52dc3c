import { describe, expect, it } from 'vitest';
import { GeodeError } from '../util/errors.ts';
import { validateShardConfig } from './config.ts';
import { SimCluster } from './sim-cluster.ts';

const fast = { raft: { tick_ms: 10 }, request_timeout_ms: 3_000 };

describe('leader lease reads', () => {
  it('a leader holding a lease answers reads without a ReadIndex round; with lease_reads off each read takes one', async () => {
    for (const enabled of [true, false]) {
      const c = new SimCluster({ seed: 21, config: { ...fast, lease_reads: { enabled } } });
      await c.form(3);
      const leader = c.leader()!;
      await c.value(leader.query('CREATE (:N {k: 1})'));
      await c.value(leader.query('MATCH (n:N) RETURN n.k AS k')); // a round: the lease starts
      const rounds = leader.readIndexRounds;
      const leased = leader.leaseReads;
      for (let i = 0; i < 20; i++) {
        const r = await c.value(leader.query('MATCH (n:N) RETURN n.k AS k'));
        expect(r.rows).toEqual([{ k: 1n }]);
        const g = await c.value(leader.readGraph(0, (graph) => graph.labelCount('N')));
        expect(g).toBe(1);
      }
      if (enabled) {
        expect(leader.leaseReads - leased).toBeGreaterThanOrEqual(38);
        expect(leader.readIndexRounds - rounds).toBeLessThanOrEqual(2); // renewals in the background
      } else {
        expect(leader.leaseReads).toBe(0);
        expect(leader.readIndexRounds - rounds).toBe(40);
      }
    }
  });

  it('a cut-off leader answers from its lease only until before another leader can be elected, never a stale read', async () => {
    const c = new SimCluster({ seed: 22, config: fast });
    await c.form(3);
    const old = c.leader()!;
    await c.value(old.query('CREATE (:N {k: 0})'));
    await c.value(old.query('MATCH (n:N) RETURN count(n) AS n')); // lease held
    c.net.isolate(old.self);
    const cutAt = c.scheduler.now;
    let lastOldAnswer = -1;
    let staleAfterWrite = false;
    let newWriteAt: number | undefined;
    const others = [...c.hosts.values()].filter((h) => h !== old);
    let newLeaderAt: number | undefined;
    // Read on the old leader every 5 ms while the others elect a leader and write.
    const reader = (async () => {
      for (let i = 0; i < 80; i++) {
        const asked = c.scheduler.now;
        const r = await old.query('MATCH (n:N) RETURN count(n) AS n', undefined, { timeoutMs: 50 }).catch(() => undefined);
        if (r !== undefined) {
          lastOldAnswer = c.scheduler.now;
          if (newWriteAt !== undefined && asked > newWriteAt && r.rows[0]!['n'] === 1n) staleAfterWrite = true;
        }
        await new Promise<void>((ok) => c.scheduler.after(5, ok));
      }
    })();
    expect(await c.until(() => others.some((h) => h.isLeader()), 3_000)).toBe(true);
    newLeaderAt = c.scheduler.now;
    await c.value(others.find((h) => h.isLeader())!.query('CREATE (:N {k: 1})'));
    newWriteAt = c.scheduler.now;
    await c.value(reader, 10_000);
    expect(lastOldAnswer).toBeGreaterThanOrEqual(cutAt); // it did answer from its lease after the cut
    expect(lastOldAnswer).toBeLessThan(newLeaderAt);
    expect(lastOldAnswer - cutAt).toBeLessThan(old.config.electionMinMs);
    expect(staleAfterWrite).toBe(false);
  });
});

describe('lease_reads configuration', () => {
  it('defaults to a lease of the minimum election timeout less a tick and the drift bound; off without check_quorum', () => {
    const d = validateShardConfig({});
    expect(d.leaseMs).toBe(150 - 10 - 20);
    expect(validateShardConfig({ lease_reads: { enabled: false } }).leaseMs).toBe(0);
    expect(validateShardConfig({ raft: { check_quorum: false } }).leaseMs).toBe(0);
    expect(validateShardConfig({ 'lease_reads.clock_drift_ms': 50 }).leaseMs).toBe(90);
  });

  it('refuses a drift bound as long as the lease, and a non-boolean flag, naming the key', () => {
    const refused = (config: Record<string, unknown>): string | undefined => {
      try {
        validateShardConfig(config);
        return undefined;
      } catch (err) {
        return err instanceof GeodeError ? err.detail : 'not a GeodeError';
      }
    };
    expect(refused({ lease_reads: { clock_drift_ms: 140 } })).toBe('lease_reads.clock_drift_ms');
    expect(refused({ lease_reads: { enabled: 'yes' } })).toBe('lease_reads.enabled');
    expect(refused({ lease_reads: { drift: 1 } })).toBe('lease_reads.drift');
  });
});
