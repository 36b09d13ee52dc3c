/**
 * ldbcSamplePlugin: serves the LDBC SNB tiny CSV files to the demo as static assets, without a
 * copy of the data in the repository.
 *
 * - `vite` (dev server): `GET /sample/ldbc/<path>` reads the file from the data folder;
 * - `vite build`: every file is emitted into the bundle at `sample/ldbc/<path>`.
 *
 * Both also serve `sample/ldbc/manifest.json` ({@link LdbcSampleManifest}), which the page reads
 * to know which files exist and how big they are (the progress bar counts bytes). When the data
 * folder is missing the manifest says so and the demo shows the sample as unavailable.
 *
 * The folder is `$GEODE_LDBC_SAMPLE_DIR`, else `../shared/ldbc-snb-sf-tiny` beside the repository.
 * This module runs in Node (Vite's config), never in the page.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { LDBC_SAMPLE_MANIFEST, LDBC_SAMPLE_URL_PATH, type LdbcSampleManifest } from './sample-manifest.ts';

/** Sub-folders of the LDBC layout that hold CSV files. */
const SAMPLE_SUBFOLDERS = ['static', 'dynamic'] as const;

/** Largest total of sample bytes the plugin bundles: the tiny set is 4 MB, a bigger one is a mistake. */
export const LDBC_SAMPLE_BYTES_MAX = 64 * 1024 * 1024;

/** The default data folder: `../shared/ldbc-snb-sf-tiny` next to the repository root. */
export function defaultLdbcSampleDir(): string {
  const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
  return process.env['GEODE_LDBC_SAMPLE_DIR'] ?? resolve(repo, '..', 'shared', 'ldbc-snb-sf-tiny');
}

/** Lists the CSV files of an LDBC folder (root, static/, dynamic/), sorted by path. */
export function readLdbcSampleManifest(dir: string): LdbcSampleManifest {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { available: false, source: 'LDBC SNB tiny (not found)', files: [] };
  const files: { path: string; bytes: number }[] = [];
  let total = 0;
  for (const folder of ['', ...SAMPLE_SUBFOLDERS]) {
    const abs = join(dir, folder);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) continue;
    for (const name of readdirSync(abs).sort()) {
      if (!name.toLowerCase().endsWith('.csv')) continue;
      const file = join(abs, name);
      const st = statSync(file);
      if (!st.isFile()) continue;
      total += st.size;
      if (total > LDBC_SAMPLE_BYTES_MAX) {
        throw new Error(`ldbc sample: ${dir} holds more than ${LDBC_SAMPLE_BYTES_MAX} bytes of CSV; the demo bundles only a small sample`);
      }
      files.push({ path: relative(dir, file).split(sep).join('/'), bytes: st.size });
    }
  }
  return { available: files.length > 0, source: 'LDBC SNB Interactive, tiny test data (Apache-2.0)', files };
}

/** The Vite plugin; `dir` defaults to {@link defaultLdbcSampleDir}. */
export function ldbcSamplePlugin(dir: string = defaultLdbcSampleDir()): Plugin {
  const root = resolve(dir);
  return {
    name: 'geode-ldbc-sample',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const at = url.pathname.indexOf('/' + LDBC_SAMPLE_URL_PATH);
        if (req.method !== 'GET' || at < 0) {
          next();
          return;
        }
        const rest = decodeURIComponent(url.pathname.slice(at + 1 + LDBC_SAMPLE_URL_PATH.length));
        const manifest = readLdbcSampleManifest(root);
        if (rest === LDBC_SAMPLE_MANIFEST) {
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify(manifest));
          return;
        }
        // Only files the manifest lists are served: nothing else of the disk is reachable.
        if (!manifest.files.some((f) => f.path === rest)) {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('not found');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
        res.end(readFileSync(join(root, rest)));
      });
    },
    generateBundle() {
      const manifest = readLdbcSampleManifest(root);
      for (const f of manifest.files) {
        this.emitFile({ type: 'asset', fileName: LDBC_SAMPLE_URL_PATH + f.path, source: readFileSync(join(root, f.path)) });
      }
      this.emitFile({ type: 'asset', fileName: LDBC_SAMPLE_URL_PATH + LDBC_SAMPLE_MANIFEST, source: JSON.stringify(manifest) });
    },
  };
}
