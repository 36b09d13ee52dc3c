/**
 * Bundle-size benchmark: what a web app ships when it imports `geode-db` in a browser.
 *
 * esbuild bundles the browser entry (src/index.ts) as an app's bundler would: ESM, minified,
 * code-split at the dynamic imports the library uses to load IndexedDB storage and the libp2p
 * stack on first use. Two figures, gzipped (level 9):
 * - `embedded_gzip_kb`: the entry chunk and every chunk it imports statically, what an app that
 *   only opens `{ storage: 'memory' }` loads;
 * - `full_gzip_kb`: every chunk reachable, dynamic imports included (IndexedDB, libp2p, WebRTC):
 *   what a clustered tab loads.
 * It also checks that no chunk imports a Node built-in (`node:*`, `fs`, ...): the browser build
 * must have none.
 *
 * The LAST stdout line is one JSON object:
 * `{ embedded_gzip_kb, embedded_raw_kb, full_gzip_kb, full_raw_kb, chunks_count, embedded_target_kb }`
 *
 *   npx tsx bench/size.bench.ts
 */
import { build, type Metafile } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
/** The budget for the embedded browser entry, KB gzipped. */
const EMBEDDED_TARGET_KB = 150;

const out = mkdtempSync(join(tmpdir(), 'geode-size-'));
try {
  const result = await build({
    entryPoints: [join(REPO, 'src/index.ts')],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    outdir: out,
    metafile: true,
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const meta: Metafile = result.metafile;
  const outputs = meta.outputs;
  const byPath = new Map(Object.entries(outputs).map(([p, o]) => [resolve(REPO, p), o]));
  const entry = [...byPath.entries()].find(([, o]) => o.entryPoint !== undefined)?.[0];
  if (entry === undefined) throw new Error('esbuild produced no entry chunk');

  const reach = (from: string, withDynamic: boolean): Set<string> => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const p = stack.pop()!;
      if (seen.has(p)) continue;
      seen.add(p);
      for (const imp of byPath.get(p)?.imports ?? []) {
        if (imp.external) throw new Error(`${relative(out, p)} imports ${imp.path}, which the browser cannot resolve`);
        if (imp.kind === 'dynamic-import' && !withDynamic) continue;
        stack.push(resolve(REPO, imp.path));
      }
    }
    return seen;
  };
  const size = (files: Set<string>): { raw: number; gzip: number } => {
    let raw = 0;
    let gzip = 0;
    for (const f of files) {
      if (!f.endsWith('.js')) continue;
      const bytes = readFileSync(f);
      raw += bytes.length;
      gzip += gzipSync(bytes, { level: 9 }).length;
    }
    return { raw, gzip };
  };
  const embedded = size(reach(entry, false));
  const full = size(reach(entry, true));
  const kb = (n: number): number => Math.round((n / 1024) * 10) / 10;
  process.stderr.write(`entry ${relative(out, entry)}; ${Object.keys(outputs).length} chunks\n`);
  console.log(
    JSON.stringify({
      embedded_gzip_kb: kb(embedded.gzip),
      embedded_raw_kb: kb(embedded.raw),
      full_gzip_kb: kb(full.gzip),
      full_raw_kb: kb(full.raw),
      chunks_count: Object.keys(outputs).filter((p) => p.endsWith('.js')).length,
      embedded_target_kb: EMBEDDED_TARGET_KB,
    }),
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}
