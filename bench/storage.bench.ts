/**
 * Storage benchmark: durable appends of 100-byte entries with group commit, and the latency of
 * one append + sync, for the file store (fsync on, in a temp dir); durable `db.query` writes of the
 * embedded database on file storage (`db_file_*`); then the IndexedDB store in headless Chromium
 * (`idb_*`, from `bench/storage-idb.ts`). Progress goes to stderr; the LAST stdout line is one JSON object:
 *
 * `{entry_bytes, file_writers, file_appends_per_s, file_entries_per_fsync, file_writer_append_p99_ms,
 *   file_batch_entries, file_batch_appends_per_s, file_append_p50_ms, file_append_p99_ms, ...idb_*}`
 *
 *   npx tsx bench/storage.bench.ts                  # 200,000 entries per throughput run
 *   npx tsx bench/storage.bench.ts --entries 20000
 *
 * - `file_appends_per_s`: 64 writers, each stages ONE entry then awaits `sync()`, again and again;
 *   overlapping syncs share one write + fdatasync (group commit).
 * - `file_batch_appends_per_s`: one writer stages a Ready of 100 entries, awaits `sync()`, repeats.
 * - `file_append_p50_ms` / `file_append_p99_ms`: one writer, one entry, one sync, alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, LogIndex, Term } from '../src/raft/index.ts';
import { openFileLogStore, type FileLogStore } from '../src/storage/file/index.ts';
import { openGeode } from '../src/node.ts';
import { measureIndexedDb } from './storage-idb.ts';

type Figures = Record<string, number | string>;

/** Bytes of data per entry. */
const ENTRY_BYTES = 100;
/** Concurrent writers in the group-commit run. */
const WRITERS = 64;
/** Entries per Ready in the batched run. */
const BATCH_ENTRIES = 100;
/** Appends timed one by one for the latency figures. */
const LATENCY_SAMPLES = 2_000;
/** Seed of the entry data (the same bytes every run). */
const SEED = 42;

function parseEntries(argv: readonly string[]): number {
  let entries = 200_000;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--entries') throw new Error(`unknown option ${argv[i]} (use --entries N)`);
    entries = Number(argv[++i]);
    if (!Number.isSafeInteger(entries) || entries < BATCH_ENTRIES) throw new Error(`--entries needs an integer >= ${BATCH_ENTRIES}`);
  }
  return entries;
}

/** payloads: 256 seeded 100-byte payloads, reused round robin (content does not matter to the store). */
function payloads(): Uint8Array[] {
  let a = SEED >>> 0;
  const out: Uint8Array[] = [];
  for (let p = 0; p < 256; p++) {
    const data = new Uint8Array(ENTRY_BYTES);
    for (let i = 0; i < ENTRY_BYTES; i++) {
      a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
      data[i] = a >>> 24;
    }
    out.push(data);
  }
  return out;
}

const DATA = payloads();

function makeEntry(index: number): Entry {
  return { index: index as LogIndex, term: 1 as Term, type: 'normal', data: DATA[index & 255]! };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

async function withStore<T>(run: (store: FileLogStore) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'geode-bench-storage-'));
  const store = openFileLogStore(dir);
  try {
    await store.open();
    const result = await run(store);
    await store.close();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** groupCommit: WRITERS writers each stage one entry and await sync until `total` entries are durable. */
function groupCommit(total: number) {
  return withStore(async (store) => {
    let next = 1;
    const latencies: number[] = [];
    const writer = async (): Promise<void> => {
      while (next <= total) {
        const t0 = performance.now();
        store.stage({ entries: [makeEntry(next++)] });
        await store.sync();
        latencies.push(performance.now() - t0);
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: WRITERS }, writer));
    const ms = performance.now() - start;
    latencies.sort((x, y) => x - y);
    const stats = store.stats();
    return { perSecond: (next - 1) / (ms / 1000), perFsync: (next - 1) / stats.flushes, p99: percentile(latencies, 0.99) };
  });
}

/** batched: one writer stages Readies of BATCH_ENTRIES entries and awaits sync after each. */
function batched(total: number) {
  return withStore(async (store) => {
    const start = performance.now();
    let next = 1;
    while (next <= total) {
      const batch: Entry[] = [];
      for (let i = 0; i < BATCH_ENTRIES; i++) batch.push(makeEntry(next++));
      store.stage({ entries: batch });
      await store.sync();
    }
    return (next - 1) / ((performance.now() - start) / 1000);
  });
}

/** latency: one entry, one sync, LATENCY_SAMPLES times, alone. */
function latency() {
  return withStore(async (store) => {
    const samples: number[] = [];
    for (let i = 1; i <= LATENCY_SAMPLES; i++) {
      const t0 = performance.now();
      store.stage({ entries: [makeEntry(i)] });
      await store.sync();
      samples.push(performance.now() - t0);
    }
    samples.sort((x, y) => x - y);
    return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
  });
}

// ---------------------------------------------------------------------------------------------
/** Statements in the embedded-database run, and how many run at once. */
const DB_WRITES = 20_000;
const DB_WRITERS = 64;

/**
 * The user's view: `db.query('CREATE ...')` on `openGeode({ storage: 'file:...' })`, 64 at once;
 * each resolves only once its log entry is fsynced. Returns writes/s and per-write latency.
 */
async function embeddedDurableWrites(): Promise<{ perSecond: number; p50: number; p99: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'geode-bench-db-'));
  try {
    const db = await openGeode({ storage: `file:${dir}` });
    const lat: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: DB_WRITERS }, async () => {
        while (next < DB_WRITES) {
          const i = next++;
          const t = performance.now();
          await db.query('CREATE (:Item {id: $id, text: $text})', { id: BigInt(i), text: 'x'.repeat(64) });
          lat.push(performance.now() - t);
        }
      }),
    );
    const elapsed = performance.now() - started;
    await db.close();
    lat.sort((a, b) => a - b);
    return { perSecond: (DB_WRITES * 1000) / elapsed, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const total = parseEntries(process.argv.slice(2));
  process.stderr.write(`file store: ${WRITERS} writers x 1 entry, ${total} entries of ${ENTRY_BYTES} bytes\n`);
  const group = await groupCommit(total);
  process.stderr.write(`  ${Math.round(group.perSecond)} entries/s, ${group.perFsync.toFixed(1)} entries per fsync\n`);
  process.stderr.write(`file store: 1 writer x ${BATCH_ENTRIES} entries per Ready\n`);
  const batch = await batched(total);
  process.stderr.write(`  ${Math.round(batch)} entries/s\n`);
  process.stderr.write(`file store: ${LATENCY_SAMPLES} single appends + sync\n`);
  const lat = await latency();
  const figures: Figures = {
    entry_bytes: ENTRY_BYTES,
    file_writers: WRITERS,
    file_appends_per_s: Math.round(group.perSecond),
    file_entries_per_fsync: round(group.perFsync, 1),
    file_writer_append_p99_ms: round(group.p99, 3),
    file_batch_entries: BATCH_ENTRIES,
    file_batch_appends_per_s: Math.round(batch),
    file_append_p50_ms: round(lat.p50, 3),
    file_append_p99_ms: round(lat.p99, 3),
  };
  process.stderr.write(`embedded database on file storage: ${DB_WRITES} CREATE statements, ${DB_WRITERS} at once\n`);
  const db = await embeddedDurableWrites();
  figures['db_file_writers'] = DB_WRITERS;
  figures['db_file_writes_per_s'] = Math.round(db.perSecond);
  figures['db_file_write_p50_ms'] = round(db.p50, 3);
  figures['db_file_write_p99_ms'] = round(db.p99, 3);
  Object.assign(figures, await measureIndexedDb());
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

await main();
