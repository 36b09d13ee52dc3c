/**
 * Helpers of the cluster tests that run their peers in this process (`openGeode({ cluster })` over
 * loopback): waiting for a condition, and an idempotent write retried across leader changes.
 */
import type { Geode } from '../../src/node.ts';

/** Longest wait for a cluster to reach a state (a liveness bound: generous on a busy machine). */
export const WAIT_MS = 20_000;

/** until: resolves once `cond()` holds (polled every 25 ms); throws after `ms`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** write: an idempotent write retried until acknowledged (a leader change in between fails it). */
export async function write(db: Geode, text: string, params: Record<string, unknown>, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await db.query(text, params);
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
