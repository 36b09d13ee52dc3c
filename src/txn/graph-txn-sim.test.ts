/**
 * The graph-transaction simulation (graph-txn-sim.ts) on a few seeds: GQL transactions through
 * the router on a sharded clustered database under crashes, partitions and coordinator kills pass
 * every check; write skew happens under snapshot and not under serializable; planted bugs are
 * caught. The full seed count is `npm run sim:graph-txn -- --seeds 2000`.
 */
import { describe, expect, it } from 'vitest';
import { GeodeError } from '../util/errors.ts';
import { outcomeOf, runGraphTxnSim, runWriteSkew, type GraphTxnSimOptions } from './graph-txn-sim.ts';

/** The first of `seeds` whose run with `plant` reports a violation, or undefined. */
async function caughtOn(plant: NonNullable<GraphTxnSimOptions['plant']>, seeds: readonly number[]): Promise<{ seed: number; violations: readonly string[] } | undefined> {
  for (const seed of seeds) {
    const r = await runGraphTxnSim(seed, { plant });
    if (r.violations.length > 0) return { seed, violations: r.violations };
  }
  return undefined;
}

describe('graph transactions in the sharded simulation', () => {
  it('keeps every level\'s guarantees, the bank total and quiescence under crashes, partitions and coordinator kills (seeds 2-4)', async () => {
    // Seeds 2 and 3 run the hot-key clients; seed 3 fails on the old ShardHost.graphIndex (raft's
    // applied index): committed appends lost.
    for (const seed of [2, 3, 4]) {
      const r = await runGraphTxnSim(seed);
      expect(r.violations).toEqual([]);
      expect(r.isolation).toBe(seed % 2 === 1 ? 'serializable' : 'snapshot');
      expect(r.crashes).toBeGreaterThan(0);
      expect(r.committed).toBeGreaterThan(5);
      expect(r.crossShard).toBeGreaterThan(0);
      expect(r.hotSeeds).toBe(seed === 4 ? 0 : 1);
    }
  }, 60_000);

  it('allows write skew under snapshot isolation and refuses it under serializable, across two shards', async () => {
    let skewed = 0;
    for (const seed of [1, 2, 3]) {
      const snapshot = await runWriteSkew(seed, 'snapshot');
      if (snapshot.outcomes.every((o) => o === 'ok')) {
        skewed++;
        expect(snapshot.sum).toBe(-100n);
      }
      const serializable = await runWriteSkew(seed, 'serializable');
      expect(serializable.outcomes.filter((o) => o === 'ok')).toHaveLength(1);
      expect(serializable.sum).toBe(50n);
    }
    expect(skewed).toBeGreaterThan(0);
  }, 60_000);

  it('catches a planted commit that skips the index validation (lost updates)', async () => {
    const caught = await caughtOn('skip-validation', [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(caught?.violations.length ?? 0).toBeGreaterThan(0);
  }, 60_000);

  it('catches a planted cross-shard commit that applies only one shard\'s part (half-applied transactions)', async () => {
    const caught = await caughtOn('apply-half', [1, 2, 3, 4, 5, 6]);
    expect(caught?.violations.join('\n')).toMatch(/half applied|accounts hold|audit/);
  }, 60_000);

  it('catches a planted read at a past timestamp that leaves out the cross-shard transactions committed by then (torn audits)', async () => {
    const caught = await caughtOn('as-of-skip-seen', [52, 54, 56, 60]);
    expect(caught?.violations.join('\n')).toMatch(/in the past .* committed having seen a total/);
  }, 60_000);

  it('counts a transaction as failed only when its error says nothing happened', () => {
    const e = (code: GeodeError['code'], detail?: string) => new GeodeError(code, 'x', detail === undefined ? {} : { detail });
    expect([e('PROPOSAL_DROPPED', 'WriteConflict'), e('PROPOSAL_DROPPED', 'Locked'), e('PROPOSAL_DROPPED', 'TxnAborted')].map(outcomeOf)).toEqual(['fail', 'fail', 'fail']);
    expect([e('PROPOSAL_DROPPED', 'OutcomeUnknown'), e('IO', 'TxnOutcomeUnknown'), e('CLOSED'), e('LIMIT_EXCEEDED', 'RequestTimeout')].map(outcomeOf)).toEqual(['info', 'info', 'info', 'info']);
  });
});
