/**
 * `npm run sim:shards -- --seeds N [--start S] [--ms M]`: the sharded simulation (sharded-sim.ts)
 * over seeds S..S+N-1. Prints each failing seed with its violations; the LAST line is one JSON
 * object: {seeds, queries, answered, cross_shard, crashes, partitions, violations, failed_seeds, elapsed_ms}.
 */
import { Command } from 'commander';
import { runShardedSim } from './sharded-sim.ts';

const o = new Command()
  .name('sim:shards')
  .option('--seeds <n>', 'how many seeds', '100')
  .option('--start <s>', 'first seed', '1')
  .option('--ms <ms>', 'virtual ms of faults per seed', '3000')
  .parse(process.argv)
  .opts<{ seeds: string; start: string; ms: string }>();
const [seeds, start, ms] = [Number(o.seeds), Number(o.start), Number(o.ms)];
for (const [k, v] of Object.entries({ seeds, start, ms })) {
  if (!Number.isSafeInteger(v) || v < 0) {
    process.stderr.write(`--${k} must be a non-negative integer\n`);
    process.exit(2);
  }
}
const t0 = performance.now();
const total = { seeds: 0, queries: 0, answered: 0, cross_shard: 0, crashes: 0, partitions: 0, violations: 0, failed_seeds: [] as number[] };
for (let s = start; s < start + seeds; s++) {
  const r = await runShardedSim(s, ms);
  total.seeds++;
  total.queries += r.queries;
  total.answered += r.answered;
  total.cross_shard += r.crossShard;
  total.crashes += r.crashes;
  total.partitions += r.partitions;
  total.violations += r.violations.length;
  if (r.violations.length > 0) {
    total.failed_seeds.push(s);
    process.stdout.write(`seed ${s} FAILED (replay: npm run sim:shards -- --seeds 1 --start ${s})\n${r.violations.join('\n')}\n`);
  }
  if (total.seeds % 100 === 0) process.stderr.write(`${total.seeds}/${seeds} seeds, ${total.violations} violations\n`);
}
process.stdout.write(`${JSON.stringify({ ...total, elapsed_ms: Math.round(performance.now() - t0) })}\n`);
