/**
 * `npm run sim:splits -- --seeds N [--start S] [--ms M]`: the sharded simulation (sharded-sim.ts)
 * with a shard split during the faults while writers commit across shards through the members'
 * two-phase commit (as `sim:shards`) and readers check every answer, over seeds S..S+N-1 (default
 * 100); the LAST line is one JSON object (see src/sim/seed-runner.ts). `splits` counts the seeds
 * whose split ran to its end.
 */
import { runSeedsCli } from '../../sim/seed-runner.ts';
import { txnWriteSide } from '../../txn/sharded-sim-txn.ts';
import { runShardedSim } from './sharded-sim.ts';

const writes = txnWriteSide({ resolverPeriodMs: 200 });
await runSeedsCli('sim:splits', { seeds: 100, ms: 1_000 }, (seed, ms) => runShardedSim(seed, ms, { split: true, writes }));
