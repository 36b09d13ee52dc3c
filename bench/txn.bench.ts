/**
 * Distributed transaction benchmark: three shard hosts in this process, each a real Node libp2p
 * peer (TCP through a local relay, Noise, yamux: the real transport), memory log stores, running
 * two participant groups (1, 2) and the transaction-record group (3), three voters each. Raft
 * traffic goes over the real transport; the coordinator's requests reach each group's leader in
 * process (LocalTxnTransport: the cluster wiring that carries them between processes is not built
 * yet, so this is NOT the 3-process setup the issue asks for).
 *
 * 1. Single-shard read-write transactions (read a key of group 1, write it back + 1) and
 *    two-shard ones (read a key of each group, write both), each at concurrency 1 (latency) and
 *    16 (throughput), on keys private to each worker (no conflicts), for `--ms` each (default 3,000).
 * 2. Contention: 16 workers doing transfers between 4 hot keys on the two groups, one attempt per
 *    transaction (no retry): the abort rate is aborted attempts / attempts.
 *
 * Progress goes to stderr; the LAST stdout line is one JSON object.
 *
 *   npx tsx bench/txn.bench.ts [--ms 3000]
 */
import '../src/util/polyfills.ts';
import { createNodePeer, createRelay } from '../src/net/node.ts';
import { ShardHost } from '../src/shard/host.ts';
import { systemClock } from '../src/shard/clock.ts';
import { MemoryLogStore } from '../src/storage/memory.ts';
import { LocalTxnTransport } from '../src/txn/local-transport.ts';
import { IntentResolver } from '../src/txn/resolver.ts';
import { retryableTxnError, TxnCoordinator, type DistributedTransaction } from '../src/txn/two-phase.ts';

const GROUPS = [1, 2];
const RECORD = 3;
const CLUSTER = 'bench-txn';
const SECRET = 'bench-txn-secret';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}
const MS = arg('ms', 3_000);
const log = (m: string): void => void process.stderr.write(`${m}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const quantile = (sorted: readonly number[], q: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const relay = await createRelay();
const relays = [relay.addrs()[0]!];
const hosts: ShardHost[] = [];
const config = { replication: { factor: 3 } };
for (let i = 0; i < 3; i++) {
  const peer = await createNodePeer({ clusterId: CLUSTER, secret: SECRET, relays });
  const host = await ShardHost.start({ transport: peer, clock: systemClock, random: Math.random, logStore: () => new MemoryLogStore() }, { bootstrap: i === 0, config, groups: [...GROUPS, RECORD] });
  hosts.push(host);
  if (i === 0) await until('a leader', () => [...GROUPS, RECORD].every((g) => host.isLeader(g)));
}
await until('three voters in every group', () => [...GROUPS, RECORD].every((g) => hosts.some((h) => h.isLeader(g) && h.raftStatus(g).conf.voters.length === 3)));
log('three hosts, three voters per group');

const transport = new LocalTxnTransport({ hosts: () => hosts, context: () => ({ now: Date.now }), now: Date.now, sleep });
const resolvers = hosts.map((host) => {
  const r = new IntentResolver({
    host,
    groups: GROUPS,
    recordGroup: RECORD,
    transport,
    now: Date.now,
    after: (ms, fn) => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    },
  });
  r.start();
  return r;
});
const coord = new TxnCoordinator({
  transport,
  recordGroup: RECORD,
  groupOfKey: (key) => (key.startsWith('a:') ? 1 : 2),
  now: Date.now,
  sleep,
  random: Math.random,
  name: 'bench',
});

/** Runs `workers` loops of `body` (a retried transaction) for `ms`; latencies of committed ones. */
async function measure(workers: number, ms: number, body: (tx: DistributedTransaction, worker: number) => Promise<void>): Promise<{ txns_per_s: number; p50_ms: number; p99_ms: number }> {
  const lat: number[] = [];
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (Date.now() < end) {
        const t0 = performance.now();
        await coord.run((tx) => body(tx, w), { retries: 10 });
        lat.push(performance.now() - t0);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { txns_per_s: round(lat.length / (ms / 1000), 1), p50_ms: round(quantile(lat, 0.5)), p99_ms: round(quantile(lat, 0.99)) };
}

const single = async (tx: DistributedTransaction, w: number): Promise<void> => {
  const k = `a:w${w}`;
  tx.write(k, (((await tx.read(k)) as number | undefined) ?? 0) + 1);
};
const two = async (tx: DistributedTransaction, w: number): Promise<void> => {
  const [a, b] = [`a:w${w}`, `b:w${w}`];
  const [x, y] = [(await tx.read(a)) as number | undefined, (await tx.read(b)) as number | undefined];
  tx.write(a, (x ?? 0) + 1);
  tx.write(b, (y ?? 0) + 1);
};

log('warm-up');
await measure(4, 1_000, two);
const out: Record<string, unknown> = {};
for (const [name, body] of [['single_shard', single], ['two_shard', two]] as const) {
  for (const c of [1, 16]) {
    log(`${name} c${c}`);
    const r = await measure(c, MS, body);
    out[`${name}_c${c}_txns_per_s`] = r.txns_per_s;
    out[`${name}_c${c}_p50_ms`] = r.p50_ms;
    out[`${name}_c${c}_p99_ms`] = r.p99_ms;
  }
}
out['two_over_single_p50_c1'] = round((out['two_shard_c1_p50_ms'] as number) / (out['single_shard_c1_p50_ms'] as number));

log('contended transfers');
const hot = ['a:h0', 'a:h1', 'b:h0', 'b:h1'];
await coord.run(async (tx) => hot.forEach((k) => tx.write(k, 1_000)));
let attempts = 0;
let aborts = 0;
let committed = 0;
const end = Date.now() + MS;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (Date.now() < end) {
      attempts++;
      try {
        const tx = await coord.begin();
        const i = Math.floor(Math.random() * 4);
        const j = (i + 1 + Math.floor(Math.random() * 3)) % 4;
        const [x, y] = [(await tx.read(hot[i]!)) as number, (await tx.read(hot[j]!)) as number];
        tx.write(hot[i]!, x - 1);
        tx.write(hot[j]!, y + 1);
        await tx.commit();
        committed++;
      } catch (err) {
        if (!retryableTxnError(err)) throw err;
        aborts++;
        await sleep(Math.random() * 4);
      }
    }
  }),
);
const total = await coord.run(async (tx) => {
  let s = 0;
  for (const k of hot) s += (await tx.read(k)) as number;
  return s;
});
Object.assign(out, {
  contended_attempts: attempts,
  contended_abort_rate: round(aborts / attempts, 3),
  contended_committed_per_s: round(committed / (MS / 1000), 1),
  contended_total_kept: total === 4_000,
  setup: '3 ShardHosts in one process over real libp2p TCP (relay), memory log stores, groups 1-2 participants + 3 record; coordinator requests to leaders in process (not 3 processes: the cluster wiring of txn requests is not built)',
});
for (const r of resolvers) r.stop();
for (const h of hosts) await h.close();
await relay.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
