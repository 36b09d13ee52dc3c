/**
 * The demo's federation view: Vite's dev server with its relay and federation directory
 * (`npm run demo`) and two groups of Chromium tabs, each tab its own browser context, as two
 * federated clusters: `us` (`#cluster=us-…&federate=eu-…`) and `eu` (`#cluster=eu-…&federate=us-…`).
 *
 * (1) writes made in either cluster reach every tab of both (the graphs converge);
 * (2) the panel's Cut button cuts the link both ways (a write stays in its cluster), and Heal
 *     brings both clusters to one graph; the conflict example's property, written in both
 *     clusters while cut, ends with one value in every tab, the one with the later hybrid
 *     timestamp, and the tab whose write lost says why;
 * (3) a tab taken offline (`context.setOffline`) forks (local-first), keeps accepting writes,
 *     and once back online its writes reach both clusters, it holds the writes made meanwhile,
 *     and it is a member of its cluster again;
 * (3b) a tab cut off from the majority of its cluster (the cluster panel's Cut off) forks after a
 *     few seconds without a leader, its writes reach its cluster by federation while it is still
 *     cut off, and on Resume it is a member again;
 * (3c) a tab reloaded while forked reopens its fork (same id), drains it and rejoins;
 * (3d) a tab closed while forked (offline) leaves its fork in its profile; a new tab of the cluster
 *     in that profile adopts it, its cluster merges it, and the fork's database is deleted;
 * (4) no tab logs a console error (but Chromium's own `net::ERR_INTERNET_DISCONNECTED` lines of the
 *     offline tab's relay and directory requests).
 *
 * It also takes the federation view's screenshot (e2e/screenshots/demo-federation-1280x800.png).
 * Needs Chromium (see e2e/browser-harness.ts).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, waitUntil } from './browser-harness.ts';
import { DemoTabs } from './demo-tabs.ts';

const WAIT_MS = 60_000;
const stamp = Date.now().toString(36);
const US = `us-${stamp}`;
const EU = `eu-${stamp}`;

const tabs = new DemoTabs();
const us: Page[] = [];
const eu: Page[] = [];

beforeAll(async () => {
  await tabs.start('fed');
  const link = (self: string, other: string): string => `${tabs.base}#cluster=${self}&federate=${other}`;
  // One tab of each founds its cluster first; the second tabs then join.
  us.push(await tabs.openTab(WAIT_MS, undefined, link(US, EU)));
  eu.push(await tabs.openTab(WAIT_MS, undefined, link(EU, US)));
  us.push(await tabs.openTab(WAIT_MS, undefined, link(US, EU)));
  eu.push(await tabs.openTab(WAIT_MS, undefined, link(EU, US)));
}, 120_000);
afterAll(() => tabs.close(), 60_000);

const all = (): Page[] => [...us, ...eu];

/** The `k` of every :W node the tab's database holds (local reads). */
function keys(p: Page): Promise<string[]> {
  return p.evaluate(async () => (await window.geode!.query('MATCH (w:W) RETURN w.k AS k ORDER BY k', {}, { readQuorum: 1 })).rows.map((r) => String(r['k'])));
}

function write(p: Page, k: string): Promise<void> {
  return p.evaluate(async (key) => void (await window.geode!.query('CREATE (:W {k: $k})', { k: key })), k);
}

/** The tab of `group` that leads its cluster. */
async function leaderOf(group: Page[]): Promise<Page> {
  let found: Page | undefined;
  await waitUntil('a leader tab', async () => {
    for (const p of group) if ((await tabs.data(p, 'clusterRole')) === 'leader') found = p;
    return found !== undefined;
  }, WAIT_MS);
  return found!;
}

async function everyTabHolds(what: string, expected: string[], timeoutMs = WAIT_MS): Promise<void> {
  await waitUntil(what, async () => {
    for (const p of all()) {
      const k = await keys(p);
      if (!expected.every((e) => k.includes(e))) return false;
    }
    return true;
  }, timeoutMs);
}

describe('demo federation view (two tab clusters)', () => {
  it('converges: writes made in either cluster reach every tab of both', async () => {
    await write(us[0]!, 'from-us');
    await write(eu[1]!, 'from-eu');
    await everyTabHolds('both writes in every tab', ['from-eu', 'from-us']);
    const usLeader = await leaderOf(us);
    await waitUntil('the us leader’s panel shows the link connected', async () => (await tabs.data(usLeader, 'federationLinks')) === `${EU}:connected`, WAIT_MS);
  }, 90_000);

  it('cuts and heals the link from the panel; a conflicting write ends as the later one everywhere, and the loser says why', async () => {
    const usLeader = await leaderOf(us);
    const euLeader = await leaderOf(eu);
    // The conflict node exists in both clusters before the cut.
    await usLeader.click('#federation-conflict-write');
    await waitUntil('the conflict node in every tab', async () => {
      for (const p of all()) if ((await tabs.data(p, 'federationConflict')) === undefined) return false;
      return true;
    }, WAIT_MS);

    await usLeader.click(`#federation-cut-${EU}`);
    for (const p of [usLeader, euLeader]) await waitUntil('the link cut on both leaders', async () => (await tabs.data(p, 'federationLinks'))?.endsWith(':cut') ?? false, WAIT_MS);
    await write(us[0]!, 'us-while-cut');
    await write(eu[0]!, 'eu-while-cut');
    await usLeader.fill('#federation-conflict-value', 'us-red');
    await usLeader.click('#federation-conflict-write');
    await waitUntil('us-red kept in the us leader tab', async () => (await tabs.data(usLeader, 'federationConflict')) === 'us-red', WAIT_MS);
    await euLeader.fill('#federation-conflict-value', 'eu-blue'); // written later: it wins
    await euLeader.click('#federation-conflict-write');
    await waitUntil('eu-blue kept in the eu leader tab', async () => (await tabs.data(euLeader, 'federationConflict')) === 'eu-blue', WAIT_MS);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await keys(usLeader)).not.toContain('eu-while-cut');
    expect(await keys(euLeader)).not.toContain('us-while-cut');

    await euLeader.click(`#federation-cut-${US}`); // Heal, from the other side
    await everyTabHolds('the writes made while cut in every tab', ['eu-while-cut', 'us-while-cut']);
    await waitUntil('one colour in every tab', async () => {
      for (const p of all()) if ((await tabs.data(p, 'federationConflict')) !== 'eu-blue') return false;
      return true;
    }, WAIT_MS);
    await waitUntil('the us leader says why its write lost', async () => (await tabs.data(usLeader, 'federationConflictWhy')) === 'later', WAIT_MS);
    expect(await usLeader.textContent('#federation-conflict')).toMatch(/"eu-blue" from eu-.* wins: its hybrid timestamp .* is later than/);
    await waitUntil('the us leader’s link connected again', async () => (await tabs.data(usLeader, 'federationLinks')) === `${EU}:connected`, WAIT_MS);
    await usLeader.waitForTimeout(1_500); // a few lag samples after the heal
    await usLeader.evaluate(() => document.querySelector('#federation-links')?.scrollIntoView({ block: 'start' })); // the links, the chart and the conflict's outcome
    await usLeader.screenshot({ path: join(REPO, 'e2e/screenshots/demo-federation-1280x800.png') });
  }, 90_000);

  it('a tab taken offline forks, keeps writing, and converges and rejoins once back online', async () => {
    const usLeader = await leaderOf(us);
    const tab = us.find((p) => p !== usLeader)!;
    await tab.context().setOffline(true);
    await waitUntil('the offline tab forks', async () => (await tabs.data(tab, 'localFirst')) === 'fork', WAIT_MS);
    expect(await keys(tab)).toContain('from-eu'); // the fork starts from what the tab held
    expect(await tab.textContent('#local-first-badge')).toMatch(/^working offline: /);
    await write(tab, 'offline-1');
    await write(tab, 'offline-2');
    expect(await keys(tab)).toEqual(expect.arrayContaining(['offline-1', 'offline-2']));
    expect(await tabs.data(tab, 'localFirstFork')).toMatch(new RegExp(`^${US}~`));
    await write(usLeader, 'online-meanwhile');
    await usLeader.waitForTimeout(1_000);
    expect(await keys(usLeader)).not.toContain('offline-1'); // the fork's writes are its own until it is back
    await tab.context().setOffline(false);
    await everyTabHolds('the offline writes in every tab of both clusters', ['offline-1', 'offline-2', 'online-meanwhile']);
    await waitUntil('the tab is a member again', async () => (await tabs.data(tab, 'localFirst')) === 'member', WAIT_MS);
    expect(await tabs.data(tab, 'localFirstForks')).toBe('1');
    expect(await tab.isVisible('#local-first-badge')).toBe(false);
    expect(await keys(tab)).toEqual(expect.arrayContaining(['offline-1', 'online-meanwhile', 'us-while-cut']));
  }, 90_000);

  it('a tab cut off from its cluster’s majority forks after a while without a leader; its writes reach its cluster by federation meanwhile, and it rejoins on resume', async () => {
    us.push(await tabs.openTab(WAIT_MS, undefined, `${tabs.base}#cluster=${US}&federate=${EU}`)); // three voters: one cut off leaves a majority
    await waitUntil('three voters in us', async () => (await tabs.data(us[0]!, 'clusterVoters')) === '3', WAIT_MS);
    const usLeader = await leaderOf(us);
    const tab = us.find((p) => p !== usLeader)!;
    const forksBefore = Number(await tabs.data(tab, 'localFirstForks'));
    await tab.click('#fault-cut'); // the cluster panel's Cut off: no Raft traffic to or from this tab
    await waitUntil('the cut-off tab forks', async () => (await tabs.data(tab, 'localFirst')) === 'fork', WAIT_MS);
    await write(tab, 'isolated-1');
    await waitUntil('the fork’s write in the us leader, by federation', async () => (await keys(usLeader)).includes('isolated-1'), WAIT_MS);
    await tab.click('#fault-resume');
    await waitUntil('the tab is a member again', async () => (await tabs.data(tab, 'localFirst')) === 'member', WAIT_MS);
    await everyTabHolds('the cut-off tab’s write in every tab of both clusters', ['isolated-1']);
    expect(Number(await tabs.data(tab, 'localFirstForks'))).toBe(forksBefore + 1);
    for (const p of us) if (p !== tab) expect(await tabs.data(p, 'localFirst')).toBe('member'); // the majority never forked
  }, 90_000);

  it('a tab reloaded while forked reopens its fork, drains it into its cluster and rejoins', async () => {
    const usLeader = await leaderOf(us);
    const at = us.findIndex((p) => p !== usLeader);
    const tab = us[at]!;
    await tab.click('#fault-cut');
    await waitUntil('the cut-off tab forks', async () => (await tabs.data(tab, 'localFirst')) === 'fork', WAIT_MS);
    const fork = await tabs.data(tab, 'localFirstFork');
    await write(tab, 'before-reload');
    await tab.reload(); // ends the cut-off too: the reloaded tab's member rejoins its group
    await tab.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, { timeout: WAIT_MS });
    await waitUntil('the reloaded tab reopened its fork', async () => (await tabs.data(tab, 'localFirstFork')) === fork, WAIT_MS);
    await waitUntil('the reloaded tab is a member again', async () => (await tabs.data(tab, 'localFirst')) === 'member', WAIT_MS);
    await everyTabHolds('the write made before the reload in every tab', ['before-reload']);
    expect(await tab.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('geode-demo-fork:')))).toEqual([]); // the fork is over
  }, 90_000);

  it('a tab closed while forked leaves its fork behind; the next tab of its cluster in that browser profile merges it and deletes it', async () => {
    const usLeader = await leaderOf(us);
    const at = us.findIndex((p) => p !== usLeader);
    const tab = us[at]!;
    const profile = tab.context();
    await profile.setOffline(true);
    await waitUntil('the offline tab forks', async () => (await tabs.data(tab, 'localFirst')) === 'fork', WAIT_MS);
    const fork = (await tabs.data(tab, 'localFirstFork'))!;
    await write(tab, 'left-behind-1');
    const listed = (p: Page): Promise<string> => p.evaluate((c) => localStorage.getItem(`geode-demo-forks:${c}`) ?? '', US);
    expect(await listed(tab)).toContain(fork);
    await tab.close(); // still offline: the fork's write never left it
    us.splice(at, 1);
    expect(await keys(usLeader)).not.toContain('left-behind-1');
    await profile.setOffline(false);
    const next = await tabs.openTab(WAIT_MS, undefined, `${tabs.base}#cluster=${US}&federate=${EU}`, profile);
    us.push(next);
    await everyTabHolds('the closed tab’s fork write in every tab of both clusters', ['left-behind-1']);
    await waitUntil('the new tab merged the fork and deleted it', async () => (await tabs.data(next, 'localFirstAdopted')) === '1', WAIT_MS);
    expect(await listed(next)).not.toContain(fork);
    const dbs = await next.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? ''));
    expect(dbs.filter((n) => n.includes(fork))).toEqual([]);
    expect(await tabs.data(next, 'localFirst')).toBe('member'); // statements never went to the adopted fork
  }, 120_000);

  it('logs no console errors (but the browser’s own network errors while a tab is offline)', () => {
    expect(tabs.consoleErrors.filter((e) => !e.includes('net::ERR_INTERNET_DISCONNECTED'))).toEqual([]);
  });
});
