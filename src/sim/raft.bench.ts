/**
 * `npm run bench:raft`: prints ONE JSON line (its last line) with
 *
 * - `proposals_per_s`: committed proposals per second (wall clock) for a 3-node group with
 *   in-memory storage and an in-memory network, 64-byte commands, proposals batched per round;
 * - `failover_p50_ms` / `failover_p99_ms` / `failover_max_ms`: leader failover time in virtual ms
 *   over 1,000 crashed leaders of a 3-node group, with the seed's timeouts (election 150–300 ms,
 *   heartbeat 50 ms) and the default host tick of 10 ms, messages taking 0–5 ms: from the crash to
 *   the moment a new leader has committed an entry of its term; `failover_tick1_*` repeats it with
 *   a 1 ms tick and 0–1 ms messages, for comparison.
 *
 * Seeded, so two runs measure the same work.
 */

import { decodeConfChange, MemoryStorage, RawNode } from '../raft/index.ts';
import type { LogIndex, Message, NodeId, Ready } from '../raft/index.ts';
import { Scheduler } from './clock.ts';
import { SimNetwork } from './network.ts';
import { Prng } from './prng.ts';

const voters = [1, 2, 3] as NodeId[];
/** The seed's timeouts, spelled out: the failover figures are measured with exactly these. */
const electionTimeoutMs: [number, number] = [150, 300];
const heartbeatMs = 50;
const tickMsDefault = 10;

// ---------------------------------------------------------------------------------------------
// Throughput
// ---------------------------------------------------------------------------------------------

interface BenchPeer {
  node: RawNode;
  storage: MemoryStorage;
  applied: number;
}

function handle(p: BenchPeer, out: Message[]): number {
  const rd: Ready = p.node.ready();
  if (rd.snapshot !== undefined) p.storage.applySnapshot(rd.snapshot);
  if (rd.entries.length > 0) p.storage.append(rd.entries);
  if (rd.hardState !== undefined) p.storage.setHardState(rd.hardState);
  for (const m of rd.messages) out.push(m);
  let n = 0;
  for (const e of rd.committedEntries) {
    if (e.type === 'confChange') p.node.applyConfChange(decodeConfChange(e.data));
    else if (e.data.length > 0) n++;
  }
  p.applied += n;
  p.node.advance(rd);
  return n;
}

function throughput(seconds: number, batch: number): { proposalsPerS: number; committed: number } {
  const rng = new Prng(42);
  const peers = new Map<NodeId, BenchPeer>();
  for (const id of voters) {
    const storage = new MemoryStorage({ voters, learners: [] });
    const node = new RawNode({ id, random: rng.fork().fn(), max_entries_per_request: 1000, max_inflight_msgs: 256 }, storage);
    peers.set(id, { node, storage, applied: 0 });
  }
  const leader = peers.get(1 as NodeId)!;
  let queue: Message[] = [];
  const pump = (): number => {
    let committed = 0;
    for (;;) {
      let moved = false;
      for (const p of peers.values()) {
        if (p.node.hasReady()) {
          committed += handle(p, queue);
          moved = true;
        }
      }
      if (queue.length > 0) {
        const q = queue;
        queue = [];
        for (const m of q) peers.get(m.to)!.node.step(m);
        moved = true;
      }
      if (!moved) return committed;
    }
  };
  pump(); // apply the bootstrap entries
  leader.node.campaign();
  pump();
  if (!leader.node.isLeader()) throw new Error(`bench: node 1 did not become leader: ${JSON.stringify(leader.node.status().softState)} term ${leader.node.raft.term}`);
  const cmd = new Uint8Array(64);
  for (let i = 0; i < 64; i++) cmd[i] = 97 + (i % 26);
  let committed = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let rounds = 0;
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) leader.node.propose(cmd);
    pump();
    committed = leader.applied;
    // Compact every so often, as a host would (snapshot of the applied state, here empty).
    if (++rounds % 50 === 0) {
      for (const p of peers.values()) {
        const applied = p.node.raft.log.applied;
        if (applied - p.storage.firstIndex() > 20_000) {
          p.storage.createSnapshot((applied - 1000) as LogIndex, { voters, learners: [] }, new Uint8Array(0));
          p.storage.compact((applied - 1000) as LogIndex);
        }
      }
    }
  }
  const elapsed = (performance.now() - t0) / 1000;
  return { proposalsPerS: Math.round(committed / elapsed), committed };
}

// ---------------------------------------------------------------------------------------------
// Failover
// ---------------------------------------------------------------------------------------------

interface FoPeer {
  id: NodeId;
  node: RawNode | undefined;
  storage: MemoryStorage;
  epoch: number;
  queued: boolean;
}

function failover(crashes: number, seed: number, tickMs: number, delayMaxMs: number): number[] {
  const rng = new Prng(seed);
  const sched = new Scheduler();
  const peers: FoPeer[] = [];
  const net = new SimNetwork<Message>(sched, rng.fork(), { dropRate: 0, duplicateRate: 0, delayMinMs: 0, delayMaxMs }, (_from, to, m) => {
    const p = peers[to - 1]!;
    if (p.node === undefined) return;
    p.node.step(m);
    schedule(p);
  });
  let crashedAt: number | undefined;
  const samples: number[] = [];
  const schedule = (p: FoPeer): void => {
    if (p.queued) return;
    p.queued = true;
    sched.after(0, () => {
      p.queued = false;
      const node = p.node;
      if (node === undefined || !node.hasReady()) return;
      const rd = node.ready();
      if (rd.snapshot !== undefined) p.storage.applySnapshot(rd.snapshot);
      p.storage.append(rd.entries);
      if (rd.hardState !== undefined) p.storage.setHardState(rd.hardState);
      for (const m of rd.messages) net.send(m.from, m.to, m);
      for (const e of rd.committedEntries) if (e.type === 'confChange') node.applyConfChange(decodeConfChange(e.data));
      node.advance(rd);
      const r = node.raft;
      if (crashedAt !== undefined && r.state === 'leader' && r.log.term(r.log.committed) === r.term) {
        samples.push(sched.now - crashedAt);
        crashedAt = undefined;
      }
    });
  };
  const start = (p: FoPeer): void => {
    p.node = new RawNode({ id: p.id, random: rng.fork().fn(), election_timeout_ms: electionTimeoutMs, heartbeat_ms: heartbeatMs, tick_ms: tickMs }, p.storage);
    const epoch = ++p.epoch;
    const tick = (): void => {
      if (p.epoch !== epoch || p.node === undefined) return;
      p.node.tick();
      schedule(p);
      sched.after(tickMs, tick);
    };
    sched.after(rng.float(0, tickMs), tick);
  };
  for (const id of voters) {
    const p: FoPeer = { id, node: undefined, storage: new MemoryStorage({ voters, learners: [] }), epoch: 0, queued: false };
    peers.push(p);
    start(p);
  }
  const leader = (): FoPeer | undefined => peers.find((p) => p.node !== undefined && p.node.raft.state === 'leader' && p.node.raft.log.term(p.node.raft.log.committed) === p.node.raft.term);
  sched.runUntil(2000);
  for (let i = 0; i < crashes; i++) {
    // Let the group settle, then crash the leader at a random point of its heartbeat cycle.
    sched.runUntil(sched.now + rng.int(300, 600));
    const l = leader();
    if (l === undefined) {
      sched.runUntil(sched.now + 1000);
      i--;
      continue;
    }
    l.node = undefined;
    l.epoch++;
    crashedAt = sched.now;
    sched.runUntil(sched.now + 10_000, () => crashedAt === undefined);
    if (crashedAt !== undefined) {
      samples.push(sched.now - crashedAt);
      crashedAt = undefined;
    }
    // The crashed node restarts from its storage (everything was persisted) and rejoins.
    start(l);
  }
  return samples;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}

function main(): void {
  const seconds = Number(process.env.BENCH_SECONDS ?? 3);
  const tp = throughput(seconds, 2000);
  // The default host tick (10 ms) with the seed's timeouts (150–300 ms, heartbeat 50 ms); messages take 0–5 ms.
  const samples = failover(1000, 7, tickMsDefault, 5).sort((a, b) => a - b);
  // The same with a 1 ms tick and 0–1 ms messages, for comparison.
  const fine = failover(1000, 7, 1, 1).sort((a, b) => a - b);
  const out = {
    proposals_per_s: tp.proposalsPerS,
    committed_total: tp.committed,
    command_bytes: 64,
    nodes: 3,
    failovers: samples.length,
    failover_tick_ms: tickMsDefault,
    failover_p50_ms: percentile(samples, 50),
    failover_p99_ms: percentile(samples, 99),
    failover_max_ms: Math.round(samples[samples.length - 1] ?? 0),
    failover_tick1_p50_ms: percentile(fine, 50),
    failover_tick1_p99_ms: percentile(fine, 99),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main();
