/**
 * Federation catch-up and durability, with two one-peer clusters in this process (file storage,
 * libp2p on loopback), eu replicating from us:
 * - after a cut longer than us keeps its log (`raft.snapshot_threshold` 50, no log retained behind
 *   a snapshot), eu catches up from us's snapshot and then its tail;
 * - with `federation.log_retain_entries` covering the cut, from us's log alone (only the changes
 *   made during the cut travel, not the whole graph);
 * - eu's cursor is in its replicated graph: restarted on its data, it resumes from it and does
 *   not pull us's stream from the start again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openGeode, type Geode } from '../../src/node.ts';
import { MetricsRegistry, registerClusterMetrics } from '../../src/cluster/index.ts';
import { removeDir, tempDir } from '../cluster/harness.ts';
import { until } from '../cluster/in-process-helpers.ts';
import { canonical, planPeer, VIEW_NODES, type PlannedPeer } from './fed-helpers.ts';

describe('federation catch-up', () => {
  const dirs: string[] = [];
  const open: Geode[] = [];
  afterAll(async () => {
    for (const db of open) await db.close().catch(() => {});
    for (const d of dirs) removeDir(d);
  });

  async function start(id: string, me: PlannedPeer, dir: string, upstream?: { id: string; peer: PlannedPeer }, retain = 0): Promise<Geode> {
    const db = await openGeode({
      storage: `file:${dir}`,
      cluster: {
        id,
        secret: `${id}-secret`,
        bootstrap: true,
        key: me.key,
        listen: [`/ip4/127.0.0.1/tcp/${me.port}`],
        config: {
          replication: { factor: 1 },
          raft: { snapshot_threshold: 50 },
          federation: { enabled: true, cluster_id: id, log_retain_entries: retain, peers: upstream === undefined ? [] : [{ address: upstream.peer.addr, cluster_id: upstream.id, async: true }] },
        },
      },
    });
    open.push(db);
    return db;
  }

  const nodes = async (db: Geode): Promise<string> => canonical((await db.query(VIEW_NODES, {}, { readQuorum: 1 })).rows);

  it('catches up from the snapshot when the log behind its cursor was compacted, and resumes from its durable cursor after a restart', async () => {
    const [usPeer, euPeer] = [await planPeer(), await planPeer()];
    const usDir = tempDir('geode-fed-us-');
    const euDir = tempDir('geode-fed-eu-');
    dirs.push(usDir, euDir);
    const us = await start('us', usPeer, usDir);
    let eu = await start('eu', euPeer, euDir, { id: 'us', peer: usPeer });
    for (let i = 0; i < 20; i++) await us.query('CREATE (:W {k: $k})', { k: `a${i}` });
    await until('eu has us’s first writes', async () => (await nodes(eu)) === (await nodes(us)));

    eu.cluster!.federation!.cut('us', true);
    for (let i = 0; i < 200; i++) await us.query('CREATE (:W {k: $k})', { k: `b${i}` });
    await us.query("MATCH (w:W {k: 'a3'}) SET w.v = 'changed while cut'");
    await us.query("MATCH (w:W {k: 'a4'}) DETACH DELETE w");
    for (let i = 0; i < 10; i++) await us.query('CREATE (:W {k: $k})', { k: `c${i}` }); // a tail after us's last snapshot
    eu.cluster!.federation!.cut('us', false);
    await until('eu caught up with us', async () => (await nodes(eu)) === (await nodes(us)));
    const link = eu.cluster!.federation!.lag().find((l) => l.cluster === 'us')!;
    expect(link.snapshotChunks).toBeGreaterThan(0);
    expect(await nodes(eu)).toContain('changed while cut');
    expect(await nodes(eu)).not.toContain('"k":"a4"');
    const rows = (await eu.query("CALL db.cluster.replicationLag() YIELD peer, role, match_index, entries_behind, source WHERE source = 'federation' RETURN *", {}, { readQuorum: 1 })).rows;
    expect(rows).toEqual([{ peer: 'us', role: 'federation', match_index: BigInt(link.cursor), entries_behind: BigInt(link.entriesBehind), source: 'federation' }]);
    const metrics = new MetricsRegistry();
    registerClusterMetrics(metrics, { host: eu.cluster!.host!, federation: eu.cluster!.federation! });
    expect(metrics.render()).toMatch(/^replication_lag_ms\{federation="us"\} \d+$/m);

    // Restart eu on its data: the cursor comes back from its log, so us's stream is not pulled again from the start.
    await us.query("CREATE (:W {k: 'before restart'})");
    await until('eu has the last write', async () => (await nodes(eu)) === (await nodes(us)));
    const cursor = eu.cluster!.federation!.lag().find((l) => l.cluster === 'us')!.cursor;
    await eu.close();
    open.splice(open.indexOf(eu), 1);
    eu = await start('eu', euPeer, euDir, { id: 'us', peer: usPeer });
    await us.query("CREATE (:W {k: 'after restart'})");
    await until('eu has the write made after its restart', async () => (await nodes(eu)) === (await nodes(us)));
    const again = eu.cluster!.federation!.lag().find((l) => l.cluster === 'us')!;
    expect(again.cursor).toBeGreaterThan(cursor);
    expect(again.snapshotChunks).toBe(0);
    expect(again.recordsReceived).toBeLessThan(10);
  });

  it('catches up from the log alone when it keeps the entries behind its snapshots (only the changes travel)', async () => {
    const [usPeer, euPeer] = [await planPeer(), await planPeer()];
    const usDir = tempDir('geode-fed-us2-');
    const euDir = tempDir('geode-fed-eu2-');
    dirs.push(usDir, euDir);
    const us = await start('us', usPeer, usDir, undefined, 1_000);
    const eu = await start('eu', euPeer, euDir, { id: 'us', peer: usPeer });
    for (let i = 0; i < 20; i++) await us.query('CREATE (:W {k: $k})', { k: `a${i}` });
    await until('eu has us’s first writes', async () => (await nodes(eu)) === (await nodes(us)));
    const before = eu.cluster!.federation!.lag().find((l) => l.cluster === 'us')!;

    eu.cluster!.federation!.cut('us', true);
    for (let i = 0; i < 200; i++) await us.query('CREATE (:W {k: $k})', { k: `b${i}` }); // four snapshots of us
    await us.query("MATCH (w:W {k: 'a3'}) SET w.v = 'changed while cut'");
    await us.query("MATCH (w:W {k: 'a4'}) DETACH DELETE w");
    eu.cluster!.federation!.cut('us', false);
    await until('eu caught up with us', async () => (await nodes(eu)) === (await nodes(us)));
    const link = eu.cluster!.federation!.lag().find((l) => l.cluster === 'us')!;
    expect(link.snapshotChunks).toBe(0);
    expect(link.recordsReceived - before.recordsReceived).toBe(202); // the 202 statements' records, not the graph's 219
    expect(await nodes(eu)).toContain('changed while cut');
    expect(await nodes(eu)).not.toContain('"k":"a4"');
  });
});
