/**
 * The store's records. Inside the engine a node or edge value *is* its record, so reading a
 * property is one Map lookup. Records are mutated only by the store's `apply(command)`.
 */
import type { Value } from './values.ts';

/** A node: id, labels, properties, and its incident edges in both directions. */
export class NodeRecord {
  /** Stable id, a safe integer ≥ 1, unique among nodes of one store, never reused. */
  readonly id: number;
  readonly labels: Set<string>;
  readonly props: Map<string, Value>;
  /** Edges whose source is this node. */
  readonly out: EdgeRecord[];
  /** Edges whose target is this node. */
  readonly in: EdgeRecord[];
  /** Set once the node is deleted; reading a deleted node's data is an ENTITY_NOT_FOUND error. */
  deleted: boolean;

  constructor(id: number, labels: Set<string>, props: Map<string, Value>) {
    this.id = id;
    this.labels = labels;
    this.props = props;
    this.out = [];
    this.in = [];
    this.deleted = false;
  }
}

/** A directed edge with one type. */
export class EdgeRecord {
  /** Stable id, a safe integer ≥ 1, unique among edges of one store, never reused. */
  readonly id: number;
  readonly type: string;
  readonly src: NodeRecord;
  readonly dst: NodeRecord;
  readonly props: Map<string, Value>;
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
