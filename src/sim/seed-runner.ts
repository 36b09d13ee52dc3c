/**
 * runSeedsCli: the command line shared by the seeded simulations (`npm run sim:shards`,
 * `npm run sim:federation`): `--seeds N --start S` (or `--from S`) `--ms M`, one run per seed, each failing seed
 * printed with its violations and its replay command, and as the LAST line one JSON object: every
 * numeric field of the reports summed (in snake_case), `violations`, `failed_seeds`, `elapsed_ms`.
 */
import { Command } from 'commander';

/** What a seed's run returns: numbers to sum, and its violations. */
export interface SeedReport {
  readonly violations: readonly string[];
}

export async function runSeedsCli<R extends SeedReport>(
  name: string,
  defaults: { readonly seeds: number; readonly ms: number },
  run: (seed: number, ms: number) => R | Promise<R>,
): Promise<void> {
  const o = new Command()
    .name(name)
    .option('--seeds <n>', 'how many seeds', String(defaults.seeds))
    .option('--start <s>', 'first seed', '1')
    .option('--from <s>', 'first seed (the same as --start)')
    .option('--ms <ms>', 'virtual ms of faults per seed', String(defaults.ms))
    .parse(process.argv)
    .opts<{ seeds: string; start: string; from?: string; ms: string }>();
  const [seeds, start, ms] = [Number(o.seeds), Number(o.from ?? o.start), Number(o.ms)];
  for (const [k, v] of Object.entries({ seeds, start, ms })) {
    if (!Number.isSafeInteger(v) || v < 0) {
      process.stderr.write(`--${k} must be a non-negative integer\n`);
      process.exit(2);
    }
  }
  const t0 = performance.now();
  const sums: Record<string, number> = {};
  const failed: number[] = [];
  let violations = 0;
  for (let s = start; s < start + seeds; s++) {
    const r = await run(s, ms);
    for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && k !== 'seed') sums[snake(k)] = (sums[snake(k)] ?? 0) + v;
    violations += r.violations.length;
    if (r.violations.length > 0) {
      failed.push(s);
      process.stdout.write(`seed ${s} FAILED (replay: npm run ${name} -- --seeds 1 --start ${s})\n${r.violations.join('\n')}\n`);
    }
    if ((s - start + 1) % 100 === 0) process.stderr.write(`${s - start + 1}/${seeds} seeds, ${violations} violations\n`);
  }
  process.stdout.write(`${JSON.stringify({ seeds, ...sums, violations, failed_seeds: failed, elapsed_ms: Math.round(performance.now() - t0) })}\n`);
}

function snake(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
