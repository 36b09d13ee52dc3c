/**
 * Tabs as peers, in real Chromium: a Node relay, one Node peer and two pages (each its own browser
 * context, like two users) join one cluster through the relay's directory. The pages connect to
 * each other over WebRTC (the relay only carries the signalling) and to the Node peer over
 * WebSockets; frames go both ways, in order. Needs Chromium (see e2e/browser-harness.ts).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePeer } from '../src/net/peer-node.ts';
import { createRelay, type Relay } from '../src/net/relay.ts';
import type { GeodePeer } from '../src/net/transport.ts';
import type { PeerId } from '../src/net/types.ts';
import type { NetTest } from './pages/net-peer.ts';
import { REPO, startBrowserHarness, type BrowserHarness, callPage, waitUntil } from './browser-harness.ts';

const PAGES = { 'net-peer': join(REPO, 'e2e/pages/net-peer.ts') };
const CLUSTER = { clusterId: 'e2e-cluster', secret: 'e2e-secret' };
const WAIT_MS = 20_000;

let harness: BrowserHarness | undefined;
let relay: Relay | undefined;
let nodePeer: GeodePeer | undefined;
let setupError: unknown;
const nodeGot = new Map<string, number[]>();

beforeAll(async () => {
  try {
    relay = await createRelay();
    nodePeer = await createNodePeer({ ...CLUSTER, relays: [relay.addrs()[0]!], directoryRefreshMs: 300, reconnectBaseMs: 100, reconnectMaxMs: 1_000, keepaliveMs: 300, idleTimeoutMs: 1_500 });
    nodePeer.onFrame((from, frame) => {
      const list = nodeGot.get(from) ?? [];
      list.push(new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0));
      nodeGot.set(from, list);
    });
    harness = await startBrowserHarness(PAGES);
  } catch (err) {
    setupError = err;
  }
}, 90_000);

afterAll(async () => {
  await harness?.close();
  await nodePeer?.close();
  await relay?.close();
});

function ready(): { h: BrowserHarness; r: Relay; n: GeodePeer } {
  if (setupError !== undefined) throw setupError;
  if (harness === undefined || relay === undefined || nodePeer === undefined) throw new Error('setup did not finish');
  return { h: harness, r: relay, n: nodePeer };
}

const until = (what: string, cond: () => Promise<boolean> | boolean): Promise<void> => waitUntil(what, cond, WAIT_MS);

function call<K extends keyof NetTest & string>(page: Page, name: K, ...args: Parameters<NetTest[K]>): Promise<Awaited<ReturnType<NetTest[K]>>> {
  return callPage<NetTest, K>(page, 'netTest', name, ...(args as never)) as Promise<Awaited<ReturnType<NetTest[K]>>>;
}

describe('net in Chromium: tabs over WebRTC, a Node peer over WebSockets, one relay', () => {
  it('bundles the browser peer without any Node built-in module', () => {
    const { h } = ready();
    expect(h.built.builtinImports, h.built.builtinImports.join('\n')).toEqual([]);
  });

  it('two pages and a Node peer form a full mesh and exchange frames in order, tab to tab over WebRTC', async () => {
    const { h, r, n } = ready();
    const wsRelay = r.addrs().find((a) => a.includes('/ws'))!;
    const pages = [await h.openPage('net-peer'), await h.openPage('net-peer')];
    const ids = [] as string[];
    for (const p of pages) ids.push(await call(p, 'start', wsRelay, CLUSTER.clusterId, CLUSTER.secret));
    const [a, b] = pages as [Page, Page];
    const [idA, idB] = ids as [string, string];

    await until('full mesh', async () => {
      const ca = await call(a, 'connected');
      const cb = await call(b, 'connected');
      return ca.length === 2 && cb.length === 2 && n.connected().length === 2;
    });
    // Tab to tab: a direct WebRTC connection (not the relayed one, which carries signalling only).
    const addrAB = (await call(a, 'peerAddr', idB)) ?? '';
    expect(addrAB).toContain('/webrtc');
    // Tab to Node peer: WebSockets.
    expect((await call(a, 'peerAddr', n.self)) ?? '').toContain('/ws');

    expect(await call(a, 'sendRange', idB, 0, 300)).toBe(300);
    expect(await call(b, 'sendRange', idA, 1000, 1300)).toBe(300);
    expect(await call(a, 'sendRange', n.self, 0, 100)).toBe(100);
    for (const id of ids) {
      let i = 0;
      while (i < 100 && n.send(id as PeerId, Uint8Array.of(0, 0, 0x07, i))) i++;
      expect(i).toBe(100);
    }
    await until('frames delivered', async () => {
      const ra = await call(a, 'received');
      const rb = await call(b, 'received');
      return (rb[idA]?.length ?? 0) === 300 && (ra[idB]?.length ?? 0) === 300 && (nodeGot.get(idA)?.length ?? 0) === 100 && (ra[n.self]?.length ?? 0) === 100;
    });
    const ra = await call(a, 'received');
    const rb = await call(b, 'received');
    expect(rb[idA]).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(ra[idB]).toEqual(Array.from({ length: 300 }, (_, i) => 1000 + i));
    expect(nodeGot.get(idA)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(ra[n.self]).toEqual(Array.from({ length: 100 }, (_, i) => 0x0700 + i));

    // Presence: every peer sees three states, the Node peer as `node`, the pages as `tab`.
    await until('presence', async () => (await call(b, 'presence')).length === 3);
    const kinds = Object.fromEntries((await call(b, 'presence')).map((s) => [s.id, s.kind]));
    expect(kinds).toEqual({ [idA]: 'tab', [idB]: 'tab', [n.self]: 'node' });

    // Closing a page (no goodbye: its peer is not stopped) drops it from the others within the idle timeout.
    await a.close();
    await until('page a gone from node', async () => !n.connected().includes(idA as PeerId));
    await until('page a gone from b', async () => !(await call(b, 'connected')).includes(idA));
    expect(h.problems).toEqual([]);
  });
});
