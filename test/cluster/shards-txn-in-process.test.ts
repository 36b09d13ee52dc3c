/**
 * Atomic writes across shards in a running cluster, in this process: four peers (memory storage)
 * with three shards of three replicas. A statement whose commands land on two shards commits there
 * by two-phase commit between the members (the txn service over the shard wire, the record on the
 * meta group): both shards hold it and reads through any peer return it; a participant that
 * refuses, or a coordinator that dies after the prepares, leaves nothing on any shard and no lock;
 * a coordinator that dies after the decision is finished by the members' resolvers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Geode } from '../../src/node.ts';
import { TxnCoordinator, TXN_NODE_ID, TXN_RECORD_GROUP } from '../../src/txn/index.ts';
import type { ShardHost } from '../../src/shard/index.ts';
import { startFourShardedPeers, until, type FourShardedPeers } from './in-process-helpers.ts';

const cluster = { id: 'shards-txn-in-process', secret: 'sharded-txn' };

const hostOf = (db: Geode): ShardHost => db.cluster!.sharding!.manager.host;

/** The intents a group's replica on `db` holds now. */
function intentsOn(db: Geode, group: number): string[] {
  const n = hostOf(db).graph(group).node(TXN_NODE_ID);
  return n === undefined ? [] : [...n.props.keys()].filter((k) => k.startsWith('i:'));
}

describe('atomic cross-shard writes between members', () => {
  let four: FourShardedPeers | undefined;
  const peers: Geode[] = [];
  /** Person ids: `a` and `b` on different shards (groups ga, gb). */
  let a = 0;
  let b = 0;
  let ga = 0;
  let gb = 0;

  beforeAll(async () => {
    four = await startFourShardedPeers(cluster);
    peers.push(...four.peers);
    ({ a, b, ga, gb } = four);
  }, 90_000);

  afterAll(async () => {
    await four?.close();
  });

  it('a CREATE of an edge between nodes on two shards lands on both, and reads through every peer return it', async () => {
    const r = await peers[1]!.query('CREATE (:Person {id: $a, name: "Ada"})-[:KNOWS {since: 2020}]->(:Person {id: $b, name: "Bo"})', { a: BigInt(a), b: BigInt(b) });
    expect(r.shards?.length).toBe(2);
    for (const p of peers) {
      const out = await p.query('MATCH (x:Person {id: $a})-[k:KNOWS]->(y:Person) RETURN y.name AS name, k.since AS since', { a: BigInt(a) });
      expect(out.rows).toEqual([{ name: 'Bo', since: 2020n }]);
      const back = await p.query('MATCH (y:Person {id: $b})<-[:KNOWS]-(x) RETURN x.name AS name', { b: BigInt(b) });
      expect(back.rows).toEqual([{ name: 'Ada' }]);
    }
    const all = await peers[3]!.query('MATCH (p:Person) RETURN count(p) AS n');
    expect(all.rows).toEqual([{ n: 2n }]); // the transaction state nodes are not data
    await until('no shard holds an intent', () => peers.every((p) => intentsOn(p, ga).length === 0 && intentsOn(p, gb).length === 0));
  });

  it('a multi-node INSERT spanning shards through a member that leads neither group commits on all', async () => {
    const via = peers.find((p) => !hostOf(p).isLeader(ga) && !hostOf(p).isLeader(gb)) ?? peers[0]!;
    const remoteBefore = via.cluster!.sharding!.txn.transport.stats.remote;
    const ids = Array.from({ length: 12 }, (_, i) => BigInt(2_000 + i));
    const r = await via.query('UNWIND $ids AS i CREATE (:Person {id: i, name: "u" + toString(i)})', { ids });
    expect(r.shards!.length).toBeGreaterThan(1);
    expect(via.cluster!.sharding!.txn.transport.stats.remote).toBeGreaterThan(remoteBefore);
    const n = await peers[0]!.query('MATCH (p:Person) WHERE p.id >= 2000 RETURN count(p) AS n');
    expect(n.rows).toEqual([{ n: 12n }]);
  });

  it('a member that does not lead the group refuses a txn write with NotLeader, and a malformed one with INPUT_INVALID', async () => {
    await until(`a leader of group ${ga}`, () => peers.some((p) => hostOf(p).isLeader(ga)));
    const leader = peers.find((p) => hostOf(p).isLeader(ga))!;
    const other = peers.find((p) => p !== leader)!;
    const caller = peers.find((p) => p !== leader && p !== other)!;
    const h = hostOf(caller);
    const call = (to: Geode, body: unknown): Promise<Uint8Array> => h.call(hostOf(to).self, ga, 'txn', new TextEncoder().encode(JSON.stringify(body)), h.now() + 10_000);
    await expect(call(other, { op: 'forget', txn: 'nobody' })).rejects.toMatchObject({ code: 'PROPOSAL_DROPPED', detail: 'NotLeader' });
    await expect(call(leader, { op: 'forget', txn: 12 })).rejects.toMatchObject({ code: 'INPUT_INVALID', detail: 'BadTxnMessage' });
    // The leader answers a well-formed one; the connection survived the refusals.
    const ok = await call(leader, { op: 'forget', txn: 'nobody' });
    expect(JSON.parse(new TextDecoder().decode(ok))).toEqual({ r: false });
  });

  it('a participant that refuses its part leaves nothing on any shard', async () => {
    const coord = peers[2]!.cluster!.sharding!.txn.coordinator;
    const id = 900_001;
    const parts = new Map([
      [ga, [{ op: 'createNode' as const, id, labels: ['Person'], props: [['id', BigInt(id)]] as [string, bigint][] }]],
      [gb, [{ op: 'setNodeProperty' as const, id: 999_999_999, key: 'x', value: 1n }]], // no such node: the part does not apply
    ]);
    await expect(coord.commitAcrossShards(parts, { timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'ENTITY_NOT_FOUND' });
    await until('no shard holds an intent', () => peers.every((p) => intentsOn(p, ga).length === 0 && intentsOn(p, gb).length === 0));
    for (const p of peers) expect(hostOf(p).graph(ga).node(id)).toBeUndefined();
  });

  /** A coordinator on `db` over its member's transport that dies at a point (`alive` turns false). */
  function mortal(db: Geode, at: 'afterPrepare' | 'afterDecide'): TxnCoordinator {
    let alive = true;
    const die = (): void => {
      alive = false;
    };
    return new TxnCoordinator(
      { transport: db.cluster!.sharding!.txn.transport, recordGroup: TXN_RECORD_GROUP, groupOfKey: () => TXN_RECORD_GROUP, now: Date.now, sleep: (ms) => new Promise((ok) => setTimeout(ok, ms)), random: Math.random, name: `mortal-${at}`, alive: () => alive },
      at === 'afterPrepare' ? { afterPrepare: die } : { afterDecide: die },
    );
  }

  const twoNodes = (x: number, y: number): Map<number, { op: 'createNode'; id: number; labels: string[]; props: [string, bigint][] }[]> =>
    new Map([
      [ga, [{ op: 'createNode', id: x, labels: ['Person'], props: [['id', BigInt(x)]] }]],
      [gb, [{ op: 'createNode', id: y, labels: ['Person'], props: [['id', BigInt(y)]] }]],
    ]);

  it('a coordinator killed after the prepares: the members abort it past its deadline, nothing is visible, no lock stays', async () => {
    const coord = mortal(peers[3]!, 'afterPrepare');
    await expect(coord.commitAcrossShards(twoNodes(900_010, 900_011), { timeoutMs: 1_000 })).rejects.toMatchObject({ code: 'CLOSED' });
    // Both parts prepared: each shard's leader holds the intent (a lock) and nothing applied.
    expect(peers.some((p) => hostOf(p).isLeader(ga) && intentsOn(p, ga).length === 1)).toBe(true);
    await until('the resolvers recovered both intents', () => peers.every((p) => intentsOn(p, ga).length === 0 && intentsOn(p, gb).length === 0), 30_000);
    for (const p of peers) {
      expect(hostOf(p).graph(ga).node(900_010)).toBeUndefined();
      expect(hostOf(p).graph(gb).node(900_011)).toBeUndefined();
    }
    const none = await peers[0]!.query('MATCH (p:Person) WHERE p.id >= 900000 RETURN count(p) AS n');
    expect(none.rows).toEqual([{ n: 0n }]);
  });

  it('a coordinator killed after the decision: the members finish the commit on both shards', async () => {
    const coord = mortal(peers[1]!, 'afterDecide');
    await expect(coord.commitAcrossShards(twoNodes(900_020, 900_021), { timeoutMs: 1_000 })).rejects.toMatchObject({ code: 'CLOSED' });
    await until('both parts resolved on every replica', () => peers.every((p) => hostOf(p).graph(ga).node(900_020) !== undefined && hostOf(p).graph(gb).node(900_021) !== undefined), 30_000);
    const both = await peers[2]!.query('MATCH (p:Person) WHERE p.id >= 900020 RETURN count(p) AS n');
    expect(both.rows).toEqual([{ n: 2n }]);
    await until('no shard holds an intent', () => peers.every((p) => intentsOn(p, ga).length === 0 && intentsOn(p, gb).length === 0));
  });

  it('a write outside transactions waits for a prepared transaction locking what it writes (no lost update)', async () => {
    const node = [...hostOf(peers[0]!).graph(ga).nodes()].find((n) => n.props.get('id') === BigInt(a))!.id;
    let plain: Promise<unknown> | undefined;
    const coord = new TxnCoordinator(
      { transport: peers[2]!.cluster!.sharding!.txn.transport, recordGroup: TXN_RECORD_GROUP, groupOfKey: () => TXN_RECORD_GROUP, now: Date.now, sleep: (ms) => new Promise((ok) => setTimeout(ok, ms)), random: Math.random, name: 'gated' },
      {
        afterPrepare: async () => {
          // While the intent locks the node: a plain write of it, given time to (wrongly) land first.
          plain = peers[1]!.query('MATCH (p:Person {id: $a}) SET p.x = 1', { a: BigInt(a) });
          await new Promise((ok) => setTimeout(ok, 300));
        },
      },
    );
    const parts = new Map([
      [ga, [{ op: 'setNodeProperty' as const, id: node, key: 'x', value: 10n }]],
      [gb, [{ op: 'createNode' as const, id: 900_200, labels: ['Mark'], props: [] }]],
    ]);
    const c = await coord.commitAcrossShards(parts, { timeoutMs: 5_000 });
    await c.resolved;
    await plain;
    // The plain write ran after the transaction's resolution: its value stands.
    for (const p of peers) await until('the plain write everywhere', async () => (await p.query('MATCH (p:Person {id: $a}) RETURN p.x AS x', { a: BigInt(a) })).rows[0]?.['x'] === 1n);
  });
});
