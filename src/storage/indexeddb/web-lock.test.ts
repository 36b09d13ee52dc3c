/** Single ownership through locks, as `open()` uses them (in Node: Web Locks if present, else the realm fallback). */
import { describe, expect, it } from 'vitest';
import { isHeldHere, lockNameOf, tryLock } from './web-lock.ts';

describe('database locks', () => {
  it('grants a lock to one owner at a time and again after release', async () => {
    const name = lockNameOf(`lock-test-${Math.random()}`);
    const first = await tryLock(name, 0, () => {});
    expect(first).toBeDefined();
    expect(isHeldHere(name)).toBe(true);
    expect(await tryLock(name, 0, () => {})).toBeUndefined();
    first!.release();
    first!.release(); // idempotent
    expect(isHeldHere(name)).toBe(false);
    const again = await tryLock(name, 0, () => {});
    expect(again).toBeDefined();
    again!.release();
  });
});
