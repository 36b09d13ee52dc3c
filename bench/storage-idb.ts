/**
 * IndexedDB log store benchmark: durable appends of 100-byte entries in headless Chromium, with
 * group commit (writers each stage a batch and sync; syncs that overlap share one transaction),
 * every transaction `durability: 'strict'`, on an on-disk Chromium profile (a temp directory). Progress goes to stderr; the LAST stdout line is one
 * JSON object:
 * `{idb_appends_per_s, idb_append_p50_ms, idb_append_p99_ms, idb_entries, idb_entry_bytes,
 * idb_batch_entries, idb_writers, idb_syncs_count, idb_transactions_count,
 * idb_unbatched_appends_per_s, idb_unbatched_append_p50_ms}`.
 *
 *   npx tsx bench/storage-idb.ts
 *
 * `idb_append_*_ms` is per batch: from `stage` to its `sync()` resolving. The unbatched figures
 * are one entry per sync, one writer: the latency of a single durable transaction.
 * The workload is fixed (no randomness), so two runs measure the same work.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {} from '../src/storage/indexeddb/testing-page.ts';
import { REPO, startBrowserHarness } from '../e2e/browser-harness.ts';

/** Entries appended in the batched run. */
const BATCHED_ENTRIES = 100_000;
/** Entries per stage + sync in the batched run. */
const BATCH_ENTRIES = 100;
/** Concurrent writers in the batched run. */
const WRITERS = 8;
/** Bytes of data per entry. */
const ENTRY_BYTES = 100;
/** Single-entry syncs in the unbatched run. */
const UNBATCHED_ENTRIES = 300;

/** The figures {@link measureIndexedDb} returns. */
export interface IndexedDbBenchFigures {
  idb_appends_per_s: number;
  idb_append_p50_ms: number;
  idb_append_p99_ms: number;
  idb_entries: number;
  idb_entry_bytes: number;
  idb_batch_entries: number;
  idb_writers: number;
  idb_syncs_count: number;
  idb_transactions_count: number;
  idb_unbatched_appends_per_s: number;
  idb_unbatched_append_p50_ms: number;
}

/** Nearest-rank percentile `p` (0..100) of `values`. */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** measureIndexedDb: builds the test page, launches headless Chromium and measures appends in it. */
export async function measureIndexedDb(): Promise<IndexedDbBenchFigures> {
  // An on-disk profile: incognito contexts keep IndexedDB in memory and would measure no disk at all.
  const harness = await startBrowserHarness({ 'storage-idb': join(REPO, 'src/storage/indexeddb/testing-page.ts') }, { persistentProfile: true });
  try {
    const page = await harness.openPage('storage-idb');
    page.setDefaultTimeout(120_000);
    // Warm-up: the first transactions of a fresh profile create files.
    await page.evaluate((o) => window.geodeIdb!.benchAppends(o), { dbName: 'bench-warmup', entries: 5_000, batch: BATCH_ENTRIES, writers: WRITERS, entryBytes: ENTRY_BYTES });
    const batched = await page.evaluate((o) => window.geodeIdb!.benchAppends(o), {
      dbName: 'bench-batched',
      entries: BATCHED_ENTRIES,
      batch: BATCH_ENTRIES,
      writers: WRITERS,
      entryBytes: ENTRY_BYTES,
    });
    process.stderr.write(`batched: ${batched.entries} entries in ${batched.elapsedMs.toFixed(0)} ms, ${batched.syncCalls} syncs, ${batched.syncTransactions} transactions\n`);
    const single = await page.evaluate((o) => window.geodeIdb!.benchAppends(o), {
      dbName: 'bench-unbatched',
      entries: UNBATCHED_ENTRIES,
      batch: 1,
      writers: 1,
      entryBytes: ENTRY_BYTES,
    });
    process.stderr.write(`unbatched: ${single.entries} entries in ${single.elapsedMs.toFixed(0)} ms\n`);
    return {
      idb_appends_per_s: Math.round(batched.entries / (batched.elapsedMs / 1000)),
      idb_append_p50_ms: round(percentile(batched.batchLatenciesMs, 50), 2),
      idb_append_p99_ms: round(percentile(batched.batchLatenciesMs, 99), 2),
      idb_entries: batched.entries,
      idb_entry_bytes: ENTRY_BYTES,
      idb_batch_entries: BATCH_ENTRIES,
      idb_writers: WRITERS,
      idb_syncs_count: batched.syncCalls,
      idb_transactions_count: batched.syncTransactions,
      idb_unbatched_appends_per_s: Math.round(single.entries / (single.elapsedMs / 1000)),
      idb_unbatched_append_p50_ms: round(percentile(single.batchLatenciesMs, 50), 2),
    };
  } finally {
    await harness.close();
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const figures = await measureIndexedDb();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
