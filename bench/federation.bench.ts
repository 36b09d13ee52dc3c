/**
 * Federation benchmark on loopback: clusters of ONE peer each (a 2-core machine cannot host
 * three 3-peer clusters and still measure them), each in its own process
 * (test/cluster/peer-process.ts, file storage, fsync on), writes made inside the origin's process:
 *
 * 1. Write-throughput cost of federation on the origin: `CREATE (:B {k})` at concurrency 64 for
 *    `--ms` on a cluster without federation, then on `us` with federation on and nobody pulling
 *    (the cost of stamping), then with `eu` pulling from it (serving). Twice: with the origin's
 *    process (and the cluster without federation) pinned to CPU 0 and eu's to CPU 1 (`taskset`;
 *    the clusters of a federation run on different machines: this is the cost ON THE ORIGIN,
 *    `federation_cost_pct`), and with every process on both cores (eu's merging then takes the
 *    origin's CPU too: `federation_cost_shared_cores_pct`). Without `taskset` or with one core,
 *    only the second.
 * 2. Cross-cluster lag at `--rate` writes/s (default 1,000) for `--lag-ms`: per change, the time
 *    from its stamp at the origin (hybrid timestamp, taken before the commit) to its merge being
 *    committed in `eu` (same machine, same clock).
 * 3. Catch-up: `eu`'s link from `us` is cut for `--cut-ms` (default 60,000) while `us` writes at
 *    `--rate`; then healed: changes made during the cut / time until `eu`'s cursor reaches `us`'s
 *    applied index (`us` snapshots every 10,000 entries but keeps `federation.log_retain_entries`,
 *    100,000, behind each: the tail travels, `catchup_snapshot_chunks` 0).
 *
 * Every throughput measure runs on fresh clusters (same graph sizes); `uptime`'s load is printed
 * with the figures (a shared machine moves them by tens of percent). Before each, the origin's
 * process CPU per write at a fixed rate (`--cpu-rate`, `cpu_us_per_write_*`, pinned): the
 * load-robust figure, and `federation_cpu_cost_pct`, the throughput a saturated core loses to it.
 *
 * Progress on stderr; the LAST stdout line is one JSON object.
 *
 *   npm run bench:federation
 *   npx tsx bench/federation.bench.ts --cut-ms 20000 --ms 3000
 *   npx tsx bench/federation.bench.ts --cost-only 1 --rounds 3   # the cost figures only, median of 3
 *   npx tsx bench/federation.bench.ts --cost-only 1 --rounds 3 --origin-peers 3   # the same, a 3-peer origin
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { PeerProc, RelayProc, removeDir, tempDir, until } from '../test/cluster/harness.ts';
import { planPeer, type PlannedPeer } from '../test/federation/fed-helpers.ts';
import { numberArg as arg, quantile } from './bench-util.ts';

const MS = arg('ms', 5_000);
const RATE = arg('rate', 1_000);
const LAG_MS = arg('lag-ms', 10_000);
const CUT_MS = arg('cut-ms', 60_000);
/** `--cost-only 1`: only the throughput measures (pinned, then shared cores), no lag or catch-up. */
const COST_ONLY = arg('cost-only', 0) !== 0;
/** `--rounds N`: the pinned throughput measures N times (fresh clusters each), figures the median. */
const ROUNDS = Math.max(1, Math.floor(arg('rounds', 1)));
/**
 * `--cpu-rate R` (default 8,000; 0: none): before each throughput measure, the origin writes at R
 * writes/s for `--ms` (after 1 s at R) and its process CPU per write is taken: every cluster then
 * does the same writes into graphs of the same sizes (a single-peer cluster's snapshots cost in
 * proportion to its graph, so an unpaced run that wrote more pays more per write), and CPU time
 * moves far less with the machine's load than a rate does.
 */
const CPU_RATE = arg('cpu-rate', 8_000);
/**
 * `--origin-peers N` (1 or 3, default 1): the origin cluster (and the cluster without federation)
 * of N peers. With 3 the origin's peers share CPU 0 when pinned, the writes run on its leader,
 * `eu` pulls from one of its followers (any member serves the change stream), and the CPU figures
 * are the origin's three processes'. One peer shows federation's relative cost at its largest
 * (its write is cheapest); three is the cluster the issue's clusters are made of.
 */
const ORIGIN_PEERS = arg('origin-peers', 1);
if (ORIGIN_PEERS !== 1 && ORIGIN_PEERS !== 3) throw new Error('--origin-peers must be 1 or 3');
const log = (m: string): void => {
  process.stderr.write(`${m}\n`);
};
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const cost = (without: number, withFed: number): number => round((100 * (without - withFed)) / without);

const dirs: string[] = [];
const procs: PeerProc[] = [];

/** A cluster of the benchmark: its processes and the one that leads. */
interface BenchCluster {
  readonly leader: PeerProc;
  readonly peers: readonly PeerProc[];
}

/** The relay the peers of a cluster of several find each other through (started once, when needed). */
let relay: RelayProc | undefined;

/** start: a cluster `name` of `planned.length` peers (the first founds it), waited until one leads with all voters. */
async function start(name: string, planned: readonly PlannedPeer[], federation: Record<string, unknown> | undefined): Promise<BenchCluster> {
  const n = planned.length;
  if (n > 1) relay ??= await RelayProc.start();
  const config = { replication: { factor: n }, ...(federation === undefined ? {} : { federation }) };
  const one = async (me: PlannedPeer, i: number): Promise<PeerProc> => {
    const data = tempDir(`geode-benchfed-${name}${i}-`);
    dirs.push(data);
    writeFileSync(join(data, 'peer.key'), me.key, { mode: 0o600 });
    const p = await PeerProc.start(n === 1 ? name : `${name}${i}`, { data, relays: relay === undefined || n === 1 ? [] : [relay.tcp()], cluster: name, secret: `${name}-secret`, bootstrap: i === 0, config, listen: [`/ip4/127.0.0.1/tcp/${me.port}`] });
    procs.push(p);
    return p;
  };
  const first = await one(planned[0]!, 0);
  const peers = [first, ...(await Promise.all(planned.slice(1).map((me, i) => one(me, i + 1))))];
  if (n > 1) await until(async () => ((await first.status()).voters === n ? true : undefined), 60_000, `${name}: ${n} voters`, 200);
  const leader = await until(
    async () => {
      for (const p of peers) if ((await p.status()).isLeader) return p;
      return undefined;
    },
    30_000,
    `${name} leads`,
  );
  return { leader, peers };
}

interface LoadAnswer {
  readonly ok: boolean;
  readonly acked: number;
  readonly elapsedMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** pin: the process and all its threads (and those it starts later) on `cpus` (a taskset list); false when it cannot. */
function pin(p: PeerProc, cpus: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(p.child.proc.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times. */
const clockTicks = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** cpuMs: user + system CPU time of a process so far, ms (undefined without /proc). */
function cpuMs(p: PeerProc): number | undefined {
  try {
    const stat = readFileSync(`/proc/${p.child.proc.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks; // fields 14 and 15: utime, stime
  } catch {
    return undefined;
  }
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
  // 1. Throughput with and without federation: pinned (origin on CPU 0, eu on CPU 1), then on
  // shared cores. Each of the three measures on fresh clusters, so each writes into a graph of
  // the same size (a single-peer cluster's snapshot every 10,000 writes costs in proportion to
  // its graph: a cluster measured after the others' writes would pay for them).
  const cpus = availableParallelism();
  const pinning = cpus >= 2;
  const fresh = async (tag: string, mode: 'base' | 'solo' | 'pair', pinIt: boolean): Promise<{ origin: BenchCluster; eu?: PeerProc }> => {
    const oPeers = await Promise.all(Array.from({ length: ORIGIN_PEERS }, () => planPeer()));
    const euPeer = await planPeer();
    const origin = await start(mode === 'base' ? `base-${tag.replace(/ /g, '-')}` : 'us', oPeers, mode === 'base' ? undefined : { enabled: true, cluster_id: 'us' });
    // eu pulls from a follower when there is one: serving is then off the leader that writes.
    const served = origin.peers.length === 1 ? 0 : origin.peers.findIndex((p) => p !== origin.leader);
    const eu = mode === 'pair' ? (await start('eu', [euPeer], { enabled: true, cluster_id: 'eu', peers: [{ address: oPeers[served]!.addr, cluster_id: 'us', async: true }] })).leader : undefined;
    if (pinIt && !(origin.peers.every((p) => pin(p, '0')) && (eu === undefined || pin(eu, '1')))) throw new Error('taskset failed');
    return eu === undefined ? { origin } : { origin, eu };
  };
  const stopAll = (c: BenchCluster): Promise<unknown> => Promise.all(c.peers.map((p) => p.stop()));
  const rate = (a: LoadAnswer): number => (a.acked * 1000) / a.elapsedMs;
  /** Writes/s, and the origin processes' CPU µs per acknowledged write (the load generator in its leader included): less moved by other load than the rate. */
  interface Measure {
    readonly rate: number;
    readonly cpuUs: number;
  }
  const clusterCpuMs = (c: BenchCluster): number | undefined => {
    let total = 0;
    for (const p of c.peers) {
      const ms = cpuMs(p);
      if (ms === undefined) return undefined;
      total += ms;
    }
    return total;
  };
  const measure = async (c: BenchCluster, prefix: string): Promise<Measure> => {
    const p = c.leader;
    let cpuUs = NaN;
    if (CPU_RATE > 0) {
      await load(p, CPU_RATE, 1_000, 64, `v${prefix}`);
      const c0 = clusterCpuMs(c);
      const paced = await load(p, CPU_RATE, MS, 64, `c${prefix}`);
      const c1 = clusterCpuMs(c);
      if (paced.acked < 0.95 * CPU_RATE * (MS / 1000)) log(`${p.name}: only ${round(rate(paced))} of ${CPU_RATE} writes/s paced: its CPU per write is not comparable (lower --cpu-rate)`);
      if (c0 !== undefined && c1 !== undefined) cpuUs = ((c1 - c0) * 1000) / paced.acked;
    } else await load(p, 0, 1_000, 64, `w${prefix}`);
    return { rate: rate(await load(p, 0, MS, 64, prefix)), cpuUs };
  };
  const rates = async (tag: string, pinIt: boolean): Promise<{ w0: Measure; ws: Measure; w1: Measure; us: PeerProc; usCluster: BenchCluster; eu: PeerProc }> => {
    const base = (await fresh(tag, 'base', pinIt)).origin;
    const w0 = await measure(base, 'a');
    await stopAll(base);
    const solo = (await fresh(tag, 'solo', pinIt)).origin;
    const ws = await measure(solo, 's');
    await stopAll(solo);
    const pair = await fresh(tag, 'pair', pinIt);
    const w1 = await measure(pair.origin, 'f');
    await caughtUp(pair.origin.leader, pair.eu!, 'eu caught up after the throughput run');
    log(
      `throughput (${tag}): ${round(w0.rate)} writes/s without federation, ${round(ws.rate)} with federation and no cluster pulling, ${round(w1.rate)} with eu pulling; ` +
        `origin CPU per write ${round(w0.cpuUs)} / ${round(ws.cpuUs)} / ${round(w1.cpuUs)} µs; load ${round(loadavg()[0]!, 2)}`,
    );
    return { w0, ws, w1, us: pair.origin.leader, usCluster: pair.origin, eu: pair.eu! };
  };
  const median = (xs: readonly number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  /** The pinned figures: each the median over the rounds. */
  let pinned: { w0: Measure; ws: Measure; w1: Measure } | undefined;
  if (pinning) {
    const all: { w0: Measure; ws: Measure; w1: Measure }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      try {
        const one = await rates('pinned', true);
        await Promise.all([stopAll(one.usCluster), one.eu.stop()]);
        all.push(one);
      } catch (err) {
        log(`no pinned measure (${err instanceof Error ? err.message : String(err)})`);
        break;
      }
    }
    if (all.length > 0) {
      const med = (pick: (x: { w0: Measure; ws: Measure; w1: Measure }) => Measure): Measure => ({ rate: median(all.map((x) => pick(x).rate)), cpuUs: median(all.map((x) => pick(x).cpuUs)) });
      pinned = { w0: med((x) => x.w0), ws: med((x) => x.ws), w1: med((x) => x.w1) };
    }
  }
  const shared = await rates('shared cores', false);
  const { us, eu } = shared;
  const costFigures = {
    origin_peers: ORIGIN_PEERS,
    ...(pinned === undefined
      ? {}
      : {
          writes_per_s_without_federation: round(pinned.w0.rate),
          writes_per_s_with_federation: round(pinned.w1.rate),
          federation_cost_pct: cost(pinned.w0.rate, pinned.w1.rate),
          writes_per_s_stamped_no_downstream: round(pinned.ws.rate),
          stamping_cost_pct: cost(pinned.w0.rate, pinned.ws.rate),
          cpu_us_per_write_without_federation: round(pinned.w0.cpuUs),
          cpu_us_per_write_stamped_no_downstream: round(pinned.ws.cpuUs),
          cpu_us_per_write_with_federation: round(pinned.w1.cpuUs),
          // The throughput a saturated core loses to the extra CPU per write: 1 − without/with.
          federation_cpu_cost_pct: cost(pinned.w1.cpuUs, pinned.w0.cpuUs),
          stamping_cpu_cost_pct: cost(pinned.ws.cpuUs, pinned.w0.cpuUs),
          cpu_rate: CPU_RATE,
          pinned_rounds: ROUNDS,
        }),
    writes_per_s_without_federation_shared_cores: round(shared.w0.rate),
    writes_per_s_with_federation_shared_cores: round(shared.w1.rate),
    federation_cost_shared_cores_pct: cost(shared.w0.rate, shared.w1.rate),
    stamping_cost_shared_cores_pct: cost(shared.w0.rate, shared.ws.rate),
  };
  if (COST_ONLY) {
    process.stdout.write(`${JSON.stringify({ load_avg_1m: round(loadavg()[0]!, 2), ...costFigures })}\n`);
  } else {
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
      load_avg_1m: round(loadavg()[0]!, 2),
      catchup_changes_per_s: round((during.acked * 1000) / catchupMs),
      catchup_snapshot_chunks: after.snapshotChunks - before.snapshotChunks,
      catchup_records_per_s: round(((after.recordsReceived - before.recordsReceived) * 1000) / catchupMs),
      ...costFigures,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
} finally {
  await Promise.all(procs.map((p) => p.sigkill()));
  relay?.child.kill('SIGKILL');
  for (const d of dirs) removeDir(d);
}
