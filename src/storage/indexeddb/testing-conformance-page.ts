/**
 * TEST-ONLY: the entry of a browser page that runs the LogStore conformance suite
 * (src/storage/log-store-conformance.ts, written for vitest) against the IndexedDB store in this
 * page. Bundled with `vitest` aliased to testing-vitest-shim.ts; e2e/storage-idb.test.ts calls
 * `window.geodeIdbConformance()` and checks every outcome.
 */
import fc from 'fast-check';
import { describeLogStoreConformance } from '../log-store-conformance.ts';
import type { LogStore } from '../types.ts';
import { IndexedDbLogStore } from './store.ts';
import { runCollectedTests, type TestOutcome } from './testing-vitest-shim.ts';

declare global {
  interface Window {
    /** TEST-ONLY: runs the LogStore conformance suite against IndexedDB in this page. */
    geodeIdbConformance?: () => Promise<TestOutcome[]>;
  }
}

/** Same seed as test/setup-fast-check.ts, so the page checks the cases Node checks. */
fc.configureGlobal({ seed: 20261125 });

let places = 0;
const runId = Date.now().toString(36);

describeLogStoreConformance('indexeddb', {
  fresh: () => Promise.resolve(`conformance-${runId}-${++places}`),
  at: (place: string): LogStore => new IndexedDbLogStore(place),
  crash: (store: LogStore) => {
    (store as IndexedDbLogStore).crash();
    return Promise.resolve();
  },
});

window.geodeIdbConformance = runCollectedTests;
document.documentElement.dataset['ready'] = 'true';
