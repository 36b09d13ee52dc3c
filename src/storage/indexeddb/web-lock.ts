/**
 * Exclusive ownership of a peer database across tabs, through the Web Locks API: a lock named
 * after the database is held from `open` until `close`, so a second tab (or a second open in the
 * same tab) is refused instead of interleaving writes with the first.
 *
 * Where `navigator.locks` does not exist (Node with fake-indexeddb, very old browsers) ownership
 * falls back to a set kept in this JavaScript realm, which still refuses a second open in the same
 * page but cannot see other tabs; the caller is warned.
 */
import { lockNamePrefix } from './constants.ts';

/** HeldLock: an exclusive lock; `release` is idempotent. */
export interface HeldLock {
  release(): void;
}

/** lockNameOf: the Web Lock name guarding database `dbName`. */
export function lockNameOf(dbName: string): string {
  return lockNamePrefix + dbName;
}

/** The Web Locks manager of this realm, or undefined where the API is missing. */
export function webLocks(): LockManager | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManager } }).navigator;
  return nav?.locks;
}

/** Lock names held through the fallback (no Web Locks API), in this realm only. */
const realmHeld = new Set<string>();

/** Lock names this realm holds through {@link tryLock} (Web Locks or fallback). */
const heldHere = new Set<string>();

/** isHeldHere: true when this page (realm) holds lock `name` through {@link tryLock}. */
export function isHeldHere(name: string): boolean {
  return heldHere.has(name);
}

/** Marks `lock` (named `name`) held here until it is released. */
function trackHere(name: string, lock: HeldLock | undefined): HeldLock | undefined {
  if (lock === undefined) return undefined;
  heldHere.add(name);
  let held = true;
  return {
    release() {
      if (held) heldHere.delete(name);
      held = false;
      lock.release();
    },
  };
}

function realmLock(name: string): HeldLock | undefined {
  if (realmHeld.has(name)) return undefined;
  realmHeld.add(name);
  let held = true;
  return {
    release() {
      if (held) realmHeld.delete(name);
      held = false;
    },
  };
}

function isAbort(err: unknown): boolean {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  return name === 'AbortError' || name === 'TimeoutError';
}

/**
 * tryLock: takes the exclusive lock `name`. With `waitMs` 0 it is taken only if free at once
 * (`ifAvailable`); otherwise it waits up to `waitMs` for the holder to let go (a reloading page
 * releases its locks while the new page starts). Resolves undefined when it stays held.
 * `onFallback` is called when there is no Web Locks API and a realm-local lock is used instead.
 */
export function tryLock(name: string, waitMs: number, onFallback: () => void): Promise<HeldLock | undefined> {
  const locks = webLocks();
  if (locks === undefined) {
    onFallback();
    return Promise.resolve(trackHere(name, realmLock(name)));
  }
  const taken = new Promise<HeldLock | undefined>((resolve, reject) => {
    let release: () => void = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const granted = (lock: Lock | null): Promise<void> | undefined => {
      if (lock === null) {
        resolve(undefined);
        return undefined;
      }
      resolve({ release });
      // Held until this promise settles, i.e. until release() is called.
      return released;
    };
    const request =
      waitMs <= 0
        ? locks.request(name, { mode: 'exclusive', ifAvailable: true }, granted)
        : locks.request(name, { mode: 'exclusive', signal: AbortSignal.timeout(waitMs) }, granted);
    request.catch((err: unknown) => {
      if (isAbort(err)) resolve(undefined);
      else reject(err instanceof Error ? err : new Error(String(err)));
    });
  });
  return taken.then((lock) => trackHere(name, lock));
}

/** isLockHeld: true when some context (tab, worker) of this origin holds lock `name` now. */
export async function isLockHeld(name: string): Promise<boolean> {
  const locks = webLocks();
  if (locks === undefined) return realmHeld.has(name);
  const snapshot = await locks.query();
  return (snapshot.held ?? []).some((l) => l.name === name);
}

/**
 * waitUntilFree: resolves true once lock `name` is free (taking and at once dropping it), or
 * false after `waitMs`. Used to tell a reload (the old page is letting go) from a live holder.
 */
export async function waitUntilFree(name: string, waitMs: number): Promise<boolean> {
  const locks = webLocks();
  if (locks === undefined) return !realmHeld.has(name);
  try {
    await locks.request(name, { mode: 'exclusive', signal: AbortSignal.timeout(waitMs) }, () => undefined);
    return true;
  } catch (err) {
    if (isAbort(err)) return false;
    throw err;
  }
}
