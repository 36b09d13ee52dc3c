/**
 * The package as its users get it: `npm pack` (which builds dist/lib first) produces a tarball
 * that holds the compiled library, its type declarations and the CLI launcher, and nothing of
 * the tests, fixtures, TypeScript sources or source maps; installed (the tarball unpacked into
 * a `node_modules/geode-db` whose dependencies resolve from this checkout's node_modules, as a
 * user's install would provide them), `import 'geode-db'` opens a durable file database under
 * Node, the `geode` binary answers a query without tsx, and examples/node-script runs on it.
 */
import { copyFileSync, cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_ENV } from '../../packages/cli/src/cluster-commands.ts';
import { installedBin, NODE20, packLibrary, REPO, startProcess, unpackInto, type Started } from './pack-helpers.ts';

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

/**
 * examples/cluster-config as its README runs it, on the installed package: `geode relay`, then two
 * `geode peer`s started with the example's cluster.yaml (one founding the cluster), then `geode
 * query --join` clients. Once both peers are voters, a write is acknowledged only when both have
 * it; with the founder stopped, the other peer alone answers a `--read-quorum 1` read with it.
 */
describe('examples/cluster-config on the installed package', () => {
  const SECRET = 'cluster-config-test-secret';
  const started: Started[] = [];
  let dir: string;
  let relayAddr: string;
  const env = { ...process.env, [SECRET_ENV]: SECRET };
  const geode = (...args: string[]): Started => {
    const p = startProcess(process.execPath, [installedBin(work), ...args], dir, env);
    started.push(p);
    return p;
  };
  /** `geode query --join` as the example's `npm run query`: the JSON result's rows, or the error. */
  const query = (text: string, ...extra: string[]): { rows?: Record<string, unknown>[]; error?: string } => {
    try {
      const out = execFileSync(process.execPath, [installedBin(work), 'query', '--cluster', 'example', '--join', relayAddr, '--config', 'cluster.yaml', '--json', ...extra, '-e', text], {
        cwd: dir,
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
      });
      return { rows: (JSON.parse(out.trim().split('\n').at(-1)!) as { rows: Record<string, unknown>[] }).rows };
    } catch (err) {
      return { error: String((err as { stderr?: unknown }).stderr ?? err) };
    }
  };

  beforeAll(() => {
    dir = join(work, 'cluster-config');
    cpSync(join(REPO, 'examples/cluster-config'), dir, { recursive: true, filter: (src) => !/(^|\/)(node_modules|data|package-lock\.json|relay\.key)$/.test(src) });
  });

  afterAll(async () => {
    for (const p of started.reverse()) await p.stop();
  }, 30_000);

  it('a relay and two peers started from cluster.yaml form one cluster; a write acknowledged by both is read on the second peer with the first one stopped; the relay keeps its id across a restart', async () => {
    // As `npm run relay`, on free ports: --key-file creates relay.key, so the relay keeps its id.
    const relay = geode('relay', '--key-file', 'relay.key');
    relayAddr = (await relay.waitFor(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//, 20_000)).trim();
    await relay.waitFor(/^ready$/, 20_000);
    const relayId = relayAddr.split('/p2p/')[1];
    const peerA = geode('peer', '--cluster', 'example', '--data', './data/a', '--join', relayAddr, '--config', 'cluster.yaml', '--bootstrap');
    const peerB = geode('peer', '--cluster', 'example', '--data', './data/b', '--join', relayAddr, '--config', 'cluster.yaml');
    await peerA.waitFor(/^ready$/, 20_000);
    await peerB.waitFor(/^ready$/, 20_000);
    const idB = /^peer (\S+) of cluster example/m.exec(peerB.output().stderr)![1]!;

    // The founder's leader adds the second peer as a learner and promotes it: wait for two voters.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows, error } = query("CALL db.cluster.status() YIELD id, role WHERE role = 'voter' RETURN id ORDER BY id");
      if (rows !== undefined && rows.length === 2) {
        expect(rows.map((r) => r['id'])).toContain(idB);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the cluster did not reach two voters: ${JSON.stringify(rows) ?? error}\npeer a: ${peerA.output().stderr}\npeer b: ${peerB.output().stderr}`);
      await new Promise((r) => setTimeout(r, 500));
    }

    // replication.factor 2: acknowledged means on both peers' disks.
    const write = query("CREATE (:City {name: 'Lisbon'}), (:City {name: 'Porto'})");
    expect(write.error).toBeUndefined();

    expect(await peerA.stop(), `peerA exits 0 on SIGTERM: ${peerA.output().stderr}`).toBe(0);
    const answerer = query('CALL db.cluster.status() YIELD id, self WHERE self RETURN id', '--read-quorum', '1');
    expect(answerer.rows).toEqual([{ id: idB }]);
    const read = query('MATCH (c:City) RETURN c.name AS name ORDER BY name', '--read-quorum', '1');
    expect(read.rows).toEqual([{ name: 'Lisbon' }, { name: 'Porto' }]);
    expect(await peerB.stop(), `peerB exits 0 on SIGTERM: ${peerB.output().stderr}`).toBe(0);
    expect(await relay.stop(), `relay exits 0 on SIGTERM: ${relay.output().stderr}`).toBe(0);

    const again = geode('relay', '--key-file', 'relay.key');
    expect((await again.waitFor(/\/p2p\//, 20_000)).trim().split('/p2p/')[1]).toBe(relayId);
    await again.waitFor(/^ready$/, 20_000); // from then on a SIGTERM stops it cleanly
    expect(await again.stop(), `again exits 0 on SIGTERM (signal ${again.child.signalCode}): ${again.output().stderr}`).toBe(0);
  }, 120_000);
});
