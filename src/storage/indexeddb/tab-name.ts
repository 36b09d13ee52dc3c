/**
 * A peer database name per browser tab: every tab is its own peer with its own database (see
 * DESIGN.md), and a reload of a tab must find its database again.
 */
import { GeodeError } from '../../util/errors.ts';
import { sessionKeySuffix, tabNameAttemptsMax } from './constants.ts';
import { isHeldHere, isLockHeld, lockNameOf, waitUntilFree } from './web-lock.ts';

/**
 * reloadReleaseWaitMs: how long a remembered name's lock may stay held before the tab is taken
 * for a duplicate. On reload the old page lets go of its locks while the new one starts; a
 * duplicated tab's original keeps holding it.
 */
export const reloadReleaseWaitMs = 1_000;

function randomSuffix(): string {
  const bytes = new Uint8Array(8);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function sessionStore(): Storage {
  const s = (globalThis as { sessionStorage?: Storage }).sessionStorage;
  if (s === undefined) {
    throw new GeodeError('IO', 'tabPeerDatabaseName needs sessionStorage (a browser page); pass a database name instead');
  }
  return s;
}

/**
 * tabPeerDatabaseName: the IndexedDB database name of this tab's peer, `<prefix>-peer-<random>`.
 * Kept in sessionStorage, so it survives a reload and is per tab. A duplicated tab copies its
 * original's sessionStorage: when the remembered name's lock is still held after
 * {@link reloadReleaseWaitMs}, another live tab owns that database and a fresh name is chosen
 * (and remembered). While this page itself holds the database open, its name is returned at once. Two tabs racing for one fresh name are told apart by `open()`, which refuses
 * the second with IO.
 */
export async function tabPeerDatabaseName(prefix = 'geode'): Promise<string> {
  if (prefix.length === 0) throw new GeodeError('CONFIG_INVALID', 'tabPeerDatabaseName: prefix must not be empty');
  const storage = sessionStore();
  const key = prefix + sessionKeySuffix;
  const remembered = storage.getItem(key);
  if (remembered !== null) {
    const lockName = lockNameOf(remembered);
    // This page holds it (its database is open here): still this tab's name.
    if (isHeldHere(lockName)) return remembered;
    if (await waitUntilFree(lockName, reloadReleaseWaitMs)) return remembered;
  }
  for (let attempt = 0; attempt < tabNameAttemptsMax; attempt++) {
    const name = `${prefix}-peer-${randomSuffix()}`;
    if (await isLockHeld(lockNameOf(name))) continue;
    storage.setItem(key, name);
    return name;
  }
  throw new GeodeError('IO', `tabPeerDatabaseName: no free database name found after ${tabNameAttemptsMax} attempts`);
}
