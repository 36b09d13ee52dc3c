/**
 * Property tests are seeded so that every run of `npm test` (and CI) checks the same cases.
 * To explore new cases, run with `FC_SEED=<number>`; a failure prints the seed that replays it.
 */
import fc from 'fast-check';

const seed = Number(process.env['FC_SEED'] ?? 20261125);
fc.configureGlobal({ seed: Number.isFinite(seed) ? seed : 20261125 });
