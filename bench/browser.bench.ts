/**
 * Browser benchmark: the demo as `npm run demo` serves it (Vite's dev server with its relay) and
 * three headless Chromium tabs, each its own browser context (own IndexedDB and peer key), on one
 * `#cluster=<id>` link.
 *
 * 0. Warm-up: one tab opens the demo on a throw-away cluster and closes, so Vite's first
 *    transform of the modules is not measured.
 * 1. `cluster_form_ms`: tabs A (the founder) and B open and form a group; then the time from
 *    opening tab C until the group has one leader with three voters that C follows too.
 * 2. `tab_to_tab_*`: 200 writes in tab A (`CREATE (:BenchW {i: $i})`, one at a time, a short
 *    pause between), and for each the time until a query in tab C returns it: C runs
 *    `MATCH (w:BenchW) RETURN max(w.i) AS i` on its own replica each time its host applied
 *    committed entries (ShardHost.onApplied), so no polling interval is added.
 * 3. `live_query_*`: over the same writes, the time until a `db.subscribe()` callback in tab C
 *    (on that query) delivered it.
 *
 * Times within a page come from `performance.timeOrigin + performance.now()`; the tabs run on one
 * machine, so their clocks agree to well under a millisecond. Targets (issue 6): formed in under
 * 3 s; tab-to-tab p50 under 20 ms, p99 under 100 ms.
 *
 * Progress goes to stderr; stdout gets ONE JSON line:
 * `{ cluster_form_ms, tab_to_tab_p50_ms, tab_to_tab_p99_ms, live_query_p50_ms, live_query_p99_ms, writes, tabs }`
 *
 *   npm run bench:browser
 *   npx tsx bench/browser.bench.ts --writes 50
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { launchChromium, REPO } from '../e2e/browser-harness.ts';

/** Longest wait for a page or the cluster, ms. */
const WAIT_MS = 60_000;
/** Pause between two measured writes, ms (each write's effects settle before the next). */
const WRITE_GAP_MS = 20;
/** How often the formation is polled from here, ms. */
const POLL_MS = 10;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const log = (m: string): void => {
  process.stderr.write(`${m}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = WAIT_MS, everyMs = POLL_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

interface Tab {
  readonly context: BrowserContext;
  readonly page: Page;
}

async function openTab(browser: Browser, url: string, errors: string[]): Promise<Tab> {
  const context = await browser.newContext();
  // tsx compiles this file with esbuild's keepNames, which wraps the named helpers inside the
  // functions given to page.evaluate in `__name(...)` calls: give the pages that helper.
  await context.addInitScript('globalThis.__name = (f) => f;');
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, { timeout: WAIT_MS });
  return { context, page };
}

/** The leader's voters and whether `follower` follows the same leader (polled from here). */
async function formed(leader: Page, follower: Page): Promise<boolean> {
  const [l, f] = await Promise.all([
    leader.evaluate(() => {
      const rows = window.geode!.cluster!.status();
      const me = rows.find((r) => r.self);
      return { leads: me?.state === 'leader', voters: rows.filter((r) => r.role === 'voter').length, self: me?.peer ?? '' };
    }),
    follower.evaluate(() => window.geode!.cluster!.status().find((r) => r.self)?.leader ?? ''),
  ]);
  return l.leads && l.voters === 3 && f === l.self;
}

async function main(): Promise<void> {
  const writes = arg('writes', 200);
  let server: ViteDevServer | undefined;
  let browser: Browser | undefined;
  const tabs: Tab[] = [];
  const errors: string[] = [];
  try {
    server = await createServer({ configFile: join(REPO, 'vite.config.ts'), logLevel: 'silent', server: { port: 0, strictPort: false } });
    await server.listen();
    const base = server.resolvedUrls!.local[0]!;
    browser = await launchChromium();

    log('warm-up: one tab on a throw-away cluster');
    const warm = await openTab(browser, `${base}#cluster=bench-warm-${Date.now().toString(36)}`, errors);
    await until('the warm-up tab to lead', () => warm.page.evaluate(() => document.body.dataset['clusterRole'] === 'leader'));
    await warm.page.close({ runBeforeUnload: true });
    await warm.context.close();

    const link = `${base}#cluster=bench-${Date.now().toString(36)}`;
    log('tabs A and B');
    tabs.push(await openTab(browser, link, errors));
    const a = tabs[0]!.page;
    await until('tab A to lead', () => a.evaluate(() => document.body.dataset['clusterRole'] === 'leader'));
    tabs.push(await openTab(browser, link, errors));
    const b = tabs[1]!.page;
    await until('tab B to be a voter', () => a.evaluate(() => window.geode!.cluster!.status().filter((r) => r.role === 'voter').length === 2));
    await until('tab B to follow', () => b.evaluate(() => document.body.dataset['clusterRole'] === 'follower'));

    log('tab C: cluster formation');
    const opened = performance.now();
    tabs.push(await openTab(browser, link, errors));
    const c = tabs[2]!.page;
    const readyMs = performance.now() - opened;
    await until('three voters and C following the leader', () => formed(a, c));
    const clusterFormMs = performance.now() - opened;
    const marks = await c.evaluate(() => performance.getEntriesByType('mark').map((m) => `${m.name} ${Math.round(m.startTime)}`).join(', '));
    log(`  formed in ${round(clusterFormMs)} ms; the page was ready after ${round(readyMs)} ms (marks after navigation start: ${marks})`);

    // Tab C watches: a query on each apply, and a live query.
    await c.evaluate(() => {
      const db = window.geode!;
      const now = (): number => performance.timeOrigin + performance.now();
      const q = 'MATCH (w:BenchW) RETURN max(w.i) AS i';
      const seen: { query: Record<number, number>; live: Record<number, number> } = { query: {}, live: {} };
      (window as unknown as { __bench: typeof seen }).__bench = seen;
      const record = (into: Record<number, number>, i: unknown): void => {
        if (typeof i !== 'bigint') return;
        const t = now();
        for (let k = Number(i); k > 0 && into[k] === undefined; k--) into[k] = t;
      };
      let running = false;
      let again = false;
      const check = (): void => {
        if (running) {
          again = true;
          return;
        }
        running = true;
        void (async () => {
          do {
            again = false;
            const r = await db.query(q, {}, { readQuorum: 1 });
            record(seen.query, r.rows[0]?.['i']);
          } while (again);
          running = false;
        })();
      };
      db.cluster!.host!.onApplied(() => queueMicrotask(check));
      db.subscribe(q, {}, (r) => record(seen.live, r.rows[0]?.['i']));
    });

    log(`${writes} writes in tab A, seen in tab C`);
    const sent = await a.evaluate(
      async ({ n, gapMs }) => {
        const db = window.geode!;
        const now = (): number => performance.timeOrigin + performance.now();
        const at: number[] = [];
        for (let i = 1; i <= n; i++) {
          at[i] = now();
          await db.query('CREATE (:BenchW {i: $i})', { i: BigInt(i) });
          await new Promise((r) => setTimeout(r, gapMs));
        }
        return at;
      },
      { n: writes, gapMs: WRITE_GAP_MS },
    );
    await until('tab C to see every write', () => c.evaluate((n) => (window as unknown as { __bench: { live: Record<number, number> } }).__bench.live[n] !== undefined, writes));
    await sleep(100);
    const seen = await c.evaluate(() => (window as unknown as { __bench: { query: Record<number, number>; live: Record<number, number> } }).__bench);
    const latency = (into: Record<number, number>): number[] => {
      const out: number[] = [];
      for (let i = 1; i <= writes; i++) {
        const t = into[i];
        if (t !== undefined) out.push(t - sent[i]!);
      }
      return out.sort((x, y) => x - y);
    };
    const q = latency(seen.query);
    const live = latency(seen.live);
    if (q.length < writes || live.length < writes) throw new Error(`tab C saw ${q.length} (query) and ${live.length} (live) of ${writes} writes`);
    if (errors.length > 0) log(`console errors: ${errors.join(' | ')}`);
    const out = {
      cluster_form_ms: round(clusterFormMs, 0),
      tab_to_tab_p50_ms: round(quantile(q, 0.5), 2),
      tab_to_tab_p99_ms: round(quantile(q, 0.99), 2),
      live_query_p50_ms: round(quantile(live, 0.5), 2),
      live_query_p99_ms: round(quantile(live, 0.99), 2),
      writes,
      tabs: 3,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    for (const t of tabs) await t.context.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
