/**
 * The store's records. Inside the engine a node or edge value *is* its record, so reading a
 * property is one Map lookup. Records are mutated only by the store's `apply(command)`.
 *
 * Memory layout decisions (a graph of 100k nodes and 500k edges must stay well under 400 MB):
 * - `props` is not readonly: a record without properties shares {@link EMPTY_PROPS} (an empty
 *   Map that refuses writes) instead of owning an empty Map (~190 bytes each). The store swaps in
 *   a private Map on the first property write and back to `EMPTY_PROPS` when the last one is
 *   removed. Never keep a `props` reference across a write; read `record.props` again.
 * - Adjacency (`out` / `in`) is kept in edge-id order. Deleting an edge only marks it (O(1)):
 *   the dead entries are dropped the next time `out` / `in` is read (one O(degree) pass that
 *   builds a fresh array, so an iteration already under way over the old array is not disturbed).
 *   Iterating `node.out` while deleting its edges is therefore safe and linear; re-reading
 *   `node.out` after every single delete of a hub's edges is quadratic — collect first.
 */
import type { Value } from './values.ts';
import { AssertionError } from '../util/assert.ts';

/** The shared empty property map: refuses every write (a write to it is a bug in the store). */
class EmptyPropertyMap extends Map<string, Value> {
  override set(key: string, _value: Value): this {
    throw new AssertionError(`EMPTY_PROPS is shared and read-only (set '${key}')`);
  }
  override delete(key: string): boolean {
    throw new AssertionError(`EMPTY_PROPS is shared and read-only (delete '${key}')`);
  }
  override clear(): void {
    throw new AssertionError('EMPTY_PROPS is shared and read-only (clear)');
  }
}

/** The one property map of every record that has no properties. Read-only. */
export const EMPTY_PROPS: Map<string, Value> = new EmptyPropertyMap();

/** Drops the deleted edges of an adjacency list, keeping id order. */
function liveEdges(list: readonly EdgeRecord[]): EdgeRecord[] {
  const out: EdgeRecord[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (!e.deleted) out.push(e);
  }
  return out;
}

/** A node: id, labels, properties, and its incident edges in both directions. */
export class NodeRecord {
  /** Stable id, a safe integer ≥ 1, unique among nodes of one store, never reused. */
  readonly id: number;
  /**
   * The labels, in the order the node got them. Never mutated: nodes with the same labels share
   * one set (the store interns them), and a label change swaps in another set.
   */
  labels: ReadonlySet<string>;
  /** The properties; {@link EMPTY_PROPS} when there are none. Replaced by the store, see the file header. */
  props: Map<string, Value>;
  /** Set once the node is deleted; reading a deleted node's data is an ENTITY_NOT_FOUND error. */
  deleted: boolean;
  /** @internal Backing array of `out` (edge-id order); may hold `outDead` deleted edges. */
  outList: EdgeRecord[];
  /** @internal Number of deleted edges still in `outList`. */
  outDead: number;
  /** @internal Backing array of `in`. */
  inList: EdgeRecord[];
  /** @internal Number of deleted edges still in `inList`. */
  inDead: number;
  /** @internal Per-type adjacency cache built by `outByType` / `inByType`; dropped on any adjacency change. */
  typeCache: AdjacencyTypeCache | undefined;

  constructor(id: number, labels: ReadonlySet<string>, props: Map<string, Value>) {
    this.id = id;
    this.labels = labels;
    this.props = props;
    this.deleted = false;
    this.outList = [];
    this.outDead = 0;
    this.inList = [];
    this.inDead = 0;
    this.typeCache = undefined;
  }

  /** Live edges whose source is this node, in edge-id order. */
  get out(): EdgeRecord[] {
    if (this.outDead !== 0) {
      this.outList = liveEdges(this.outList);
      this.outDead = 0;
    }
    return this.outList;
  }

  /** Live edges whose target is this node, in edge-id order. */
  get in(): EdgeRecord[] {
    if (this.inDead !== 0) {
      this.inList = liveEdges(this.inList);
      this.inDead = 0;
    }
    return this.inList;
  }

  /** Number of live outgoing edges (no compaction). */
  get outDegree(): number {
    return this.outList.length - this.outDead;
  }

  /** Number of live incoming edges (no compaction). */
  get inDegree(): number {
    return this.inList.length - this.inDead;
  }
}

/** @internal Edges of one node grouped by type, per direction; built lazily. */
export interface AdjacencyTypeCache {
  out: Map<string, EdgeRecord[]> | undefined;
  in: Map<string, EdgeRecord[]> | undefined;
}

/** A directed edge with one type. */
export class EdgeRecord {
  /** Stable id, a safe integer ≥ 1, unique among edges of one store, never reused. */
  readonly id: number;
  readonly type: string;
  readonly src: NodeRecord;
  readonly dst: NodeRecord;
  /** The properties; {@link EMPTY_PROPS} when there are none. Replaced by the store, see the file header. */
  props: Map<string, Value>;
  deleted: boolean;

  constructor(id: number, type: string, src: NodeRecord, dst: NodeRecord, props: Map<string, Value>) {
    this.id = id;
    this.type = type;
    this.src = src;
    this.dst = dst;
    this.props = props;
    this.deleted = false;
  }
}

/** A path: nodes[0], edges[0], nodes[1], ... ; `nodes.length === edges.length + 1`. */
export class PathValue {
  readonly nodes: readonly NodeRecord[];
  readonly edges: readonly EdgeRecord[];

  constructor(nodes: readonly NodeRecord[], edges: readonly EdgeRecord[]) {
    this.nodes = nodes;
    this.edges = edges;
  }
}
