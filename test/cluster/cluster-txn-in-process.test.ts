/**
 * `db.transaction(fn)` and session transactions on clustered databases, in this process: a
 * sharded cluster (four peers, three shards of three replicas; the two accounts on two shards)
 * and an unsharded one (three peers, one group). The properties a user relies on: a bank transfer
 * between two accounts keeps the total under concurrent transfers through several members; a
 * read-only transaction sees one consistent snapshot (every audit sees the total); statements see
 * their own writes; ROLLBACK (or `fn` throwing) leaves nothing; of two transactions writing the
 * same account from the same snapshot one commits and the other fails with a conflict — and
 * `db.transaction` retries it; a transaction past its time limit fails and leaves nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Geode } from '../../src/node.ts';
import { TXN_NODE_ID } from '../../src/txn/index.ts';
import { startFourShardedPeers, startThreePeers, until, write, type FourShardedPeers, type ThreePeers } from './in-process-helpers.ts';

/** Balance of account `id` read through `db` (outside any transaction). */
async function balance(db: Geode, id: number): Promise<bigint> {
  const r = await db.query('MATCH (p:Person {id: $id}) RETURN p.balance AS b', { id: BigInt(id) });
  return r.rows[0]!.b as bigint;
}

const transfer = (db: Geode, from: number, to: number, amount: number): Promise<void> =>
  db.transaction(
    async (tx) => {
      const r = await tx.query('MATCH (p:Person {id: $id}) RETURN p.balance AS b', { id: BigInt(from) });
      if ((r.rows[0]!.b as bigint) < BigInt(amount)) throw new Error('insufficient funds');
      await tx.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance - $n', { id: BigInt(from), n: BigInt(amount) });
      await tx.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + $n', { id: BigInt(to), n: BigInt(amount) });
    },
    { retries: 200, backoffMs: 5 },
  );

/** The same properties on a sharded and an unsharded cluster: `ctx()` gives the peers and two account ids. */
function transactionProperties(ctx: () => { peers: Geode[]; a: number; b: number; spare: number }): void {
  it('statements see their own writes; nothing is visible outside before the commit; after it, everywhere', async () => {
    const { peers, a, b } = ctx();
    const before = await balance(peers[0]!, a);
    const session = peers[1]!.session();
    await session.query('START TRANSACTION');
    await session.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + 5', { id: BigInt(a) });
    const inside = await session.query('MATCH (p:Person {id: $id}) RETURN p.balance AS b', { id: BigInt(a) });
    expect(inside.rows).toEqual([{ b: before + 5n }]);
    expect(await balance(peers[0]!, a)).toBe(before);
    await session.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance - 5', { id: BigInt(a) });
    await session.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + 0', { id: BigInt(b) });
    await session.query('COMMIT');
    for (const p of peers) expect(await balance(p, a)).toBe(before);
    await session.close();
  });

  it('ROLLBACK, and fn throwing, leave nothing on any shard', async () => {
    const { peers, a, spare } = ctx();
    const before = await balance(peers[0]!, a);
    const session = peers[2]!.session();
    await session.query('BEGIN');
    await session.query('CREATE (:Person {id: $id, balance: 1})', { id: BigInt(spare) });
    await session.query('MATCH (p:Person {id: $id}) SET p.balance = 0', { id: BigInt(a) });
    expect((await session.query('MATCH (p:Person {id: $id}) RETURN p.balance AS b', { id: BigInt(spare) })).rows).toEqual([{ b: 1n }]);
    await session.query('ROLLBACK');
    await expect(
      peers[0]!.transaction(async (tx) => {
        await tx.query('MATCH (p:Person {id: $id}) SET p.balance = 0', { id: BigInt(a) });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    for (const p of peers) {
      expect(await balance(p, a)).toBe(before);
      expect((await p.query('MATCH (p:Person {id: $id}) RETURN p', { id: BigInt(spare) })).rows).toEqual([]);
    }
    await session.close();
  });

  it('of two transactions writing one account from the same snapshot, one commits and the other fails with a conflict; db.transaction retries it', async () => {
    const { peers, a } = ctx();
    const before = await balance(peers[0]!, a);
    const s1 = peers[0]!.session();
    const s2 = peers[1]!.session();
    await s1.query('START TRANSACTION');
    await s2.query('START TRANSACTION');
    const read = 'MATCH (p:Person {id: $id}) RETURN p.balance AS b';
    expect((await s1.query(read, { id: BigInt(a) })).rows).toEqual([{ b: before }]);
    expect((await s2.query(read, { id: BigInt(a) })).rows).toEqual([{ b: before }]);
    await s1.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + 1', { id: BigInt(a) });
    await s2.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + 1', { id: BigInt(a) });
    await s1.query('COMMIT');
    await expect(s2.query('COMMIT')).rejects.toMatchObject({ code: 'PROPOSAL_DROPPED', detail: 'WriteConflict' });
    expect(s2.inTransaction).toBe(false);
    for (const p of peers) await until('the first commit everywhere', async () => (await balance(p, a)) === before + 1n);
    // The same race through db.transaction: the loser runs again on the new snapshot; no update is lost.
    const inc = (db: Geode): Promise<void> =>
      db.transaction(async (tx) => {
        const b = (await tx.query(read, { id: BigInt(a) })).rows[0]!.b as bigint;
        await tx.query('MATCH (p:Person {id: $id}) SET p.balance = $b', { id: BigInt(a), b: b - 1n });
      }, { retries: 100 });
    await Promise.all([inc(peers[0]!), inc(peers[1]!), inc(peers[2]!)]);
    expect(await balance(peers[0]!, a)).toBe(before - 2n);
    await s1.close();
    await s2.close();
  });

  it('concurrent transfers between the two accounts keep the total; read-only audits always see it', async () => {
    const { peers, a, b } = ctx();
    const [x0, y0] = [await balance(peers[0]!, a), await balance(peers[0]!, b)];
    const total = x0 + y0;
    let stop = false;
    const audits: bigint[] = [];
    const auditor = (async () => {
      while (!stop) {
        const seen = await peers[3 % peers.length]!.transaction(
          async (tx) => {
            const x = (await tx.query('MATCH (p:Person {id: $id}) RETURN p.balance AS b', { id: BigInt(a) })).rows[0]!.b as bigint;
            const y = (await tx.query('MATCH (p:Person {id: $id}) RETURN p.balance AS b', { id: BigInt(b) })).rows[0]!.b as bigint;
            return x + y;
          },
          { readOnly: true, retries: 200 },
        );
        audits.push(seen);
      }
    })();
    const moved = { ab: 0, ba: 0 };
    await Promise.all(
      peers.slice(0, 3).map(async (db, i) => {
        for (let k = 0; k < 4; k++) {
          if ((i + k) % 2 === 0) {
            await transfer(db, a, b, 3);
            moved.ab += 3;
          } else {
            await transfer(db, b, a, 2);
            moved.ba += 2;
          }
        }
      }),
    );
    stop = true;
    await auditor;
    expect(audits.length).toBeGreaterThan(0);
    expect(audits.every((t) => t === total)).toBe(true);
    for (const p of peers) {
      await until('every transfer on every peer', async () => (await balance(p, a)) + (await balance(p, b)) === total);
    }
    // Every transfer applied exactly once: no update lost, none doubled.
    const net = BigInt(moved.ab - moved.ba);
    expect([await balance(peers[0]!, a), await balance(peers[0]!, b)]).toEqual([x0 - net, y0 + net]);
  });

  it('a transaction past its time limit fails with LIMIT_EXCEEDED and leaves nothing', async () => {
    const { peers, a } = ctx();
    const before = await balance(peers[0]!, a);
    await expect(
      peers[0]!.transaction(async (tx) => {
        await tx.query('MATCH (p:Person {id: $id}) SET p.balance = 0', { id: BigInt(a) });
        await new Promise((ok) => setTimeout(ok, 600));
        await tx.query('MATCH (p:Person {id: $id}) RETURN p', { id: BigInt(a) });
      }, { timeoutMs: 300 }),
    ).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', detail: 'TransactionTimeout' });
    expect(await balance(peers[0]!, a)).toBe(before);
  });

  it('a READ ONLY transaction refuses a write before it runs', async () => {
    const { peers, a } = ctx();
    await expect(
      peers[0]!.transaction((tx) => tx.query('MATCH (p:Person {id: $id}) SET p.balance = 0', { id: BigInt(a) }), { readOnly: true }),
    ).rejects.toMatchObject({ code: 'INPUT_INVALID', detail: 'ReadOnlyTransaction' });
  });
}

describe('transactions on a sharded cluster', () => {
  let four: FourShardedPeers | undefined;
  const peers: Geode[] = [];
  let a = 0;
  let b = 0;

  beforeAll(async () => {
    four = await startFourShardedPeers({ id: 'cluster-txn-sharded', secret: 'cluster-txn' });
    peers.push(...four.peers);
    ({ a, b } = four);
    await write(peers[0]!, 'CREATE (:Person {id: $a, balance: 100}), (:Person {id: $b, balance: 100})', { a: BigInt(a), b: BigInt(b) });
  }, 90_000);

  afterAll(async () => {
    await four?.close();
  });

  transactionProperties(() => ({ peers, a, b, spare: 5_000 }));

  it('a READ ONLY transaction asOf a past moment reads every shard as it stood then, while transfers go on, and never aborts', async () => {
    const read = async (tx: { query: Geode['query'] }, id: number): Promise<bigint> =>
      (await tx.query('MATCH (p:Person {id: $id}) RETURN p.balance AS b', { id: BigInt(id) })).rows[0]!.b as bigint;
    const before = [await balance(peers[0]!, a), await balance(peers[0]!, b)];
    const total = before[0]! + before[1]!;
    const t0 = Date.now();
    await new Promise((ok) => setTimeout(ok, 700)); // t0 must be older than the clock skew bound (500 ms)
    // Transfers between the two shards, with audits at past moments running through other members meanwhile.
    let stop = false;
    const audits: bigint[] = [];
    const auditor = (async () => {
      for (let i = 0; !stop; i++) {
        const seen = await peers[(i % 2) + 2]!.transaction(async (tx) => (await read(tx, a)) + (await read(tx, b)), { readOnly: true, asOf: Date.now() - 550 - (i % 5) * 40, retries: 0 });
        audits.push(seen);
      }
    })();
    for (let k = 0; k < 6; k++) await transfer(peers[k % 2]!, k % 3 === 0 ? b : a, k % 3 === 0 ? a : b, 4);
    await new Promise((ok) => setTimeout(ok, 800));
    stop = true;
    await auditor;
    expect(audits.length).toBeGreaterThan(3);
    expect(audits.every((t) => t === total)).toBe(true);
    // As of t0: the balances before every transfer, on both shards, from any member.
    for (const p of peers) expect(await p.transaction(async (tx) => [await read(tx, a), await read(tx, b)], { readOnly: true, asOf: t0 })).toEqual(before);
    const now = [await balance(peers[0]!, a), await balance(peers[0]!, b)];
    expect(now).not.toEqual(before);
    expect(await peers[1]!.transaction(async (tx) => [await read(tx, a), await read(tx, b)], { readOnly: true, asOf: new Date(Date.now() - 600) })).toEqual(now);
  });

  it('a read asOf is refused clearly: too recent, not READ ONLY, older than the history kept', async () => {
    const noop = async (): Promise<void> => {};
    await expect(peers[0]!.transaction(noop, { readOnly: true, asOf: Date.now() - 100 })).rejects.toMatchObject({ code: 'INPUT_INVALID', detail: 'TimestampNotClosed' });
    await expect(peers[0]!.transaction(noop, { asOf: Date.now() - 1_000 })).rejects.toMatchObject({ code: 'CONFIG_INVALID', detail: 'asOf' });
    await expect(
      peers[0]!.transaction((tx) => tx.query('MATCH (p:Person {id: $id}) RETURN p', { id: BigInt(a) }), { readOnly: true, asOf: Date.now() - 3_600_000, retries: 0 }),
    ).rejects.toMatchObject({ code: 'PROPOSAL_DROPPED', detail: 'SnapshotTooOld' });
  });

  it('updates spanning shards commit on all of them: SET, MERGE of an edge between shards (once), DELETE of it, DETACH DELETE', async () => {
    const [x, y] = [7_000, 7_001];
    await write(peers[0]!, 'CREATE (:Person {id: $x, balance: 0}), (:Person {id: $y, balance: 0})', { x: BigInt(x), y: BigInt(y) });
    const set = await peers[1]!.query('MATCH (p:Person) SET p.audited = true RETURN count(p) AS n');
    expect(set.shards!.length).toBeGreaterThan(1);
    for (const p of peers) {
      const r = await p.query('MATCH (p:Person) RETURN count(p) AS n, count(p.audited) AS a');
      expect(r.rows[0]!['a']).toBe(r.rows[0]!['n']);
    }
    // An edge between the two accounts on two shards, by MERGE: created once, seen from both ends.
    const merge = 'MATCH (s:Person {id: $a}), (t:Person {id: $b}) MERGE (s)-[k:TRUSTS]->(t) RETURN k.since AS since';
    await peers[2]!.query(merge, { a: BigInt(a), b: BigInt(b) });
    await peers[3]!.query(merge, { a: BigInt(a), b: BigInt(b) });
    const from = 'MATCH (s:Person {id: $a})-[:TRUSTS]->(t) RETURN t.id AS t';
    const to = 'MATCH (t:Person {id: $b})<-[:TRUSTS]-(s) RETURN s.id AS s';
    for (const p of peers) {
      expect((await p.query(from, { a: BigInt(a) })).rows).toEqual([{ t: BigInt(b) }]);
      expect((await p.query(to, { b: BigInt(b) })).rows).toEqual([{ s: BigInt(a) }]);
    }
    await peers[0]!.query('MATCH (s:Person {id: $a})-[k:TRUSTS]->(t) SET k.since = 2024', { a: BigInt(a) });
    expect((await peers[1]!.query('MATCH (t:Person {id: $b})<-[k:TRUSTS]-() RETURN k.since AS since', { b: BigInt(b) })).rows).toEqual([{ since: 2024n }]);
    await peers[1]!.query('MATCH (:Person {id: $a})-[k:TRUSTS]->() DELETE k', { a: BigInt(a) });
    for (const p of peers) {
      expect((await p.query(from, { a: BigInt(a) })).rows).toEqual([]);
      expect((await p.query(to, { b: BigInt(b) })).rows).toEqual([]);
    }
    // DETACH DELETE of a node with an edge to another shard: the node, the edge and its reverse entry go.
    await peers[0]!.query('MATCH (s:Person {id: $x}), (t:Person {id: $b}) MERGE (s)-[:TRUSTS]->(t)', { x: BigInt(x), b: BigInt(b) });
    await peers[0]!.query('MATCH (s:Person {id: $y}), (t:Person {id: $a}) MERGE (s)-[:TRUSTS]->(t)', { y: BigInt(y), a: BigInt(a) });
    // The nodes' ids, and the ghosts the edges gave them on the other shards.
    const h0 = peers[0]!.cluster!.sharding!.manager.host;
    const shardGroups = peers[0]!.cluster!.sharding!.map().shards.map((sh) => sh.group);
    const doomed = shardGroups.flatMap((g) => [...h0.graph(g).nodes()].filter((n) => n.props.get('id') === BigInt(x) || n.props.get('id') === BigInt(y)).map((n) => n.id));
    expect(doomed.length).toBe(2);
    expect(shardGroups.some((g) => doomed.some((id) => h0.graph(g).node(id)?.labels.has('__geode_ghost') === true))).toBe(true);
    await peers[2]!.query('MATCH (p:Person) WHERE p.id IN [$x, $y] DETACH DELETE p', { x: BigInt(x), y: BigInt(y) });
    for (const p of peers) {
      expect((await p.query('MATCH (p:Person) WHERE p.id IN [$x, $y] RETURN p', { x: BigInt(x), y: BigInt(y) })).rows).toEqual([]);
      expect((await p.query('MATCH (:Person)-[k:TRUSTS]-() RETURN count(k) AS n')).rows).toEqual([{ n: 0n }]);
      // Their ghosts (the far ends of the edges on the other shard) went with them.
      const host = p.cluster!.sharding!.manager.host;
      for (const g of shardGroups) await until('the delete on every replica', () => doomed.every((id) => host.graph(g).node(id) === undefined));
    }
    // Inside a transaction too, with its other writes: all or none.
    await expect(
      peers[3]!.transaction(async (tx) => {
        await tx.query('MATCH (p:Person) SET p.audited = false');
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect((await peers[0]!.query('MATCH (p:Person) WHERE p.audited = false RETURN count(p) AS n')).rows).toEqual([{ n: 0n }]);
  });

  it('allows write skew across two shards under SNAPSHOT (both commit) and refuses it under SERIALIZABLE (never both)', async () => {
    const read = 'MATCH (p:Person {id: $id}) RETURN p.balance AS b';
    /** Two sessions each read both accounts and write one (T1 a, T2 b), then COMMIT at once: how many committed. */
    const skew = async (level: 'SNAPSHOT' | 'SERIALIZABLE'): Promise<number> => {
      const [s1, s2] = [peers[0]!.session(), peers[1]!.session()];
      for (const s of [s1, s2]) {
        await s.query(`START TRANSACTION ISOLATION LEVEL ${level}`);
        await s.query(read, { id: BigInt(a) });
        await s.query(read, { id: BigInt(b) });
      }
      await s1.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + 0', { id: BigInt(a) });
      await s2.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + 0', { id: BigInt(b) });
      const out = await Promise.allSettled([s1.query('COMMIT'), s2.query('COMMIT')]);
      for (const r of out) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'PROPOSAL_DROPPED' });
      await s1.close();
      await s2.close();
      return out.filter((r) => r.status === 'fulfilled').length;
    };
    // Snapshot: the groups only read are checked before the writes, not locked; both may commit
    // (whether they do depends on timing: tries). With lease reads a check on the group's leader is
    // at once and one on a follower takes a round, so the two commits overlap less often.
    let both = false;
    for (let i = 0; i < 30 && !both; i++) both = (await skew('SNAPSHOT')) === 2;
    expect(both).toBe(true);
    // Serializable: the groups read are prepared too, and locked until the decision.
    for (let i = 0; i < 4; i++) expect(await skew('SERIALIZABLE')).toBeLessThan(2);
  });

  it('leaves no intent on either shard once done', async () => {
    const held = (db: Geode, g: number): string[] => [...(db.cluster!.sharding!.manager.host.graph(g).node(TXN_NODE_ID)?.props.keys() ?? [])].filter((k) => k.startsWith('i:'));
    await until('no intent', () => peers.every((p) => held(p, four!.ga).length === 0 && held(p, four!.gb).length === 0));
  });
});

describe('transactions on an unsharded cluster', () => {
  let three: ThreePeers;
  beforeAll(async () => {
    three = await startThreePeers({ id: 'cluster-txn-one-group', secret: 'cluster-txn-1' });
    await write(three.peers[0]!, 'CREATE (:Person {id: 1, balance: 100}), (:Person {id: 2, balance: 100})', {});
  }, 90_000);
  afterAll(async () => {
    await three?.close();
  });

  transactionProperties(() => ({ peers: three.peers, a: 1, b: 2, spare: 3 }));

  it('leaves no transaction state in the graph (one group commits in one entry)', async () => {
    const r = await three.peers[0]!.query('MATCH (n) RETURN count(n) AS n');
    expect(r.rows).toEqual([{ n: 2n }]);
  });
});
