/**
 * examples/web-app as a user builds it: the library packed (`npm pack`), the example copied into
 * a temporary folder under `.scratch/` with its `geode-db` dependency pointed at the tarball
 * (`file:`, not a workspace link), `npm install` (the tarball and Vite, from the registry or
 * npm's cache), `vite build`, and the built files served on loopback and opened in Chromium.
 *
 * It checks what the example promises its reader: the page opens an IndexedDB database and
 * renders a live query; a name added with the form appears in the list and is still there after
 * a reload; and two tabs joined to one cluster through a relay (started here with the library's
 * relay API) each see, through their live query, a name added in the other.
 *
 * Skipped when Chromium is not installed (`$CHROMIUM_PATH` or /usr/bin/chromium).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH, LAUNCH_WAIT_MS, serveStatic, type StaticServer } from '../../e2e/browser-harness.ts';
import { createRelay, type Relay } from '../../src/net/node.ts';
import { packLibrary, REPO } from './pack-helpers.ts';

const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH);
/** Upper bound of one wait for the page (the list to show a name, a cluster to form). */
const WAIT_MS = 30_000;

let work: string | undefined;
let server: StaticServer | undefined;
let browser: Browser | undefined;
let relay: Relay | undefined;

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  const packed = packLibrary('web-app-');
  work = packed.work;
  const app = join(work, 'web-app');
  cpSync(join(REPO, 'examples/web-app'), app, { recursive: true, filter: (src) => !/(^|\/)(node_modules|dist|package-lock\.json|relay\.key)$/.test(src) });
  const pkgPath = join(app, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { dependencies: Record<string, string> };
  expect(pkg.dependencies['geode-db']).toMatch(/^file:.*\.tgz$/);
  pkg.dependencies['geode-db'] = `file:${packed.tarball}`;
  writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
  execFileSync('npm', ['run', 'build'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  server = await serveStatic(join(app, 'dist'));
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], timeout: LAUNCH_WAIT_MS });
  relay = await createRelay();
}, 360_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await relay?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
}, 30_000);

/** A new tab in a fresh browser context (its own IndexedDB and localStorage), opened at `search`. */
async function openApp(search = ''): Promise<Page> {
  const context = await browser!.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${server!.url}${search}`);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true' || document.getElementById('error')!.textContent !== '', undefined, { timeout: WAIT_MS });
  expect(await page.textContent('#error'), `the page reported an error (page errors: ${errors.join('; ')})`).toBe('');
  return page;
}

/** The names the live query rendered. */
function names(page: Page): Promise<string[]> {
  return page.$$eval('#people li', (lis) => lis.map((li) => li.textContent ?? ''));
}

function waitForName(page: Page, name: string): Promise<unknown> {
  return page.waitForFunction((n) => [...document.querySelectorAll('#people li')].some((li) => li.textContent === n), name, { timeout: WAIT_MS });
}

/**
 * Adds `name` with the page's form until the list shows it. A clustered tab's write can be
 * refused while the cluster is still forming (no leader yet): the page shows the error, and a
 * user (this function) submits again.
 */
async function addWithForm(page: Page, name: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    await page.fill('#add input[name=name]', name);
    await page.click('#add button');
    await page.waitForFunction(
      (n) => [...document.querySelectorAll('#people li')].some((li) => li.textContent === n) || document.getElementById('error')!.textContent !== '',
      name,
      { timeout: WAIT_MS },
    );
    if ((await names(page)).includes(name)) return;
    const error = await page.textContent('#error');
    if (Date.now() > deadline) throw new Error(`adding ${name} kept failing: ${error}`);
    await page.waitForTimeout(500);
  }
}

describe.skipIf(!HAVE_CHROMIUM)('examples/web-app, built with Vite from the packed tarball', () => {
  it('renders the live query of its IndexedDB database, shows a name added with the form, and still has it after a reload', async () => {
    const page = await openApp('?db=web-app-embedded');
    expect(await page.textContent('#status')).toContain("IndexedDB 'web-app-embedded'");
    expect(await names(page)).toEqual([]);
    expect(await page.textContent('#count')).toBe('0');
    await addWithForm(page, 'Ada');
    await addWithForm(page, 'Alan');
    expect(await names(page)).toEqual(['Ada', 'Alan']);
    expect(await page.textContent('#count')).toBe('2');

    await page.reload();
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, { timeout: WAIT_MS });
    await waitForName(page, 'Alan');
    expect(await names(page)).toEqual(['Ada', 'Alan']);
    await page.context().close();
  });

  it('two tabs in one cluster through a relay: a name added in either tab reaches the other tab\'s live query', async () => {
    const wsRelay = relay!.addrs().find((a) => a.includes('/ws'));
    expect(wsRelay).toBeDefined();
    const cluster = `?relay=${encodeURIComponent(wsRelay!)}&cluster=web-app-test&secret=web-app-secret`;
    const founder = await openApp(`${cluster}&bootstrap=1`);
    const joiner = await openApp(cluster);
    for (const page of [founder, joiner]) {
      await page.waitForFunction(() => /2 peers, leader: (?!none)/.test(document.getElementById('status')!.textContent ?? ''), undefined, { timeout: WAIT_MS });
    }

    await addWithForm(joiner, 'Grace');
    await waitForName(founder, 'Grace');
    await addWithForm(founder, 'Edsger');
    await waitForName(joiner, 'Edsger');
    expect(await names(founder)).toEqual(['Edsger', 'Grace']);
    expect(await names(joiner)).toEqual(['Edsger', 'Grace']);
    await joiner.context().close();
    await founder.context().close();
  });
});
