/**
 * The openCypher TCK runner.
 *
 * ```
 * npx tsx tck/run.ts <features-folder> [--known-failures <file>] [--write-known-failures <file>]
 *     [--report <file.json>] [--filter <substring>] [--verbose] [--quiet]
 *     [--timeout <ms>] [--jobs <n>] [--engine <module>]
 * ```
 *
 * Scenarios run in worker processes (`--jobs`, default 2), each on a fresh in-memory database;
 * a scenario that overruns `--timeout` (default 10 s) has its worker killed and replaced. One
 * line per failing scenario is printed (unless `--quiet`); the last line is `N passed, N failed`.
 *
 * Exit code: without `--known-failures`, 1 when anything fails. With it, 1 when a scenario not
 * in the list fails ("NEW FAILURE") or a listed scenario passes ("NOW PASSING": the list may only
 * shrink), else 0. `--engine` names the module providing `openGeode`/`isGeodeError`
 * (default `src/index.ts`), so the runner itself can be tested against a stand-in.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFeatures, type TckScenario } from './gherkin-loader.ts';
import type { ScenarioOutcome } from './steps.ts';
import type { WorkerReply, WorkerRequest } from './worker.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Default per-scenario time limit. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Time a worker gets to start and load the engine. */
export const WORKER_START_TIMEOUT_MS = 60_000;
/** Heap limit of a worker process, so a runaway scenario dies instead of starving the machine. */
export const WORKER_HEAP_MB = 1024;

export interface RunOptions {
  readonly folder: string;
  readonly knownFailures: string | undefined;
  readonly writeKnownFailures: string | undefined;
  readonly report: string | undefined;
  readonly filter: string | undefined;
  readonly verbose: boolean;
  readonly quiet: boolean;
  readonly timeoutMs: number;
  readonly jobs: number;
  readonly engine: string;
}

export interface ScenarioResult {
  readonly id: string;
  readonly status: 'passed' | 'failed';
  readonly reason: string | undefined;
  readonly notes: readonly string[];
}

const USAGE =
  'usage: tsx tck/run.ts <features-folder> [--known-failures <file>] [--write-known-failures <file>] ' +
  '[--report <file.json>] [--filter <substring>] [--verbose] [--quiet] [--timeout <ms>] [--jobs <n>] [--engine <module>]';

class UsageError extends Error {}

/** Parses the command line (argv without node and script). */
export function parseArgs(argv: readonly string[]): RunOptions {
  let folder: string | undefined;
  const opts: Record<string, string | undefined> = {};
  const flags = new Set<string>();
  const valued = ['--known-failures', '--write-known-failures', '--report', '--filter', '--timeout', '--jobs', '--engine'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (valued.includes(a)) {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      opts[a] = v;
    } else if (a === '--verbose' || a === '--quiet') flags.add(a);
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else if (folder === undefined) folder = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (folder === undefined) throw new UsageError('the features folder is missing');
  const num = (name: string, dflt: number, min: number): number => {
    const v = opts[name];
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer >= ${min}`);
    return n;
  };
  return {
    folder: resolve(folder),
    knownFailures: opts['--known-failures'],
    writeKnownFailures: opts['--write-known-failures'],
    report: opts['--report'],
    filter: opts['--filter'],
    verbose: flags.has('--verbose'),
    quiet: flags.has('--quiet'),
    timeoutMs: num('--timeout', DEFAULT_TIMEOUT_MS, 1),
    jobs: num('--jobs', Math.max(1, Math.min(2, availableParallelism())), 1),
    engine: resolve(opts['--engine'] ?? join(HERE, '..', 'src', 'index.ts')),
  };
}

/** Reads a known-failures list: one id per line, `#` starts a comment, blank lines ignored. */
export function readKnownFailures(file: string): Set<string> {
  const ids = new Set<string>();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    ids.add(line);
  }
  return ids;
}

/** One worker process and the scenario it is running. */
class Worker {
  readonly child: ChildProcess;
  ready: Promise<void>;
  current: { scenario: TckScenario; resolve: (o: ScenarioOutcome) => void; timer: NodeJS.Timeout } | undefined;
  dead = false;

  constructor(engine: string, folder: string) {
    this.child = fork(join(HERE, 'worker.ts'), [], {
      execArgv: [...process.execArgv, `--max-old-space-size=${WORKER_HEAP_MB}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    this.child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    let readyResolve: () => void = () => undefined;
    let readyReject: (e: Error) => void = () => undefined;
    this.ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    const startTimer = setTimeout(() => readyReject(new Error('worker did not start in time')), WORKER_START_TIMEOUT_MS);
    this.child.on('message', (msg: WorkerReply) => {
      if (msg.type === 'ready') {
        clearTimeout(startTimer);
        readyResolve();
      } else if (this.current !== undefined && msg.id === this.current.scenario.id) {
        const cur = this.current;
        this.current = undefined;
        clearTimeout(cur.timer);
        cur.resolve(msg.outcome);
      }
    });
    this.child.on('exit', (code, signal) => {
      this.dead = true;
      clearTimeout(startTimer);
      const why = `worker died (${signal ?? `exit ${code}`})${stderr.trim() === '' ? '' : `: ${stderr.trim().split('\n').slice(-3).join(' | ')}`}`;
      readyReject(new Error(why));
      if (this.current !== undefined) {
        const cur = this.current;
        this.current = undefined;
        clearTimeout(cur.timer);
        cur.resolve({ status: 'failed', reason: why });
      }
    });
    this.send({ type: 'init', engine, featuresFolder: folder });
  }

  send(msg: WorkerRequest): void {
    this.child.send(msg);
  }

  run(scenario: TckScenario, timeoutMs: number): Promise<ScenarioOutcome> {
    return new Promise<ScenarioOutcome>((resolveOutcome) => {
      const timer = setTimeout(() => {
        if (this.current?.scenario !== scenario) return;
        this.current = undefined;
        this.kill();
        resolveOutcome({ status: 'failed', reason: `timed out after ${timeoutMs} ms` });
      }, timeoutMs);
      this.current = { scenario, resolve: resolveOutcome, timer };
      this.send({ type: 'run', scenario });
    });
  }

  kill(): void {
    if (!this.dead) this.child.kill('SIGKILL');
    this.dead = true;
  }
}

/** Runs the scenarios on `jobs` workers; results come back in scenario order. */
export async function runScenarios(
  scenarios: readonly TckScenario[],
  options: Pick<RunOptions, 'jobs' | 'timeoutMs' | 'engine' | 'folder'>,
  onResult?: (r: ScenarioResult, index: number) => void,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array<ScenarioResult>(scenarios.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    let worker: Worker | undefined;
    try {
      while (next < scenarios.length) {
        const index = next++;
        const scenario = scenarios[index]!;
        let outcome: ScenarioOutcome;
        if (worker === undefined || worker.dead) worker = new Worker(options.engine, options.folder);
        try {
          await worker.ready;
          outcome = await worker.run(scenario, options.timeoutMs);
        } catch (err) {
          outcome = { status: 'failed', reason: err instanceof Error ? err.message : String(err) };
          worker.kill();
        }
        const r: ScenarioResult = { id: scenario.id, status: outcome.status, reason: outcome.reason, notes: outcome.notes ?? [] };
        results[index] = r;
        onResult?.(r, index);
      }
    } finally {
      worker?.kill();
    }
  };
  const lanes: Promise<void>[] = [];
  for (let i = 0; i < Math.min(options.jobs, Math.max(scenarios.length, 1)); i++) lanes.push(lane());
  await Promise.all(lanes);
  return results;
}

function oneLine(s: string | undefined): string {
  return (s ?? '').replace(/\s*\n\s*/g, ' | ');
}

/** The whole command: returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let options: RunOptions;
  try {
    options = parseArgs(argv);
    if (!existsSync(options.folder) || !statSync(options.folder).isDirectory()) {
      throw new UsageError(`not a folder: ${options.folder}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  const known = options.knownFailures === undefined ? undefined : readKnownFailures(options.knownFailures);
  let scenarios = loadFeatures(options.folder);
  if (options.filter !== undefined) scenarios = scenarios.filter((s) => s.id.includes(options.filter!));

  const started = Date.now();
  const print = (r: ScenarioResult): void => {
    if (r.status === 'failed' && !options.quiet) {
      const label = known !== undefined && !known.has(r.id) ? 'NEW FAILURE' : 'FAIL';
      console.log(`${label} ${r.id}: ${oneLine(r.reason)}`);
    } else if (r.status === 'passed' && options.verbose) console.log(`ok   ${r.id}`);
    if (options.verbose) for (const n of r.notes) console.log(`     note: ${n}`);
  };
  // Print in scenario order (workers finish out of order), as soon as every earlier one is done.
  const done: (ScenarioResult | undefined)[] = new Array<ScenarioResult | undefined>(scenarios.length);
  let printed = 0;
  const results = await runScenarios(scenarios, options, (r, index) => {
    done[index] = r;
    while (printed < done.length && done[printed] !== undefined) print(done[printed++]!);
  });
  const passed = results.filter((r) => r.status === 'passed').length;
  const failed = results.length - passed;

  let exit = failed > 0 ? 1 : 0;
  let knownFailures = 0;
  let newFailureCount = failed;
  if (known !== undefined) {
    const ran = new Set(results.map((r) => r.id));
    const newFailures = results.filter((r) => r.status === 'failed' && !known.has(r.id));
    const nowPassing = results.filter((r) => r.status === 'passed' && known.has(r.id));
    for (const r of nowPassing) console.log(`NOW PASSING — remove from the known-failures list: ${r.id}`);
    if (options.filter === undefined) {
      for (const id of known) if (!ran.has(id)) console.log(`warning: known failure not found in ${options.folder}: ${id}`);
    }
    if (newFailures.length > 0) console.log(`${newFailures.length} new failure(s) not in ${options.knownFailures}`);
    newFailureCount = newFailures.length + nowPassing.length;
    knownFailures = failed - newFailures.length;
    exit = newFailures.length > 0 || nowPassing.length > 0 ? 1 : 0;
  }
  if (options.writeKnownFailures !== undefined) {
    const lines = [
      '# TCK scenarios that fail today; regenerate with `npm run tck -- <features> --write-known-failures <this file>`.',
      '# The list may only shrink: a listed scenario that passes fails the run until it is removed.',
      ...results.filter((r) => r.status === 'failed').map((r) => r.id),
    ];
    writeFileSync(options.writeKnownFailures, `${lines.join('\n')}\n`);
  }
  if (options.report !== undefined) {
    const report = {
      passed,
      failed,
      /** Failures on the known-failures list (reported as skipped by .ci/run). */
      knownFailures,
      /** Failures not on the list, plus listed scenarios that now pass: each fails the run. */
      newFailures: newFailureCount,
      durationMs: Date.now() - started,
      scenarios: results.map((r) => ({
        id: r.id,
        status: r.status,
        reason: r.reason ?? null,
        ...(r.notes.length > 0 ? { notes: r.notes } : {}),
      })),
    };
    writeFileSync(options.report, `${JSON.stringify(report, null, 2)}\n`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  return exit;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 2;
    },
  );
}
