/**
 * Test page: the library as a web app uses it, with IndexedDB storage. Exposes `window.geodeTest`
 * for the Playwright test (values as JSON-safe text) and sets `data-ready` once the database is open.
 */
import { openGeode, type Geode } from '../../src/index.ts';

interface GeodeTest {
  query(text: string, params?: Record<string, string>): Promise<string>;
  error: string | undefined;
}

const out: GeodeTest = { query: () => Promise.reject(new Error('not open')), error: undefined };
(window as unknown as { geodeTest: GeodeTest }).geodeTest = out;

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

try {
  const db: Geode = await openGeode({ storage: 'indexeddb' });
  out.query = async (text, params) => JSON.stringify((await db.query(text, params)).rows, jsonSafe);
  window.addEventListener('pagehide', () => void db.close());
} catch (err) {
  out.error = err instanceof Error ? `${(err as { code?: string }).code ?? ''} ${err.message}` : String(err);
}
document.documentElement.dataset['ready'] = 'true';
