/**
 * Sharding benchmark: the LDBC sample (../shared/ldbc-snb-sf-tiny) on three peer processes
 * (test/cluster/peer-process.ts, file storage) twice: as 3 shards × 3 replicas (`sharding.shards`
 * 3, Person hashed by `id`, the rest by node id) and as one shard of 3 replicas. A client in this
 * process (`openGeode({ cluster: { client: true } })`) runs, one at a time, `--n` times each (default
 * 200, after a warm-up of `--warm-ms`, default 10,000, and at least 20 runs: steady-state latency):
 *
 * - `lookup`: a pruned point lookup, `MATCH (p:Person {id: $id}) RETURN p.firstName`;
 * - `count`: a scatter-gather count, `MATCH (p:Person) RETURN count(p.firstName)`;
 * - `two_hop`: a 2-hop traversal across shards from a person;
 * - `topk`: `MATCH (p:Person) RETURN p.id ORDER BY p.creationDate DESC LIMIT 10`;
 *
 * then `--c` loops (default 64) of `CREATE (:Item {k: $k})` for `--ms` (default 3,000) after a
 * warm-up: committed writes per second (the sharded cluster places Items by hash of their id).
 * Finally the cut (share of LDBC edges between shards) under hash placement and under the
 * graph-aware strategy with refinement, as the bulk import computes it.
 *
 * CPU (Linux, /proc/<pid>/stat of the three peer processes; the client's own process.cpuUsage):
 * `*_cpu_us_per_write` is the peers' CPU time over the measured write window divided by the
 * writes committed in it, `*_peer_cores_writes` the cores the peers used meanwhile (CPU time /
 * wall time: on a 2-core machine the bound on throughput), `*_cpu_us_per_lookup` the peers' CPU
 * over the lookups (heartbeats of the idle groups included). `*_direct_share`: the share of
 * statements the client sent straight to a shard's leader (docs/sharding.md, "Routing on the client").
 *
 * Progress on stderr; the LAST stdout line is one JSON object (latencies in ms).
 *
 * `--lookups-only`: only the pruned lookups of both clusters (their latency and the peers' CPU per
 * lookup), for A/B runs of the read path (with CLUSTER_CPU_PROF, profiles of the peers as below).
 *
 * `--paired`: both clusters at once, their lookups in alternating rounds of `--round` (default 500,
 * `--n` in all per cluster), after `--warm-ms` each: the same machine for both (see measurePaired).
 *
 * `--writes-only`: no LDBC data, no reads: only the write phase of both clusters (its figures and
 * the CPU per write), for A/B runs of the write path; with CLUSTER_CPU_PROF=<dir> every peer writes
 * a V8 CPU profile there when it stops (the whole life of the process: mostly the write phase).
 *
 *   npm run bench:shards
 *   npx tsx bench/shards.bench.ts --n 100 --ms 2000
 *   npx tsx bench/shards.bench.ts --writes-only --ms 5000
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { openGeode, type Geode } from '../src/node.ts';
import { storeOf } from '../src/api/database.ts';
import { importLdbcFolder } from '../packages/cli/src/import/importer.ts';
import { placeGraph } from '../src/cluster/shard-import.ts';
import { initialShardMap, validateShardingConfig } from '../src/cluster/sharding-config.ts';
import type { EdgeData, NodeData } from '../src/cluster/coordinator/shard-data.ts';
import { until, type PeerProc } from '../test/cluster/harness.ts';
import { startPeerProcs } from './peer-procs.ts';

const LDBC = resolve(import.meta.dirname, '..', '..', 'shared', 'ldbc-snb-sf-tiny');
const SECRET = 'bench-shards-secret';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}
const n = arg('n', 200);
const concurrency = arg('c', 64);
const writeMs = arg('ms', 3_000);
const writesOnly = process.argv.includes('--writes-only');
const lookupsOnly = process.argv.includes('--lookups-only');
const paired = process.argv.includes('--paired');
const shardedConfig = { sharding: { shards: 3, labels: { Person: { strategy: 'hash', key: 'id' } } }, replication: { factor: 3 } };
const singleConfig = { replication: { factor: 3 } };
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const log = (m: string): void => void process.stderr.write(`${m}\n`);
const q = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

const clockTicks = ((): number => {
  try {
    return Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) of processes `pids`, µs, from /proc (0 where it cannot be read). */
function cpuUs(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6; // utime, stime (fields 14, 15)
    } catch {
      // not Linux, or gone
    }
  }
  return total;
}

interface Figures {
  readonly [k: string]: number;
}

/**
 * How long each query runs before it is measured: V8 compiles the peers' and the client's paths of
 * a statement only after some runs, in each process on its own. The single shard's leader serves
 * every lookup; each of the three shards' leaders a third of them, so it takes three times as long
 * to warm (2026-12-06, rounds of 2,000 lookups: the single shard's p50 settled after about 4,000,
 * the sharded one's after about 10,000; with 3,000 ms of warm-up the sharded p50 was still 1.5-1.7
 * times the single shard's, with 15,000 ms 1.23-1.28).
 */
const warmUpMs = arg('warm-ms', 10_000);

/** p50 / p99 of `n` sequential runs of a query (after a warm-up of at least 20 runs and `--warm-ms`), with fresh parameters per run. */
async function latency(db: Geode, text: string, params: () => Record<string, unknown>): Promise<{ p50: number; p99: number; runs: number }> {
  const warmEnd = performance.now() + warmUpMs;
  let runs = 0;
  for (; runs < 20 || performance.now() < warmEnd; runs++) await db.query(text, params());
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await db.query(text, params());
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  return { p50: round(q(lat, 0.5)), p99: round(q(lat, 0.99)), runs: runs + n };
}

async function writes(db: Geode, pids: readonly number[], window?: { start(): Promise<void>; end(done: number): Promise<void> }): Promise<{ wps: number; cpuUsPerWrite: number; clientCpuUsPerWrite: number; peerCores: number }> {
  let k = 0;
  const run = async (ms: number): Promise<number> => {
    const end = performance.now() + ms;
    let done = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          try {
            await db.query('CREATE (:Item {k: $k})', { k: BigInt(k++) });
            done++;
          } catch {
            // a leader change: not counted
          }
        }
      }),
    );
    return done;
  };
  await run(1_000);
  await window?.start();
  const t0 = performance.now();
  const cpu0 = cpuUs(pids);
  const client0 = process.cpuUsage();
  const done = await run(writeMs);
  const wallMs = performance.now() - t0;
  const cpu = cpuUs(pids) - cpu0;
  const client = process.cpuUsage(client0);
  await window?.end(done);
  return {
    wps: round((done / wallMs) * 1000, 0),
    cpuUsPerWrite: round(cpu / Math.max(1, done), 1),
    clientCpuUsPerWrite: round((client.user + client.system) / Math.max(1, done), 1),
    peerCores: round(cpu / 1000 / wallMs, 2),
  };
}

/** A cluster of three peer processes with the LDBC sample loaded, and a client that reaches every peer. */
async function openLoaded(name: string, config: Record<string, unknown>, personIds: readonly bigint[]): Promise<{ db: Geode; peers: readonly PeerProc[]; close: () => Promise<void> }> {
  const cluster = `bench-shards-${name}`;
  const procs = await startPeerProcs({ name, cluster, secret: SECRET, config });
  let db: Geode | undefined;
  try {
    const imported = await procs.peers[1]!.request({ op: 'importLdbc', folder: LDBC });
    if (imported['ok'] !== true) throw new Error(`import: ${String(imported['message'])}`);
    log(`${name}: imported ${String(imported['nodes'])} nodes, ${String(imported['edges'])} edges in ${String(imported['ms'])} ms`);
    db = await openGeode({ cluster: { id: cluster, secret: SECRET, relays: [procs.relay.tcp()], client: true } });
    await until(async () => (db!.cluster!.transport.connected().length === 3 ? true : undefined), 30_000, 'the client to reach the peers');
    await until(async () => ((await db!.query('MATCH (p:Person) RETURN count(p) AS n').catch(() => undefined))?.rows[0]?.['n'] === BigInt(personIds.length) ? true : undefined), 30_000, 'the data');
  } catch (err) {
    await db?.close().catch(() => {});
    await procs.close();
    throw err;
  }
  const opened = db;
  return { db: opened, peers: procs.peers, close: async () => {
    await opened.close().catch(() => {});
    await procs.close();
  } };
}

async function measure(name: string, config: Record<string, unknown>, personIds: readonly bigint[]): Promise<Figures> {
  if (writesOnly) {
    const cluster = `bench-shards-${name}`;
    const { relay, peers, close } = await startPeerProcs({ name, cluster, secret: SECRET, config });
    try {
      return await measureWrites(name, cluster, relay.tcp(), peers);
    } finally {
      await close();
    }
  }
  const { db, peers, close } = await openLoaded(name, config, personIds);
  try {
    let i = 0;
    const person = (): Record<string, unknown> => ({ id: personIds[i++ % personIds.length]! });
    const pids = peers.map((p) => p.child.proc.pid ?? 0);
    const lookupCpu0 = cpuUs(pids);
    const lookup = await latency(db, 'MATCH (p:Person {id: $id}) RETURN p.firstName AS f', person);
    const lookupCpuUs = (cpuUs(pids) - lookupCpu0) / lookup.runs;
    const counters = async (): Promise<string> => JSON.stringify(await Promise.all(peers.map(async (p) => {
      const c = await p.request({ op: 'counters' });
      delete c['ok'];
      return c;
    })));
    log(`${name}: after the lookups, per peer: ${await counters()}`);
    if (lookupsOnly) {
      log(`${name}: lookup ${JSON.stringify(lookup)}`);
      return { lookup_p50_ms: lookup.p50, lookup_p99_ms: lookup.p99, cpu_us_per_lookup: round(lookupCpuUs, 1) };
    }
    const count = await latency(db, 'MATCH (p:Person) RETURN count(p.firstName) AS n', () => ({}));
    const twoHop = await latency(db, 'MATCH (a:Person {id: $id})-[:KNOWS]-(b:Person)-[:KNOWS]-(c:Person) RETURN count(DISTINCT c) AS n', person);
    const topk = await latency(db, 'MATCH (p:Person) RETURN p.id AS id ORDER BY p.creationDate DESC LIMIT 10', () => ({}));
    log(`${name}: lookup ${JSON.stringify(lookup)} count ${JSON.stringify(count)} two_hop ${JSON.stringify(twoHop)} topk ${JSON.stringify(topk)}`);
    // Without client routing (an older build): -1.
    const routing = db.cluster!.clientRouting ?? { direct: 0, routed: 0 };
    const direct0 = routing.direct;
    const routed0 = routing.routed;
    const w = await writes(db, pids);
    const directShare = db.cluster!.clientRouting === undefined ? -1 : round((routing.direct - direct0) / Math.max(1, routing.direct - direct0 + routing.routed - routed0));
    log(`${name}: after the writes, per peer: ${await counters()}`);
    log(`${name}: ${w.wps} writes/s at concurrency ${concurrency}, peers' CPU ${w.cpuUsPerWrite} µs/write (${w.peerCores} cores), client ${w.clientCpuUsPerWrite} µs/write, direct ${directShare}`);
    return {
      lookup_p50_ms: lookup.p50,
      lookup_p99_ms: lookup.p99,
      count_p50_ms: count.p50,
      count_p99_ms: count.p99,
      two_hop_p50_ms: twoHop.p50,
      two_hop_p99_ms: twoHop.p99,
      topk_p50_ms: topk.p50,
      topk_p99_ms: topk.p99,
      writes_per_s: w.wps,
      cpu_us_per_write: w.cpuUsPerWrite,
      client_cpu_us_per_write: w.clientCpuUsPerWrite,
      peer_cores_writes: w.peerCores,
      cpu_us_per_lookup: round(lookupCpuUs, 1),
      direct_share: directShare,
    };
  } finally {
    await close();
  }
}

/**
 * measurePaired (`--paired`): both clusters up at once, their lookups measured in alternating
 * rounds of `--round` (default 500) after both are warm, so that both meet the same machine
 * (a 2-core machine shared with other work changes by the minute: sequential runs of one build
 * gave sharded/single p50 ratios from 1.08 to 1.95). Each cluster's p50 / p99 over all its
 * rounds, and the median of the rounds' ratios.
 */
async function measurePaired(personIds: readonly bigint[]): Promise<Record<string, number>> {
  const sharded = await openLoaded('sharded', shardedConfig, personIds);
  try {
    const single = await openLoaded('single', singleConfig, personIds);
    try {
      const text = 'MATCH (p:Person {id: $id}) RETURN p.firstName AS f';
      let i = 0;
      const person = (): Record<string, unknown> => ({ id: personIds[i++ % personIds.length]! });
      const roundRuns = arg('round', 500);
      const rounds = Math.max(2, Math.ceil(n / roundRuns));
      const warmEnd = performance.now() + 2 * warmUpMs;
      while (performance.now() < warmEnd) {
        await sharded.db.query(text, person());
        await single.db.query(text, person());
      }
      const all = { sharded: [] as number[], single: [] as number[] };
      const ratios: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const p50 = { sharded: 0, single: 0 };
        // Which cluster goes first alternates too.
        for (const name of r % 2 === 0 ? (['sharded', 'single'] as const) : (['single', 'sharded'] as const)) {
          const db = name === 'sharded' ? sharded.db : single.db;
          const lat: number[] = [];
          for (let k = 0; k < roundRuns; k++) {
            const t = performance.now();
            await db.query(text, person());
            lat.push(performance.now() - t);
          }
          all[name].push(...lat);
          p50[name] = q(lat.sort((a, b) => a - b), 0.5);
        }
        ratios.push(p50.sharded / p50.single);
      }
      for (const l of Object.values(all)) l.sort((a, b) => a - b);
      ratios.sort((a, b) => a - b);
      log(`paired: ${rounds} rounds of ${roundRuns}; ratios per round ${JSON.stringify(ratios.map((x) => round(x)))}`);
      return {
        rounds,
        round_runs: roundRuns,
        sharded_lookup_p50_ms: round(q(all.sharded, 0.5), 3),
        sharded_lookup_p99_ms: round(q(all.sharded, 0.99), 3),
        single_lookup_p50_ms: round(q(all.single, 0.5), 3),
        single_lookup_p99_ms: round(q(all.single, 0.99), 3),
        lookup_p50_ratio: round(q(all.sharded, 0.5) / q(all.single, 0.5)),
        lookup_p50_ratio_median_of_rounds: round(q(ratios, 0.5)),
      };
    } finally {
      await single.close();
    }
  } finally {
    await sharded.close();
  }
}

/** measureWrites: only the write phase (`--writes-only`), once the cluster takes a write. */
async function measureWrites(name: string, cluster: string, relay: string, peers: readonly PeerProc[]): Promise<Figures> {
  const pids = peers.map((p) => p.child.proc.pid ?? 0);
  const db = await openGeode({ cluster: { id: cluster, secret: SECRET, relays: [relay], client: true } });
  try {
    await until(async () => (db.cluster!.transport.connected().length === 3 ? true : undefined), 30_000, 'the client to reach the peers');
    await until(async () => ((await db.query('CREATE (:Item {k: -1})').catch(() => undefined)) === undefined ? undefined : true), 30_000, 'a first write');
    const routing = db.cluster!.clientRouting ?? { direct: 0, routed: 0 };
    const direct0 = routing.direct;
    const routed0 = routing.routed;
    // Per write over the measured window: each peer's pump turns, store syncs, log entries
    // appended, frames and Raft messages sent; the client's frames sent.
    const loop = (): Promise<Record<string, unknown>[]> => Promise.all(peers.map((p) => p.request({ op: 'counters' })));
    let before: Record<string, unknown>[] = [];
    let clientFrames0 = 0;
    const perWrite: Record<string, number> = {};
    const w = await writes(db, pids, {
      start: async () => {
        before = await loop();
        clientFrames0 = db.cluster!.transport.stats().framesOut;
      },
      end: async (done) => {
        const clientFrames = db.cluster!.transport.stats().framesOut - clientFrames0;
        const after = await loop();
        const rows = after.map((a, i) => {
          const b = before[i]!;
          const row: Record<string, number> = {};
          for (const k of ['turns', 'syncs', 'entries', 'frames']) row[k] = round((Number(a[k]) - Number(b[k])) / Math.max(1, done), 3);
          const ma = a['messages'] as Record<string, number>;
          const mb = b['messages'] as Record<string, number>;
          for (const k of Object.keys(ma)) row[k] = round((ma[k]! - (mb[k] ?? 0)) / Math.max(1, done), 3);
          return row;
        });
        for (const r of rows) for (const [k, v] of Object.entries(r)) perWrite[k] = round((perWrite[k] ?? 0) + v, 3);
        perWrite['client_frames'] = round(clientFrames / Math.max(1, done), 3);
        log(`${name}: per write, per peer: ${JSON.stringify(rows)}; client frames ${perWrite['client_frames']}`);
      },
    });
    const directShare = round((routing.direct - direct0) / Math.max(1, routing.direct - direct0 + routing.routed - routed0));
    log(`${name}: ${w.wps} writes/s at concurrency ${concurrency}, peers' CPU ${w.cpuUsPerWrite} µs/write (${w.peerCores} cores), client ${w.clientCpuUsPerWrite} µs/write, direct ${directShare}`);
    const counted: Record<string, number> = {};
    for (const k of ['turns', 'syncs', 'entries', 'frames', 'MsgApp', 'MsgAppResp', 'MsgHeartbeat', 'client_frames']) counted[`${k.replace(/^Msg/, 'msg_').toLowerCase()}_per_write`] = perWrite[k] ?? 0;
    return { writes_per_s: w.wps, cpu_us_per_write: w.cpuUsPerWrite, client_cpu_us_per_write: w.clientCpuUsPerWrite, peer_cores_writes: w.peerCores, direct_share: directShare, ...counted };
  } finally {
    await db.close().catch(() => {});
  }
}

/** The cut of the LDBC edges under a spread (the bulk import's placement). */
function cut(nodes: readonly NodeData[], edges: readonly EdgeData[], sharding: Record<string, unknown>): number {
  const home = placeGraph(initialShardMap(validateShardingConfig({ sharding })), nodes, edges);
  let crossing = 0;
  for (const e of edges) if (home.get(e.src) !== home.get(e.dst)) crossing++;
  return round(crossing / edges.length, 4);
}

const loadStart = round(loadavg()[0]!);
if (writesOnly) {
  const sharded = await measure('sharded', { sharding: { shards: 3 }, replication: { factor: 3 } }, []);
  const single = await measure('single', { replication: { factor: 3 } }, []);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(sharded)) out[`sharded_${k}`] = v;
  for (const [k, v] of Object.entries(single)) out[`single_${k}`] = v;
  out['writes_ratio'] = round(sharded['writes_per_s']! / single['writes_per_s']!);
  out['load_avg_start'] = loadStart;
  out['load_avg_end'] = round(loadavg()[0]!);
  process.stdout.write(`${JSON.stringify({ shards: 3, replicas: 3, processes: 3, concurrency, writes_only: 1, ...out })}\n`);
  process.exit(0);
}
const local = await openGeode({ storage: 'memory' });
await importLdbcFolder(local, LDBC, { fileStarted: () => {}, fileProgress: () => {}, fileFinished: () => {} });
const store = storeOf(local);
const personIds = [...store.nodesByLabel('Person')].map((p) => p.props.get('id') as bigint);
const nodes: NodeData[] = [...store.nodes()].map((x) => ({ id: x.id, labels: [...x.labels], props: [...x.props] as never }));
const edges: EdgeData[] = [...store.edges()].map((e) => ({ id: e.id, type: e.type, src: e.src.id, dst: e.dst.id, props: [] }));
const hashCut = lookupsOnly || paired ? 0 : cut(nodes, edges, { shards: 3 });
const awareCut = lookupsOnly || paired ? 0 : cut(nodes, edges, { shards: 3, strategy: 'graph-aware' });
await local.close();
log(`LDBC: ${nodes.length} nodes, ${edges.length} edges; cut hash ${hashCut}, graph-aware ${awareCut}`);

if (paired) {
  const figures = await measurePaired(personIds);
  process.stdout.write(`${JSON.stringify({ shards: 3, replicas: 3, processes: 3, paired: 1, n, ...figures, load_avg_start: loadStart, load_avg_end: round(loadavg()[0]!) })}\n`);
  process.exit(0);
}
const sharded = await measure('sharded', shardedConfig, personIds);
const single = await measure('single', singleConfig, personIds);
const out: Record<string, number> = {};
for (const [k, v] of Object.entries(sharded)) out[`sharded_${k}`] = v;
for (const [k, v] of Object.entries(single)) out[`single_${k}`] = v;
out['lookup_p50_ratio'] = round(sharded['lookup_p50_ms']! / single['lookup_p50_ms']!);
if (!lookupsOnly) {
  out['writes_ratio'] = round(sharded['writes_per_s']! / single['writes_per_s']!);
  out['hash_cut'] = hashCut;
  out['graph_aware_cut'] = awareCut;
  out['cut_reduction'] = round(1 - awareCut / hashCut, 4);
}
out['load_avg_start'] = loadStart;
out['load_avg_end'] = round(loadavg()[0]!);
process.stdout.write(`${JSON.stringify({ shards: 3, replicas: 3, processes: 3, n, ...(lookupsOnly ? { lookups_only: 1 } : { concurrency }), ...out })}\n`);
process.exit(0);
