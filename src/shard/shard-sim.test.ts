import { describe, expect, it } from 'vitest';
import { runShardSim } from './shard-sim.ts';

const seeds = Number(process.env['SHARD_SIM_SEEDS'] ?? 6);
const start = Number(process.env['SHARD_SIM_START'] ?? 1);

describe('seeded shard simulation (crashes, restarts, partitions; register workload in GQL)', () => {
  it(`${seeds} seeds: hosts converge, acknowledged writes survive, the history is linearizable`, async () => {
    const reports = [];
    for (let s = start; s < start + seeds; s++) {
      const r = await runShardSim(s);
      reports.push(r);
      // Replay one seed with SHARD_SIM_START=<seed> SHARD_SIM_SEEDS=1.
      expect(r.violations, `seed ${s}`).toEqual([]);
    }
    const total = reports.reduce((a, r) => a + r.operations, 0);
    console.log(JSON.stringify({ seeds: reports.length, operations: total, acknowledged_writes: reports.reduce((a, r) => a + r.acknowledgedWrites, 0), crashes: reports.reduce((a, r) => a + r.crashes, 0), partitions: reports.reduce((a, r) => a + r.partitions, 0), violations: 0 }));
    expect(total).toBeGreaterThan(seeds * 50);
    expect(reports.some((r) => r.crashes > 0)).toBe(true);
  }, 120_000);
});

describe('the shard simulation catches a planted bug', () => {
  it('stale local reads (read_quorum 1 checked as linearizable) are reported within 20 seeds', async () => {
    let found: string | undefined;
    for (let s = 1; s <= 20 && found === undefined; s++) {
      const r = await runShardSim(s, 4_000, { staleReads: true });
      found = r.violations.find((v) => v.includes('not linearizable'));
    }
    expect(found).toBeDefined();
  }, 120_000);
});
