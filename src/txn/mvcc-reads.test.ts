/**
 * MVCC reads of graph transactions on the simulated sharded cluster (graph-txn-sim.ts, no faults):
 * a transaction reads each group at the log index it first read it at, whatever others write
 * meanwhile; commits are checked per node under snapshot isolation (first committer wins) and per
 * group under serializable; a snapshot older than a group's history fails `SnapshotTooOld`; the
 * history a transaction pinned is collected once it ends. Accounts 1 and 2 live on group 1.
 */
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { SimTxnCluster, type SimTxnResult } from './graph-txn-sim.ts';
import type { TxnIsolation } from './two-phase.ts';

const READ = 'MATCH (a:Account {id: $id}) RETURN a.balance AS b';
const MOVE = 'MATCH (a:Account {id: $id}) SET a.balance = a.balance + $d';

async function withCluster<T>(config: Record<string, unknown>, body: (sim: SimTxnCluster) => Promise<T>): Promise<T> {
  const sim = new SimTxnCluster(11, undefined, config);
  try {
    if (!(await sim.form())) throw new Error('the groups did not form');
    return await body(sim);
  } finally {
    await sim.c.run(500); // stores finish their syncs (virtual time) before the hosts close
    await sim.close();
  }
}

/** One committed write of `d` to account `id` through `peer`, outside the transaction under test. */
async function move(sim: SimTxnCluster, peer: string, id: number, d: number): Promise<void> {
  const r = await sim.c.value(sim.transaction(peer, { isolation: 'snapshot', readOnly: false }, async (run) => void (await run(MOVE, { id: BigInt(id), d: BigInt(d) }))));
  if (r.outcome !== 'ok') throw new Error(`a write of account ${id} through ${peer} did not commit: ${String(r.error)}`);
}

const balance = async (sim: SimTxnCluster, run: (text: string, params: Record<string, unknown>) => Promise<readonly Record<string, unknown>[]>, id: number): Promise<bigint> =>
  (await sim.c.value(run(READ, { id: BigInt(id) })))[0]!['b'] as bigint;

const detail = (r: SimTxnResult<void>): string | undefined => (isGeodeError(r.error) ? r.error.detail : undefined);

describe('MVCC reads of graph transactions', () => {
  for (const isolation of ['snapshot', 'serializable'] as const) {
    it(`a READ ONLY transaction (${isolation}) keeps reading one snapshot while others write its group, and commits`, async () => {
      await withCluster({}, async (sim) => {
        const ro = sim.begin('p3', isolation, true);
        const first = await balance(sim, ro.run, 1);
        for (let i = 0; i < 6; i++) {
          await move(sim, 'p1', 1, 5);
          await move(sim, 'p2', 2, -5);
        }
        // Same answers: account 1 as first read, account 2 (first read only now) as it stood then.
        expect(await balance(sim, ro.run, 1)).toBe(first);
        expect(await balance(sim, ro.run, 2)).toBe(100n);
        expect((await sim.c.value(ro.commit())).outcome).toBe('ok');
        const now = sim.begin('p3', isolation, true);
        expect([await balance(sim, now.run, 1), await balance(sim, now.run, 2)]).toEqual([first + 30n, 70n]);
        await sim.c.value(now.commit());
      });
    }, 60_000);
  }

  const disjoint = async (isolation: TxnIsolation): Promise<SimTxnResult<void>[]> =>
    withCluster({}, async (sim) => {
      const t1 = sim.begin('p1', isolation);
      const t2 = sim.begin('p2', isolation);
      await balance(sim, t1.run, 1);
      await balance(sim, t2.run, 2);
      await sim.c.value(t1.run(MOVE, { id: 1n, d: 1n }));
      await sim.c.value(t2.run(MOVE, { id: 2n, d: 1n }));
      return [await sim.c.value(t1.commit()), await sim.c.value(t2.commit())];
    });

  it('two transactions writing different nodes of one group from one snapshot both commit under snapshot isolation', async () => {
    expect((await disjoint('snapshot')).map((r) => r.outcome)).toEqual(['ok', 'ok']);
  }, 60_000);

  it('under serializable (reads not tracked per node) the second of them fails WriteConflict: group granularity', async () => {
    const [r1, r2] = await disjoint('serializable');
    expect(r1!.outcome).toBe('ok');
    expect([r2!.outcome, detail(r2!)]).toEqual(['fail', 'WriteConflict']);
  }, 60_000);

  it('of two transactions writing the same node from one snapshot, the first committer wins and the second fails WriteConflict', async () => {
    await withCluster({}, async (sim) => {
      const t1 = sim.begin('p1', 'snapshot');
      const t2 = sim.begin('p2', 'snapshot');
      expect(await balance(sim, t1.run, 1)).toBe(100n);
      expect(await balance(sim, t2.run, 1)).toBe(100n);
      await sim.c.value(t1.run(MOVE, { id: 1n, d: 7n }));
      await sim.c.value(t2.run(MOVE, { id: 1n, d: 9n }));
      expect((await sim.c.value(t1.commit())).outcome).toBe('ok');
      const r2 = await sim.c.value(t2.commit());
      expect([r2.outcome, detail(r2)]).toEqual(['fail', 'WriteConflict']);
      const after = sim.begin('p3', 'snapshot', true);
      expect(await balance(sim, after.run, 1)).toBe(107n);
    });
  }, 60_000);

  it('a read older than the history kept (transactions.mvcc_history_entries) fails SnapshotTooOld, retryable', async () => {
    await withCluster({ 'transactions.mvcc_history_entries': 4 }, async (sim) => {
      const ro = sim.begin('p3', 'snapshot', true, 60_000);
      await balance(sim, ro.run, 1);
      for (let i = 0; i < 8; i++) await move(sim, 'p1', 2, 1);
      const err = await sim.c.value(ro.run(READ, { id: 1n }).then(() => undefined, (e: unknown) => e));
      expect(err).toMatchObject({ code: 'PROPOSAL_DROPPED', detail: 'SnapshotTooOld' });
      expect(String((err as Error).message)).toMatch(/mvcc_history_entries/);
    });
  }, 60_000);

  it('the history a transaction pinned is collected when it ends: memory does not grow with the writes', async () => {
    // No time-based retention: what is kept is what pins hold, and the newest 256 entries.
    await withCluster({ 'transactions.mvcc_retention_ms': 0 }, async (sim) => {
      const host = sim.members.get('p3')!.host;
      const ro = sim.begin('p3', 'snapshot', true, 60_000);
      await balance(sim, ro.run, 1);
      for (let i = 0; i < 300; i++) await move(sim, 'p1', 2, 1);
      const pinned = host.mvccHistory(1);
      expect(pinned.pins).toBe(1);
      expect(pinned.entries).toBeGreaterThanOrEqual(290);
      expect(await balance(sim, ro.run, 2)).toBe(100n);
      expect((await sim.c.value(ro.commit())).outcome).toBe('ok');
      const released = host.mvccHistory(1);
      expect(released.pins).toBe(0);
      expect(released.entries).toBeLessThanOrEqual(256);
      for (let i = 0; i < 60; i++) await move(sim, 'p1', 2, 1);
      expect(host.mvccHistory(1).entries).toBeLessThanOrEqual(256);
    });
  }, 60_000);
});
