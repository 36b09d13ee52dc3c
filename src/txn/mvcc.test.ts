import { describe, expect, it } from 'vitest';
import { Prng } from '../sim/prng.ts';
import { checkListAppend, type ListOp, type ListTxn } from '../sim/elle/list-append.ts';
import { isGeodeError } from '../util/errors.ts';
import { HybridClock } from './hlc.ts';
import { runTransaction, TransactionManager, type IsolationLevel } from './mvcc.ts';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A seeded interleaving: `clients` coroutines, each step of one chosen at random. */
async function interleave(seed: number, clients: number, body: (client: number, pause: () => Promise<void>, rnd: Prng) => Promise<void>): Promise<void> {
  const rnd = new Prng(seed);
  const waiting: (() => void)[] = [];
  const pause = (): Promise<void> => new Promise((r) => waiting.push(r));
  let done = 0;
  for (let c = 0; c < clients; c++) void body(c, pause, rnd.fork()).finally(() => done++);
  while (done < clients) {
    await turn();
    if (waiting.length > 0) waiting.splice(rnd.int(0, waiting.length - 1), 1)[0]!();
  }
}

/** A list-append workload over five keys; the history as the checker wants it. */
async function listAppendHistory(seed: number, isolation: IsolationLevel): Promise<ListTxn[]> {
  let time = 0;
  const tm = new TransactionManager<readonly number[]>(new HybridClock(() => time));
  const history: ListTxn[] = [];
  let nextValue = 1;
  let nextTxn = 1;
  await interleave(seed, 4, async (_c, pause, rnd) => {
    for (let i = 0; i < 15; i++) {
      time++;
      const tx = tm.begin(isolation);
      const ops: ListOp[] = [];
      for (let j = rnd.int(1, 4); j > 0; j--) {
        await pause();
        const key = `k${rnd.int(0, 4)}`;
        const list = tx.read(key) ?? [];
        if (rnd.chance(0.5)) {
          const v = nextValue++;
          tx.write(key, [...list, v]);
          ops.push({ f: 'append', key, value: v });
        } else ops.push({ f: 'read', key, value: list });
      }
      await pause();
      time++;
      try {
        tx.commit();
        history.push({ id: nextTxn++, status: 'ok', ops });
      } catch (err) {
        expect(isGeodeError(err, 'PROPOSAL_DROPPED')).toBe(true);
        history.push({ id: nextTxn++, status: 'fail', ops: ops.filter((o) => o.f === 'append') });
      }
    }
  });
  const final = tm.begin('snapshot', { readOnly: true });
  history.push({ id: nextTxn, status: 'ok', ops: [0, 1, 2, 3, 4].map((k) => ({ f: 'read', key: `k${k}`, value: final.read(`k${k}`) ?? [] })) });
  return history;
}

describe('MVCC transactions under seeded interleavings, checked like Elle', () => {
  it('snapshot isolation: never a dirty write, aborted or intermediate read, lost update or read skew; write skew does happen', async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const v = checkListAppend(await listAppendHistory(seed, 'snapshot'), 'snapshot-isolation');
      expect(v.anomalies, `seed ${seed}`).toEqual([]);
      for (const a of v.found) seen.add(a.type);
    }
    expect([...seen]).toEqual(['G2']);
  });

  it('serializable: no anomaly at all, write skew included', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const v = checkListAppend(await listAppendHistory(seed, 'serializable'), 'serializable');
      expect(v.found, `seed ${seed}`).toEqual([]);
    }
  });

  it('keeps a bank total constant under concurrent transfers with retries (snapshot isolation)', async () => {
    let time = 0;
    const tm = new TransactionManager<bigint>(new HybridClock(() => time++));
    const accounts = ['a', 'b', 'c', 'd'];
    const init = tm.begin();
    for (const a of accounts) init.write(a, 100n);
    init.commit();
    let committed = 0;
    await interleave(7, 5, async (_c, pause, rnd) => {
      for (let i = 0; i < 20; i++) {
        await runTransaction(
          tm,
          async (tx) => {
            const [from, to] = [rnd.pick(accounts), rnd.pick(accounts)];
            const amount = BigInt(rnd.int(1, 10));
            const f = tx.read(from)!;
            await pause();
            tx.write(from, f - amount);
            tx.write(to, (from === to ? f - amount : tx.read(to)!) + amount);
          },
          { retries: 50, sleep: () => pause() },
        );
        committed++;
      }
    });
    const check = tm.begin('snapshot', { readOnly: true });
    expect(accounts.reduce((s, a) => s + check.read(a)!, 0n)).toBe(400n);
    expect(committed).toBe(100);
    expect(tm.aborts.write).toBeGreaterThan(0);
  });

  it('reads a snapshot: later commits stay invisible to an open transaction, and collection keeps what it reads', () => {
    let time = 10;
    const tm = new TransactionManager<string>(new HybridClock(() => time++));
    const w = tm.begin();
    w.write('x', 'v1');
    w.commit();
    const reader = tm.begin();
    for (const v of ['v2', 'v3']) {
      const t = tm.begin();
      t.write('x', v);
      t.commit();
    }
    // The oldest open snapshot (`reader`'s) reads v1: nothing is older, nothing goes.
    expect(tm.collect()).toBe(0);
    expect(reader.read('x')).toBe('v1');
    expect(tm.store.versionCount).toBe(3);
    reader.abort();
    // No open transaction: only the newest version can still be read.
    expect(tm.collect()).toBe(2);
    expect(tm.store.versionCount).toBe(1);
    expect(tm.begin().read('x')).toBe('v3');
  });

  it('refuses writes in a READ ONLY transaction and use after commit', () => {
    const tm = new TransactionManager<number>(new HybridClock(() => 1));
    const ro = tm.begin('snapshot', { readOnly: true });
    expect(() => ro.write('x', 1)).toThrow(/READ ONLY/);
    const t = tm.begin();
    t.commit();
    expect(() => t.read('x')).toThrow(/committed/);
  });
});
