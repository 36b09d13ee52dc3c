/**
 * HashRing: consistent hashing of node ids onto shards with virtual nodes (the `hash` sharding
 * strategy). Each shard owns `virtualNodes` points on a 32-bit ring, placed by hashing
 * `"<shard>#<i>"`; a key belongs to the shard of the first point at or after its own hash
 * (wrapping). Adding a shard moves to it only the keys whose nearest point became one of its own
 * (about 1/(n+1) of them), and removing one moves only its own keys: the minimal movement that
 * rebalancing relies on. Pure and deterministic: the same shards give the same ring on every peer.
 *
 * @example
 * ```ts
 * const ring = HashRing.of([0, 1, 2]);
 * ring.shardOf(42n); // one of 0, 1, 2, the same on every peer
 * ```
 */
import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';
import { shardsMax, virtualNodesDefault, virtualNodesMax } from './sharding-constants.ts';

/** A shard id in a shard map: an integer in [0, shardsMax). */
export type ShardId = number;

/** A key a ring places: a node id (bigint or safe integer) or a string. */
export type RingKey = bigint | number | string;

/**
 * An arc handed to a shard by a split: hashes in [from, to] (inclusive, 32-bit) belong to `shard`
 * whatever the ring's points say. A ring's arcs are disjoint and ascending.
 */
export type RingArc = readonly [from: number, to: number, shard: ShardId];

/** Most arcs one ring holds (each split of a shard under a hash spread adds about half its arcs). */
export const ringArcsMax = 65_536;

export class HashRing {
  /** Ring points, ascending. */
  readonly #points: Uint32Array;
  /** The shard of each point (same order). */
  readonly #owners: Uint32Array;
  readonly shards: readonly ShardId[];
  readonly virtualNodes: number;
  /** Arcs handed out by splits (they win over the points), ascending. */
  readonly arcs: readonly RingArc[];

  private constructor(shards: readonly ShardId[], virtualNodes: number, arcs: readonly RingArc[]) {
    this.shards = shards;
    this.virtualNodes = virtualNodes;
    this.arcs = arcs;
    // A shard made by a split owns only its arcs: its own points would take keys of every shard.
    const owners = new Set(arcs.map((a) => a[2]));
    const pointShards = shards.filter((s) => !owners.has(s));
    assert(pointShards.length > 0, 'a hash ring whose every shard came from a split');
    const n = pointShards.length * virtualNodes;
    const pairs: [number, number][] = new Array(n);
    let k = 0;
    for (const s of pointShards) for (let i = 0; i < virtualNodes; i++) pairs[k++] = [hashString(`${s}#${i}`), s];
    // Ties (two points at one hash) break by shard id so every peer orders them the same way.
    pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.#points = new Uint32Array(n);
    this.#owners = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.#points[i] = pairs[i]![0];
      this.#owners[i] = pairs[i]![1];
    }
  }

  /**
   * of: the ring of `shards` (distinct ids in [0, shardsMax)), each with `virtualNodes` points
   * (default 128, at most virtualNodesMax), and `arcs` handed out by splits (disjoint, ascending,
   * owned by shards of the list; at least one shard owns none). CONFIG_INVALID otherwise.
   */
  static of(shards: readonly ShardId[], virtualNodes = virtualNodesDefault, arcs: readonly RingArc[] = []): HashRing {
    if (shards.length === 0) throw new GeodeError('CONFIG_INVALID', 'sharding: a hash ring needs at least one shard', { source: 'config', detail: 'sharding.shards' });
    const seen = new Set<number>();
    for (const s of shards) {
      if (!Number.isSafeInteger(s) || s < 0 || s >= shardsMax || seen.has(s)) {
        throw new GeodeError('CONFIG_INVALID', `sharding: shard ids must be distinct integers in [0, ${shardsMax}), got ${String(s)}`, { source: 'config', detail: 'sharding.shards' });
      }
      seen.add(s);
    }
    if (!Number.isSafeInteger(virtualNodes) || virtualNodes < 1 || virtualNodes > virtualNodesMax) {
      throw new GeodeError('CONFIG_INVALID', `sharding.virtual_nodes must be an integer in [1, ${virtualNodesMax}], got ${String(virtualNodes)}`, {
        source: 'config',
        detail: 'sharding.virtual_nodes',
      });
    }
    checkArcs(arcs, seen);
    return new HashRing([...shards].sort((a, b) => a - b), virtualNodes, arcs);
  }

  /** shardOf: the shard a key belongs to. */
  shardOf(key: RingKey): ShardId {
    return this.shardOfHash(hashKey(key));
  }

  /** shardOfHash: the shard a ring position belongs to. */
  shardOfHash(h: number): ShardId {
    const arc = arcAt(this.arcs, h);
    if (arc !== undefined) return arc[2];
    // First point >= h (binary search), wrapping to the first point.
    let lo = 0;
    let hi = this.#points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    const owner = this.#owners[lo === this.#points.length ? 0 : lo];
    assert(owner !== undefined, 'a hash ring without points');
    return owner;
  }

  /** withShard: this ring plus one shard (the keys it takes come only from the others). */
  withShard(shard: ShardId): HashRing {
    return HashRing.of([...this.shards, shard], this.virtualNodes, this.arcs);
  }

  /** withoutShard: this ring minus one shard (only its keys move). */
  withoutShard(shard: ShardId): HashRing {
    return HashRing.of(
      this.shards.filter((s) => s !== shard),
      this.virtualNodes,
      this.arcs.filter((a) => a[2] !== shard),
    );
  }

  /**
   * spans: the ring as [from, to] hash intervals (inclusive, 32-bit) per shard, for
   * `db.cluster.shards()` ("hash span") and for tools; every hash falls in exactly one.
   */
  spans(): Map<ShardId, [number, number][]> {
    const out = new Map<ShardId, [number, number][]>();
    for (const s of this.shards) out.set(s, []);
    const n = this.#points.length;
    for (let i = 0; i < n; i++) {
      const from = i === 0 ? 0 : this.#points[i - 1]! + 1;
      const to = this.#points[i]!;
      if (from <= to) out.get(this.#owners[i]!)!.push([from, to]);
    }
    // The wrap-around arc after the last point belongs to the first point's shard.
    const last = this.#points[n - 1]!;
    if (last < 0xffffffff) out.get(this.#owners[0]!)!.push([last + 1, 0xffffffff]);
    if (this.arcs.length === 0) return out;
    // Arcs win over the points: cut them out of every shard's spans, then add them to their owners'.
    for (const [s, list] of out) out.set(s, subtractArcs(list, this.arcs));
    for (const [a, b, s] of this.arcs) out.get(s)!.push([a, b]);
    for (const list of out.values()) list.sort((x, y) => x[0] - y[0]);
    return out;
  }
}

function badArcs(why: string): never {
  throw new GeodeError('CONFIG_INVALID', `sharding: split arcs ${why}`, { source: 'config', detail: 'sharding.arcs' });
}

function checkArcs(arcs: readonly RingArc[], shards: ReadonlySet<number>): void {
  if (!Array.isArray(arcs)) badArcs('must be a list');
  if (arcs.length > ringArcsMax) badArcs(`at most ${ringArcsMax}, got ${arcs.length}`);
  let prev = -1;
  const owners = new Set<number>();
  for (const a of arcs) {
    if (!Array.isArray(a) || a.length !== 3) badArcs('must be [from, to, shard] triples');
    const [from, to, s] = a;
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > 0xffffffff || from > to) badArcs(`need 0 <= from <= to <= 2^32 - 1, got [${String(from)}, ${String(to)}]`);
    if (from <= prev) badArcs('must be disjoint and ascending');
    if (!shards.has(s)) badArcs(`name shard ${String(s)}, which is not one of the ring's`);
    owners.add(s);
    prev = to;
  }
  if (arcs.length > 0 && [...shards].every((s) => owners.has(s))) badArcs('leave no shard with points of its own');
}

/** The arc holding hash `h` (binary search), if any. */
function arcAt(arcs: readonly RingArc[], h: number): RingArc | undefined {
  let lo = 0;
  let hi = arcs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arcs[mid]![1] < h) lo = mid + 1;
    else hi = mid;
  }
  const a = arcs[lo];
  return a !== undefined && a[0] <= h ? a : undefined;
}

/** subtractArcs: the parts of the ascending disjoint intervals `list` outside every arc. */
export function subtractArcs(list: readonly (readonly [number, number])[], arcs: readonly (readonly [number, number, ...unknown[]])[]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of list) {
    let from = a;
    for (const arc of arcs) {
      if (arc[1] < from || arc[0] > b) continue;
      if (arc[0] > from) out.push([from, arc[0] - 1]);
      from = arc[1] + 1;
      if (from > b) break;
    }
    if (from <= b) out.push([from, b]);
  }
  return out;
}

/**
 * hashKey: a key's 32-bit position on the ring. Integers hash by value (a node id 7 as a number
 * or as 7n lands in the same place); strings by their UTF-16 code units.
 */
export function hashKey(key: RingKey): number {
  if (typeof key === 'string') return hashString(key);
  if (typeof key === 'number' && !Number.isSafeInteger(key)) return hashString(String(key));
  const v = typeof key === 'bigint' ? key : BigInt(key);
  // Two 32-bit halves of the 64-bit two's complement value, mixed.
  const lo = Number(BigInt.asUintN(32, v));
  const hi = Number(BigInt.asUintN(32, v >> 32n));
  return fmix32(Math.imul(lo ^ fmix32(hi ^ 0x9e3779b9), 0x85ebca6b) ^ hi);
}

/** hashString: FNV-1a over UTF-16 code units, finished with murmur3's avalanche step. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
