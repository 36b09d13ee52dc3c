/**
 * The demo's query console in Chromium, as a user drives it: Ctrl-Enter in the CodeMirror editor,
 * the result table, the graph drawing, EXPLAIN's plan, an error shown at its position, the LDBC
 * sample loaded with its progress bar, and the tab's IndexedDB database found again after a
 * reload. Saves screenshots of the console at 1280×800 and 390×844 into e2e/screenshots/.
 *
 * Builds the demo with the project's vite.config.ts (so the sample data is bundled as it is for
 * `npm run demo:build`) and serves the build on loopback.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, nodeBuiltinRecorder, PAGE_WAIT_MS, REPO, serveStatic, type StaticServer } from './browser-harness.ts';

const SCREENSHOTS = join(REPO, 'e2e', 'screenshots');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** The sample load is the slowest step (≈35k nodes and 71k relationships into IndexedDB). */
const SAMPLE_WAIT_MS = 40_000;

let outDir: string | undefined;
let server: StaticServer | undefined;
let browser: Browser | undefined;
const builtinImports: string[] = [];
/** Uncaught exceptions and console errors of every page. */
const problems: string[] = [];
let setupError: unknown;

beforeAll(async () => {
  try {
    outDir = await mkdtemp(join(tmpdir(), 'geode-demo-console-'));
    await build({
      configFile: join(REPO, 'vite.config.ts'),
      root: join(REPO, 'demo'),
      logLevel: 'error',
      plugins: [nodeBuiltinRecorder(builtinImports)],
      build: { outDir, emptyOutDir: true, reportCompressedSize: false },
    });
    server = await serveStatic(outDir);
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
  } catch (err) {
    setupError = err; // every test fails with it (vitest would report a failing beforeAll as skips)
  }
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

async function newContext(viewport = DESKTOP, init?: string): Promise<BrowserContext> {
  if (setupError !== undefined) throw setupError;
  const context = await browser!.newContext({ viewport, colorScheme: 'light', deviceScaleFactor: 1 });
  if (init !== undefined) await context.addInitScript(init);
  return context;
}

/** Opens the console in `context` and waits until it is ready. */
async function openConsole(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_WAIT_MS);
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
  });
  await page.goto(server!.url);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  return page;
}

function runsSoFar(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.body.dataset['runs'] ?? '0'));
}

/** Replaces the editor's text as typing would (one input), without running it. */
async function setQuery(page: Page, text: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
  await page.keyboard.press('Escape'); // close a completion popup, if one opened
}

/** Types `text` into the editor and runs it with Ctrl-Enter, then waits until the run is over. */
async function typeAndRun(page: Page, text: string): Promise<void> {
  await setQuery(page, text);
  const before = await runsSoFar(page);
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction((n) => Number(document.body.dataset['runs'] ?? '0') > n, before);
}

/** The result table: header first, one array of cell texts per row. */
function tableText(page: Page): Promise<string[][]> {
  return page.$$eval('#result tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));
}

async function screenshot(page: Page, name: string): Promise<void> {
  // Two frames, so a canvas redraw asked for by the last change (theme, resize) is on screen.
  await page.evaluate(() => new Promise<void>((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok()))));
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

const TINY_GRAPH =
  "CREATE (ada:Person {name: 'Ada', born: 1815}), (alan:Person {name: 'Alan', born: 1912}),\n" +
  "       (grace:Person {name: 'Grace', born: 1906}), (edsger:Person {name: 'Edsger', born: 1930}),\n" +
  '       (ada)-[:KNOWS]->(alan), (alan)-[:KNOWS]->(grace), (grace)-[:KNOWS]->(edsger), (edsger)-[:KNOWS]->(ada)';

describe('the demo query console in Chromium', () => {
  it('bundles for the browser without importing any Node built-in module', () => {
    if (setupError !== undefined) throw setupError;
    expect(builtinImports, builtinImports.join('\n')).toEqual([]);
  });

  it('runs by Ctrl-Enter into a table, draws the graph, shows the plan and an error at its position', async () => {
    const context = await newContext();
    try {
      const page = await openConsole(context);
      await expect.poll(() => page.locator('#storage-badge').getAttribute('data-kind')).toBe('indexeddb');
      expect(await page.locator('#cluster-panel').getAttribute('data-cluster-state')).toBe('not-joined');
      expect(await page.locator('#graph-counts').textContent()).toBe('0 nodes · 0 relationships');

      await typeAndRun(page, TINY_GRAPH);
      expect(await page.locator('#status').textContent()).toMatch(/^0 rows · 8 writes · [\d.]+ ms$/);
      expect(await page.locator('#graph-counts').textContent()).toBe('4 nodes · 4 relationships');
      // The schema was refreshed after the write: labels complete and show in the side panel.
      await expect.poll(() => page.locator('#schema .chip-label').allTextContents()).toEqual(['Person']);

      // Completion offers the labels and property keys in use.
      await setQuery(page, '');
      await page.keyboard.type('MATCH (n:Pe');
      await expect.poll(() => page.locator('.cm-tooltip-autocomplete li').allTextContents()).toEqual(['Personlabel']);
      await page.locator('.cm-tooltip-autocomplete li').first().click();
      await page.keyboard.type(') RETURN n.bo');
      await expect.poll(() => page.locator('.cm-tooltip-autocomplete li').first().textContent()).toBe('bornproperty key');
      await page.locator('.cm-tooltip-autocomplete li').first().click();
      expect(await page.locator('.cm-content').textContent()).toBe('MATCH (n:Person) RETURN n.born');

      await typeAndRun(page, 'MATCH (p:Person)-[k:KNOWS]->(f:Person)\nRETURN p.name AS person, f.name AS friend, p.born AS born, k\nORDER BY person');
      expect(await page.locator('#error').isHidden()).toBe(true);
      expect(await tableText(page)).toEqual([
        ['person', 'friend', 'born', 'k'],
        ["'Ada'", "'Alan'", '1815', '[:KNOWS]'],
        ["'Alan'", "'Grace'", '1912', '[:KNOWS]'],
        ["'Edsger'", "'Ada'", '1930', '[:KNOWS]'],
        ["'Grace'", "'Edsger'", '1906', '[:KNOWS]'],
      ]);

      await typeAndRun(page, 'MATCH (p:Person)-[k:KNOWS]->(f:Person)\nRETURN p, k, f');
      expect((await tableText(page))[1]![0]).toMatch(/^\(:Person \{name: '\w+', born: \d+\}\)$/);
      await screenshot(page, 'console-table-1280x800');
      await page.getByRole('tab', { name: 'Graph' }).click();
      await page.waitForSelector('#graph[data-nodes="4"][data-edges="4"]', { state: 'attached' });
      expect(await page.locator('#graph canvas').count()).toBeGreaterThan(0);
      await screenshot(page, 'console-graph-1280x800');
      // The dark theme follows the system setting, the drawing included.
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.waitForFunction(() => getComputedStyle(document.body).backgroundColor === 'rgb(15, 19, 32)');
      await screenshot(page, 'console-graph-dark-1280x800');
      await page.emulateMedia({ colorScheme: 'light' });

      // A result without nodes leaves the graph view for the table.
      await typeAndRun(page, 'RETURN 9007199254740993 AS big, 0.5 AS half');
      expect(await page.getByRole('tab', { name: 'Table' }).getAttribute('aria-selected')).toBe('true');
      expect(await tableText(page)).toEqual([['big', 'half'], ['9007199254740993', '0.5']]);

      // An error: code, message, line and column, the caret excerpt, and the range marked in the editor.
      const bad = 'MATCH (p:Person)\nRETURN q.name';
      await typeAndRun(page, bad);
      const error = page.locator('#error');
      expect(await error.isVisible()).toBe(true);
      expect(await error.getAttribute('data-code')).toBe('GQL_SEMANTIC');
      expect(await error.locator('.error-where').textContent()).toBe('line 2, column 8');
      expect(await error.locator('.error-excerpt').textContent()).toBe('RETURN q.name\n       ^');
      expect(await page.locator('.cm-gql-error').textContent()).toBe('q');
      expect(await page.locator('#status').textContent()).toBe('error GQL_SEMANTIC');
      await screenshot(page, 'console-error-1280x800');

      // A syntax error points at the unexpected token.
      await typeAndRun(page, 'MATCH (n RETURN n');
      expect(await error.getAttribute('data-code')).toBe('GQL_SYNTAX');
      expect(await error.locator('.error-excerpt').textContent()).toBe('MATCH (n RETURN n\n         ^');
      expect(await page.locator('.cm-gql-error').textContent()).toBe('RETURN');

      // Parameters from the JSON box; integers arrive as GQL integers.
      await page.locator('#params-toggle').click();
      await page.locator('#params').fill('{"name": "Grace", "plus": 1}');
      await typeAndRun(page, 'MATCH (p:Person {name: $name}) RETURN p.born + $plus AS next');
      expect(await tableText(page)).toEqual([['next'], ['1907']]);

      // EXPLAIN shows the plan as a tree and switches to it.
      await typeAndRun(page, 'EXPLAIN MATCH (p:Person {name: $name})-[:KNOWS]->(f) RETURN f.name');
      expect(await page.getByRole('tab', { name: 'Plan' }).getAttribute('aria-selected')).toBe('true');
      const operators = await page.locator('#plan .op-name').allTextContents();
      expect(operators[0]).toMatch(/NodeBy|NodeIndex/);
      expect(operators[operators.length - 1]).toBe('ProduceResults');
      await screenshot(page, 'console-plan-1280x800');

      // History: Up at the first line walks back through what was run.
      await setQuery(page, 'RETURN 1');
      await page.keyboard.press('Control+Home');
      await page.keyboard.press('ArrowUp');
      expect(await page.locator('.cm-content').textContent()).toContain('EXPLAIN MATCH');
      expect(await page.locator('#history li').count()).toBeGreaterThanOrEqual(7);
      expect(problems, problems.join("\n")).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('loads the LDBC sample with a progress bar to 100%, queries it, and finds it again after a reload', async () => {
    const context = await newContext();
    try {
      const page = await openConsole(context);
      const seen: number[] = [];
      await page.exposeFunction('reportProgress', (v: number) => void seen.push(v));
      await page.evaluate(() => {
        const bar = document.querySelector<HTMLProgressElement>('#sample-progress')!;
        new MutationObserver(() => (window as unknown as { reportProgress(v: number): void }).reportProgress(bar.value)).observe(bar, {
          attributes: true,
          attributeFilter: ['aria-valuenow'],
        });
      });
      await page.getByRole('button', { name: 'Load sample data' }).click();
      await page.waitForSelector('body[data-sample="loaded"]', { state: 'attached', timeout: SAMPLE_WAIT_MS });
      expect(await page.locator('#sample-progress').evaluate((el: HTMLProgressElement) => el.value)).toBe(100);
      expect(seen.length, 'the bar moved in steps').toBeGreaterThan(5);
      expect(seen[seen.length - 1]).toBe(100);
      expect(await page.locator('#sample-status').textContent()).toMatch(/^Loaded 34,735 nodes and 70,842 relationships from 31 files/);

      await typeAndRun(page, 'MATCH (p:Person) RETURN count(p) AS people');
      expect(await tableText(page)).toEqual([['people'], ['222']]);
      await typeAndRun(
        page,
        "MATCH (p:Person)-[:KNOWS]-(f:Person)\nRETURN p.firstName + ' ' + p.lastName AS person, count(f) AS friends\nORDER BY friends DESC, person\nLIMIT 10",
      );
      expect((await tableText(page)).length).toBe(11);
      await screenshot(page, 'ldbc-table-1280x800');

      await page.locator('#params-toggle').click();
      await page.locator('#params').fill('{"first": "Jose"}');
      await typeAndRun(page, 'MATCH path = (p:Person {firstName: $first})-[:KNOWS*1..2]-(f:Person)\nRETURN path\nLIMIT 40');
      await page.locator('#params-toggle').click(); // fold the parameters away again
      await page.getByRole('tab', { name: 'Graph' }).click();
      await page.waitForSelector('#graph[data-nodes]', { state: 'attached' });
      expect(Number(await page.locator('#graph').getAttribute('data-nodes'))).toBeGreaterThan(5);
      await screenshot(page, 'ldbc-graph-1280x800');

      // The phone layout: one column, nothing cut off sideways.
      await page.setViewportSize(PHONE);
      await typeAndRun(page, "MATCH (p:Person)-[:KNOWS]-(f:Person)\nRETURN p.firstName + ' ' + p.lastName AS person, count(f) AS friends\nORDER BY friends DESC, person\nLIMIT 10");
      await page.getByRole('tab', { name: 'Table' }).click();
      await page.evaluate(() => window.scrollTo(0, 0));
      await screenshot(page, 'console-table-390x844');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await typeAndRun(page, 'MATCH path = (p:Person {firstName: $first})-[:KNOWS*1..2]-(f:Person)\nRETURN path\nLIMIT 40');
      await page.getByRole('tab', { name: 'Graph' }).click();
      await page.waitForSelector('#graph[data-nodes]', { state: 'attached' });
      await page.locator('.results-card').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await screenshot(page, 'console-graph-390x844');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await page.setViewportSize(DESKTOP);

      // The tab's IndexedDB database survives a reload: same data, same history.
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
      expect(await page.locator('#graph-counts').textContent()).toBe('34,735 nodes · 70,842 relationships');
      await typeAndRun(page, 'MATCH (p:Person) RETURN count(p) AS people');
      expect(await tableText(page)).toEqual([['people'], ['222']]);
      expect(await page.locator('#history li').count()).toBeGreaterThanOrEqual(4);
      expect(problems, problems.join("\n")).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('falls back to an in-memory database, and says so, when IndexedDB is unavailable', async () => {
    const context = await newContext(PHONE, 'Object.defineProperty(window, "indexedDB", { value: undefined, configurable: true });');
    try {
      const page = await openConsole(context);
      expect(await page.locator('#storage-badge').getAttribute('data-kind')).toBe('memory');
      expect(await page.locator('#notice').isVisible()).toBe(true);
      expect(await page.locator('#notice').textContent()).toContain('lives in memory');
      await typeAndRun(page, 'RETURN 1 AS one');
      expect(await tableText(page)).toEqual([['one'], ['1']]);
      expect(problems, problems.join("\n")).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
