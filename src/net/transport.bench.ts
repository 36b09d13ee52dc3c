/**
 * Net throughput: two Node peers on loopback (TCP, noise, yamux), one direction, the sender
 * keeping the send buffer full (`send` until false, then `onDrain`). Prints one JSON line:
 * frames per second for 64 B and 1 KiB frames, MB/s for 64 KiB frames. Run with
 * `npx tsx src/net/transport.bench.ts`. Deterministic work (fixed counts, zero-filled frames).
 */
import { createNodePeer } from './peer-node.ts';
import type { GeodePeer } from './transport.ts';

async function connectedPair(): Promise<[GeodePeer, GeodePeer]> {
  const a = await createNodePeer({ clusterId: 'bench', secret: 'bench' });
  const b = await createNodePeer({ clusterId: 'bench', secret: 'bench' });
  a.addPeer(b.self, b.addrs(), 'node');
  while (a.connected().length === 0 || b.connected().length === 0) await new Promise((r) => setTimeout(r, 10));
  return [a, b];
}

/** Sends `count` frames of `size` bytes from a to b; returns the elapsed ms until b received them all. */
async function run(a: GeodePeer, b: GeodePeer, received: { n: number; target: number; done: () => void }, size: number, count: number): Promise<number> {
  const frame = new Uint8Array(size);
  received.n = 0;
  received.target = count;
  const finished = new Promise<void>((resolve) => (received.done = resolve));
  let sent = 0;
  const pump = (): void => {
    while (sent < count && a.send(b.self, frame)) sent++;
  };
  const t0 = performance.now();
  pump();
  const timer = setInterval(pump, 1);
  drainPump = pump;
  await finished;
  clearInterval(timer);
  return performance.now() - t0;
}

let drainPump: () => void = () => undefined;

const [a, b] = await connectedPair();
const received = { n: 0, target: 0, done: (): void => undefined };
b.onFrame(() => {
  if (++received.n === received.target) received.done();
});
a.onDrain(() => drainPump());
await run(a, b, received, 1024, 20_000); // warm-up
const small = 200_000 / ((await run(a, b, received, 64, 200_000)) / 1000);
const kib = 100_000 / ((await run(a, b, received, 1024, 100_000)) / 1000);
const bigMs = await run(a, b, received, 64 * 1024, 4_000);
await a.close();
await b.close();
console.log(
  JSON.stringify({
    frames_64b_per_s: Math.round(small),
    frames_1kib_per_s: Math.round(kib),
    throughput_64kib_mb_per_s: Math.round((4_000 * 64 * 1024) / 1e6 / (bigMs / 1000)),
  }),
);
