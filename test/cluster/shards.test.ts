/**
 * Real processes, sharded: a relay and five Node peers (`openGeode` with file storage) of one
 * cluster configured with three shards of three replicas each. The LDBC sample is loaded through
 * the bulk import, split by the shard map; queries through several peers (a pruned lookup, a
 * scatter-gather count, a two-hop traversal across shards, a top-k ORDER BY LIMIT) answer what one
 * embedded database holding the same data answers; a write spanning shards, sent through a peer
 * that leads none of them, commits on all of them (two-phase commit between the processes). Then the peer leading the most shards is
 * SIGKILLed: the queries keep answering correctly through the others (the time to the first correct
 * answer after the kill is printed), and placement re-creates the dead peer's replicas on the
 * peers that held none, so every shard has three voters again, none of them the dead peer.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeode } from '../../src/index.ts';
import { importLdbcFolder } from '../../packages/cli/src/import/importer.ts';
import { PeerProc, RelayProc, REPO, removeDir, tempDir, until } from './harness.ts';

const LDBC = resolve(REPO, '..', 'shared', 'ldbc-snb-sf-tiny');
const cluster = { cluster: 'shards-real', secret: 'sharded-secret' };
const config = {
  sharding: { shards: 3, labels: { Person: { strategy: 'hash', key: 'id' } }, fail_after_ms: 2_000 },
  replication: { factor: 3 },
};

interface ShardRowAnswer {
  readonly shard: number;
  readonly leader: string | null;
  readonly replicas: string[];
}

const QUERIES: readonly [string, string][] = [
  ['pruned lookup', 'MATCH (p:Person {id: 8796093022220}) RETURN p.firstName AS first, p.lastName AS last'],
  ['scatter-gather count', 'MATCH (p:Person) RETURN count(p) AS n'],
  ['two hops across shards', 'MATCH (a:Person {id: 8796093022220})-[:KNOWS]-(b:Person)-[:KNOWS]-(c:Person) RETURN count(DISTINCT c) AS n'],
  ['top-k ORDER BY LIMIT', 'MATCH (p:Person) RETURN p.id AS id, p.firstName AS first ORDER BY p.id DESC LIMIT 5'],
];

const json = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

describe.skipIf(!existsSync(LDBC))('a sharded cluster of five processes with the LDBC sample', () => {
  let relay: RelayProc;
  const peers: PeerProc[] = [];
  const dirs: string[] = [];
  const want = new Map<string, string>();

  beforeAll(async () => {
    const local = await openGeode({ storage: 'memory' });
    await importLdbcFolder(local, LDBC, { fileStarted: () => {}, fileProgress: () => {}, fileFinished: () => {} });
    for (const [, q] of QUERIES) want.set(q, json((await local.query(q)).rows));
    await local.close();

    relay = await RelayProc.start();
    const start = (i: number): Promise<PeerProc> => {
      const data = tempDir(`geode-shards-${i}-`);
      dirs.push(data);
      return PeerProc.start(`peer${i}`, { data, relays: [relay.tcp()], ...cluster, bootstrap: i === 0, config });
    };
    // One at a time: five processes starting at once on a busy machine can take longer than the harness waits.
    for (let i = 0; i < 5; i++) peers.push(await start(i));
    let last = '';
    await until(
      async () => {
        const a = await peers[0]!.request({ op: 'shards' });
        const rows = a['rows'] as ShardRowAnswer[];
        last = json(rows);
        return rows.length === 3 && rows.every((r) => r.replicas.length === 3 && r.leader !== null) ? true : undefined;
      },
      90_000,
      'three shards with three voters and a leader each',
      200,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last shards(): ${last}`);
    });
    const imported = await peers[1]!.request({ op: 'importLdbc', folder: LDBC });
    expect(imported['ok'], String(imported['message'])).toBe(true);
    expect(imported['nodes']).toBeGreaterThan(30_000);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(peers.map((p) => p.stop().catch(() => {})));
    relay?.child.kill('SIGKILL');
    for (const d of dirs) removeDir(d);
  });

  async function check(peer: PeerProc): Promise<void> {
    for (const [name, q] of QUERIES) {
      const a = await peer.query(q, {}, { timeoutMs: 10_000 });
      expect(a.ok, `${name} through ${peer.name}: ${a.ok ? '' : a.message}`).toBe(true);
      if (a.ok) expect(json(a.rows), `${name} through ${peer.name}`).toBe(want.get(q));
    }
  }

  it('answers as one database does, through any peer', async () => {
    for (const p of peers.slice(1, 4)) await check(p);
  }, 60_000);

  it('commits a write spanning shards on all of them, sent through a peer that leads no shard', async () => {
    const rows = (await peers[0]!.request({ op: 'shards' }))['rows'] as ShardRowAnswer[];
    const leaders = new Set(rows.map((r) => r.leader));
    const via = peers.find((p) => !leaders.has(p.self))!;
    // 16 new nodes hashed by their ids over three shards, edges between them: a statement on several shards.
    const w = await via.query('UNWIND range(1, 8) AS i CREATE (:Probe {k: i})-[:LINK]->(:Probe {k: i + 100})', {}, { timeoutMs: 20_000 });
    expect(w.ok, w.ok ? '' : w.message).toBe(true);
    expect((w as unknown as { shards: number[] }).shards.length).toBeGreaterThan(1);
    for (const p of [peers[0]!, via]) {
      const r = await p.query('MATCH (a:Probe)-[:LINK]->(b:Probe) RETURN count(*) AS n, sum(b.k - a.k) AS d', {}, { timeoutMs: 10_000 });
      expect(r.ok && json(r.rows), p.name).toBe(json([{ n: 8n, d: 800n }]));
    }
  }, 60_000);

  it('keeps answering when the peer leading the most shards is SIGKILLed, and re-creates its replicas elsewhere', async () => {
    const rows = (await peers[0]!.request({ op: 'shards' }))['rows'] as ShardRowAnswer[];
    const leads = new Map<string, number>();
    for (const r of rows) if (r.leader !== null) leads.set(r.leader, (leads.get(r.leader) ?? 0) + 1);
    const victimId = [...leads].sort((a, b) => b[1] - a[1])[0]![0];
    const victim = peers.find((p) => p.self === victimId)!;
    const survivors = peers.filter((p) => p !== victim);
    const held = rows.filter((r) => r.replicas.includes(victimId)).map((r) => r.shard);

    await victim.sigkill();
    const killedAt = Date.now();
    // Every query answers correctly through a survivor (retried while leaders are elected).
    const firstCorrect: number[] = [];
    for (const [name, q] of QUERIES) {
      await until(
        async () => {
          const a = await survivors[0]!.query(q, {}, { timeoutMs: 5_000 });
          return a.ok && json(a.rows) === want.get(q) ? true : undefined;
        },
        30_000,
        `${name} after the kill`,
        20,
      );
      firstCorrect.push(Date.now() - killedAt);
    }
    process.stderr.write(`shards.test: ${victim.name} (led ${leads.get(victimId)} shards) killed; queries correct again after ${firstCorrect.join(', ')} ms\n`);

    // Placement: every shard back to three voters on live peers.
    const ids = new Set(survivors.map((p) => p.self));
    let lastRows = '';
    const after = await until(
      async () => {
        const r = (await survivors[1]!.request({ op: 'shards' }))['rows'] as ShardRowAnswer[];
        lastRows = json(r);
        return r.length === 3 && r.every((s) => s.replicas.length === 3 && s.replicas.every((x) => ids.has(x)) && s.leader !== null && ids.has(s.leader)) ? r : undefined;
      },
      60_000,
      "the dead peer's replicas re-created elsewhere",
      200,
    ).catch(async (err: unknown) => {
      const logs = survivors.map((p) => `${p.name} (${p.self}):\n${p.child.stderr.slice(-15).join('\n')}`).join('\n');
      const debug = await Promise.all(survivors.map((p) => p.request({ op: 'shardDebug' }).then(json, (e: unknown) => String(e))));
      process.stderr.write(`shards.test: shardDebug of the survivors:\n${debug.join('\n')}\n`);
      throw new Error(`${String(err)}; victim ${victimId}; last shards(): ${lastRows}\n${logs}`);
    });
    for (const s of held) expect(after.find((r) => r.shard === s)!.replicas).not.toContain(victimId);
    for (const p of survivors.slice(0, 3)) await check(p);
  }, 120_000);
});
