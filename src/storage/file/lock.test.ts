import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isGeodeError, type GeodeError } from '../../util/errors.ts';
import { openFileLogStore } from './index.ts';
import { processAlive } from './lock.ts';
import { entry, removeTempDirs, tempDir } from './test-helpers.ts';

const HOLDER = fileURLToPath(new URL('./lock-holder.fixture.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  removeTempDirs();
});

/** startHolder: a child process that opens the store on `dir`; resolves once it holds the lock. */
function startHolder(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('locked')) resolve(child);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.on('exit', () => resolve());
  });
}

async function openError(dir: string): Promise<GeodeError> {
  const err = await openFileLogStore(dir).open().then(() => undefined, (e: unknown) => e);
  expect(isGeodeError(err)).toBe(true);
  return err as GeodeError;
}

describe('file store directory lock', () => {
  it('refuses a directory locked by a live process and takes it over once that process died', async () => {
    const dir = tempDir();
    const child = await startHolder(dir);
    const err = await openError(dir);
    expect(err.code).toBe('IO');
    expect(err.message).toContain(`data directory ${dir} is in use by process ${child.pid}`);
    child.kill('SIGKILL');
    await exited(child);
    const warnings: string[] = [];
    const store = openFileLogStore(dir, { onWarning: (m) => warnings.push(m) });
    await store.open();
    expect(warnings.some((w) => w.includes(`process ${child.pid}, which is not running`))).toBe(true);
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(`${process.pid}\n${hostname()}\n`);
    await store.close();
  });

  it('refuses a second open of one directory in the same process until the first closes', async () => {
    const dir = tempDir();
    const first = openFileLogStore(dir);
    await first.open();
    const err = await openError(dir);
    expect(err.message).toContain(`in use by process ${process.pid}`);
    first.stage({ entries: [entry(1)] });
    await first.close();
    const second = openFileLogStore(dir);
    expect((await second.open()).entries).toEqual([entry(1)]);
    await second.close();
  });

  it('takes over a lock left by a dead process or half written, with a warning', async () => {
    const dir = tempDir();
    const dead = spawn(process.execPath, ['-e', '0']);
    await exited(dead);
    expect(processAlive(dead.pid!)).toBe(false);
    for (const content of [`${dead.pid}\n${hostname()}\n`, '']) {
      writeFileSync(join(dir, 'LOCK'), content);
      const warnings: string[] = [];
      const store = openFileLogStore(dir, { onWarning: (m) => warnings.push(m) });
      await store.open();
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toContain('took over');
      await store.close();
    }
  });

  it('refuses a lock that names another host (its process cannot be checked)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'LOCK'), `1\nsome-other-host.example\n`);
    const err = await openError(dir);
    expect(err.code).toBe('IO');
    expect(err.message).toContain('in use by process 1 on host some-other-host.example');
  });
});
