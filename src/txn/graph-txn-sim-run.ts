/**
 * `npm run sim:graph-txn -- --seeds N [--from S] [--ms M]`: the graph-transaction simulation
 * (graph-txn-sim.ts) over seeds S..S+N-1 (default 100; odd seeds serializable, even ones
 * snapshot); the LAST line is one JSON object (see src/sim/seed-runner.ts): seeds, committed,
 * aborted, unknown, audits, crashes, partitions, coordinator_kills, violations, and more.
 */
import { runSeedsCli } from '../sim/seed-runner.ts';
import { runGraphTxnSim } from './graph-txn-sim.ts';

await runSeedsCli('sim:graph-txn', { seeds: 100, ms: 1_500 }, (seed, ms) => runGraphTxnSim(seed, { durationMs: ms }));
