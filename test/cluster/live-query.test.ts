/**
 * Live queries across a cluster: three Node peers in this process (memory storage, loopback,
 * through a relay). A subscription on one member is called back with writes made through another
 * (they reach it by replication), keeps working across a leader change, and stops when
 * unsubscribed. A cluster client, which holds no replica, is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeode, type Geode, type QueryResult } from '../../src/node.ts';
import { isGeodeError } from '../../src/util/errors.ts';
import { startThreePeers, until, write, type ThreePeers } from './in-process-helpers.ts';

const CLUSTER = { id: 'live-query-test', secret: 'live-query-secret' };
let cluster: ThreePeers;
const peers: Geode[] = [];

beforeAll(async () => {
  cluster = await startThreePeers(CLUSTER);
  peers.push(...cluster.peers);
}, 60_000);

afterAll(() => cluster?.close(), 30_000);

describe('db.subscribe in a cluster', () => {
  it("is called back on one member with writes made through another, across a leader change, until unsubscribed", async () => {
    const [a, b, c] = peers as [Geode, Geode, Geode];
    const seen: bigint[] = [];
    const stop = c.subscribe('MATCH (k:K) RETURN count(k) AS n', {}, (r: QueryResult) => seen.push(r.rows[0]!['n'] as bigint));
    await until('the first result', () => seen.length >= 1);

    await write(a, 'MERGE (:K {i: $i})', { i: 1n });
    await until('the write from another member', () => seen.at(-1) === 1n);

    // The leader leaves (handing off); the subscription on c keeps getting what b writes.
    const leader = peers.find((p) => p.cluster!.isLeader())!;
    const writer = [a, b].find((p) => p !== leader) ?? b;
    if (leader !== c) {
      await leader.close();
      peers.splice(peers.indexOf(leader), 1);
      await write(writer === leader ? b : writer, 'MERGE (:K {i: $i})', { i: 2n });
      await until('the write after the leader change', () => seen.at(-1) === 2n);
    }

    stop();
    const before = seen.length;
    await write(c, 'MERGE (:K {i: $i})', { i: 3n });
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.length).toBe(before);
    // Counts only ever grow: each callback is a newer committed state.
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
  }, 60_000);

  it('refuses a cluster client (it holds no replica to watch) with CONFIG_INVALID', async () => {
    const client = await openGeode({ cluster: { ...CLUSTER, relays: cluster.relays, client: true } });
    try {
      let code = 'none';
      try {
        client.subscribe('RETURN 1 AS one', {}, () => {});
      } catch (err) {
        code = isGeodeError(err) ? err.code : String(err);
      }
      expect(code).toBe('CONFIG_INVALID');
    } finally {
      await client.close();
    }
  }, 30_000);
});
