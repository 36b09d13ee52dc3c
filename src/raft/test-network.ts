/**
 * A small in-process network of RawNodes for tests: deliver all, drop, isolate, cut links.
 * Every node persists each Ready at once (MemoryStorage) and applies committed entries to a
 * trivial state machine (the list of applied payloads). Deterministic for a given seed.
 */
import { Prng } from '../sim/prng.ts';
import { assert } from '../util/assert.ts';
import { decodeConfChange } from './confchange/codec.ts';
import { MemoryStorage } from './memory-storage.ts';
import { RawNode } from './raw-node.ts';
import type { ConfState, Entry, LogIndex, Message, NodeId, RaftConfig, RaftLogger, Ready } from './types.ts';

/**
 * seededRandom: a `() => number` in [0, 1) for the `random` config of test nodes: the simulator's
 * PRNG (src/sim/prng.ts, xoshiro128**), so the tests and the simulator share one generator.
 */
export function seededRandom(seed: number): () => number {
  return new Prng(seed).fn();
}

const enc = new TextEncoder();
const dec = new TextDecoder();
/** bytes: a string as a payload. */
export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}
/** text: a payload as a string. */
export function text(b: Uint8Array): string {
  return dec.decode(b);
}

export interface TestPeer {
  node: RawNode;
  storage: MemoryStorage;
  /** Payloads of applied normal non-empty entries, in order. */
  applied: string[];
  /** Every applied entry (including no-ops and conf changes). */
  appliedEntries: Entry[];
  readStates: { index: LogIndex; context: string }[];
  conf: ConfState;
}

export type ConfigOverrides = Partial<Omit<RaftConfig, 'id' | 'random'>>;

export class TestNetwork {
  readonly peers = new Map<NodeId, TestPeer>();
  /** Messages sent and not yet delivered. */
  queue: Message[] = [];
  /** Links that drop every message: `${from}>${to}`. */
  private readonly cut = new Set<string>();
  /** Message types dropped everywhere. */
  readonly ignored = new Set<Message['type']>();
  /** Every message delivered (for counting RPCs). */
  delivered: Message[] = [];
  private readonly random: () => number;
  private readonly overrides: ConfigOverrides;
  readonly logs: string[] = [];
  /** Called on every message before delivery; return false to drop it. */
  filter: ((m: Message) => boolean) | undefined = undefined;

  constructor(ids: number[], overrides: ConfigOverrides = {}, seed = 1, learners: number[] = []) {
    this.random = seededRandom(seed);
    this.overrides = overrides;
    const conf: ConfState = { voters: ids as NodeId[], learners: learners as NodeId[] };
    for (const id of [...ids, ...learners]) this.addPeer(id as NodeId, new MemoryStorage(conf));
    // Apply the bootstrap entries.
    this.stabilize();
  }

  private logger(id: NodeId): RaftLogger {
    const push = (level: string) => (m: string): void => {
      if (this.logs.length < 10_000) this.logs.push(`${id} ${level} ${m}`);
    };
    return { debug: () => {}, info: push('INFO'), warn: push('WARN') };
  }

  /** addPeer: starts a node on `storage` (fresh or restarted). */
  addPeer(id: NodeId, storage: MemoryStorage, applied: string[] = []): TestPeer {
    const node = new RawNode({ id, random: this.random, logger: this.logger(id), ...this.overrides }, storage);
    const peer: TestPeer = { node, storage, applied, appliedEntries: [], readStates: [], conf: storage.initialState().confState };
    this.peers.set(id, peer);
    return peer;
  }

  /** addPeerEmpty: starts a node with an empty log and no membership (to be added by a conf change). */
  addPeerEmpty(id: number): TestPeer {
    return this.addPeer(id as NodeId, new MemoryStorage({ voters: [], learners: [] }));
  }

  /** restart: the node crashes and restarts from what it persisted (everything, here). */
  restart(id: number): TestPeer {
    const old = this.peer(id);
    // The state machine is rebuilt from the snapshot; committed entries after it are applied again.
    const snap = old.storage.snapshot();
    const applied = snap.data.length > 0 ? (JSON.parse(text(snap.data)) as string[]) : [];
    const p = this.addPeer(id as NodeId, old.storage, applied);
    p.conf = snap.metadata.conf;
    return p;
  }

  peer(id: number): TestPeer {
    const p = this.peers.get(id as NodeId);
    assert(p !== undefined, `no peer ${id}`);
    return p;
  }

  node(id: number): RawNode {
    return this.peer(id).node;
  }

  /** handleReady: the host loop for one node: persist, send, apply, advance. */
  handleReady(id: NodeId): boolean {
    const p = this.peers.get(id);
    if (p === undefined || !p.node.hasReady()) return false;
    const rd: Ready = p.node.ready();
    if (rd.snapshot !== undefined) p.storage.applySnapshot(rd.snapshot);
    p.storage.append(rd.entries);
    if (rd.hardState !== undefined) p.storage.setHardState(rd.hardState);
    for (const m of rd.messages) this.queue.push(m);
    if (rd.snapshot !== undefined) {
      p.applied = rd.snapshot.data.length > 0 ? (JSON.parse(text(rd.snapshot.data)) as string[]) : [];
      p.conf = rd.snapshot.metadata.conf;
    }
    for (const e of rd.committedEntries) {
      p.appliedEntries.push(e);
      if (e.type === 'confChange') {
        p.conf = p.node.applyConfChange(decodeConfChange(e.data));
      } else if (e.data.length > 0) {
        p.applied.push(text(e.data));
      }
    }
    for (const rs of rd.readStates) p.readStates.push(rs);
    p.node.advance(rd);
    return true;
  }

  /** snapshotAndCompact: the host of `id` snapshots its applied state and compacts the log. */
  snapshotAndCompact(id: number): void {
    const p = this.peer(id);
    const applied = p.node.status().applied;
    p.storage.createSnapshot(applied, p.conf, bytes(JSON.stringify(p.applied)));
    p.storage.compact(applied);
  }

  isolate(id: number): void {
    for (const other of this.peers.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  /** cutLink: drops messages between a and b, both ways. */
  cutLink(a: number, b: number): void {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
  }

  /** recover: heals every cut and stops ignoring message types. */
  recover(): void {
    this.cut.clear();
    this.ignored.clear();
  }

  private deliverable(m: Message): boolean {
    if (this.cut.has(`${m.from}>${m.to}`)) return false;
    if (this.ignored.has(m.type)) return false;
    if (this.filter !== undefined && !this.filter(m)) return false;
    return this.peers.has(m.to);
  }

  /** stabilize: handle Readies and deliver messages until nothing moves. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const id of this.peers.keys()) moved = this.handleReady(id) || moved;
      if (this.queue.length > 0) {
        const q = this.queue;
        this.queue = [];
        for (const m of q) {
          const ok = this.deliverable(m);
          // A transport knows whether a snapshot got through and tells the leader (reportSnapshot).
          if (m.type === 'MsgSnap') this.peers.get(m.from)?.node.reportSnapshot(m.to, ok);
          if (!ok) continue;
          this.delivered.push(m);
          this.peers.get(m.to)!.node.step(m);
        }
        moved = true;
      }
      if (!moved) return;
    }
    throw new Error(`network did not stabilize in ${maxRounds} rounds`);
  }

  /** tick: ticks every node (or the given ones) `n` times, stabilizing after each tick. */
  tick(n = 1, ids?: number[]): void {
    for (let i = 0; i < n; i++) {
      for (const id of ids ?? [...this.peers.keys()]) this.peers.get(id as NodeId)?.node.tick();
      this.stabilize();
    }
  }

  campaign(id: number): void {
    this.node(id).campaign();
    this.stabilize();
  }

  propose(id: number, data: string): void {
    this.node(id).propose(bytes(data));
    this.stabilize();
  }

  /** leaders: ids of nodes that believe they are leader. */
  leaders(): NodeId[] {
    const out: NodeId[] = [];
    for (const [id, p] of this.peers) if (p.node.isLeader()) out.push(id);
    return out;
  }

  /** leader: the single leader of the highest term, or undefined. */
  leader(): NodeId | undefined {
    let best: NodeId | undefined;
    let bestTerm = -1;
    for (const [id, p] of this.peers) {
      const t = p.node.status().hardState.term;
      if (p.node.isLeader() && t > bestTerm) {
        best = id;
        bestTerm = t;
      }
    }
    return best;
  }
}
