/**
 * Client-side routing for a sharded cluster (docs/sharding.md, "Routing on the client").
 *
 * A cluster client (`openGeode({ cluster: { client: true } })`) caches the shard map (folded from
 * `CALL db.cluster.mapChanges(since)`, refreshed in the background when it is older than
 * {@link clientMapMaxAgeMsDefault}, when a member names a leader of a group the map does not know,
 * and after a `StaleShardMap` refusal) and picks, for each statement, the member it is sent to:
 *
 * - a read the planner prunes to ONE shard (a point lookup by the shard key): that shard's leader;
 * - a single-shard update (`planWrite` kind `shard`): that shard's leader;
 * - an insert whose nodes all land on one shard by their keys: that shard's leader; one node
 *   placed by its id (hash without a key): the leader of one of its spread's shards, in turn (the
 *   router there gives it an id its own shard holds, see `ShardedRouter`);
 * - anything else: no preference (the members in turn, as before).
 *
 * The choice is only where the statement runs first: every member runs the same router over its own
 * map, so a stale client map or a moved leader costs a hop, never an answer. Refusals and retries
 * are the `ShardClient`'s (a write whose outcome is unknown is not retried).
 */
import { GraphStore, type PropertyValue, type Value } from '../graph/index.ts';
import { parse, type NodePattern, type Statement } from '../gql/index.ts';
import { QueryEngine } from '../query/index.ts';
import { isReadOnlyStatement } from '../query/read-only.ts';
import type { PeerId } from '../net/types.ts';
import { toEngineParams, type ShardQueryOptions, type ShardQueryResult } from '../shard/index.ts';
import { isGeodeError } from '../util/errors.ts';
import type { ShardId } from './hash-ring.ts';
import { foldChanges } from './meta-store.ts';
import { shardingOf, shardOfNode, type LabelSharding, type ShardMapState } from './shard-map.ts';
import { PointKeyCache } from './shard-pruning.ts';
import { STALE_MAP_DETAIL } from './shard-split.ts';
import { planWrite } from './shard-writes.ts';

/** A cached map older than this is refreshed in the background (the statement does not wait), ms. */
export const clientMapMaxAgeMsDefault = 1_000;

/** Statement texts whose parse a client router keeps. */
const parsedStatementsMax = 256;

/** What the client router needs of a `ShardClient`. */
export interface RoutingClient {
  query(text: string, params: Readonly<Record<string, unknown>> | undefined, options: ShardQueryOptions, prefer?: PeerId): Promise<ShardQueryResult>;
  leaderOf(group: number): PeerId | undefined;
  knownGroups(): number[];
}

/** Where an insert's nodes land, judged on the client: one shard, one of a spread's shards (placed by id), or several. */
export type InsertDestination = { readonly kind: 'shard'; readonly shard: ShardId } | { readonly kind: 'byId'; readonly shards: readonly ShardId[] } | { readonly kind: 'several' };

/** idPlaced: whether a node of this spread with these properties is placed by its id (hash, no usable key value). */
export function idPlaced(spread: LabelSharding, props: ReadonlyMap<string, Value>): boolean {
  if (spread.strategy !== 'hash') return false;
  const v = spread.key === undefined ? undefined : props.get(spread.key);
  return !(typeof v === 'bigint' || typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v)));
}

/**
 * insertDestination: runs an insert on an empty scratch graph (ids do not matter but for nodes
 * placed by id) and says where its nodes land by the map's spreads.
 */
export function insertDestination(text: string, params: Record<string, Value>, map: ShardMapState, stmt?: Statement): InsertDestination {
  const quick = stmt === undefined ? undefined : staticInsert(stmt, params);
  if (quick !== undefined) return destinationOf(quick.nodes, quick.edges, map);
  const r = new QueryEngine(new GraphStore()).run(text, params);
  const nodes: { labels: readonly string[]; props: Map<string, Value> }[] = [];
  let edges = 0;
  for (const c of r.commands) {
    if (c.op === 'createNode') nodes.push({ labels: c.labels, props: new Map(c.props as [string, PropertyValue][]) });
    else if (c.op === 'createEdge') edges++;
    else return { kind: 'several' };
  }
  return destinationOf(nodes, edges, map);
}

function destinationOf(nodes: readonly { readonly labels: readonly string[]; readonly props: ReadonlyMap<string, Value> }[], edges: number, map: ShardMapState): InsertDestination {
  if (nodes.length === 1 && edges === 0) {
    const spread = shardingOf(map, nodes[0]!.labels);
    if (idPlaced(spread, nodes[0]!.props)) return { kind: 'byId', shards: spread.shards };
  }
  let shard: ShardId | undefined;
  for (const n of nodes) {
    const spread = shardingOf(map, n.labels);
    if (spread.strategy === 'graph-aware' || idPlaced(spread, n.props)) return { kind: 'several' };
    const s = shardOfNode(spread, 0, n.props);
    if (s === undefined || (shard !== undefined && s !== shard)) return { kind: 'several' };
    shard = s;
  }
  return shard === undefined ? { kind: 'several' } : { kind: 'shard', shard };
}

/**
 * staticInsert: the nodes (labels, properties) and the edge count of a plain insert read off its
 * text: one part of CREATE clauses (a RETURN after them) whose node patterns have plain labels and
 * properties given as literals or parameters, each node written once. undefined for anything else
 * (the scratch run decides then). Saves a cluster client an engine run per insert.
 */
export function staticInsert(stmt: Statement, params: Readonly<Record<string, Value>>): { nodes: { labels: string[]; props: Map<string, Value> }[]; edges: number } | undefined {
  const body = stmt.body;
  if (body.kind !== 'Query' || body.parts.length !== 1) return undefined;
  const nodes: { labels: string[]; props: Map<string, Value> }[] = [];
  const bound = new Set<string>();
  let edges = 0;
  for (const clause of body.parts[0]!.clauses) {
    if (clause.kind === 'Return' || clause.kind === 'Finish') continue;
    if (clause.kind !== 'Create') return undefined;
    for (const path of clause.patterns) {
      for (const el of path.elements) {
        if (el.kind === 'RelationshipPattern') {
          edges++;
          continue;
        }
        if (el.variable !== undefined && bound.has(el.variable)) {
          if (el.labels !== undefined || el.properties !== undefined) return undefined;
          continue; // a node created earlier in the statement
        }
        if (el.variable !== undefined) bound.add(el.variable);
        const labels: string[] = [];
        if (!plainLabels(el.labels, labels)) return undefined;
        const props = new Map<string, Value>();
        const p = el.properties;
        if (p !== undefined) {
          if (p.kind !== 'MapLiteral') return undefined;
          for (const { key, value } of p.entries) {
            if (value.kind === 'Literal') props.set(key, value.value);
            else if (value.kind === 'Parameter' && Object.hasOwn(params, value.name)) props.set(key, params[value.name]!);
            else return undefined;
          }
        }
        nodes.push({ labels, props });
      }
    }
  }
  return nodes.length === 0 ? undefined : { nodes, edges };
}

function plainLabels(e: NodePattern['labels'], out: string[]): boolean {
  if (e === undefined) return true;
  if (e.kind === 'LabelName') {
    out.push(e.name);
    return true;
  }
  if (e.kind === 'LabelAnd') return plainLabels(e.left, out) && plainLabels(e.right, out);
  return false;
}

/** The route of one statement: the shard whose leader should run it, a choice of shards, or none (any member). */
export type ClientRoute = { readonly kind: 'shard'; readonly shard: ShardId } | { readonly kind: 'anyOf'; readonly shards: readonly ShardId[] } | { readonly kind: 'member' };

/** routeStatement: the pure routing decision for one parsed statement over a map (`points`: a router's cache of point keys). */
export function routeStatement(text: string, stmt: Statement, params: Record<string, Value>, map: ShardMapState, points: PointKeyCache = new PointKeyCache()): ClientRoute {
  const body = stmt.body;
  if (body.kind !== 'Query' || stmt.explain) return { kind: 'member' };
  const first = body.parts.length === 1 ? body.parts[0]!.clauses[0] : undefined;
  if (first?.kind === 'Call') return { kind: 'member' };
  if (isReadOnlyStatement(stmt)) {
    const touched = points.touched(stmt, params, map);
    return touched.length === 1 ? { kind: 'shard', shard: touched[0]! } : { kind: 'member' };
  }
  const plan = planWrite(stmt, params, map);
  if (plan.kind === 'shard') return { kind: 'shard', shard: plan.shard };
  if (plan.kind !== 'insert') return { kind: 'member' };
  const dest = insertDestination(text, params, map, stmt);
  if (dest.kind === 'shard') return { kind: 'shard', shard: dest.shard };
  if (dest.kind === 'byId') return { kind: 'anyOf', shards: dest.shards };
  return { kind: 'member' };
}

/** ShardedClientRouter: a cluster client's statements, each sent first to the member its route names. */
export class ShardedClientRouter {
  readonly #client: RoutingClient;
  readonly #maxAgeMs: number;
  #map: ShardMapState | undefined;
  /** The map's changes as folded, in order (`CALL db.cluster.mapChanges`). */
  readonly #changes: { readonly seq: number; readonly change: Value }[] = [];
  #mapAt = 0;
  #refreshing: Promise<void> | undefined;
  #turn = 0;
  /** Statements this router sent to each member and not yet answered (for the choice among leaders). */
  readonly #outstanding = new Map<PeerId, number>();
  /** Parsed statements by text (a client sends the same texts with new parameters). */
  readonly #parsed = new Map<string, Statement>();
  readonly #points = new PointKeyCache();
  /** Statements sent to the leader of the shard their route named. */
  direct = 0;
  /** Statements sent with no preference (a router member runs them). */
  routed = 0;
  /** Map refreshes begun. */
  mapRefreshes = 0;
  /** false: the cached map is kept as it is until {@link refresh} is called (tests: a client with a stale map). */
  autoRefresh = true;

  constructor(client: RoutingClient, options: { readonly mapMaxAgeMs?: number } = {}) {
    this.#client = client;
    this.#maxAgeMs = options.mapMaxAgeMs ?? clientMapMaxAgeMsDefault;
  }

  /** map: the cached shard map (undefined until the first refresh answered). */
  map(): ShardMapState | undefined {
    return this.#map;
  }

  /** refresh: re-reads the map from a member (one at a time; callers share a refresh under way). */
  refresh(): Promise<void> {
    if (this.#refreshing !== undefined) return this.#refreshing;
    this.mapRefreshes++;
    this.#refreshing = (async () => {
      try {
        // Only the changes after the last one held (the map's changes are only ever appended).
        const last = this.#changes.length === 0 ? 0 : this.#changes[this.#changes.length - 1]!.seq;
        const r = await this.#client.query('CALL db.cluster.mapChanges($since)', { since: BigInt(last) }, {});
        const fresh = r.rows.map((row) => ({ seq: Number(row['seq'] as bigint), change: row['change'] as Value })).filter((c) => c.seq > last).sort((a, b) => a.seq - b.seq);
        if (fresh.length > 0 || this.#map === undefined) {
          this.#changes.push(...fresh);
          this.#map = foldChanges(this.#changes.map((c) => c.change));
        }
        this.#mapAt = Date.now();
      } catch {
        // Not a sharded cluster (no such procedure), or no member answered: route through members.
        this.#mapAt = Date.now();
      }
    })().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /** run: one statement, sent first to the member its route names. */
  async run(text: string, params: Readonly<Record<string, unknown>> | undefined, options: ShardQueryOptions = {}): Promise<ShardQueryResult> {
    const groups = this.#client.knownGroups();
    // An unsharded cluster names leaders of group 0 only; a statement for a given group is the caller's.
    if (options.group !== undefined || !groups.some((g) => g > 0)) return this.#client.query(text, params, options);
    const map = this.#map;
    if (map === undefined || (this.autoRefresh && (Date.now() - this.#mapAt > this.#maxAgeMs || groups.some((g) => g > 0 && !map.shards.some((s) => s.group === g))))) void this.refresh();
    const peer = map === undefined ? undefined : this.#pick(text, params, map);
    if (peer === undefined) this.routed++;
    else {
      this.direct++;
      this.#outstanding.set(peer, (this.#outstanding.get(peer) ?? 0) + 1);
    }
    try {
      return await this.#client.query(text, params, options, peer);
    } catch (err) {
      if (this.autoRefresh && isGeodeError(err, 'PROPOSAL_DROPPED') && err.detail === STALE_MAP_DETAIL) void this.refresh();
      throw err;
    } finally {
      if (peer !== undefined) {
        const left = this.#outstanding.get(peer)! - 1;
        if (left === 0) this.#outstanding.delete(peer);
        else this.#outstanding.set(peer, left);
      }
    }
  }

  #pick(text: string, params: Readonly<Record<string, unknown>> | undefined, map: ShardMapState): PeerId | undefined {
    let route: ClientRoute;
    try {
      let stmt = this.#parsed.get(text);
      if (stmt === undefined) {
        stmt = parse(text);
        if (this.#parsed.size >= parsedStatementsMax) this.#parsed.clear();
        this.#parsed.set(text, stmt);
      }
      route = routeStatement(text, stmt, toEngineParams(params), map, this.#points);
    } catch {
      return undefined; // a statement the member will refuse: it says why
    }
    const leaderOf = (shard: ShardId): PeerId | undefined => {
      const s = map.shards.find((x) => x.id === shard);
      return s === undefined ? undefined : this.#client.leaderOf(s.group);
    };
    if (route.kind === 'shard') return leaderOf(route.shard);
    if (route.kind === 'anyOf') {
      // The leader with the fewest of this router's statements under way (ties in turn). Writers
      // answered together (one log entry's answers come in one frame) then go back together to
      // the leader that answered them, so each leader keeps a batch of its own: rotating per
      // statement split them into batches of ~2 writes per entry and frame (docs/sharding.md).
      const leaders = [...new Set(route.shards.flatMap((s) => leaderOf(s) ?? []))].sort();
      if (leaders.length === 0) return undefined;
      const start = this.#turn++;
      let best: PeerId | undefined;
      let bestLoad = Infinity;
      for (let k = 0; k < leaders.length; k++) {
        const peer = leaders[(start + k) % leaders.length]!;
        const load = this.#outstanding.get(peer) ?? 0;
        if (load < bestLoad) {
          best = peer;
          bestLoad = load;
        }
      }
      return best;
    }
    return undefined;
  }
}
