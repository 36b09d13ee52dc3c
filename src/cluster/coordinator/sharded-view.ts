/**
 * ShardedView: the graph of a sharded cluster as the query engine sees it on the coordinating
 * peer: an {@link EngineStore} over a local cache of what was fetched from the shards so far. Any
 * read of data not fetched yet (a label's nodes, a node's properties, a node's edges, counts)
 * throws {@link NeedData} naming it; the coordinator fetches it, batched with its neighbours in the
 * same wave (the frontier), and runs the statement again. Because the same engine runs on the
 * same data, a query's result equals the result on one database holding the whole graph: the
 * round trips are the only cost, one or two per hop of a pattern.
 *
 * Guarding records: the cache is a {@link GraphStore} whose records are handed to the engine as
 * they are; a node known only as the far end of an edge (a stub) has its labels and properties
 * guarded, and a node whose edges are not fetched has its adjacency guarded, by accessor
 * properties that throw NeedData. The coordinator writes the cache under {@link withCacheWrites}.
 */
import { GraphStore, type EdgeRecord, type GraphCommand, type NodeRecord, type PropertyColumn, type PropertyValue } from '../../graph/index.ts';
import type { ConstraintInfo, IndexInfo } from '../../graph/types.ts';
import { valueKey } from '../../graph/index.ts';
import type { EngineStore } from '../../query/index.ts';
import { GeodeError, StoreInterrupt } from '../../util/errors.ts';
import type { ShardId } from '../hash-ring.ts';
import type { EdgeData, FetchAnswer, FetchRequest, NodeData, ShardCounts } from './shard-data.ts';

/** What the engine reached for that is not in the cache: the fetch that would bring it (routed by the coordinator). */
export type Need = FetchRequest;

/** NeedData: thrown through the engine to the coordinator (never to a user). */
export class NeedData extends StoreInterrupt {
  readonly need: Need;
  constructor(need: Need) {
    super(`coordinator: data not fetched yet (${need.kind})`);
    this.need = need;
  }
}

/** The shards' counts and schema, summed. */
interface CountsSummary {
  readonly nodes: number;
  readonly edges: number;
  readonly labels: Map<string, number>;
  readonly types: string[];
  readonly keys: string[];
  /** "label\0key" of single-key property indexes on any shard. */
  readonly indexes: Set<string>;
}

let cacheWrites = 0;

/** withCacheWrites: runs `f` with the guards open (the coordinator filling the cache). */
export function withCacheWrites<T>(f: () => T): T {
  cacheWrites++;
  try {
    return f();
  } finally {
    cacheWrites--;
  }
}

const STUB_FIELDS = ['labels', 'props'] as const;
const ADJACENCY_FIELDS = ['outList', 'inList', 'outDead', 'inDead', 'typeCache'] as const;

function guard(rec: object, fields: readonly string[], need: () => NeedData): void {
  for (const f of fields) {
    let v = (rec as Record<string, unknown>)[f];
    Object.defineProperty(rec, f, {
      configurable: true,
      enumerable: true,
      get: () => {
        if (cacheWrites === 0) throw need();
        return v;
      },
      set: (x: unknown) => {
        if (cacheWrites === 0) throw need();
        v = x;
      },
    });
  }
}

function unguard(rec: object, fields: readonly string[]): void {
  for (const f of fields) {
    const v = withCacheWrites(() => (rec as Record<string, unknown>)[f]);
    Object.defineProperty(rec, f, { configurable: true, enumerable: true, writable: true, value: v });
  }
}

function seekKey(label: string, key: string, value: PropertyValue): string {
  const k = valueKey(value);
  return `${label}\u0000${key}\u0000${typeof k}:${String(k)}`;
}

export class ShardedView implements EngineStore {
  readonly cache = new GraphStore();
  /** Nodes whose labels and properties are known (the others in the cache are stubs). */
  readonly #complete = new Set<number>();
  /** Nodes whose every edge is in the cache. */
  readonly #adjacent = new Set<number>();
  /** Home shard of each node seen. */
  readonly home = new Map<number, ShardId>();
  /** Fetch waves: nodes that arrived together are fetched further together. */
  readonly #waveOf = new Map<number, number>();
  readonly #waves = new Map<number, Set<number>>();
  #nextWave = 1;
  readonly #labels = new Set<string>();
  readonly #seeks = new Map<string, number[]>();
  /** Ids asked of every shard and found nowhere. */
  readonly #missing = new Set<number>();
  readonly #missingEdges = new Set<number>();
  #allNodes = false;
  #allEdges = false;
  #counts: CountsSummary | undefined;
  /** Keys of the labels' shard spreads ("label\0key"): seeks on them are pruned lookups. */
  readonly #shardKeys: ReadonlySet<string>;

  constructor(shardKeys: ReadonlySet<string> = new Set()) {
    this.#shardKeys = shardKeys;
  }

  // ------------------------------------------------------------------ filling (the coordinator)

  /** A new wave: the nodes of one fetch answer. */
  newWave(): number {
    return this.#nextWave++;
  }

  /** waveMembers: the nodes that arrived with `id` (for batching the next fetch). */
  waveMembers(id: number): readonly number[] {
    const w = this.#waveOf.get(id);
    return w === undefined ? [id] : [...(this.#waves.get(w) ?? [id])];
  }

  isComplete(id: number): boolean {
    return this.#complete.has(id);
  }

  hasAdjacency(id: number): boolean {
    return this.#adjacent.has(id);
  }

  #join(id: number, wave: number): void {
    const old = this.#waveOf.get(id);
    if (old !== undefined) this.#waves.get(old)?.delete(id);
    this.#waveOf.set(id, wave);
    let set = this.#waves.get(wave);
    if (set === undefined) this.#waves.set(wave, (set = new Set()));
    set.add(id);
  }

  #stub(id: number, wave: number): NodeRecord {
    const existing = this.cache.node(id);
    if (existing !== undefined) return existing;
    this.cache.apply({ op: 'createNode', id, labels: [], props: [] });
    const rec = this.cache.node(id)!;
    guard(rec, STUB_FIELDS, () => new NeedData({ kind: 'nodes', ids: this.#stubsOfWave(id) }));
    guard(rec, ADJACENCY_FIELDS, () => new NeedData({ kind: 'adjacency', ids: this.#unexpandedOfWave(id) }));
    this.#join(id, wave);
    return rec;
  }

  #stubsOfWave(id: number): number[] {
    return this.waveMembers(id).filter((x) => !this.#complete.has(x));
  }

  #unexpandedOfWave(id: number): number[] {
    return this.waveMembers(id).filter((x) => !this.#adjacent.has(x));
  }

  /** addNode: a node's labels and properties (once; later copies are the same data). */
  addNode(n: NodeData, wave: number): void {
    if (this.#complete.has(n.id)) return;
    withCacheWrites(() => {
      const rec = this.#stub(n.id, wave);
      for (const l of n.labels) this.cache.apply({ op: 'addLabel', id: n.id, label: l });
      for (const [k, v] of n.props) this.cache.apply({ op: 'setNodeProperty', id: n.id, key: k, value: v });
      unguard(rec, STUB_FIELDS);
    });
    this.#complete.add(n.id);
    this.#join(n.id, wave);
  }

  /** addEdge: an edge and stubs for its ends (once). */
  addEdge(e: EdgeData, wave: number): void {
    if (this.cache.edge(e.id) !== undefined) return;
    withCacheWrites(() => {
      this.#stub(e.src, wave);
      this.#stub(e.dst, wave);
      this.cache.apply({ op: 'createEdge', id: e.id, type: e.type, src: e.src, dst: e.dst, props: e.props });
    });
  }

  /** markAdjacent: every edge of these nodes is in the cache now. */
  markAdjacent(ids: Iterable<number>): void {
    for (const id of ids) {
      if (this.#adjacent.has(id)) continue;
      const rec = this.cache.node(id);
      if (rec === undefined) continue;
      unguard(rec, ADJACENCY_FIELDS);
      this.#adjacent.add(id);
    }
  }

  /** absorb: a shard's answer into the cache, as one wave. */
  absorb(answer: FetchAnswer, wave: number): void {
    for (const [id, shard] of answer.homes) this.home.set(id, shard);
    for (const n of answer.nodes) this.addNode(n, wave);
    for (const e of answer.edges) this.addEdge(e, wave);
  }

  setCounts(all: readonly ShardCounts[]): void {
    const labels = new Map<string, number>();
    const types = new Set<string>();
    const keys = new Set<string>();
    const indexes = new Set<string>();
    let nodes = 0;
    let edges = 0;
    for (const c of all) {
      nodes += c.nodes;
      edges += c.edges;
      for (const [l, n] of c.labels) labels.set(l, (labels.get(l) ?? 0) + n);
      for (const t of c.relationshipTypes) types.add(t);
      for (const k of c.propertyKeys) keys.add(k);
      for (const [l, k] of c.indexes) indexes.add(`${l}\u0000${k}`);
    }
    this.#counts = { nodes, edges, labels, types: [...types].sort(), keys: [...keys].sort(), indexes };
  }

  markLabel(label: string): void {
    this.#labels.add(label);
  }

  markSeek(label: string, key: string, value: PropertyValue, ids: readonly number[]): void {
    this.#seeks.set(seekKey(label, key, value), [...ids]);
  }

  /**
   * markMissing: nodes no shard holds. A stub among them (the far end of a fetched edge) means the
   * shards changed between rounds: IO `ShardDataChanged` (run the statement again).
   */
  markMissing(ids: readonly number[]): void {
    for (const id of ids) {
      if (this.cache.node(id) !== undefined) {
        throw new GeodeError('IO', `node ${id} is the end of a fetched edge but no shard holds it: the shards changed while the statement ran; run it again`, {
          detail: 'ShardDataChanged',
          source: 'coordinator',
        });
      }
      this.#missing.add(id);
    }
  }

  markEdgesMissing(ids: readonly number[]): void {
    for (const id of ids) this.#missingEdges.add(id);
  }

  markAllNodes(): void {
    this.#allNodes = true;
  }

  markAllEdges(): void {
    this.#allEdges = true;
  }

  // ------------------------------------------------------------------ EngineStore

  #need(need: Need): never {
    throw new NeedData(need);
  }

  #countsOrNeed(): CountsSummary {
    if (this.#counts === undefined) this.#need({ kind: 'counts' });
    return this.#counts;
  }

  node(id: number): NodeRecord | undefined {
    if (this.#complete.has(id)) return this.cache.node(id);
    if (this.#allNodes || this.#missing.has(id)) return undefined;
    return this.#need({ kind: 'nodes', ids: this.cache.node(id) === undefined ? [id] : this.#stubsOfWave(id) });
  }

  edge(id: number): EdgeRecord | undefined {
    const e = this.cache.edge(id);
    if (e !== undefined || this.#allEdges || this.#missingEdges.has(id)) return e;
    return this.#need({ kind: 'edges', ids: [id] });
  }

  nodes(): Iterable<NodeRecord> {
    if (!this.#allNodes) this.#need({ kind: 'allNodes' });
    return this.cache.nodes();
  }

  edges(): Iterable<EdgeRecord> {
    if (!this.#allEdges) this.#need({ kind: 'allEdges' });
    return this.cache.edges();
  }

  nodesByLabel(label: string): Iterable<NodeRecord> {
    if (!this.#labels.has(label) && !this.#allNodes) this.#need({ kind: 'label', label });
    return this.cache.nodesByLabel(label);
  }

  get nodeCount(): number {
    return this.#countsOrNeed().nodes;
  }

  get edgeCount(): number {
    return this.#countsOrNeed().edges;
  }

  labelCount(label: string): number {
    return this.#countsOrNeed().labels.get(label) ?? 0;
  }

  lookupIndex(label: string, key: string, value: PropertyValue): Iterable<NodeRecord> | undefined {
    if (!this.hasIndex(label, key)) return undefined;
    const e = this.indexEntry(label, key, value);
    return e === null || e === undefined ? [] : e instanceof Set ? [...e] : [e as NodeRecord];
  }

  indexEntry(label: string, key: string, value: PropertyValue): NodeRecord | ReadonlySet<NodeRecord> | null | undefined {
    if (!this.hasIndex(label, key)) return undefined;
    if (this.#labels.has(label) || this.#allNodes) return this.#scanEntry(label, key, value);
    const ids = this.#seeks.get(seekKey(label, key, value));
    if (ids === undefined) return this.#need({ kind: 'seek', label, key, value });
    const recs = ids.map((id) => this.cache.node(id)!).filter((n) => !n.deleted);
    return recs.length === 0 ? null : recs.length === 1 ? recs[0]! : new Set(recs);
  }

  #scanEntry(label: string, key: string, value: PropertyValue): NodeRecord | ReadonlySet<NodeRecord> | null {
    const want = valueKey(value);
    const hits = new Set<NodeRecord>();
    for (const n of this.cache.nodesByLabel(label)) {
      const v = n.props.get(key);
      if (v !== undefined && v !== null && valueKey(v) === want) hits.add(n);
    }
    return hits.size === 0 ? null : hits.size === 1 ? [...hits][0]! : hits;
  }

  hasIndex(label: string, key: string): boolean {
    const k = `${label}\u0000${key}`;
    return this.#shardKeys.has(k) || this.#countsOrNeed().indexes.has(k);
  }

  get version(): number {
    return this.cache.version;
  }

  propertyColumn(label: string, key: string): PropertyColumn {
    if (!this.#labels.has(label) && !this.#allNodes) this.#need({ kind: 'label', label });
    return this.cache.propertyColumn(label, key);
  }

  labels(): string[] {
    return [...this.#countsOrNeed().labels.keys()].sort();
  }

  relationshipTypes(): string[] {
    return this.#countsOrNeed().types;
  }

  propertyKeys(): string[] {
    return this.#countsOrNeed().keys;
  }

  indexes(): IndexInfo[] {
    return [...this.#countsOrNeed().indexes].sort().map((k) => {
      const [label, key] = k.split('\u0000') as [string, string];
      return { name: `index_${label}_${key}`, label, keys: [key], unique: false };
    });
  }

  constraints(): ConstraintInfo[] {
    return [];
  }

  peekNextNodeId(): number {
    return this.cache.peekNextNodeId();
  }

  peekNextEdgeId(): number {
    return this.cache.peekNextEdgeId();
  }

  apply(_command: GraphCommand): GraphCommand[] {
    throw readOnly();
  }

  applyWithoutUndo(_command: GraphCommand): void {
    throw readOnly();
  }
}

function readOnly(): GeodeError {
  return new GeodeError('INPUT_INVALID', 'this statement writes to a sharded graph: the coordinator runs reads only so far (cross-shard writes are not built yet)', {
    detail: 'ShardedWrite',
    source: 'coordinator',
  });
}
