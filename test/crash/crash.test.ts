/**
 * Crash test: a child process writes through `db.query` on file storage as fast as it can and
 * reports each acknowledged write; it is killed with SIGKILL at a random moment, 50 times in a row
 * on one data directory. After each kill the database is reopened: it must hold every write ever
 * acknowledged, no write twice, and pass a full consistency check (indexes and adjacency agree
 * with the data). Seeded (CRASH_SEED to explore); a failure prints the seed and round.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openGeode, type Geode } from '../../src/node.ts';
import { storeOf } from '../../src/api/database.ts';
import { Prng } from '../../src/sim/prng.ts';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const WRITER = join(REPO, 'test', 'crash', 'writer.ts');
const ROUNDS = Number(process.env['CRASH_ROUNDS'] ?? 50);
const SEED = Number(process.env['CRASH_SEED'] ?? 20261125);
/** Each writer's sequence numbers start at round × this, so no two rounds share one. */
const SEQ_STRIDE = 1_000_000;

interface Round {
  readonly acked: number[];
  readonly exitSignal: NodeJS.Signals | null;
  readonly stderr: string;
}

/**
 * Runs the writer until `killAfterMs` past its first line, then SIGKILLs it; returns what it
 * acknowledged. The writer runs in this very Node binary with tsx as a loader (not the `tsx` CLI,
 * which would put a second process between the kill and the writer).
 */
function runWriter(dir: string, first: number, inFlight: number, killAfterMs: number): Promise<Round> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(first), String(inFlight)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buffered = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (stderr += s));
    child.stdout.on('data', (s: string) => {
      buffered += s;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      resolvePromise({ acked, exitSignal: signal, stderr });
    });
  });
}

describe('crash test: SIGKILL under write load, 50 times on one data directory', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('every reopen holds every acknowledged write and passes the consistency check', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'geode-crash-'));
    dirs.push(dir);
    const rng = new Prng(SEED);
    const everAcked = new Set<number>();
    let warnings = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const where = `seed ${SEED}, round ${round}, dir ${dir}`;
      const inFlight = rng.int(1, 8);
      const killAfterMs = rng.int(0, 400);
      const r = await runWriter(dir, (round + 1) * SEQ_STRIDE, inFlight, killAfterMs);
      // The writer must have died from the kill, not from an error of its own.
      expect(r.exitSignal, `${where}: writer exited by itself: ${r.stderr}`).toBe('SIGKILL');
      for (const seq of r.acked) everAcked.add(seq);

      let db: Geode | undefined;
      try {
        db = await openGeode({ storage: `file:${dir}`, onWarning: () => warnings++ });
        const { rows } = await db.query('MATCH (w:W) RETURN w.seq AS seq');
        const held = new Set<number>();
        for (const row of rows) {
          const seq = Number(row['seq'] as bigint);
          expect(held.has(seq), `${where}: write ${seq} is in the graph twice`).toBe(false);
          held.add(seq);
        }
        const lost = [...everAcked].filter((s) => !held.has(s));
        expect(lost, `${where}: acknowledged writes lost after the crash`).toEqual([]);
        expect(storeOf(db).checkConsistency(), `${where}: consistency check`).toEqual([]);
        // Every :NEXT edge joins two writes of one lane, in order.
        const bad = await db.query('MATCH (a:W)-[:NEXT]->(b:W) WHERE a.lane <> b.lane OR a.seq >= b.seq RETURN count(*) AS c');
        expect(bad.rows[0]!['c'], `${where}: a :NEXT edge out of order`).toBe(0n);
      } finally {
        await db?.close();
      }
    }
    expect(everAcked.size).toBeGreaterThan(ROUNDS);
    process.stdout.write(`crash test: ${ROUNDS} kills, ${everAcked.size} acknowledged writes, all recovered (${warnings} recovery warnings)\n`);
  }, 600_000);
});
