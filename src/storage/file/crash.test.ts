import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openFileLogStore } from './index.ts';
import { removeTempDirs, tempDir } from './test-helpers.ts';

const WRITER = fileURLToPath(new URL('./crash-writer.fixture.ts', import.meta.url));

afterEach(removeTempDirs);

/** runUntilKilled: starts the writer, SIGKILLs it once it acknowledged `acks` syncs; returns the last acknowledged index. */
function runUntilKilled(dir: string, acks: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let seen = 0;
    let acked = 0;
    let buffered = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        acked = Number(line.slice(4));
        if (++seen === acks) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

describe('file store under SIGKILL', () => {
  it('keeps every acknowledged entry when its process is killed mid-write, restart after restart', async () => {
    const dir = tempDir();
    let acked = 0;
    for (const acks of [37, 211, 5, 390, 120]) {
      acked = await runUntilKilled(dir, acks);
      const store = openFileLogStore(dir);
      const state = await store.open();
      const first = (state.snapshot?.metadata.index ?? 0) + 1;
      const last = first + state.entries.length - 1;
      expect(state.entries.every((e, k) => e.index === first + k && e.data[0] === (e.index & 0xff))).toBe(true);
      expect(last).toBeGreaterThanOrEqual(acked);
      expect(state.hardState.commit).toBeGreaterThanOrEqual(acked);
      await store.close();
    }
    expect(acked).toBeGreaterThan(0);
  });
});
