/**
 * The origin's CPU per write with and without federation stamping, in one process and without
 * I/O: per write, what a single-peer cluster's state machine does for `CREATE (:B {k})` — the
 * statement run, (stamped: the write hook's records built and applied), the log entry encoded —
 * and every `--every` writes (10,000, a cluster's snapshot interval) the graph's snapshot encoded.
 * The graph grows as in bench/federation.bench.ts (`--writes`, default 120,000: about 6 s of its
 * unpaced load). Plain and stamped runs alternate (`--rounds` each, fresh stores); the figures
 * are process CPU time (user + system, garbage collection included) per write, the medians over
 * the rounds: far less moved by other load on the machine than a rate. A breakdown (CPU in the
 * hook, the entry's encoding and the snapshots) comes from one more stamped run with timers.
 *
 * `--baseline <dir>`: another checkout of the repository (e.g. `git worktree add /tmp/base main`),
 * whose stamping runs between this one's in the same process (an A/B that the machine's load
 * moves alike): `baseline_*` figures.
 *
 * The LAST stdout line is one JSON object.
 *
 *   npm run bench:federation-stamp            # node --expose-gc: each run starts from a collected heap
 *   npm run bench:federation-stamp -- --writes 60000 --rounds 5 --baseline /tmp/base
 */
import { cpuUsage } from 'node:process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import type { GraphCommand } from '../src/graph/index.ts';
import { numberArg as arg } from './bench-util.ts';

/** The modules a run uses, from this checkout or from the baseline's. */
async function impl(root: string): Promise<Impl> {
  const graph = (await import(resolve(root, 'src/graph/index.ts'))) as typeof import('../src/graph/index.ts');
  const query = (await import(resolve(root, 'src/query/index.ts'))) as typeof import('../src/query/index.ts');
  const reg = (await import(resolve(root, 'src/federation/registers.ts'))) as typeof import('../src/federation/registers.ts');
  const hlc = (await import(resolve(root, 'src/txn/hlc.ts'))) as typeof import('../src/txn/hlc.ts');
  return { ...graph, QueryEngine: query.QueryEngine, stampLocalWrite: reg.stampLocalWrite, HybridClock: hlc.HybridClock };
}
type Impl = typeof import('../src/graph/index.ts') & {
  QueryEngine: typeof import('../src/query/index.ts').QueryEngine;
  stampLocalWrite: typeof import('../src/federation/registers.ts').stampLocalWrite;
  HybridClock: typeof import('../src/txn/hlc.ts').HybridClock;
};
const baselineAt = process.argv.indexOf('--baseline');
const BASELINE = baselineAt < 0 ? undefined : process.argv[baselineAt + 1];

const WRITES = arg('writes', 120_000);
const EVERY = arg('every', 10_000);
const ROUNDS = Math.max(1, Math.floor(arg('rounds', 3)));

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const cpuNowUs = (): number => {
  const u = cpuUsage();
  return u.user + u.system;
};

const gc = (globalThis as { gc?: () => void }).gc;

/** Bytes written by the last run: its log entries (per write) and its last snapshot. */
const bytes = { entry: 0, snapshot: 0 };

interface Phases {
  hookUs: number;
  entryUs: number;
  snapshotUs: number;
}

/** One run on a fresh store; CPU µs per write. With `phases`, the time of each phase is added to it (timers cost a little). */
function run(m: Impl, stamped: boolean, phases?: Phases): number {
  const { encodeCommands, encodeSnapshot, stampLocalWrite } = m;
  const graph = new m.GraphStore();
  const engine = new m.QueryEngine(graph);
  const clock = new m.HybridClock(Date.now, 500);
  let sink = 0;
  let entryBytes = 0;
  let snapBytes = 0;
  gc?.(); // every run starts from the same heap (with --expose-gc)
  const t0 = cpuNowUs();
  for (let i = 0; i < WRITES; i++) {
    const r = engine.run('CREATE (:B {k: $k})', { k: `k${i}` } as never);
    let commands: readonly GraphCommand[] = r.commands;
    if (stamped) {
      const h0 = phases === undefined ? 0 : performance.now();
      const extra = stampLocalWrite(graph, 'us', clock, commands);
      for (const c of extra) graph.apply(c);
      commands = [...commands, ...extra];
      if (phases !== undefined) phases.hookUs += (performance.now() - h0) * 1000;
    }
    const e0 = phases === undefined ? 0 : performance.now();
    entryBytes += encodeCommands(commands).length;
    if (phases !== undefined) phases.entryUs += (performance.now() - e0) * 1000;
    if ((i + 1) % EVERY === 0) {
      const s0 = phases === undefined ? 0 : performance.now();
      snapBytes = encodeSnapshot({ format: 1, peers: ['p'], graph: graph.snapshot() }).length;
      sink += snapBytes;
      if (phases !== undefined) phases.snapshotUs += (performance.now() - s0) * 1000;
    }
  }
  const us = (cpuNowUs() - t0) / WRITES;
  if (sink + entryBytes === 0) throw new Error('nothing encoded');
  bytes.entry = entryBytes / WRITES;
  bytes.snapshot = snapBytes;
  return us;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const here = await impl(resolve(import.meta.dirname, '..'));
const base = BASELINE === undefined ? undefined : await impl(BASELINE);
run(here, false); // warm-up: the JIT
run(here, true);
if (base !== undefined) run(base, true);
const plain: number[] = [];
const stamped: number[] = [];
const baseline: number[] = [];
const sizes = { plain: { ...bytes }, stamped: { ...bytes }, baseline: { ...bytes } };
for (let r = 0; r < ROUNDS; r++) {
  plain.push(run(here, false));
  sizes.plain = { ...bytes };
  if (base !== undefined) {
    baseline.push(run(base, true));
    sizes.baseline = { ...bytes };
  }
  stamped.push(run(here, true));
  sizes.stamped = { ...bytes };
  process.stderr.write(`round ${r + 1}: ${round(plain[r]!)} µs plain, ${round(stamped[r]!)} µs stamped${base === undefined ? '' : `, ${round(baseline[r]!)} µs stamped by the baseline`}\n`);
}
const phases: Phases = { hookUs: 0, entryUs: 0, snapshotUs: 0 };
run(here, true, phases);
const basePhases: Phases = { hookUs: 0, entryUs: 0, snapshotUs: 0 };
run(here, false, basePhases);
const p = median(plain);
const s = median(stamped);
const b = base === undefined ? undefined : median(baseline);
process.stdout.write(
  `${JSON.stringify({
    writes: WRITES,
    rounds: ROUNDS,
    load_avg_1m: round(loadavg()[0]!),
    cpu_us_per_write_plain: round(p),
    cpu_us_per_write_stamped: round(s),
    stamping_us_per_write: round(s - p),
    stamping_cpu_cost_pct: round((100 * (s - p)) / s, 1),
    entry_bytes_plain: round(sizes.plain.entry, 1),
    entry_bytes_stamped: round(sizes.stamped.entry, 1),
    snapshot_bytes_plain: sizes.plain.snapshot,
    snapshot_bytes_stamped: sizes.stamped.snapshot,
    ...(b === undefined
      ? {}
      : {
          baseline_cpu_us_per_write_stamped: round(b),
          baseline_stamping_us_per_write: round(b - p),
          baseline_stamping_cpu_cost_pct: round((100 * (b - p)) / b, 1),
          baseline_entry_bytes_stamped: round(sizes.baseline.entry, 1),
          baseline_snapshot_bytes_stamped: sizes.baseline.snapshot,
        }),
    stamped_hook_us: round(phases.hookUs / WRITES),
    stamped_entry_us: round(phases.entryUs / WRITES),
    plain_entry_us: round(basePhases.entryUs / WRITES),
    stamped_snapshot_us: round(phases.snapshotUs / WRITES),
    plain_snapshot_us: round(basePhases.snapshotUs / WRITES),
  })}\n`,
);
