/**
 * Shard splits, the pure core (docs/sharding.md, "Splits"): which shard to split, how its key
 * space is cut in two, what the new shard is given and what the source deletes, which writes the
 * source refuses while its half moves, and when a reader's map is too old for what a shard holds.
 * The shard manager (shard-manager.ts) runs the protocol with these:
 *
 * 1. the meta leader sees a shard past `sharding.split_threshold_nodes` and records `beginSplit`
 *    (the new shard, its group on the source's replicas, the spreads after the split: a hash spread
 *    hands the new shard the source's arcs above the median hash of its nodes, a range spread cuts
 *    the source's range at the median key);
 * 2. the source gets a **fence**: a marker node (`__geode_split`) in its log; from that entry on, its
 *    leader refuses every write touching a node the new spreads give the new shard (PROPOSAL_DROPPED
 *    `StaleShardMap`: nothing happened; the router refreshes its map and retries);
 * 3. once no prepared transaction locks a moving node, the moving half (read at a linearizable
 *    point after the fence: nothing of it changes any more) is copied to the new group;
 * 4. `switchSplit`: one map version adds the new shard to the map and switches the spreads;
 * 5. the source turns the moved nodes into ghosts of the new shard and drops the edge entries that
 *    left with them (batches that also mark the fence `cleaned`), then `finishSplit`.
 *
 * Between 4 and 5 the source still holds the moved nodes: readers with the new map count only what
 * the map gives the source ({@link ownerFilter}). A reader whose map predates the switch and meets a
 * fence refreshes its map ({@link checkMapFresh}). Ghosts on other shards keep naming the source:
 * fetches for such ids also ask the shards split from it ({@link familyOf}).
 */
import type { GraphCommand, GraphReader, NodeRecord, PropertyValue, Value } from '../graph/index.ts';
import type { PeerId } from '../net/types.ts';
import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';
import { GHOST_HOME_KEY, GHOST_LABEL, INTERNAL_LABEL_PREFIX, isGhost, isInternal } from './coordinator/shard-data.ts';
import { hashKey, HashRing, subtractArcs, type RingArc, type ShardId } from './hash-ring.ts';
import { decodeTagged, encodeTagged, LEASED_IDS_END } from './meta-store.ts';
import { shardingOf, shardOfNode, type LabelSharding, type ShardMapChange, type ShardMapState, type SplitSpreads, type SplitState } from './shard-map.ts';
import { groupOfShard } from './sharding-config.ts';
import { orderCompare } from '../query/value-ops.ts';
import { shardsMax, virtualNodesDefault } from './sharding-constants.ts';

/** The label of a split's fence marker in the source shard's graph. */
export const SPLIT_LABEL = '__geode_split';
/** The error detail of a write refused by a fence, and of a read whose map is older than a split. */
export const STALE_MAP_DETAIL = 'StaleShardMap';

/** splitMarkerId: the marker's node id in shard `from`: just below its own id base (never allocated). */
export function splitMarkerId(from: ShardId, into: ShardId): number {
  return (from + 1) * LEASED_IDS_END - 1 - into;
}

/** A node as the split reads it. */
export interface SplitNode {
  readonly id: number;
  readonly labels: Iterable<string>;
  readonly props: ReadonlyMap<string, Value>;
}

// ------------------------------------------------------------------ the decision and the plan

/**
 * shardToSplit: the shard with the most nodes above `threshold` (0: splits off), none while a
 * split is under way or the map is full. `nodes`: each shard's owned node count.
 */
export function shardToSplit(map: ShardMapState, nodes: ReadonlyMap<ShardId, number>, threshold: number): ShardId | undefined {
  if (threshold <= 0 || map.splits.length > 0 || map.shards.length >= shardsMax) return undefined;
  let best: ShardId | undefined;
  let most = threshold;
  for (const s of map.shards) {
    const n = nodes.get(s.id) ?? 0;
    if (n > most) {
      most = n;
      best = s.id;
    }
  }
  return best;
}

/** The position a hash spread places a node at (its key when that holds an integer or a string, its id otherwise). */
function ringKeyOf(sh: LabelSharding, n: SplitNode): bigint | number | string {
  const v = sh.key === undefined ? undefined : n.props.get(sh.key);
  if (typeof v === 'bigint' || typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v))) return v;
  return n.id;
}

/** A hash spread split: the source's arcs at or above the median hash of its nodes go to `into`. */
function splitHash(sh: LabelSharding, from: ShardId, into: ShardId, nodes: readonly SplitNode[]): LabelSharding | undefined {
  const hashes = nodes.map((n) => hashKey(ringKeyOf(sh, n))).sort((a, b) => a - b);
  if (hashes.length < 2) return undefined;
  let m = hashes[hashes.length >> 1]!;
  if (m === hashes[0]) m = hashes.find((h) => h > hashes[0]!) ?? m;
  if (m === hashes[0]) return undefined; // one position: nothing to cut
  const ring = HashRing.of(sh.shards, sh.virtualNodes ?? virtualNodesDefault, sh.arcs ?? []);
  const moving = (ring.spans().get(from) ?? []).flatMap(([a, b]): [number, number][] => (b < m ? [] : [[Math.max(a, m), b]]));
  const kept: RingArc[] = [];
  for (const arc of sh.arcs ?? []) for (const [a, b] of subtractArcs([[arc[0], arc[1]]], moving)) kept.push([a, b, arc[2]]);
  const arcs = [...kept, ...moving.map(([a, b]): RingArc => [a, b, into])].sort((x, y) => x[0] - y[0]);
  // Neighbouring arcs of one shard merge (a ring split many times keeps few arcs).
  const merged: RingArc[] = [];
  for (const a of arcs) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last[2] === a[2] && last[1] + 1 === a[0]) merged[merged.length - 1] = [last[0], a[1], a[2]];
    else merged.push(a);
  }
  return { ...sh, shards: [...sh.shards, into].sort((a, b) => a - b), arcs: merged };
}

/** A range spread split: the source's range is cut at the median key of its nodes; `into` takes the upper part. */
function splitRange(sh: LabelSharding, from: ShardId, into: ShardId, nodes: readonly SplitNode[]): LabelSharding | undefined {
  const key = sh.key!;
  const values = nodes.flatMap((n) => {
    const v = n.props.get(key);
    return v === undefined || v === null ? [] : [v];
  });
  values.sort(orderCompare);
  if (values.length === 0) return undefined;
  const below = nodes.length - values.length; // nodes without the key stay
  let m = values[values.length >> 1]!;
  if (below === 0 && orderCompare(m, values[0]!) === 0) m = values.find((v) => orderCompare(v, values[0]!) > 0) ?? m;
  if (below === 0 && orderCompare(m, values[0]!) === 0) return undefined; // one key value: nothing to cut
  // A boundary is stored in the map (JSON): integers, floats and strings only, as the configuration's.
  if (typeof m !== 'bigint' && typeof m !== 'string' && !(typeof m === 'number' && Number.isFinite(m))) return undefined;
  const i = sh.shards.indexOf(from);
  const ranges = [...(sh.ranges ?? [])];
  // A boundary equal to the range's own start would leave the source empty: only above it.
  if (i > 0 && orderCompare(m, ranges[i - 1]!) <= 0) return undefined;
  const shards = [...sh.shards];
  shards.splice(i + 1, 0, into);
  ranges.splice(i, 0, m);
  return { ...sh, shards, ranges };
}

/**
 * planSplit: the `beginSplit` change that cuts shard `from` in two, from its nodes (`nodes`: every
 * node it owns), with the new shard's voters `replicas`; undefined when no spread can be cut (one
 * key value, graph-aware only). Each hash or range spread using the shard is cut at the median of
 * its own nodes there; graph-aware spreads keep their nodes where they are.
 */
export function planSplit(map: ShardMapState, from: ShardId, nodes: Iterable<SplitNode>, replicas: readonly PeerId[]): Extract<ShardMapChange, { op: 'beginSplit' }> | undefined {
  const used = new Set([...map.shards.map((s) => s.id), ...map.splits.map((s) => s.into)]);
  let into = 0;
  while (used.has(into)) into++;
  if (into >= shardsMax) return undefined;
  const bySpread = new Map<LabelSharding, SplitNode[]>();
  for (const n of nodes) {
    const sh = shardingOf(map, [...n.labels]);
    let l = bySpread.get(sh);
    if (l === undefined) bySpread.set(sh, (l = []));
    l.push(n);
  }
  const cut = (sh: LabelSharding): LabelSharding | undefined => {
    if (!sh.shards.includes(from)) return undefined;
    const mine = bySpread.get(sh) ?? [];
    if (sh.strategy === 'hash') return splitHash(sh, from, into, mine);
    if (sh.strategy === 'range') return splitRange(sh, from, into, mine);
    return undefined;
  };
  const defaultSharding = cut(map.defaultSharding);
  const labels: [string, LabelSharding][] = [];
  for (const [l, sh] of map.labels) {
    const c = cut(sh);
    if (c !== undefined) labels.push([l, c]);
  }
  if (defaultSharding === undefined && labels.length === 0) return undefined;
  const spreads: SplitSpreads = { ...(defaultSharding === undefined ? {} : { defaultSharding }), labels };
  return { op: 'beginSplit', shard: from, into, group: groupOfShard(into), replicas: [...replicas], spreads };
}

// ------------------------------------------------------------------ ownership

/** The map as it will be once `sp` switched (spreads only: for placement). */
export function mapAfterSplit(map: ShardMapState, sp: SplitState): ShardMapState {
  if (sp.phase === 'cleanup') return map;
  const labels = new Map(map.labels);
  for (const [l, sh] of sp.spreads.labels) labels.set(l, sh);
  return { ...map, defaultSharding: sp.spreads.defaultSharding ?? map.defaultSharding, labels };
}

/** ownerIn: the shard `map` places node `n` on, a node of shard `self` (graph-aware nodes stay where they are). */
export function ownerIn(map: Pick<ShardMapState, 'defaultSharding' | 'labels'>, self: ShardId, n: SplitNode): ShardId {
  const sh = shardingOf(map as ShardMapState, [...n.labels]);
  return shardOfNode(sh, n.id, n.props) ?? self;
}

/**
 * ownerFilter: for a shard whose split is cleaning up (the new shard serves, the source still
 * holds the moved half), the owner of each of its real nodes under `map`; undefined otherwise
 * (every real node of the shard is its own).
 */
export function ownerFilter(map: ShardMapState, shard: ShardId): ((n: NodeRecord) => ShardId) | undefined {
  const sp = map.splits.find((s) => s.from === shard && s.phase === 'cleanup');
  if (sp === undefined) return undefined;
  return (n) => ownerIn(map, shard, n);
}

/** familyOf: `shard` and every shard split from it, transitively (where a node a ghost says lives on `shard` may be now). */
export function familyOf(map: ShardMapState, shard: ShardId): ShardId[] {
  const out = [shard];
  for (let i = 0; i < out.length; i++) for (const s of map.shards) if (s.parent === out[i] && !out.includes(s.id)) out.push(s.id);
  return out;
}

// ------------------------------------------------------------------ the fence

/** The fence marker's node: created in the source's log before the copy. */
export function fenceCommand(map: ShardMapState, sp: SplitState): GraphCommand {
  const after = mapAfterSplit(map, sp);
  const spreads = encodeTagged({ defaultSharding: after.defaultSharding, labels: [...after.labels] });
  return {
    op: 'createNode',
    id: splitMarkerId(sp.from, sp.into),
    labels: [SPLIT_LABEL],
    props: [
      ['from', BigInt(sp.from)],
      ['into', BigInt(sp.into)],
      ['spreads', spreads],
      ['phase', 'fenced'],
    ],
  };
}

interface Fence {
  readonly from: ShardId;
  readonly into: ShardId;
  readonly phase: string;
  readonly owner: (n: SplitNode) => ShardId;
}

const fenceCache = new Map<string, Pick<ShardMapState, 'defaultSharding' | 'labels'>>();

/** The fences in a shard graph. */
export function fencesOf(graph: GraphReader): Fence[] {
  if (graph.labelCount(SPLIT_LABEL) === 0) return [];
  const out: Fence[] = [];
  for (const m of graph.nodesByLabel(SPLIT_LABEL)) {
    const text = m.props.get('spreads');
    if (typeof text !== 'string') continue;
    let spreads = fenceCache.get(text);
    if (spreads === undefined) {
      const raw = decodeTagged(text) as { defaultSharding: LabelSharding; labels: [string, LabelSharding][] };
      spreads = { defaultSharding: raw.defaultSharding, labels: new Map(raw.labels) };
      if (fenceCache.size > 64) fenceCache.clear();
      fenceCache.set(text, spreads);
    }
    const from = Number(m.props.get('from') as bigint);
    const after = spreads;
    out.push({ from, into: Number(m.props.get('into') as bigint), phase: String(m.props.get('phase')), owner: (n) => ownerIn(after, from, n) });
  }
  return out;
}

function refused(f: Fence, what: string): GeodeError {
  return new GeodeError('PROPOSAL_DROPPED', `shard ${f.from} is handing ${what} to shard ${f.into} (a split): nothing was written; refresh the shard map and retry`, {
    detail: STALE_MAP_DETAIL,
    source: `shard ${f.from}`,
  });
}

/** Whether a batch is split or transaction machinery (it touches a bookkeeping node that is not a ghost): the fence lets it by. */
function isMachinery(graph: GraphReader, commands: readonly GraphCommand[]): boolean {
  for (const c of commands) {
    if (c.op === 'createNode') {
      if (c.labels.some((l) => l.startsWith(INTERNAL_LABEL_PREFIX) && l !== GHOST_LABEL)) return true;
      continue;
    }
    if (c.op === 'setNodeProperty' || c.op === 'addLabel' || c.op === 'removeLabel' || c.op === 'deleteNode') {
      const n = graph.node(c.id);
      if (n !== undefined && isInternal(n) && !isGhost(n)) return true;
    }
  }
  return false;
}

/**
 * checkFence: throws PROPOSAL_DROPPED `StaleShardMap` when `commands` (about to be proposed on a
 * shard whose graph, before them, is `graph`) touch a node a fence hands to another shard, or
 * create one it would place there. Split and transaction machinery passes (a prepare is checked on
 * its raw commands by the participant; a resolution finishes what was prepared before the fence,
 * which the copy waits for).
 */
export function checkFence(graph: GraphReader, commands: readonly GraphCommand[]): void {
  const fences = fencesOf(graph);
  if (fences.length === 0 || isMachinery(graph, commands)) return;
  const created = new Set<number>();
  for (const c of commands) {
    if (c.op === 'createNode') {
      created.add(c.id);
      if (c.labels.some((l) => l.startsWith(INTERNAL_LABEL_PREFIX))) continue;
      const n: SplitNode = { id: c.id, labels: c.labels, props: new Map(c.props) };
      for (const f of fences) if (f.owner(n) !== f.from) throw refused(f, `the key space of node ${c.id}`);
      continue;
    }
    let ids: number[];
    if (c.op === 'createEdge') ids = [c.src, c.dst];
    else if (c.op === 'deleteEdge' || c.op === 'setEdgeProperty') {
      const e = graph.edge(c.id);
      ids = e === undefined ? [] : [e.src.id, e.dst.id];
    } else if ('id' in c) ids = [c.id];
    else continue;
    for (const id of ids) {
      if (created.has(id)) continue;
      const n = graph.node(id);
      if (n === undefined || n.deleted || isInternal(n)) continue;
      for (const f of fences) if (f.owner(n) !== f.from) throw refused(f, `node ${id}`);
    }
  }
}

/**
 * movingLocked: whether a prepared transaction on the source write-locks a node the fence hands
 * away, or one it creates (the copy waits for its resolution). Transaction state is a bookkeeping node whose
 * properties `w:n:<id>` are its write locks (src/txn/intents.ts); read without importing the
 * transaction layer, which sits above this one.
 */
export function movingLocked(graph: GraphReader, owner: (n: SplitNode) => ShardId, from: ShardId): boolean {
  for (const l of graph.labels()) {
    if (!l.startsWith(INTERNAL_LABEL_PREFIX) || l === GHOST_LABEL || l === SPLIT_LABEL) continue;
    for (const state of graph.nodesByLabel(l)) {
      for (const k of state.props.keys()) {
        if (!k.startsWith('w:n:')) continue;
        const n = graph.node(Number(k.slice(4)));
        // A lock on a node that does not exist yet: the transaction creates it, maybe in the moving half.
        if (n === undefined || n.deleted) return true;
        if (!isInternal(n) && owner(n) !== from) return true;
      }
    }
  }
  return false;
}

/**
 * checkMapFresh: a reader with `map` reading shard `shard`'s graph must have a map at least as new
 * as the splits that graph shows: a fence whose new shard the map does not hold means the map may
 * predate the switch (the new shard may already take writes). Throws PROPOSAL_DROPPED
 * `StaleShardMap` unless the map was refreshed (linearizably) during the statement and the source
 * has not begun deleting the moved half (then no write can have reached the new shard yet).
 */
export function checkMapFresh(graph: GraphReader, map: ShardMapState, shard: ShardId, fresh: boolean): void {
  for (const f of fencesOf(graph)) {
    if (f.from !== shard || map.shards.some((s) => s.id === f.into)) continue;
    if (fresh && f.phase === 'fenced') continue;
    throw new GeodeError('PROPOSAL_DROPPED', `shard ${shard} was split into shard ${f.into}, which this peer's shard map does not know yet: refresh it and retry`, {
      detail: STALE_MAP_DETAIL,
      source: `shard ${shard}`,
    });
  }
}

// ------------------------------------------------------------------ the copy and the cleanup

/** The node ids of `graph` (shard `from`) that `owner` gives to `into`. */
export function movingNodes(graph: GraphReader, owner: (n: SplitNode) => ShardId, from: ShardId, into: ShardId): NodeRecord[] {
  const out: NodeRecord[] = [];
  for (const n of graph.nodes()) if (!n.deleted && !isInternal(n) && owner(n) === into) out.push(n);
  assert(into !== from, `a split of shard ${from} into itself`);
  return out;
}

/**
 * copyCommands: what the new shard `into` applies to hold the moving half of `graph` (shard `from`):
 * the source's indexes, the moving nodes, every edge touching one (forward or reverse entry, as
 * the layout wants) and ghosts for their other ends. `has(id, 'node' | 'edge')`: what the new shard
 * already holds (a copy started before is continued, not repeated).
 */
export function copyCommands(graph: GraphReader, owner: (n: SplitNode) => ShardId, from: ShardId, into: ShardId, has: (kind: 'node' | 'edge' | 'index', id: number | string) => boolean): GraphCommand[] {
  const out: GraphCommand[] = [];
  for (const ix of graph.indexes()) if (!ix.unique && !has('index', ix.name)) out.push({ op: 'createIndex', name: ix.name, label: ix.label, keys: ix.keys });
  const moving = movingNodes(graph, owner, from, into);
  const ids = new Set(moving.map((n) => n.id));
  for (const n of moving) if (!has('node', n.id)) out.push({ op: 'createNode', id: n.id, labels: [...n.labels], props: [...n.props] as [string, PropertyValue][] });
  const ghosts = new Set<number>();
  const ghost = (far: NodeRecord): void => {
    if (ids.has(far.id) || ghosts.has(far.id)) return;
    ghosts.add(far.id);
    if (has('node', far.id)) return;
    const home = isGhost(far) ? Number(far.props.get(GHOST_HOME_KEY) as bigint) : from;
    out.push({ op: 'createNode', id: far.id, labels: [GHOST_LABEL], props: [[GHOST_HOME_KEY, BigInt(home)]] });
  };
  const seen = new Set<number>();
  for (const n of moving) {
    for (const e of [...n.out, ...n.in]) {
      if (e.deleted || seen.has(e.id)) continue;
      seen.add(e.id);
      ghost(e.src);
      ghost(e.dst);
      if (!has('edge', e.id)) out.push({ op: 'createEdge', id: e.id, type: e.type, src: e.src.id, dst: e.dst.id, props: [...e.props] as [string, PropertyValue][] });
    }
  }
  return out;
}

/**
 * cleanupCommands: what the source deletes once the new shard serves, in groups that must land in
 * one entry each: every edge entry touching a moved node whose other end is not the source's own
 * (it lives on the new shard now, and on the other end's shard) goes, and each moved node becomes
 * a ghost of the new shard in one group (edges to the source's own nodes stay, as reverse or
 * forward entries). Ghosts are never deleted here: a write under way may be adding an edge to one.
 */
export function cleanupCommands(graph: GraphReader, owner: (n: SplitNode) => ShardId, from: ShardId, into: ShardId): GraphCommand[][] {
  const out: GraphCommand[][] = [];
  const moving = movingNodes(graph, owner, from, into);
  const ids = new Set(moving.map((n) => n.id));
  const own = (n: NodeRecord): boolean => !isInternal(n) && !ids.has(n.id);
  const dropped = new Set<number>();
  for (const n of moving) {
    const group: GraphCommand[] = [];
    for (const e of [...n.out, ...n.in]) {
      if (e.deleted || dropped.has(e.id)) continue;
      if (own(e.src) || own(e.dst)) continue;
      dropped.add(e.id);
      group.push({ op: 'deleteEdge', id: e.id });
    }
    // The node turns into a ghost first, so no state between these commands shows a bare node.
    group.push({ op: 'addLabel', id: n.id, label: GHOST_LABEL });
    group.push({ op: 'setNodeProperty', id: n.id, key: GHOST_HOME_KEY, value: BigInt(into) });
    for (const l of n.labels) if (l !== GHOST_LABEL) group.push({ op: 'removeLabel', id: n.id, label: l });
    for (const k of n.props.keys()) if (k !== GHOST_HOME_KEY) group.push({ op: 'setNodeProperty', id: n.id, key: k, value: null });
    out.push(group);
  }
  return out;
}

/** packGroups: command groups packed into batches of about `max` commands, no group cut. */
export function packGroups(groups: readonly (readonly GraphCommand[])[], max: number): GraphCommand[][] {
  const out: GraphCommand[][] = [];
  let cur: GraphCommand[] = [];
  for (const g of groups) {
    if (cur.length > 0 && cur.length + g.length > max) {
      out.push(cur);
      cur = [];
    }
    cur.push(...g);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** The marker update that opens a cleanup batch (so the fence lets the batch by), and marks the fence `cleaned`. */
export function cleanedCommand(from: ShardId, into: ShardId): GraphCommand {
  return { op: 'setNodeProperty', id: splitMarkerId(from, into), key: 'phase', value: 'cleaned' };
}
