/**
 * ShardHost: the MultiRaft host of one peer. It runs a Raft group per shard it holds (one for now,
 * structured for many), driven by an injected clock: every `tick_ms` each group ticks; messages of
 * all groups to one peer leave in ONE frame per loop iteration (heartbeats of many groups travel
 * together); the storage writes of all groups are staged and then synced together (one device
 * sync per store per iteration); committed commands are applied to each group's graph.
 *
 * Queries: `query(text, params)` on any host. A write runs on the leader (forwarded there as text
 * and parameters when this host follows); reads are linearizable through ReadIndex unless
 * `readQuorum: 1` asks for this replica's local state (the answer says how stale). See
 * docs/shard.md for the guarantees and the failure cases.
 *
 * @example
 * ```ts
 * const host = await ShardHost.start(
 *   { transport, clock: systemClock, random: Math.random, logStore: () => new MemoryLogStore() },
 *   { bootstrap: true, config: { replication: { factor: 3 } } },
 * );
 * await host.query('CREATE (:Person {name: $name})', { name: 'Ada' });
 * ```
 */
import { NO_NODE, type NodeId, type RaftLogger, type StateRole } from '../raft/index.ts';
import type { PeerId, PeerTransport } from '../net/types.ts';
import type { LogStore } from '../storage/types.ts';
import { decodeCommands, encodeCommands, type GraphCommand, type GraphStore, type Value } from '../graph/index.ts';
import type { GraphReader } from '../graph/index.ts';
import type { ProcedureDefinition } from '../query/index.ts';
import { assert } from '../util/assert.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import type { HostClock, TimerHandle } from './clock.ts';
import { compareStamps, decodeEntry, entryBatch, type VersionClock, type VersionStamp } from './entry-stamp.ts';
import { validateShardConfig, type ResolvedShardConfig, type ShardConfig } from './config.ts';
import { forwardedRequestsMax, frameItemsMax, groupsPerHostMax, membershipCheckMs, waitingQueriesMax, writeTextCacheMax } from './constants.ts';
import { FailureDetector, type PeerHealth } from './failure-detector.ts';
import { GroupReplica, newestFirst, undoOf, type Execution, type SpecWrite } from './group.ts';
import { entryKeys } from './mvcc-history.ts';
import { decideMembership } from './membership.ts';
import { nodeIdOfPeer } from './peer-ids.ts';
import { toEngineParams, type WireResult } from './values.ts';
import { Waiters } from './waiters.ts';
import { decodeFrame, encodeFrame, groupId, type ApplyItem, type CallItem, type ClientQueryItem, type FrameItem, type GroupId, type LeaderItem, type PeerMode, type QueryItem, type RaftItem } from './wire.ts';

/** What a host is built from (injected, so tests and the simulator supply their own). */
export interface ShardHostComponents {
  readonly transport: PeerTransport;
  readonly clock: HostClock;
  /** Random source in [0, 1) for election timeouts. */
  readonly random: () => number;
  /** The durable log store of one group on this peer (opened and closed by the host). */
  readonly logStore: (group: GroupId) => LogStore;
  readonly logger?: RaftLogger;
  /** Told about recoverable oddities (a refused frame, an unsendable snapshot, ...). */
  readonly onWarning?: (message: string) => void;
  /**
   * The clock that stamps the entries this host proposes (their commit timestamps: versions of the
   * group, src/shard/entry-stamp.ts) and is told the stamps of the entries it appends; one for all
   * its groups. Without one, entries go unstamped and reads at a past timestamp are refused.
   */
  readonly versions?: VersionClock;
}

/** How a host starts. */
export interface ShardHostInit {
  /** Configuration keys (`raft.*`, `replication.factor`, `read_quorum`, ...); see config.ts. */
  readonly config?: ShardConfig | Record<string, unknown>;
  /** Found each group with this peer as its first voter when its store is empty. Default false (wait to be added). */
  readonly bootstrap?: boolean;
  /** The groups (shards) this host runs. Default [0]. More can be added later ({@link ShardHost.addGroup}). */
  readonly groups?: readonly number[];
  /**
   * Groups this host does not run (yet) whose frames are still accepted: their Raft messages are
   * dropped and statements for them answered NOT_FOUND, instead of refusing the frame (and the
   * connection). A sharded cluster passes its possible shard groups: a group's leader may add this
   * peer before it created the group. Default: none.
   */
  readonly acceptGroups?: (group: number) => boolean;
}

/** Per-query options. */
export interface ShardQueryOptions {
  /** The group (shard) to run on. Default: the first. */
  readonly group?: number;
  /** Overrides the configured `read_quorum` for this query. */
  readonly readQuorum?: 'majority' | 1;
  /** Overrides `request_timeout_ms` for this query. */
  readonly timeoutMs?: number;
}

/** Options of {@link ShardHost.stepDown}. */
export interface StepDownOptions {
  /** The group (shard) to step down in. Default: the first. */
  readonly group?: number;
  /** How long to wait for the new leader, ms. Default: `request_timeout_ms`. */
  readonly timeoutMs?: number;
  /** Only voters for which this holds may take over (e.g. visible tabs and Node peers). Default: all. */
  readonly eligible?: (peer: PeerId) => boolean;
  /** Voters for which this holds are chosen before the others. Default: none. */
  readonly preferred?: (peer: PeerId) => boolean;
}

/** Staleness: how far behind a `readQuorum: 1` answer may be. */
export interface Staleness {
  /** The index the answering replica had applied. */
  readonly appliedIndex: number;
  /** The commit index it knew of. */
  readonly commitIndex: number;
  /** commitIndex - appliedIndex (more may be committed that it does not know of). */
  readonly entriesBehind: number;
  /** Ms since it last heard from its leader (0 on the leader). */
  readonly msSinceLeaderContact: number;
}

/** A query's answer. */
export interface ShardQueryResult extends WireResult {
  /** Set for `readQuorum: 1` reads. */
  readonly staleness?: Staleness;
}

/** One row of `db.cluster.status()`: a peer as this host sees it. */
export interface PeerStatus {
  readonly peer: PeerId;
  readonly self: boolean;
  /** Membership in the group: voter, learner, or none (connected, not (yet) a member). */
  readonly role: 'voter' | 'learner' | 'none';
  /** Raft state: known for this peer, `leader` for the known leader, `follower` for the others. */
  readonly state: StateRole | 'unknown';
  /**
   * From Raft contact as this host sees it. Only a leader hears from every member; on another
   * host peers other than itself and the leader are `unknown` (ask the leader's status).
   */
  readonly health: PeerHealth | 'unknown';
  readonly term: number;
  readonly leader: PeerId | undefined;
  /** Ms since this host last heard from the peer (0 for itself; undefined when never). */
  readonly lastContactMs: number | undefined;
}

/** One row of `db.cluster.replicationLag()` (known on the leader only). */
export interface ReplicaLag {
  readonly peer: PeerId;
  readonly role: 'voter' | 'learner';
  readonly matchIndex: number;
  readonly entriesBehind: number;
  readonly msBehind: number;
}

interface Forward {
  /** The leader it was sent to. */
  readonly peer: PeerId;
  done: boolean;
  result: WireResult | undefined;
  error: GeodeError | undefined;
  /** A call's reply bytes (kind 9). */
  reply?: Uint8Array;
}

/** What serves a service's calls: the caller, the group, the request bytes → the reply bytes (or a GeodeError). */
export type CallHandler = (from: PeerId, group: number, payload: Uint8Array) => Promise<Uint8Array>;

const retryableDetails = new Set(['NotLeader', 'NoLeader', 'LeaderTransfer']);

/** stillLeading: whether `g` still leads in `term` (a read computed as its leader then stands). */
function stillLeading(g: GroupReplica, term: number): boolean {
  return g.node.isLeader() && g.node.raft.term === term;
}

/** A check of writes before they are proposed on a group's leader ({@link ShardHost.setWriteFence}). */
export interface WriteFence {
  /** Whether `group` has anything to fence (cheap: called for every write). */
  active(group: number, graph: GraphReader): boolean;
  /** Throws (a GeodeError) to refuse `commands`, judged against `graph` before them. */
  check(group: number, graph: GraphReader, commands: readonly GraphCommand[]): void;
}

export class ShardHost {
  readonly self: PeerId;
  readonly config: ResolvedShardConfig;
  readonly #c: ShardHostComponents;
  readonly #groups = new Map<number, GroupReplica>();
  readonly #order: GroupReplica[] = [];
  readonly #fd: FailureDetector;
  readonly #waiters = new Waiters(waitingQueriesMax);
  readonly #outbox = new Map<PeerId, FrameItem[]>();
  readonly #forwards = new Map<number, Forward>();
  readonly #writeTexts = new Set<string>();
  readonly #caughtUpAt = new Map<NodeId, number>();
  /** Procedures of {@link ShardHost.registerProcedure}, shared with every group (which re-registers them on each new engine). */
  readonly #procedures: ProcedureDefinition[] = [];
  readonly #appliedListeners = new Set<(group: number) => void>();
  /** What each connected peer said it is (hello item); only announced members become group members. */
  readonly #peerModes = new Map<PeerId, PeerMode>();
  /** Per group, the leader (and term) last told to clients (kind 6 items), as `peer|term`. */
  readonly #announcedLeader = new Map<GroupId, string>();
  /** Per group, the voters placement wants (set by the cluster layer's shard manager); unset: any member. */
  readonly #placement = new Map<GroupId, ReadonlySet<PeerId>>();
  #acceptGroups: (group: number) => boolean = () => false;
  /** Services answering call items (kind 8), by name; and the calls being served now. */
  readonly #services = new Map<string, CallHandler>();
  /** Services whose calls clients (hello mode client) may make; other services answer only members. */
  readonly #clientServices = new Set<string>();
  #serving = 0;
  #nextRequest = 1;
  #nextRead = 1;
  #tick: TimerHandle | undefined;
  #pumping = false;
  #again = false;
  #lastMembership = 0;
  #stopped: GeodeError | undefined;
  #pumpDone: Promise<void> = Promise.resolve();
  /** Frames refused as invalid (the metric `net_frames_rejected_total` on this side). */
  framesRejected = 0;

  private constructor(c: ShardHostComponents, config: ResolvedShardConfig) {
    this.#c = c;
    this.self = c.transport.self;
    this.config = config;
    this.#fd = new FailureDetector(config.fdIntervalMs, config.fdSuspectAfter, config.fdThreshold);
    this.#services.set(versionsService, (_from, group, payload) => this.#serveVersionsBound(group, payload));
  }

  /** start: validates the configuration (CONFIG_INVALID naming the key), opens every group's store and starts ticking. */
  static async start(components: ShardHostComponents, init: ShardHostInit = {}): Promise<ShardHost> {
    const config = validateShardConfig(init.config ?? {});
    const ids = (init.groups ?? [0]).map(groupId);
    if (ids.length === 0 || ids.length > groupsPerHostMax || new Set(ids).size !== ids.length) {
      throw new GeodeError('CONFIG_INVALID', `groups: 1..${groupsPerHostMax} distinct group ids`, { source: 'config', detail: 'groups' });
    }
    const host = new ShardHost(components, config);
    if (init.acceptGroups !== undefined) host.#acceptGroups = init.acceptGroups;
    for (const id of ids) await host.#openGroup(id, init.bootstrap === true);
    components.transport.onFrame((from, frame) => host.#onFrame(from, frame));
    components.transport.onPeer((peer, up) => {
      if (up) {
        host.#fd.watch(peer, host.#now());
        host.#queue(peer, { kind: 'hello', mode: 'member' });
      } else {
        host.#peerModes.delete(peer);
        host.#peerDown(peer);
        for (const listener of host.#peerDownListeners) listener(peer);
      }
      host.#kick();
    });
    for (const peer of components.transport.connected()) host.#queue(peer, { kind: 'hello', mode: 'member' });
    components.transport.onDrain(() => host.#kick());
    host.#scheduleTick();
    host.#kick();
    return host;
  }

  #now(): number {
    return this.#c.clock.now();
  }

  async #openGroup(id: GroupId, bootstrap: boolean | readonly PeerId[]): Promise<void> {
    const c = this.#c;
    const g = await GroupReplica.open(
      {
        id,
        self: this.self,
        selfNode: nodeIdOfPeer(this.self),
        store: c.logStore(id),
        config: this.config,
        random: c.random,
        logger: c.logger,
        now: () => c.clock.now(),
        procedures: this.#procedures,
        versions: c.versions,
      },
      bootstrap,
    );
    this.#groups.set(id, g);
    this.#order.push(g);
    this.#openedAt.set(id, c.clock.now());
  }

  /**
   * addGroup: starts running group `id` on this host (its store from `logStore(id)`). With
   * `bootstrap` and an empty store this peer founds the group as its only voter; with `voters`
   * (this peer among them) and an empty store it starts the group with those voters, as each of
   * them does (the same first entries everywhere: the group needs a majority of them, not one
   * founder); otherwise it waits to be added by the group's leader. No-op when the group runs
   * already. CONFIG_INVALID for a bad id, a voter list without this peer, or past the
   * groups-per-host limit.
   */
  async addGroup(id: number, options: { readonly bootstrap?: boolean; readonly voters?: readonly PeerId[] } = {}): Promise<void> {
    this.#checkRunning();
    const gid = groupId(id);
    if (this.#groups.has(gid) || this.#opening.has(gid)) return this.#opening.get(gid);
    if (this.#groups.size >= groupsPerHostMax) throw new GeodeError('CONFIG_INVALID', `a host runs at most ${groupsPerHostMax} groups`, { source: 'config', detail: 'groups' });
    const voters = options.voters;
    if (voters !== undefined && (!voters.includes(this.self) || new Set(voters).size !== voters.length)) {
      throw new GeodeError('CONFIG_INVALID', `group ${id}: the voters to start with must be distinct and include this peer`, { source: 'config', detail: 'voters' });
    }
    const p = this.#openGroup(gid, voters ?? options.bootstrap === true).finally(() => this.#opening.delete(gid));
    this.#opening.set(gid, p);
    await p;
    this.#kick();
  }

  readonly #opening = new Map<GroupId, Promise<void>>();

  /** groups: the ids of the groups this host runs, in the order they were added. */
  groups(): number[] {
    return this.#order.map((g) => g.id);
  }

  /**
   * setPlacement: the peers that should be `group`'s voters (the cluster layer's placement). The
   * group's leader then adds them as learners first, promotes only them, and demotes voters not in
   * the list once a placed learner took their place (never below the factor's live voters).
   * Other connected members still join as learners up to `async_replicas`. `undefined`: any member.
   */
  setPlacement(group: number, voters: readonly PeerId[] | undefined): void {
    const gid = groupId(group);
    if (voters === undefined) this.#placement.delete(gid);
    else this.#placement.set(gid, new Set(voters));
  }

  /** placement: the voters placement wants for `group` (as last set), or undefined (any member). */
  placement(group: number): PeerId[] | undefined {
    const placed = this.#placement.get(groupId(group));
    return placed === undefined ? undefined : [...placed];
  }

  /**
   * serveClientsWith: clients' statements for group 0 run through `runner` instead of this host's
   * own `query` (a sharded cluster's router: group 0 is then its meta group). undefined: `query`.
   */
  serveClientsWith(runner: ((text: string, params: Readonly<Record<string, unknown>>, options: ShardQueryOptions) => Promise<ShardQueryResult>) | undefined): void {
    this.#clientRunner = runner;
  }

  #clientRunner: ((text: string, params: Readonly<Record<string, unknown>>, options: ShardQueryOptions) => Promise<ShardQueryResult>) | undefined;

  readonly #peerDownListeners = new Set<(peer: PeerId) => void>();

  /**
   * onPeerDown: `listener` is called with a peer (member or client) whose last connection to this
   * host closed, after the host's own bookkeeping (e.g. a member drops the remote transactions a
   * client held: src/api/remote-transaction.ts). Returns a function that removes the listener.
   */
  onPeerDown(listener: (peer: PeerId) => void): () => void {
    this.#peerDownListeners.add(listener);
    return () => this.#peerDownListeners.delete(listener);
  }

  /** Per group: the leader lease this host holds (docs/shard.md, "Lease reads"): its term and until when (host clock). */
  readonly #leases = new Map<number, { readonly term: number; readonly until: number }>();
  /** Per group: a term in which this host sent MsgTimeoutNow (a forced election may follow): no lease reads in it. */
  readonly #leaseVoidTerm = new Map<number, number>();
  /** Per group: a background ReadIndex round renewing the lease is under way. */
  readonly #leaseRenewing = new Set<number>();
  /** Per group: when it started running here (a replica ignores vote requests for an election timeout after, see #stepAll). */
  readonly #openedAt = new Map<number, number>();
  /** Reads answered under a leader lease, and ReadIndex rounds begun (leases renewed included). */
  leaseReads = 0;
  readIndexRounds = 0;
  /**
   * Loop counters (bench:shards' per-write figures): iterations of the pump that took a Ready,
   * store syncs, log entries appended (this replica's own log, leader or follower), frames sent,
   * and Raft messages sent by kind (`MsgApp`, `MsgAppResp`, `MsgHeartbeat`, ...).
   */
  readonly loopCounters = { turns: 0, syncs: 0, entries: 0, frames: 0, messages: new Map<string, number>() };

  /** memberPeers: connected peers that announced themselves as members (hello), sorted. */
  memberPeers(): PeerId[] {
    const out: PeerId[] = [];
    for (const p of this.#c.transport.connected()) if (this.#peerModes.get(p) === 'member') out.push(p);
    return out.sort();
  }

  #group(id: number | undefined): GroupReplica {
    const g = id === undefined ? this.#order[0] : this.#groups.get(id);
    if (g === undefined) throw new GeodeError('NOT_FOUND', `this host does not run group ${String(id)}`);
    return g;
  }

  #checkRunning(): void {
    if (this.#stopped !== undefined) throw this.#stopped;
  }

  // ------------------------------------------------------------------------------ the loop

  #scheduleTick(): void {
    this.#tick = this.#c.clock.after(this.config.tickMs, () => this.#onTick());
  }

  #onTick(): void {
    if (this.#stopped !== undefined) return;
    const now = this.#now();
    for (const g of this.#order) {
      g.node.tick();
      g.observe(now);
    }
    if (now - this.#lastMembership >= membershipCheckMs) {
      this.#lastMembership = now;
      for (const g of this.#order) if (g.node.isLeader()) this.#checkMembership(g, now);
    }
    this.#waiters.poll(now);
    this.#kick();
    this.#scheduleTick();
  }

  #kick(): void {
    if (this.#stopped !== undefined) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    this.#pumpDone = new Promise<void>((resolve) => {
      queueMicrotask(() => {
        this.#pump().then(resolve, (err: unknown) => {
          this.#fail(err);
          resolve();
        });
      });
    });
  }

  /** One loop: take every group's Ready, sync every store once, send one frame per peer, apply. */
  async #pump(): Promise<void> {
    try {
      for (;;) {
        this.#again = false;
        const now = this.#now();
        const batch: [GroupReplica, ReturnType<GroupReplica['takeReady']> & object][] = [];
        /** Stores whose staged writes must be durable before this iteration's messages go out. */
        const stores = new Set<LogStore>();
        for (const g of this.#order) {
          g.observe(now);
          g.flushProposals();
          const prev = g.log.initialState().hardState;
          const rd = g.takeReady();
          if (rd === undefined) continue;
          batch.push([g, rd]);
          // A leadership transfer lets its target win an election its voters' leases would refuse:
          // no lease reads for the rest of this term (before the message leaves).
          if (rd.messages.some((m) => m.type === 'MsgTimeoutNow')) {
            this.#leaseVoidTerm.set(g.id, g.node.raft.term);
            this.#leases.delete(g.id);
          }
          // As etcd's MustSync: entries, a snapshot, a new term or vote must be on disk first; a hard
          // state that only moves the commit index is staged and rides along with the next sync
          // (a commit index lost in a crash is learnt again from the leader).
          const hs = rd.hardState;
          const stateChanged = hs !== undefined && (hs.term !== prev.term || hs.vote !== prev.vote);
          this.#termOrVoteChanged.set(g, stateChanged);
          if (rd.snapshot !== undefined || rd.entries.length > 0 || stateChanged) stores.add(g.store);
        }
        if (batch.length > 0) {
          // Before the sync: what does not depend on this iteration's writes. (a) Committed entries
          // already durable before this Ready are applied (their writes answered, their reads
          // released) while the store syncs the new ones. (b) A leader's AppendEntries and
          // heartbeats go out now, in parallel with its own sync (Raft thesis §10.2.1): the leader
          // counts itself only for what it appended, and nothing that depends on its new entries
          // being durable (a commit index that includes them, an answer) leaves before the next
          // iteration, which starts after this sync. Not when the Ready carries a snapshot or a new
          // term or vote: those must be on disk before any message.
          const early = new Set<RaftItem['messages'][number]>();
          let appliedEarly = false;
          for (const [g, rd] of batch) {
            if (rd.snapshot !== undefined || this.#termOrVoteChanged.get(g) === true) continue;
            const durable = rd.entries.length > 0 ? Math.min(g.durableIndex, rd.entries[0]!.index - 1) : g.durableIndex;
            let n = 0;
            while (n < rd.committedEntries.length && rd.committedEntries[n]!.index <= durable) n++;
            if (n > 0) {
              g.applyCommitted(rd, n);
              appliedEarly = true;
            }
            if (g.node.raft.state === 'leader') for (const m of rd.messages) if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat') early.add(m);
          }
          if (early.size > 0) this.#queueMessages(batch, (m) => early.has(m));
          if (appliedEarly) {
            for (const [g] of batch) this.#notifyApplied(g.id);
            this.#waiters.poll(this.#now());
          }
          this.#flush();
          // Step 1: every group's writes durable, with one sync per store.
          this.loopCounters.turns++;
          this.loopCounters.syncs += stores.size;
          if (stores.size > 0) await Promise.all([...stores].map((s) => s.sync()));
          if (this.#stopped !== undefined) return;
          for (const [g, rd] of batch) {
            this.loopCounters.entries += rd.entries.length;
            if (rd.entries.length > 0) g.durableIndex = rd.entries[rd.entries.length - 1]!.index;
            else if (rd.snapshot !== undefined) g.durableIndex = rd.snapshot.metadata.index;
          }
          // Step 2: the other messages, batched per peer.
          this.#queueMessages(batch, (m) => !early.has(m));
          this.#flush();
          // Steps 3 and 4: apply, advance; then compact when due.
          for (const [g, rd] of batch) {
            g.finishReady(rd);
            if (rd.committedEntries.length > 0 || rd.snapshot !== undefined) this.#notifyApplied(g.id);
            await g.maybeSnapshot();
            if (g.savingFailure !== undefined) throw g.savingFailure;
            if (this.#stopped !== undefined) return;
          }
        }
        this.#announceLeaders();
        this.#flush();
        this.#trackLag(this.#now());
        this.#waiters.poll(this.#now());
        if (!this.#again && batch.length === 0) return;
      }
    } finally {
      this.#pumping = false;
    }
  }

  #leaderItem(g: GroupReplica): LeaderItem {
    return { kind: 'leader', group: g.id, leader: g.leaderPeer(), term: g.node.raft.term };
  }

  /** Tells every connected client about a group whose leader (or term) changed since it was last told. */
  #announceLeaders(): void {
    for (const g of this.#order) {
      const item = this.#leaderItem(g);
      const key = `${item.leader ?? ''}|${item.term}`;
      if (this.#announcedLeader.get(g.id) === key) continue;
      this.#announcedLeader.set(g.id, key);
      for (const [peer, mode] of this.#peerModes) if (mode === 'client') this.#queue(peer, item);
    }
  }

  /** Whether the group's current Ready changes its term or vote (it must be durable before any message). */
  readonly #termOrVoteChanged = new Map<GroupReplica, boolean>();


  /** Queues the Ready messages `which` selects, one raft item per group and peer. */
  #queueMessages(batch: readonly (readonly [GroupReplica, { readonly messages: readonly RaftItem['messages'][number][] }])[], which: (m: RaftItem['messages'][number]) => boolean): void {
    for (const [g, rd] of batch) {
      if (rd.messages.length === 0) continue;
      const byPeer = new Map<PeerId, RaftItem['messages'][number][]>();
      const sent = this.loopCounters.messages;
      for (const m of rd.messages) {
        if (!which(m)) continue;
        sent.set(m.type, (sent.get(m.type) ?? 0) + 1);
        const peer = g.peerOf(m.to);
        if (peer === undefined) {
          g.node.reportUnreachable(m.to);
          continue;
        }
        let list = byPeer.get(peer);
        if (list === undefined) byPeer.set(peer, (list = []));
        list.push(m);
      }
      for (const [peer, messages] of byPeer) this.#queue(peer, { kind: 'raft', group: g.id, messages });
    }
  }

  #queue(peer: PeerId, item: FrameItem): void {
    let list = this.#outbox.get(peer);
    if (list === undefined) this.#outbox.set(peer, (list = []));
    list.push(item);
  }

  /** Sends every queued item: one frame per peer, split only when it would pass the frame limit. */
  #flush(): void {
    if (this.#outbox.size === 0) return;
    const t = this.#c.transport;
    for (const [peer, items] of this.#outbox) {
      for (let i = 0; i < items.length; i += frameItemsMax) this.#sendItems(peer, items.slice(i, i + frameItemsMax), t);
    }
    this.#outbox.clear();
  }

  #sendItems(peer: PeerId, items: FrameItem[], t: PeerTransport): void {
    const frame = encodeFrame(items);
    if (frame.length <= t.maxFrameBytes) {
      this.loopCounters.frames++;
      if (!t.send(peer, frame)) this.#unreachable(peer, items);
      else this.#snapshotsSent(items);
      return;
    }
    if (items.length > 1) {
      const half = items.length >> 1;
      this.#sendItems(peer, items.slice(0, half), t);
      this.#sendItems(peer, items.slice(half), t);
      return;
    }
    const only = items[0]!;
    if (only.kind === 'raft' && only.messages.length > 1) {
      const half = only.messages.length >> 1;
      this.#sendItems(peer, [{ ...only, messages: only.messages.slice(0, half) }], t);
      this.#sendItems(peer, [{ ...only, messages: only.messages.slice(half) }], t);
      return;
    }
    // One message larger than a frame: today only a big snapshot (chunking is future work).
    this.#warn(`a ${only.kind} item of ${frame.length} bytes for ${peer} is larger than a frame (${t.maxFrameBytes}); not sent`);
    this.#unreachable(peer, items);
  }

  /**
   * A snapshot handed to the transport is reported finished (as etcd's transport reports
   * SnapshotFinish): the follower's progress leaves `snapshot` for `probe`. Were it never
   * reported, a follower whose acknowledgement of the snapshot was lost (it crashed right after
   * installing it, say) would stay paused forever; if the snapshot itself was lost, the probe is
   * rejected and a new snapshot goes out.
   */
  #snapshotsSent(items: readonly FrameItem[]): void {
    for (const it of items) {
      if (it.kind !== 'raft') continue;
      const g = this.#groups.get(it.group);
      if (g === undefined) continue;
      for (const m of it.messages) if (m.type === 'MsgSnap') g.node.reportSnapshot(m.to, true);
    }
  }

  #unreachable(peer: PeerId, items: readonly FrameItem[]): void {
    for (const it of items) {
      if (it.kind === 'query' || it.kind === 'call') {
        // Never sent: it surely did not run; the asker waits for a leader and tries again.
        this.#settleForward(it.requestId, new GeodeError('PROPOSAL_DROPPED', `the leader ${peer} is not reachable now`, { detail: 'NotLeader' }));
        continue;
      }
      if (it.kind !== 'raft') continue;
      const g = this.#groups.get(it.group);
      if (g === undefined) continue;
      for (const m of it.messages) {
        if (m.type === 'MsgSnap') g.node.reportSnapshot(m.to, false);
        else g.node.reportUnreachable(m.to);
      }
    }
    void peer;
  }

  #settleForward(requestId: number, error: GeodeError): void {
    const f = this.#forwards.get(requestId);
    if (f === undefined || f.done) return;
    this.#forwards.delete(requestId);
    f.done = true;
    f.error = error;
  }

  /** A peer's connection closed: statements forwarded to it will get no answer. */
  #peerDown(peer: PeerId): void {
    for (const [id, f] of this.#forwards) {
      if (f.peer !== peer) continue;
      this.#settleForward(
        id,
        new GeodeError('PROPOSAL_DROPPED', `the leader ${peer} went away before answering: the write may or may not have happened`, { detail: 'OutcomeUnknown' }),
      );
    }
    this.#waiters.poll(this.#now());
  }

  #warn(message: string): void {
    this.#c.onWarning?.(message);
  }

  // ------------------------------------------------------------------------------ receiving

  #onFrame(from: PeerId, frame: Uint8Array): void {
    if (this.#stopped !== undefined) return;
    let items: FrameItem[];
    try {
      items = decodeFrame(frame, { peer: from, maxFrameBytes: this.#c.transport.maxFrameBytes, knownGroup: (id) => this.#groups.has(id) || this.#acceptGroups(id) });
      const claimed = nodeIdOfPeer(from);
      for (const it of items) {
        if (it.kind !== 'raft') continue;
        for (const m of it.messages) {
          if (m.from !== claimed) throw new GeodeError('INPUT_INVALID', `bad frame from peer ${from}: a message claims node ${m.from}, the peer is node ${claimed}`, { source: from });
          // A forwarded proposal is appended and later applied as it is: its commands must decode now.
          if (m.type === 'MsgProp') for (const e of m.entries) if (e.type === 'normal' && e.data.length > 0) decodeEntry(e.data, `bad frame from peer ${from}: a proposed entry`);
        }
      }
    } catch (err) {
      this.#refuse(from, err);
      return;
    }
    const now = this.#now();
    this.#fd.heard(from, now);
    for (const it of items) {
      if (it.kind !== 'hello' && it.kind !== 'result' && it.kind !== 'error' && !this.#groups.has(it.group)) {
        // An accepted group this host does not run (yet): Raft traffic waits for the group; a request is answered.
        if (it.kind === 'query' || it.kind === 'clientQuery' || it.kind === 'apply' || it.kind === 'call') {
          this.#queue(from, { kind: 'error', group: it.group, requestId: it.requestId, code: 'NOT_FOUND', message: `peer ${this.self} does not run group ${it.group}`, detail: 'NotLeader' });
        }
        continue;
      }
      switch (it.kind) {
        case 'raft':
          this.#stepAll(from, it, now);
          break;
        case 'query':
          void this.#serveForwarded(from, it);
          break;
        case 'hello':
          // The first hello from a peer is answered with ours: the hello this host sent when the
          // peer came up may have reached it before its own host listened (the network of a
          // process is up before its store is open) and been dropped. Each side answers only its
          // first hello per connection, so the exchange ends.
          if (!this.#peerModes.has(from)) this.#queue(from, { kind: 'hello', mode: 'member' });
          this.#peerModes.set(from, it.mode);
          if (it.mode === 'client') for (const g of this.#order) this.#queue(from, this.#leaderItem(g));
          break;
        case 'leader':
          break; // meant for clients; a member learns its leader from Raft
        case 'clientQuery':
          void this.#serveClient(from, it);
          break;
        case 'apply':
          void this.#serveApply(from, it);
          break;
        case 'call':
          void this.#serveCall(from, it);
          break;
        case 'result':
        case 'reply':
        case 'error': {
          const f = this.#forwards.get(it.requestId);
          if (f === undefined || f.peer !== from) break; // timed out already, or a stray (or forged) answer
          this.#forwards.delete(it.requestId);
          f.done = true;
          if (it.kind === 'result') f.result = it.result;
          else if (it.kind === 'reply') f.reply = it.payload;
          else f.error = new GeodeError(it.code, it.message, { ...(it.detail === '' ? {} : { detail: it.detail }), source: from });
          break;
        }
      }
    }
    this.#waiters.poll(now);
    this.#kick();
  }

  #refuse(from: PeerId, err: unknown): void {
    if (!isGeodeError(err, 'INPUT_INVALID')) throw err;
    this.framesRejected++;
    this.#warn(err.message);
    this.#c.transport.reject(from, err.message);
  }

  #stepAll(from: PeerId, item: RaftItem, now: number): void {
    const g = this.#groups.get(item.group)!;
    for (const m of item.messages) {
      if (m.to !== g.selfNode) continue; // meant for an earlier identity; Raft would drop it too
      if ((m.type === 'MsgVote' || m.type === 'MsgPreVote') && m.transfer !== true && this.config.leaseMs > 0 && now - (this.#openedAt.get(g.id) ?? 0) < this.config.electionMinMs) {
        // Just started (or restarted): it may have acknowledged a leader whose lease still runs, and
        // forgot. Until an election timeout passed it votes for no one, as if it still heard that leader.
        continue;
      }
      g.hints.set(m.from, from);
      if ((m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') && m.term >= g.node.raft.term) g.leaderContactAt = now;
      try {
        g.node.step(m);
      } catch (err) {
        this.#refuse(from, err);
        return;
      }
      g.observe(now);
    }
  }

  // ------------------------------------------------------------------------------ queries

  /**
   * query: runs one statement on a group. Writes are answered once committed by a majority;
   * reads per `readQuorum`. Rejects with the statement's GeodeError, or PROPOSAL_DROPPED
   * (`LeaderChanged`: the write did not happen and may be retried; `NoLeader`, ...), or
   * LIMIT_EXCEEDED (`RequestTimeout`: a write's outcome is then unknown), or CLOSED.
   */
  async query(text: string, params?: Readonly<Record<string, unknown>>, options: ShardQueryOptions = {}): Promise<ShardQueryResult> {
    this.#checkRunning();
    if (typeof text !== 'string') throw new GeodeError('GQL_TYPE', 'query text must be a string', { source: 'query' });
    const g = this.#group(options.group);
    const engineParams = toEngineParams(params);
    const timeout = options.timeoutMs ?? this.config.requestTimeoutMs;
    const deadline = this.#now() + timeout;
    const rq = options.readQuorum ?? this.config.readQuorum;
    if (rq !== 'majority' && rq !== 1) throw new GeodeError('CONFIG_INVALID', `readQuorum must be 'majority' or 1`, { source: 'query', detail: 'read_quorum' });
    if (rq === 1) return this.#localRead(g, text, engineParams, deadline);
    for (;;) {
      await this.#waitForLeader(g, deadline);
      if (g.leaderReady()) {
        try {
          return await this.#onLeader(g, text, engineParams, deadline);
        } catch (err) {
          // It stopped leading before anything was proposed (a read not confirmed, a write held off): again.
          if (isGeodeError(err, 'PROPOSAL_DROPPED') && err.detail === 'NotLeader') continue;
          throw err;
        }
      }
      if (this.#writeTexts.has(text)) {
        const r = await this.#forward(g, text, engineParams, deadline);
        if (r !== undefined) return r;
        continue;
      }
      const r = await this.#followerRead(g, text, engineParams, deadline);
      if (r !== undefined) return r;
    }
  }

  #waitForLeader(g: GroupReplica, deadline: number): Promise<void> {
    return this.#waiters.until(
      () => {
        this.#checkRunning();
        if (g.leaderReady()) return true;
        const lead = g.node.leader();
        return lead !== NO_NODE && lead !== g.selfNode && g.peerOf(lead) !== undefined;
      },
      deadline,
      `a leader of group ${g.id}`,
    );
  }

  #rememberWrite(text: string): void {
    if (this.#writeTexts.size >= writeTextCacheMax) this.#writeTexts.clear();
    this.#writeTexts.add(text);
  }

  /** On the ready leader: run; a write is proposed and answered at commit; a read confirms leadership and waits for what it saw. */
  async #onLeader(g: GroupReplica, text: string, params: Record<string, Value>, deadline: number): Promise<ShardQueryResult> {
    let exec = this.#withWriteHook(g, g.execute(text, params, undefined, () => this.#now()));
    if (exec.commands.length > 0 && this.#writeFence?.active(g.id, g.graph) === true) {
      // The fence judges the commands against the graph before them: undo, check, run again.
      const commands = exec.commands;
      exec.rollback();
      this.#writeFence.check(g.id, g.graph, commands);
      exec = this.#withWriteHook(g, g.execute(text, params, undefined, () => this.#now()));
    }
    // A write touching what a prepared transaction locks waits for its resolution (run again then).
    while (exec.commands.length > 0 && this.#writeGuard?.(g.id, g.graph, exec.commands) === false) {
      exec.rollback();
      if (this.#now() >= deadline) throw new GeodeError('LIMIT_EXCEEDED', `timed out waiting for a transaction holding what the statement writes on group ${g.id}`, { detail: 'RequestTimeout' });
      await new Promise((ok) => setTimeout(ok, 5));
      if (!g.leaderReady()) throw new GeodeError('PROPOSAL_DROPPED', `peer ${this.self} is not the ready leader of group ${g.id}`, { detail: 'NotLeader' });
      exec = this.#withWriteHook(g, g.execute(text, params, undefined, () => this.#now()));
    }
    if (exec.commands.length > 0) {
      this.#rememberWrite(text);
      const s = g.proposeSpeculative(exec);
      this.#kick();
      await this.#waitSpec(s, deadline);
      return s.result;
    }
    const term = g.node.raft.term;
    const seen = g.spec[g.spec.length - 1];
    if (this.#leaseHeld(g, term)) {
      // Leader lease: no other leader since a quorum's last acknowledgement, so what this replica
      // holds (once what it saw commits) is the latest.
      this.leaseReads++;
      if (seen !== undefined) await this.#waitSpec(seen, deadline);
      return exec.result;
    }
    await this.#readIndex(g, deadline);
    if (!stillLeading(g, term)) {
      throw new GeodeError('PROPOSAL_DROPPED', `peer ${this.self} stopped leading group ${g.id} while confirming a read (ask the new leader)`, { detail: 'NotLeader' });
    }
    if (seen !== undefined) await this.#waitSpec(seen, deadline);
    return exec.result;
  }

  async #waitSpec(s: SpecWrite, deadline: number): Promise<void> {
    await this.#waiters.until(() => s.state !== 'pending', deadline, s.index > 0 ? `the commit of log entry ${s.index}` : 'the commit of a write');
    if (s.state === 'committed') return;
    if (s.state === 'refused') throw s.error;
    if (s.state === 'dropped') {
      throw new GeodeError('PROPOSAL_DROPPED', `the leader changed before log entry ${s.index} committed; the write did not happen (retry it)`, { detail: 'LeaderChanged' });
    }
    throw new GeodeError('PROPOSAL_DROPPED', `the leader changed before log entry ${s.index} committed, and a snapshot hid the outcome: the write may or may not have happened`, {
      detail: 'OutcomeUnknown',
    });
  }

  /** A ReadIndex round: resolves with the index to wait for (re-asked while no answer comes). */
  async #readIndex(g: GroupReplica, deadline: number): Promise<number> {
    const ctx = `${this.self}:${this.#nextRead++}`;
    const resendMs = 2 * (this.config.raft.heartbeat_ms ?? 50);
    let asked = this.#now();
    this.readIndexRounds++;
    // A lease starts when the round was first asked: every heartbeat a quorum acknowledged for it left later.
    const firstAsked = asked;
    const leaderTerm = g.node.isLeader() ? g.node.raft.term : undefined;
    g.node.readIndex(ctx);
    this.#kick();
    await this.#waiters.until(
      () => {
        this.#checkRunning();
        if (g.readStates.has(ctx)) return true;
        const now = this.#now();
        if (now - asked >= resendMs) {
          asked = now;
          g.node.readIndex(ctx);
          this.#kick();
        }
        return false;
      },
      deadline,
      `a read index of group ${g.id}`,
    );
    const index = g.readStates.get(ctx)!;
    g.readStates.delete(ctx);
    if (leaderTerm !== undefined && this.config.leaseMs > 0 && stillLeading(g, leaderTerm) && this.#leaseVoidTerm.get(g.id) !== leaderTerm) {
      const until = firstAsked + this.config.leaseMs;
      const held = this.#leases.get(g.id);
      if (held === undefined || held.term !== leaderTerm || held.until < until) this.#leases.set(g.id, { term: leaderTerm, until });
    }
    return index;
  }

  /**
   * #leaseHeld: whether this host may answer a read of `g` at once, as its leader in `term`,
   * without a ReadIndex round: a quorum acknowledged its heartbeats less than the lease ago (so
   * no other leader can have been elected since: the voters that acknowledged ignore vote requests
   * for an election timeout), no transfer was begun in the term, and the leader is ready (an entry
   * of its term committed). Renews the lease in the background once half of it ran.
   */
  #leaseHeld(g: GroupReplica, term: number): boolean {
    if (this.config.leaseMs <= 0) return false;
    const lease = this.#leases.get(g.id);
    if (lease === undefined || lease.term !== term || !stillLeading(g, term) || !g.leaderReady()) return false;
    if (g.node.raft.leadTransferee !== NO_NODE || this.#leaseVoidTerm.get(g.id) === term) return false;
    const now = this.#now();
    if (now >= lease.until) return false;
    if (lease.until - now < this.config.leaseMs / 2 && !this.#leaseRenewing.has(g.id)) {
      this.#leaseRenewing.add(g.id);
      void this.#readIndex(g, now + this.config.requestTimeoutMs)
        .catch(() => {})
        .finally(() => this.#leaseRenewing.delete(g.id));
    }
    return true;
  }

  /** On a follower: ReadIndex, wait until applied, run; undefined when the statement writes (it is then forwarded). */
  async #followerRead(g: GroupReplica, text: string, params: Record<string, Value>, deadline: number): Promise<ShardQueryResult | undefined> {
    const index = await this.#readIndex(g, deadline);
    await this.#waiters.until(() => g.applied() >= index, deadline, `group ${g.id} to apply index ${index}`);
    if (g.spec.length > 0 || g.leaderReady()) return undefined; // became leader meanwhile: run there
    const exec = g.execute(text, params, undefined, () => this.#now());
    if (exec.commands.length > 0) {
      exec.rollback();
      this.#rememberWrite(text);
      return undefined;
    }
    return exec.result;
  }

  /** read_quorum 1: this replica's state now, with its staleness. A write still goes to the leader. */
  async #localRead(g: GroupReplica, text: string, params: Record<string, Value>, deadline: number): Promise<ShardQueryResult> {
    const exec = g.execute(text, params, undefined, () => this.#now());
    if (exec.commands.length > 0) {
      exec.rollback();
      this.#rememberWrite(text);
      return this.query(text, params as Record<string, unknown>, { group: g.id, readQuorum: 'majority', timeoutMs: Math.max(1, deadline - this.#now()) });
    }
    const seen = g.spec[g.spec.length - 1];
    if (seen !== undefined) await this.#waitSpec(seen, deadline);
    const now = this.#now();
    const commitIndex = g.node.raft.log.committed;
    const appliedIndex = g.applied();
    const staleness: Staleness = {
      appliedIndex,
      commitIndex,
      entriesBehind: Math.max(0, commitIndex - appliedIndex),
      msSinceLeaderContact: g.node.isLeader() ? 0 : Math.max(0, now - g.leaderContactAt),
    };
    return { ...exec.result, staleness };
  }

  /** Sends the statement to the leader; undefined when it answered "not the leader" (try again). */
  async #forward(g: GroupReplica, text: string, params: Record<string, Value>, deadline: number): Promise<ShardQueryResult | undefined> {
    const leader = g.leaderPeer();
    if (leader === undefined || leader === this.self) return undefined;
    if (this.#forwards.size >= forwardedRequestsMax) {
      throw new GeodeError('LIMIT_EXCEEDED', `more than ${forwardedRequestsMax} statements wait on the leader`, { detail: 'TooManyPending' });
    }
    const requestId = this.#nextRequest++;
    const f: Forward = { peer: leader, done: false, result: undefined, error: undefined };
    this.#forwards.set(requestId, f);
    this.#queue(leader, { kind: 'query', group: g.id, requestId, text, params });
    this.#kick();
    try {
      await this.#waiters.until(() => f.done, deadline, `the leader ${leader} to answer`);
    } finally {
      this.#forwards.delete(requestId);
    }
    if (f.result !== undefined) return f.result;
    const err = f.error!;
    if (err.code === 'PROPOSAL_DROPPED' && err.detail !== undefined && retryableDetails.has(err.detail)) {
      // Not executed: wait for the leadership to move, or (a new leader not ready yet, a transfer
      // under way) a heartbeat interval, then try again.
      const retryAt = Math.min(deadline - 1, this.#now() + (this.config.raft.heartbeat_ms ?? 50));
      await this.#waiters.until(() => g.leaderPeer() !== leader || this.#now() >= retryAt, deadline, `a new leader of group ${g.id}`);
      return undefined;
    }
    throw err;
  }

  /** The leader's side of a forwarded statement. */
  async #serveForwarded(from: PeerId, item: QueryItem): Promise<void> {
    const g = this.#groups.get(item.group)!;
    let reply: FrameItem;
    try {
      if (!g.leaderReady()) {
        throw new GeodeError('PROPOSAL_DROPPED', `peer ${this.self} is not the ready leader of group ${g.id}`, { detail: g.node.isLeader() ? 'LeaderTransfer' : 'NotLeader' });
      }
      const result = await this.#onLeader(g, item.text, item.params as Record<string, Value>, this.#now() + this.config.requestTimeoutMs);
      reply = { kind: 'result', group: g.id, requestId: item.requestId, result };
    } catch (err) {
      const e = isGeodeError(err) ? err : new GeodeError('IO', `the leader failed: ${err instanceof Error ? err.message : String(err)}`);
      reply = { kind: 'error', group: g.id, requestId: item.requestId, code: e.code, message: e.message, detail: e.detail ?? '' };
    }
    if (this.#stopped !== undefined) return;
    this.#queue(from, reply);
    this.#kick();
  }

  /**
   * readGraph: runs `read` on a group's graph at a linearizable point (ReadIndex, as a query with
   * `read_quorum` majority) and returns what it returns; `read` must not keep the reader. On the
   * leader it reads the graph with its speculative writes and answers once the last of them
   * committed; on a follower, once it applied everything committed when asked. This is how the
   * cluster layer's coordinator reads a shard. Rejects as `query` (NOT_FOUND for a group this host
   * does not run, RequestTimeout, CLOSED).
   */
  async readGraph<T>(group: number, read: (graph: GraphReader) => T, options: { readonly timeoutMs?: number } = {}): Promise<T> {
    this.#checkRunning();
    const g = this.#group(group);
    const deadline = this.#now() + (options.timeoutMs ?? this.config.requestTimeoutMs);
    for (;;) {
      await this.#waitForLeader(g, deadline);
      if (g.leaderReady()) {
        const term = g.node.raft.term;
        const out = read(g.graph);
        const seen = g.spec[g.spec.length - 1];
        if (this.#leaseHeld(g, term)) {
          this.leaseReads++;
          if (seen !== undefined) await this.#waitSpec(seen, deadline);
          return out;
        }
        await this.#readIndex(g, deadline);
        // The read stands only if this replica led, in that term, until the round confirmed it: a
        // leader deposed meanwhile has its re-asked round confirmed by the new leader, which says
        // nothing of the graph it read (seed 1374 of sim:txn). Read again then.
        if (!stillLeading(g, term)) continue;
        if (seen !== undefined) await this.#waitSpec(seen, deadline);
        return out;
      }
      const index = await this.#readIndex(g, deadline);
      await this.#waiters.until(() => g.applied() >= index, deadline, `group ${g.id} to apply index ${index}`);
      if (g.spec.length > 0 || g.leaderReady()) continue; // became leader meanwhile: read there
      return read(g.graph);
    }
  }

  /**
   * graphIndex: the log index this replica's graph of `group` stands at (the last entry it applied), or
   * undefined while it holds speculative writes not committed yet (a leader's). Two replicas whose
   * graphs stand at the same index hold the same committed graph; a write to the group moves it.
   * Graph transactions check with it that a shard did not change since they read it
   * (src/txn/graph-transaction.ts).
   */
  graphIndex(group: number): number | undefined {
    const g = this.#group(group);
    // Not raft's applied index: the pump applies entries early, before the sync that moves it.
    return g.spec.length > 0 ? undefined : g.graphApplied();
  }

  /**
   * snapshotIndex: the index of the last entry this replica's graph of `group` applied (a leader's
   * speculative writes not counted): where a transaction's snapshot of the group starts; read it
   * with {@link graphAt}.
   */
  snapshotIndex(group: number): number {
    return this.#group(group).graphApplied();
  }

  /**
   * graphAt: runs `fn` synchronously on `group`'s graph as it stood at log index `index` (a
   * snapshot, at or below {@link graphIndex}): a leader's speculative writes are rolled back
   * (newest first), the entries after `index` undone from the MVCC history (newest first), `fn`
   * runs, and everything is redone in order — nothing else touches the graph meanwhile, so no
   * reader or writer sees the travel. `fn` must leave the graph as it found it; its second
   * argument says whether the undone entries changed the schema (plans made on the newer graph
   * may not fit). Throws PROPOSAL_DROPPED `SnapshotTooOld` (retryable) when the history no longer
   * reaches back to `index` (see src/shard/mvcc-history.ts).
   */
  graphAt<T>(group: number, index: number, fn: (graph: GraphStore, schemaChanged: boolean) => T): T {
    const g = this.#group(group);
    const applied = g.graphApplied();
    assert(index <= applied, `group ${group}: a snapshot at ${index} is past the applied index ${applied}`);
    const undone = g.history.after(index);
    if (undone === undefined) throw snapshotTooOld(group, index, g.history.floor);
    const spec = g.spec;
    if (undone.length === 0 && spec.length === 0) return fn(g.graph, false);
    const graph = g.graph;
    let schema = false;
    for (let i = spec.length - 1; i >= 0; i--) spec[i]!.rollback();
    for (let i = undone.length - 1; i >= 0; i--) {
      const e = undone[i]!;
      e.undo();
      if (e.schema) schema = true;
    }
    try {
      return fn(graph, schema);
    } finally {
      for (const e of undone) for (const c of e.commands) graph.applyWithoutUndo(c);
      for (const s of spec) for (const c of s.commands) graph.applyWithoutUndo(c);
      if (schema) g.engine.invalidatePlans();
    }
  }

  /**
   * pinSnapshot: a transaction reads `group` at `index` until wall ms `until` (this host's clock):
   * the group's MVCC history keeps every entry after `index` (within
   * `transactions.mvcc_history_entries`) until the returned release is called or `until` passes.
   * Throws `SnapshotTooOld` when the history no longer reaches back to `index`.
   */
  pinSnapshot(group: number, index: number, until: number): () => void {
    const g = this.#group(group);
    if (index < g.history.floor) throw snapshotTooOld(group, index, g.history.floor);
    const unpin = g.history.pin(index, until);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      unpin();
      g.history.collect(this.#now(), g.graphApplied());
    };
  }

  /** versionClock: the clock stamping this host's entries (undefined: entries go unstamped). */
  get versionClock(): VersionClock | undefined {
    return this.#c.versions;
  }

  /**
   * versionStampAt: the version stamp of `group`'s graph at log index `index` on this replica (an
   * applied index the MVCC history reaches), undefined when unknown (unstamped entries).
   */
  versionStampAt(group: number, index: number): VersionStamp | undefined {
    return this.#group(group).history.stampAt(index);
  }

  /**
   * snapshotIndexAt: the log index of `group`'s version at snapshot timestamp `ts` on this replica
   * — the last entry stamped at or before `ts` — for a read at a past timestamp (read it with
   * {@link graphAt}). `ts` must be closed: at least `transactions.max_clock_skew_ms` before this
   * host's clock, so that no leader stamps an entry at or before it any more (peers' clocks being
   * within that skew); INPUT_INVALID `TimestampNotClosed` otherwise. When this replica applied an
   * entry stamped after `ts`, the answer is local (stamps grow with the index); else the group's
   * leader confirms its leadership and tells its last log index (the entries it proposed: the only
   * ones that can still be stamped at or before `ts`), and this replica waits to apply them.
   * PROPOSAL_DROPPED `SnapshotTooOld` (retryable with a newer `ts`) when the history no longer
   * reaches back to `ts`; UNSUPPORTED `Unstamped` without a version clock or for unstamped entries.
   */
  async snapshotIndexAt(group: number, ts: VersionStamp, options: { readonly timeoutMs?: number } = {}): Promise<number> {
    this.#checkRunning();
    const g = this.#group(group);
    this.checkReadableAt(ts);
    const deadline = this.#now() + (options.timeoutMs ?? this.config.requestTimeoutMs);
    const newest = g.history.newestStamp;
    if (newest === undefined || compareStamps(newest, ts) <= 0 || g.spec.length > 0) {
      const bound = await this.#lastIndexOfLeader(g, deadline);
      await this.#waiters.until(
        () => {
          this.#checkRunning();
          return g.graphApplied() >= bound || newerThan(g.history.newestStamp, ts);
        },
        deadline,
        `group ${g.id} to apply index ${bound}`,
      );
    }
    const at = g.history.indexAt(ts);
    if ('index' in at) return at.index;
    if (at.unstamped && g.history.newestStamp === undefined) {
      throw new GeodeError('UNSUPPORTED', `shard group ${group} holds versions written without stamps: it cannot be read at a past timestamp until it is written again`, { detail: 'Unstamped' });
    }
    throw new GeodeError('PROPOSAL_DROPPED', `shard group ${group} no longer keeps its version at ${ts.wall}.${ts.logical} (see transactions.mvcc_retention_ms and transactions.mvcc_history_entries): read at a newer timestamp`, {
      detail: 'SnapshotTooOld',
    });
  }

  /**
   * checkReadableAt: throws unless this host can read at past timestamp `ts`: UNSUPPORTED
   * `Unstamped` without a version clock; INPUT_INVALID `TimestampNotClosed` when `ts` is less than
   * `transactions.max_clock_skew_ms` old by this host's clock.
   */
  checkReadableAt(ts: VersionStamp): void {
    const clock = this.#c.versions;
    if (clock === undefined) throw new GeodeError('UNSUPPORTED', `peer ${this.self} does not stamp versions: reads at a past timestamp need a version clock`, { detail: 'Unstamped' });
    const wall = clock.now().wall;
    if (ts.wall > wall - this.config.maxClockSkewMs) {
      throw new GeodeError('INPUT_INVALID', `a read at a past timestamp must be at least transactions.max_clock_skew_ms (${this.config.maxClockSkewMs} ms) old; ${ts.wall} is ${Math.max(0, wall - ts.wall)} ms old`, {
        source: 'transaction',
        detail: 'TimestampNotClosed',
      });
    }
  }

  /** The group leader's last log index after it confirmed its leadership (this host's, when it leads). */
  async #lastIndexOfLeader(g: GroupReplica, deadline: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      if (g.node.isLeader()) {
        const last = await this.#confirmedLastIndex(g, deadline);
        if (last !== undefined) return last;
      }
      const leader = g.leaderPeer();
      if (leader !== undefined && leader !== this.self) {
        try {
          const reply = await this.call(leader, g.id, versionsService, new Uint8Array(0), deadline);
          if (reply.length === 8) return Number(new DataView(reply.buffer, reply.byteOffset, 8).getBigUint64(0));
          throw new GeodeError('INPUT_INVALID', `${leader} answered a ${versionsService} call with ${reply.length} bytes`, { source: leader });
        } catch (err) {
          if (!isGeodeError(err, 'PROPOSAL_DROPPED') || this.#now() >= deadline) throw err;
        }
      }
      if (this.#now() >= deadline) throw new GeodeError('LIMIT_EXCEEDED', `no leader of group ${g.id} answered in time`, { detail: 'RequestTimeout' });
      const retryAt = Math.min(deadline, this.#now() + Math.min(50, 2 ** attempt));
      await this.#waiters.until(
        () => {
          this.#checkRunning();
          return this.#now() >= retryAt;
        },
        deadline,
        `a leader of group ${g.id}`,
      );
    }
  }

  /** The leader's side of {@link snapshotIndexAt}: its last log index once its leadership is confirmed. */
  async #serveVersionsBound(group: number, payload: Uint8Array): Promise<Uint8Array> {
    if (payload.length !== 0) throw new GeodeError('INPUT_INVALID', `a ${versionsService} call carries no payload`, { detail: 'BadVersionsCall' });
    const g = this.#group(group);
    if (!g.node.isLeader()) throw new GeodeError('PROPOSAL_DROPPED', `peer ${this.self} does not lead group ${group}`, { detail: 'NotLeader' });
    const last = await this.#confirmedLastIndex(g, this.#now() + this.config.requestTimeoutMs);
    if (last === undefined) throw new GeodeError('PROPOSAL_DROPPED', `peer ${this.self} no longer leads group ${group}`, { detail: 'NotLeader' });
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(last));
    return out;
  }

  /** On a leader: its last log index once a ReadIndex round confirmed its leadership; undefined if it lost it meanwhile. */
  async #confirmedLastIndex(g: GroupReplica, deadline: number): Promise<number | undefined> {
    await this.#readIndex(g, deadline);
    return g.node.isLeader() ? g.node.raft.log.lastIndex() : undefined;
  }

  /**
   * writtenSince: the entity keys (`n:<id>`, `e:<id>`) written to `group` after log index `index`
   * by applied entries and, on a leader, by its speculative writes (which the log orders before
   * anything proposed now); undefined when the MVCC history no longer reaches back to `index`.
   * With `upTo`: only the applied entries up to that index.
   * Graph transactions validate their commits against it (src/txn/graph-transaction.ts).
   */
  writtenSince(group: number, index: number, upTo?: number): Set<string> | undefined {
    const g = this.#group(group);
    const entries = g.history.after(index);
    if (entries === undefined) return undefined;
    const keys = new Set<string>();
    for (const e of entries) {
      if (upTo !== undefined && e.index > upTo) break;
      for (const k of e.keys) keys.add(k);
    }
    if (upTo === undefined) for (const s of g.spec) if (s.index === 0 || s.index > index) for (const k of entryKeys(s.commands).keys) keys.add(k); // 0: not proposed yet (after all)
    return keys;
  }

  /** committedSince: the graph commands of each applied entry after log index `index`, oldest first; undefined when the MVCC history no longer reaches back to it. */
  committedSince(group: number, index: number): (readonly GraphCommand[])[] | undefined {
    return this.#group(group).history.after(index)?.map((e) => e.commands);
  }

  /** mvccHistory: `group`'s history size, floor and live pins (for tests and status). */
  mvccHistory(group: number): { readonly entries: number; readonly floor: number; readonly pins: number } {
    const h = this.#group(group).history;
    return { entries: h.size, floor: h.floor, pins: h.pins };
  }

  /**
   * applyCommands: on the group's ready leader, applies graph commands as one log entry (all or
   * none: a refused command rolls back the ones before it and rejects with its GeodeError) and
   * resolves once committed. Elsewhere PROPOSAL_DROPPED `NotLeader` (nothing applied): send it to
   * the leader. The cluster layer writes a shard's part of a statement this way.
   */
  async applyCommands(group: number, commands: readonly GraphCommand[], options: { readonly timeoutMs?: number } = {}): Promise<void> {
    return this.#applyOnLeader(group, commands, options, true);
  }

  /**
   * applyBuilt: as {@link applyCommands}, with the commands built by `build` against the leader's
   * graph as it is now: `apply(c)` applies one command at once (so later ones see it) and records
   * it. The write hook does not run (the builder writes its own metadata). Federation merges
   * remote changes this way, in the order of this cluster's log.
   */
  async applyBuilt(group: number, build: (graph: GraphStore, apply: (c: GraphCommand) => void) => void, options: { readonly timeoutMs?: number } = {}): Promise<number> {
    this.#checkRunning();
    const g = this.#group(group);
    if (!g.leaderReady()) throw new GeodeError('PROPOSAL_DROPPED', `peer ${this.self} is not the ready leader of group ${g.id}`, { detail: 'NotLeader' });
    const commands: GraphCommand[] = [];
    const undo: GraphCommand[][] = [];
    const rollback = (): void => {
      for (let i = undo.length - 1; i >= 0; i--) for (const u of undo[i]!) g.graph.apply(u);
      // Plans depend on the schema only (MVCC reads roll speculative writes back and forth).
      if (entryKeys(commands).schema) g.engine.invalidatePlans();
    };
    try {
      build(g.graph, (c) => {
        undo.push(g.graph.apply(c));
        commands.push(c);
      });
    } catch (err) {
      rollback();
      throw err;
    }
    if (commands.length === 0) return 0;
    // Applied as built: proposed as they are (a speculative write, rolled back if it does not commit).
    const s = g.proposeSpeculative({ result: { columns: [], rows: [], writes: commands.length }, commands, rollback });
    this.#kick();
    await this.#waitSpec(s, this.#now() + (options.timeoutMs ?? this.config.requestTimeoutMs));
    return commands.length;
  }

  /**
   * readCommitted: this replica's committed and applied log after index `after`: at most
   * `maxEntries` entries (and about `maxBytes` of data) as `{ index, data }`, and `applied`. When
   * entries after `after` were compacted away, `snapshot` instead: the snapshot's index and data
   * (the group's snapshot envelope). Any member answers, leader or not. Federation streams a
   * cluster's changes from here.
   */
  readCommitted(group: number, after: number, maxEntries: number, maxBytes: number): { readonly applied: number; readonly entries: readonly { readonly index: number; readonly data: Uint8Array }[]; readonly snapshot?: { readonly index: number; readonly data: Uint8Array } } {
    this.#checkRunning();
    const g = this.#group(group);
    const applied = g.applied();
    const first = g.log.firstIndex();
    if (after + 1 < first) {
      const snap = g.log.snapshot();
      return { applied, entries: [], snapshot: { index: snap.metadata.index, data: snap.data } };
    }
    const hi = Math.min(applied, after + maxEntries);
    if (hi <= after) return { applied, entries: [] };
    const entries = g.log.entries((after + 1) as never, (hi + 1) as never, maxBytes);
    const out: { index: number; data: Uint8Array }[] = [];
    // Readers get the command batch (what entries held before they were stamped).
    for (const e of entries) out.push({ index: e.index, data: e.type === 'normal' ? entryBatch(e.data) : new Uint8Array(0) });
    return { applied, entries: out };
  }

  /**
   * setLogRetention: `entries` of `group`'s log kept in memory behind each snapshot (0: compacted
   * at the snapshot), so {@link readCommitted} that far behind answers entries, not the snapshot.
   */
  setLogRetention(group: number, entries: number): void {
    assert(Number.isSafeInteger(entries) && entries >= 0, `log retention must be a non-negative integer, got ${entries}`);
    this.#group(group).logRetainEntries = entries;
  }

  /**
   * setWriteHook: on the leader, after a statement's (or applyCommands') commands ran on the graph
   * and before they are proposed, `hook` returns more commands to apply and propose in the same
   * log entry (federation stamps each write with its hybrid timestamp this way). A hook that
   * throws fails the write (rolled back). One hook; undefined removes it.
   */
  setWriteHook(hook: ((group: number, graph: GraphStore, commands: readonly GraphCommand[]) => readonly GraphCommand[]) | undefined): void {
    this.#writeHook = hook;
  }

  #writeHook: ((group: number, graph: GraphStore, commands: readonly GraphCommand[]) => readonly GraphCommand[]) | undefined;

  /**
   * setWriteGuard: on the leader, a statement's commands (run, not yet proposed) go ahead only
   * when `guard` returns true; on false the statement is rolled back and run again a few ms later,
   * until the guard lets it or its deadline passes. Transactions hold writes outside them off what
   * their prepared intents lock this way (src/txn/shard-committer.ts). Undefined removes it.
   */
  setWriteGuard(guard: ((group: number, graph: GraphReader, commands: readonly GraphCommand[]) => boolean) | undefined): void {
    this.#writeGuard = guard;
  }

  #writeGuard: ((group: number, graph: GraphReader, commands: readonly GraphCommand[]) => boolean) | undefined;

  /**
   * setWriteFence: on the leader, before a statement's commands (or applyCommands') are proposed,
   * `fence.check` may refuse them by throwing (nothing is proposed; the statement fails with that
   * error). Judged against the group's graph before the commands; `active` says cheaply whether
   * the group has anything to fence. Shard splits fence the half of a shard that moves this way
   * (src/cluster/shard-split.ts). Undefined removes it.
   */
  setWriteFence(fence: WriteFence | undefined): void {
    this.#writeFence = fence;
  }

  #writeFence: WriteFence | undefined;

  /** checkWriteFence: throws what the write fence says of `commands` on `group`'s `graph` (for transaction prepares, whose raw commands are not the entry's). */
  checkWriteFence(group: number, graph: GraphReader, commands: readonly GraphCommand[]): void {
    if (this.#writeFence?.active(group, graph) === true) this.#writeFence.check(group, graph, commands);
  }

  /** Runs the write hook on an executed statement: its extra commands applied and added, undone with it. */
  #withWriteHook(g: GroupReplica, exec: Execution): Execution {
    if (this.#writeHook === undefined || exec.commands.length === 0) return exec;
    let extra: readonly GraphCommand[];
    // A statement's result takes the hook's commands into its own lists (no wrapper: the rollback
    // of every committed write stays in the MVCC history for seconds, and each object it keeps
    // is copied by the garbage collector); a schema command's result has none: wrapped.
    const append = exec.append;
    const undo: GraphCommand[][] = [];
    try {
      extra = this.#writeHook(g.id, g.graph, exec.commands);
      for (const c of extra) {
        const u = g.graph.apply(c);
        if (append !== undefined) append(c, u);
        else undo.push(u);
      }
    } catch (err) {
      undoOf(g.graph, undo)();
      exec.rollback();
      throw err;
    }
    if (extra.length === 0 || append !== undefined) return exec;
    return { result: exec.result, commands: [...exec.commands, ...extra], rollback: newestFirst([exec.rollback, undoOf(g.graph, undo)]) };
  }

  async #applyOnLeader(group: number, commands: readonly GraphCommand[], options: { readonly timeoutMs?: number }, hook: boolean): Promise<void> {
    this.#checkRunning();
    const g = this.#group(group);
    if (!g.leaderReady()) throw new GeodeError('PROPOSAL_DROPPED', `peer ${this.self} is not the ready leader of group ${g.id}`, { detail: 'NotLeader' });
    if (this.#writeFence?.active(g.id, g.graph) === true) this.#writeFence.check(g.id, g.graph, commands);
    const undo: GraphCommand[][] = [];
    const rollback = (): void => {
      for (let i = undo.length - 1; i >= 0; i--) for (const u of undo[i]!) g.graph.apply(u);
      // Plans depend on the schema only (MVCC reads roll speculative writes back and forth).
      if (entryKeys(commands).schema) g.engine.invalidatePlans();
    };
    try {
      for (const c of commands) undo.push(g.graph.apply(c));
      const extra = hook ? (this.#writeHook?.(g.id, g.graph, commands) ?? []) : [];
      for (const c of extra) undo.push(g.graph.apply(c));
      if (extra.length > 0) commands = [...commands, ...extra];
    } catch (err) {
      rollback();
      throw err;
    }
    if (commands.some((c) => c.op === 'createIndex' || c.op === 'dropIndex' || c.op === 'createConstraint' || c.op === 'dropConstraint')) g.engine.invalidatePlans();
    const s = g.proposeSpeculative({ result: { columns: [], rows: [], writes: commands.length }, commands, rollback });
    this.#kick();
    await this.#waitSpec(s, this.#now() + (options.timeoutMs ?? this.config.requestTimeoutMs));
  }

  /**
   * submitCommands: applies graph commands as one log entry of `group`, all or none, from any
   * member: on the ready leader as {@link applyCommands}, elsewhere forwarded to the leader (wire
   * item 7) and retried while the leadership moves, until the deadline. Rejects as applyCommands,
   * or LIMIT_EXCEEDED `RequestTimeout` (the outcome is then unknown), or PROPOSAL_DROPPED
   * `OutcomeUnknown` when the leader went away before answering.
   */
  async submitCommands(group: number, commands: readonly GraphCommand[], options: { readonly timeoutMs?: number } = {}): Promise<void> {
    this.#checkRunning();
    const g = this.#group(group);
    const deadline = this.#now() + (options.timeoutMs ?? this.config.requestTimeoutMs);
    let data: Uint8Array | undefined;
    for (;;) {
      await this.#waitForLeader(g, deadline);
      if (g.leaderReady()) {
        try {
          return await this.applyCommands(group, commands, { timeoutMs: Math.max(1, deadline - this.#now()) });
        } catch (err) {
          if (isGeodeError(err, 'PROPOSAL_DROPPED') && err.detail === 'LeaderChanged') continue; // it did not happen: again, on the new leader
          // Refused before the proposal (a leadership transfer under way, no leader): nothing happened; again after a heartbeat.
          if (isGeodeError(err, 'PROPOSAL_DROPPED') && err.detail !== undefined && retryableDetails.has(err.detail) && this.#now() < deadline - 1) {
            const retryAt = Math.min(deadline - 1, this.#now() + (this.config.raft.heartbeat_ms ?? 50));
            await this.#waiters.until(() => this.#now() >= retryAt, deadline, `group ${g.id} to take proposals`);
            continue;
          }
          throw err;
        }
      }
      const leader = g.leaderPeer();
      if (leader === undefined || leader === this.self) continue;
      data ??= encodeCommands(commands);
      if (this.#forwards.size >= forwardedRequestsMax) throw new GeodeError('LIMIT_EXCEEDED', `more than ${forwardedRequestsMax} statements wait on the leader`, { detail: 'TooManyPending' });
      const requestId = this.#nextRequest++;
      const f: Forward = { peer: leader, done: false, result: undefined, error: undefined };
      this.#forwards.set(requestId, f);
      this.#queue(leader, { kind: 'apply', group: g.id, requestId, commands: data });
      this.#kick();
      try {
        await this.#waiters.until(() => f.done, deadline, `the leader ${leader} to apply`);
      } finally {
        this.#forwards.delete(requestId);
      }
      if (f.result !== undefined) return;
      const err = f.error!;
      // Not applied (refused before the proposal, or dropped by a leader change): safe to send again.
      if ((err.code === 'PROPOSAL_DROPPED' && err.detail !== undefined && (retryableDetails.has(err.detail) || err.detail === 'LeaderChanged')) || err.code === 'NOT_FOUND') {
        const retryAt = Math.min(deadline - 1, this.#now() + (this.config.raft.heartbeat_ms ?? 50));
        await this.#waiters.until(() => g.leaderPeer() !== leader || this.#now() >= retryAt, deadline, `a new leader of group ${g.id}`);
        continue;
      }
      throw err;
    }
  }

  /** The leader's side of forwarded commands (wire item 7). */
  #serveApply(from: PeerId, item: ApplyItem): Promise<void> {
    return this.#answer(from, item.group, item.requestId, 'the leader', async () => {
      const commands = decodeCommands(item.commands, `commands from peer ${from}`);
      await this.applyCommands(item.group, commands);
      return { columns: [], rows: [], writes: commands.length };
    });
  }

  /**
   * serveCalls: `handler` answers the call items (wire kind 8) of `service` that peers send for a
   * group this host runs (undefined: stop answering; calls are then refused UNSUPPORTED). The
   * handler validates the payload itself; what it throws goes back as the call's error. Calls
   * from a peer that said hello as a client are refused (UNSUPPORTED `NoService`) unless
   * `options.fromClients` (a client's remote transactions); members' services (`txn`: prepares,
   * raw commands) stay members-only.
   */
  serveCalls(service: string, handler: CallHandler | undefined, options: { readonly fromClients?: boolean } = {}): void {
    this.#clientServices.delete(service);
    if (handler === undefined) {
      this.#services.delete(service);
      return;
    }
    this.#services.set(service, handler);
    if (options.fromClients === true) this.#clientServices.add(service);
  }

  /**
   * call: sends `payload` to `service` on `peer` for `group` (a group this host runs) and resolves
   * with the reply bytes. Rejects with the service's GeodeError; PROPOSAL_DROPPED `NotLeader` when
   * the call could not be sent (it surely did not run); PROPOSAL_DROPPED `OutcomeUnknown` when the
   * peer went away before answering; LIMIT_EXCEEDED `RequestTimeout` at `deadline` (host clock),
   * `TooManyPending` past the limit of requests waiting, `CallTooLarge` for a payload that cannot
   * fit in a frame.
   */
  async call(peer: PeerId, group: number, service: string, payload: Uint8Array, deadline: number): Promise<Uint8Array> {
    this.#checkRunning();
    const g = this.#group(group);
    if (payload.length > this.#c.transport.maxFrameBytes - 1_024) {
      throw new GeodeError('LIMIT_EXCEEDED', `a ${service} call of ${payload.length} bytes does not fit in a frame (${this.#c.transport.maxFrameBytes} bytes)`, { detail: 'CallTooLarge' });
    }
    if (this.#forwards.size >= forwardedRequestsMax) throw new GeodeError('LIMIT_EXCEEDED', `more than ${forwardedRequestsMax} requests wait on other peers`, { detail: 'TooManyPending' });
    const requestId = this.#nextRequest++;
    const f: Forward = { peer, done: false, result: undefined, error: undefined };
    this.#forwards.set(requestId, f);
    this.#queue(peer, { kind: 'call', group: g.id, requestId, service, payload });
    this.#kick();
    try {
      await this.#waiters.until(() => f.done, deadline, `${peer} to answer a ${service} call`);
    } finally {
      this.#forwards.delete(requestId);
    }
    if (f.reply !== undefined) return f.reply;
    throw f.error ?? new GeodeError('INPUT_INVALID', `${peer} answered a ${service} call with a statement result`, { source: peer });
  }

  /** The callee's side of a call (wire kind 8): at most forwardedRequestsMax served at once. */
  async #serveCall(from: PeerId, item: CallItem): Promise<void> {
    let reply: FrameItem;
    const served = this.#services.get(item.service);
    const handler = served !== undefined && this.#peerModes.get(from) === 'client' && !this.#clientServices.has(item.service) ? undefined : served;
    try {
      if (handler === undefined) throw new GeodeError('UNSUPPORTED', `peer ${this.self} serves no ${item.service} calls`, { detail: 'NoService' });
      if (this.#serving >= forwardedRequestsMax) throw new GeodeError('LIMIT_EXCEEDED', `peer ${this.self} serves ${forwardedRequestsMax} calls already`, { detail: 'TooManyPending' });
      this.#serving++;
      try {
        reply = { kind: 'reply', group: item.group, requestId: item.requestId, payload: await handler(from, item.group, item.payload) };
      } finally {
        this.#serving--;
      }
    } catch (err) {
      const e = isGeodeError(err) ? err : new GeodeError('IO', `the ${item.service} service failed: ${err instanceof Error ? err.message : String(err)}`);
      reply = { kind: 'error', group: item.group, requestId: item.requestId, code: e.code, message: e.message, detail: e.detail ?? '' };
    }
    if (this.#stopped !== undefined) return;
    this.#queue(from, reply);
    this.#kick();
  }

  /** now: the host's clock, ms (the deadline of {@link call} is on it; not comparable across processes). */
  now(): number {
    return this.#now();
  }

  /** leaderOf: the peer this host's replica of `group` takes for its leader (undefined: none known). NOT_FOUND when it does not run the group. */
  leaderOf(group: number): PeerId | undefined {
    return this.#group(group).leaderPeer();
  }

  /** Runs a request of `from` and queues its answer: the result, or the GeodeError (`who` failed, for anything else). */
  async #answer(from: PeerId, group: GroupId, requestId: number, who: string, run: () => Promise<WireResult>): Promise<void> {
    let reply: FrameItem;
    try {
      reply = { kind: 'result', group, requestId, result: await run() };
    } catch (err) {
      const e = isGeodeError(err) ? err : new GeodeError('IO', `${who} failed: ${err instanceof Error ? err.message : String(err)}`);
      reply = { kind: 'error', group, requestId, code: e.code, message: e.message, detail: e.detail ?? '' };
    }
    if (this.#stopped !== undefined) return;
    this.#queue(from, reply);
    this.#kick();
  }

  /**
   * registerProcedure: adds a procedure callable with `CALL name(...)` on every group this host
   * runs, kept across the engine rebuilds of snapshot restores. A taken name is refused
   * (GeodeError from the engine) and then nothing is registered anywhere.
   */
  registerProcedure(def: ProcedureDefinition): void {
    this.#checkRunning();
    for (const g of this.#order) g.engine.registerProcedure(def);
    this.#procedures.push(def);
  }

  /** A client's statement: run as this host's own query (forwarded to the leader when it writes). */
  async #serveClient(from: PeerId, item: ClientQueryItem): Promise<void> {
    let reply: FrameItem;
    try {
      const runner = this.#clientRunner;
      const r = runner !== undefined && item.group === 0 ? await runner(item.text, item.params, { readQuorum: item.readQuorum }) : await this.query(item.text, item.params, { group: item.group, readQuorum: item.readQuorum });
      reply = { kind: 'result', group: item.group, requestId: item.requestId, result: { columns: r.columns, rows: r.rows, writes: r.writes } };
    } catch (err) {
      const e = isGeodeError(err) ? err : new GeodeError('IO', `the member failed: ${err instanceof Error ? err.message : String(err)}`);
      reply = { kind: 'error', group: item.group, requestId: item.requestId, code: e.code, message: e.message, detail: e.detail ?? '' };
    }
    if (this.#stopped !== undefined) return;
    this.#queue(from, reply);
    this.#kick();
  }

  // ------------------------------------------------------------------------------ membership

  #checkMembership(g: GroupReplica, now: number): void {
    const st = g.node.status();
    const conf = st.conf;
    const members = new Set<NodeId>([...conf.voters, ...conf.learners]);
    for (const id of members) {
      const p = g.peerOf(id);
      if (p !== undefined && id !== g.selfNode) this.#fd.watch(p, now);
    }
    const candidates: { node: NodeId; peer: PeerId }[] = [];
    const placed = this.#placement.get(g.id);
    // Placed peers join first (they are to become voters).
    const connected = [...this.#c.transport.connected()].sort();
    if (placed !== undefined) connected.sort((a, b) => Number(placed.has(b)) - Number(placed.has(a)));
    for (const peer of connected) {
      const node = nodeIdOfPeer(peer);
      // A connected non-member is silent until added (it has no group to talk in): connected and
      // announced as a member (hello) is enough. A client (hello mode 1) is never added.
      if (!members.has(node) && this.#peerModes.get(peer) === 'member') candidates.push({ node, peer });
    }
    const action = decideMembership({
      self: g.selfNode,
      voters: conf.voters,
      learners: conf.learners,
      joint: (conf.votersOutgoing?.length ?? 0) > 0,
      lastIndex: st.lastIndex,
      match: (id) => st.progress?.get(id)?.match ?? (0 as never),
      health: (id) => {
        if (id === g.selfNode) return 'healthy';
        const p = g.peerOf(id);
        return p === undefined ? 'failed' : this.#fd.health(p, now);
      },
      peerOf: (id) => g.peerOf(id),
      candidates,
      factor: this.config.replicationFactor,
      asyncReplicas: this.config.asyncReplicas,
      ...(placed === undefined ? {} : { placed: (peer: PeerId) => placed.has(peer) }),
    });
    if (action === undefined) return;
    try {
      g.node.proposeConfChange({ changes: [{ type: action.type, nodeId: action.node }], context: action.peer });
      this.#c.logger?.info(`group ${g.id}: ${action.reason} ${action.peer} (${action.type})`);
    } catch (err) {
      this.#c.logger?.debug(`group ${g.id}: membership change refused: ${String(err)}`);
      if (!isGeodeError(err)) throw err; // a change pending, a transfer: decided again next check
    }
  }

  #trackLag(now: number): void {
    for (const g of this.#order) {
      if (!g.node.isLeader()) continue;
      const last = g.node.raft.log.lastIndex();
      for (const [id, pr] of g.node.raft.trk.progress) if (pr.match >= last || !this.#caughtUpAt.has(id)) this.#caughtUpAt.set(id, now);
    }
  }

  // ------------------------------------------------------------------------------ status

  /** status: one row per peer this host knows in the group (members and connected peers). */
  status(group?: number): PeerStatus[] {
    const g = this.#group(group);
    const now = this.#now();
    const st = g.node.status();
    const lead = st.softState.lead;
    const leader = lead === NO_NODE ? undefined : g.peerOf(lead);
    const peers = new Set<PeerId>([this.self, ...this.#c.transport.connected()]);
    for (const id of [...st.conf.voters, ...st.conf.learners]) {
      const p = g.peerOf(id);
      if (p !== undefined) peers.add(p);
    }
    const rows: PeerStatus[] = [];
    for (const peer of [...peers].sort()) {
      const id = nodeIdOfPeer(peer);
      const self = peer === this.self;
      const role = st.conf.voters.includes(id) ? 'voter' : st.conf.learners.includes(id) ? 'learner' : 'none';
      const last = self ? now : this.#fd.lastContact(peer);
      rows.push({
        peer,
        self,
        role,
        state: self ? st.softState.role : id === lead ? 'leader' : role === 'none' ? 'unknown' : 'follower',
        health: self ? 'healthy' : st.softState.role === 'leader' || id === lead ? this.#fd.health(peer, now) : 'unknown',
        term: st.hardState.term,
        leader,
        lastContactMs: last === undefined ? undefined : now - last,
      });
    }
    return rows;
  }

  /** replicationLag: per member, how far behind the leader it is (empty when this host does not lead). */
  replicationLag(group?: number): ReplicaLag[] {
    const g = this.#group(group);
    const st = g.node.status();
    if (st.progress === undefined) return [];
    const now = this.#now();
    const rows: ReplicaLag[] = [];
    for (const [id, pr] of st.progress) {
      const peer = g.peerOf(id);
      if (peer === undefined) continue;
      const behind = Math.max(0, st.lastIndex - pr.match);
      rows.push({
        peer,
        role: pr.isLearner ? 'learner' : 'voter',
        matchIndex: pr.match,
        entriesBehind: behind,
        msBehind: behind === 0 ? 0 : Math.max(0, now - (this.#caughtUpAt.get(id) ?? now)),
      });
    }
    return rows.sort((a, b) => (a.peer < b.peer ? -1 : 1));
  }

  /** graph: a read-only view of a group's local graph (tests, tools). */
  graph(group?: number): GraphReader {
    return this.#group(group).graph;
  }

  /** knowsLeader: this host runs `group` and its replica knows a leader (cheap: the routers ask per statement). */
  knowsLeader(group: number): boolean {
    const g = this.#groups.get(group);
    return g !== undefined && g.node.leader() !== 0;
  }

  /** leads: this host runs `group` and its replica is the group's Raft leader (ready for writes or not; cheap: see {@link isLeader}). */
  leads(group: number): boolean {
    return this.#groups.get(group)?.node.raft.state === 'leader';
  }

  /** raftStatus: the Raft status of a group's node (tests, tools). */
  raftStatus(group?: number): ReturnType<GroupReplica['node']['status']> {
    return this.#group(group).node.status();
  }

  /** isLeader: this host leads the group and accepts writes. */
  isLeader(group?: number): boolean {
    return this.#group(group).leaderReady();
  }

  /** elections: terms this host saw itself win, summed over groups (for `cluster_leader_elections`). */
  get leaderElections(): number {
    let n = 0;
    for (const g of this.#order) n += g.elections;
    return n;
  }

  /** snapshotsReceived: snapshots installed from a leader, summed over groups (`shard_snapshots_received_total`). */
  get snapshotsReceived(): number {
    let n = 0;
    for (const g of this.#order) n += g.snapshotsReceived;
    return n;
  }

  // ------------------------------------------------------------------------------ stopping

  #fail(err: unknown): void {
    if (this.#stopped !== undefined) return;
    const e = isGeodeError(err) ? err : new GeodeError('IO', `the shard host stopped: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    this.#stop(e);
    this.#warn(e.message);
  }

  #stop(err: GeodeError): void {
    this.#stopped = err;
    this.#tick?.cancel();
    this.#waiters.failAll(err);
  }

  /**
   * halt: TEST-ONLY: the process dies. Timers stop and waiting queries fail; nothing is flushed,
   * synced or closed (crash the store and take the transport off the network separately).
   */
  /**
   * onApplied: `listener` is called (synchronously, from the host's loop) each time a group
   * applied committed entries or a snapshot to its graph: local writes, replicated ones, catch-up.
   * Returns a function that removes it. A listener that throws is reported through `onWarning`.
   */
  onApplied(listener: (group: number) => void): () => void {
    this.#appliedListeners.add(listener);
    return () => this.#appliedListeners.delete(listener);
  }

  #notifyApplied(group: number): void {
    for (const l of this.#appliedListeners) {
      try {
        l(group);
      } catch (err) {
        this.#c.onWarning?.(`an onApplied listener threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  halt(): void {
    this.#stop(new GeodeError('CLOSED', `peer ${this.self} stopped`));
  }

  /**
   * handOffLeadership: for every group this host leads, asks the most caught-up other voter to
   * take over (Raft leadership transfer) and waits until it did or `timeoutMs` passed. Called
   * before a clean shutdown, so the cluster does not wait an election timeout for a new leader.
   */
  async handOffLeadership(timeoutMs: number): Promise<void> {
    if (this.#stopped !== undefined) return;
    const deadline = this.#now() + timeoutMs;
    const leading: GroupReplica[] = [];
    for (const g of this.#order) {
      if (!g.node.isLeader()) continue;
      const st = g.node.status();
      let best: NodeId | undefined;
      let bestMatch = -1;
      for (const id of st.conf.voters) {
        if (id === g.selfNode) continue;
        const match = st.progress?.get(id)?.match ?? 0;
        if (match > bestMatch) [best, bestMatch] = [id, match];
      }
      if (best === undefined) continue;
      g.node.transferLeadership(best);
      leading.push(g);
    }
    if (leading.length === 0) return;
    this.#kick();
    await this.#waiters.until(() => leading.every((g) => !g.node.isLeader()), deadline, 'a leadership hand-off').catch(() => {});
  }

  /**
   * stepDown: if this host leads `group`, hands its leadership to the best other voter and waits
   * until that voter took over or `timeoutMs` passed (default: the configured request timeout).
   * The best voter is, in order: healthy as the failure detector sees it, `eligible` (default:
   * any), `preferred` (default: none is), most caught up (highest match index).
   *
   * Resolves with the peer that took over; undefined when this host does not lead, no voter
   * qualifies, or the transfer did not finish in time (Raft abandons it after an election timeout
   * and this host keeps leading).
   */
  async stepDown(options: StepDownOptions = {}): Promise<PeerId | undefined> {
    this.#checkRunning();
    const g = this.#group(options.group);
    if (!g.node.isLeader()) return undefined;
    const now = this.#now();
    const st = g.node.status();
    let best: { id: NodeId; peer: PeerId; preferred: boolean; match: number } | undefined;
    for (const id of st.conf.voters) {
      if (id === g.selfNode) continue;
      const peer = g.peerOf(id);
      if (peer === undefined || this.#fd.health(peer, now) !== 'healthy') continue;
      if (options.eligible !== undefined && !options.eligible(peer)) continue;
      const preferred = options.preferred?.(peer) ?? false;
      const match = st.progress?.get(id)?.match ?? 0;
      if (best === undefined || (preferred && !best.preferred) || (preferred === best.preferred && match > best.match)) best = { id, peer, preferred, match };
    }
    if (best === undefined) return undefined;
    const target = best;
    g.node.transferLeadership(target.id);
    this.#kick();
    const deadline = now + (options.timeoutMs ?? this.config.requestTimeoutMs);
    const moved = (): boolean => !g.node.isLeader() || g.node.raft.leadTransferee !== target.id;
    await this.#waiters.until(moved, deadline, `leadership to move to ${target.peer}`).catch((err: unknown) => {
      if (!isGeodeError(err, 'LIMIT_EXCEEDED')) throw err;
    });
    if (g.node.isLeader()) return undefined;
    return g.leaderPeer() ?? target.peer; // an election may have picked another voter meanwhile
  }

  /** close: stops ticking, fails waiting queries with CLOSED, closes every store and the transport. Idempotent. */
  async close(): Promise<void> {
    if (this.#stopped === undefined) this.#stop(new GeodeError('CLOSED', 'the shard host is closed'));
    await this.#pumpDone;
    for (const g of this.#order) await g.snapshotSaved();
    for (const g of this.#order) await g.store.close().catch(() => {});
    await this.#c.transport.close();
  }
}

/** PROPOSAL_DROPPED `SnapshotTooOld`: a read at `index` of a group whose MVCC history starts above it. */
function snapshotTooOld(group: number, index: number, floor: number): GeodeError {
  return new GeodeError(
    'PROPOSAL_DROPPED',
    `shard group ${group} no longer keeps the versions a read at log index ${index} needs (its MVCC history starts at ${floor}; see transactions.mvcc_history_entries): retry the transaction`,
    { detail: 'SnapshotTooOld', source: 'transaction' },
  );
}

/** The built-in call service a replica asks its group's leader for the last log index with (reads at a past timestamp). */
const versionsService = 'geode.versions';

/** Whether `stamp` is known and after `ts`. */
function newerThan(stamp: VersionStamp | undefined, ts: VersionStamp): boolean {
  return stamp !== undefined && compareStamps(stamp, ts) > 0;
}

