/**
 * `CALL db.cluster.shards()`: one row per shard of a sharded cluster, as the answering peer sees it:
 * the shard map's strategy and key space, and the shard group's Raft state and data from this
 * peer's replica of it (falling back to the map's replicas and last reported leader when this peer
 * holds none). Columns in {@link SHARDS_COLUMNS} (docs/procedures.md).
 */
import type { GraphReader, Value } from '../graph/index.ts';
import type { ProcedureDefinition } from '../query/index.ts';
import type { ShardHost } from '../shard/index.ts';
import { answerFetch } from './coordinator/shard-data.ts';
import { HashRing } from './hash-ring.ts';
import { applyShardMapChange, emptyShardMap, type LabelSharding, type ShardEntry, type ShardMapState } from './shard-map.ts';
import { virtualNodesDefault } from './sharding-constants.ts';
import { ownerFilter } from './shard-split.ts';
import { mapChangesOf } from './meta-store.ts';

/** Output columns of `db.cluster.shards()`, in order. */
export const SHARDS_COLUMNS = [
  { name: 'shard', type: 'INTEGER' },
  { name: 'group', type: 'INTEGER' },
  { name: 'strategy', type: 'STRING' },
  { name: 'key_space', type: 'STRING' },
  { name: 'leader', type: 'STRING' },
  { name: 'replicas', type: 'LIST<STRING>' },
  { name: 'learners', type: 'LIST<STRING>' },
  { name: 'term', type: 'INTEGER' },
  { name: 'commit_index', type: 'INTEGER' },
  { name: 'nodes', type: 'INTEGER' },
  { name: 'edges', type: 'INTEGER' },
  { name: 'size', type: 'INTEGER' },
  { name: 'map_version', type: 'INTEGER' },
  { name: 'state', type: 'STRING' },
] as const;

/** One row of `db.cluster.shards()` as a plain object. */
export interface ShardRow {
  readonly shard: number;
  readonly group: number;
  /** The default spread's strategy, then each label's own (`hash; Post: range(created)`). */
  readonly strategy: string;
  /** Hash: the share of the ring; range: the interval of the key; graph-aware: `by neighbours`. */
  readonly key_space: string;
  readonly leader: string | null;
  readonly replicas: readonly string[];
  readonly learners: readonly string[];
  readonly term: number;
  /** From this peer's replica (null when it holds none). */
  readonly commit_index: number | null;
  /** Owned nodes and edges on this peer's replica (null when it holds none). */
  readonly nodes: number | null;
  readonly edges: number | null;
  /** Records this peer's replica stores: nodes and edges with ghosts and reverse entries (null when none). */
  readonly size: number | null;
  readonly map_version: number;
  /** `serving`, or a split's part in it: `splitting into 3 (copying)`, `copying from 1`, `split from 1 (cleanup)`. */
  readonly state: string;
}

function describeStrategy(sh: LabelSharding): string {
  if (sh.strategy === 'range') return `range(${sh.key ?? ''})`;
  if (sh.strategy === 'hash') return sh.key === undefined ? 'hash(id)' : `hash(${sh.key})`;
  return 'graph-aware';
}

function show(v: Value): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function keySpace(sh: LabelSharding, shard: number): string {
  if (!sh.shards.includes(shard)) return 'none';
  if (sh.strategy === 'graph-aware') return 'by neighbours';
  if (sh.strategy === 'range') {
    const ranges = sh.ranges ?? [];
    const i = sh.shards.indexOf(shard);
    const lo = i === 0 ? '-inf' : show(ranges[i - 1]!);
    const hi = i === sh.shards.length - 1 ? '+inf' : show(ranges[i]!);
    return `[${lo}, ${hi})`;
  }
  const spans = HashRing.of(sh.shards, sh.virtualNodes ?? virtualNodesDefault, sh.arcs ?? []).spans().get(shard) ?? [];
  let width = 0;
  for (const [a, b] of spans) width += b - a + 1;
  return `${spans.length} arcs, ${((100 * width) / 2 ** 32).toFixed(1)}% of the ring`;
}

/** The map of a cluster that is not sharded: its one shard, 0, is the whole graph in group 0. */
export const unshardedMap: ShardMapState = [
  { op: 'addShard', shard: 0, group: 0 } as const,
  { op: 'setSharding', label: undefined, sharding: { strategy: 'hash', shards: [0] } } as const,
].reduce(applyShardMapChange, emptyShardMap());

/** shardRows: the rows of `db.cluster.shards()` for `map` as `host` sees it. */
function stateOf(map: ShardMapState, shard: number): string {
  const from = map.splits.find((x) => x.from === shard);
  if (from !== undefined) return `splitting into ${from.into} (${from.phase})`;
  const into = map.splits.find((x) => x.into === shard);
  if (into !== undefined) return into.phase === 'copying' ? `copying from ${into.from}` : `split from ${into.from} (cleanup)`;
  return 'serving';
}

export function shardRows(map: ShardMapState, host: Pick<ShardHost, 'groups' | 'status' | 'raftStatus' | 'graph'>): ShardRow[] {
  const labels = [...map.labels].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  // A split's new shard shows while it is copied, before the map lists it.
  const pending: ShardEntry[] = map.splits.filter((x) => x.phase === 'copying').map((x) => ({ id: x.into, group: x.group, replicas: x.replicas, learners: [], leader: undefined, term: 0 }));
  return [...map.shards, ...pending].sort((a, b) => a.id - b.id).map((s: ShardEntry) => {
    const strategy = [describeStrategy(map.defaultSharding), ...labels.map(([l, sh]) => `${l}: ${describeStrategy(sh)}`)].join('; ');
    const key_space = [keySpace(map.defaultSharding, s.id), ...labels.map(([l, sh]) => `${l}: ${keySpace(sh, s.id)}`)].join('; ');
    const base = { shard: s.id, group: s.group, strategy, key_space, map_version: map.version, state: stateOf(map, s.id) };
    if (!host.groups().includes(s.group)) {
      return { ...base, leader: s.leader ?? null, replicas: s.replicas, learners: s.learners, term: s.term, commit_index: null, nodes: null, edges: null, size: null };
    }
    const st = host.raftStatus(s.group);
    const rows = host.status(s.group);
    const graph = host.graph(s.group);
    const counts = answerFetch(graph, s.id, { kind: 'counts' }, ownerFilter(map, s.id)).counts!;
    return {
      ...base,
      leader: rows.find((r) => r.state === 'leader')?.peer ?? rows[0]?.leader ?? null,
      replicas: rows.filter((r) => r.role === 'voter').map((r) => r.peer),
      learners: rows.filter((r) => r.role === 'learner').map((r) => r.peer),
      term: st.hardState.term,
      commit_index: st.hardState.commit,
      nodes: counts.nodes,
      edges: counts.edges,
      size: graph.nodeCount + graph.edgeCount,
    };
  });
}

/** shardsProcedure: `db.cluster.shards()` over the map `map()` returns and this peer's host. */
export function shardsProcedure(map: () => ShardMapState, host: Pick<ShardHost, 'groups' | 'status' | 'raftStatus' | 'graph'>): ProcedureDefinition {
  return {
    name: 'db.cluster.shards',
    description: 'One row per shard: strategy, key range or hash span, leader, replicas, learners, term, commit index, node and edge counts, size.',
    inputs: [],
    outputs: SHARDS_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
    run: () =>
      shardRows(map(), host).map((r) => [
        BigInt(r.shard),
        BigInt(r.group),
        r.strategy,
        r.key_space,
        r.leader,
        [...r.replicas],
        [...r.learners],
        BigInt(r.term),
        r.commit_index === null ? null : BigInt(r.commit_index),
        r.nodes === null ? null : BigInt(r.nodes),
        r.edges === null ? null : BigInt(r.edges),
        r.size === null ? null : BigInt(r.size),
        BigInt(r.map_version),
        r.state,
      ]),
  };
}

/**
 * mapChangesProcedure: `db.cluster.mapChanges(since)`, one row per shard map change after sequence
 * number `since` (0: all), in log order (`seq`, `change`: the stored JSON), from this peer's meta
 * replica. A cluster client folds them (`foldChanges`) into the map it routes with, asking only
 * for what came after the last change it holds (src/cluster/client-router.ts).
 */
export function mapChangesProcedure(meta: () => GraphReader): ProcedureDefinition {
  return {
    name: 'db.cluster.mapChanges',
    description: 'One row per shard map change after sequence number `since` (0: all), in log order: seq, change (JSON). What a cluster client folds into its cached shard map.',
    inputs: [{ name: 'since', type: 'INTEGER' }],
    outputs: [
      { name: 'seq', type: 'INTEGER' },
      { name: 'change', type: 'STRING' },
    ],
    run: (args) => {
      const since = typeof args[0] === 'bigint' ? Number(args[0]) : 0;
      return mapChangesOf(meta())
        .filter((c) => c.seq > since)
        .map((c) => [BigInt(c.seq), c.change]);
    },
  };
}
