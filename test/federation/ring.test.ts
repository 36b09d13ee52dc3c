/**
 * Issue 9 on real processes: three clusters (us, eu, ap) of PEERS_PER_CLUSTER Node peers each
 * (file storage, one relay for all), federated in a one-way ring us → eu → ap → us. The link
 * us → eu is cut for CUT_MS while both sides write, including conflicting writes to the same
 * properties; then healed. Checked: during the cut eu's leader reports the link in
 * `db.cluster.replicationLag()` above `replication_lag_threshold_ms` and warns; after healing all
 * three clusters hold identical graphs, each conflict won by the later write. The time from the
 * heal to identical graphs is printed (not asserted: timing belongs in benchmarks); about 1 s
 * on the 2-core development machine. The whole test takes about 65 s (nine processes start in
 * about 12 s). `FED_RING_PEERS` and `FED_RING_CUT_MS` change the sizes for a quicker local run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PeerProc, RelayProc, removeDir, tempDir, until } from '../cluster/harness.ts';
import { canonical, planPeer, VIEW_EDGES, VIEW_NODES, type PlannedPeer } from './fed-helpers.ts';

const PEERS_PER_CLUSTER = Number(process.env['FED_RING_PEERS'] ?? 3);
const CUT_MS = Number(process.env['FED_RING_CUT_MS'] ?? 30_000);
const THRESHOLD_MS = 5_000;
/** A busy machine can take long to start a process (tsx, libp2p): generous. */
const START_TIMEOUT_MS = 120_000;
const CLUSTERS = ['us', 'eu', 'ap'] as const;
type ClusterName = (typeof CLUSTERS)[number];
/** Each cluster pulls from the one before it: us → eu → ap → us. */
const UPSTREAM: Record<ClusterName, ClusterName> = { us: 'ap', eu: 'us', ap: 'eu' };

describe('three federated clusters in a ring (real processes)', () => {
  const dirs: string[] = [];
  const procs: PeerProc[] = [];
  let relay: RelayProc | undefined;

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.sigkill()));
    relay?.child.kill('SIGKILL');
    await relay?.child.exited;
    for (const d of dirs) removeDir(d);
  });

  async function leaderOf(peers: readonly PeerProc[]): Promise<PeerProc> {
    return until(
      async () => {
        for (const p of peers) if ((await p.status()).isLeader) return p;
        return undefined;
      },
      30_000,
      'a leader',
      100,
    );
  }

  /** A write retried across leader changes (each statement is idempotent: MERGE or SET). */
  async function write(peers: readonly PeerProc[], text: string, params: Record<string, unknown> = {}): Promise<void> {
    await until(
      async () => {
        const r = await peers[0]!.query(text, params, { timeoutMs: 5_000 });
        return r.ok ? true : undefined;
      },
      30_000,
      `write ${text}`,
      100,
    );
  }

  async function view(p: PeerProc): Promise<string> {
    const n = await p.query(VIEW_NODES);
    const e = await p.query(VIEW_EDGES);
    if (!n.ok || !e.ok) return `unreadable: ${JSON.stringify(n.ok ? e : n)}`;
    return `${canonical(n.rows)}\n--\n${canonical(e.rows)}`;
  }

  it('a link cut with writes on both sides heals to identical graphs; the lag passes the threshold and warns meanwhile', async () => {
    relay = await RelayProc.start();
    const plan = new Map<ClusterName, PlannedPeer[]>();
    for (const c of CLUSTERS) plan.set(c, await Promise.all(Array.from({ length: PEERS_PER_CLUSTER }, () => planPeer())));
    const clusters = new Map<ClusterName, PeerProc[]>();
    const start = async (c: ClusterName, i: number): Promise<PeerProc> => {
      const me = plan.get(c)![i]!;
      const data = tempDir(`geode-fed-${c}${i}-`);
      dirs.push(data);
      writeFileSync(join(data, 'peer.key'), me.key, { mode: 0o600 });
      const up = UPSTREAM[c];
      const config = {
        replication: { factor: PEERS_PER_CLUSTER },
        request_timeout_ms: 5_000,
        federation: {
          enabled: true,
          cluster_id: c,
          peers: [{ address: plan.get(up)!.map((p) => p.addr), cluster_id: up, async: true }],
          conflict_resolution: 'last-write-wins',
          replication_lag_threshold_ms: THRESHOLD_MS,
        },
      };
      const p = await PeerProc.start(`${c}${i}`, { data, relays: [relay!.tcp()], cluster: c, secret: `${c}-secret`, bootstrap: i === 0, config, listen: [`/ip4/127.0.0.1/tcp/${me.port}`] }, START_TIMEOUT_MS);
      procs.push(p);
      return p;
    };
    // Three processes at a time (one per cluster): founders first, then the others, row by row.
    for (const c of CLUSTERS) clusters.set(c, []);
    for (let i = 0; i < PEERS_PER_CLUSTER; i++) {
      const row = await Promise.all(CLUSTERS.map((c) => start(c, i)));
      CLUSTERS.forEach((c, j) => clusters.get(c)!.push(row[j]!));
    }
    for (const c of CLUSTERS) {
      const founder = clusters.get(c)![0]!;
      await until(async () => ((await founder.status()).voters === PEERS_PER_CLUSTER ? true : undefined), 60_000, `${c}: ${PEERS_PER_CLUSTER} voters`, 100);
    }

    // Before the cut: a node per cluster, two shared nodes every cluster will write, an edge.
    for (const c of CLUSTERS) await write(clusters.get(c)!, 'MERGE (:Site {k: $k, name: $k})', { k: c });
    await write(clusters.get('us')!, "MERGE (a:Item {k: 'x'}) MERGE (b:Item {k: 'y'}) MERGE (a)-[:NEXT]->(b)");
    const identical = async (): Promise<string | undefined> => {
      const views = await Promise.all(CLUSTERS.map(async (c) => view(await leaderOf(clusters.get(c)!))));
      return views.every((v) => v === views[0]) ? views[0] : undefined;
    };
    const before = await until(identical, 60_000, 'the three clusters identical before the cut', 200);
    expect(before).toContain('"k":"x"');

    // Cut us → eu on every peer of both clusters.
    await Promise.all([...clusters.get('eu')!.map((p) => p.request({ op: 'fedCut', cluster: 'us', cut: true })), ...clusters.get('us')!.map((p) => p.request({ op: 'fedCut', cluster: 'eu', cut: true }))]);
    const cutAt = Date.now();
    // Both sides write while cut; conflicts: us writes x.v first and eu later (eu's wins), then
    // eu writes y.v first and us later (us's wins).
    let n = 0;
    await write(clusters.get('us')!, "MATCH (n:Item {k: 'x'}) SET n.v = 'us-early'");
    await new Promise((r) => setTimeout(r, 50));
    await write(clusters.get('eu')!, "MATCH (n:Item {k: 'x'}) SET n.v = 'eu-late'");
    await write(clusters.get('eu')!, "MATCH (n:Item {k: 'y'}) SET n.v = 'eu-early'");
    await new Promise((r) => setTimeout(r, 50));
    await write(clusters.get('us')!, "MATCH (n:Item {k: 'y'}) SET n.v = 'us-late'");
    let sawLag = false;
    while (Date.now() - cutAt < CUT_MS) {
      n++;
      await write(clusters.get('us')!, 'MERGE (w:W {k: $k}) SET w.by = $by', { k: `us-${n}`, by: 'us' });
      await write(clusters.get('eu')!, 'MERGE (w:W {k: $k}) SET w.by = $by', { k: `eu-${n}`, by: 'eu' });
      if (!sawLag && Date.now() - cutAt > THRESHOLD_MS + 1_000) {
        const leader = await leaderOf(clusters.get('eu')!);
        const r = await leader.query("CALL db.cluster.replicationLag() YIELD peer, ms_behind, source WHERE source = 'federation' RETURN peer, ms_behind", {}, { readQuorum: 1 });
        expect(r.ok, r.ok ? '' : r.message).toBe(true);
        if (r.ok) {
          const row = r.rows.find((x) => x['peer'] === 'us');
          expect(row, 'a federation row for us').toBeDefined();
          sawLag = Number(row!['ms_behind']) > THRESHOLD_MS;
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(sawLag, 'eu reported the link from us above the threshold during the cut').toBe(true);
    const warned = clusters.get('eu')!.some((p) => p.child.stderr.some((l) => l.includes('federation: the link from cluster us to eu is')));
    expect(warned, 'an eu peer warned that the link from us passed the threshold').toBe(true);
    // While cut, eu has none of us's writes made during the cut.
    const euView = await view(await leaderOf(clusters.get('eu')!));
    expect(euView).not.toContain('us-1"');

    // Heal; then identical graphs.
    await Promise.all([...clusters.get('eu')!.map((p) => p.request({ op: 'fedCut', cluster: 'us', cut: false })), ...clusters.get('us')!.map((p) => p.request({ op: 'fedCut', cluster: 'eu', cut: false }))]);
    const healedAt = Date.now();
    const after = await until(identical, 60_000, 'the three clusters identical after the heal', 100);
    const convergedMs = Date.now() - healedAt;
    process.stderr.write(`federation ring: ${PEERS_PER_CLUSTER} peers per cluster, cut ${CUT_MS} ms, ${n} writes per side, identical ${convergedMs} ms after the heal\n`);
    expect(after).toContain('"v":"eu-late"');
    expect(after).toContain('"v":"us-late"');
    for (let i = 1; i <= n; i++) {
      expect(after).toContain(`"k":"us-${i}"`);
      expect(after).toContain(`"k":"eu-${i}"`);
    }
    expect(after).toContain('"type":"NEXT"');
    // The lag is back under the threshold and the warning cleared.
    await until(
      async () => {
        const r = await (await leaderOf(clusters.get('eu')!)).request({ op: 'fedLag' });
        const links = (r['links'] ?? []) as { cluster: string; msBehind: number }[];
        return links.some((l) => l.cluster === 'us' && l.msBehind <= THRESHOLD_MS) ? true : undefined;
      },
      30_000,
      'the link from us caught up',
      200,
    );
    // Every peer of a cluster holds its cluster's graph (replicated by the cluster's Raft log).
    for (const c of CLUSTERS) for (const p of clusters.get(c)!) await until(async () => ((await view(p)) === after ? true : undefined), 30_000, `${p.name} holds the merged graph`, 200);
  }, 300_000);
});
