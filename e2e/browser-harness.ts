/**
 * A reusable harness for tests and benchmarks that run library code in real Chromium:
 *
 * 1. {@link buildPages}: bundles TypeScript entry modules with Vite (programmatic build, no config
 *    file) into a temp directory, one `<name>.html` + `<name>.js` per entry, and records every
 *    import of a Node built-in (a browser bundle must have none);
 * 2. {@link serveStatic}: serves that directory read-only on 127.0.0.1 (a secure context, so
 *    IndexedDB, Web Locks and crypto all work);
 * 3. {@link launchChromium}: headless Chromium through playwright-core.
 *
 * {@link startBrowserHarness} does all three and hands out pages. An entry module says it is ready
 * by setting `document.documentElement.dataset.ready = 'true'` (after any top-level await), and
 * {@link BrowserHarness.openPage} waits for it.
 *
 * Needs Chromium at `$CHROMIUM_PATH` or `/usr/bin/chromium`; without it `startBrowserHarness`
 * rejects with a message saying so (the tests fail, they never skip).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { builtinModules } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build, type Plugin } from 'vite';

/** The repository root. */
export const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** Where Chromium is: `$CHROMIUM_PATH` or `/usr/bin/chromium`. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Flags for headless Chromium on a machine without a GPU, sandbox or network. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Upper bound of any single wait in a page (navigation, ready flag, evaluate). */
export const PAGE_WAIT_MS = 15_000;
/** Upper bound for launching Chromium. */
export const LAUNCH_WAIT_MS = 30_000;

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** A Vite plugin that records every import of a Node built-in (`importer imports 'x'`) into `found`. */
export function nodeBuiltinRecorder(found: string[]): Plugin {
  return {
    name: 'geode-e2e-node-builtin-recorder',
    enforce: 'pre',
    resolveId(source, importer) {
      if (NODE_BUILTINS.has(source) || NODE_BUILTINS.has(source.split('/')[0] ?? '')) {
        found.push(`${importer === undefined ? '(entry)' : importer.replace(REPO + sep, '')} imports '${source}'`);
      }
      return null;
    },
  };
}

/** The result of {@link buildPages}. */
export interface BuiltPages {
  /** The temp directory holding `<name>.html`, `<name>.js` and shared chunks. */
  readonly outDir: string;
  /** Node built-in imports found while bundling (should be empty). */
  readonly builtinImports: readonly string[];
}

/** Options of {@link buildPages}. */
export interface BuildOptions {
  /** Module aliases (specifier → absolute path), e.g. a browser shim for a Node-only import. */
  readonly alias?: Readonly<Record<string, string>>;
}

/**
 * buildPages: bundles each entry (page name → absolute path of a TypeScript module) for the
 * browser into a fresh temp directory, with a `<name>.html` that loads it as a module script.
 */
export async function buildPages(entries: Readonly<Record<string, string>>, options: BuildOptions = {}): Promise<BuiltPages> {
  const names = Object.keys(entries);
  if (names.length === 0) throw new Error('buildPages: no entries');
  for (const name of names) {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`buildPages: page name '${name}' must be lowercase letters, digits and dashes`);
  }
  const outDir = await mkdtemp(join(tmpdir(), 'geode-pages-'));
  const builtinImports: string[] = [];
  await build({
    configFile: false,
    root: REPO,
    logLevel: 'warn',
    publicDir: false,
    plugins: [nodeBuiltinRecorder(builtinImports)],
    resolve: { alias: { ...options.alias } },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      reportCompressedSize: false,
      rolldownOptions: {
        input: { ...entries },
        output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  });
  for (const name of names) {
    const html = `<!doctype html>\n<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${name}</title></head>\n<body><script type="module" src="./${name}.js"></script></body></html>\n`;
    await writeFile(join(outDir, `${name}.html`), html);
  }
  return { outDir, builtinImports };
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** A static server on loopback. */
export interface StaticServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  close(): Promise<void>;
}

/** serveStatic: serves `root` read-only on 127.0.0.1 at a free port; nothing outside `root` is reachable. */
export async function serveStatic(root: string): Promise<StaticServer> {
  const base = resolve(root);
  const server: Server = createServer((req, res) => {
    void (async () => {
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = normalize(join(base, pathname === '/' ? 'index.html' : pathname));
      if (req.method !== 'GET' || !file.startsWith(base + sep)) {
        res.writeHead(req.method !== 'GET' ? 405 : 403).end();
        return;
      }
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(body);
      } catch {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      }
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function checkChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install chromium) or point CHROMIUM_PATH at a Chromium binary. ` +
        'The browser tests do not skip.',
    );
  }
}

/**
 * launchChromium: headless Chromium, or a clear error when it is not installed. Its contexts
 * (`browser.newContext()`) are incognito-like: their IndexedDB lives in memory.
 */
export async function launchChromium(): Promise<Browser> {
  checkChromium();
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], timeout: LAUNCH_WAIT_MS });
}

/**
 * launchPersistentChromium: headless Chromium on the profile directory `userDataDir`: IndexedDB
 * is written to disk there and survives closing and relaunching on the same directory.
 */
export async function launchPersistentChromium(userDataDir: string): Promise<BrowserContext> {
  checkChromium();
  return chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], timeout: LAUNCH_WAIT_MS, headless: true });
}

/** Options of {@link startBrowserHarness}. */
export interface BrowserHarnessOptions extends BuildOptions {
  /**
   * Run Chromium on an on-disk profile (a temp directory, removed by `close`) instead of
   * in-memory incognito contexts: needed to measure real durability costs and to test a browser
   * restart ({@link BrowserHarness.restartBrowser}). Every page then shares one context.
   */
  readonly persistentProfile?: boolean;
}

/** A running harness: built pages, a server and a browser. */
export interface BrowserHarness {
  readonly baseUrl: string;
  readonly built: BuiltPages;
  /** Uncaught page errors and console errors of every page opened through the harness. */
  readonly problems: string[];
  /**
   * A browser context. Normally a fresh incognito-like one (its own IndexedDB, sessionStorage and
   * locks, in memory); with `persistentProfile` the profile's one context, on disk.
   */
  newContext(): Promise<BrowserContext>;
  /** Opens page `name` in `context` (from `newContext()` when omitted) and waits until it is ready. */
  openPage(name: string, context?: BrowserContext): Promise<Page>;
  /** Reloads `page` and waits until it is ready again. */
  reload(page: Page): Promise<void>;
  /** With `persistentProfile`: closes Chromium and starts it again on the same profile (pages are gone, data on disk stays). */
  restartBrowser(): Promise<void>;
  close(): Promise<void>;
}

/** Waits for the entry's ready flag (`document.documentElement.dataset.ready === 'true'`). */
export async function waitForPageReady(page: Page): Promise<void> {
  await page.waitForFunction(() => document.documentElement.dataset['ready'] === 'true', undefined, { timeout: PAGE_WAIT_MS });
}

/** The Chromium behind a harness: incognito contexts of one browser, or one persistent profile. */
interface ChromiumHost {
  newContext(): Promise<BrowserContext>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function startChromiumHost(persistent: boolean): Promise<ChromiumHost> {
  if (!persistent) {
    const browser: Browser = await launchChromium();
    return {
      newContext: () => browser.newContext(),
      restart: () => Promise.reject(new Error('restartBrowser needs { persistentProfile: true }')),
      close: () => browser.close(),
    };
  }
  const profile = await mkdtemp(join(tmpdir(), 'geode-profile-'));
  let context: BrowserContext;
  try {
    context = await launchPersistentChromium(profile);
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    newContext: () => Promise.resolve(context),
    async restart() {
      await context.close();
      context = await launchPersistentChromium(profile);
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** startBrowserHarness: builds `entries` (see {@link buildPages}), serves them and launches Chromium. */
export async function startBrowserHarness(entries: Readonly<Record<string, string>>, options: BrowserHarnessOptions = {}): Promise<BrowserHarness> {
  const built = await buildPages(entries, options);
  let server: StaticServer | undefined;
  let host: ChromiumHost | undefined;
  try {
    server = await serveStatic(built.outDir);
    host = await startChromiumHost(options.persistentProfile === true);
  } catch (err) {
    await server?.close();
    await rm(built.outDir, { recursive: true, force: true });
    throw err;
  }
  const problems: string[] = [];
  const liveServer = server;
  const liveHost = host;
  const watch = (page: Page): void => {
    page.setDefaultTimeout(PAGE_WAIT_MS);
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
    });
  };
  return {
    baseUrl: liveServer.url,
    built,
    problems,
    newContext: () => liveHost.newContext(),
    async openPage(name, context) {
      const ctx = context ?? (await liveHost.newContext());
      const page = await ctx.newPage();
      watch(page);
      await page.goto(`${liveServer.url}${name}.html`, { timeout: PAGE_WAIT_MS });
      await waitForPageReady(page);
      return page;
    },
    async reload(page) {
      await page.reload({ timeout: PAGE_WAIT_MS });
      await waitForPageReady(page);
    },
    restartBrowser: () => liveHost.restart(),
    async close() {
      await liveHost.close();
      await liveServer.close();
      await rm(built.outDir, { recursive: true, force: true });
    },
  };
}

/** waitUntil: polls `cond` every 100 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = PAGE_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * callPage: calls `window[globalName][name](...args)` in `page` (a test page's exported API) and
 * returns its (awaited, serialized) result.
 */
export function callPage<T extends object, K extends keyof T & string>(
  page: Page,
  globalName: string,
  name: K,
  ...args: T[K] extends (...a: infer A) => unknown ? A : never
): Promise<T[K] extends (...a: never[]) => infer R ? Awaited<R> : never> {
  return page.evaluate(
    ([g, n, a]) => (window as unknown as Record<string, Record<string, (...x: unknown[]) => unknown>>)[g]![n]!(...(a as unknown[])),
    [globalName, name, args] as const,
  ) as Promise<T[K] extends (...a: never[]) => infer R ? Awaited<R> : never>;
}
