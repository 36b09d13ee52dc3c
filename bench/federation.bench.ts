/**
 * Federation benchmark on loopback: clusters of ONE peer each (a 2-core machine cannot host
 * three 3-peer clusters and still measure them), each in its own process
 * (test/cluster/peer-process.ts, file storage, fsync on), writes made inside the origin's process:
 *
 * 1. Write-throughput cost of federation on the origin: `CREATE (:B {k})` at concurrency 64 for
 *    `--ms` on a cluster without federation, then on `us` with federation on and nobody pulling
 *    (the cost of stamping), then with `eu` pulling from it (serving, and eu's merging on the
 *    same two cores).
 * 2. Cross-cluster lag at `--rate` writes/s (default 1,000) for `--lag-ms`: per change, the time
 *    from its stamp at the origin (hybrid timestamp, taken before the commit) to its merge being
 *    committed in `eu` (same machine, same clock).
 * 3. Catch-up: `eu`'s link from `us` is cut for `--cut-ms` (default 60,000) while `us` writes at
 *    `--rate`; then healed: changes made during the cut / time until `eu`'s cursor reaches `us`'s
 *    applied index (its log is compacted every 10,000 entries, so this goes through a snapshot:
 *    the whole graph's records travel, `catchup_records_per_s`).
 *
 * Progress on stderr; the LAST stdout line is one JSON object.
 *
 *   npm run bench:federation
 *   npx tsx bench/federation.bench.ts --cut-ms 20000 --ms 3000
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PeerProc, removeDir, tempDir, until } from '../test/cluster/harness.ts';
import { planPeer, type PlannedPeer } from '../test/federation/fed-helpers.ts';
import { numberArg as arg, quantile } from './bench-util.ts';

const MS = arg('ms', 5_000);
const RATE = arg('rate', 1_000);
const LAG_MS = arg('lag-ms', 10_000);
const CUT_MS = arg('cut-ms', 60_000);
const log = (m: string): void => {
  process.stderr.write(`${m}\n`);
};
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

const dirs: string[] = [];
const procs: PeerProc[] = [];

async function start(name: string, me: PlannedPeer, federation: Record<string, unknown> | undefined): Promise<PeerProc> {
  const data = tempDir(`geode-benchfed-${name}-`);
  dirs.push(data);
  writeFileSync(join(data, 'peer.key'), me.key, { mode: 0o600 });
  const config = { replication: { factor: 1 }, ...(federation === undefined ? {} : { federation }) };
  const p = await PeerProc.start(name, { data, relays: [], cluster: name, secret: `${name}-secret`, bootstrap: true, config, listen: [`/ip4/127.0.0.1/tcp/${me.port}`] });
  procs.push(p);
  await until(async () => ((await p.status()).isLeader ? true : undefined), 30_000, `${name} leads`);
  return p;
}

interface LoadAnswer {
  readonly ok: boolean;
  readonly acked: number;
  readonly elapsedMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function load(p: PeerProc, rate: number, ms: number, concurrency: number, prefix: string): Promise<LoadAnswer> {
  const a = (await p.request({ op: 'load', rate, ms, concurrency, prefix })) as unknown as LoadAnswer;
  if (!a.ok) throw new Error(`${p.name} load failed: ${JSON.stringify(a)}`);
  return a;
}

interface LinkRow {
  readonly cluster: string;
  readonly cursor: number;
  readonly entriesBehind: number;
  readonly snapshotChunks: number;
  readonly recordsReceived: number;
  readonly connected: boolean;
}

async function euLink(eu: PeerProc): Promise<LinkRow | undefined> {
  const r = await eu.request({ op: 'fedLag' });
  return ((r['links'] ?? []) as LinkRow[]).find((l) => l.cluster === 'us');
}

/** Waits until eu merged everything us applied. */
async function caughtUp(us: PeerProc, eu: PeerProc, what: string): Promise<void> {
  const target = (await us.status()).applied;
  await until(async () => {
    const l = await euLink(eu);
    return l !== undefined && l.cursor >= target ? true : undefined;
  }, 600_000, what, 20);
}

try {
  const [basePeer, usPeer, euPeer] = [await planPeer(), await planPeer(), await planPeer()];
  const base = await start('base', basePeer, undefined);
  const us = await start('us', usPeer, { enabled: true, cluster_id: 'us' });
  const eu = await start('eu', euPeer, { enabled: true, cluster_id: 'eu', peers: [{ address: usPeer.addr, cluster_id: 'us', async: true }] });

  // 1. Throughput with and without federation.
  await load(base, 0, 1_000, 64, 'w');
  const without = await load(base, 0, MS, 64, 'a');
  await base.stop();
  await load(us, 0, 1_000, 64, 'w');
  await eu.request({ op: 'fedCut', cluster: 'us', cut: true });
  const stampedOnly = await load(us, 0, MS, 64, 's');
  await eu.request({ op: 'fedCut', cluster: 'us', cut: false });
  await caughtUp(us, eu, 'eu caught up');
  const withFed = await load(us, 0, MS, 64, 'a');
  const w0 = (without.acked * 1000) / without.elapsedMs;
  const w1 = (withFed.acked * 1000) / withFed.elapsedMs;
  const ws = (stampedOnly.acked * 1000) / stampedOnly.elapsedMs;
  log(`throughput: ${round(w0)} writes/s without federation, ${round(ws)} with federation and no cluster pulling, ${round(w1)} with eu pulling (eu's process shares the cores)`);
  await caughtUp(us, eu, 'eu caught up after the throughput runs');

  // 2. Cross-cluster lag at RATE writes/s.
  await eu.request({ op: 'fedSamples' });
  const paced = await load(us, RATE, LAG_MS, 32, 'l');
  await new Promise((r) => setTimeout(r, 1_000));
  const samples = ((await eu.request({ op: 'fedSamples' }))['samples'] as number[]).sort((a, b) => a - b);
  log(`lag: ${samples.length} changes at ${round((paced.acked * 1000) / paced.elapsedMs)} writes/s: p50 ${quantile(samples, 0.5)} ms, p99 ${quantile(samples, 0.99)} ms`);

  // 3. Catch-up after a cut.
  await eu.request({ op: 'fedCut', cluster: 'us', cut: true });
  log(`cut for ${CUT_MS} ms, writing at ${RATE}/s`);
  const during = await load(us, RATE, CUT_MS, 32, 'c');
  const before = (await euLink(eu))!;
  const healedAt = performance.now();
  await eu.request({ op: 'fedCut', cluster: 'us', cut: false });
  await caughtUp(us, eu, 'eu caught up after the cut');
  const catchupMs = performance.now() - healedAt;
  const after = (await euLink(eu))!;
  const nodes = await eu.query('MATCH (b:B) RETURN count(b) AS n', {}, { readQuorum: 1 });
  log(`catch-up: ${during.acked} changes in ${round(catchupMs)} ms (${after.snapshotChunks - before.snapshotChunks} snapshot chunks); eu holds ${nodes.ok ? String(nodes.rows[0]!['n']) : '?'} :B nodes`);

  const out = {
    lag_p50_ms: round(quantile(samples, 0.5)),
    lag_p99_ms: round(quantile(samples, 0.99)),
    lag_changes: samples.length,
    lag_writes_per_s: round((paced.acked * 1000) / paced.elapsedMs),
    catchup_changes: during.acked,
    catchup_ms: round(catchupMs),
    catchup_changes_per_s: round((during.acked * 1000) / catchupMs),
    catchup_snapshot_chunks: after.snapshotChunks - before.snapshotChunks,
    catchup_records_per_s: round(((after.recordsReceived - before.recordsReceived) * 1000) / catchupMs),
    writes_per_s_without_federation: round(w0),
    writes_per_s_with_federation: round(w1),
    federation_cost_pct: round((100 * (w0 - w1)) / w0),
    writes_per_s_stamped_no_downstream: round(ws),
    stamping_cost_pct: round((100 * (w0 - ws)) / w0),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await Promise.all(procs.map((p) => p.sigkill()));
  for (const d of dirs) removeDir(d);
}
