/**
 * The demo as a cluster: Vite's dev server with its relay (what `npm run demo` runs), and three
 * Chromium tabs, each its own browser context (its own IndexedDB and peer key), opened on one
 * `#cluster=<id>` link. They form one Raft group with one leader and three voters; a node created
 * in the first tab is read in the third; a reloaded tab keeps its database and peer id and rejoins;
 * the dashboard's buttons run `db.cluster.*` procedures into the result table and drive the fault
 * controls (step down, cut off, pause, resume); closing the leader's tab elects a new leader with
 * every acknowledged write; no tab logs a console error. Needs Chromium (see
 * e2e/browser-harness.ts).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, waitUntil } from './browser-harness.ts';
import { DemoTabs } from './demo-tabs.ts';

const TABS = 3;
const WAIT_MS = 20_000;

const tabs = new DemoTabs();
const pages = tabs.pages;
const consoleErrors = tabs.consoleErrors;

beforeAll(() => tabs.start('e2e-demo'), 90_000);
afterAll(() => tabs.close(), 30_000);

const data = (p: Page, key: string): Promise<string | undefined> => tabs.data(p, key);
const openTab = (): Promise<Page> => tabs.openTab(WAIT_MS);

describe('the demo opened in several tabs', () => {
  it('forms one cluster: one leader, three voters, every tab agreeing on the leader', async () => {
    const opened = Date.now();
    await openTab();
    await waitUntil('the first tab to lead', async () => (await data(pages[0]!, 'clusterRole')) === 'leader', WAIT_MS);
    for (let i = 1; i < TABS; i++) await openTab();
    await waitUntil(
      'one leader and three voters seen by every tab',
      async () => {
        const roles = await Promise.all(pages.map((p) => data(p, 'clusterRole')));
        const leaders = new Set(await Promise.all(pages.map((p) => data(p, 'clusterLeader'))));
        const voters = await data(pages.find((_p, i) => roles[i] === 'leader') ?? pages[0]!, 'clusterVoters');
        return roles.filter((r) => r === 'leader').length === 1 && leaders.size === 1 && !leaders.has('') && voters === String(TABS);
      },
      WAIT_MS,
    );
    console.log(JSON.stringify({ demo_cluster_formed_ms: Date.now() - opened, tabs: TABS }));
    await pages[0]!.screenshot({ path: join(REPO, 'e2e/screenshots/demo-cluster-1280x800.png') });
  }, 90_000);

  it('returns in the third tab a node created in the first', async () => {
    const name = `ada-${Date.now()}`;
    await waitUntil(
      'the write to be acknowledged',
      async () =>
        pages[0]!.evaluate(async (n) => {
          try {
            await window.geode!.query('MERGE (:Person {name: $n})', { n });
            return true;
          } catch {
            return false;
          }
        }, name),
      WAIT_MS,
    );
    const rows = await pages[TABS - 1]!.evaluate(async (n) => (await window.geode!.query('MATCH (p:Person {name: $n}) RETURN p.name AS name', { n })).rows, name);
    expect(rows).toEqual([{ name }]);
  }, 60_000);

  it('reloads a tab: it keeps its IndexedDB database and peer id, and rejoins the group with its data', async () => {
    const follower = pages.find((_p, i) => i > 0)!;
    const before = await follower.evaluate(async () => (await window.geode!.query('MATCH (p:Person) RETURN count(p) AS n', {}, { readQuorum: 1 })).rows[0]!['n']);
    expect(before).toBeGreaterThan(0n);
    const nameBefore = await follower.evaluate(() => document.querySelector('#storage-name')?.textContent);
    const selfBefore = await data(follower, 'clusterSelf');
    expect(selfBefore).toBeTruthy();
    await follower.reload();
    await follower.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, { timeout: WAIT_MS });
    expect(await follower.evaluate(() => document.querySelector('#storage-name')?.textContent)).toBe(nameBefore);
    // The same peer (its key and database kept per tab): the group still has three voters, and the
    // tab's own replica holds what it held before.
    await waitUntil(
      'the reloaded tab to follow the leader again with its data',
      async () =>
        (await data(follower, 'clusterRole')) === 'follower' &&
        (await data(follower, 'clusterVoters')) === String(TABS) &&
        (await follower.evaluate(async () => (await window.geode!.query('MATCH (p:Person) RETURN count(p) AS n', {}, { readQuorum: 1 })).rows[0]!['n'])) === before,
      WAIT_MS,
    );
    expect(await data(follower, 'clusterSelf')).toBe(selfBefore);
  }, 60_000);

  it('runs CALL db.cluster.status(), replicationLag() and shards() from the dashboard buttons: their rows show in the result table', async () => {
    const tab = pages[0]!;
    const runs = Number((await data(tab, 'runs')) ?? '0');
    await tab.click('#cluster-call-status');
    await tab.waitForFunction((n) => Number(document.body.dataset['runs'] ?? '0') > n, runs, { timeout: WAIT_MS });
    expect(await tab.locator('#result tbody tr').count()).toBe(TABS);
    expect(await tab.locator('#result thead').textContent()).toContain('health');
    await tab.click('#cluster-call-lag');
    await tab.waitForFunction((n) => Number(document.body.dataset['runs'] ?? '0') > n + 1, runs, { timeout: WAIT_MS });
    expect(await tab.locator('#error').isHidden()).toBe(true);
    // shards(): the tabs' cluster is one shard, group 0, held by every tab.
    await tab.click('#cluster-call-shards');
    await tab.waitForFunction((n) => Number(document.body.dataset['runs'] ?? '0') > n + 2, runs, { timeout: WAIT_MS });
    expect(await tab.locator('#error').isHidden()).toBe(true);
    expect(await tab.locator('#result tbody tr').count()).toBe(1);
    expect(await tab.locator('#result thead').textContent()).toContain('key_space');
    await tab.click('#cluster-call-lag');
    await tab.waitForFunction((n) => Number(document.body.dataset['runs'] ?? '0') > n + 3, runs, { timeout: WAIT_MS });
    // The dashboard beside the replicationLag() rows.
    await tab.evaluate(() => document.querySelector('#cluster-summary')!.scrollIntoView({ block: 'start' }));
    await tab.screenshot({ path: join(REPO, 'e2e/screenshots/demo-dashboard-1280x800.png') });
  }, 60_000);

  it('runs the query live in the third tab: its table re-renders when the first tab writes', async () => {
    const tab = pages[TABS - 1]!;
    await tab.locator('.cm-content').click();
    await tab.keyboard.press('Control+A');
    await tab.keyboard.insertText("MATCH (p:Person {name: 'live'}) RETURN count(p) AS n");
    await tab.keyboard.press('Escape');
    await tab.click('#live');
    await tab.waitForFunction(() => document.body.dataset['live'] === 'on' && Number(document.body.dataset['liveUpdates']) >= 1, undefined, { timeout: WAIT_MS });
    expect(await tab.locator('#result tbody td').first().textContent()).toBe('0');
    await pages[0]!.evaluate(() => window.geode!.query("CREATE (:Person {name: 'live'})").then(() => undefined));
    await tab.waitForFunction(() => document.querySelector('#result tbody td')?.textContent === '1', undefined, { timeout: WAIT_MS });
    expect(Number(await data(tab, 'liveUpdates'))).toBeGreaterThanOrEqual(2);
    await tab.click('#live');
    expect(await data(tab, 'live')).toBeUndefined();
  }, 60_000);

  it('steps down with the dashboard button: another tab leads and every tab follows it', async () => {
    const roles = await Promise.all(pages.map((p) => data(p, 'clusterRole')));
    const leaderAt = roles.indexOf('leader');
    const old = await data(pages[leaderAt]!, 'clusterSelf');
    await pages[leaderAt]!.click('#fault-step-down');
    await waitUntil(
      'another tab to lead, followed by all',
      async () => {
        const leaders = new Set(await Promise.all(pages.map((p) => data(p, 'clusterLeader'))));
        return leaders.size === 1 && !leaders.has('') && !leaders.has(old);
      },
      WAIT_MS,
    );
    await waitUntil('the note to name the new leader', async () => ((await pages[leaderAt]!.locator('#fault-note').textContent()) ?? '').includes('handed'), WAIT_MS);
  }, 60_000);

  it('cuts a follower off: it misses writes without disturbing the leader, and on resume catches up in the same term', async () => {
    const roles = await Promise.all(pages.map((p) => data(p, 'clusterRole')));
    const leader = pages[roles.indexOf('leader')]!;
    const cut = pages[roles.indexOf('follower')]!;
    const term = await data(leader, 'clusterTerm');
    await cut.click('#fault-cut');
    await waitUntil('the tab to be cut off', async () => (await data(cut, 'clusterFault')) === 'isolated', WAIT_MS);
    const name = `cut-${Date.now()}`;
    await leader.evaluate((n) => window.geode!.query('CREATE (:Person {name: $n})', { n }).then(() => undefined), name);
    const seen = (p: Page): Promise<unknown> =>
      p.evaluate(async (n) => (await window.geode!.query('MATCH (p:Person {name: $n}) RETURN count(p) AS c', { n }, { readQuorum: 1 })).rows[0]!['c'], name);
    expect(await seen(cut)).toBe(0n);
    await cut.click('#fault-resume');
    await waitUntil('the cut-off tab to catch up', async () => (await seen(cut)) === 1n, WAIT_MS);
    expect(await data(leader, 'clusterTerm')).toBe(term);
    expect(await data(leader, 'clusterRole')).toBe('leader');
  }, 60_000);

  it('pauses the leader: the others elect a new one; resumed, the paused tab follows it with every write', async () => {
    const roles = await Promise.all(pages.map((p) => data(p, 'clusterRole')));
    const paused = pages[roles.indexOf('leader')]!;
    const old = await data(paused, 'clusterSelf');
    await paused.click('#fault-pause');
    await waitUntil('the tab to be paused', async () => (await data(paused, 'clusterFault')) === 'paused', WAIT_MS);
    const rest = pages.filter((p) => p !== paused);
    await waitUntil(
      'a new leader among the others',
      async () => {
        const leaders = new Set(await Promise.all(rest.map((p) => data(p, 'clusterLeader'))));
        return leaders.size === 1 && !leaders.has('') && !leaders.has(old);
      },
      WAIT_MS,
    );
    const name = `paused-${Date.now()}`;
    await rest[0]!.evaluate((n) => window.geode!.query('CREATE (:Person {name: $n})', { n }).then(() => undefined), name);
    await paused.click('#fault-resume');
    const next = await data(rest[0]!, 'clusterLeader');
    await waitUntil(
      'the resumed tab to follow the new leader with the write',
      async () =>
        (await data(paused, 'clusterRole')) === 'follower' &&
        (await data(paused, 'clusterLeader')) === next &&
        (await paused.evaluate(async (n) => (await window.geode!.query('MATCH (p:Person {name: $n}) RETURN count(p) AS c', { n }, { readQuorum: 1 })).rows[0]!['c'], name)) === 1n,
      WAIT_MS,
    );
  }, 60_000);

  it("closes the leader's tab: the others elect a new leader, which has every acknowledged write and takes new ones", async () => {
    const roles = await Promise.all(pages.map((p) => data(p, 'clusterRole')));
    const leaderAt = roles.indexOf('leader');
    expect(leaderAt).toBeGreaterThanOrEqual(0);
    const oldLeader = await data(pages[leaderAt]!, 'clusterLeader');
    const acked = await pages[leaderAt]!.evaluate(async () => (await window.geode!.query('MATCH (p:Person) RETURN p.name AS name ORDER BY name')).rows.map((r) => r['name']));
    await pages[leaderAt]!.close({ runBeforeUnload: true });
    const rest = pages.filter((_p, i) => i !== leaderAt);
    await waitUntil(
      'a new leader among the other tabs',
      async () => {
        const r = await Promise.all(rest.map((p) => data(p, 'clusterRole')));
        const l = await Promise.all(rest.map((p) => data(p, 'clusterLeader')));
        return r.includes('leader') && l.every((x) => x !== '' && x !== oldLeader);
      },
      WAIT_MS,
    );
    const survivor = rest[0]!;
    const names = await survivor.evaluate(async () => (await window.geode!.query('MATCH (p:Person) RETURN p.name AS name ORDER BY name')).rows.map((r) => r['name']));
    expect(names).toEqual(acked);
    await survivor.evaluate(async () => {
      await window.geode!.query("CREATE (:Person {name: 'after-failover'})");
    });
    const last = await rest[1]!.evaluate(async () => (await window.geode!.query("MATCH (p:Person {name: 'after-failover'}) RETURN count(p) AS n")).rows[0]!['n']);
    expect(last).toBe(1n);
  }, 60_000);

  it('logged no console error in any tab', () => {
    expect(consoleErrors).toEqual([]);
  });
});
