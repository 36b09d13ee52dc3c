import { describe, expect, it } from 'vitest';
import { openGeodeOnLogStore, storeOf, type Geode } from '../api/database.ts';
import { MemoryLogStore } from '../storage/memory.ts';
import { encodeCommands } from '../graph/index.ts';
import { isGeodeError } from '../util/errors.ts';

async function count(db: Geode, label = 'N'): Promise<bigint> {
  const { rows } = await db.query(`MATCH (n:${label}) RETURN count(n) AS c`);
  return rows[0]!['c'] as bigint;
}

function consistent(db: Geode): string[] {
  return storeOf(db).checkConsistency();
}

describe('the embedded database over a durable log (one-voter Raft group)', () => {
  it('holds every acknowledged write after a reopen, with indexes and adjacency consistent', async () => {
    const store = new MemoryLogStore();
    const db = await openGeodeOnLogStore(store);
    await db.query('CREATE INDEX n_k FOR (n:N) ON (n.k)');
    for (let i = 0; i < 20; i++) await db.query('CREATE (:N {k: $k})-[:R]->(:M {k: $k})', { k: BigInt(i) });
    await db.query('MATCH (n:N {k: 3}) SET n.x = true');
    await db.query('MATCH (n:N {k: 4}) DETACH DELETE n');
    await db.close();
    const again = await openGeodeOnLogStore(store);
    expect(await count(again)).toBe(19n);
    expect((await again.query('MATCH (n:N {k: 3}) RETURN n.x AS x')).rows).toEqual([{ x: true }]);
    expect((await again.query('MATCH (:N)-[r:R]->(:M) RETURN count(r) AS c')).rows[0]!['c']).toBe(19n);
    expect(consistent(again)).toEqual([]);
    // New ids continue after the recovered ones: no id is reused.
    await again.query('CREATE (:N {k: 100})');
    expect(await count(again)).toBe(20n);
    expect(consistent(again)).toEqual([]);
    await again.close();
  });

  it('a crash loses nothing acknowledged', async () => {
    const store = new MemoryLogStore();
    const db = await openGeodeOnLogStore(store);
    const acks = await Promise.all(Array.from({ length: 30 }, (_, i) => db.query('CREATE (:N {k: $k})', { k: BigInt(i) })));
    expect(acks.every((r) => r.writes === 1)).toBe(true);
    store.crash();
    const again = await openGeodeOnLogStore(store);
    expect(await count(again)).toBe(30n);
    expect(consistent(again)).toEqual([]);
    await again.close();
  });

  it('takes snapshots and compacts the log, while concurrent writes go on, and recovers from snapshot plus log', async () => {
    const store = new MemoryLogStore();
    const db = await openGeodeOnLogStore(store, { snapshotThreshold: 7 });
    for (let round = 0; round < 5; round++) {
      await Promise.all(Array.from({ length: 13 }, (_, i) => db.query('CREATE (:N {k: $k})', { k: BigInt(round * 100 + i) })));
    }
    const d = store.durable();
    expect(d.snapshotIndex).toBeGreaterThan(0);
    await db.close();
    const again = await openGeodeOnLogStore(store, { snapshotThreshold: 7 });
    expect(await count(again)).toBe(65n);
    expect((await again.query('MATCH (n:N) RETURN count(DISTINCT n.k) AS c')).rows[0]!['c']).toBe(65n);
    expect(consistent(again)).toEqual([]);
    await again.close();
  });

  it('a read waits until the writes it could see are durable', async () => {
    const store = new MemoryLogStore();
    const db = await openGeodeOnLogStore(store);
    const write = db.query('CREATE (:N)');
    const read = await db.query('MATCH (n:N) RETURN count(n) AS c');
    expect(read.rows[0]!['c']).toBe(1n);
    // The read saw the write, so the write is durable by the time the read answered.
    expect(store.durable().lastIndex).toBeGreaterThan(0);
    store.crash();
    const again = await openGeodeOnLogStore(store);
    expect(await count(again)).toBe(1n);
    await write.catch(() => {});
    await again.close();
  });

  it('when the device fails, the write is refused, the database stops, and a reopen has only what was durable', async () => {
    const store = new FailingStore();
    const db = await openGeodeOnLogStore(store);
    await db.query('CREATE (:N {k: 1})');
    store.failNext = true;
    await expect(db.query('CREATE (:N {k: 2})')).rejects.toSatisfy((e: unknown) => isGeodeError(e, 'IO'));
    await expect(db.query('MATCH (n) RETURN n')).rejects.toSatisfy((e: unknown) => isGeodeError(e, 'IO'));
    store.crash();
    const again = await openGeodeOnLogStore(store);
    expect((await again.query('MATCH (n:N) RETURN n.k AS k')).rows).toEqual([{ k: 1n }]);
    await again.close();
  });

  it('a log entry that does not decode is reported with its index, not skipped', async () => {
    const store = new MemoryLogStore();
    const db = await openGeodeOnLogStore(store);
    await db.query('CREATE (:N)');
    await db.close();
    // A bad entry after the good ones, as a buggy or malicious writer could leave.
    await store.open();
    const last = store.durable().lastIndex;
    store.stage({ entries: [{ index: (last + 1) as never, term: 99 as never, type: 'normal', data: new Uint8Array([9, 9, 9]) }] });
    await store.close();
    await expect(openGeodeOnLogStore(store)).rejects.toSatisfy(
      (e: unknown) => isGeodeError(e, 'INPUT_INVALID') && e.message.includes(`log entry ${last + 1}`),
    );
  });

  it('a command that does not apply during replay is reported with its index', async () => {
    const store = new MemoryLogStore();
    await store.open();
    await store.close();
    const db = await openGeodeOnLogStore(store);
    await db.close();
    await store.open();
    const last = store.durable().lastIndex;
    const data = encodeCommands([{ op: 'deleteNode', id: 12345 }]);
    store.stage({ entries: [{ index: (last + 1) as never, term: 99 as never, type: 'normal', data }] });
    await store.close();
    await expect(openGeodeOnLogStore(store)).rejects.toSatisfy(
      (e: unknown) => isGeodeError(e, 'INPUT_INVALID') && e.message.includes(`log entry ${last + 1} does not apply`),
    );
  });

  it('a statement too large for one log entry is refused and changes nothing', async () => {
    const store = new MemoryLogStore();
    const db = await openGeodeOnLogStore(store);
    const big = 'x'.repeat(50 * 1024 * 1024);
    await expect(db.query('CREATE (:N {s: $s})', { s: big })).rejects.toSatisfy((e: unknown) => isGeodeError(e, 'LIMIT_EXCEEDED'));
    expect(await count(db)).toBe(0n);
    expect(consistent(db)).toEqual([]);
    await db.close();
  });
});

/** A memory store whose next sync can be made to fail, as a full or broken disk does. */
class FailingStore extends MemoryLogStore {
  failNext = false;
  override sync(): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new (class extends Error {})('EIO: i/o error, fsync'));
    }
    return super.sync();
  }
}
