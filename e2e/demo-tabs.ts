/**
 * DemoTabs: the demo's dev server (Vite, with its relay) and a Chromium in which each tab is its own
 * browser context (own IndexedDB, own peer) opened on one cluster's link, their console errors
 * collected. Shared by the demo's multi-tab tests.
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { launchChromium, REPO } from './browser-harness.ts';

export class DemoTabs {
  readonly pages: Page[] = [];
  readonly consoleErrors: string[] = [];
  readonly #contexts: BrowserContext[] = [];
  #server: ViteDevServer | undefined;
  #browser: Browser | undefined;
  /** The link every tab opens: the dev server's URL with `#cluster=<name>-<time>`. */
  link = '';
  /** The dev server's URL (for links of other clusters). */
  base = '';

  /** start: the dev server and the browser; tabs open on a fresh cluster named after `name` (`fragment`: more of the URL fragment, e.g. `&shards=3`). */
  async start(name: string, fragment = ''): Promise<void> {
    this.#server = await createServer({ configFile: join(REPO, 'vite.config.ts'), logLevel: 'silent', server: { port: 0, strictPort: false } });
    await this.#server.listen();
    this.base = this.#server.resolvedUrls!.local[0]!;
    this.link = `${this.base}#cluster=${name}-${Date.now().toString(36)}${fragment}`;
    this.#browser = await launchChromium();
  }

  /**
   * openTab: a new context (a browser profile of its own) and page on the link (or `link`), resolved
   * once the page says it is ready; `profile`: a new page in that context instead (sharing its
   * localStorage and IndexedDB, as two tabs of one browser do).
   */
  async openTab(readyMs: number, viewport = { width: 1280, height: 800 }, link = this.link, profile?: BrowserContext): Promise<Page> {
    let context = profile;
    if (context === undefined) {
      context = await this.#browser!.newContext({ viewport });
      this.#contexts.push(context);
    }
    const page = await context.newPage();
    const at = this.pages.length;
    page.on('console', (m) => {
      if (m.type() === 'error') this.consoleErrors.push(`tab ${at}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.consoleErrors.push(`tab ${at}: ${String(e)}`));
    await page.goto(link);
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, { timeout: readyMs });
    this.pages.push(page);
    return page;
  }

  /** data: one of the page body's data attributes (the demo publishes the cluster state there). */
  data(p: Page, key: string): Promise<string | undefined> {
    return p.evaluate((k) => document.body.dataset[k], key);
  }

  async close(): Promise<void> {
    await Promise.all(this.#contexts.map((c) => c.close().catch(() => {})));
    await this.#browser?.close();
    await this.#server?.close();
  }
}
