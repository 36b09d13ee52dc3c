/**
 * Helpers of the cluster tests that run their peers in this process (`openGeode({ cluster })` over
 * loopback): waiting for a condition, and an idempotent write retried across leader changes.
 */
import { createRelay, openGeode, type Geode, type Relay } from '../../src/node.ts';

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

/** A relay and three peers of one cluster in this process: the first founds it, all three are voters. */
export interface ThreePeers {
  readonly relay: Relay;
  /** The relay's first address (what the peers joined through). */
  readonly relays: string[];
  readonly peers: Geode[];
  /** close: every peer still open, then the relay. */
  close(): Promise<void>;
}

/** startThreePeers: the relay, the founder (waited to lead), two more peers, waited to be voters. */
export async function startThreePeers(cluster: { readonly id: string; readonly secret: string }): Promise<ThreePeers> {
  const relay = await createRelay();
  const relays = [relay.addrs()[0]!];
  const peers: Geode[] = [await openGeode({ cluster: { ...cluster, relays, bootstrap: true } })];
  await until('a leader', () => peers[0]!.cluster!.isLeader());
  for (let i = 0; i < 2; i++) peers.push(await openGeode({ cluster: { ...cluster, relays } }));
  await until('three voters', () => peers[0]!.cluster!.status().filter((r) => r.role === 'voter').length === 3);
  return {
    relay,
    relays,
    peers,
    close: async () => {
      await Promise.all(peers.map((p) => p.close().catch(() => {})));
      await relay.close();
    },
  };
}
