/**
 * Test page: a tab's Geode peer (src/net/peer-browser.ts). Exposes `window.netTest` for the
 * Playwright test (e2e/net-webrtc.test.ts) and sets `data-ready` at once; `start` joins a cluster
 * through a relay. Frames are 4-byte big-endian counters so the test can check their order.
 */
import { createBrowserPeer } from '../../src/net/peer-browser.ts';
import type { GeodePeer } from '../../src/net/transport.ts';
import type { PeerId } from '../../src/net/types.ts';

/** What the test drives. Values are JSON-safe. */
export interface NetTest {
  start(relay: string, clusterId: string, secret: string): Promise<string>;
  connected(): string[];
  /** The remote multiaddr of the connection to `peer` (contains `/webrtc` for a direct tab-to-tab link). */
  peerAddr(peer: string): string | undefined;
  /** Sends counters `from..to-1` to `peer`; returns how many were queued. */
  sendRange(peer: string, from: number, to: number): number;
  /** The counters received from each peer, in arrival order. */
  received(): Record<string, number[]>;
  presence(): Array<{ id: string; kind: string; visible: boolean }>;
  stats(): Record<string, number>;
  stop(): Promise<void>;
}

let peer: GeodePeer | undefined;
const got: Record<string, number[]> = {};

function need(): GeodePeer {
  if (peer === undefined) throw new Error('netTest.start was not called');
  return peer;
}

const api: NetTest = {
  async start(relay, clusterId, secret) {
    peer = await createBrowserPeer({ clusterId, secret, relays: [relay], directoryRefreshMs: 300, dialDeferMs: 200, reconnectBaseMs: 100, reconnectMaxMs: 1_000, keepaliveMs: 300, idleTimeoutMs: 1_500 });
    peer.onFrame((from, frame) => {
      (got[from] ??= []).push(new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0));
    });
    return peer.self;
  },
  connected: () => [...need().connected()],
  peerAddr: (p) => need().peerAddr(p as PeerId),
  sendRange(p, from, to) {
    let n = 0;
    for (let i = from; i < to; i++) {
      const f = new Uint8Array(4);
      new DataView(f.buffer).setUint32(0, i);
      if (need().send(p as PeerId, f)) n++;
    }
    return n;
  },
  received: () => got,
  presence: () => need().presence().map((s) => ({ id: s.id, kind: s.kind, visible: s.visible })),
  stats: () => ({ ...need().stats() }),
  async stop() {
    await peer?.close();
  },
};

(window as unknown as { netTest: NetTest }).netTest = api;
document.documentElement.dataset['ready'] = 'true';
