/**
 * Helpers of the federation tests: free loopback ports and peer keys decided before any peer
 * starts, so every cluster's configuration can name the others' addresses.
 */
import { createServer } from 'node:net';
import { generatePeerKey, peerIdOfKey } from '../../src/net/index.ts';

/** freePort: a TCP port free on loopback now. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** A peer's identity and TCP address, fixed in advance. */
export interface PlannedPeer {
  readonly key: Uint8Array;
  readonly id: string;
  readonly port: number;
  /** `/ip4/127.0.0.1/tcp/<port>/p2p/<id>`. */
  readonly addr: string;
}

export async function planPeer(): Promise<PlannedPeer> {
  const key = await generatePeerKey();
  const id = peerIdOfKey(key);
  const port = await freePort();
  return { key, id, port, addr: `/ip4/127.0.0.1/tcp/${port}/p2p/${id}` };
}

/** The visible graph independent of local ids: nodes by `k`, edges by their ends' `k`. */
export const VIEW_NODES = 'MATCH (n) RETURN n.k AS k, labels(n) AS labels, properties(n) AS props ORDER BY k';
export const VIEW_EDGES = 'MATCH (a)-[r]->(b) RETURN a.k AS a, type(r) AS type, properties(r) AS props, b.k AS b ORDER BY a, type, b';

/** canonical: rows as a sorted JSON text (labels sorted, bigints as text). */
export function canonical(rows: readonly Record<string, unknown>[]): string {
  return rows
    .map((r) => JSON.stringify(r, (k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : k === 'labels' && Array.isArray(v) ? [...(v as string[])].sort() : v)))
    .sort()
    .join('\n');
}
