/**
 * Transactions from a cluster client (`cluster.client`), on an unsharded cluster (three members)
 * and a sharded one (four members, three shards; the two accounts on two shards), over real
 * libp2p connections in this process. The client holds no replica: a member runs its transaction
 * (src/api/remote-transaction.ts). What a user relies on: a client's transaction is all-or-none
 * (rolled back: nothing; committed: everything, seen from another client); a write-write conflict
 * with a member's transaction aborts one with WriteConflict, and `db.transaction` retries it to
 * success; a client that disconnects mid-transaction leaves nothing and blocks nothing (the member
 * drops it long before its time limit); a transaction past its time limit leaves nothing (a member
 * dropping the transaction of a silent client by itself: src/api/remote-transaction.test.ts); a
 * session's BEGIN ... COMMIT runs from the client; the per-connection bound refuses clearly; a
 * member that closes under a client's transaction aborts it, and db.transaction runs it elsewhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeode, type Geode } from '../../src/node.ts';
import { isGeodeError } from '../../src/util/errors.ts';
import { remoteTxnsPerConnectionMax } from '../../src/api/remote-transaction.ts';
import { sample } from '../../src/cluster/testing.ts';
import { clusterMetricsText } from '../../packages/cli/src/metrics.ts';
import { startFourShardedPeers, startThreePeers, until, write } from './in-process-helpers.ts';

const SECRET = 'client-txn';

/** Balance of account `id` read through `db` (outside any transaction); null when there is no such account. */
async function balance(db: Geode, id: number): Promise<bigint | null> {
  const r = await db.query('MATCH (p:Person {id: $id}) RETURN p.balance AS b', { id: BigInt(id) });
  return (r.rows[0]?.b as bigint | undefined) ?? null;
}

/** Remote transactions the members hold for clients now. */
function held(peers: readonly Geode[]): number {
  return peers.reduce((n, p) => n + p.cluster!.remoteTransactions(), 0);
}

async function openClient(id: string, relays: string[], members: number): Promise<Geode> {
  const client = await openGeode({ cluster: { id, secret: SECRET, relays, client: true } });
  await until('the client to reach every member', () => client.cluster!.transport.connected().length >= members);
  // The first statement answered: the client knows the members (and, sharded, starts caching the map).
  await until('the client to run a statement', async () => (await client.query('RETURN 1 AS one').then(() => true, () => false)));
  return client;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

interface Ctx {
  readonly peers: Geode[];
  readonly client: Geode;
  readonly other: Geode;
  readonly relays: string[];
  readonly id: string;
  /** Two accounts (on two shards when sharded) and an id no account has. */
  readonly a: number;
  readonly b: number;
  readonly spare: number;
}

function clientTransactionProperties(ctx: () => Ctx): void {
  it("a client's transaction is all-or-none: rolled back, neither write is visible; committed, both are, from another client", async () => {
    const { peers, client, other, a, b, spare } = ctx();
    const before = await balance(other, a);
    const s = client.session();
    await s.query('BEGIN');
    await s.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance - 7', { id: BigInt(a) });
    await s.query('CREATE (:Person {id: $id, balance: 7})', { id: BigInt(spare) });
    // Its own writes, inside; nothing outside.
    expect((await s.query('MATCH (p:Person {id: $id}) RETURN p.balance AS b', { id: BigInt(a) })).rows).toEqual([{ b: before! - 7n }]);
    expect(await balance(other, a)).toBe(before);
    expect(await balance(other, spare)).toBe(null);
    await s.query('ROLLBACK');
    expect(await balance(other, a)).toBe(before);
    expect(await balance(other, spare)).toBe(null);

    await client.transaction(async (tx) => {
      await tx.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance - 7', { id: BigInt(a) });
      await tx.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + 7', { id: BigInt(b) });
    });
    expect(await balance(other, a)).toBe(before! - 7n);
    for (const p of peers) expect(await balance(p, a)).toBe(before! - 7n);
    // Back, through a session's BEGIN ... COMMIT from the client.
    await s.query('START TRANSACTION ISOLATION LEVEL SERIALIZABLE');
    expect(s.inTransaction).toBe(true);
    await s.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + 7', { id: BigInt(a) });
    await s.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance - 7', { id: BigInt(b) });
    await s.query('COMMIT');
    expect(s.inTransaction).toBe(false);
    expect(await balance(other, a)).toBe(before);
    await s.close();
    await until('the members to drop every ended transaction', () => held(peers) === 0);
  });

  it("a client's READ ONLY transaction asOf a past moment reads every shard as it stood then (the member runs it)", async () => {
    const { client, other, a, b } = ctx();
    const read = async (tx: { query: Geode['query'] }, id: number): Promise<bigint> =>
      (await tx.query('MATCH (p:Person {id: $id}) RETURN p.balance AS b', { id: BigInt(id) })).rows[0]!.b as bigint;
    const before = [(await balance(other, a))!, (await balance(other, b))!];
    const t0 = Date.now();
    await new Promise((ok) => setTimeout(ok, 700));
    await other.transaction(async (tx) => {
      await tx.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance - 3', { id: BigInt(a) });
      await tx.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + 3', { id: BigInt(b) });
    });
    expect(await client.transaction(async (tx) => [await read(tx, a), await read(tx, b)], { readOnly: true, asOf: t0 })).toEqual(before);
    await expect(client.transaction(async (tx) => read(tx, a), { readOnly: true, asOf: Date.now() })).rejects.toMatchObject({ code: 'INPUT_INVALID', detail: 'TimestampNotClosed' });
    await other.transaction(async (tx) => {
      await tx.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + 3', { id: BigInt(a) });
      await tx.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance - 3', { id: BigInt(b) });
    });
  });

  it("a write-write conflict between a client's transaction and a member's aborts one with WriteConflict; db.transaction retries it to success", async () => {
    const { peers, client, other, a } = ctx();
    const before = (await balance(other, a))!;
    const onClient = client.session();
    const onMember = peers[1]!.session();
    await onClient.query('START TRANSACTION');
    await onMember.query('START TRANSACTION');
    const read = 'MATCH (p:Person {id: $id}) RETURN p.balance AS b';
    const add = 'MATCH (p:Person {id: $id}) SET p.balance = p.balance + $n';
    await onClient.query(read, { id: BigInt(a) });
    await onMember.query(read, { id: BigInt(a) });
    await onClient.query(add, { id: BigInt(a), n: 1n });
    await onMember.query(add, { id: BigInt(a), n: 10n });
    await onMember.query('COMMIT');
    const err = await rejection(onClient.query('COMMIT'));
    expect(isGeodeError(err, 'PROPOSAL_DROPPED') && err.detail === 'WriteConflict', String(err)).toBe(true);
    expect(await balance(other, a)).toBe(before + 10n);

    // db.transaction from the client: on its first attempt a member writes the account between the read and the commit.
    let attempts = 0;
    await client.transaction(
      async (tx) => {
        attempts++;
        const b = (await tx.query(read, { id: BigInt(a) })).rows[0]!.b as bigint;
        if (attempts === 1) await write(peers[2]!, add, { id: BigInt(a), n: 100n });
        await tx.query('MATCH (p:Person {id: $id}) SET p.balance = $v', { id: BigInt(a), v: b + 1n });
      },
      { retries: 5, backoffMs: 5 },
    );
    expect(attempts).toBe(2);
    expect(await balance(other, a)).toBe(before + 111n);
    await onClient.close();
    await onMember.close();
  });

  it('a client that disconnects mid-transaction leaves nothing, and the member drops it long before its time limit (a later transaction on the same keys commits)', async () => {
    const { peers, other, relays, id, a, spare, client } = ctx();
    const before = await balance(other, a);
    const leaving = await openClient(id, relays, peers.length);
    const s = leaving.session();
    await s.query('BEGIN');
    await s.query('MATCH (p:Person {id: $id}) SET p.balance = 0', { id: BigInt(a) });
    await s.query('CREATE (:Person {id: $id, balance: 1})', { id: BigInt(spare) });
    expect(held(peers)).toBe(1);
    // What a member's /metrics (the CLI's) says.
    expect(peers.map((p) => sample(clusterMetricsText(p.cluster!), 'remote_transactions_open')).sort()).toEqual([0, 0, 1, ...(peers.length > 3 ? [0] : [])].sort());
    await leaving.close(); // the connections close; its transaction's time limit (60 s by default) is far off
    await until('the member to drop the transaction of the client that left', () => held(peers) === 0, 15_000);
    expect(await balance(other, a)).toBe(before);
    expect(await balance(other, spare)).toBe(null);
    // Not blocked: one attempt of a transaction on the same account commits, from a member and from a client.
    await peers[0]!.transaction(async (tx) => void (await tx.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + 1', { id: BigInt(a) })), { retries: 0 });
    await client.transaction(async (tx) => void (await tx.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance - 1', { id: BigInt(a) })), { retries: 0 });
    expect(await balance(other, a)).toBe(before);
  });

  it("a client's transaction past its time limit: the member no longer holds it, nothing is visible, the commit fails TransactionTimeout", async () => {
    const { peers, client, other, a } = ctx();
    const before = await balance(other, a);
    let tx: Parameters<Parameters<Geode['transaction']>[0]>[0] | undefined;
    const done = client.transaction(
      async (t) => {
        tx = t;
        await t.query('MATCH (p:Person {id: $id}) SET p.balance = -1', { id: BigInt(a) });
        await until('the member to drop the transaction past its limit', () => held(peers) === 0, 15_000);
      },
      { timeoutMs: 1_500, retries: 0 },
    );
    const err = await rejection(done);
    expect(isGeodeError(err, 'LIMIT_EXCEEDED') && err.detail === 'TransactionTimeout', String(err)).toBe(true);
    expect(tx!.state).toBe('timedOut');
    expect(await balance(other, a)).toBe(before);
  });

  it(`refuses a client connection's transaction past ${remoteTxnsPerConnectionMax} open on one member, clearly`, async () => {
    const { peers, client } = ctx();
    // Unsharded, every begin goes to group 0's leader; sharded, to the members in turn: enough to fill every member.
    const sessions = Array.from({ length: remoteTxnsPerConnectionMax * peers.length + 1 }, () => client.session());
    let refused: unknown;
    for (const x of sessions) {
      try {
        await x.query('BEGIN');
      } catch (err) {
        refused = err;
        break;
      }
    }
    expect(isGeodeError(refused, 'LIMIT_EXCEEDED') && refused.detail === 'TooManyRemoteTransactions', String(refused)).toBe(true);
    await Promise.all(sessions.map((x) => x.close()));
    await until('the members to drop every rolled-back transaction', () => held(peers) === 0);
    await client.transaction(async (tx) => void (await tx.query('RETURN 1')));
  });
}

describe('transactions from a cluster client, unsharded (three members)', () => {
  const id = 'client-txn-unsharded';
  let ctx: Ctx | undefined;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const c = await startThreePeers({ id, secret: SECRET });
    close = c.close;
    for (const acct of [1_000, 1_001]) await write(c.peers[0]!, 'CREATE (:Person {id: $id, balance: 100})', { id: BigInt(acct) });
    const client = await openClient(id, c.relays, 3);
    const other = await openClient(id, c.relays, 3);
    ctx = { peers: c.peers, client, other, relays: c.relays, id, a: 1_000, b: 1_001, spare: 1_999 };
  }, 90_000);

  afterAll(async () => {
    await ctx?.client.close().catch(() => {});
    await ctx?.other.close().catch(() => {});
    await close?.();
  });

  clientTransactionProperties(() => ctx!);

  it('a member that closes under a client\'s transaction aborts it (nothing of it stays); db.transaction runs it again on another member', async () => {
    const { peers, client, other, a } = ctx!;
    const before = (await balance(other, a))!;
    const ran: string[] = [];
    await client.transaction(
      async (tx) => {
        const member = (tx as unknown as { member: string }).member;
        ran.push(member);
        const b = (await tx.query('MATCH (p:Person {id: $id}) RETURN p.balance AS b', { id: BigInt(a) })).rows[0]!.b as bigint;
        await tx.query('MATCH (p:Person {id: $id}) SET p.balance = $v', { id: BigInt(a), v: b + 1n });
        if (ran.length === 1) await peers.find((p) => p.cluster!.self === member)!.close();
        await tx.query('MATCH (p:Person {id: $id}) SET p.balance = p.balance + 1', { id: BigInt(a) });
      },
      { retries: 50, backoffMs: 20 },
    );
    expect(ran.length).toBeGreaterThan(1);
    expect(ran.slice(1)).not.toContain(ran[0]);
    expect(await balance(other, a)).toBe(before + 2n); // the first attempt's write is not there
  });
});

describe('transactions from a cluster client, sharded (four members, three shards)', () => {
  const id = 'client-txn-sharded';
  let ctx: Ctx | undefined;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const c = await startFourShardedPeers({ id, secret: SECRET });
    close = c.close;
    for (const acct of [c.a, c.b]) await write(c.peers[0]!, 'CREATE (:Person {id: $id, balance: 100})', { id: BigInt(acct) });
    const relays = [c.relay.addrs()[0]!];
    const client = await openClient(id, relays, 4);
    const other = await openClient(id, relays, 4);
    ctx = { peers: c.peers, client, other, relays, id, a: c.a, b: c.b, spare: c.b + 7_919 };
  }, 120_000);

  afterAll(async () => {
    await ctx?.client.close().catch(() => {});
    await ctx?.other.close().catch(() => {});
    await close?.();
  });

  clientTransactionProperties(() => ctx!);
});
