/**
 * The cluster commands of the CLI as real processes: `geode relay`, `geode peer` (file storage,
 * key kept in the data directory, /health and /metrics, clean exit on SIGTERM) and `geode query
 * --join` (a client that is never a member).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Child, CLI, REPO, RelayProc, removeDir, tempDir } from './harness.ts';

function geodeQuery(relay: string, text: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'query', '--join', relay, '--cluster', 'cli-c', '--secret', 'cli-s', '--json', '-e', text], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function startPeer(relay: string, data: string, bootstrap: boolean): Promise<{ child: Child; id: string; http: string }> {
  const args = [CLI, 'peer', '--cluster', 'cli-c', '--secret', 'cli-s', '--data', data, '--join', relay, '--http-port', '0', ...(bootstrap ? ['--bootstrap'] : [])];
  const child = new Child(args, 'peer');
  await child.waitFor(() => (child.stderr.includes('ready') && child.lines.some((l) => l.startsWith('/ip4/')) ? true : undefined), 30_000, 'geode peer');
  const id = /^peer (\S+)/.exec(child.stderr.find((l) => l.startsWith('peer ')) ?? '')?.[1] ?? '';
  const http = /(http:\/\/\S+)/.exec(child.stderr.find((l) => l.startsWith('http ')) ?? '')?.[1] ?? '';
  return { child, id, http };
}

describe('geode relay / peer / query --join', () => {
  const dirs: string[] = [];
  const children: Child[] = [];
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    for (const d of dirs) removeDir(d);
  });

  it('serve a cluster: a client writes and reads, the peer reports health and metrics, exits 0 on SIGTERM and comes back with its id and data', async () => {
    const relay = await RelayProc.start();
    children.push(relay.child);
    const data = tempDir('geode-cli-peer-');
    dirs.push(data);
    const first = await startPeer(relay.tcp(), data, true);
    children.push(first.child);
    expect(first.child.lines.some((l) => l.startsWith('/ip4/127.0.0.1/tcp/'))).toBe(true);

    const w = geodeQuery(relay.tcp(), 'CREATE (:A {x: 1})');
    expect(w.code, w.stderr).toBe(0);
    const r = geodeQuery(relay.tcp(), 'MATCH (a:A) RETURN count(a) AS c');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ columns: ['c'], rows: [{ c: 1 }] });

    const health = (await (await fetch(`${first.http}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, role: 'peer', id: first.id, state: 'leader' });
    const metrics = await (await fetch(`${first.http}/metrics`)).text();
    expect(metrics).toMatch(/^cluster_nodes_total 1$/m); // the client connected but is not a member
    expect(metrics).toMatch(/^cluster_leader_elections \d+$/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+$/m);

    first.child.kill('SIGTERM');
    expect(await first.child.exited).toBe(0);
    expect(existsSync(join(data, 'LOCK'))).toBe(false);
    expect(existsSync(join(data, 'peer.key'))).toBe(true);

    const again = await startPeer(relay.tcp(), data, false);
    children.push(again.child);
    expect(again.id).toBe(first.id);
    const r2 = geodeQuery(relay.tcp(), 'MATCH (a:A) RETURN a.x AS x');
    expect(r2.code, r2.stderr).toBe(0);
    expect(JSON.parse(r2.stdout)).toEqual({ columns: ['x'], rows: [{ x: 1 }] });
    again.child.kill('SIGINT');
    expect(await again.child.exited).toBe(0);
  });
});
