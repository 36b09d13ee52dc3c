/**
 * `npm run demo` runs a relay beside Vite's dev server (demo/vite-plugin-relay.ts): the dev
 * server's `/__geode/relay` endpoint gives the relay's addresses and names one founder per
 * cluster; two peers given those addresses find each other through the relay's directory; the
 * relay stops with the dev server.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodePeer } from '../../src/net/peer-node.ts';
import type { GeodePeer } from '../../src/net/transport.ts';
import type { RelayInfo } from '../../demo/vite-plugin-relay.ts';

const REPO = join(import.meta.dirname, '../..');
const NET = { directoryRefreshMs: 300, reconnectBaseMs: 100, reconnectMaxMs: 1_000 };

let server: ViteDevServer | undefined;
const peers: GeodePeer[] = [];

afterAll(async () => {
  await Promise.all(peers.map((p) => p.close().catch(() => {})));
  await server?.close();
});

async function until(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + 15_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

describe('the demo dev server with its relay', () => {
  it('serves the relay addresses, one founder per cluster; peers find each other through it; the relay stops with the server', async () => {
    server = await createServer({ configFile: join(REPO, 'vite.config.ts'), logLevel: 'silent', server: { port: 0, strictPort: false } });
    await server.listen();
    const base = server.resolvedUrls!.local[0]!;
    const ask = async (cluster: string): Promise<RelayInfo> => {
      const r = await fetch(new URL(`__geode/relay?cluster=${encodeURIComponent(cluster)}`, base));
      expect(r.status).toBe(200);
      return (await r.json()) as RelayInfo;
    };
    const first = await ask('demo-a');
    expect(first.founder).toBe(true);
    expect((await ask('demo-a')).founder).toBe(false);
    expect((await ask('demo-b')).founder).toBe(true);
    expect(first.relays.length).toBeGreaterThan(0);
    for (const a of first.relays) expect(a).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/\w+$/);
    expect((await fetch(new URL('__geode/relay', base))).status).toBe(400);

    const cluster = { clusterId: 'demo-relay-test', secret: 'demo-relay-secret', relays: [...first.relays], ...NET };
    peers.push(await createNodePeer(cluster), await createNodePeer(cluster));
    await until('the two peers to connect through the directory', () => peers[0]!.connected().includes(peers[1]!.self) && peers[1]!.connected().includes(peers[0]!.self));

    const port = Number(/\/tcp\/(\d+)\//.exec(first.relays[0]!)![1]);
    expect(await tcpOpen(port)).toBe(true);
    await server.close();
    server = undefined;
    const end = Date.now() + 10_000;
    while (await tcpOpen(port)) {
      if (Date.now() > end) throw new Error('the relay still listens after the dev server closed');
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 60_000);
});
