/**
 * The simulator's command line: `npm run sim -- --seeds N [--start S] [--profile default|churn|membership]
 * [--trace] [--stop-on-failure] [--bug NAME]`.
 *
 * Runs seeds S, S+1, … S+N-1. For each failing seed it prints the seed, the command that replays
 * it, the violations and a readable trace of the last events (the seed is re-run with the trace on:
 * runs are deterministic, so the replay takes the same path). The LAST line printed is always one
 * JSON object: {seeds, faults_injected, operations_checked, violations, ...}.
 */

import { Command } from 'commander';
import type { RaftTestingKnobs } from '../raft/index.ts';
import { describeOptions, drawOptions, profiles, runSeed } from './scenario.ts';
import type { Profile, SeedOverrides } from './scenario.ts';

/** The planted bugs `--bug` can switch on (TEST-ONLY: each breaks safety on purpose). */
const knobNames = ['grantVoteWithoutLogCheck', 'commitPriorTermByCounting', 'voteTwicePerTerm', 'readIndexWithoutQuorum'] as const;
const bugNames = [...knobNames, 'applyBeforePersist'] as const;

interface CliOptions {
  seeds: string;
  start: string;
  profile: string;
  trace: boolean;
  stopOnFailure: boolean;
  bug?: string;
  traceLines: string;
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return n;
}

function main(argv: string[]): void {
  const program = new Command()
    .name('sim')
    .description('Seeded deterministic simulation of a Raft cluster with a linearizability check')
    .option('--seeds <n>', 'how many seeds to run', '100')
    .option('--start <s>', 'first seed', '1')
    .option('--profile <p>', `fault profile: ${profiles.join(' | ')}`, 'default')
    .option('--trace', 'print the trace of every seed, not only failing ones', false)
    .option('--trace-lines <n>', 'trace lines printed for a failing seed', '200')
    .option('--stop-on-failure', 'stop at the first failing seed', false)
    .option('--bug <name>', `TEST-ONLY planted bug: ${bugNames.join(', ')}`)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse(argv);
  const o = program.opts<CliOptions>();
  const seeds = positiveInt('seeds', o.seeds);
  const start = positiveInt('start', o.start);
  const traceLines = positiveInt('trace-lines', o.traceLines);
  if (!(profiles as readonly string[]).includes(o.profile)) {
    process.stderr.write(`--profile must be one of ${profiles.join(', ')}, got ${JSON.stringify(o.profile)}\n`);
    process.exit(2);
  }
  const profile = o.profile as Profile;
  let overrides: SeedOverrides = { profile };
  if (o.bug !== undefined) {
    if (o.bug === 'applyBeforePersist') overrides = { ...overrides, hostBugs: { applyBeforePersist: true } };
    else if ((knobNames as readonly string[]).includes(o.bug)) overrides = { ...overrides, knobs: { [o.bug]: true } as RaftTestingKnobs };
    else {
      process.stderr.write(`--bug must be one of ${bugNames.join(', ')}, got ${JSON.stringify(o.bug)}\n`);
      process.exit(2);
    }
  }

  const t0 = performance.now();
  let faults = 0;
  let ops = 0;
  let violations = 0;
  let failedSeeds = 0;
  let unknown = 0;
  let virtualMs = 0;
  const failing: number[] = [];
  let run = 0;
  for (let seed = start; seed < start + seeds; seed++) {
    const r = runSeed(seed, overrides);
    run++;
    faults += r.faultsInjected;
    ops += r.operationsChecked;
    virtualMs += r.stats.virtualMs;
    if (r.linearizability === 'unknown') unknown++;
    if (r.violations.length > 0 || o.trace) {
      const replay = runSeed(seed, { ...overrides, trace: true, traceLines });
      const flags = [`--seeds 1 --start ${seed}`, profile !== 'default' ? `--profile ${profile}` : '', o.bug !== undefined ? `--bug ${o.bug}` : ''].filter((x) => x !== '').join(' ');
      const out: string[] = [];
      out.push(`=== seed ${seed}: ${r.violations.length > 0 ? `FAILED (${r.violations.length} violation${r.violations.length > 1 ? 's' : ''})` : 'ok'}`);
      out.push(`replay: npm run sim -- ${flags} --trace`);
      out.push(`setup: ${describeOptions(drawOptions(seed, overrides))}`);
      for (const v of r.violations) out.push(`violation [${v.kind}] at ${v.time}ms: ${v.message}`);
      out.push(`trace (last ${replay.trace.length} events):`);
      for (const line of replay.trace) out.push(`  ${line}`);
      process.stdout.write(`${out.join('\n')}\n`);
    }
    if (r.violations.length > 0) {
      failedSeeds++;
      violations += r.violations.length;
      if (failing.length < 20) failing.push(seed);
      if (o.stopOnFailure) break;
    }
    if (seeds >= 1000 && run % 1000 === 0) {
      process.stderr.write(`${run}/${seeds} seeds, ${violations} violations, ${((performance.now() - t0) / 1000).toFixed(1)}s\n`);
    }
  }
  const summary = {
    seeds: run,
    faults_injected: faults,
    operations_checked: ops,
    violations,
    failed_seeds: failedSeeds,
    failing_seeds: failing,
    linearizability_unknown: unknown,
    virtual_s: Math.round(virtualMs / 1000),
    elapsed_ms: Math.round(performance.now() - t0),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exitCode = violations > 0 ? 1 : 0;
}

main(process.argv);
