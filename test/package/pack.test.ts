/**
 * The package as its users get it: `npm pack` (which builds dist/lib first) produces a tarball
 * that holds the compiled library, its type declarations and the CLI launcher, and nothing of
 * the tests, fixtures, TypeScript sources or source maps; installed (the tarball unpacked into
 * a `node_modules/geode-db` whose dependencies resolve from this checkout's node_modules, as a
 * user's install would provide them), `import 'geode-db'` opens a durable file database under
 * Node, the `geode` binary answers a query without tsx, and examples/node-script runs on it.
 */
import { copyFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedBin, NODE20, packLibrary, REPO, unpackInto } from './pack-helpers.ts';

let work: string;
let tarball: string;
let files: readonly string[];

beforeAll(() => {
  ({ work, tarball, files } = packLibrary('pack-'));
  unpackInto(tarball, work);
}, 120_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the compiled entry points and their types, and no tests, fixtures, sources or source maps', () => {
    for (const f of ['dist/lib/src/index.js', 'dist/lib/src/index.d.ts', 'dist/lib/src/node.js', 'dist/lib/src/node.d.ts', 'packages/cli/bin/geode.mjs', 'README.md']) {
      expect(files).toContain(f);
    }
    const unwanted = files.filter((f) => /\.test\.|\.bench\.|\.map$|(^|\/)(test|e2e|tck|demo|bench|fixtures?)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')) || /(^|\/)src\/sim\//.test(f));
    expect(unwanted).toEqual([]);
  });

  it('installed, `import "geode-db"` under Node opens a durable file database that keeps its data across a reopen', () => {
    const dataDir = join(work, 'data');
    const app = join(work, 'app.mjs');
    writeFileSync(
      app,
      [
        "import { openGeode, isGeodeError } from 'geode-db';",
        `const dir = ${JSON.stringify(dataDir)};`,
        "let db = await openGeode({ storage: 'file:' + dir });",
        "await db.query(\"CREATE (:Person {name: 'Ada'})\");",
        'await db.close();',
        "db = await openGeode({ storage: 'file:' + dir });",
        "const { rows } = await db.query('MATCH (p:Person) RETURN p.name AS name');",
        'await db.close();',
        "let code = 'none';",
        "try { await openGeode({ storage: 'floppy:' }); } catch (err) { code = isGeodeError(err) ? err.code : String(err); }",
        'console.log(JSON.stringify({ names: rows.map((r) => r.name), code }));',
      ].join('\n'),
    );
    const out = execFileSync(process.execPath, [app], { cwd: work, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ names: ['Ada'], code: 'CONFIG_INVALID' });
    expect(readdirSync(dataDir).length).toBeGreaterThan(0);
  }, 60_000);

  it('installed, the `geode` binary runs the compiled CLI (no tsx, no sources) and answers a query', () => {
    const bin = installedBin(work);
    const out = execFileSync(process.execPath, [bin, 'query', '--data', join(work, 'cli-data'), '--json', '-e', 'UNWIND [1, 2, 3] AS x RETURN sum(x) AS total'], { cwd: work, encoding: 'utf8' });
    expect(out).toContain('6');
  }, 60_000);

  it('examples/node-script runs on the installed package: a live query sees its writes, and a second run finds the first run\'s data', () => {
    const script = join(work, 'example-node-script.mjs');
    copyFileSync(join(REPO, 'examples/node-script/index.mjs'), script);
    const dataDir = join(work, 'example-data');
    const runOnce = (): { people: number; knows: string[] } => {
      const out = execFileSync(process.execPath, [script, dataDir], { cwd: work, encoding: 'utf8', timeout: 30_000 });
      expect(out).toContain('a bad query is refused: GQL_SYNTAX');
      return JSON.parse(out.trim().split('\n').at(-1)!) as { people: number; knows: string[] };
    };
    expect(runOnce()).toEqual({ people: 2, knows: ['Ada 0 -> Alan 0'] });
    expect(runOnce()).toEqual({ people: 4, knows: ['Ada 0 -> Alan 0', 'Ada 1 -> Alan 1'] });
  }, 60_000);

  // Skipped only on a machine without a Node 20 binary (the project's own scripts run on Node 22).
  it.skipIf(NODE20 === undefined)('installed, starts on Node 20 too: a relay and a one-peer cluster commit and read a write (Promise.withResolvers polyfilled)', () => {
    const app = join(work, 'node20-cluster.mjs');
    writeFileSync(
      app,
      [
        "import { openGeode, createRelay } from 'geode-db';",
        'const relay = await createRelay();',
        "const db = await openGeode({ cluster: { id: 'node20', secret: 'node20-secret', relays: [relay.addrs()[0]], bootstrap: true } });",
        'for (let i = 0; i < 200 && !db.cluster.isLeader(); i++) await new Promise((r) => setTimeout(r, 50));',
        "await db.query('CREATE (:A {x: 1})');",
        "const { rows } = await db.query('MATCH (a:A) RETURN count(a) AS n');",
        'await db.close();',
        'await relay.close();',
        'console.log(JSON.stringify({ version: process.version, n: Number(rows[0].n) }));',
      ].join('\n'),
    );
    const out = execFileSync(NODE20!, [app], { cwd: work, encoding: 'utf8', timeout: 30_000 });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { version: string; n: number };
    expect(r.version.startsWith('v20.')).toBe(true);
    expect(r.n).toBe(1);
  }, 60_000);
});
