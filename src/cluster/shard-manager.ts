/**
 * ShardManager: the I/O shell of sharding on one member peer of a sharded cluster. Every
 * `checkMs` it reads the shard map from its replica of the meta group (group 0, see
 * meta-store.ts) and:
 *
 * - runs a group for every shard of the map (shard i in group i + 1), the first placed replica
 *   founding it, and tells the host which peers placement wants as the group's voters;
 * - on the meta group's leader: writes the initial map (the configured shards and spreads, replicas
 *   from {@link planPlacement}) once enough member peers are connected, then runs placement on every
 *   check (peers joining, failing: a member disconnected for `sharding.fail_after_ms` is failed) and
 *   records its replica moves, at most `sharding.max_moves` under way;
 * - on each shard group this peer leads: reports the leadership to the map, writes the shard's id
 *   base (a ghost node and edge at (shard + 1) × 2^40 so ids the shard allocates itself never meet
 *   another shard's or a lease's), and hands leadership over when placement spreads leaders or moved
 *   this peer's replica away;
 * - splits (shard-split.ts): on the meta leader, a shard past `sharding.split_threshold_nodes` is
 *   cut in two, one step per check (fence, copy, switch, cleanup); on every member, the write fence
 *   that refuses writes to a moving half is installed on the host, and a split's new group runs
 *   before the map lists its shard.
 *
 * Every peer caches the map it read; `refresh()` re-reads it at a linearizable point (after a
 * routing failure: the stale-version reply of this design is a group that refused the request).
 */
import type { GraphCommand } from '../graph/index.ts';
import type { PeerId } from '../net/types.ts';
import type { ShardHost } from '../shard/index.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import { GHOST_HOME_KEY, GHOST_LABEL } from './coordinator/shard-data.ts';
import type { ShardId } from './hash-ring.ts';
import { encodeChange, LEASE_IDS, LEASED_IDS_END, MetaMapCache, PROPOSE_CHANGES, PROPOSE_INITIAL } from './meta-store.ts';
import { planPlacement, type PlacementPeer } from './placement.ts';
import type { ShardEntry, ShardMapChange, ShardMapState, SplitState } from './shard-map.ts';
import { checkFence, cleanedCommand, cleanupCommands, copyCommands, fenceCommand, mapAfterSplit, movingLocked, ownerIn, packGroups, planSplit, shardToSplit, SPLIT_LABEL, splitMarkerId, type SplitNode } from './shard-split.ts';
import { groupOfShard, initialChanges, type ResolvedSharding } from './sharding-config.ts';

/** How often the manager checks, ms. */
export const shardCheckMsDefault = 200;
/** How long the meta leader waits for `replication.factor` members before placing the shards on fewer, ms. */
const initialWaitMs = 3_000;
/** Least time between two leadership hand-offs of one group by placement, ms. */
const transferEveryMs = 2_000;
/** Least time between two leader reports of one shard, ms. */
const reportEveryMs = 500;
/** Ids leased per request (a statement that needs more leases what it needs). */
export const idBlockDefault = 1_024;
/** The meta group. */
export const META_GROUP = 0;
/** Commands per log entry of a split's copy and cleanup. */
export const splitBatchCommands = 2_000;
/** Relationship type of a shard's id-base marker edge. */
const ID_BASE_TYPE = '__geode_id_base';

/** idBase: the first id shard `shard` allocates itself (statements run on the shard). */
export function idBase(shard: ShardId): number {
  return (shard + 1) * LEASED_IDS_END;
}

/** A lease of consecutive ids: [start, end). */
export interface IdLease {
  readonly start: number;
  readonly end: number;
}

export class ShardManager {
  readonly host: ShardHost;
  readonly sharding: ResolvedSharding;
  readonly #cache = new MetaMapCache();
  readonly #checkMs: number;
  readonly #warn: (m: string) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #checking = false;
  #map: ShardMapState;
  #leaderSince: number | undefined;
  /** When each member peer was last seen connected (placement's failure rule). */
  readonly #lastSeen = new Map<PeerId, number>();
  readonly #reported = new Map<ShardId, number>();
  readonly #transferred = new Map<ShardId, number>();
  readonly #based = new Set<number>();
  #lease: IdLease = { start: 0, end: 0 };
  #leasing: Promise<void> | undefined;
  /** Statements refused because they span shards, and placement moves recorded (metrics). */
  movesRecorded = 0;
  /** Split steps this peer took as the meta leader: begun, copied (switched), finished. */
  readonly splits = { begun: 0, switched: 0, finished: 0, copiedCommands: 0, cleanedCommands: 0 };
  /**
   * TEST-ONLY: awaited by the meta leader between split steps (`fenced`: the source's fence is in
   * its log, the copy not begun), so a test can write and read while a split holds. It holds this
   * peer's checks meanwhile.
   */
  splitHook: ((step: 'fenced', split: SplitState) => Promise<void>) | undefined;
  /** Shards found impossible to cut (one key value) at a node count: not read again until it changes. */
  readonly #unsplittable = new Map<ShardId, number>();
  /** Checks begun and finished, and when the last one began and finished (Date.now ms; 0: never): a stalled check shows as begun > finished for long. */
  readonly checks = { begun: 0, finished: 0, lastBegunAt: 0, lastFinishedAt: 0, lastError: '' };

  constructor(host: ShardHost, sharding: ResolvedSharding, options: { readonly checkMs?: number; readonly onWarning?: (m: string) => void } = {}) {
    this.host = host;
    this.sharding = sharding;
    this.#checkMs = options.checkMs ?? shardCheckMsDefault;
    this.#warn = options.onWarning ?? (() => {});
    this.#map = this.#cache.map(host.graph(META_GROUP));
  }

  /** start: begins the checks, and fences the moving half of shards being split (on the groups this peer leads). */
  start(): void {
    this.host.setWriteFence({ active: (_group, graph) => graph.labelCount(SPLIT_LABEL) > 0, check: (_group, graph, commands) => checkFence(graph, commands) });
    this.#schedule(0);
  }

  stop(): void {
    this.host.setWriteFence(undefined);
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.check().finally(() => this.#schedule(this.#checkMs));
    }, ms);
  }

  /** map: the shard map as this peer's meta replica holds it now (cached). */
  map(): ShardMapState {
    this.#map = this.#cache.map(this.host.graph(META_GROUP));
    return this.#map;
  }

  /** refresh: the map at a linearizable point of the meta group (after a stale routing). */
  async refresh(timeoutMs?: number): Promise<ShardMapState> {
    await this.host.readGraph(META_GROUP, () => undefined, timeoutMs === undefined ? {} : { timeoutMs });
    return this.map();
  }

  /**
   * ready: waits until the map has its shards and every shard group runs here with a known leader.
   * LIMIT_EXCEEDED after `timeoutMs`.
   */
  async ready(timeoutMs: number): Promise<ShardMapState> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const map = this.map();
      if (map.shards.length > 0 && map.shards.every((s) => this.host.knowsLeader(s.group))) return map;
      if (Date.now() >= end) throw new GeodeError('LIMIT_EXCEEDED', `the shard map has no shards yet after ${timeoutMs} ms (are replication.factor members connected?)`, { detail: 'RequestTimeout', source: 'coordinator' });
      await new Promise((ok) => setTimeout(ok, 20));
    }
  }

  /** proposeChanges: appends changes to the map through the meta group's leader (one log entry). */
  async proposeChanges(changes: readonly ShardMapChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.host.query(PROPOSE_CHANGES, { changes: changes.map(encodeChange) }, { group: META_GROUP });
  }

  /**
   * leaseIds: `n` consecutive globally unique ids (node and edge ids alike) from this peer's lease,
   * refilled from the meta group (blocks of {@link idBlockDefault}, or `n` when more).
   */
  async leaseIds(n: number): Promise<IdLease> {
    while (this.#lease.end - this.#lease.start < n) {
      if (this.#leasing === undefined) {
        const want = Math.max(n, idBlockDefault);
        this.#leasing = (async () => {
          const r = await this.host.query(LEASE_IDS, { n: BigInt(want) }, { group: META_GROUP });
          const start = Number(r.rows[0]?.['start'] as bigint);
          if (!Number.isSafeInteger(start) || start + want > LEASED_IDS_END) throw new GeodeError('LIMIT_EXCEEDED', `the cluster's leased ids are used up (${LEASED_IDS_END})`, { detail: 'IdSpace' });
          // A lease too small for this request is dropped (its ids stay unused: unique still).
          this.#lease = { start, end: start + want };
        })().finally(() => (this.#leasing = undefined));
      }
      await this.#leasing;
    }
    const lease = { start: this.#lease.start, end: this.#lease.start + n };
    this.#lease = { start: lease.end, end: this.#lease.end };
    return lease;
  }

  /** One check (exported for tests; the timer calls it). */
  async check(): Promise<void> {
    if (this.#checking || this.#stopped) return;
    this.#checking = true;
    this.checks.begun++;
    this.checks.lastBegunAt = Date.now();
    try {
      const now = Date.now();
      for (const p of this.host.memberPeers()) this.#lastSeen.set(p, now);
      const map = this.map();
      await this.#ensureGroups(map);
      if (this.host.isLeader(META_GROUP)) {
        this.#leaderSince ??= now;
        await this.#lead(map, now);
      } else {
        this.#leaderSince = undefined;
      }
      await this.#leadShards(this.map(), now);
    } catch (err) {
      if (!isGeodeError(err)) throw err;
      this.checks.lastError = `${err.code} ${err.message}`;
      // Leader changes, timeouts, a closed host: the next check tries again.
      if (err.code !== 'CLOSED' && err.code !== 'PROPOSAL_DROPPED' && err.code !== 'LIMIT_EXCEEDED') this.#warn(`shard manager: ${err.message}`);
    } finally {
      this.#checking = false;
      this.checks.finished++;
      this.checks.lastFinishedAt = Date.now();
    }
  }

  async #ensureGroups(map: ShardMapState): Promise<void> {
    const running = new Set(this.host.groups());
    for (const s of map.shards) {
      if (!running.has(s.group)) {
        if (s.replicas.length === 0) continue; // not placed yet
        // The first placed replica founds the group, and only before any leader was reported.
        const bootstrap = s.replicas[0] === this.host.self && s.leader === undefined && s.term === 0;
        await this.host.addGroup(s.group, { bootstrap });
      }
      this.host.setPlacement(s.group, s.replicas);
    }
    // A split's new shard: its group runs (on its placed replicas) before the map lists it. Every
    // replica starts it with all of them as voters (no founder: one gone early would leave the
    // group without a voter, the split unfinished and the moving half fenced for good).
    for (const sp of map.splits) {
      if (sp.phase !== 'copying' || map.shards.some((s) => s.group === sp.group)) continue;
      if (!running.has(sp.group)) await this.host.addGroup(sp.group, sp.replicas.includes(this.host.self) ? { voters: sp.replicas } : {});
      this.host.setPlacement(sp.group, sp.replicas);
    }
  }

  /** The member peers placement sees: this one, the connected ones, and the recently gone (healthy until `fail_after_ms`). */
  #placementPeers(map: ShardMapState, now: number): PlacementPeer[] {
    const ids = new Set<PeerId>([this.host.self, ...this.host.memberPeers()]);
    for (const s of map.shards) for (const r of [...s.replicas, ...s.learners]) ids.add(r);
    const connected = new Set(this.host.memberPeers());
    return [...ids].sort().map((id) => {
      const seen = this.#lastSeen.get(id);
      const healthy = id === this.host.self || connected.has(id) || (seen !== undefined && now - seen < this.sharding.failAfterMs);
      return { id, kind: 'node', visible: true, healthy };
    });
  }

  /** The meta leader's work: the initial map, then placement. */
  async #lead(map: ShardMapState, now: number): Promise<void> {
    const factor = this.host.config.replicationFactor;
    if (map.shards.length === 0) {
      const members = 1 + this.host.memberPeers().length;
      if (members < factor && now - (this.#leaderSince ?? now) < initialWaitMs) return;
      const changes = initialChanges(this.sharding);
      const peers = this.#placementPeers(map, now);
      // Place every shard at once (the first placement is not a move).
      let shards: ShardEntry[] = this.sharding.shards > 0 ? Array.from({ length: this.sharding.shards }, (_, i) => ({ id: i, group: groupOfShard(i), replicas: [], learners: [], leader: undefined, term: 0 })) : [];
      for (let round = 0; round < factor; round++) {
        const moves = planPlacement({ shards, peers, factor, movesInFlight: 0, maxMoves: shards.length * factor });
        shards = shards.map((s) => ({ ...s, replicas: [...s.replicas, ...moves.flatMap((m) => (m.op === 'addReplica' && m.shard === s.id ? [m.peer] : []))] }));
      }
      for (const s of shards) changes.push({ op: 'setReplicas', shard: s.id, replicas: s.replicas, learners: [] });
      await this.host.query(PROPOSE_INITIAL, { changes: changes.map(encodeChange) }, { group: META_GROUP });
      return;
    }
    const peers = this.#placementPeers(map, now);
    const healthy = new Set(peers.filter((p) => p.healthy).map((p) => p.id));
    const inFlight = map.shards.filter((s) => this.#moving(s, healthy)).length;
    const moves = planPlacement({ shards: map.shards, peers, factor, movesInFlight: inFlight, maxMoves: this.sharding.maxMoves });
    const changes: ShardMapChange[] = [];
    const replicas = new Map(map.shards.map((s) => [s.id, [...s.replicas]]));
    for (const m of moves) {
      const list = replicas.get(m.shard)!;
      if (m.op === 'addReplica') list.push(m.peer);
      else if (m.op === 'removeReplica') list.splice(list.indexOf(m.peer), 1);
      else continue; // leader transfers are started by the shard's leader (#leadShards)
    }
    for (const s of map.shards) {
      const next = replicas.get(s.id)!;
      if (next.length !== s.replicas.length || next.some((p, i) => p !== s.replicas[i])) changes.push({ op: 'setReplicas', shard: s.id, replicas: next, learners: [] });
    }
    if (changes.length > 0) {
      this.movesRecorded += changes.length;
      await this.proposeChanges(changes);
    }
    await this.#split(this.map());
  }

  /** Owned nodes of a shard's replica graph: all but ghosts and bookkeeping. */
  #ownedNodes(group: number): number {
    const g = this.host.graph(group);
    let hidden = 0;
    for (const l of g.labels()) if (l.startsWith('__geode_')) hidden += g.labelCount(l);
    return g.nodeCount - hidden;
  }

  /**
   * The meta leader's part in splits (shard-split.ts): begin one when a shard passed
   * `sharding.split_threshold_nodes`, else take the next step of the one under way. Every step is
   * derived from the map and the groups' graphs, so a new meta leader continues where the last
   * one stopped.
   */
  async #split(map: ShardMapState): Promise<void> {
    const sp = map.splits[0];
    if (sp === undefined) return this.#beginSplit(map);
    const src = map.shards.find((s) => s.id === sp.from);
    if (src === undefined) return;
    if (sp.phase === 'copying') return this.#copySplit(map, sp, src);
    return this.#cleanSplit(map, sp, src);
  }

  async #beginSplit(map: ShardMapState): Promise<void> {
    const threshold = this.sharding.splitThresholdNodes;
    if (threshold <= 0) return;
    const counts = new Map<ShardId, number>();
    for (const s of map.shards) {
      if (!this.host.groups().includes(s.group)) continue;
      const n = this.#ownedNodes(s.group);
      if (this.#unsplittable.get(s.id) !== n) counts.set(s.id, n);
    }
    const from = shardToSplit(map, counts, threshold);
    if (from === undefined) return;
    const entry = map.shards.find((s) => s.id === from)!;
    if (entry.replicas.length === 0) return;
    const change = await this.host.readGraph(entry.group, (g) => {
      const nodes: SplitNode[] = [];
      for (const n of g.nodes()) if (!n.deleted && ![...n.labels].some((l) => l.startsWith('__geode_'))) nodes.push(n);
      return planSplit(map, from, nodes, entry.replicas);
    });
    if (change === undefined) {
      this.#unsplittable.set(from, counts.get(from)!);
      this.#warn(`shard manager: shard ${from} is past sharding.split_threshold_nodes but cannot be cut (its nodes share one key value, or are graph-aware)`);
      return;
    }
    // The new shard's voters: placement's, as for any shard (the source's when it names none).
    const placed = this.#placeNewShard(map, change.into, change.group, Date.now());
    await this.proposeChanges([placed.length === 0 ? change : { ...change, replicas: placed }]);
    this.splits.begun++;
  }

  /** The voters placement gives a new shard `id` (group `group`) beside the map's shards, in rounds as the initial placement. */
  #placeNewShard(map: ShardMapState, id: ShardId, group: number, now: number): PeerId[] {
    const peers = this.#placementPeers(map, now);
    const factor = this.host.config.replicationFactor;
    let entry: ShardEntry = { id, group, replicas: [], learners: [], leader: undefined, term: 0 };
    for (let round = 0; round < factor; round++) {
      const moves = planPlacement({ shards: [...map.shards, entry], peers, factor, movesInFlight: 0, maxMoves: (map.shards.length + 1) * factor });
      const add = moves.flatMap((m) => (m.op === 'addReplica' && m.shard === id && !entry.replicas.includes(m.peer) ? [m.peer] : []));
      if (add.length === 0) break;
      entry = { ...entry, replicas: [...entry.replicas, ...add] };
    }
    return [...entry.replicas];
  }

  /** Fence the source, wait for prepared transactions on the moving half, copy it, switch the map. */
  async #copySplit(map: ShardMapState, sp: SplitState, src: ShardEntry): Promise<void> {
    if (!this.host.knowsLeader(sp.group)) return; // the new group is not up yet
    const marker = splitMarkerId(sp.from, sp.into);
    if (!(await this.host.readGraph(src.group, (g) => g.node(marker) !== undefined))) await this.host.submitCommands(src.group, [fenceCommand(map, sp)]);
    const after = mapAfterSplit(map, sp);
    const owner = (n: SplitNode): ShardId => ownerIn(after, sp.from, n);
    // Read at a linearizable point after the fence: nothing of the moving half changes any more.
    if (await this.host.readGraph(src.group, (g) => movingLocked(g, owner, sp.from))) return; // next check
    if (this.splitHook !== undefined) await this.splitHook('fenced', sp);
    const has = await this.host.readGraph(sp.group, (g) => {
      const nodes = new Set<number>();
      const edges = new Set<number>();
      for (const n of g.nodes()) nodes.add(n.id);
      for (const e of g.edges()) edges.add(e.id);
      const indexes = new Set(g.indexes().map((ix) => ix.name));
      return (kind: 'node' | 'edge' | 'index', id: number | string): boolean => (kind === 'node' ? nodes.has(id as number) : kind === 'edge' ? edges.has(id as number) : indexes.has(id as string));
    });
    const commands = await this.host.readGraph(src.group, (g) => copyCommands(g, owner, sp.from, sp.into, has));
    for (let i = 0; i < commands.length; i += splitBatchCommands) {
      await this.host.submitCommands(sp.group, commands.slice(i, i + splitBatchCommands));
      this.splits.copiedCommands += Math.min(splitBatchCommands, commands.length - i);
    }
    await this.proposeChanges([{ op: 'switchSplit', shard: sp.from }]);
    this.splits.switched++;
  }

  /** The new shard serves: the source turns the moved half into ghosts, then the split is over. */
  async #cleanSplit(map: ShardMapState, sp: SplitState, src: ShardEntry): Promise<void> {
    const owner = (n: SplitNode): ShardId => ownerIn(map, sp.from, n);
    const batches = packGroups(await this.host.readGraph(src.group, (g) => cleanupCommands(g, owner, sp.from, sp.into)), splitBatchCommands);
    // Each batch opens with the marker's `cleaned`: the fence lets it by, and readers with a map
    // from before the switch see that they must refresh it.
    if (batches.length === 0) await this.host.submitCommands(src.group, [cleanedCommand(sp.from, sp.into)]);
    for (const b of batches) {
      await this.host.submitCommands(src.group, [cleanedCommand(sp.from, sp.into), ...b]);
      this.splits.cleanedCommands += b.length;
    }
    await this.proposeChanges([{ op: 'finishSplit', shard: sp.from }]);
    this.splits.finished++;
  }

  /**
   * A move is under way while the group (as this peer's replica sees it) has not done what the map
   * asks: a healthy placed replica is not a voter yet (being added), or a voter is not placed (being
   * demoted). A failed replica the map still lists is not a move under way once the group stopped
   * counting it as a voter: dropping it from the map is placement's next step, and counting it
   * would let the replicas of a dead peer that held more than `max_moves` shards use up the moves
   * that are to record their own end (the deadlock test/cluster/shards.test.ts found).
   */
  #moving(s: ShardEntry, healthy: ReadonlySet<PeerId>): boolean {
    if (!this.host.groups().includes(s.group)) return false;
    const voters = new Set(this.host.status(s.group).filter((r) => r.role === 'voter').map((r) => r.peer));
    return s.replicas.some((r) => healthy.has(r) && !voters.has(r)) || [...voters].some((v) => !s.replicas.includes(v));
  }

  /** What this peer does for the shard groups it leads. */
  async #leadShards(map: ShardMapState, now: number): Promise<void> {
    const reports: ShardMapChange[] = [];
    for (const s of map.shards) {
      if (!this.host.groups().includes(s.group) || !this.host.isLeader(s.group)) continue;
      const term = this.host.raftStatus(s.group).hardState.term;
      if ((s.leader !== this.host.self || s.term !== term) && now - (this.#reported.get(s.id) ?? 0) >= reportEveryMs) {
        reports.push({ op: 'setLeader', shard: s.id, leader: this.host.self, term });
        this.#reported.set(s.id, now);
      }
      await this.#writeIdBase(s);
      await this.#spreadLeader(map, s, now);
    }
    if (reports.length > 0) await this.proposeChanges(reports);
  }

  async #writeIdBase(s: ShardEntry): Promise<void> {
    const base = idBase(s.id);
    if (this.#based.has(s.group) || this.host.graph(s.group).node(base) !== undefined) {
      this.#based.add(s.group);
      return;
    }
    const commands: GraphCommand[] = [
      { op: 'createNode', id: base, labels: [GHOST_LABEL], props: [[GHOST_HOME_KEY, BigInt(s.id)]] },
      { op: 'createEdge', id: base, type: ID_BASE_TYPE, src: base, dst: base, props: [] },
    ];
    await this.host.applyCommands(s.group, commands);
    this.#based.add(s.group);
  }

  /** Hands the group's leadership over when this peer is not placed, or when placement spreads leaders. */
  async #spreadLeader(map: ShardMapState, s: ShardEntry, now: number): Promise<void> {
    if (now - (this.#transferred.get(s.id) ?? 0) < transferEveryMs) return;
    let to: PeerId | undefined;
    if (!s.replicas.includes(this.host.self)) {
      to = s.replicas.find((r) => this.host.memberPeers().includes(r));
    } else {
      const moves = planPlacement({ shards: map.shards, peers: this.#placementPeers(map, now), factor: this.host.config.replicationFactor, movesInFlight: 0, maxMoves: map.shards.length });
      const m = moves.find((x) => x.op === 'transferLeader' && x.shard === s.id && x.from === this.host.self);
      if (m !== undefined && m.op === 'transferLeader') to = m.to;
    }
    if (to === undefined) return;
    this.#transferred.set(s.id, now);
    const target = to;
    await this.host.stepDown({ group: s.group, preferred: (p) => p === target, eligible: (p) => s.replicas.includes(p), timeoutMs: 1_000 });
  }
}
