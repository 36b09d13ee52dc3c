/**
 * The embedded database in a real browser: builds the demo with Vite, serves the build from a tiny
 * static server on loopback, drives it in headless Chromium through playwright-core, and checks
 * what a user of the query console sees.
 *
 * Needs Chromium at `$CHROMIUM_PATH` or `/usr/bin/chromium` (`.ci/run` installs it); without it the
 * suite fails with a message saying so, it never skips.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, nodeBuiltinRecorder, PAGE_WAIT_MS as WAIT_MS, REPO, serveStatic, type StaticServer } from './browser-harness.ts';

let outDir: string | undefined;
let server: StaticServer | undefined;
let baseUrl = '';
let browser: Browser | undefined;
const builtinImports: string[] = [];
/** Uncaught exceptions and console errors of every page, so a test can say the page stayed healthy. */
const pageProblems: string[] = [];
/**
 * Why the harness could not start, if it could not. Kept rather than thrown from beforeAll (which
 * vitest reports as skipped tests) so that every test FAILS with the reason.
 */
let setupError: unknown;
/** The demo bundle was built (the bundle check needs no browser). */
let built = false;

/** Throws the harness set-up failure, if any; every test starts with it. */
function harnessReady(): void {
  if (setupError !== undefined) throw setupError;
}

beforeAll(async () => {
  try {
    await startHarness();
  } catch (err) {
    setupError = err;
  }
}, 60_000);

async function startHarness(): Promise<void> {
  outDir = await mkdtemp(join(tmpdir(), 'geode-demo-'));
  await build({
    configFile: join(REPO, 'vite.config.ts'),
    root: join(REPO, 'demo'),
    logLevel: 'warn',
    plugins: [nodeBuiltinRecorder(builtinImports)],
    build: { outDir, emptyOutDir: true },
  });
  built = true;
  server = await serveStatic(outDir);
  baseUrl = server.url;
  // Fails with a message saying how to install Chromium when it is missing: the browser tests never skip.
  browser = await launchChromium();
}

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

/** A fresh tab on the demo, waited until the console says it is ready. */
async function openDemo(): Promise<Page> {
  harnessReady();
  const page = await browser!.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (err) => pageProblems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageProblems.push(`console.error: ${msg.text()}`);
  });
  await page.goto(baseUrl);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  return page;
}

function runsSoFar(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.body.dataset['runs'] ?? '0'));
}

/** Waits until the console has finished one more statement than `before`. */
async function waitForRun(page: Page, before: number): Promise<void> {
  await page.waitForFunction((n) => Number(document.body.dataset['runs'] ?? '0') > n, before);
}

/** Types `text` into the query editor (replacing what is there) and runs it with Ctrl+Enter, as a user does. */
async function typeAndRun(page: Page, text: string): Promise<void> {
  const before = await runsSoFar(page);
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
  await page.keyboard.press('Escape'); // close a completion popup, if one opened
  await page.keyboard.press('Control+Enter');
  await waitForRun(page, before);
}

/** The result table as text: header row first, then one array per row. */
function tableText(page: Page): Promise<string[][]> {
  return page.$$eval('#result tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));
}

describe('the demo query console in Chromium', () => {
  it('bundles for the browser without importing any Node built-in module', () => {
    if (!built) harnessReady();
    expect(builtinImports, `Node built-ins in the browser bundle:\n${builtinImports.join('\n')}`).toEqual([]);
  });

  it('opens the embedded database and marks the page ready with an empty graph', async () => {
    const page = await openDemo();
    try {
      await expect.poll(() => page.locator('#graph-counts').textContent()).toBe('0 nodes · 0 relationships');
      expect(await page.locator('#status').textContent()).toBe('ready · the graph is empty');
      expect(await page.evaluate(() => typeof window.geode?.query)).toBe('function');
      expect(pageProblems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('creates the example graph and shows each person with the friends they know', async () => {
    const page = await openDemo();
    try {
      // The first example query creates a four-person graph; the Run button runs it.
      await page.getByRole('button', { name: 'Create a tiny graph' }).click();
      const before = await runsSoFar(page);
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await waitForRun(page, before);
      expect(await page.locator('#error').isHidden()).toBe(true);
      expect(await page.locator('#status').textContent()).toContain('8 writes');

      await typeAndRun(
        page,
        'MATCH (p:Person)-[:KNOWS]->(f:Person)\nRETURN p.name AS person, collect(f.name) AS friends, count(*) AS n\nORDER BY person',
      );
      expect(await page.locator('#error').isHidden()).toBe(true);
      expect(await tableText(page)).toEqual([
        ['person', 'friends', 'n'],
        ["'Ada'", "['Alan']", '1'],
        ["'Alan'", "['Grace']", '1'],
        ["'Edsger'", "['Ada']", '1'],
        ["'Grace'", "['Edsger']", '1'],
      ]);
      expect(await page.locator('#status').textContent()).toMatch(/^4 rows · 0 writes · [\d.]+ ms$/);
      expect(await page.locator('#graph-counts').textContent()).toBe('4 nodes · 4 relationships');

      await typeAndRun(page, 'MATCH (a:Person {name: $n})-[:KNOWS*2]->(c) RETURN c.name AS two_hops');
      // A missing parameter must surface as an error, not as an empty result.
      expect(await page.locator('#error').getAttribute('data-code')).toBe('GQL_PARAMETER_MISSING');
      expect(pageProblems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('shows a bad query as GQL_SYNTAX with a caret under the offending token, and keeps the graph', async () => {
    const page = await openDemo();
    try {
      const bad = 'MATCH (n RETURN n';
      await typeAndRun(page, bad);
      const errorBox = page.locator('#error');
      expect(await errorBox.isVisible()).toBe(true);
      expect(await errorBox.getAttribute('data-code')).toBe('GQL_SYNTAX');
      expect(await errorBox.locator('.error-code').textContent()).toBe('GQL_SYNTAX');
      expect(await errorBox.locator('.error-where').textContent()).toBe(`line 1, column ${bad.indexOf('RETURN') + 1}`);
      expect(await errorBox.locator('.error-excerpt').textContent()).toBe(`${bad}\n${' '.repeat(bad.indexOf('RETURN'))}^`);
      // The editor marks the offending token.
      expect(await page.locator('.cm-gql-error').textContent()).toBe('RETURN');
      expect(await page.locator('#result tr').count()).toBe(0);
      expect(await page.locator('#status').textContent()).toContain('error GQL_SYNTAX');

      // The console recovers: the next good statement clears the error and renders its rows.
      await typeAndRun(page, 'RETURN 1 + 1 AS two, 0.5 AS half');
      expect(await errorBox.isHidden()).toBe(true);
      expect(await tableText(page)).toEqual([
        ['two', 'half'],
        ['2', '0.5'],
      ]);
    } finally {
      await page.close();
    }
  });

  it('runs BEGIN ... ROLLBACK and BEGIN ... COMMIT typed in the console as one session', async () => {
    const page = await openDemo();
    try {
      const count = async (): Promise<string> => {
        await typeAndRun(page, 'MATCH (t:TxNote) RETURN count(t) AS n');
        return (await tableText(page))[1]![0]!;
      };
      const before = await count();
      await typeAndRun(page, 'BEGIN');
      await typeAndRun(page, 'CREATE (:TxNote)');
      expect(await page.locator('#status').textContent()).toContain('in a transaction');
      await typeAndRun(page, 'ROLLBACK');
      expect(await count()).toBe(before);
      await typeAndRun(page, 'START TRANSACTION');
      await typeAndRun(page, 'CREATE (:TxNote)');
      await typeAndRun(page, 'COMMIT');
      expect(await page.locator('#status').textContent()).not.toContain('in a transaction');
      expect(Number(await count())).toBe(Number(before) + 1);
    } finally {
      await page.close();
    }
  });

  it('round-trips integers past 2^53 exactly as bigint through window.geode', async () => {
    const page = await openDemo();
    try {
      const out = await page.evaluate(async () => {
        const db = window.geode!;
        const literal = (await db.query('RETURN 9007199254740993 AS x')).rows[0]!['x'];
        const param = (await db.query('RETURN $x + 1 AS y', { x: 9007199254740993n })).rows[0]!['y'];
        await db.query('CREATE (:Big {v: 9223372036854775807})');
        const stored = (await db.query('MATCH (b:Big) RETURN b.v AS v')).rows[0]!['v'];
        return { literal, param, stored, types: [typeof literal, typeof param, typeof stored] };
      });
      expect(out.types).toEqual(['bigint', 'bigint', 'bigint']);
      expect(out.literal).toBe(9007199254740993n);
      expect(out.param).toBe(9007199254740994n);
      expect(out.stored).toBe(9223372036854775807n);

      // The console prints the exact digits too.
      await typeAndRun(page, 'RETURN 9007199254740993 AS x');
      expect(await tableText(page)).toEqual([['x'], ['9007199254740993']]);
      expect(pageProblems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
