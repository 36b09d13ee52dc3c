/**
 * `npm run sim:shards -- --seeds N [--start S] [--ms M]`: the sharded simulation (sharded-sim.ts)
 * over seeds S..S+N-1 (default 100); the LAST line is one JSON object (see src/sim/seed-runner.ts).
 */
import { runSeedsCli } from '../../sim/seed-runner.ts';
import { runShardedSim } from './sharded-sim.ts';

await runSeedsCli('sim:shards', { seeds: 100, ms: 3_000 }, (seed, ms) => runShardedSim(seed, ms));
