/**
 * Shared by the tests in test/package: pack the library as `npm pack` does for a release, unpack
 * or install the tarball into a folder under `.scratch/`, find a Node 20, wait for a process to
 * print a line. Each test file packs once (in its `beforeAll`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root. */
export const REPO = resolve(import.meta.dirname, '../..');
/** Inside the checkout (gitignored), so an unpacked package finds the dependencies in REPO/node_modules. */
export const SCRATCH = join(REPO, '.scratch');

/** The system's Node 20 (Debian's), when there is one: the package must still start on it. */
export const NODE20 = ((): string | undefined => {
  for (const bin of ['/usr/bin/node', '/usr/local/bin/node']) {
    try {
      const v = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
      if (v.startsWith('v20.')) return bin;
    } catch {
      // not there
    }
  }
  return undefined;
})();

/** A packed library: the tarball and the paths it holds. */
export interface PackedLibrary {
  /** A fresh folder under `.scratch/` holding the tarball; the caller removes it. */
  readonly work: string;
  /** Absolute path of `geode-db-<version>.tgz`. */
  readonly tarball: string;
  /** The paths inside the tarball (relative to the package root). */
  readonly files: readonly string[];
}

/** Longest wait for another test file's `npm pack` to finish, ms. */
const PACK_LOCK_WAIT_MS = 240_000;

/**
 * withPackLock: runs `run` while holding `.scratch/pack.lock` (a directory with the holder's pid).
 * `npm pack` rebuilds dist/lib from scratch (`rm -rf dist/lib && tsc`), so two test files packing
 * at once (vitest runs files in parallel) would pack each other's half-built output. A lock left
 * by a process that is gone is taken over.
 */
function withPackLock<T>(run: () => T): T {
  const lock = join(SCRATCH, 'pack.lock');
  const deadline = Date.now() + PACK_LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: number | undefined;
    try {
      holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      // just created: its pid is being written
    }
    if (holder !== undefined && Number.isSafeInteger(holder) && !isAlive(holder)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${lock} is still held by process ${holder} after ${PACK_LOCK_WAIT_MS} ms`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
  try {
    return run();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** packLibrary: `npm pack` (which builds dist/lib first) into a fresh `.scratch/<prefix>*` folder. */
export function packLibrary(prefix = 'pack-'): PackedLibrary {
  mkdirSync(SCRATCH, { recursive: true });
  const work = mkdtempSync(join(SCRATCH, prefix));
  const out = withPackLock(() => execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  // npm prints the prepack script's output before the JSON array.
  const report = JSON.parse(out.slice(out.indexOf('[\n'))) as { filename: string; files: { path: string }[] }[];
  return { work, tarball: join(work, report[0]!.filename), files: report[0]!.files.map((f) => f.path) };
}

/**
 * unpackInto: the tarball as `<dir>/node_modules/geode-db`, its dependencies left to resolve
 * from REPO/node_modules (as a user's install would provide them); returns the package folder.
 */
export function unpackInto(tarball: string, dir: string): string {
  const pkgDir = join(dir, 'node_modules', 'geode-db');
  mkdirSync(pkgDir, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1']);
  return pkgDir;
}

/** The CLI launcher of a package unpacked by {@link unpackInto} under `dir`. */
export function installedBin(dir: string): string {
  return join(dir, 'node_modules', 'geode-db', 'packages', 'cli', 'bin', 'geode.mjs');
}

/** A process started by {@link startProcess}: its output so far, and a way to wait for a line. */
export interface Started {
  readonly child: ChildProcess;
  /** Everything printed so far on stdout and stderr. */
  readonly output: () => { stdout: string; stderr: string };
  /** Resolves with the first stdout/stderr line matching `pattern`; rejects (with the output) after `timeoutMs` or on exit. */
  readonly waitFor: (pattern: RegExp, timeoutMs: number) => Promise<string>;
  /** SIGTERM, then resolves with the exit code: null when a signal ended it (SIGKILL after `timeoutMs`). */
  readonly stop: (timeoutMs?: number) => Promise<number | null>;
}

/** startProcess: spawns `command args` in `cwd`, collecting its output (nothing inherited). */
export function startProcess(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const l of [...listeners]) l();
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    changed();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    changed();
  });
  // 'close', not 'exit': it comes after the last output has been read.
  const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
  child.once('exit', changed);
  const waitFor = (pattern: RegExp, timeoutMs: number): Promise<string> =>
    new Promise((ok, fail) => {
      const check = (): void => {
        const line = `${stdout}\n${stderr}`.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) {
          cleanup();
          ok(line);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          cleanup();
          fail(new Error(`${command} ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        fail(new Error(`${command} ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  const stop = async (timeoutMs = 10_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { child, output: () => ({ stdout, stderr }), waitFor, stop };
}
