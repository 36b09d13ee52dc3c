/**
 * Typed adjacency: a node's live edges of one type, per direction, in edge-id order.
 *
 * Low-degree nodes are filtered on the fly (when every edge has the asked type, the node's own
 * array is returned, no allocation). From {@link TYPE_CACHE_MIN_DEGREE} edges up, the first call
 * groups the node's edges by type once and keeps the groups on the record until its adjacency
 * changes (the store drops the cache on every edge create/delete touching the node), so repeated
 * typed expansions from a hub cost O(edges of that type), not O(degree).
 *
 * The returned arrays belong to the store: do not mutate them, and do not keep them across a write.
 */
import type { AdjacencyTypeCache, EdgeRecord, NodeRecord } from './records.ts';

/** Degree from which a node's edges are grouped by type on first typed access. */
export const TYPE_CACHE_MIN_DEGREE = 32;

const NO_EDGES: EdgeRecord[] = [];

function filterByType(all: EdgeRecord[], type: string): EdgeRecord[] {
  let i = 0;
  while (i < all.length && all[i]!.type === type) i++;
  if (i === all.length) return all;
  const out: EdgeRecord[] = all.slice(0, i);
  for (i++; i < all.length; i++) {
    const e = all[i]!;
    if (e.type === type) out.push(e);
  }
  return out;
}

function groupByType(all: EdgeRecord[]): Map<string, EdgeRecord[]> {
  const groups = new Map<string, EdgeRecord[]>();
  for (let i = 0; i < all.length; i++) {
    const e = all[i]!;
    const g = groups.get(e.type);
    if (g === undefined) groups.set(e.type, [e]);
    else g.push(e);
  }
  return groups;
}

function cacheOf(node: NodeRecord): AdjacencyTypeCache {
  let c = node.typeCache;
  if (c === undefined) {
    c = { out: undefined, in: undefined };
    node.typeCache = c;
  }
  return c;
}

/** Live outgoing edges of `node` with type `type`, in edge-id order. */
export function outByType(node: NodeRecord, type: string): readonly EdgeRecord[] {
  const all = node.out;
  if (all.length < TYPE_CACHE_MIN_DEGREE) return filterByType(all, type);
  const c = cacheOf(node);
  if (c.out === undefined) c.out = groupByType(all);
  return c.out.get(type) ?? NO_EDGES;
}

/** Live incoming edges of `node` with type `type`, in edge-id order. */
export function inByType(node: NodeRecord, type: string): readonly EdgeRecord[] {
  const all = node.in;
  if (all.length < TYPE_CACHE_MIN_DEGREE) return filterByType(all, type);
  const c = cacheOf(node);
  if (c.in === undefined) c.in = groupByType(all);
  return c.in.get(type) ?? NO_EDGES;
}
