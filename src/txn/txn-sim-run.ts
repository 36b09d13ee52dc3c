/**
 * `npm run sim:txn -- --seeds N [--start S] [--ms M]`: the distributed transaction simulation
 * (txn-sim.ts) over seeds S..S+N-1 (default 100; odd seeds serializable, even ones snapshot); the
 * LAST line is one JSON object (see src/sim/seed-runner.ts).
 */
import { runSeedsCli } from '../sim/seed-runner.ts';
import { runTxnSim } from './txn-sim.ts';

await runSeedsCli('sim:txn', { seeds: 100, ms: 3_000 }, (seed, ms) => runTxnSim(seed, ms));
