/**
 * `npm run sim:federation -- --seeds N [--start S] [--ms M]`: the federation simulation over seeds
 * S..S+N-1 (default 2,000); the LAST line is one JSON object (see src/sim/seed-runner.ts).
 */
import { runSeedsCli } from '../sim/seed-runner.ts';
import { runFederationSim } from './federation-sim.ts';

await runSeedsCli('sim:federation', { seeds: 2_000, ms: 5_000 }, (seed, ms) => runFederationSim(seed, ms));
