/**
 * Shard splits in a running cluster (three peers in this process, memory storage, two shards of
 * three replicas, `sharding.split_threshold_nodes: 60`): writers insert people (single-shard
 * entries) and KNOWS edges between them (cross-shard commits) through every peer while the shards
 * grow past the threshold and split, the meta leader fencing the source's moving half, copying it
 * to the new group, switching the map and cleaning the source up. Afterwards the map has more
 * shards and no split under way, `db.cluster.shards()` shows them serving with the nodes spread,
 * and through every peer: every acknowledged write is there, nothing is there twice, nothing a
 * write did not ask for is there, and lookups by the key ask one shard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Geode } from '../../src/node.ts';
import { isGeodeError } from '../../src/util/errors.ts';
import type { SplitState } from '../../src/cluster/shard-map.ts';
import { mapAfterSplit, ownerIn } from '../../src/cluster/shard-split.ts';
import { startShardedPeers, until, type ShardedPeers } from './in-process-helpers.ts';

const CLUSTER = { id: 'shard-split-in-process', secret: 'splits' };
const config = {
  sharding: { shards: 2, labels: { Person: { strategy: 'hash', key: 'id' } }, fail_after_ms: 5_000, split_threshold_nodes: 60 },
  replication: { factor: 3 },
};
const PEOPLE = 170;

describe('shard splits in a cluster of three peers in process', () => {
  let cluster: ShardedPeers | undefined;
  const peers: Geode[] = [];

  beforeAll(async () => {
    cluster = await startShardedPeers(CLUSTER, 3, config, 2, 60_000);
    peers.push(...cluster.peers);
  }, 90_000);

  afterAll(() => cluster?.close());

  it('splits shards grown past the threshold while writes go on: no acknowledged write lost, none doubled', async () => {
    const acked = new Set<number>();
    const unknown = new Set<number>();
    const edgesAcked = new Set<string>();
    const edgesUnknown = new Set<string>();
    const errors: string[] = [];
    const missed: string[] = [];
    // Two writers, each inserting its people one by one through the peers in turn, and linking each to an earlier one.
    const writer = async (w: number): Promise<void> => {
      for (let id = 1 + w; id <= PEOPLE; id += 2) {
        const db = peers[id % 3]!;
        try {
          await db.query('CREATE (:Person {id: $id, name: $name})', { id: BigInt(id), name: `p${id}` });
          acked.add(id);
        } catch (err) {
          unknown.add(id);
          errors.push(isGeodeError(err) ? `${err.code}/${err.detail ?? ''}: ${err.message}` : String(err));
        }
        if (id > 10 && id % 3 === 0) {
          const to = id - 8; // an earlier person of this writer
          const key = `${id}->${to}`;
          try {
            const r = await db.query('MATCH (a:Person {id: $a}), (b:Person {id: $b}) CREATE (a)-[:KNOWS]->(b)', { a: BigInt(id), b: BigInt(to) });
            if (r.writes > 0) edgesAcked.add(key);
            else if (acked.has(id) && acked.has(to)) missed.push(key); // both ends acknowledged, yet it matched nothing
          } catch (err) {
            edgesUnknown.add(key);
            errors.push(isGeodeError(err) ? `${err.code}/${err.detail ?? ''}: ${err.message}` : String(err));
          }
        }
      }
    };
    await Promise.all([writer(0), writer(1)]);
    await until(
      'the shards to split until none is past the threshold, and no split under way',
      () =>
        peers.every((p) => {
          const m = p.cluster!.sharding!.map();
          const rows = p.cluster!.sharding!.shards();
          return m.shards.length >= 3 && m.splits.length === 0 && rows.every((r) => r.leader !== null && r.state === 'serving' && r.nodes !== null && r.nodes <= 60);
        }),
      90_000,
    );
    console.log(`splits: ${JSON.stringify(peers.map((p) => p.cluster!.sharding!.manager.splits))}; stale-map retries: ${peers.map((p) => p.cluster!.sharding!.router.staleMapRetries).join(', ')}; failed writes: ${errors.length}${errors.length > 0 ? ` (first: ${errors[0]})` : ''}`);
    // Writes fail only for reasons that leave their outcome open (time limits under load); most go through.
    expect(acked.size).toBeGreaterThan(PEOPLE * 0.9);
    expect(missed).toEqual([]);
    expect(edgesAcked.size).toBeGreaterThan(20);

    const map = peers[0]!.cluster!.sharding!.map();
    const rows = await peers[1]!.query('CALL db.cluster.shards()');
    expect(rows.rows.length).toBe(map.shards.length);
    expect(rows.rows.every((r) => r['state'] === 'serving')).toBe(true);
    const total = rows.rows.reduce((a, r) => a + Number(r['nodes']), 0);
    expect(total).toBeGreaterThanOrEqual(acked.size);
    expect(total).toBeLessThanOrEqual(acked.size + unknown.size);

    for (const db of peers) {
      const all = await db.query('MATCH (p:Person) RETURN p.id AS id');
      const ids = all.rows.map((r) => Number(r['id']));
      expect(new Set(ids).size).toBe(ids.length); // no node seen twice
      for (const id of acked) expect(ids).toContain(id); // no acknowledged insert lost
      for (const id of ids) expect(acked.has(id) || unknown.has(id)).toBe(true);
      const count = await db.query('MATCH (p:Person) RETURN count(p) AS n');
      expect(Number(count.rows[0]!['n'])).toBe(ids.length);
      const knows = await db.query('MATCH (a:Person)-[:KNOWS]->(b:Person) RETURN a.id AS a, b.id AS b');
      const keys = knows.rows.map((r) => `${r['a']}->${r['b']}`);
      expect(new Set(keys).size).toBe(keys.length);
      for (const k of edgesAcked) expect(keys).toContain(k);
      for (const k of keys) expect(edgesAcked.has(k) || edgesUnknown.has(k)).toBe(true);
      const back = await db.query('MATCH (b:Person)<-[:KNOWS]-(a:Person) RETURN count(*) AS n');
      expect(Number(back.rows[0]!['n'])).toBe(keys.length);
    }
    for (const id of [1, 42, 99, 150]) {
      if (!acked.has(id)) continue;
      const one = await peers[id % 3]!.query('MATCH (p:Person {id: $id}) RETURN p.name AS name', { id: BigInt(id) });
      expect(one.rows).toEqual([{ name: `p${id}` }]);
      expect(one.shards?.length).toBe(1);
    }
    // Writes after the splits land on the new shards.
    await peers[2]!.query('CREATE (:Person {id: 1000, name: "late"})');
    const late = await peers[0]!.query('MATCH (p:Person {id: 1000}) RETURN p.name AS name');
    expect(late.rows).toEqual([{ name: 'late' }]);
  }, 200_000);

  it('holds writes to the moving half from the fence to the switch, then lands them on the new shard; reads stay whole meanwhile', async () => {
    let release!: () => void;
    const released = new Promise<void>((ok) => (release = ok));
    let held: SplitState | undefined;
    for (const p of peers) {
      p.cluster!.sharding!.manager.splitHook = async (_step, sp) => {
        held = sp;
        await released;
      };
    }
    try {
      const before = Number((await peers[0]!.query('MATCH (p:Person) RETURN count(p) AS n')).rows[0]!['n']);
      // Grow the shards until one passes the threshold and its split holds at the fence.
      let next = 2_000;
      let added = 0;
      while (held === undefined) {
        await peers[next % 3]!.query('CREATE (:Person {id: $id, name: "grow"})', { id: BigInt(next) });
        next++;
        added++;
        expect(added).toBeLessThan(400);
        if (added % 20 === 0) await new Promise((ok) => setTimeout(ok, 300)); // let the manager look
      }
      const sp = held!;
      const map = peers[0]!.cluster!.sharding!.map();
      const after = mapAfterSplit(map, sp);
      const moves = (id: number): boolean => ownerIn(after, sp.from, { id: 0, labels: ['Person'], props: new Map([['id', BigInt(id)]]) }) === sp.into;
      const stays = (id: number): boolean => ownerIn(after, sp.from, { id: 0, labels: ['Person'], props: new Map([['id', BigInt(id)]]) }) === sp.from;
      const fresh = Array.from({ length: 5_000 }, (_, i) => 10_000 + i).find(moves)!;
      const existing = Array.from({ length: next - 2_000 }, (_, i) => 2_000 + i).find(moves)!;
      const other = Array.from({ length: next - 2_000 }, (_, i) => 2_000 + i).find(stays)!;
      expect(fresh).toBeDefined();
      expect(existing).toBeDefined();
      let settled = 0;
      const insert = peers[1]!.query('CREATE (:Person {id: $id, name: "during"})', { id: BigInt(fresh) }, { timeoutMs: 30_000 }).finally(() => settled++);
      const update = peers[2]!.query('MATCH (p:Person {id: $id}) SET p.touched = true', { id: BigInt(existing) }, { timeoutMs: 30_000 }).finally(() => settled++);
      // The half that stays takes writes at once; the moving half waits while the split holds.
      await peers[0]!.query('MATCH (p:Person {id: $id}) SET p.touched = true', { id: BigInt(other) });
      await new Promise((ok) => setTimeout(ok, 1_000));
      expect(settled).toBe(0);
      const during = await peers[2]!.query('MATCH (p:Person) RETURN count(p) AS n, count(DISTINCT p.id) AS d');
      expect(Number(during.rows[0]!['n'])).toBe(before + added);
      expect(Number(during.rows[0]!['d'])).toBe(before + added);
      release();
      await Promise.all([insert, update]);
      await until('the split to finish on every peer', () => peers.every((p) => p.cluster!.sharding!.map().splits.length === 0 && p.cluster!.sharding!.map().shards.some((s) => s.id === sp.into)), 60_000);
      for (const db of peers) {
        const got = await db.query('MATCH (p:Person) WHERE p.id IN [$a, $b, $c] RETURN p.id AS id, p.name AS name, p.touched AS t ORDER BY id', { a: BigInt(fresh), b: BigInt(existing), c: BigInt(other) });
        expect(got.rows.map((r) => [Number(r['id']), r['t']])).toEqual(
          [[fresh, null], [existing, true], [other, true]].sort((x, y) => (x[0] as number) - (y[0] as number)),
        );
        const lookup = await db.query('MATCH (p:Person {id: $id}) RETURN p.name AS name', { id: BigInt(fresh) });
        expect(lookup.rows).toEqual([{ name: 'during' }]);
        expect(lookup.shards).toEqual([sp.into]);
        const all = await db.query('MATCH (p:Person) RETURN count(p) AS n, count(DISTINCT p.id) AS d');
        expect(Number(all.rows[0]!['n'])).toBe(before + added + 1);
        expect(Number(all.rows[0]!['d'])).toBe(before + added + 1);
      }
    } finally {
      release();
      for (const p of peers) p.cluster!.sharding!.manager.splitHook = undefined;
    }
  }, 200_000);

  it('a split whose meta leader goes away at the fence is finished by the next one, the write it held landing once', async () => {
    let release!: () => void;
    const released = new Promise<void>((ok) => (release = ok));
    let holder: Geode | undefined;
    let held: SplitState | undefined;
    let nowHeld!: () => void;
    const heldAtFence = new Promise<void>((ok) => (nowHeld = ok));
    for (const p of peers) {
      p.cluster!.sharding!.manager.splitHook = async (_step, sp) => {
        holder ??= p;
        held ??= sp;
        nowHeld();
        await released;
      };
    }
    try {
      // The hook holds the split after the fence: a growing write to the moving half then waits for
      // the release too, so the loop stops at the hold, not at that write's answer.
      let next = 20_000;
      const growing: { write: Promise<unknown>; via: Geode }[] = [];
      while (held === undefined) {
        const via = peers[next % 3]!;
        const write = via.query('CREATE (:Person {id: $id, name: "grow"})', { id: BigInt(next) }, { timeoutMs: 60_000 });
        growing.push({ write, via });
        next++;
        await Promise.race([write.then(() => undefined, () => undefined), heldAtFence]);
        expect(next).toBeLessThan(20_400);
        if (next % 20 === 0) await new Promise((ok) => setTimeout(ok, 300));
      }
      const sp = held!;
      const survivors = peers.filter((p) => p !== holder);
      const after = mapAfterSplit(survivors[0]!.cluster!.sharding!.map(), sp);
      const fresh = Array.from({ length: 5_000 }, (_, i) => 30_000 + i).find((id) => ownerIn(after, sp.from, { id: 0, labels: ['Person'], props: new Map([['id', BigInt(id)]]) }) === sp.into)!;
      const insert = survivors[0]!.query('CREATE (:Person {id: $id, name: "held"})', { id: BigInt(fresh) }, { timeoutMs: 60_000 });
      const outcomeUnknown = (e: unknown): boolean => isGeodeError(e, 'PROPOSAL_DROPPED') && e.detail === 'OutcomeUnknown';
      await holder!.close();
      release(); // the next meta leader goes through
      // The held write is retried past the fence refusals; if the holder also led the source shard,
      // the attempt in flight when it closed has an unknown outcome (it was refused at the fence, but
      // the member cannot know): then the write is made again once, as a client would after checking.
      const landed = await insert.then(
        () => true,
        (e: unknown) => {
          if (!outcomeUnknown(e)) throw e;
          return false;
        },
      );
      // A growing write held at the fence lands once the split is through; one sent through the
      // closed holder (CLOSED), or forwarded to it as a leader when it closed (OutcomeUnknown), may
      // have been written or not; any other failure is a bug.
      let acked = 0;
      let unknown = 0;
      for (const g of growing) {
        try {
          await g.write;
          acked++;
        } catch (err) {
          if (!outcomeUnknown(err) && (g.via !== holder || !isGeodeError(err, 'CLOSED'))) throw err;
          unknown++;
        }
      }
      await until('the split to finish on the survivors', () => survivors.every((p) => p.cluster!.sharding!.map().splits.length === 0 && p.cluster!.sharding!.map().shards.some((s) => s.id === sp.into)), 60_000);
      if (!landed) {
        const there = await survivors[0]!.query('MATCH (p:Person {id: $id}) RETURN count(p) AS n', { id: BigInt(fresh) });
        expect(there.rows[0]!['n']).toBe(0n); // refused at the fence: nothing was written
        await survivors[0]!.query('CREATE (:Person {id: $id, name: "held"})', { id: BigInt(fresh) }, { timeoutMs: 60_000 });
      }
      for (const db of survivors) {
        const got = await db.query('MATCH (p:Person {id: $id}) RETURN p.name AS name', { id: BigInt(fresh) });
        expect(got.rows).toEqual([{ name: 'held' }]);
        expect(got.shards).toEqual([sp.into]);
        const all = await db.query('MATCH (p:Person) RETURN count(p) AS n, count(DISTINCT p.id) AS d');
        expect(all.rows[0]!['n']).toBe(all.rows[0]!['d']);
        const grown = await db.query('MATCH (p:Person) WHERE p.id >= 20000 AND p.id < 30000 RETURN count(p) AS n');
        expect(Number(grown.rows[0]!['n'])).toBeGreaterThanOrEqual(acked);
        expect(Number(grown.rows[0]!['n'])).toBeLessThanOrEqual(acked + unknown);
      }
    } finally {
      release();
      for (const p of peers) p.cluster!.sharding!.manager.splitHook = undefined;
    }
  }, 200_000);
});
