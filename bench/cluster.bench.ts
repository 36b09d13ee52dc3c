/**
 * Cluster benchmark: a 3-replica shard with its peers in three processes (test/cluster/peer-process.ts,
 * file storage, default Raft timers) and a relay, and the client in this, a fourth, process (a
 * `ShardClient` through `openGeode({ cluster: { client: true } })`, which sends each statement to
 * a member over the peer protocol; the member runs it, forwarding writes to the leader).
 *
 * 1. Committed writes per second and latency at concurrency 1 and 64: that many loops, each
 *    awaiting `CREATE (:B {k: $k})` again and again, for `--ms` (default 5,000) after a warm-up.
 * 2. Leader failover: SIGKILL the leader (found through the peers' status), then write through the
 *    client until a write is acknowledged; the time from the kill to that acknowledgement, over
 *    `--trials` (default 20) trials. Between trials the killed peer restarts on its data and the
 *    three converge.
 *
 * Progress goes to stderr; the LAST stdout line is one JSON object:
 * `{ writes_per_s_c1, p50_ms_c1, p99_ms_c1, writes_per_s_c64, p50_ms_c64, p99_ms_c64,
 *    cpu_ms_per_write_c64, failover_p50_ms, failover_p99_ms, failover_max_ms, failover_trials }`
 * (`cpu_ms_per_write_c64`: CPU time of the client, the peers and the relay together per committed
 * write at concurrency 64: on a machine with N cores, 1000 × N / it bounds the writes per second.)
 *
 *   npx tsx bench/cluster.bench.ts
 *   npx tsx bench/cluster.bench.ts --ms 2000 --trials 5
 *   CLUSTER_CPU_PROF=.scratch/prof npx tsx bench/cluster.bench.ts --trials 0   # CPU profiles of the peers
 */
import { readFileSync } from 'node:fs';
import { openGeode, type Geode } from '../src/node.ts';
import { PeerProc, RelayProc, removeDir, tempDir, until, type PeerArgs } from '../test/cluster/harness.ts';
import { numberArg as arg, quantile } from './bench-util.ts';

const WRITE = 'CREATE (:B {k: $k})';
const CLUSTER = 'bench-cluster';
const SECRET = 'bench-cluster-secret';
/** Warm-up before each measured run, ms. */
const WARMUP_MS = 1_000;
/** Time limit of one write during a failover (the client retries by itself within it), ms. */
const FAILOVER_WRITE_TIMEOUT_MS = 2_000;
/** Longest wait for the cluster to settle between trials, ms. */
const SETTLE_TIMEOUT_MS = 30_000;

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const log = (m: string): void => {
  process.stderr.write(`${m}\n`);
};

let nextKey = 0;

/** CPU time (user + system) a process used so far, ms, from /proc (Linux); NaN elsewhere. */
function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return NaN;
  }
}
/** Write and read system calls a process made so far, from /proc (Linux); NaN elsewhere. */
function processSyscalls(pid: number | undefined): { w: number; r: number } {
  try {
    const io = readFileSync(`/proc/${pid ?? 'self'}/io`, 'utf8');
    const field = (k: string): number => Number(new RegExp(`${k}: (\\d+)`).exec(io)?.[1] ?? NaN);
    return { w: field('syscw'), r: field('syscr') };
  } catch {
    return { w: NaN, r: NaN };
  }
}
/** USER_HZ of Linux's /proc times (100 on every common build). */
const CLOCK_TICKS_PER_S = 100;

/** CPU ms used by this process, the peers and the relay together. */
function clusterCpuMs(pids: readonly (number | undefined)[]): number {
  const self = process.cpuUsage();
  let sum = (self.user + self.system) / 1000;
  for (const pid of pids) sum += processCpuMs(pid);
  return sum;
}

/** Committed writes per second and latency quantiles of `concurrency` loops for `ms`. */
async function throughput(
  db: Geode,
  concurrency: number,
  ms: number,
  cpuMs: () => number,
): Promise<{ writesPerS: number; p50: number; p99: number; failed: number; cpuMsPerWrite: number }> {
  const run = async (forMs: number, record: boolean): Promise<{ n: number; lat: number[]; failed: number }> => {
    const end = performance.now() + forMs;
    const lat: number[] = [];
    let n = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          try {
            await db.query(WRITE, { k: nextKey++ });
            n++;
            if (record) lat.push(performance.now() - t);
          } catch {
            failed++;
          }
        }
      }),
    );
    return { n, lat, failed };
  };
  await run(WARMUP_MS, false);
  const t0 = performance.now();
  const cpu0 = cpuMs();
  const r = await run(ms, true);
  const elapsed = performance.now() - t0;
  const cpu = cpuMs() - cpu0;
  r.lat.sort((a, b) => a - b);
  return { writesPerS: (r.n / elapsed) * 1000, p50: quantile(r.lat, 0.5), p99: quantile(r.lat, 0.99), failed: r.failed, cpuMsPerWrite: cpu / r.n };
}

async function main(): Promise<void> {
  const ms = arg('ms', 5_000);
  const trials = arg('trials', 20);
  const dirs: string[] = [];
  const relay = await RelayProc.start();
  // --retention-ms N: the peers' transactions.mvcc_retention_ms (history kept for reads at a past timestamp), for A/B runs.
  const retentionMs = process.argv.includes('--retention-ms') ? arg('retention-ms', 5_000) : undefined;
  const base = { relays: [relay.tcp()], cluster: CLUSTER, secret: SECRET, config: retentionMs === undefined ? {} : { transactions: { mvcc_retention_ms: retentionMs } } };
  const args: PeerArgs[] = [0, 1, 2].map((i) => {
    const data = tempDir(`geode-bench-p${i}-`);
    dirs.push(data);
    return { ...base, data, bootstrap: i === 0 };
  });
  const peers: PeerProc[] = [await PeerProc.start('p0', args[0]!)];
  peers.push(...(await Promise.all([1, 2].map((i) => PeerProc.start(`p${i}`, args[i]!)))));
  let db: Geode | undefined;
  try {
    await until(async () => ((await peers[0]!.status()).voters === 3 ? true : undefined), 30_000, 'three voters');
    db = await openGeode({ cluster: { id: CLUSTER, secret: SECRET, relays: [relay.tcp()], client: true } });
    await until(async () => (db!.cluster!.transport.connected().length === 3 ? true : undefined), 30_000, 'the client to reach the three peers');
    await db.query(WRITE, { k: -1 });
    log('cluster up: relay, 3 peer processes, this client');

    const cpuMs = (): number => clusterCpuMs([relay.child.proc.pid, ...peers.map((p) => p.child.proc.pid)]);
    const c1 = await throughput(db, 1, ms, cpuMs);
    log(`concurrency 1: ${round(c1.writesPerS, 0)} writes/s, p50 ${round(c1.p50)} ms, p99 ${round(c1.p99)} ms, ${c1.failed} failed`);
    const byProcess = (): number[] => [clusterCpuMs([]), ...[relay.child.proc.pid, ...peers.map((p) => p.child.proc.pid)].map(processCpuMs)];
    const pidsAll = [undefined, relay.child.proc.pid, ...peers.map((p) => p.child.proc.pid)];
    const sys0 = pidsAll.map(processSyscalls);
    const before = byProcess();
    const key0 = nextKey;
    const frames0 = await Promise.all(peers.map((p) => p.status()));
    const c64 = await throughput(db, 64, ms, cpuMs);
    const used = byProcess().map((v, i) => Math.round(v - before[i]!));
    const sys1 = pidsAll.map(processSyscalls);
    const frames1 = await Promise.all(peers.map((p) => p.status()));
    const writes = nextKey - key0;
    log(
      `frames out / in per write during concurrency 64: ${peers
        .map((p, i) => `${p.name}${frames1[i]!.isLeader ? ' (leader)' : ''} ${round((frames1[i]!.framesOut - frames0[i]!.framesOut) / writes, 3)} / ${round((frames1[i]!.framesIn - frames0[i]!.framesIn) / writes, 3)}`)
        .join(', ')}`,
    );
    const names = ['client', 'relay', ...peers.map((p) => p.name)];
    log(`write / read system calls per write during concurrency 64: ${names.map((nm, i) => `${nm} ${round((sys1[i]!.w - sys0[i]!.w) / writes, 3)} / ${round((sys1[i]!.r - sys0[i]!.r) / writes, 3)}`).join(', ')}`);
    log(`CPU ms during concurrency 64 (warm-up included): client ${used[0]}, relay ${used[1]}, ${peers.map((p, i) => `${p.name} ${used[i + 2]}`).join(', ')}`);
    log(
      `concurrency 64: ${round(c64.writesPerS, 0)} writes/s, p50 ${round(c64.p50)} ms, p99 ${round(c64.p99)} ms, ${c64.failed} failed, ${round(c64.cpuMsPerWrite, 3)} CPU ms per write (all processes)`,
    );

    const failovers: number[] = [];
    for (let t = 0; t < trials; t++) {
      const st = await Promise.all(peers.map((p) => p.status()));
      const li = st.findIndex((s) => s.isLeader);
      if (li < 0) throw new Error('no leader before a failover trial');
      const leader = peers[li]!;
      const killedAt = performance.now();
      leader.child.kill('SIGKILL');
      let ackMs = NaN;
      for (let attempt = 0; Number.isNaN(ackMs); attempt++) {
        try {
          await db.query(WRITE, { k: nextKey++ }, { timeoutMs: FAILOVER_WRITE_TIMEOUT_MS });
          ackMs = performance.now() - killedAt;
        } catch (err) {
          if (attempt > 50) throw err;
        }
      }
      failovers.push(ackMs);
      log(`failover ${t + 1}/${trials}: killed ${leader.name}, next acknowledged write after ${round(ackMs, 1)} ms`);
      await leader.child.exited;
      peers[li] = await PeerProc.start(leader.name, args[li]!);
      // Settle: a leader, and every peer applied its whole log, before the next kill.
      await until(
        async () => {
          const s = await Promise.all(peers.map((p) => p.status()));
          const l = s.find((x) => x.isLeader);
          return l !== undefined && l.voters === 3 && s.every((x) => x.applied === l.lastIndex) ? true : undefined;
        },
        SETTLE_TIMEOUT_MS,
        'the cluster to settle',
        100,
      );
      await until(async () => (db!.cluster!.transport.connected().length === 3 ? true : undefined), SETTLE_TIMEOUT_MS, 'the client to reconnect');
    }
    failovers.sort((a, b) => a - b);
    const out = {
      writes_per_s_c1: round(c1.writesPerS, 0),
      p50_ms_c1: round(c1.p50),
      p99_ms_c1: round(c1.p99),
      writes_per_s_c64: round(c64.writesPerS, 0),
      p50_ms_c64: round(c64.p50),
      p99_ms_c64: round(c64.p99),
      cpu_ms_per_write_c64: round(c64.cpuMsPerWrite, 3),
      failover_p50_ms: round(quantile(failovers, 0.5), 1),
      failover_p99_ms: round(quantile(failovers, 0.99), 1),
      failover_max_ms: round(failovers[failovers.length - 1] ?? NaN, 1),
      failover_trials: failovers.length,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await db?.close().catch(() => undefined);
    // With CLUSTER_CPU_PROF=<dir> the peers stop cleanly, so each writes its CPU profile there.
    const profiling = (process.env['CLUSTER_CPU_PROF'] ?? '') !== '';
    await Promise.all(peers.map((p) => (profiling ? p.stop() : p.sigkill())));
    relay.child.kill('SIGKILL');
    await relay.child.exited;
    for (const d of dirs) removeDir(d);
  }
}

await main();
