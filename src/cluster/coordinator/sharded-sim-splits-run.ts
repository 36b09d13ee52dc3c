/**
 * `npm run sim:splits -- --seeds N [--start S] [--ms M]`: the sharded simulation (sharded-sim.ts)
 * with a shard split during the faults and readers checking every answer against one database
 * (reads only), over seeds S..S+N-1 (default 100); the LAST line is one JSON object (see
 * src/sim/seed-runner.ts). `splits` counts the seeds whose split ran to its end (graph-aware maps
 * have nothing to cut).
 */
import { runSeedsCli } from '../../sim/seed-runner.ts';
import { runShardedSim } from './sharded-sim.ts';

await runSeedsCli('sim:splits', { seeds: 100, ms: 1_000 }, (seed, ms) => runShardedSim(seed, ms, { split: true }));
