/**
 * `geode query --join` sessions with transactions, as real processes: a relay, a `geode peer`
 * and the CLI joined as a cluster client (which holds no replica: a member runs the transaction,
 * src/api/remote-transaction.ts). Piped BEGIN ... COMMIT is committed, START TRANSACTION ...
 * ROLLBACK leaves nothing, and a transaction left open when the input ends is rolled back.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Child, CLI, REPO, RelayProc, removeDir, tempDir } from './harness.ts';

function geodeQuery(relay: string, args: readonly string[], input = ''): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'query', '--join', relay, '--cluster', 'cli-txn', '--secret', 'cli-txn-s', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    input,
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('geode query --join: transactions from a client session', () => {
  const dirs: string[] = [];
  const children: Child[] = [];
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    for (const d of dirs) removeDir(d);
  });

  it('commits BEGIN ... COMMIT, leaves nothing of ROLLBACK, and rolls back a transaction left open', async () => {
    const relay = await RelayProc.start();
    children.push(relay.child);
    const data = tempDir('geode-cli-txn-');
    dirs.push(data);
    const peer = new Child([CLI, 'peer', '--cluster', 'cli-txn', '--secret', 'cli-txn-s', '--data', data, '--join', relay.tcp(), '--http-port', '0', '--bootstrap'], 'peer');
    children.push(peer);
    await peer.waitFor(() => (peer.stderr.includes('ready') ? true : undefined), 30_000, 'geode peer');
    // The peer is ready before a client reaching it through the relay is: on a machine running the
    // whole suite that took longer than a statement's time limit (every statement of the session
    // then timed out). Wait until a client's plain query is answered (a liveness bound).
    const until = Date.now() + 90_000;
    for (let ok = geodeQuery(relay.tcp(), ['-e', 'RETURN 1 AS one']); ok.code !== 0; ok = geodeQuery(relay.tcp(), ['-e', 'RETURN 1 AS one'])) {
      if (Date.now() > until) throw new Error(`no client query was answered in 90 s: ${ok.stderr}`);
    }

    const script = [
      "BEGIN; CREATE (:Note {t: 'kept'}); CREATE (:Note {t: 'kept too'}); COMMIT;",
      "START TRANSACTION; CREATE (:Note {t: 'undone'}); MATCH (n:Note {t: 'kept'}) SET n.t = 'changed'; ROLLBACK;",
      "BEGIN; CREATE (:Note {t: 'unfinished'});",
    ].join('\n');
    const w = geodeQuery(relay.tcp(), [], script);
    expect(w.stdout, w.stderr).toContain('Transaction committed');
    expect(w.stdout).toContain('Transaction rolled back');
    expect(w.stderr).toContain('The open transaction was rolled back');
    const r = geodeQuery(relay.tcp(), ['--json', '-e', 'MATCH (n:Note) RETURN n.t AS t ORDER BY t']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ columns: ['t'], rows: [{ t: 'kept' }, { t: 'kept too' }] });
  }, 240_000);
});
