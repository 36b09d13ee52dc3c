/**
 * The meta group's state, kept in group 0's graph (a sharded cluster's meta Raft group): every
 * {@link ShardMapChange} is a node `(:__geode_map_change {seq, change})` written in log order by
 * one statement on the meta leader (the sequence number is taken from a counter node in the same
 * statement, so `seq` is the order of the log), and the shard map is their fold by
 * {@link applyShardMapChange}, skipping changes that do not apply (the same on every peer: the fold
 * is pure). A second counter node hands out blocks of globally unique node and edge ids.
 *
 * Pure except for the statement texts, which the shard manager runs through the host.
 */
import type { GraphReader, Value } from '../graph/index.ts';
import { isGeodeError } from '../util/errors.ts';
import { applyShardMapChange, emptyShardMap, type ShardMapChange, type ShardMapState } from './shard-map.ts';

/** The label of a shard map change in the meta graph. */
export const MAP_CHANGE_LABEL = '__geode_map_change';
/** The label of the meta group's counters. */
export const META_COUNTER_LABEL = '__geode_meta';

/** Appends changes to the map, in one log entry, numbered after the last. Parameter `changes`: a list of encoded changes. */
export const PROPOSE_CHANGES = `MERGE (s:${META_COUNTER_LABEL} {k: 'seq'}) ON CREATE SET s.n = 0
WITH s SET s.n = s.n + size($changes)
WITH s UNWIND range(0, size($changes) - 1) AS i
CREATE (:${MAP_CHANGE_LABEL} {seq: s.n - size($changes) + 1 + i, change: $changes[i]})`;

/**
 * Appends the initial map's changes only once in the log's life: a retried (or late-committing)
 * first proposal of a new meta leader adds nothing, so no shard is ever placed twice (its first
 * replica founds its group).
 */
export const PROPOSE_INITIAL = `OPTIONAL MATCH (i:${META_COUNTER_LABEL} {k: 'init'})
WITH i WHERE i IS NULL
CREATE (:${META_COUNTER_LABEL} {k: 'init'})
WITH 1 AS once
${PROPOSE_CHANGES}`;

/** Leases `$n` consecutive ids (for nodes and for edges alike): returns `start`. */
export const LEASE_IDS = `MERGE (b:${META_COUNTER_LABEL} {k: 'ids'}) ON CREATE SET b.next = 1
WITH b SET b.next = b.next + $n
RETURN b.next - $n AS start`;

/** Ids below this come from the meta group's leases; shard i's own statements allocate from (i + 1) × this. */
export const LEASED_IDS_END = 2 ** 40;

/** encodeTagged: plain data as JSON, integers (bigints) tagged `{$int}`. */
export function encodeTagged(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? { $int: v.toString() } : v));
}

/** decodeTagged: the data {@link encodeTagged} wrote (throws SyntaxError on text that is not JSON). */
export function decodeTagged(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const tag = (v as { $int?: unknown }).$int;
      if (typeof tag === 'string' && Object.keys(v).length === 1) return BigInt(tag);
    }
    return v;
  });
}

/** encodeChange: a change as the string stored in the meta graph (JSON; integers tagged). */
export function encodeChange(change: ShardMapChange): string {
  return encodeTagged(change);
}

/** decodeChange: the change a stored string holds (undefined when it is not one: skipped). */
export function decodeChange(text: unknown): ShardMapChange | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return decodeTagged(text) as ShardMapChange;
  } catch {
    return undefined;
  }
}

/** The changes in the meta graph, in `seq` order. */
/** mapChangesOf: the shard map changes a meta graph holds, in log order (`seq`). */
export function mapChangesOf(graph: GraphReader): { seq: number; change: Value }[] {
  const out: { seq: number; change: Value }[] = [];
  for (const n of graph.nodesByLabel(MAP_CHANGE_LABEL)) {
    const seq = n.props.get('seq');
    if (typeof seq !== 'bigint') continue;
    out.push({ seq: Number(seq), change: n.props.get('change') ?? null });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * MetaMapCache: the shard map of a meta graph, refolded only when the changes changed (their
 * count and last sequence number: changes are only ever appended).
 */
export class MetaMapCache {
  #key = '';
  #map: ShardMapState = emptyShardMap();
  /** The graph and its version the map was last read from: the same graph at the same version holds the same map (every statement's router asks). */
  #graph: GraphReader | undefined;
  #version = -1;

  /** map: the shard map `graph` (a replica of the meta group) holds. */
  map(graph: GraphReader): ShardMapState {
    if (graph === this.#graph && graph.version === this.#version) return this.#map;
    this.#graph = graph;
    this.#version = graph.version;
    const count = graph.labelCount(MAP_CHANGE_LABEL);
    if (count === 0) {
      this.#key = '';
      this.#map = emptyShardMap();
      return this.#map;
    }
    const changes = mapChangesOf(graph);
    const key = `${changes.length}:${changes[changes.length - 1]!.seq}`;
    if (key === this.#key) return this.#map;
    this.#key = key;
    this.#map = foldChanges(changes.map((c) => c.change));
    return this.#map;
  }
}

/** foldChanges: the map after the stored changes, in order; one that does not decode or apply is skipped. */
export function foldChanges(stored: readonly Value[]): ShardMapState {
  let map = emptyShardMap();
  for (const s of stored) {
    const change = decodeChange(s);
    if (change === undefined) continue;
    try {
      map = applyShardMapChange(map, change);
    } catch (err) {
      if (!isGeodeError(err, 'INPUT_INVALID')) throw err;
    }
  }
  return map;
}
