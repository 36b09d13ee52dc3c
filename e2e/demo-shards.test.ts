/**
 * The demo as a sharded cluster: three Chromium tabs opened on `#cluster=<id>&shards=3` form a
 * cluster of three shards (each its own Raft group with a leader and three voters, the tabs being
 * every shard's replicas); the shard view in every tab lists the three shards with their strategy,
 * key space and leader; Person nodes created in one tab are spread over the shards and counted in
 * another; a lookup of a Person by its id (the shard key) run in the console touches one shard and a count touches all three, and
 * the view marks exactly those; the schema shows no internal names. No tab logs a console error. Needs Chromium (e2e/browser-harness.ts).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, waitUntil } from './browser-harness.ts';
import { DemoTabs } from './demo-tabs.ts';

const TABS = 3;
const SHARDS = 3;
const WAIT_MS = 30_000;

const tabs = new DemoTabs();
const pages = tabs.pages;

beforeAll(() => tabs.start('e2e-shards', `&shards=${SHARDS}`), 90_000);
afterAll(() => tabs.close(), 30_000);

const data = (p: Page, key: string): Promise<string | undefined> => tabs.data(p, key);

/** Types `text` into the console of `tab`, runs it, and waits for its result. */
async function runInConsole(tab: Page, text: string): Promise<void> {
  const runs = Number((await data(tab, 'runs')) ?? '0');
  await tab.locator('.cm-content').click();
  await tab.keyboard.press('Control+A');
  await tab.keyboard.insertText(text);
  await tab.keyboard.press('Escape');
  await tab.click('#run');
  await tab.waitForFunction((n) => Number(document.body.dataset['runs'] ?? '0') > n, runs, { timeout: WAIT_MS });
  expect(await tab.locator('#error').isHidden(), `${text}: ${await tab.locator('#error').textContent()}`).toBe(true);
}

describe('the demo as a sharded cluster of tabs', () => {
  it('forms three shards, each with a leader, shown in every tab', async () => {
    for (let i = 0; i < TABS; i++) await tabs.openTab(WAIT_MS);
    await waitUntil(
      'every tab to show three shards with a leader each',
      async () => (await Promise.all(pages.map(async (p) => (await data(p, 'shardCount')) === String(SHARDS) && (await data(p, 'shardLeaders')) === String(SHARDS)))).every(Boolean),
      90_000,
    );
    const cards = pages[1]!.locator('#shard-list .shard-card');
    expect(await cards.count()).toBe(SHARDS);
    expect(await cards.first().textContent()).toContain('Person: hash(id)');
    // Every shard's voters become the three tabs.
    const voters = (): Promise<number[]> => cards.evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset['voters'])));
    await waitUntil('three voters in every shard', async () => (await voters()).every((n) => n === TABS), 60_000);
  }, 180_000);

  it('spreads nodes created in one tab over the shards; another tab counts them all', async () => {
    await waitUntil(
      'the insert to be acknowledged',
      async () =>
        pages[0]!.evaluate(async () => {
          try {
            await window.geode!.query('UNWIND range(1, 30) AS i CREATE (:Person {id: i})');
            return true;
          } catch {
            return false; // a shard still electing: try again
          }
        }),
      WAIT_MS,
    );
    const n = await pages[2]!.evaluate(async () => (await window.geode!.query('MATCH (p:Person) RETURN count(p) AS n')).rows[0]!['n']);
    expect(n).toBe(30n);
    // Held by more than one shard: the shard view's node counts of the three shards add up to at least 30 items.
    const owned = (): Promise<number[]> => pages[2]!.locator('#shard-list .shard-card').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset['nodes'])));
    await waitUntil('the shard view to count the 30 nodes', async () => (await owned()).reduce((a, b) => a + b, 0) >= 30, WAIT_MS);
    expect((await owned()).filter((x) => x > 0).length).toBeGreaterThan(1);
  }, 60_000);

  it('marks the shards a statement touched: one for an insert and for a lookup by id, all for a count', async () => {
    const tab = pages[1]!;
    // A write from the console: one shard (it also refreshes the console's schema).
    await runInConsole(tab, 'CREATE (:Person {id: 31})');
    await waitUntil('one shard marked for the insert', async () => ((await data(tab, 'shardTouched')) ?? '').split(',').filter(Boolean).length === 1, WAIT_MS);
    await runInConsole(tab, 'MATCH (p:Person {id: 7}) RETURN p.id AS id');
    await waitUntil('one shard marked', async () => ((await data(tab, 'shardTouched')) ?? '').split(',').filter(Boolean).length === 1, WAIT_MS);
    expect(await tab.locator('#status').textContent()).toMatch(/shard \d/);
    await runInConsole(tab, 'MATCH (p:Person) RETURN count(p) AS n');
    await waitUntil('three shards marked', async () => (await data(tab, 'shardTouched')) === '0,1,2', WAIT_MS);
    expect(await tab.locator('#shard-list .shard-card.touched').count()).toBe(SHARDS);
    // The shards' internal records (ghosts, id-base markers) stay out of the schema the console shows.
    expect(await tab.locator('#schema').textContent()).toContain('Person');
    expect(await tab.locator('#schema').textContent()).not.toContain('__geode');
    await tab.evaluate(() => document.querySelector('#shard-view')!.scrollIntoView({ block: 'start' }));
    await tab.screenshot({ path: join(REPO, 'e2e/screenshots/demo-shards-1280x800.png') });
  }, 60_000);

  it('logs no console errors in any tab', () => {
    expect(tabs.consoleErrors).toEqual([]);
  });
});
