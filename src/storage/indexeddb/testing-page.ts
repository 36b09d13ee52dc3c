/**
 * TEST-ONLY: the entry of a browser page that exposes the IndexedDB log store and a few helpers on
 * `window.geodeIdb`, for e2e/storage-idb.test.ts and bench/storage-idb.ts (bundled by
 * e2e/browser-harness.ts). Never import it from library code: it touches `window` at load.
 */
import { deleteDB, openDB } from 'idb';
import type { ConfState, Entry, HardState, LogIndex, NodeId, Snapshot, Term } from '../../raft/index.ts';
import { isGeodeError } from '../../util/errors.ts';
import type { DurableState } from '../types.ts';
import { snapshotChunksStoreName } from './constants.ts';
import { openIndexedDbLogStore, type IndexedDbLogStore, type IndexedDbLogStoreOptions } from './store.ts';
import { tabPeerDatabaseName } from './tab-name.ts';

/** A JSON-friendly view of a DurableState: entry bytes as arrays, snapshot data as length + hash. */
export interface DurableView {
  readonly hardState: { term: number; vote: number; commit: number };
  readonly snapshot: { index: number; term: number; conf: ConfState; length: number; hash: number } | undefined;
  readonly entries: { index: number; term: number; type: string; data: number[] }[];
}

/** What a thrown error looked like, for assertions in Node. */
export interface ErrorView {
  readonly name: string;
  readonly code: string | undefined;
  readonly message: string;
}

/** Options of {@link GeodeIdbTestApi.benchAppends}. */
export interface BenchOptions {
  readonly dbName: string;
  /** Entries appended in all. */
  readonly entries: number;
  /** Entries staged per sync. */
  readonly batch: number;
  /** Writers appending and syncing at once (their syncs coalesce). */
  readonly writers: number;
  /** Data bytes per entry. */
  readonly entryBytes: number;
  readonly durability?: 'strict' | 'relaxed' | 'default';
}

/** Figures of one benchmark run (times in ms of `performance.now()`). */
export interface BenchResult {
  readonly entries: number;
  readonly elapsedMs: number;
  /** Per batch: time from stage to its sync resolving. */
  readonly batchLatenciesMs: number[];
  readonly syncCalls: number;
  readonly syncTransactions: number;
}

/** The page's API. */
export interface GeodeIdbTestApi {
  open(name: string, options?: IndexedDbLogStoreOptions): Promise<{ store: IndexedDbLogStore; state: DurableState }>;
  entries(from: number, to: number, term: number, size?: number): Entry[];
  hardState(term: number, commit: number, vote?: number): HardState;
  snapshot(index: number, term: number, size: number): Snapshot;
  view(state: DurableState): DurableView;
  /** The error `run` throws or rejects with, or undefined when it succeeds. */
  errorOf(run: () => unknown): Promise<ErrorView | undefined>;
  /** Deletes one snapshot chunk behind the store's back (the store must be closed). */
  deleteChunk(dbName: string, snapshotIndex: number, chunkNo: number): Promise<void>;
  /** Raises the database's version (an upgrade by "newer code"); the store must be closed. */
  bumpVersion(dbName: string, version: number): Promise<void>;
  deleteDatabase(name: string): Promise<void>;
  tabPeerDatabaseName(prefix?: string): Promise<string>;
  isGeodeError: typeof isGeodeError;
  benchAppends(options: BenchOptions): Promise<BenchResult>;
  /** Stores a page keeps open across `evaluate` calls, by database name. */
  readonly held: Map<string, IndexedDbLogStore>;
}

declare global {
  interface Window {
    /** TEST-ONLY: the IndexedDB log store test API (src/storage/indexeddb/testing-page.ts). */
    geodeIdb?: GeodeIdbTestApi;
  }
}

const conf: ConfState = { voters: [1 as NodeId], learners: [] };

function entryData(index: number, term: number, size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return data;
}

function hashBytes(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193) >>> 0;
  return h;
}

async function openStore(name: string, options: IndexedDbLogStoreOptions = {}): Promise<{ store: IndexedDbLogStore; state: DurableState }> {
  const store = await openIndexedDbLogStore(name, options);
  const state = await store.open();
  return { store, state };
}

async function benchAppends(o: BenchOptions): Promise<BenchResult> {
  await deleteDB(o.dbName);
  const { store } = await openStore(o.dbName, o.durability === undefined ? {} : { durability: o.durability });
  const payload = new Uint8Array(o.entryBytes).fill(7);
  let next = 1;
  const latencies: number[] = [];
  const started = performance.now();
  const writer = async (): Promise<void> => {
    while (next <= o.entries) {
      const from = next;
      const n = Math.min(o.batch, o.entries - from + 1);
      next += n;
      const list: Entry[] = new Array<Entry>(n);
      for (let i = 0; i < n; i++) list[i] = { index: (from + i) as LogIndex, term: 1 as Term, type: 'normal', data: payload };
      const t0 = performance.now();
      store.stage({ entries: list, hardState: { term: 1 as Term, vote: 1 as NodeId, commit: (from + n - 1) as LogIndex } });
      await store.sync();
      latencies.push(performance.now() - t0);
    }
  };
  const writers: Promise<void>[] = [];
  for (let w = 0; w < o.writers; w++) writers.push(writer());
  await Promise.all(writers);
  const elapsedMs = performance.now() - started;
  const stats = store.stats();
  await store.close();
  await deleteDB(o.dbName);
  return { entries: o.entries, elapsedMs, batchLatenciesMs: latencies, syncCalls: stats.syncCalls, syncTransactions: stats.syncTransactions };
}

const api: GeodeIdbTestApi = {
  open: openStore,
  entries(from, to, term, size = 8) {
    const out: Entry[] = [];
    for (let i = from; i <= to; i++) out.push({ index: i as LogIndex, term: term as Term, type: 'normal', data: entryData(i, term, size) });
    return out;
  },
  hardState(term, commit, vote = 1) {
    return { term: term as Term, vote: vote as NodeId, commit: commit as LogIndex };
  },
  snapshot(index, term, size) {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (index + i * 13) & 0xff;
    return { metadata: { index: index as LogIndex, term: term as Term, conf }, data };
  },
  view(state) {
    const s = state.snapshot;
    return {
      hardState: { term: state.hardState.term, vote: state.hardState.vote, commit: state.hardState.commit },
      snapshot: s === undefined ? undefined : { index: s.metadata.index, term: s.metadata.term, conf: s.metadata.conf, length: s.data.length, hash: hashBytes(s.data) },
      entries: state.entries.map((e) => ({ index: e.index, term: e.term, type: e.type, data: Array.from(e.data) })),
    };
  },
  async errorOf(run) {
    try {
      await run();
      return undefined;
    } catch (err) {
      const e = err as { name?: unknown; code?: unknown; message?: unknown };
      return { name: String(e.name), code: typeof e.code === 'string' ? e.code : undefined, message: String(e.message) };
    }
  },
  async deleteChunk(dbName, snapshotIndex, chunkNo) {
    const db = await openDB(dbName);
    await db.delete(snapshotChunksStoreName, [snapshotIndex, chunkNo]);
    db.close();
  },
  async bumpVersion(dbName, version) {
    const db = await openDB(dbName, version);
    db.close();
  },
  deleteDatabase: (name) => deleteDB(name),
  tabPeerDatabaseName,
  isGeodeError,
  benchAppends,
  held: new Map(),
};

window.geodeIdb = api;
document.documentElement.dataset['ready'] = 'true';
