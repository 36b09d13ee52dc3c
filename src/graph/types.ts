/**
 * The graph layer's public contract: write commands (the only way the store changes) and the
 * read interface the query layer uses.
 *
 * The store is the state machine Raft will replicate: `apply(command)` must be deterministic
 * (same commands in the same order give the same store, ids included) and commands must be
 * serializable (plain data; integers as bigint, which the wire codec encodes).
 */
import type { EdgeRecord, NodeRecord } from './records.ts';
import type { PropertyValue } from './values.ts';
import type { PropertyColumn } from './property-column.ts';
import type { CreationStamp, SnapshotCreationStamps } from './creation-stamps.ts';

/** A property list in a command: `[key, value]` pairs, keys unique, values never null. */
export type PropertyEntries = readonly (readonly [string, PropertyValue])[];

export type GraphCommand =
  /** Create a node with an explicit id (allocated by the writer with `nextNodeId()`). */
  | { readonly op: 'createNode'; readonly id: number; readonly labels: readonly string[]; readonly props: PropertyEntries }
  /**
   * Delete a node that has no edges left (the writer deletes its edges first for DETACH DELETE).
   * `rewindNextId` appears only in the undo of a createNode that advanced the id counter: it sets
   * `peekNextNodeId()` back (allowed only when the node is the last one allocated and no other
   * live node has an id ≥ it), so apply-then-undo restores the store exactly, counters included.
   */
  | { readonly op: 'deleteNode'; readonly id: number; readonly rewindNextId?: number }
  | {
      readonly op: 'createEdge';
      readonly id: number;
      readonly type: string;
      readonly src: number;
      readonly dst: number;
      readonly props: PropertyEntries;
    }
  /** Delete an edge. `rewindNextId`: as for deleteNode, for edge ids (undo of createEdge only). */
  | { readonly op: 'deleteEdge'; readonly id: number; readonly rewindNextId?: number }
  /** Set (value non-null) or remove (value null) one property of a node. */
  | { readonly op: 'setNodeProperty'; readonly id: number; readonly key: string; readonly value: PropertyValue | null }
  | { readonly op: 'setEdgeProperty'; readonly id: number; readonly key: string; readonly value: PropertyValue | null }
  | { readonly op: 'addLabel'; readonly id: number; readonly label: string }
  | { readonly op: 'removeLabel'; readonly id: number; readonly label: string }
  | { readonly op: 'createIndex'; readonly name: string; readonly label: string; readonly keys: readonly string[] }
  | { readonly op: 'dropIndex'; readonly name: string }
  | {
      readonly op: 'createConstraint';
      readonly name: string;
      readonly label: string;
      readonly keys: readonly string[];
      readonly kind: 'unique';
    }
  | { readonly op: 'dropConstraint'; readonly name: string }
  /**
   * Set (value non-null) or remove (value null) one entry of the store's replicated metadata: a
   * key → plain-data map that queries never see, kept in snapshots and undone like any command.
   * The federation layer keeps its registers, id map and cursors there (src/federation).
   */
  | { readonly op: 'setMeta'; readonly key: string; readonly value: MetaValue | null }
  /**
   * Set (stamp non-null) or clear (null) the creation stamp of nodes `ids` (a stamp of a node
   * that is not live is kept but read nowhere, and left out of snapshots): federation's mark that a node was made by one statement stamped so and not changed
   * since, so its last-write-wins registers are derived from the node and the stamp instead of
   * kept as a metadata record of its own (src/graph/creation-stamps.ts, src/federation). Kept
   * in snapshots (graph snapshot version 2). A command batch holding one is of format 2
   * (`COMMANDS_FORMAT_VERSION_STAMPS`): a peer of older code refuses it, naming the format.
   */
  | { readonly op: 'stampNodes'; readonly ids: readonly number[]; readonly stamp: CreationStamp | null };

/** A metadata value: plain data (null, booleans, numbers, bigints, strings, arrays, plain objects). */
export type MetaValue = unknown;

export interface IndexInfo {
  readonly name: string;
  readonly label: string;
  readonly keys: readonly string[];
  /** True when a uniqueness constraint owns this index. */
  readonly unique: boolean;
}

export interface ConstraintInfo {
  readonly name: string;
  readonly label: string;
  readonly keys: readonly string[];
  readonly kind: 'unique';
}

/** Read access to the store, as the query layer sees it. Records are live; do not mutate them. */
export interface GraphReader {
  node(id: number): NodeRecord | undefined;
  edge(id: number): EdgeRecord | undefined;
  /** All live nodes, in id order. */
  nodes(): Iterable<NodeRecord>;
  /** All live edges, in id order. */
  edges(): Iterable<EdgeRecord>;
  /** Live nodes carrying `label` (empty when the label is unknown). */
  nodesByLabel(label: string): Iterable<NodeRecord>;
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** Number of live nodes carrying `label`: the planner's cardinality estimate. */
  labelCount(label: string): number;
  /**
   * Nodes with `label` whose property `key` equals `value` (Cypher equality: 1 = 1.0), through a
   * property index; undefined when no index covers (label, key), so the caller must scan.
   */
  lookupIndex(label: string, key: string, value: PropertyValue): Iterable<NodeRecord> | undefined;
  /**
   * As {@link lookupIndex} without copying: one node, a live set (read it before any write),
   * `null` for no match, undefined when no index covers (label, key).
   */
  indexEntry(label: string, key: string, value: PropertyValue): NodeRecord | ReadonlySet<NodeRecord> | null | undefined;
  /** True when an index (or unique constraint) covers (label, key). */
  hasIndex(label: string, key: string): boolean;
  /** Bumped by every write: equal versions mean nothing changed in between. */
  readonly version: number;
  /** A columnar snapshot of property `key` over the nodes of `label`, for filtered scans. */
  propertyColumn(label: string, key: string): PropertyColumn;
  /** Every label, relationship type and property key in use, sorted. */
  labels(): string[];
  relationshipTypes(): string[];
  propertyKeys(): string[];
  indexes(): IndexInfo[];
  constraints(): ConstraintInfo[];
  /** The id the next createNode / createEdge command should use. */
  peekNextNodeId(): number;
  peekNextEdgeId(): number;
}

/** A node in a {@link GraphSnapshot}: labels sorted, properties sorted by key. */
export interface SnapshotNode {
  readonly id: number;
  readonly labels: readonly string[];
  readonly props: PropertyEntries;
}

/** An edge in a {@link GraphSnapshot}: `src` / `dst` are node ids; properties sorted by key. */
export interface SnapshotEdge {
  readonly id: number;
  readonly type: string;
  readonly src: number;
  readonly dst: number;
  readonly props: PropertyEntries;
}

/** A plain index (not owned by a constraint) in a {@link GraphSnapshot}. */
export interface SnapshotIndex {
  readonly name: string;
  readonly label: string;
  readonly keys: readonly string[];
}

/**
 * The whole store as plain data (integers as bigint, like commands): what Raft ships to a
 * lagging follower and what storage writes. Canonical: nodes and edges in id order, labels and
 * property keys sorted, indexes and constraints sorted by name, so two stores holding the same
 * graph give deep-equal snapshots. `GraphStore.restore(snapshot)` rebuilds it exactly.
 */
export interface GraphSnapshot {
  /** 1, or 2 when `created` is present (older code refuses a version 2 snapshot). */
  readonly version: 1 | 2;
  /** What `peekNextNodeId()` / `peekNextEdgeId()` return: max id ever seen + 1. */
  readonly nextNodeId: number;
  readonly nextEdgeId: number;
  readonly nodes: readonly SnapshotNode[];
  readonly edges: readonly SnapshotEdge[];
  readonly indexes: readonly SnapshotIndex[];
  readonly constraints: readonly ConstraintInfo[];
  /** Metadata entries (`setMeta`), sorted by key; absent when there are none. */
  readonly meta?: readonly (readonly [string, MetaValue])[];
  /** Creation stamps of live nodes (`stampNodes`); absent when there are none (then version 1). */
  readonly created?: SnapshotCreationStamps;
}

/*
 * Typed adjacency (not part of GraphReader, so other readers need not implement it): the free
 * functions `outByType(node, type)` / `inByType(node, type)` from `./adjacency.ts` (re-exported
 * by `src/graph/index.ts`) give a node's live edges of one type in edge-id order. High-degree
 * nodes group their edges by type once and keep the groups until their adjacency changes.
 * `node.outDegree` / `node.inDegree` count live edges without touching the arrays.
 */
