/**
 * Transactions of an embedded database (`db.transaction`, sessions with START TRANSACTION /
 * COMMIT / ROLLBACK): all of a transaction's writes appear at once or not at all, across a
 * reopen too; nothing outside sees them before the commit; READ ONLY refuses writes; the time
 * limit rolls back; concurrent read-modify-write transactions lose no update.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openGeode, type Geode } from '../node.ts';
import { storeOf } from './database.ts';
import { GeodeError, isGeodeError, type GeodeErrorCode } from '../util/errors.ts';
import { runInTransaction, type GeodeTransaction, type TransactionState } from './transaction.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'geode-tx-'));
  dirs.push(dir);
  return dir;
};

const count = async (db: Geode, label = 'N'): Promise<bigint> => (await db.query(`MATCH (n:${label}) RETURN count(n) AS c`)).rows[0]!['c'] as bigint;

const rejectsWith = async (p: Promise<unknown>, code: GeodeErrorCode, detail?: string): Promise<void> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isGeodeError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  if (detail !== undefined) expect((err as { detail?: string }).detail).toBe(detail);
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const storage of ['memory', 'file'] as const) {
  describe(`transactions on an embedded database (${storage})`, () => {
    const open = (dir = tempDir()): Promise<Geode> => openGeode(storage === 'memory' ? { storage: 'memory' } : { storage: `file:${dir}` });

    it('commits every write at once: a read outside sees none of them before, a write outside waits for the commit', async () => {
      const db = await open();
      await db.query('CREATE (:N {i: 0})');
      let outsideWrite: Promise<unknown> | undefined;
      let outsideWriteDone = false;
      const value = await db.transaction(async (tx) => {
        await tx.query('CREATE (:N {i: 1})');
        await tx.query('MATCH (n:N {i: 0}) SET n.i = 10');
        await tx.query('CREATE (:N {i: 2})');
        // The transaction sees its own writes; a read outside runs at once on what is committed.
        expect((await tx.query('MATCH (n:N) RETURN n.i AS i ORDER BY i')).rows).toEqual([{ i: 1n }, { i: 2n }, { i: 10n }]);
        expect((await db.query('MATCH (n:N) RETURN n.i AS i ORDER BY i')).rows).toEqual([{ i: 0n }]);
        outsideWrite = db.query('CREATE (:N {i: 3})').then(() => (outsideWriteDone = true));
        await sleep(20);
        expect(outsideWriteDone).toBe(false);
        // Reading around the transaction left its writes in place.
        expect((await tx.query('MATCH (n:N) RETURN count(n) AS c')).rows[0]!['c']).toBe(3n);
        return 'done';
      });
      expect(value).toBe('done');
      await outsideWrite;
      expect((await db.query('MATCH (n:N) RETURN n.i AS i ORDER BY i')).rows).toEqual([{ i: 1n }, { i: 2n }, { i: 3n }, { i: 10n }]);
      // Ids stayed unique through the reads around the transaction.
      expect((await db.query('MATCH (n:N) RETURN count(DISTINCT id(n)) AS c')).rows[0]!['c']).toBe(4n);
      await db.close();
    });

    it('shows reads outside only committed states while transactions create, link and delete, and keeps the store consistent', async () => {
      const db = await open();
      const seen: bigint[] = [];
      let stop = false;
      const reader = (async () => {
        while (!stop) {
          seen.push((await db.query('MATCH (a:A) RETURN count(a) AS c')).rows[0]!['c'] as bigint);
          await sleep(0);
        }
      })();
      for (let t = 0; t < 20; t++) {
        await db
          .transaction(async (tx) => {
            // Each transaction adds three linked nodes and removes one older trio: a committed count is a multiple of 3.
            await tx.query('CREATE (:A {t: $t})', { t: BigInt(t) });
            await sleep(1); // a read now must not see this one node alone
            await tx.query('MATCH (a:A {t: $t}) CREATE (a)-[:R]->(:A {t: $t})-[:R]->(:A {t: $t})', { t: BigInt(t) });
            await sleep(1);
            if (t % 4 === 3) await tx.query('MATCH (a:A {t: $t}) DETACH DELETE a', { t: BigInt(t - 2) });
            await sleep(1);
            if (t % 5 === 4) throw new Error('rolled back');
          })
          .catch(() => {});
      }
      stop = true;
      await reader;
      expect(seen.length).toBeGreaterThan(10);
      for (const c of seen) expect(c % 3n).toBe(0n);
      expect(storeOf(db).checkConsistency()).toEqual([]);
      await db.close();
    });

    it('makes reads outside wait for a transaction that changed the schema', async () => {
      const db = await open();
      let readDone = false;
      await db.transaction(async (tx) => {
        await tx.query('CREATE INDEX FOR (n:N) ON (n.i)');
        void db.query('MATCH (n:N) RETURN count(n) AS c').then(() => (readDone = true));
        await sleep(20);
        expect(readDone).toBe(false);
      });
      await sleep(5);
      expect(readDone).toBe(true);
      await db.close();
    });

    it('rolls back every write when the function throws, and rethrows its error', async () => {
      const db = await open();
      await db.query('CREATE (:N {i: 0})');
      const boom = new Error('boom');
      await expect(
        db.transaction(async (tx) => {
          await tx.query('CREATE (:N {i: 1})');
          await tx.query('MATCH (n:N {i: 0}) SET n.i = 10');
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect((await db.query('MATCH (n:N) RETURN n.i AS i')).rows).toEqual([{ i: 0n }]);
      await db.close();
    });

    it('keeps the transaction open after a failed statement, which itself changes nothing', async () => {
      const db = await open();
      await db.query('CREATE CONSTRAINT FOR (n:N) REQUIRE n.i IS UNIQUE');
      await db.transaction(async (tx) => {
        await tx.query('CREATE (:N {i: 1})');
        await rejectsWith(tx.query('UNWIND [2, 1] AS i CREATE (:N {i: i})'), 'CONSTRAINT_VIOLATION');
        await tx.query('CREATE (:N {i: 3})');
      });
      expect((await db.query('MATCH (n:N) RETURN n.i AS i ORDER BY i')).rows).toEqual([{ i: 1n }, { i: 3n }]);
      await db.close();
    });

    it('refuses writes in a READ ONLY transaction, before they run', async () => {
      const db = await open();
      await db.transaction(
        async (tx) => {
          await rejectsWith(tx.query('CREATE (:N)'), 'INPUT_INVALID', 'ReadOnlyTransaction');
          await rejectsWith(tx.query('CREATE INDEX FOR (n:N) ON (n.i)'), 'INPUT_INVALID', 'ReadOnlyTransaction');
          expect((await tx.query('MATCH (n:N) RETURN count(n) AS c')).rows[0]!['c']).toBe(0n);
        },
        { readOnly: true },
      );
      expect(await count(db)).toBe(0n);
      await db.close();
    });

    it('rolls back a transaction past its time limit and lets the database go on', async () => {
      const db = await open();
      await rejectsWith(
        db.transaction(
          async (tx) => {
            await tx.query('CREATE (:N)');
            await sleep(120);
            await tx.query('CREATE (:N)');
          },
          { timeoutMs: 40 },
        ),
        'LIMIT_EXCEEDED',
        'TransactionTimeout',
      );
      expect(await count(db)).toBe(0n);
      // A transaction whose function returns after the limit fails its commit the same way.
      await rejectsWith(
        db.transaction(
          async (tx) => {
            await tx.query('CREATE (:N)');
            await sleep(120);
          },
          { timeoutMs: 40 },
        ),
        'LIMIT_EXCEEDED',
        'TransactionTimeout',
      );
      expect(await count(db)).toBe(0n);
      await db.query('CREATE (:N)');
      expect(await count(db)).toBe(1n);
      await db.close();
    });

    it('loses no update when concurrent transactions read, wait and write the same counter', async () => {
      const db = await open();
      await db.query('CREATE (:Counter {v: 0})');
      const n = 12;
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          db.transaction(
            async (tx) => {
              const v = (await tx.query('MATCH (c:Counter) RETURN c.v AS v')).rows[0]!['v'] as bigint;
              await sleep(i % 3);
              await tx.query('MATCH (c:Counter) SET c.v = $v', { v: v + 1n });
            },
            { isolation: i % 2 === 0 ? 'snapshot' : 'serializable' },
          ),
        ),
      );
      expect((await db.query('MATCH (c:Counter) RETURN c.v AS v')).rows).toEqual([{ v: BigInt(n) }]);
      await db.close();
    });

    it('runs START TRANSACTION / BEGIN, COMMIT and ROLLBACK in a session', async () => {
      const db = await open();
      const s = db.session();
      await s.query('START TRANSACTION');
      expect(s.inTransaction).toBe(true);
      await s.query('CREATE (:N {i: 1})');
      await s.query('ROLLBACK');
      expect(s.inTransaction).toBe(false);
      expect(await count(db)).toBe(0n);
      await s.query('BEGIN ISOLATION LEVEL SERIALIZABLE;');
      await s.query('CREATE (:N {i: 2})');
      expect((await s.query('MATCH (n:N) RETURN n.i AS i')).rows).toEqual([{ i: 2n }]);
      await s.query('COMMIT;');
      expect(await count(db)).toBe(1n);
      // Outside a transaction, the session runs statements as the database does.
      await s.query('CREATE (:N {i: 3})');
      expect(await count(db)).toBe(2n);
      await s.query('START TRANSACTION READ ONLY');
      await rejectsWith(s.query('CREATE (:N)'), 'INPUT_INVALID', 'ReadOnlyTransaction');
      await rejectsWith(s.query('START TRANSACTION'), 'INPUT_INVALID', 'TransactionOpen');
      await s.query('COMMIT');
      await rejectsWith(s.query('COMMIT'), 'INPUT_INVALID', 'NoTransaction');
      await rejectsWith(s.query('ROLLBACK'), 'INPUT_INVALID', 'NoTransaction');
      // A session closed with a transaction open rolls it back.
      await s.query('BEGIN');
      await s.query('CREATE (:N {i: 4})');
      await s.close();
      expect(await count(db)).toBe(2n);
      await rejectsWith(s.query('RETURN 1'), 'CLOSED');
      await db.close();
    });

    it('refuses transaction control outside a session, and bad transaction options', async () => {
      const db = await open();
      await rejectsWith(db.query('COMMIT'), 'INPUT_INVALID', 'TransactionControl');
      await rejectsWith(db.query('START TRANSACTION'), 'INPUT_INVALID', 'TransactionControl');
      await rejectsWith(db.transaction(async (tx) => tx.query('COMMIT')), 'INPUT_INVALID', 'TransactionControl');
      await rejectsWith(db.transaction(async () => {}, { isolation: 'read committed' as never }), 'CONFIG_INVALID', 'isolation');
      await rejectsWith(db.transaction(async () => {}, { timeoutMs: -1 }), 'CONFIG_INVALID', 'timeoutMs');
      await rejectsWith(db.transaction(async () => {}, { retry: 3 } as never), 'CONFIG_INVALID', 'retry');
      await rejectsWith(db.transaction(async () => {}, { retries: -1 }), 'CONFIG_INVALID', 'retries');
      await rejectsWith(db.transaction(async () => {}, { backoffMs: 1.5 }), 'CONFIG_INVALID', 'backoffMs');
      // None of these left a transaction open.
      await db.query('CREATE (:N)');
      expect(await count(db)).toBe(1n);
      await db.close();
    });
  });
}

describe('transactions on durable storage', () => {
  it('reopens with every committed transaction and nothing of a rolled back or unfinished one', async () => {
    const dir = tempDir();
    const db = await openGeode({ storage: `file:${dir}` });
    await db.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) await tx.query('CREATE (:N {i: $i})', { i: BigInt(i) });
    });
    await db.transaction(async (tx) => {
      await tx.query('CREATE (:Gone)');
      throw new Error('no');
    }).catch(() => {});
    const s = db.session();
    await s.query('BEGIN');
    await s.query('CREATE (:Gone)');
    await db.close(); // with the session's transaction open: it is undone
    const again = await openGeode({ storage: `file:${dir}` });
    expect(await count(again)).toBe(5n);
    expect(await count(again, 'Gone')).toBe(0n);
    await again.close();
  });

  it('never lets a snapshot taken while a transaction is open hold its writes', async () => {
    const dir = tempDir();
    // A snapshot every 2 entries: one falls due while the transaction below is open.
    const db = await openGeode({ storage: `file:${dir}`, snapshotThreshold: 2 });
    const pending = [db.query('CREATE (:N)'), db.query('CREATE (:N)'), db.query('CREATE (:N)')];
    await db
      .transaction(async (tx) => {
        await tx.query('CREATE (:Gone)');
        await Promise.all(pending); // the earlier writes commit (and a snapshot falls due) meanwhile
        await sleep(20);
        throw new Error('rolled back');
      })
      .catch(() => {});
    await db.query('CREATE (:N)');
    await db.close();
    const again = await openGeode({ storage: `file:${dir}`, snapshotThreshold: 2 });
    expect(await count(again)).toBe(4n);
    expect(await count(again, 'Gone')).toBe(0n);
    await again.close();
  });

  it('refuses a bad transactionTimeoutMs when opening', async () => {
    await rejectsWith(openGeode({ transactionTimeoutMs: 0 }), 'CONFIG_INVALID', 'transactionTimeoutMs');
    await rejectsWith(openGeode({ transactionTimeoutMs: 'soon' as never }), 'CONFIG_INVALID', 'transactionTimeoutMs');
  });
});

describe('db.transaction retries conflicts', () => {
  /** A transaction whose commit fails with `err` the first `fails` times. */
  const flaky = (fails: number, err: unknown): { begin: () => Promise<GeodeTransaction>; begun: () => number } => {
    let begun = 0;
    return {
      begun: () => begun,
      begin: () => {
        const n = begun++;
        let state: TransactionState = 'open';
        return Promise.resolve({
          isolation: 'snapshot',
          readOnly: false,
          get state() {
            return state;
          },
          query: () => Promise.resolve({ columns: [], rows: [], plan: undefined, writes: 0 }),
          commit: () => {
            state = n < fails ? 'rolledBack' : 'committed';
            return n < fails ? Promise.reject(err) : Promise.resolve();
          },
          rollback: () => {
            state = 'rolledBack';
            return Promise.resolve();
          },
        });
      },
    };
  };
  const conflict = new GeodeError('PROPOSAL_DROPPED', 'write conflict', { detail: 'WriteConflict' });

  it('runs fn again in a new transaction after a conflict, up to `retries` times, then rethrows the conflict', async () => {
    const ok = flaky(2, conflict);
    let runs = 0;
    expect(await runInTransaction(ok.begin, () => ++runs, { retries: 2, backoffMs: 1 })).toBe(3);
    expect(ok.begun()).toBe(3);
    const gives = flaky(5, conflict);
    await expect(runInTransaction(gives.begin, () => undefined, { retries: 2, backoffMs: 1 })).rejects.toBe(conflict);
    expect(gives.begun()).toBe(3);
  });

  it('does not retry an error that is not a conflict (it may have happened, or fails again)', async () => {
    const unknown = new GeodeError('IO', 'outcome unknown', { detail: 'TxnOutcomeUnknown' });
    const t = flaky(1, unknown);
    await expect(runInTransaction(t.begin, () => undefined, { retries: 5, backoffMs: 1 })).rejects.toBe(unknown);
    expect(t.begun()).toBe(1);
  });
});

