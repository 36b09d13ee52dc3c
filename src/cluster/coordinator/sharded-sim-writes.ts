/**
 * The writes of the sharded simulation (sharded-sim.ts) and their checks, as pure functions over
 * what the run recorded: the writes (each with its outcome), the answers of the queries that see
 * them, and the shard groups' graphs after the faults.
 *
 * A write inserts 1–3 `Item` nodes (`w`: the write's number, `k`: the range key that places it)
 * chained by `LINK` edges (`w` too). Items are range-sharded by `k` (spans of {@link ITEM_SPAN}),
 * so the writer chooses each node's shard: a single-shard write (one node, or two linked on one
 * shard), a cross-shard pair (an edge between nodes on two shards: the edge on the source's shard,
 * its reverse entry and ghosts on the target's), or a chain over the three shards.
 */
import { GraphStore, type GraphCommand, type GraphReader, type PropertyValue, type Value } from '../../graph/index.ts';
import { isGeodeError } from '../../util/errors.ts';
import type { ShardId } from '../hash-ring.ts';
import { shardingOf, shardOfNode, type ShardMapChange, type ShardMapState } from '../shard-map.ts';
import { splitGraph, type EdgeData, type NodeData } from './shard-data.ts';

/** The width of one shard's span of `Item.k`: shard s holds k in [s·span, (s+1)·span). */
export const ITEM_SPAN = 1_000_000n;
/** Most nodes one simulated write inserts. */
export const writeNodesMax = 3;

/** itemSharding: `Item` range-sharded by `k` over `shards` (spans of {@link ITEM_SPAN}). */
export function itemSharding(shards: readonly ShardId[]): ShardMapChange {
  return { op: 'setSharding', label: 'Item', sharding: { strategy: 'range', shards: [...shards], key: 'k', ranges: shards.slice(1).map((_s, i) => BigInt(i + 1) * ITEM_SPAN) } };
}

/** How a write ended, as its issuer saw it. */
export type WriteOutcome = 'pending' | 'acked' | 'failed' | 'unknown';

/** One simulated write: what it inserts, where, and how it ended. */
export interface SimWrite {
  readonly w: number;
  readonly nodes: readonly NodeData[];
  readonly edges: readonly EdgeData[];
  /** Each node's shard. */
  readonly home: ReadonlyMap<number, ShardId>;
  /** The shards it writes (ascending). */
  readonly shards: readonly ShardId[];
  /** Its commands per shard (splitGraph: the router's split). */
  readonly parts: ReadonlyMap<ShardId, readonly GraphCommand[]>;
  /** Virtual ms it was issued and settled at. */
  readonly issued: number;
  settled: number;
  outcome: WriteOutcome;
  error?: string;
}

/**
 * buildWrite: write `w` with one node on each of `shards` (in order; a shard may repeat) chained by
 * LINK edges, ids from `firstId` on. Placement by `map`'s rule for `Item`, which must agree.
 */
export function buildWrite(w: number, shards: readonly ShardId[], firstId: number, map: ShardMapState, issued: number): SimWrite {
  if (shards.length < 1 || shards.length > writeNodesMax) throw new Error(`a write has 1 to ${writeNodesMax} nodes, not ${shards.length}`);
  let id = firstId;
  const nodes: NodeData[] = shards.map((s, j) => ({ id: id++, labels: ['Item'], props: [['w', BigInt(w)], ['k', BigInt(s) * ITEM_SPAN + BigInt(w * writeNodesMax + j)]] }));
  const edges: EdgeData[] = [];
  for (let j = 0; j + 1 < nodes.length; j++) edges.push({ id: id++, type: 'LINK', src: nodes[j]!.id, dst: nodes[j + 1]!.id, props: [['w', BigInt(w)]] });
  const home = new Map<number, ShardId>();
  const spread = shardingOf(map, ['Item']);
  nodes.forEach((n, j) => {
    const s = shardOfNode(spread, n.id, new Map(n.props));
    // A split may have handed part of a shard's key range to a new shard: the map decides.
    if (s === undefined || (map.splits.length === 0 && map.shards.length === 3 && s !== shards[j])) throw new Error(`Item k=${String(n.props[1]![1])} placed on shard ${String(s)}, not ${shards[j]}`);
    home.set(n.id, s);
  });
  const parts = splitGraph(nodes, edges, (n) => home.get(n)!);
  return { w, nodes, edges, home, shards: [...parts.keys()].sort((a, b) => a - b), parts, issued, settled: -1, outcome: 'pending' };
}

/** The ids a write uses. */
export function writeIds(write: SimWrite): number {
  return write.nodes.length + write.edges.length;
}

/**
 * classifyWriteError: `failed` when the error says nothing was written (PROPOSAL_DROPPED other than
 * `OutcomeUnknown`), `unknown` when it may have been (time limits, a coordinator or host that died,
 * `OutcomeUnknown`), undefined for an error faults do not explain.
 */
export function classifyWriteError(err: unknown): 'failed' | 'unknown' | undefined {
  if (!isGeodeError(err)) return undefined;
  if (err.code === 'PROPOSAL_DROPPED') return err.detail === 'OutcomeUnknown' ? 'unknown' : 'failed';
  if (err.code === 'LIMIT_EXCEEDED' || err.code === 'CLOSED' || err.code === 'IO' || err.code === 'NOT_FOUND') return 'unknown';
  return undefined;
}

/** Queries whose answers the writes change: per write, its nodes; per write, its edges walked across shards; all edges. */
export const WRITE_QUERIES = {
  nodes: 'MATCH (i:Item) RETURN i.w AS w, count(*) AS n ORDER BY w',
  links: 'MATCH (a:Item)-[l:LINK]->(b:Item) WHERE a.w = b.w RETURN l.w AS w, count(*) AS n ORDER BY w',
  edges: 'MATCH ()-[r]->() RETURN count(r) AS edges',
} as const;

/** An answer to one of {@link WRITE_QUERIES} during the faults: the query ran in [from, to] (virtual ms). */
export interface WriteAnswer {
  readonly q: string;
  readonly via: string;
  readonly from: number;
  readonly to: number;
  readonly rows: readonly (readonly Value[])[];
}

/**
 * checkWriteAnswer: what an answer given during the faults must satisfy at any state the writes
 * could have left (reads take no snapshot across shards, so a cross-shard write being resolved
 * may show on some of its shards only):
 *
 * - it shows only writes issued before it ended, never one that failed, never more of a write
 *   than the write has;
 * - a single-shard write (one log entry) acknowledged before it started shows in full;
 * - the edge count lies between the base's plus those full single-shard writes' and the base's
 *   plus every write's that could be there.
 *
 * Returns what is wrong, or undefined.
 */
export function checkWriteAnswer(a: WriteAnswer, writes: ReadonlyMap<number, SimWrite>, baseEdges: number): string | undefined {
  const possible = (x: SimWrite): boolean => x.issued <= a.to && x.outcome !== 'failed';
  const mustShow = (x: SimWrite): boolean => x.outcome === 'acked' && x.settled <= a.from && x.shards.length === 1;
  if (a.q === WRITE_QUERIES.edges) {
    const got = Number(a.rows[0]?.[0] ?? -1);
    let lo = baseEdges;
    let hi = baseEdges;
    for (const x of writes.values()) {
      if (mustShow(x)) lo += x.edges.length;
      if (possible(x)) hi += x.edges.length;
    }
    return got < lo || got > hi ? `counted ${got} edges, not in [${lo}, ${hi}]` : undefined;
  }
  const links = a.q === WRITE_QUERIES.links;
  const seen = new Map<number, number>();
  for (const [w, n] of a.rows) seen.set(Number(w), Number(n));
  for (const [w, n] of seen) {
    const x = writes.get(w);
    if (x === undefined || !possible(x)) return `shows write ${w}${x === undefined ? ', never issued' : ` (${x.outcome}, issued at ${x.issued})`}`;
    const most = links ? x.edges.length : x.nodes.length;
    if (n > most) return `shows ${n} ${links ? 'links' : 'nodes'} of write ${w}, which has ${most}`;
  }
  for (const x of writes.values()) {
    const full = links ? x.edges.length : x.nodes.length;
    if (full > 0 && mustShow(x) && seen.get(x.w) !== full) return `shows ${seen.get(x.w) ?? 0} of the ${full} ${links ? 'links' : 'nodes'} of write ${x.w}, a single-shard write acknowledged at ${x.settled}`;
  }
  return undefined;
}

/**
 * partState: whether `graph` (shard `shard`'s group) holds write `x`'s part: `all` (every command
 * of the part applied: nodes, ghosts, edges), `none` (nothing of it), else `partial`.
 */
export function partState(graph: GraphReader, x: SimWrite, shard: ShardId): 'all' | 'none' | 'partial' {
  let have = 0;
  let total = 0;
  for (const c of x.parts.get(shard) ?? []) {
    total++;
    if (c.op === 'createNode') {
      const n = graph.node(c.id);
      if (n !== undefined && c.labels.every((l) => n.labels.has(l))) have++;
    } else if (c.op === 'createEdge') {
      if (graph.edge(c.id) !== undefined) have++;
    }
  }
  return have === total ? 'all' : have === 0 ? 'none' : 'partial';
}

/**
 * familyPartState: {@link partState} of a write's part on `shard` when splits may have moved it:
 * each of its nodes present (with its labels) and each of its edges present on any of `graphs`
 * (the shard and the shards split from it).
 */
export function familyPartState(graphs: readonly GraphReader[], x: SimWrite, shard: ShardId): 'all' | 'none' | 'partial' {
  let have = 0;
  let total = 0;
  for (const c of x.parts.get(shard) ?? []) {
    total++;
    if (c.op === 'createNode') {
      if (graphs.some((g) => {
        const n = g.node(c.id);
        return n !== undefined && c.labels.every((l) => n.labels.has(l));
      })) have++;
    } else if (c.op === 'createEdge') {
      if (graphs.some((g) => g.edge(c.id) !== undefined)) have++;
    }
  }
  return have === total ? 'all' : have === 0 ? 'none' : 'partial';
}

/** referenceGraph: one database holding `whole` and the nodes and edges of `applied`. */
export function referenceGraph(whole: GraphReader, applied: Iterable<SimWrite>): GraphStore {
  const g = new GraphStore();
  for (const n of whole.nodes()) g.apply({ op: 'createNode', id: n.id, labels: [...n.labels], props: [...n.props] as [string, PropertyValue][] });
  for (const e of whole.edges()) g.apply({ op: 'createEdge', id: e.id, type: e.type, src: e.src.id, dst: e.dst.id, props: [...e.props] as [string, PropertyValue][] });
  for (const x of applied) {
    for (const n of x.nodes) g.apply({ op: 'createNode', id: n.id, labels: n.labels, props: n.props });
    for (const e of x.edges) g.apply({ op: 'createEdge', id: e.id, type: e.type, src: e.src, dst: e.dst, props: e.props });
  }
  return g;
}
