/**
 * The demo with many tabs, and a hidden one: Vite's dev server with its relay (`npm run demo`)
 * and eight Chromium tabs, each its own browser context, on one `#cluster=<id>` link.
 *
 * (5) the eight tabs form one cluster: one leader every tab agrees on, three voters (the
 *     replication factor) and five learners;
 * (6) the leader's tab marked hidden (document.visibilityState and `hidden` overridden, then a
 *     `visibilitychange` event; Chromium's background timer throttling left on) hands its
 *     leadership to a visible tab, announces itself hidden, and then the cluster sees no leader
 *     churn for 30 s: the term and the leader stay the same in every tab;
 * (7) no tab logs a console error.
 *
 * It also takes the dashboard's 390×844 screenshot (e2e/screenshots/demo-cluster-390x844.png).
 * Needs Chromium (see e2e/browser-harness.ts).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, waitUntil } from './browser-harness.ts';
import { DemoTabs } from './demo-tabs.ts';

const TABS = 8;
const VOTERS = 3;
const WAIT_MS = 90_000;
/** How long the hidden tab is watched for leader churn. */
const CALM_MS = 30_000;

const tabs = new DemoTabs();
const pages = tabs.pages;
const consoleErrors = tabs.consoleErrors;

beforeAll(() => tabs.start('e2e-tabs'), 90_000);
afterAll(() => tabs.close(), 60_000);

const data = (p: Page, key: string): Promise<string | undefined> => tabs.data(p, key);
const openTab = (viewport?: { width: number; height: number }): Promise<Page> => tabs.openTab(WAIT_MS, viewport);

/** What every tab sees: its role, the leader, the term, members. */
async function views(): Promise<{ role: string; leader: string; term: string; voters: string; members: number; self: string }[]> {
  return Promise.all(
    pages.map((p) =>
      p.evaluate(() => {
        const d = document.body.dataset;
        const rows = window.geode!.cluster!.status();
        return {
          role: d['clusterRole'] ?? '',
          leader: d['clusterLeader'] ?? '',
          term: d['clusterTerm'] ?? '',
          voters: d['clusterVoters'] ?? '',
          members: rows.filter((r) => r.role !== 'none').length,
          self: d['clusterSelf'] ?? '',
        };
      }),
    ),
  );
}

/** Marks `page` hidden as a backgrounded tab is: visibilityState and hidden, then the event. */
function hide(page: Page): Promise<void> {
  return page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
}

describe('the demo opened in eight tabs', () => {
  it('forms one cluster of eight: one leader every tab agrees on, three voters and five learners', async () => {
    await openTab();
    await waitUntil('the first tab to lead', async () => (await data(pages[0]!, 'clusterRole')) === 'leader', WAIT_MS);
    for (let i = 1; i < TABS; i++) await openTab(i === TABS - 1 ? { width: 390, height: 844 } : undefined);
    await waitUntil(
      'one leader with three voters and eight members, seen by every tab',
      async () => {
        const v = await views();
        const leaders = new Set(v.map((x) => x.leader));
        const leader = v.find((x) => x.role === 'leader');
        return v.filter((x) => x.role === 'leader').length === 1 && leaders.size === 1 && !leaders.has('') && leader?.voters === String(VOTERS) && leader.members === TABS;
      },
      WAIT_MS,
    );
    const v = await views();
    expect(new Set(v.map((x) => x.self)).size).toBe(TABS);
    // Every tab ticks from a Worker.
    for (const p of pages) expect(await data(p, 'clusterTicks')).toBe('worker');
  }, 300_000);

  it('a hidden leader tab hands over to a visible tab; then no leader churn for 30 s', async () => {
    const before = await views();
    const leaderAt = before.findIndex((x) => x.role === 'leader');
    expect(leaderAt).toBeGreaterThanOrEqual(0);
    const hiddenTab = pages[leaderAt]!;
    const hiddenSelf = before[leaderAt]!.self;
    await hide(hiddenTab);
    expect(await data(hiddenTab, 'clusterVisible')).toBe('false');
    // The hand-over: a new leader, another tab, that every tab (the hidden one too) follows.
    await waitUntil(
      'leadership to move from the hidden tab to a visible one',
      async () => {
        const v = await views();
        const leaders = new Set(v.map((x) => x.leader));
        return leaders.size === 1 && !leaders.has('') && !leaders.has(hiddenSelf) && v.filter((x) => x.role === 'leader').length === 1;
      },
      WAIT_MS,
    );
    // The other tabs see the hidden tab's presence.
    const seenHidden = await pages[(leaderAt + 1) % TABS]!.evaluate(
      (id) => window.geode!.cluster!.transport.presence().find((s) => s.id === id)?.visible,
      hiddenSelf,
    );
    expect(seenHidden).toBe(false);
    const settled = await views();
    const { leader, term } = settled[0]!;
    const elections = await Promise.all(pages.map((p) => data(p, 'clusterElections')));
    // Calm: sample every tab every second for 30 s; the leader and the term never move.
    const end = Date.now() + CALM_MS;
    while (Date.now() < end) {
      const v = await views();
      for (const x of v) {
        expect(x.leader).toBe(leader);
        expect(x.term).toBe(term);
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(await Promise.all(pages.map((p) => data(p, 'clusterElections')))).toEqual(elections);
    expect(await data(hiddenTab, 'clusterRole')).toBe('follower');
    // Still writable, and the write reaches the hidden tab.
    const leaderPage = pages[settled.findIndex((x) => x.role === 'leader')]!;
    await leaderPage.evaluate(() => window.geode!.query("CREATE (:Calm {after: 'hidden'})").then(() => undefined));
    await waitUntil(
      'the write to reach the hidden tab',
      async () => (await hiddenTab.evaluate(async () => (await window.geode!.query('MATCH (c:Calm) RETURN count(c) AS n', {}, { readQuorum: 1 })).rows[0]!['n'])) === 1n,
      WAIT_MS,
    );
  }, 300_000);

  it('takes the dashboard screenshot at 390×844: the leader tab, its lag chart with a line per replica', async () => {
    const v = await views();
    const phone = pages[v.findIndex((x) => x.role === 'leader')]!;
    await phone.setViewportSize({ width: 390, height: 844 });
    // Some writes, so the lag chart has something to draw, and a procedure's rows in the table.
    await phone.evaluate(async () => {
      await Promise.all(Array.from({ length: 40 }, (_x, i) => window.geode!.query('CREATE (:Shot {i: $i})', { i: BigInt(i) })));
    });
    const runs = Number((await data(phone, 'runs')) ?? '0');
    await phone.click('#cluster-call-lag');
    await phone.waitForFunction((n) => Number(document.body.dataset['runs'] ?? '0') > n, runs, { timeout: WAIT_MS });
    await phone.waitForFunction((n) => Number(document.querySelector('#lag-chart')?.getAttribute('data-series') ?? '0') === n, TABS, { timeout: WAIT_MS });
    // The dashboard: the group's facts, the peers, the lag chart, the procedures and fault controls.
    await phone.evaluate(() => document.querySelector('#cluster-summary')!.scrollIntoView({ block: 'start' }));
    await phone.screenshot({ path: join(REPO, 'e2e/screenshots/demo-cluster-390x844.png') });
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  }, 60_000);

  it('logged no console error in any tab', () => {
    expect(consoleErrors).toEqual([]);
  });
});
