/**
 * The IndexedDB log store in real Chromium: a test page (src/storage/indexeddb/testing-page.ts)
 * is bundled with Vite, served on loopback and driven through playwright-core (see
 * e2e/browser-harness.ts). Each scenario runs inside the page; Node checks what comes back.
 *
 * Each test takes a fresh browser context (its own IndexedDB, sessionStorage and locks) unless it
 * is about what one context shares (tabs, reloads).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type {} from '../src/storage/indexeddb/testing-page.ts';
import type {} from '../src/storage/indexeddb/testing-conformance-page.ts';
import { REPO, startBrowserHarness, type BrowserHarness } from './browser-harness.ts';

/** The test pages: the store's API, and the LogStore conformance suite (vitest aliased to a shim). */
const PAGES = {
  'storage-idb': join(REPO, 'src/storage/indexeddb/testing-page.ts'),
  'storage-idb-conformance': join(REPO, 'src/storage/indexeddb/testing-conformance-page.ts'),
};
const BUILD = { alias: { vitest: join(REPO, 'src/storage/indexeddb/testing-vitest-shim.ts') } };

let harness: BrowserHarness | undefined;
/** Why the harness could not start; every test fails with it (vitest would report skips). */
let setupError: unknown;

beforeAll(async () => {
  try {
    harness = await startBrowserHarness(PAGES, BUILD);
  } catch (err) {
    setupError = err;
  }
}, 90_000);

afterAll(async () => {
  await harness?.close();
});

function ready(): BrowserHarness {
  if (setupError !== undefined) throw setupError;
  if (harness === undefined) throw new Error('browser harness did not start');
  return harness;
}

/** Runs `body` with a page of the test entry in a fresh context, closing the context after. */
async function withPage<T>(body: (page: Page, context: BrowserContext) => Promise<T>): Promise<T> {
  const h = ready();
  const context = await h.newContext();
  try {
    const page = await h.openPage('storage-idb', context);
    return await body(page, context);
  } finally {
    await context.close();
  }
}

describe('IndexedDbLogStore in Chromium', () => {
  it('bundles for the browser without importing any Node built-in module', () => {
    const h = ready();
    expect(h.built.builtinImports, `Node built-ins in the browser bundle:\n${h.built.builtinImports.join('\n')}`).toEqual([]);
  });

  it('returns on reopen exactly the entries and hard state it synced, and reports them durable', async () => {
    const out = await withPage((page) =>
      page.evaluate(async () => {
        const t = window.geodeIdb!;
        const first = await t.open('peer-a');
        const fresh = t.view(first.state);
        const freshMark = first.store.durable();
        first.store.stage({ entries: t.entries(1, 5, 1), hardState: t.hardState(1, 3) });
        first.store.stage({ entries: t.entries(6, 9, 2, 100), hardState: t.hardState(2, 9, 7) });
        const beforeSync = first.store.durable();
        await first.store.sync();
        const afterSync = first.store.durable();
        await first.store.close();
        const again = await t.open('peer-a');
        const reopened = t.view(again.state);
        const reopenMark = again.store.durable();
        await again.store.close();
        const expected = t.view({ hardState: t.hardState(2, 9, 7), snapshot: undefined, entries: [...t.entries(1, 5, 1), ...t.entries(6, 9, 2, 100)] });
        return { fresh, freshMark, beforeSync, afterSync, reopened, reopenMark, expected };
      }),
    );
    expect(out.fresh).toEqual({ hardState: { term: 0, vote: 0, commit: 0 }, snapshot: undefined, entries: [] });
    expect(out.freshMark).toEqual({ lastIndex: 0, snapshotIndex: 0 });
    expect(out.beforeSync).toEqual({ lastIndex: 0, snapshotIndex: 0 });
    expect(out.afterSync).toEqual({ lastIndex: 9, snapshotIndex: 0 });
    expect(out.reopened).toEqual(out.expected);
    expect(out.reopened.entries).toHaveLength(9);
    expect(out.reopenMark).toEqual({ lastIndex: 9, snapshotIndex: 0 });
  });

  it('drops a conflicting suffix durably when entries overwrite it, and appends after the new tail', async () => {
    const out = await withPage((page) =>
      page.evaluate(async () => {
        const t = window.geodeIdb!;
        const a = await t.open('peer-b');
        a.store.stage({ entries: t.entries(1, 10, 1), hardState: t.hardState(1, 2) });
        await a.store.sync();
        a.store.stage({ entries: t.entries(4, 6, 2), hardState: t.hardState(2, 2) });
        await a.store.sync();
        const mark = a.store.durable();
        await a.store.close();
        const b = await t.open('peer-b');
        const truncated = t.view(b.state);
        b.store.stage({ entries: t.entries(7, 8, 2) });
        await b.store.sync();
        await b.store.close();
        const c = await t.open('peer-b');
        const extended = t.view(c.state);
        await c.store.close();
        return {
          mark,
          truncated,
          expectTruncated: t.view({ hardState: t.hardState(2, 2), snapshot: undefined, entries: [...t.entries(1, 3, 1), ...t.entries(4, 6, 2)] }),
          extendedTerms: extended.entries.map((e) => [e.index, e.term]),
        };
      }),
    );
    expect(out.mark).toEqual({ lastIndex: 6, snapshotIndex: 0 });
    expect(out.truncated).toEqual(out.expectTruncated);
    expect(out.extendedTerms).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => [i, i <= 3 ? 1 : 2]));
  });

  it('keeps a multi-chunk snapshot and drops the entries it covers; a received snapshot replaces the log', async () => {
    const out = await withPage((page) =>
      page.evaluate(async () => {
        const t = window.geodeIdb!;
        const a = await t.open('peer-c', { snapshotChunkBytes: 1000 });
        a.store.stage({ entries: t.entries(1, 20, 1), hardState: t.hardState(1, 20) });
        await a.store.sync();
        await a.store.saveSnapshot(t.snapshot(12, 1, 3500)); // 4 chunks
        const mark = a.store.durable();
        await a.store.close();
        const b = await t.open('peer-c', { snapshotChunkBytes: 1000 });
        const compacted = t.view(b.state);
        // A later snapshot (one chunk) replaces the earlier one and its chunks.
        b.store.stage({ entries: t.entries(21, 30, 1) });
        await b.store.saveSnapshot(t.snapshot(25, 1, 10));
        await b.store.close();
        const c = await t.open('peer-c');
        const second = t.view(c.state);
        // A snapshot received from a leader replaces the whole log; entries after it follow.
        c.store.stage({ snapshot: t.snapshot(50, 3, 2500), hardState: t.hardState(3, 50) });
        c.store.stage({ entries: t.entries(51, 52, 3) });
        await c.store.sync();
        const receivedMark = c.store.durable();
        await c.store.close();
        const d = await t.open('peer-c');
        const received = t.view(d.state);
        await d.store.close();
        return {
          mark,
          compacted,
          expectCompacted: t.view({ hardState: t.hardState(1, 20), snapshot: t.snapshot(12, 1, 3500), entries: t.entries(13, 20, 1) }),
          second,
          expectSecond: t.view({ hardState: t.hardState(1, 20), snapshot: t.snapshot(25, 1, 10), entries: t.entries(26, 30, 1) }),
          receivedMark,
          received,
          expectReceived: t.view({ hardState: t.hardState(3, 50), snapshot: t.snapshot(50, 3, 2500), entries: t.entries(51, 52, 3) }),
        };
      }),
    );
    expect(out.mark).toEqual({ lastIndex: 20, snapshotIndex: 12 });
    expect(out.compacted).toEqual(out.expectCompacted);
    expect(out.compacted.snapshot?.length).toBe(3500);
    expect(out.second).toEqual(out.expectSecond);
    expect(out.receivedMark).toEqual({ lastIndex: 52, snapshotIndex: 50 });
    expect(out.received).toEqual(out.expectReceived);
  });

  it('refuses to open a database whose snapshot lost a chunk, with INPUT_INVALID naming the database and the key', async () => {
    const err = await withPage((page) =>
      page.evaluate(async () => {
        const t = window.geodeIdb!;
        const a = await t.open('peer-broken', { snapshotChunkBytes: 1000 });
        a.store.stage({ entries: t.entries(1, 8, 1), hardState: t.hardState(1, 8) });
        await a.store.saveSnapshot(t.snapshot(6, 1, 2500));
        await a.store.close();
        await t.deleteChunk('peer-broken', 6, 1);
        const e = await t.errorOf(() => t.open('peer-broken'));
        // The failed open released the lock: the database can be opened again once repaired.
        const lockFree = await t.errorOf(async () => (await navigator.locks.query()).held!.length === 0 || Promise.reject(new Error('lock held')));
        return { e, lockFree };
      }),
    );
    expect(err.e?.name).toBe('GeodeError');
    expect(err.e?.code).toBe('INPUT_INVALID');
    expect(err.e?.message).toContain("IndexedDB database 'peer-broken'");
    expect(err.e?.message).toContain("object store 'snapshotChunks'");
    expect(err.e?.message).toContain('key [6,1]');
    expect(err.lockFree).toBeUndefined();
  });

  it('lets only one owner open a database: a second open, in the same tab or another, is refused with IO', async () => {
    const out = await withPage(async (page, context) => {
      const first = await page.evaluate(async () => {
        const t = window.geodeIdb!;
        const a = await t.open('peer-owned');
        t.held.set('peer-owned', a.store);
        return t.errorOf(() => t.open('peer-owned'));
      });
      const other = await ready().openPage('storage-idb', context);
      const fromOtherTab = await other.evaluate(() => window.geodeIdb!.errorOf(() => window.geodeIdb!.open('peer-owned')));
      await page.evaluate(async () => {
        await window.geodeIdb!.held.get('peer-owned')!.close();
      });
      const afterClose = await other.evaluate(async () => {
        const t = window.geodeIdb!;
        return t.errorOf(async () => {
          const b = await t.open('peer-owned');
          await b.store.close();
        });
      });
      return { first, fromOtherTab, afterClose };
    });
    for (const e of [out.first, out.fromOtherTab]) {
      expect(e?.code).toBe('IO');
      expect(e?.message).toContain("IndexedDB database 'peer-owned' is open in another tab");
    }
    expect(out.afterClose).toBeUndefined();
  });

  it('coalesces overlapping syncs into fewer transactions (group commit) and makes all of them durable', async () => {
    const out = await withPage((page) =>
      page.evaluate(async () => {
        const t = window.geodeIdb!;
        const a = await t.open('peer-group');
        const waits: Promise<void>[] = [];
        for (let i = 1; i <= 50; i++) {
          a.store.stage({ entries: t.entries(i, i, 1), hardState: t.hardState(1, i) });
          waits.push(a.store.sync());
        }
        await Promise.all(waits);
        const stats = a.store.stats();
        await a.store.close();
        const b = await t.open('peer-group');
        const count = b.state.entries.length;
        const commit = b.state.hardState.commit;
        await b.store.close();
        return { stats, count, commit };
      }),
    );
    expect(out.stats.syncCalls).toBe(50);
    expect(out.stats.syncTransactions).toBeGreaterThanOrEqual(1);
    expect(out.stats.syncTransactions).toBeLessThan(50);
    expect(out.stats.entriesWritten).toBe(50);
    expect(out.count).toBe(50);
    expect(out.commit).toBe(50);
  });

  it('poisons the store after a failed sync: that sync and every later call reject with the same error', async () => {
    const out = await withPage((page) =>
      page.evaluate(async () => {
        const t = window.geodeIdb!;
        const a = await t.open('peer-poison');
        a.store.stage({ entries: t.entries(1, 3, 1), hardState: t.hardState(1, 3) });
        await a.store.sync();
        // Data that cannot be cloned into IndexedDB: the put fails, the transaction aborts.
        const bad = { index: 4, term: 1, type: 'normal', data: () => 0 } as unknown as ReturnType<typeof t.entries>[number];
        a.store.stage({ entries: [bad] });
        const failed = await t.errorOf(() => a.store.sync());
        const later = await t.errorOf(() => a.store.sync());
        const stageLater = await t.errorOf(() => a.store.stage({ entries: t.entries(4, 4, 1) }));
        await a.store.close();
        const b = await t.open('peer-poison');
        const kept = b.state.entries.map((e) => e.index);
        await b.store.close();
        return { failed, later, stageLater, kept };
      }),
    );
    expect(out.failed?.code).toBe('IO');
    expect(out.failed?.message).toContain("database 'peer-poison'");
    expect(out.later).toEqual(out.failed);
    expect(out.stageLater).toEqual(out.failed);
    expect(out.kept).toEqual([1, 2, 3]);
  });

  it('refuses a database written by a newer schema version with IO naming the database', async () => {
    const e = await withPage((page) =>
      page.evaluate(async () => {
        const t = window.geodeIdb!;
        const a = await t.open('peer-newer');
        await a.store.close();
        await t.bumpVersion('peer-newer', 7);
        return t.errorOf(() => t.open('peer-newer'));
      }),
    );
    expect(e?.code).toBe('IO');
    expect(e?.message).toContain("IndexedDB database 'peer-newer' has a newer schema version");
  });

  it('turns a quota overrun into LIMIT_EXCEEDED naming the database', async () => {
    const out = await withPage(async (page, context) => {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(page.url()).origin, quotaSize: 1024 * 1024 });
      return page.evaluate(async () => {
        const t = window.geodeIdb!;
        const a = await t.open('peer-quota');
        a.store.stage({ entries: t.entries(1, 40, 1, 64 * 1024) });
        const e = await t.errorOf(() => a.store.sync());
        await a.store.close();
        return e;
      });
    });
    expect(out?.code).toBe('LIMIT_EXCEEDED');
    expect(out?.message).toContain("IndexedDB quota exceeded for database 'peer-quota'");
  });

  it('passes the LogStore conformance suite (src/storage/log-store-conformance.ts) against real IndexedDB', async () => {
    const h = ready();
    const context = await h.newContext();
    try {
      const page = await h.openPage('storage-idb-conformance', context);
      page.setDefaultTimeout(60_000);
      const outcomes = await page.evaluate(() => window.geodeIdbConformance!());
      const failed = outcomes.filter((o) => !o.ok).map((o) => `${o.name}\n${o.error ?? ''}`);
      expect(failed, failed.join('\n\n')).toEqual([]);
      expect(outcomes.length).toBeGreaterThanOrEqual(9);
    } finally {
      await context.close();
    }
  });

  it('finds its data again after a page reload, under the same per-tab database name', async () => {
    const out = await withPage(async (page, context) => {
      const before = await page.evaluate(async () => {
        const t = window.geodeIdb!;
        const name = await t.tabPeerDatabaseName('geode');
        const a = await t.open(name);
        a.store.stage({ entries: t.entries(1, 30, 1), hardState: t.hardState(1, 30) });
        await a.store.sync();
        // Not closed: the reload must release the lock by itself.
        t.held.set(name, a.store);
        // While this page holds it open, it is still this tab's name.
        const whileOpen = await t.tabPeerDatabaseName('geode');
        return { name, whileOpen };
      });
      await ready().reload(page);
      const after = await page.evaluate(async () => {
        const t = window.geodeIdb!;
        const name = await t.tabPeerDatabaseName('geode');
        const a = await t.open(name, { lockWaitMs: 1000 });
        const count = a.state.entries.length;
        const commit = a.state.hardState.commit;
        t.held.set(name, a.store);
        return { name, count, commit };
      });
      // Another tab of the same origin is another peer: another database.
      const other = await ready().openPage('storage-idb', context);
      const otherName = await other.evaluate(() => window.geodeIdb!.tabPeerDatabaseName('geode'));
      // A duplicated tab copies sessionStorage; its remembered name is owned by the first tab.
      const duplicateName = await other.evaluate(async (taken) => {
        sessionStorage.setItem('geode:peer-database', taken);
        return window.geodeIdb!.tabPeerDatabaseName('geode');
      }, before.name);
      return { before, after, otherName, duplicateName };
    });
    expect(out.before.name).toMatch(/^geode-peer-[0-9a-f]{16}$/);
    expect(out.before.whileOpen).toBe(out.before.name);
    expect(out.after).toEqual({ name: out.before.name, count: 30, commit: 30 });
    expect(out.otherName).toMatch(/^geode-peer-[0-9a-f]{16}$/);
    expect(out.otherName).not.toBe(out.before.name);
    expect(out.duplicateName).not.toBe(out.before.name);
    expect(ready().problems).toEqual([]);
  });

  it('keeps what sync() acknowledged across a browser restart on an on-disk profile', async () => {
    ready();
    const disk = await startBrowserHarness({ 'storage-idb': PAGES['storage-idb'] }, { persistentProfile: true });
    try {
      const page = await disk.openPage('storage-idb');
      await page.evaluate(async () => {
        const t = window.geodeIdb!;
        const a = await t.open('peer-disk', { snapshotChunkBytes: 1000 });
        a.store.stage({ entries: t.entries(1, 40, 1, 100), hardState: t.hardState(1, 40) });
        await a.store.saveSnapshot(t.snapshot(30, 1, 2500));
        a.store.stage({ entries: t.entries(41, 45, 2, 100), hardState: t.hardState(2, 45) });
        await a.store.sync();
        // Staged but never synced: may be lost, must not corrupt anything.
        a.store.stage({ entries: t.entries(46, 50, 2, 100) });
        t.held.set('peer-disk', a.store);
      });
      await disk.restartBrowser();
      const again = await disk.openPage('storage-idb');
      const out = await again.evaluate(async () => {
        const t = window.geodeIdb!;
        const a = await t.open('peer-disk');
        const got = t.view(a.state);
        await a.store.close();
        return {
          got,
          expected: t.view({ hardState: t.hardState(2, 45), snapshot: t.snapshot(30, 1, 2500), entries: [...t.entries(31, 40, 1, 100), ...t.entries(41, 45, 2, 100)] }),
        };
      });
      expect(out.got).toEqual(out.expected);
      expect(disk.problems).toEqual([]);
    } finally {
      await disk.close();
    }
  });
});
