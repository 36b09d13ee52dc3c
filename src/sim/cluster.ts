/**
 * A simulated Raft cluster: one host loop per node (persist → send → apply → advance) over a
 * simulated disk and network, a key-value state machine, clients with timeouts and retries whose
 * operations are recorded for the linearizability checker, and fault processes (crashes and
 * restarts, partitions symmetric and one-way, slow nodes, skewed ticks) — all drawn from one seed.
 */

import { decodeConfChange, MemoryStorage, NO_NODE, RawNode } from '../raft/index.ts';
import type { ConfChange, ConfState, Entry, Message, NodeId, RaftTestingKnobs, Ready } from '../raft/index.ts';
import { isGeodeError } from '../util/errors.ts';
import { SafetyChecker } from './checks.ts';
import { Scheduler } from './clock.ts';
import { SimDisk } from './disk.ts';
import { decodeCommand, encodeCommand, KvStateMachine, writeId } from './kv.ts';
import type { KvInput, KvOperation, KvOutput } from './linearizability/index.ts';
import { SimNetwork } from './network.ts';
import type { NetworkOptions } from './network.ts';
import { Prng } from './prng.ts';
import { Trace } from './trace.ts';

/** SimOptions: everything a run depends on besides the seed's own draws. See `drawOptions`. */
export interface SimOptions {
  readonly seed: number;
  /** Cluster size (voters). */
  readonly nodes: number;
  /** Virtual ms of the fault phase (workload and faults). */
  readonly faultPhaseMs: number;
  /** After healing, a leader must be elected and a fresh write committed within this many virtual ms. */
  readonly livenessBoundMs: number;
  readonly network: NetworkOptions;
  /** Tick interval per node (index 0 = node 1), ms: skewed clocks. */
  readonly tickMs: readonly number[];
  /** Time an fsync takes per node, ms. */
  readonly syncLatencyMs: readonly number[];
  /** A node whose messages are slowed by `extraMs` during the fault phase. */
  readonly slowNode?: { readonly id: number; readonly extraMs: number };
  /** Crash process: mean ms between crashes, down time range, chance to pick the leader. */
  readonly crashes?: { readonly meanIntervalMs: number; readonly downMinMs: number; readonly downMaxMs: number; readonly leaderBias: number; readonly maxDown: number };
  /** Partition process: mean ms between partitions, duration range, chance of a one-way cut. */
  readonly partitions?: { readonly meanIntervalMs: number; readonly durMinMs: number; readonly durMaxMs: number; readonly oneWayRate: number; readonly leaderBias: number };
  /**
   * Power failures: every node crashes at the same instant (losing what it had not synced) and
   * comes back after `downMinMs`–`downMaxMs`. A correct host survives them: nothing it
   * acknowledged was volatile. `afterCommitChance`: also, right after a leader advanced its
   * commit index, power fails within `afterCommitMaxMs` with this probability (the window in which
   * a host that acknowledges before persisting loses acknowledged entries).
   */
  readonly powerFailures?: { readonly meanIntervalMs: number; readonly downMinMs: number; readonly downMaxMs: number; readonly afterCommitChance: number; readonly afterCommitMaxMs: number };
  /** Leader churn (Figure 8 style): a node that just became leader (just advanced its commit) crashes within `delayMaxMs` with probability `chance` (`commitChance`). */
  readonly leaderKill?: { readonly chance: number; readonly commitChance: number; readonly delayMaxMs: number; readonly downMinMs: number; readonly downMaxMs: number };
  /**
   * Spare hosts: nodes `nodes + 1` … `nodes + spares` run from the start with an empty log and no
   * membership, until a membership change adds them.
   */
  readonly spares?: number;
  /**
   * Membership changes during the fault phase: every ~`meanIntervalMs` the leader is asked for one
   * change (add or remove a learner, add, promote, demote or remove a voter), single step, or a
   * voter replacement through joint consensus with probability `jointRate` (left by the leader
   * itself, or explicitly by the simulator with probability `explicitLeaveRate`). Voters are kept
   * between `votersMin` and `votersMax` (and never from 2 to 1). Removed nodes keep running with their disk and may be
   * added again.
   */
  readonly membership?: { readonly meanIntervalMs: number; readonly jointRate: number; readonly explicitLeaveRate: number; readonly votersMin: number; readonly votersMax: number };
  /** Client workload. */
  readonly clients: number;
  readonly keys: number;
  readonly thinkMaxMs: number;
  readonly attemptTimeoutMs: number;
  readonly giveUpMs: number;
  /** Share of writes that are appends (others are puts); reads are half the operations. */
  readonly appendRate: number;
  /** Raft snapshot threshold (small, to exercise compaction and InstallSnapshot). */
  readonly snapshotThreshold: number;
  readonly maxEntriesPerRequest: number;
  /** TEST-ONLY planted bugs of the core. */
  readonly knobs?: RaftTestingKnobs;
  /** TEST-ONLY planted bugs of the host. */
  readonly hostBugs?: { readonly applyBeforePersist?: boolean };
  /** Keep a trace of the last `traceLines` events. */
  readonly trace?: boolean;
  readonly traceLines?: number;
  /** Budget of the linearizability check, wall ms. */
  readonly checkBudgetMs?: number;
}

/** RunResult: the outcome of one simulated run. */
export interface RunResult {
  readonly seed: number;
  readonly violations: readonly import('./checks.ts').Violation[];
  readonly faultsInjected: number;
  readonly operationsChecked: number;
  readonly linearizability: 'ok' | 'illegal' | 'unknown' | 'skipped';
  readonly trace: readonly string[];
  readonly stats: {
    readonly virtualMs: number;
    readonly events: number;
    readonly crashes: number;
    readonly partitions: number;
    readonly powerFailures: number;
    readonly membershipChanges: number;
    readonly messagesDropped: number;
    readonly messagesDuplicated: number;
    readonly elections: number;
    readonly committed: number;
    readonly ackedWrites: number;
  };
}

type ClientReq = { readonly kind: 'req'; readonly session: number; readonly seq: number; readonly opId: number; readonly input: KvInput };
type ClientResp = { readonly kind: 'resp'; readonly opId: number; readonly ok: boolean; readonly value?: string; readonly hint: number };
type NetMsg = { readonly kind: 'raft'; readonly m: Message } | ClientReq | ClientResp;

const clientBase = 1000;

interface ReplyTo {
  readonly client: number;
  readonly opId: number;
}

function describeMsg(m: Message): string {
  switch (m.type) {
    case 'MsgApp':
      return `MsgApp t${m.term} i${m.index}/t${m.logTerm} n=${m.entries.length} c${m.commit}`;
    case 'MsgAppResp':
      return `MsgAppResp t${m.term} i${m.index}${m.reject ? ` REJECT hint ${m.rejectHint}/t${m.logTerm}` : ''}`;
    case 'MsgVote':
    case 'MsgPreVote':
      return `${m.type} t${m.term} last ${m.index}/t${m.logTerm}`;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return `${m.type} t${m.term} ${m.reject ? 'REJECT' : 'grant'}`;
    case 'MsgHeartbeat':
      return `MsgHeartbeat t${m.term} c${m.commit}${m.context !== '' ? ' read' : ''}`;
    case 'MsgSnap':
      return `MsgSnap t${m.term} snap ${m.snapshot.metadata.index}/t${m.snapshot.metadata.term}`;
    default:
      return `${m.type} t${m.term}`;
  }
}

/** Host: the process around one Raft node. */
class Host {
  up = true;
  node: RawNode | undefined;
  kv = new KvStateMachine();
  readonly disk: SimDisk;
  /** Waiting for an fsync (the Ready in hand is not advanced): inputs queue in `inbox`. */
  busy = false;
  inbox: (() => void)[] = [];
  pendingTicks = 0;
  /** Bumped on crash: callbacks scheduled before a crash check it and do nothing. */
  epoch = 0;
  readyQueued = false;
  wasLeader = false;
  lastCommit = 0;
  readonly writeWaiters = new Map<string, ReplyTo[]>();
  readonly pendingReads = new Map<string, { key: string; reply: ReplyTo }>();
  readsAwaitingApply: { index: number; key: string; reply: ReplyTo }[] = [];
  readCounter = 0;
  restarts = 0;

  /** An assertion of the core failed on this node: it stopped for good (fail-stop). */
  halted = false;

  constructor(
    readonly id: NodeId,
    conf: ConfState,
    readonly rng: Prng,
  ) {
    this.disk = new SimDisk(conf);
  }
}

interface ClientOp {
  readonly opId: number;
  readonly input: KvInput;
  readonly call: number;
  readonly giveUpAt: number;
  readonly seq: number;
  attempt: number;
}

class Client {
  session: number;
  seq = 0;
  target: number;
  op: ClientOp | undefined;
  stopped = false;
  constructor(
    readonly endpoint: number,
    session: number,
    target: number,
    readonly rng: Prng,
  ) {
    this.session = session;
    this.target = target;
  }
}

/** Cluster: one simulated run. Build it, then `run()`. */
export class Cluster {
  readonly sched = new Scheduler();
  readonly checker = new SafetyChecker();
  readonly trace: Trace;
  private readonly rng: Prng;
  private readonly net: SimNetwork<NetMsg>;
  private readonly hosts: Host[] = [];
  private readonly clients: Client[] = [];
  private readonly history: KvOperation[] = [];
  private readonly acked = new Map<string, number>();
  private nextSession = 1;
  private nextOpId = 1;
  private crashes = 0;
  private partitionsInjected = 0;
  private powerFailuresInjected = 0;
  private membershipChanges = 0;
  private powerRng: Prng | undefined;
  private elections = 0;
  private faultsOn = true;
  private livenessAckAt: number | undefined;
  private healedAt = 0;
  private readonly killRng: Prng;

  constructor(readonly opts: SimOptions) {
    this.rng = new Prng(opts.seed);
    this.killRng = this.rng.fork();
    this.trace = new Trace(opts.trace === true, opts.traceLines ?? 200);
    this.net = new SimNetwork<NetMsg>(this.sched, this.rng.fork(), opts.network, (from, to, msg) => this.onDeliver(from, to, msg));
    const voters: NodeId[] = [];
    for (let i = 1; i <= opts.nodes; i++) voters.push(i as NodeId);
    for (const id of voters) {
      const h = new Host(id, { voters, learners: [] }, this.rng.fork());
      this.hosts.push(h);
      this.startNode(h);
    }
    if (opts.slowNode !== undefined) this.net.setSlow(opts.slowNode.id, opts.slowNode.extraMs);
    for (let c = 0; c < opts.clients; c++) {
      this.clients.push(new Client(clientBase + c, this.nextSession++, this.rng.int(1, opts.nodes), this.rng.fork()));
    }
    // Spare hosts come last (their draws after everyone else's): an empty store, not a member yet.
    for (let i = 1; i <= (opts.spares ?? 0); i++) {
      const h = new Host((opts.nodes + i) as NodeId, { voters: [], learners: [] }, this.rng.fork());
      this.hosts.push(h);
      this.startNode(h);
    }
  }

  private host(id: number): Host {
    return this.hosts[id - 1]!;
  }

  private log(line: string): void {
    this.trace.add(this.sched.now, line);
  }

  // -------------------------------------------------------------------------------------------
  // Nodes
  // -------------------------------------------------------------------------------------------

  private startNode(h: Host): void {
    const storage: MemoryStorage = h.disk.volatile;
    const snap = storage.snapshot();
    h.kv = snap.metadata.index > 0 ? KvStateMachine.restore(snap.data) : new KvStateMachine();
    if (snap.metadata.index > 0) h.kv.appliedIndex = snap.metadata.index;
    h.node = new RawNode(
      {
        id: h.id,
        random: h.rng.fn(),
        snapshot_threshold: this.opts.snapshotThreshold,
        max_entries_per_request: this.opts.maxEntriesPerRequest,
        applied: snap.metadata.index,
        ...(this.opts.knobs !== undefined ? { testingKnobs: this.opts.knobs } : {}),
      },
      storage,
    );
    h.up = true;
    h.busy = false;
    h.inbox = [];
    h.pendingTicks = 0;
    h.wasLeader = false;
    h.lastCommit = 0;
    const epoch = h.epoch;
    const tickMs = this.opts.tickMs[h.id - 1]!;
    // Ticks start at a random phase so nodes do not tick in lockstep.
    const tick = (): void => {
      if (h.epoch !== epoch || !h.up) return;
      this.guard(h, () => {
        if (h.busy) h.pendingTicks++;
        else h.node!.tick();
      });
      this.scheduleReady(h);
      this.sched.after(tickMs, tick);
    };
    this.sched.after(h.rng.int(1, tickMs), tick);
  }

  /**
   * guard: runs a call into the core. An exception is an invariant violation of the run, and the
   * node halts for good (fail-stop, as a process whose assertion fails): the run goes on, so the
   * checks can still see what the others make of it.
   */
  private guard(h: Host, fn: () => void): void {
    if (!h.up) return;
    try {
      fn();
    } catch (err) {
      if (isGeodeError(err)) throw err;
      const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      this.checker.invariant(this.sched.now, `node ${h.id}: ${msg}`);
      if (this.trace.on) this.log(`HALT node ${h.id}: ${msg}`);
      if (h.up) this.crash(h);
      h.halted = true;
    }
  }

  /** input: runs `fn` against the node now, or after the fsync in progress. */
  private input(h: Host, fn: () => void): void {
    if (!h.up) return;
    if (h.busy) {
      h.inbox.push(fn);
      return;
    }
    this.guard(h, fn);
    this.scheduleReady(h);
  }

  private scheduleReady(h: Host): void {
    if (h.readyQueued || !h.up) return;
    h.readyQueued = true;
    const epoch = h.epoch;
    this.sched.after(0, () => {
      h.readyQueued = false;
      if (h.epoch !== epoch) return;
      this.guard(h, () => this.processReady(h));
    });
  }

  private processReady(h: Host): void {
    if (!h.up || h.busy || this.checker.fatal) return;
    const node = h.node!;
    if (!node.hasReady()) return;
    const rd = node.ready();
    if (rd.softState !== undefined) this.onSoftState(h);
    if (rd.hardState !== undefined) {
      if (node.raft.state === 'leader' && rd.hardState.commit > h.lastCommit) {
        this.maybeKillLeader(h, 'commit');
        this.maybePowerFailAfterCommit();
      }
      h.lastCommit = rd.hardState.commit;
    }
    const latency = this.opts.syncLatencyMs[h.id - 1]!;
    const epoch = h.epoch;
    if (this.opts.hostBugs?.applyBeforePersist === true) {
      // PLANTED BUG: send and apply first, persist later; a crash in between loses what was promised.
      this.sendAndApply(h, rd);
      h.busy = true;
      this.sched.after(Math.max(latency, 1), () => {
        if (h.epoch !== epoch) return;
        this.persist(h, rd);
        h.disk.sync();
        this.finish(h, rd);
      });
      return;
    }
    this.persist(h, rd);
    const needSync = rd.mustSync || rd.snapshot !== undefined;
    if (needSync && latency > 0) {
      h.busy = true;
      this.sched.after(latency, () => {
        if (h.epoch !== epoch) return;
        h.disk.sync();
        this.guard(h, () => {
          this.sendAndApply(h, rd);
          this.finish(h, rd);
        });
      });
      return;
    }
    if (needSync) h.disk.sync();
    this.sendAndApply(h, rd);
    this.finish(h, rd);
  }

  private persist(h: Host, rd: Ready): void {
    if (rd.snapshot !== undefined) h.disk.writeSnapshot(rd.snapshot);
    h.disk.writeEntries(rd.entries);
    if (rd.hardState !== undefined) h.disk.writeHardState(rd.hardState);
  }

  private sendAndApply(h: Host, rd: Ready): void {
    // The commit index is declared (to the checker) once the Ready is persisted, when the host acts
    // on it: a single voter commits what it appends in the same Ready, and a crash before the
    // fsync legitimately takes both back, unseen.
    if (rd.hardState !== undefined) this.checker.onCommit(this.sched.now, h.id, rd.hardState.commit, h.node!.raft.log);
    for (const m of rd.messages) {
      if (this.trace.on) this.log(`${m.from}->${m.to} ${describeMsg(m)}`);
      if (m.type === 'MsgSnap') this.sendSnapshot(h, m);
      else this.net.send(m.from, m.to, { kind: 'raft', m });
    }
    if (rd.snapshot !== undefined) {
      h.kv = KvStateMachine.restore(rd.snapshot.data);
      h.kv.appliedIndex = rd.snapshot.metadata.index;
      if (this.trace.on) this.log(`node ${h.id} installs snapshot ${rd.snapshot.metadata.index}/t${rd.snapshot.metadata.term}`);
    }
    for (const e of rd.committedEntries) this.applyEntry(h, e);
    for (const rs of rd.readStates) {
      const r = h.pendingReads.get(rs.context);
      if (r === undefined) continue;
      h.pendingReads.delete(rs.context);
      h.readsAwaitingApply.push({ index: rs.index, key: r.key, reply: r.reply });
    }
  }

  /** sendSnapshot: sends a MsgSnap and reports its outcome to the leader's core, as a stream transport would. */
  private sendSnapshot(h: Host, m: Message): void {
    const epoch = h.epoch;
    this.net.send(m.from, m.to, { kind: 'raft', m }, (delivered) => {
      if (h.epoch !== epoch) return;
      if (this.trace.on) this.log(`node ${h.id}: snapshot to ${m.to} ${delivered ? 'delivered' : 'lost'}`);
      this.input(h, () => h.node!.reportSnapshot(m.to, delivered));
    });
  }

  private applyEntry(h: Host, e: Entry): void {
    this.checker.onApply(this.sched.now, h.id, e);
    if (e.type === 'confChange') {
      h.node!.applyConfChange(decodeConfChange(e.data));
      h.kv.appliedIndex = e.index;
      return;
    }
    if (e.data.length === 0) {
      h.kv.appliedIndex = e.index;
      return;
    }
    const cmd = decodeCommand(e.data);
    const r = h.kv.apply(e.index, cmd);
    if (this.trace.on) this.log(`node ${h.id} applies ${e.index}/t${e.term} ${cmd.op}(${cmd.k}, ${cmd.v}) from ${writeId(cmd.c, cmd.s)}${r === 'duplicate' ? ' (duplicate)' : ''}`);
    const id = writeId(cmd.c, cmd.s);
    const waiters = h.writeWaiters.get(id);
    if (waiters !== undefined) {
      h.writeWaiters.delete(id);
      for (const w of waiters) this.reply(h.id, w, true, undefined);
    }
  }

  private finish(h: Host, rd: Ready): void {
    h.node!.advance(rd);
    h.busy = false;
    // Reads whose index is applied.
    if (h.readsAwaitingApply.length > 0) {
      const still: typeof h.readsAwaitingApply = [];
      for (const r of h.readsAwaitingApply) {
        if (r.index <= h.kv.appliedIndex) this.reply(h.id, r.reply, true, h.kv.get(r.key));
        else still.push(r);
      }
      h.readsAwaitingApply = still;
    }
    if (h.node!.shouldSnapshot()) {
      const applied = h.node!.raft.log.applied;
      h.disk.compact(applied, h.node!.raft.trk.confState(), h.kv.serialize());
      if (this.trace.on) this.log(`node ${h.id} snapshots at ${applied} and compacts`);
    }
    const inbox = h.inbox;
    h.inbox = [];
    for (const fn of inbox) this.guard(h, fn);
    for (; h.pendingTicks > 0; h.pendingTicks--) this.guard(h, () => h.node!.tick());
    this.scheduleReady(h);
  }

  private onSoftState(h: Host): void {
    const r = h.node!.raft;
    if (this.trace.on) this.log(`node ${h.id} is ${r.state} in term ${r.term} (leader ${r.lead})`);
    if (r.state === 'leader' && !h.wasLeader) {
      this.elections++;
      this.checker.onLeader(this.sched.now, h.id, r.term, r.log);
      this.maybeKillLeader(h, 'elected');
    }
    h.wasLeader = r.state === 'leader';
  }

  /**
   * maybeKillLeader: leader churn. A leader that was just elected (or just advanced its commit
   * index) crashes within `delayMaxMs` with probability `chance`, losing what it had on the wire.
   */
  private maybeKillLeader(h: Host, why: 'elected' | 'commit'): void {
    const k = this.opts.leaderKill;
    if (k === undefined || !this.faultsOn) return;
    if (!this.killRng.chance(why === 'elected' ? k.chance : k.commitChance)) return;
    if (this.trace.on) this.log(`leader churn: node ${h.id} will crash soon (${why})`);
    const epoch = h.epoch;
    this.sched.after(this.killRng.int(0, k.delayMaxMs), () => {
      if (h.epoch !== epoch || !h.up || !this.faultsOn) return;
      if (this.hosts.filter((x) => !x.up).length >= Math.floor(this.opts.nodes / 2)) return;
      // The crash also loses what the leader had on the wire (as if its NIC died first).
      this.crash(h);
      this.net.setIsolated(h.id, true);
      this.sched.after(this.killRng.int(k.downMinMs, k.downMaxMs), () => {
        this.net.setIsolated(h.id, false);
        this.restart(h);
      });
    });
  }

  private crash(h: Host): void {
    this.crashes++;
    // busy: a Ready is in hand and not yet durable (written but not synced, or — for a host that
    // acknowledges before persisting — not even written).
    if (this.trace.on) this.log(`CRASH node ${h.id} (${h.disk.hasUnsynced || h.busy ? 'loses unsynced writes' : 'all synced'})`);
    h.up = false;
    h.epoch++;
    h.node = undefined;
    h.busy = false;
    h.inbox = [];
    h.readyQueued = false;
    h.writeWaiters.clear();
    h.pendingReads.clear();
    h.readsAwaitingApply = [];
    h.disk.crash();
  }

  private restart(h: Host): void {
    if (h.up || h.halted) return;
    h.restarts++;
    const hs = h.disk.durableHardState();
    if (this.trace.on) this.log(`RESTART node ${h.id} from term ${hs.term} vote ${hs.vote} commit ${hs.commit}, last index ${h.disk.volatile.lastIndex()}`);
    this.checker.onRestart(h.id);
    this.startNode(h);
  }

  // -------------------------------------------------------------------------------------------
  // Network delivery
  // -------------------------------------------------------------------------------------------

  private onDeliver(from: number, to: number, msg: NetMsg): void {
    if (msg.kind === 'resp') {
      this.onResponse(this.clients[to - clientBase]!, msg);
      return;
    }
    const h = this.hosts[to - 1];
    if (h === undefined || !h.up) return;
    if (msg.kind === 'raft') {
      this.input(h, () => h.node!.step(msg.m));
      return;
    }
    this.input(h, () => this.onRequest(h, from, msg));
  }

  private onRequest(h: Host, from: number, req: ClientReq): void {
    const node = h.node!;
    const reply: ReplyTo = { client: from, opId: req.opId };
    if (req.input.op === 'get') {
      if (node.leader() === NO_NODE) {
        this.reply(h.id, reply, false, undefined);
        return;
      }
      const ctx = `${h.id}/${h.epoch}/${++h.readCounter}`;
      h.pendingReads.set(ctx, { key: req.input.key, reply });
      node.readIndex(ctx);
      return;
    }
    const input = req.input;
    if (input.op !== 'put' && input.op !== 'append') return;
    try {
      node.propose(encodeCommand({ c: req.session, s: req.seq, op: input.op, k: input.key, v: input.value }));
    } catch (err) {
      if (isGeodeError(err, 'PROPOSAL_DROPPED')) {
        this.reply(h.id, reply, false, undefined);
        return;
      }
      throw err;
    }
    const id = writeId(req.session, req.seq);
    const list = h.writeWaiters.get(id);
    if (list === undefined) h.writeWaiters.set(id, [reply]);
    else list.push(reply);
  }

  private reply(from: number, to: ReplyTo, ok: boolean, value: string | undefined): void {
    const h = this.hosts[from - 1]!;
    const hint = h.node?.leader() ?? NO_NODE;
    this.net.send(from, to.client, value === undefined ? { kind: 'resp', opId: to.opId, ok, hint } : { kind: 'resp', opId: to.opId, ok, value, hint });
  }

  // -------------------------------------------------------------------------------------------
  // Clients
  // -------------------------------------------------------------------------------------------

  private startClient(c: Client): void {
    this.sched.after(c.rng.int(0, this.opts.thinkMaxMs), () => this.nextOp(c));
  }

  private nextOp(c: Client): void {
    if (c.stopped || this.checker.fatal) return;
    const key = `k${c.rng.int(0, this.opts.keys - 1)}`;
    let input: KvInput;
    let seq = 0;
    if (c.rng.chance(0.5)) input = { op: 'get', key };
    else {
      seq = ++c.seq;
      const value = `${c.session}.${seq};`;
      input = c.rng.chance(this.opts.appendRate) ? { op: 'append', key, value } : { op: 'put', key, value };
    }
    c.op = { opId: this.nextOpId++, input, call: this.sched.now, giveUpAt: this.sched.now + this.opts.giveUpMs, seq, attempt: 0 };
    this.attempt(c);
  }

  private attempt(c: Client): void {
    const op = c.op;
    if (op === undefined) return;
    if (this.sched.now >= op.giveUpAt) {
      this.abandon(c);
      return;
    }
    const attempt = ++op.attempt;
    if (this.trace.on) this.log(`client ${c.session} -> node ${c.target}: ${kvDescribe(op.input)} (attempt ${attempt})`);
    this.net.send(c.endpoint, c.target, { kind: 'req', session: c.session, seq: op.seq, opId: op.opId, input: op.input });
    this.sched.after(this.opts.attemptTimeoutMs, () => {
      if (c.op !== op || op.attempt !== attempt) return;
      c.target = (c.target % this.hosts.length) + 1;
      this.attempt(c);
    });
  }

  private onResponse(c: Client, resp: ClientResp): void {
    const op = c.op;
    if (op === undefined || op.opId !== resp.opId) return;
    if (!resp.ok) {
      c.target = resp.hint !== NO_NODE && resp.hint !== c.target ? resp.hint : (c.target % this.hosts.length) + 1;
      const attempt = op.attempt;
      this.sched.after(c.rng.int(2, 15), () => {
        if (c.op === op && op.attempt === attempt) this.attempt(c);
      });
      return;
    }
    const output: KvOutput = op.input.op === 'get' ? { value: resp.value ?? '' } : {};
    this.history.push({ clientId: c.session, input: op.input, output, call: op.call, ret: this.sched.now });
    if (this.trace.on) this.log(`client ${c.session} <- ${kvDescribe(op.input)} = ${op.input.op === 'get' ? JSON.stringify(resp.value) : 'ok'}`);
    if (op.input.op !== 'get') {
      this.acked.set(writeId(c.session, op.seq), this.sched.now);
      if (op.input.key === '__live' && this.livenessAckAt === undefined) this.livenessAckAt = this.sched.now;
    }
    c.op = undefined;
    if (c.stopped) return;
    this.startClient(c);
  }

  /** abandon: the client gives up: a write's outcome stays unknown (pending); it opens a new session. */
  private abandon(c: Client): void {
    const op = c.op!;
    if (op.input.op !== 'get') this.history.push({ clientId: c.session, input: op.input, output: undefined, call: op.call, ret: Infinity });
    if (this.trace.on) this.log(`client ${c.session} gives up on ${kvDescribe(op.input)}`);
    c.op = undefined;
    c.session = this.nextSession++;
    c.seq = 0;
    if (!c.stopped) this.startClient(c);
  }

  // -------------------------------------------------------------------------------------------
  // Faults
  // -------------------------------------------------------------------------------------------

  private leaderId(): number {
    let best = 0;
    let bestTerm = -1;
    for (const h of this.hosts) {
      if (h.up && h.node!.raft.state === 'leader' && h.node!.raft.term > bestTerm) {
        best = h.id;
        bestTerm = h.node!.raft.term;
      }
    }
    return best;
  }

  private scheduleCrashes(): void {
    const c = this.opts.crashes;
    if (c === undefined) return;
    const rng = this.rng.fork();
    const next = (): void => {
      this.sched.after(Math.max(1, Math.round(-Math.log(1 - rng.next()) * c.meanIntervalMs)), () => {
        if (!this.faultsOn) return;
        const down = this.hosts.filter((h) => !h.up).length;
        if (down < c.maxDown) {
          const leader = this.leaderId();
          const ups = this.hosts.filter((h) => h.up);
          const victim = leader !== 0 && rng.chance(c.leaderBias) ? this.host(leader) : rng.pick(ups);
          this.crash(victim);
          this.sched.after(rng.int(c.downMinMs, c.downMaxMs), () => this.restart(victim));
        }
        next();
      });
    };
    next();
  }

  private schedulePartitions(): void {
    const p = this.opts.partitions;
    if (p === undefined) return;
    const rng = this.rng.fork();
    const ids = this.hosts.map((h) => h.id as number);
    const next = (): void => {
      this.sched.after(Math.max(1, Math.round(-Math.log(1 - rng.next()) * p.meanIntervalMs)), () => {
        if (!this.faultsOn) return;
        this.partitionsInjected++;
        const leader = this.leaderId();
        if (rng.chance(p.oneWayRate)) {
          // One-way cuts: some directed links into or out of one node.
          const a = leader !== 0 && rng.chance(p.leaderBias) ? leader : rng.pick(ids);
          const cuts: string[] = [];
          for (const b of ids) {
            if (b === a || !rng.chance(0.7)) continue;
            if (rng.chance(0.5)) {
              this.net.blockOneWay(a, b);
              cuts.push(`${a}->${b}`);
            } else {
              this.net.blockOneWay(b, a);
              cuts.push(`${b}->${a}`);
            }
          }
          if (this.trace.on) this.log(`PARTITION one-way cuts ${cuts.join(' ')}`);
        } else {
          let side: number[];
          if (leader !== 0 && rng.chance(p.leaderBias)) side = [leader, ...rng.shuffle(ids.filter((x) => x !== leader)).slice(0, rng.int(0, Math.floor((ids.length - 1) / 2)))];
          else side = rng.shuffle(ids).slice(0, rng.int(1, Math.floor(ids.length / 2)));
          const other = ids.filter((x) => !side.includes(x));
          this.net.partition(side, other);
          if (this.trace.on) this.log(`PARTITION {${side.join(',')}} | {${other.join(',')}}`);
        }
        this.sched.after(rng.int(p.durMinMs, p.durMaxMs), () => {
          this.net.heal();
          if (this.faultsOn && this.opts.slowNode !== undefined) this.net.setSlow(this.opts.slowNode.id, this.opts.slowNode.extraMs);
          if (this.trace.on) this.log('HEAL partitions');
          next();
        });
      });
    };
    next();
  }

  private scheduleMembershipChanges(): void {
    const m = this.opts.membership;
    if (m === undefined) return;
    const rng = this.rng.fork();
    const next = (): void => {
      this.sched.after(Math.max(1, Math.round(-Math.log(1 - rng.next()) * m.meanIntervalMs)), () => {
        if (!this.faultsOn) return;
        const l = this.leaderId();
        if (l !== 0) {
          const h = this.host(l);
          this.input(h, () => this.proposeMembershipChange(h, rng));
        }
        next();
      });
    };
    next();
  }

  /** proposeMembershipChange: asks leader `h` for one membership change drawn from `rng` (refusals are fine). */
  private proposeMembershipChange(h: Host, rng: Prng): void {
    const m = this.opts.membership!;
    const node = h.node!;
    const r = node.raft;
    if (r.state !== 'leader') return;
    const cfg = r.trk.config;
    let cc: ConfChange | undefined;
    if (cfg.voters.outgoing.size > 0) {
      // Joint: leave it explicitly when the leader will not (jointExplicit).
      if (!cfg.autoLeave) cc = { changes: [] };
    } else {
      cc = this.drawMembershipChange(rng, m, [...cfg.voters.incoming], [...cfg.learners]);
    }
    if (cc === undefined) return;
    if (this.trace.on) this.log(`membership: leader ${h.id} is asked for ${describeConfChange(cc)}`);
    try {
      node.proposeConfChange(cc);
      this.membershipChanges++;
    } catch (err) {
      if (!isGeodeError(err)) throw err;
      if (this.trace.on) this.log(`membership: refused: ${err.message}`);
    }
  }

  private drawMembershipChange(
    rng: Prng,
    m: NonNullable<SimOptions['membership']>,
    voters: readonly NodeId[],
    learners: readonly NodeId[],
  ): ConfChange | undefined {
    const members = new Set<number>([...voters, ...learners]);
    const others = this.hosts.filter((x) => !members.has(x.id) && !x.halted).map((x) => x.id);
    const canAddVoter = voters.length < m.votersMax;
    // Never from 2 voters to 1: if the leader removes (or demotes) itself and the remaining voter
    // misses the commit of that change, the remaining voter still needs the leader's vote under the
    // configuration it knows, and the leader — whose log is longer — refuses it: no leader can be
    // elected again (a known hazard of two-voter groups, etcd's too). With 3 voters or more, the
    // others are a majority of every configuration they may believe in.
    const canRemoveVoter = voters.length > Math.max(m.votersMin, 2);
    if (rng.chance(m.jointRate) && canAddVoter && canRemoveVoter && others.length + learners.length > 0) {
      // Replace a voter through joint consensus: one in (a learner or a stranger), one out.
      const incoming = rng.pick([...learners, ...others]) as NodeId;
      const outgoing = rng.pick(voters);
      const transition = rng.chance(m.explicitLeaveRate) ? 'jointExplicit' : rng.chance(0.5) ? 'joint' : 'auto';
      const out: ConfChangeLike = { changes: [{ type: 'addNode', nodeId: incoming }, { type: rng.chance(0.3) ? 'addLearner' : 'removeNode', nodeId: outgoing }] };
      if (transition !== 'auto') out.transition = transition;
      return out;
    }
    const options: (() => ConfChange)[] = [];
    if (others.length > 0) options.push(() => ({ changes: [{ type: 'addLearner', nodeId: rng.pick(others) as NodeId }] }));
    if (learners.length > 0 && canAddVoter) options.push(() => ({ changes: [{ type: 'addNode', nodeId: rng.pick(learners) }] }));
    if (learners.length > 0) options.push(() => ({ changes: [{ type: 'removeNode', nodeId: rng.pick(learners) }] }));
    if (others.length > 0 && canAddVoter) options.push(() => ({ changes: [{ type: 'addNode', nodeId: rng.pick(others) as NodeId }] }));
    if (canRemoveVoter) options.push(() => ({ changes: [{ type: 'removeNode', nodeId: rng.pick(voters) }] }));
    if (canRemoveVoter) options.push(() => ({ changes: [{ type: 'addLearner', nodeId: rng.pick(voters) }] }));
    if (options.length === 0) return undefined;
    return rng.pick(options)();
  }

  private schedulePowerFailures(): void {
    const p = this.opts.powerFailures;
    if (p === undefined) return;
    const rng = this.rng.fork();
    this.powerRng = rng;
    const next = (): void => {
      this.sched.after(Math.max(1, Math.round(-Math.log(1 - rng.next()) * p.meanIntervalMs)), () => {
        if (!this.faultsOn) return;
        this.powerFailure('scheduled');
        next();
      });
    };
    next();
  }

  private maybePowerFailAfterCommit(): void {
    const p = this.opts.powerFailures;
    const rng = this.powerRng;
    if (p === undefined || rng === undefined || !this.faultsOn || !rng.chance(p.afterCommitChance)) return;
    this.sched.after(rng.int(0, p.afterCommitMaxMs), () => {
      if (this.faultsOn) this.powerFailure('after a commit');
    });
  }

  /** powerFailure: every node that is up crashes now (losing unsynced writes) and restarts after a while. */
  private powerFailure(why: string): void {
    const p = this.opts.powerFailures!;
    const rng = this.powerRng!;
    this.powerFailuresInjected++;
    if (this.trace.on) this.log(`POWER FAILURE (${why}): every node crashes`);
    for (const h of this.hosts) {
      if (!h.up) continue;
      this.crash(h);
      this.sched.after(rng.int(p.downMinMs, p.downMaxMs), () => {
        if (this.faultsOn) this.restart(h);
      });
    }
  }

  private healAll(): void {
    this.faultsOn = false;
    this.net.heal();
    this.net.options = { ...this.net.options, dropRate: 0, duplicateRate: 0 };
    for (const h of this.hosts) this.restart(h);
    this.healedAt = this.sched.now;
    if (this.trace.on) this.log('HEAL ALL: faults stop, crashed nodes restart; liveness phase starts');
  }

  private checkAllLogs(): void {
    const ups = this.hosts.filter((h) => h.up);
    for (let i = 0; i < ups.length; i++) {
      for (let j = i + 1; j < ups.length; j++) {
        this.checker.checkLogMatching(this.sched.now, ups[i]!.id, ups[i]!.node!.raft.log, ups[j]!.id, ups[j]!.node!.raft.log);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // The run
  // -------------------------------------------------------------------------------------------

  /** run: the fault phase, then healing and the liveness phase, then the final checks. */
  run(): RunResult {
    try {
      return this.runPhases();
    } catch (err) {
      // The core (or the host) threw: an invariant is broken. Report it as a violation of the run.
      const msg = err instanceof Error ? `${err.name}: ${err.message}\n${(err.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(err);
      this.checker.invariant(this.sched.now, msg);
      return this.result('skipped');
    }
  }

  private runPhases(): RunResult {
    const o = this.opts;
    for (const c of this.clients) this.startClient(c);
    this.scheduleCrashes();
    this.schedulePartitions();
    this.schedulePowerFailures();
    this.scheduleMembershipChanges();
    const periodic = (): void => {
      this.checkAllLogs();
      this.sched.after(250, periodic);
    };
    this.sched.after(250, periodic);
    const stop = (): boolean => this.checker.fatal;
    this.sched.runUntil(o.faultPhaseMs, stop);
    return this.afterFaults();
  }

  private afterFaults(): RunResult {
    const o = this.opts;
    const halted = this.hosts.some((h) => h.halted);
    if (!this.checker.fatal) {
      this.healAll();
      // A liveness client writes a fresh key: it must be acknowledged within the bound.
      const live = new Client(clientBase + this.clients.length, this.nextSession++, 1, this.rng.fork());
      this.clients.push(live);
      live.op = { opId: this.nextOpId++, input: { op: 'put', key: '__live', value: 'up' }, call: this.sched.now, giveUpAt: Infinity, seq: ++live.seq, attempt: 0 };
      live.stopped = true; // no further operations after this one
      this.attempt(live);
      this.sched.runUntil(this.healedAt + o.livenessBoundMs, () => this.checker.fatal || this.livenessAckAt !== undefined);
      // A halted node (a failed assertion, already reported) may have taken the quorum with it.
      if (!this.checker.fatal && !halted && this.livenessAckAt === undefined) {
        const leader = this.leaderId();
        this.checker.liveness(
          this.sched.now,
          `no write committed within ${o.livenessBoundMs}ms after the faults healed (leader now: ${leader === 0 ? 'none' : `node ${leader}`})`,
        );
      }
    }
    // Quiesce: clients stop; wait until every member has applied everything the leader committed.
    for (const c of this.clients) c.stopped = true;
    if (!this.checker.fatal) this.sched.runUntil(this.sched.now + 3000, () => this.checker.fatal || this.settled());
    for (const c of this.clients) {
      if (c.op !== undefined && c.op.input.op !== 'get') {
        this.history.push({ clientId: c.session, input: c.op.input, output: undefined, call: c.op.call, ret: Infinity });
      }
    }
    let lin: RunResult['linearizability'] = 'skipped';
    if (!this.checker.fatal) {
      this.checkAllLogs();
      const l = this.leaderId();
      if (l !== 0) this.checker.checkAckedWrites(this.sched.now, this.acked, this.host(l).kv.appliedWrites, l as NodeId);
      lin = this.checker.checkHistory(this.sched.now, this.history, o.checkBudgetMs ?? 10_000);
    }
    return this.result(lin);
  }

  /** settled: a leader is known and every member it tracks (voter or learner, not halted) applied its commit index. */
  private settled(): boolean {
    const l = this.leaderId();
    if (l === 0) return false;
    const r = this.host(l).node!.raft;
    const commit = r.log.committed;
    for (const id of r.trk.members()) {
      const h = this.hosts[id - 1];
      if (h === undefined || h.halted) continue;
      if (!h.up || h.busy || h.node!.raft.log.applied !== commit || h.kv.appliedIndex !== commit) return false;
    }
    return true;
  }

  private result(lin: RunResult['linearizability']): RunResult {
    const o = this.opts;
    const s = this.net.stats;
    return {
      seed: o.seed,
      violations: this.checker.violations,
      faultsInjected: this.crashes + this.partitionsInjected + this.powerFailuresInjected + s.dropped + s.duplicated,
      operationsChecked: this.history.length,
      linearizability: lin,
      trace: this.trace.tail(),
      stats: {
        virtualMs: this.sched.now,
        events: this.sched.executed,
        crashes: this.crashes,
        partitions: this.partitionsInjected,
        powerFailures: this.powerFailuresInjected,
        membershipChanges: this.membershipChanges,
        messagesDropped: s.dropped,
        messagesDuplicated: s.duplicated,
        elections: this.elections,
        committed: this.checker.maxApplied,
        ackedWrites: this.acked.size,
      },
    };
  }
}

type ConfChangeLike = { changes: ConfChange['changes']; transition?: ConfChange['transition'] };

function describeConfChange(cc: ConfChange): string {
  if (cc.changes.length === 0) return 'leaving the joint configuration';
  const parts = cc.changes.map((c) => `${c.type} ${c.nodeId}`);
  return `${parts.join(', ')}${cc.transition !== undefined ? ` (${cc.transition})` : ''}`;
}

function kvDescribe(i: KvInput): string {
  switch (i.op) {
    case 'get':
      return `get(${i.key})`;
    case 'put':
      return `put(${i.key}, ${i.value})`;
    case 'append':
      return `append(${i.key}, ${i.value})`;
    case 'cas':
      return `cas(${i.key}, ${i.expected}, ${i.value})`;
  }
}
