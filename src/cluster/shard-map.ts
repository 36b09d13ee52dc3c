/**
 * The shard map: which shards exist, which Raft group holds each, its replicas, learners and
 * leader, and how each label's nodes are spread over the shards (strategy, key, ranges). It is the
 * state machine of the meta Raft group: every change is a {@link ShardMapChange} in that group's
 * log, applied in order by {@link applyShardMapChange} on every peer, so every peer that applied
 * the same prefix holds the same map. Each applied change that alters the map bumps `version`; a
 * peer caches the map and refreshes it when a shard answers "stale version".
 *
 * Pure: no I/O, no clock. Changes come from the log, i.e. from other peers: each is validated and
 * a bad one is refused with GeodeError INPUT_INVALID naming what is wrong (never an assertion).
 */
import type { Value } from '../graph/index.ts';
import type { PeerId } from '../net/types.ts';
import { GeodeError } from '../util/errors.ts';
import { HashRing, type RingArc, type ShardId } from './hash-ring.ts';
import { RangePartitioner } from './range-partitioner.ts';
import { labelStrategiesMax, shardsMax, virtualNodesDefault } from './sharding-constants.ts';

/** How a label's nodes are spread over shards. */
export type ShardStrategy = 'hash' | 'range' | 'graph-aware';

/** The spread of one label (or of every label without its own: the default). Placement: {@link shardOfNode}. */
export interface LabelSharding {
  readonly strategy: ShardStrategy;
  /** The shards it uses, ascending for hash / graph-aware, in key order for range. */
  readonly shards: readonly ShardId[];
  /** range: the property whose value places a node; hash: the property hashed (the node id without it). */
  readonly key?: string;
  /** range: the ascending boundaries (shards.length - 1 of them). */
  readonly ranges?: readonly Value[];
  /** hash: ring points per shard. */
  readonly virtualNodes?: number;
  /** hash: arcs of the ring handed to shards made by splits (they own no points of their own). */
  readonly arcs?: readonly RingArc[];
}

/** One shard as the map knows it. */
export interface ShardEntry {
  readonly id: ShardId;
  /** The Raft group holding the shard's data. */
  readonly group: number;
  /** Voting replicas (sync). */
  readonly replicas: readonly PeerId[];
  /** Non-voting replicas (async). */
  readonly learners: readonly PeerId[];
  /** The leader last reported, and the term it leads in (0: none known). */
  readonly leader: PeerId | undefined;
  readonly term: number;
  /** The shard this one was split from: nodes whose ghosts elsewhere name that shard may live here. */
  readonly parent?: ShardId;
}

/** The spreads a split changes: the default's (when it changes) and the labels' that change. */
export interface SplitSpreads {
  readonly defaultSharding?: LabelSharding;
  readonly labels: readonly (readonly [string, LabelSharding])[];
}

/**
 * A split under way (docs/sharding.md, "Splits"). `copying`: the new shard's group runs (not in
 * `shards`, read by nobody) while the source is fenced and its moving half copied; `cleanup`: the
 * new shard serves (in `shards`, the spreads switched) and the source deletes the moved half.
 */
export interface SplitState {
  readonly from: ShardId;
  readonly into: ShardId;
  /** The new shard's Raft group and its voters. */
  readonly group: number;
  readonly replicas: readonly PeerId[];
  readonly phase: 'copying' | 'cleanup';
  /** The spreads once the new shard serves. */
  readonly spreads: SplitSpreads;
}

/** The whole map at one version. */
export interface ShardMapState {
  readonly version: number;
  /** By shard id, ascending. */
  readonly shards: readonly ShardEntry[];
  /** The default spread, and per-label overrides. */
  readonly defaultSharding: LabelSharding;
  readonly labels: ReadonlyMap<string, LabelSharding>;
  /** Splits under way (at most one). */
  readonly splits: readonly SplitState[];
}

/** A change to the map: one entry of the meta group's log. */
export type ShardMapChange =
  | { readonly op: 'addShard'; readonly shard: ShardId; readonly group: number }
  | { readonly op: 'removeShard'; readonly shard: ShardId }
  | { readonly op: 'setReplicas'; readonly shard: ShardId; readonly replicas: readonly PeerId[]; readonly learners: readonly PeerId[] }
  | { readonly op: 'setLeader'; readonly shard: ShardId; readonly leader: PeerId | undefined; readonly term: number }
  | { readonly op: 'setSharding'; readonly label: string | undefined; readonly sharding: LabelSharding }
  /** A split begins: shard `into` (group `group`, voters `replicas`) will take part of `shard` under `spreads`. */
  | { readonly op: 'beginSplit'; readonly shard: ShardId; readonly into: ShardId; readonly group: number; readonly replicas: readonly PeerId[]; readonly spreads: SplitSpreads }
  /** The split's new shard serves: it joins `shards` and the spreads switch (one map version). */
  | { readonly op: 'switchSplit'; readonly shard: ShardId }
  /** The source deleted the moved half: the split is over. */
  | { readonly op: 'finishSplit'; readonly shard: ShardId };

/** emptyShardMap: version 0, no shards, the default spread `hash` over none. */
export function emptyShardMap(): ShardMapState {
  return { version: 0, shards: [], defaultSharding: { strategy: 'hash', shards: [] }, labels: new Map(), splits: [] };
}

function bad(why: string): never {
  throw new GeodeError('INPUT_INVALID', `shard map change refused: ${why}`, { source: 'shard map' });
}

function shardIndex(state: ShardMapState, shard: ShardId): number {
  const i = state.shards.findIndex((s) => s.id === shard);
  if (i < 0) bad(`shard ${shard} does not exist`);
  return i;
}

function checkShardId(shard: unknown, what: string): ShardId {
  if (typeof shard !== 'number' || !Number.isSafeInteger(shard) || shard < 0 || shard >= shardsMax) bad(`${what} must be an integer in [0, ${shardsMax})`);
  return shard;
}

function checkPeers(peers: readonly PeerId[], what: string): void {
  if (!Array.isArray(peers)) bad(`${what} must be a list of peer ids`);
  for (const p of peers) if (typeof p !== 'string' || p.length === 0 || p.length > 128) bad(`${what} holds something that is not a peer id`);
  if (new Set(peers).size !== peers.length) bad(`${what} names a peer twice`);
}

/**
 * checkSharding: a label's spread is usable: known strategy, existing shards, and for range a key
 * and boundaries that cut exactly its shards (RangePartitioner's rules).
 */
function checkSharding(state: ShardMapState, sh: LabelSharding, what: string): void {
  if (sh.strategy !== 'hash' && sh.strategy !== 'range' && sh.strategy !== 'graph-aware') bad(`${what}: unknown strategy ${String(sh.strategy)}`);
  if (!Array.isArray(sh.shards) || sh.shards.length === 0) bad(`${what}: no shards`);
  for (const s of sh.shards) if (!state.shards.some((e) => e.id === s)) bad(`${what}: shard ${s} does not exist`);
  if (sh.strategy === 'range' && (typeof sh.key !== 'string' || sh.key.length === 0)) bad(`${what}: a range strategy needs a key property`);
  try {
    if (sh.strategy === 'range') RangePartitioner.of(sh.shards, sh.ranges ?? []);
    else HashRing.of(sh.shards, sh.virtualNodes ?? virtualNodesDefault, sh.strategy === 'hash' ? (sh.arcs ?? []) : []);
  } catch (err) {
    bad(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * applyShardMapChange: the map after `change`. A change that alters nothing (a leader report of an
 * older term, replicas as they are) returns `state` itself, version unchanged. INPUT_INVALID for a
 * change that cannot apply (unknown shard, a shard still used by a label's spread removed, ...).
 */
export function applyShardMapChange(state: ShardMapState, change: ShardMapChange): ShardMapState {
  const next = (patch: Partial<ShardMapState>): ShardMapState => ({ ...state, ...patch, version: state.version + 1 });
  switch (change.op) {
    case 'addShard': {
      const shard = checkShardId(change.shard, 'addShard: shard');
      if (!Number.isSafeInteger(change.group) || change.group < 0) bad('addShard: group must be a non-negative integer');
      if (state.shards.some((s) => s.id === shard)) bad(`addShard: shard ${shard} exists`);
      if (state.shards.some((s) => s.group === change.group)) bad(`addShard: group ${change.group} already holds a shard`);
      if (state.shards.length >= shardsMax) bad(`addShard: at most ${shardsMax} shards`);
      const entry: ShardEntry = { id: shard, group: change.group, replicas: [], learners: [], leader: undefined, term: 0 };
      return next({ shards: [...state.shards, entry].sort((a, b) => a.id - b.id) });
    }
    case 'removeShard': {
      const i = shardIndex(state, change.shard);
      const users = [['default', state.defaultSharding] as const, ...[...state.labels].map(([l, s]) => [`label ${l}`, s] as const)].filter(([, s]) => s.shards.includes(change.shard));
      if (users.length > 0) bad(`removeShard: shard ${change.shard} is still used by ${users.map(([w]) => w).join(', ')}`);
      return next({ shards: state.shards.filter((_, j) => j !== i) });
    }
    case 'setReplicas': {
      const i = shardIndex(state, change.shard);
      checkPeers(change.replicas, 'setReplicas: replicas');
      checkPeers(change.learners, 'setReplicas: learners');
      if (change.learners.some((p) => change.replicas.includes(p))) bad('setReplicas: a peer is both replica and learner');
      const old = state.shards[i]!;
      if (sameList(old.replicas, change.replicas) && sameList(old.learners, change.learners)) return state;
      const shards = [...state.shards];
      shards[i] = { ...old, replicas: [...change.replicas], learners: [...change.learners] };
      return next({ shards });
    }
    case 'setLeader': {
      const i = shardIndex(state, change.shard);
      if (!Number.isSafeInteger(change.term) || change.term < 0) bad('setLeader: term must be a non-negative integer');
      if (change.leader !== undefined) checkPeers([change.leader], 'setLeader: leader');
      const old = state.shards[i]!;
      // Reports of an older term are late; the same term and leader again change nothing.
      if (change.term < old.term || (change.term === old.term && change.leader === old.leader)) return state;
      const shards = [...state.shards];
      shards[i] = { ...old, leader: change.leader, term: change.term };
      return next({ shards });
    }
    case 'setSharding': {
      if (change.label !== undefined && (typeof change.label !== 'string' || change.label.length === 0)) bad('setSharding: label must be a non-empty string');
      checkSharding(state, change.sharding, change.label === undefined ? 'setSharding (default)' : `setSharding (label ${change.label})`);
      if (change.label === undefined) return next({ defaultSharding: change.sharding });
      if (!state.labels.has(change.label) && state.labels.size >= labelStrategiesMax) bad(`setSharding: at most ${labelStrategiesMax} labels with their own strategy`);
      const labels = new Map(state.labels);
      labels.set(change.label, change.sharding);
      return next({ labels });
    }
    case 'beginSplit':
      return beginSplit(state, change, next);
    case 'switchSplit': {
      const sp = state.splits.find((x) => x.from === change.shard);
      if (sp === undefined || sp.phase !== 'copying') bad(`switchSplit: shard ${change.shard} has no split copying`);
      const entry: ShardEntry = { id: sp.into, group: sp.group, replicas: [...sp.replicas], learners: [], leader: undefined, term: 0, parent: sp.from };
      const labels = new Map(state.labels);
      for (const [l, sh] of sp.spreads.labels) labels.set(l, sh);
      return next({
        shards: [...state.shards, entry].sort((a, b) => a.id - b.id),
        defaultSharding: sp.spreads.defaultSharding ?? state.defaultSharding,
        labels,
        splits: state.splits.map((x) => (x === sp ? { ...x, phase: 'cleanup' as const } : x)),
      });
    }
    case 'finishSplit': {
      const sp = state.splits.find((x) => x.from === change.shard);
      if (sp === undefined || sp.phase !== 'cleanup') bad(`finishSplit: shard ${change.shard} has no split cleaning up`);
      return next({ splits: state.splits.filter((x) => x !== sp) });
    }
    default:
      return bad(`unknown op ${String((change as { op?: unknown }).op)}`);
  }
}

/** beginSplit: checks the split (one at a time, a fresh shard and group, spreads valid with it) and records it. */
function beginSplit(state: ShardMapState, change: Extract<ShardMapChange, { op: 'beginSplit' }>, next: (patch: Partial<ShardMapState>) => ShardMapState): ShardMapState {
  shardIndex(state, change.shard);
  const into = checkShardId(change.into, 'beginSplit: into');
  if (state.splits.length > 0) bad(`beginSplit: shard ${state.splits[0]!.from} is splitting already (one split at a time)`);
  if (state.shards.some((s) => s.id === into)) bad(`beginSplit: shard ${into} exists`);
  if (!Number.isSafeInteger(change.group) || change.group < 0 || state.shards.some((s) => s.group === change.group)) bad(`beginSplit: group ${String(change.group)} is not a free group`);
  if (state.shards.length >= shardsMax) bad(`beginSplit: at most ${shardsMax} shards`);
  checkPeers(change.replicas, 'beginSplit: replicas');
  if (change.replicas.length === 0) bad('beginSplit: the new shard needs replicas');
  const sp = change.spreads;
  if (typeof sp !== 'object' || sp === null || !Array.isArray(sp.labels)) bad('beginSplit: spreads must be { defaultSharding?, labels: [[label, sharding]] }');
  // The spreads must hold with the new shard, and must give it something.
  const withNew: ShardMapState = { ...state, shards: [...state.shards, { id: into, group: change.group, replicas: [], learners: [], leader: undefined, term: 0 }] };
  const changed = [...(sp.defaultSharding === undefined ? [] : [sp.defaultSharding]), ...sp.labels.map(([, sh]) => sh)];
  if (sp.defaultSharding !== undefined) checkSharding(withNew, sp.defaultSharding, 'beginSplit (default)');
  for (const [l, sh] of sp.labels) {
    if (typeof l !== 'string' || !state.labels.has(l)) bad(`beginSplit: label ${String(l)} has no spread of its own`);
    checkSharding(withNew, sh, `beginSplit (label ${l})`);
  }
  if (!changed.some((sh) => sh.shards.includes(into))) bad(`beginSplit: no spread gives shard ${into} anything`);
  const entry: SplitState = { from: change.shard, into, group: change.group, replicas: [...change.replicas], phase: 'copying', spreads: sp };
  return next({ splits: [entry] });
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** shardingOf: the spread that places nodes with these labels: the first label with its own, else the default. */
export function shardingOf(state: ShardMapState, labels: readonly string[]): LabelSharding {
  for (const l of labels) {
    const s = state.labels.get(l);
    if (s !== undefined) return s;
  }
  return state.defaultSharding;
}

const placers = new WeakMap<LabelSharding, HashRing | RangePartitioner>();

/** placerOf: the ring or ranges of a hash or range spread, built once per spread (spreads are immutable values of the map). */
export function placerOf(sh: LabelSharding): HashRing | RangePartitioner {
  let placer = placers.get(sh);
  if (placer === undefined) placers.set(sh, (placer = sh.strategy === 'range' ? RangePartitioner.of(sh.shards, sh.ranges ?? []) : HashRing.of(sh.shards, sh.virtualNodes ?? virtualNodesDefault, sh.arcs ?? [])));
  return placer;
}

/**
 * shardOfNode: the shard a new node goes to under a hash or range spread; undefined under
 * graph-aware (its {@link GraphAwarePartitioner} decides from the neighbours). Hash: the ring
 * position of the `key` property when it holds an integer or a string, of the node id otherwise;
 * range: the range of the `key` property (shard 0 without it). Shard pruning relies on this rule.
 */
export function shardOfNode(sh: LabelSharding, id: bigint | number, props: ReadonlyMap<string, Value>): ShardId | undefined {
  if (sh.strategy === 'graph-aware') return undefined;
  const v = sh.key === undefined ? undefined : props.get(sh.key);
  const placer = placerOf(sh);
  if (placer instanceof RangePartitioner) return placer.shardOf(v);
  const ring = placer;
  if (typeof v === 'bigint' || typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v))) return ring.shardOf(v);
  return ring.shardOf(id);
}
