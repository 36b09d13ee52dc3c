/**
 * The persistent embedded database in Chromium: `openGeode({ storage: 'indexeddb' })` keeps the
 * graph across a reload, and two tabs of one origin are two peers with separate databases.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, startBrowserHarness, type BrowserHarness } from './browser-harness.ts';

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness({ 'persistent-db': join(REPO, 'e2e/pages/persistent-db.ts') });
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

/** Page errors, without the browser's request for /favicon.ico (the test pages have none). */
function pageProblems(): string[] {
  return harness.problems.filter((p) => !p.includes('status of 404'));
}

async function query(page: Page, text: string): Promise<unknown> {
  const error = await page.evaluate(() => (window as unknown as { geodeTest: { error?: string } }).geodeTest.error);
  expect(error).toBeUndefined();
  const json = await page.evaluate((t) => (window as unknown as { geodeTest: { query(t: string): Promise<string> } }).geodeTest.query(t), text);
  return JSON.parse(json) as unknown;
}

describe('persistent embedded database in the browser (IndexedDB)', () => {
  it('the browser bundle imports no Node built-in', () => {
    expect(harness.built.builtinImports).toEqual([]);
  });

  it('keeps what a page wrote across a reload', async () => {
    const page = await harness.openPage('persistent-db');
    await query(page, "CREATE (:Note {text: 'kept'})-[:TAGGED]->(:Tag {name: 'x'})");
    await harness.reload(page);
    expect(await query(page, 'MATCH (n:Note)-[:TAGGED]->(t:Tag) RETURN n.text AS text, t.name AS tag')).toEqual([{ text: 'kept', tag: 'x' }]);
    // And it keeps writing after the reload.
    await query(page, "CREATE (:Note {text: 'second'})");
    await harness.reload(page);
    expect(await query(page, 'MATCH (n:Note) RETURN n.text AS text ORDER BY text')).toEqual([{ text: 'kept' }, { text: 'second' }]);
    expect(pageProblems()).toEqual([]);
    await page.context().close();
  });

  it('two tabs of one origin keep separate databases, each across its reloads', async () => {
    const context = await harness.newContext();
    const a = await harness.openPage('persistent-db', context);
    const b = await harness.openPage('persistent-db', context);
    await query(a, "CREATE (:Who {tab: 'a'})");
    await query(b, "CREATE (:Who {tab: 'b'})");
    await harness.reload(a);
    await harness.reload(b);
    expect(await query(a, 'MATCH (w:Who) RETURN w.tab AS tab')).toEqual([{ tab: 'a' }]);
    expect(await query(b, 'MATCH (w:Who) RETURN w.tab AS tab')).toEqual([{ tab: 'b' }]);
    expect(pageProblems()).toEqual([]);
    await context.close();
  });
});
