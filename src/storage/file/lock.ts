/**
 * The data directory lock: `LOCK` is created exclusively (O_EXCL) and holds `<pid>\n<hostname>\n`
 * of its owner. A lock whose pid is alive on this host (or that names another host, which cannot
 * be checked) refuses the directory; a lock whose pid is dead on this host, or that is empty or
 * unreadable (its owner died while writing it), is taken over with a warning.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { GeodeError } from '../../util/errors.ts';
import { lockFileBytesMax, lockFileName } from './constants.ts';
import { errnoOf, type FileStoreIo } from './io.ts';

/** A held lock; `release` removes the lock file. */
export interface DirectoryLock {
  readonly path: string;
  release(): Promise<void>;
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
}

function parseOwner(bytes: Uint8Array): LockOwner | undefined {
  if (bytes.length === 0 || bytes.length > lockFileBytesMax) return undefined;
  const [pidText, host] = new TextDecoder().decode(bytes).split('\n');
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0 || host === undefined || host === '') return undefined;
  return { pid, host };
}

/** processAlive: whether `pid` names a live process on this host (EPERM: alive, not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoOf(err) === 'EPERM';
  }
}

async function tryCreate(io: FileStoreIo, path: string): Promise<boolean> {
  let handle;
  try {
    handle = await io.open(path, 'createNew');
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.write(new TextEncoder().encode(`${process.pid}\n${hostname()}\n`), 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

function inUse(dir: string, path: string, owner: LockOwner): GeodeError {
  const where = owner.host === hostname() ? '' : ` on host ${owner.host}`;
  return new GeodeError('IO', `data directory ${dir} is in use by process ${owner.pid}${where} (lock file ${path})`, { source: path });
}

/**
 * acquireDirectoryLock: takes `dir/LOCK` or throws GeodeError('IO', 'data directory <dir> is in
 * use by process <pid>'). A stale lock is replaced (once: if another process takes it between our
 * removal and our creation, that process wins).
 */
export async function acquireDirectoryLock(io: FileStoreIo, dir: string, warn: (message: string) => void): Promise<DirectoryLock> {
  const path = join(dir, lockFileName);
  const lock: DirectoryLock = { path, release: () => io.unlink(path) };
  if (await tryCreate(io, path)) return lock;
  let bytes: Uint8Array;
  try {
    bytes = await io.readFile(path);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
    bytes = new Uint8Array(0);
  }
  const owner = parseOwner(bytes);
  if (owner !== undefined && (owner.host !== hostname() || owner.pid === process.pid || processAlive(owner.pid))) {
    throw inUse(dir, path, owner);
  }
  const was = owner === undefined ? 'an unreadable lock' : `the lock of process ${owner.pid}, which is not running`;
  warn(`${path}: took over ${was}`);
  try {
    await io.unlink(path);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
  if (await tryCreate(io, path)) return lock;
  const now = parseOwner(await io.readFile(path).catch(() => new Uint8Array(0)));
  throw inUse(dir, path, now ?? { pid: 0, host: hostname() });
}
