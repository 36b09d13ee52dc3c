/**
 * GraphStore: the property graph held in memory, and the deterministic state machine Raft
 * replicates. The only way it changes is `apply(command)` (or `applyBatch` for bulk loads).
 *
 * Contract of `apply`:
 * - it validates the whole command first; an invalid command throws a GeodeError and changes
 *   NOTHING (codes: ENTITY_NOT_FOUND unknown/deleted id, INPUT_INVALID malformed command or an id
 *   already in use or a duplicate index/constraint name, CONSTRAINT_VIOLATION uniqueness or a
 *   node still connected (detail `DeleteConnectedNode`), NOT_FOUND unknown index/constraint
 *   name, GQL_TYPE a value that cannot be stored (detail `InvalidPropertyType`));
 * - it returns the commands that undo it: applying them in order restores the previous state
 *   exactly (ids and next-id counters included, see `rewindNextId` in types.ts);
 * - the same commands in the same order give the same store, iteration orders included.
 *
 * Orders: `nodes()` / `edges()` in id order; `node.out` / `node.in` in edge-id order;
 * `nodesByLabel` in the order nodes got the label. Iterators returned by `nodes()`, `edges()` and
 * `nodesByLabel()` are live: a write made while iterating is seen by the iterator, so a writer
 * that iterates must materialize first. `lookupIndex` returns a fresh array.
 */
import { GeodeError } from '../util/errors.ts';
import { assert } from '../util/assert.ts';
import { IdTable } from './id-table.ts';
import { EdgeRecord, EMPTY_PROPS, NodeRecord } from './records.ts';
import { checkStorable, isStorable } from './storable.ts';
import { buildPropertyColumn, type PropertyColumn } from './property-column.ts';
import { checkCreationStamp, CreationStamps, type CreationStamp } from './creation-stamps.ts';
import type {
  ConstraintInfo,
  GraphCommand,
  GraphReader,
  GraphSnapshot,
  IndexInfo,
  MetaValue,
  PropertyEntries,
  SnapshotEdge,
  SnapshotIndex,
  SnapshotNode,
} from './types.ts';
import { isNaNKeyed, valueKey, type ValueKey } from './value-key.ts';
import type { PropertyValue, Value } from './values.ts';

/** Dead entries an adjacency array may hold before it is compacted eagerly (also: more than half dead). */
const ADJACENCY_DEAD_MIN = 16;
/** Property columns the store caches for scans (each is ~17 bytes per node of its label). */
const PROPERTY_COLUMNS_MAX = 16;
/** Distinct label sets the store shares between nodes (more combinations get private sets). */
const LABEL_SETS_MAX = 4096;
/** Keys per index / constraint: a bound so a command cannot ask for unbounded work. */
export const INDEX_KEYS_MAX = 16;

type Bucket = NodeRecord | Set<NodeRecord>;

interface IndexState {
  readonly name: string;
  readonly label: string;
  readonly keys: readonly string[];
  /** keys[0]: the key the buckets are by. */
  readonly key: string;
  /** The constraint owning this index, if any. */
  readonly owner: string | undefined;
  readonly buckets: Map<ValueKey, Bucket>;
}

interface ConstraintState {
  readonly name: string;
  readonly label: string;
  readonly keys: readonly string[];
  readonly kind: 'unique';
  readonly index: IndexState;
}

const NO_NODES: readonly NodeRecord[] = [];
const NO_UNDO: GraphCommand[] = [];

function inputInvalid(message: string): GeodeError {
  return new GeodeError('INPUT_INVALID', message, { source: 'command' });
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

function checkId(v: unknown, what: string): asserts v is number {
  if (!isId(v)) throw inputInvalid(`${what}: id must be a safe integer ≥ 1, got ${String(v)}`);
}

function checkName(v: unknown, what: string): asserts v is string {
  if (typeof v !== 'string') throw inputInvalid(`${what} must be a string, got ${typeof v}`);
}

/** A value as it appears in messages. */
function show(v: Value | undefined): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(1) : String(v);
  if (Array.isArray(v)) return `[${(v as readonly Value[]).map(show).join(', ')}]`;
  return String(v);
}

/** Sorted property entries of a record (for snapshots and undo). */
function sortedEntries(props: Map<string, Value>): [string, PropertyValue][] {
  const out: [string, PropertyValue][] = [];
  for (const [k, v] of props) out.push([k, v as PropertyValue]);
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return out;
}

function entriesOf(props: Map<string, Value>): [string, PropertyValue][] {
  const out: [string, PropertyValue][] = [];
  for (const [k, v] of props) out.push([k, v as PropertyValue]);
  return out;
}

/** Validates a command's property list and builds the record's map (EMPTY_PROPS when empty). */
function buildProps(entries: unknown, op: string, id: number): Map<string, Value> {
  if (!Array.isArray(entries)) throw inputInvalid(`${op} ${id}: props must be an array of [key, value] pairs`);
  if (entries.length === 0) return EMPTY_PROPS;
  let props: Map<string, Value> | undefined;
  for (let i = 0; i < entries.length; i++) {
    const entry: unknown = entries[i];
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
      throw inputInvalid(`${op} ${id}: props[${i}] must be a [key, value] pair with a string key`);
    }
    const key = entry[0];
    const value: unknown = entry[1];
    if (value === null || value === undefined) continue;
    checkStorable(key, value);
    props ??= new Map<string, Value>();
    if (props.has(key)) throw inputInvalid(`${op} ${id}: property '${key}' is given twice`);
    props.set(key, value);
  }
  return props ?? EMPTY_PROPS;
}

/**
 * Inserts `e` into an id-ordered adjacency array; returns the array to keep. Appending (the usual
 * case: ids grow) mutates `list`; an out-of-order insert returns a new compacted array.
 */
function insertOrdered(list: EdgeRecord[], e: EdgeRecord): EdgeRecord[] {
  const n = list.length;
  if (n === 0 || list[n - 1]!.id < e.id) {
    list.push(e);
    return list;
  }
  // Out-of-order insert (undo of a delete, a restore in odd order): compact into a new array.
  const out: EdgeRecord[] = [];
  let placed = false;
  for (let i = 0; i < n; i++) {
    const x = list[i]!;
    if (x.deleted) continue;
    if (!placed && x.id > e.id) {
      out.push(e);
      placed = true;
    }
    out.push(x);
  }
  if (!placed) out.push(e);
  return out;
}

function compactList(list: readonly EdgeRecord[]): EdgeRecord[] {
  const out: EdgeRecord[] = [];
  for (let i = 0; i < list.length; i++) if (!list[i]!.deleted) out.push(list[i]!);
  return out;
}

function bucketAdd(buckets: Map<ValueKey, Bucket>, key: ValueKey, node: NodeRecord): void {
  const b = buckets.get(key);
  if (b === undefined) buckets.set(key, node);
  else if (b instanceof Set) b.add(node);
  else buckets.set(key, new Set<NodeRecord>([b, node]));
}

function bucketRemove(buckets: Map<ValueKey, Bucket>, key: ValueKey, node: NodeRecord): void {
  const b = buckets.get(key);
  assert(b !== undefined, `index bucket missing for node ${node.id}`);
  if (b instanceof Set) {
    const had = b.delete(node);
    assert(had, `node ${node.id} missing from its index bucket`);
    if (b.size === 0) buckets.delete(key);
  } else {
    assert(b === node, `node ${node.id} missing from its index bucket (holds ${b.id})`);
    buckets.delete(key);
  }
}

function countAdd(counts: Map<string, number>, key: string, delta: number): void {
  const n = (counts.get(key) ?? 0) + delta;
  assert(n >= 0, `count of '${key}' went negative`);
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
}

function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The in-memory property graph; see the file header for the contract of `apply`. */
/**
 * metaViewSharedBytesMax: a metadata value that is a view of a buffer of at most this many bytes
 * is kept as that view (it may keep the rest of the buffer alive: at most this much per value);
 * a view of a larger buffer (a decoded log entry or snapshot) is copied. Writers of many small
 * byte values (federation's records) allocate them in slabs of this size: a buffer per value
 * costs the garbage collector a tracked backing store each (about 1-2 µs per value written).
 */
export const metaViewSharedBytesMax = 4096;

export class GraphStore implements GraphReader {
  readonly #nodes = new IdTable<NodeRecord>();
  readonly #edges = new IdTable<EdgeRecord>();
  #nextNodeId = 1;
  #nextEdgeId = 1;
  #version = 0;
  readonly #columns = new Map<string, PropertyColumn>();
  readonly #labelIndex = new Map<string, Set<NodeRecord>>();
  /** Interned label sets, see {@link GraphStore.#labelSet}. */
  readonly #labelSets = new Map<string, ReadonlySet<string>>();
  readonly #typeCounts = new Map<string, number>();
  /** Live (node or edge) records holding each property key. */
  readonly #propKeyCounts = new Map<string, number>();
  readonly #indexes = new Map<string, IndexState>();
  readonly #indexesByLabel = new Map<string, IndexState[]>();
  /** label → key → the index answering lookups on (label, key). */
  readonly #lookup = new Map<string, Map<string, IndexState>>();
  readonly #constraints = new Map<string, ConstraintState>();
  readonly #constraintsByLabel = new Map<string, ConstraintState[]>();
  /** Replicated metadata (`setMeta`): invisible to queries. */
  readonly #meta = new Map<string, MetaValue>();
  /**
   * The metadata keys in order as of the last {@link snapshot}, and the keys added since: a
   * snapshot sorts only the new keys and merges (federation keeps a record per entity here, and
   * sorting them all at every snapshot cost more than the snapshot's encoding).
   */
  #metaSorted: string[] = [];
  #metaAdded: string[] = [];
  /** The added keys outgrew the map (no snapshot for long): the next snapshot sorts them all. */
  #metaResort = false;
  /** Node creation stamps (`stampNodes`, src/graph/creation-stamps.ts). */
  readonly #stamps = new CreationStamps();
  /**
   * Stamped nodes deleted since their stamp was last set: the deleted record (labels and
   * properties as they were) until the stamp is cleared — federation's write hook, which runs
   * after the statement, clears it in the same statement and needs what the node held for its
   * tombstone. Empty between statements that clear what they delete.
   */
  readonly #stampedDeleted = new Map<number, NodeRecord>();

  // ---------------------------------------------------------------- reads

  node(id: number): NodeRecord | undefined {
    return this.#nodes.get(id);
  }

  edge(id: number): EdgeRecord | undefined {
    return this.#edges.get(id);
  }

  nodes(): Iterable<NodeRecord> {
    return this.#nodes.values();
  }

  edges(): Iterable<EdgeRecord> {
    return this.#edges.values();
  }

  nodesByLabel(label: string): Iterable<NodeRecord> {
    const set = this.#labelIndex.get(label);
    return set === undefined ? NO_NODES : set.values();
  }

  get nodeCount(): number {
    return this.#nodes.size;
  }

  get edgeCount(): number {
    return this.#edges.size;
  }

  labelCount(label: string): number {
    return this.#labelIndex.get(label)?.size ?? 0;
  }

  /**
   * The index entry for `value` without copying it: one node, a live set of nodes (do not keep
   * it across writes), `null` for none, or undefined when no index covers (label, key).
   */
  indexEntry(label: string, key: string, value: PropertyValue): NodeRecord | ReadonlySet<NodeRecord> | null | undefined {
    const index = this.#lookup.get(label)?.get(key);
    if (index === undefined) return undefined;
    if (value === null || isNaNKeyed(value)) return null;
    return index.buckets.get(valueKey(value)) ?? null;
  }

  lookupIndex(label: string, key: string, value: PropertyValue): NodeRecord[] | undefined {
    const index = this.#lookup.get(label)?.get(key);
    if (index === undefined) return undefined;
    if (value === null || isNaNKeyed(value)) return [];
    const b = index.buckets.get(valueKey(value));
    if (b === undefined) return [];
    return b instanceof Set ? Array.from(b) : [b];
  }

  /**
   * Counts every apply (successful or refused): a reader that saw version v and sees v again
   * knows nothing changed in between.
   */
  get version(): number {
    return this.#version;
  }

  /**
   * The column of property `key` over the live nodes of `label`, as of now (see
   * {@link PropertyColumn}). Cached until the next write; at most `PROPERTY_COLUMNS_MAX` kept.
   */
  propertyColumn(label: string, key: string): PropertyColumn {
    const cacheKey = `${label}\u0000${key}`;
    const cached = this.#columns.get(cacheKey);
    if (cached !== undefined && cached.version === this.#version) return cached;
    if (this.#columns.size >= PROPERTY_COLUMNS_MAX) this.#columns.clear();
    const column = buildPropertyColumn(this.#version, this.nodesByLabel(label), key);
    this.#columns.set(cacheKey, column);
    return column;
  }

  hasIndex(label: string, key: string): boolean {
    return this.#lookup.get(label)?.has(key) ?? false;
  }

  labels(): string[] {
    return Array.from(this.#labelIndex.keys()).sort();
  }

  relationshipTypes(): string[] {
    return Array.from(this.#typeCounts.keys()).sort();
  }

  propertyKeys(): string[] {
    return Array.from(this.#propKeyCounts.keys()).sort();
  }

  indexes(): IndexInfo[] {
    const out: IndexInfo[] = [];
    for (const ix of this.#indexes.values()) {
      out.push({ name: ix.name, label: ix.label, keys: ix.keys.slice(), unique: ix.owner !== undefined });
    }
    return out.sort(byName);
  }

  constraints(): ConstraintInfo[] {
    const out: ConstraintInfo[] = [];
    for (const c of this.#constraints.values()) out.push({ name: c.name, label: c.label, keys: c.keys.slice(), kind: c.kind });
    return out.sort(byName);
  }

  peekNextNodeId(): number {
    return this.#nextNodeId;
  }

  peekNextEdgeId(): number {
    return this.#nextEdgeId;
  }

  // ---------------------------------------------------------------- writes

  /** Validates and applies one command; returns the commands that undo it. See the file header. */
  apply(command: GraphCommand): GraphCommand[] {
    return this.#apply(command, true);
  }

  /**
   * Applies `command` like {@link apply} but builds no undo list: for a caller that derives the
   * undo itself (the undo of a create is a delete by id).
   */
  applyWithoutUndo(command: GraphCommand): void {
    this.#apply(command, false);
  }

  /**
   * Bulk path for loading: applies `commands` in order without building undo lists. Each command
   * is validated as by `apply`; the first invalid one throws (its message names its position)
   * and changes nothing itself, but the commands before it STAY applied. Returns the count.
   */
  applyBatch(commands: readonly GraphCommand[]): number {
    this.#applyAll(commands, undefined);
    return commands.length;
  }

  /**
   * applyBatchWithUndo: as {@link applyBatch}, answering each command's undo commands (undo them
   * newest first to take the batch back).
   */
  applyBatchWithUndo(commands: readonly GraphCommand[]): GraphCommand[][] {
    const undo = new Array<GraphCommand[]>(commands.length);
    this.#applyAll(commands, undo);
    return undo;
  }

  #applyAll(commands: readonly GraphCommand[], undo: GraphCommand[][] | undefined): void {
    for (let i = 0; i < commands.length; i++) {
      try {
        const u = this.#apply(commands[i]!, undo !== undefined);
        if (undo !== undefined) undo[i] = u;
      } catch (err) {
        if (err instanceof GeodeError) {
          throw new GeodeError(err.code, `command ${i} (${String(commands[i]?.op)}): ${err.message}`, {
            ...(err.detail === undefined ? {} : { detail: err.detail }),
            source: 'command',
            cause: err,
          });
        }
        throw err;
      }
    }
  }

  #apply(c: GraphCommand, undo: boolean): GraphCommand[] {
    if (typeof c !== 'object' || c === null) throw inputInvalid('a command must be an object');
    this.#version++;
    switch (c.op) {
      case 'createNode':
        return this.#createNode(c.id, c.labels, c.props, undo);
      case 'deleteNode':
        return this.#deleteNode(c.id, c.rewindNextId, undo);
      case 'createEdge':
        return this.#createEdge(c.id, c.type, c.src, c.dst, c.props, undo);
      case 'deleteEdge':
        return this.#deleteEdge(c.id, c.rewindNextId, undo);
      case 'setNodeProperty':
        return this.#setNodeProperty(c.id, c.key, c.value, undo);
      case 'setEdgeProperty':
        return this.#setEdgeProperty(c.id, c.key, c.value, undo);
      case 'addLabel':
        return this.#addLabel(c.id, c.label, undo);
      case 'removeLabel':
        return this.#removeLabel(c.id, c.label, undo);
      case 'createIndex':
        return this.#createIndex(c.name, c.label, c.keys, undo);
      case 'dropIndex':
        return this.#dropIndex(c.name, undo);
      case 'createConstraint':
        return this.#createConstraint(c.name, c.label, c.keys, c.kind, undo);
      case 'dropConstraint':
        return this.#dropConstraint(c.name, undo);
      case 'setMeta':
        return this.#setMeta(c.key, c.value, undo);
      case 'stampNodes':
        return this.#stampNodes(c.ids, c.stamp, undo);
      default:
        throw inputInvalid(`unknown command op ${JSON.stringify((c as { op?: unknown }).op)}`);
    }
  }

  /**
   * The shared label set holding `labels` (duplicates dropped, first occurrence first): nodes with
   * the same labels share one set, which nobody mutates. At most `LABEL_SETS_MAX` sets are
   * interned; past that, sets are private.
   */
  #labelSet(labels: readonly string[]): ReadonlySet<string> {
    let key: string;
    if (labels.length === 1) {
      key = labels[0]!;
      // A single label's key is the label itself; one starting with U+0000 could equal a list's
      // key (below), so it is never interned.
      if (key.charCodeAt(0) === 0) return new Set(labels);
    } else {
      // U+0000, then each label length-prefixed: unambiguous.
      key = '\u0000';
      for (let i = 0; i < labels.length; i++) key += `${labels[i]!.length}:${labels[i]!}`;
    }
    let set = this.#labelSets.get(key);
    if (set !== undefined) return set;
    set = new Set(labels);
    if (this.#labelSets.size < LABEL_SETS_MAX) this.#labelSets.set(key, set);
    return set;
  }

  #liveNode(id: unknown, what: string): NodeRecord {
    const n = typeof id === 'number' ? this.#nodes.get(id) : undefined;
    if (n === undefined) {
      checkId(id, what);
      throw new GeodeError('ENTITY_NOT_FOUND', `${what}: node ${id} does not exist`, { source: 'command' });
    }
    return n;
  }

  #liveEdge(id: unknown, what: string): EdgeRecord {
    const e = typeof id === 'number' ? this.#edges.get(id) : undefined;
    if (e === undefined) {
      checkId(id, what);
      throw new GeodeError('ENTITY_NOT_FOUND', `${what}: relationship ${id} does not exist`, { source: 'command' });
    }
    return e;
  }

  /**
   * The node that already holds the key values `props` (with `key` overridden by `value`) would
   * give under constraint `c`, or undefined. `self` (the node being changed) never conflicts with itself.
   */
  #uniqueConflict(c: ConstraintState, self: NodeRecord | undefined, props: Map<string, Value>, key?: string, value?: Value): NodeRecord | undefined {
    const keys = c.keys;
    const first = keys[0]!;
    const v0 = first === key ? value : props.get(first);
    if (v0 === undefined || v0 === null || isNaNKeyed(v0)) return undefined;
    for (let i = 1; i < keys.length; i++) {
      const v = keys[i] === key ? value : props.get(keys[i]!);
      if (v === undefined || v === null || isNaNKeyed(v)) return undefined;
    }
    const b = c.index.buckets.get(valueKey(v0));
    if (b === undefined) return undefined;
    if (!(b instanceof Set)) return b !== self && this.#sameRest(c, b, props, key, value) ? b : undefined;
    for (const other of b) if (other !== self && this.#sameRest(c, other, props, key, value)) return other;
    return undefined;
  }

  /** True when `other` holds the same values as `props` (+ override) for keys[1..]. */
  #sameRest(c: ConstraintState, other: NodeRecord, props: Map<string, Value>, key?: string, value?: Value): boolean {
    for (let i = 1; i < c.keys.length; i++) {
      const k = c.keys[i]!;
      const mine = k === key ? value : props.get(k);
      const theirs = other.props.get(k);
      if (theirs === undefined || mine === undefined || mine === null) return false;
      if (isNaNKeyed(theirs) || valueKey(theirs) !== valueKey(mine)) return false;
    }
    return true;
  }

  #uniqueError(c: ConstraintState, other: NodeRecord): GeodeError {
    const parts = c.keys.map((k) => `\`${k}\` = ${show(other.props.get(k))}`).join(', ');
    return new GeodeError(
      'CONSTRAINT_VIOLATION',
      `Node(${other.id}) already exists with label \`${c.label}\` and property ${parts} (constraint ${c.name})`,
      { detail: 'UniquenessConstraintViolation', source: 'command' },
    );
  }

  /** Throws when giving `node` (or a new node) `props`/`labels` (+ one overridden key) breaks a constraint. */
  #checkUnique(labels: Iterable<string>, self: NodeRecord | undefined, props: Map<string, Value>, key?: string, value?: Value): void {
    if (this.#constraints.size === 0) return;
    for (const label of labels) {
      const cs = this.#constraintsByLabel.get(label);
      if (cs === undefined) continue;
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i]!;
        if (key !== undefined && !c.keys.includes(key)) continue;
        const other = this.#uniqueConflict(c, self, props, key, value);
        if (other !== undefined) throw this.#uniqueError(c, other);
      }
    }
  }

  #indexAddNode(label: string, node: NodeRecord): void {
    const ixs = this.#indexesByLabel.get(label);
    if (ixs === undefined) return;
    for (let i = 0; i < ixs.length; i++) {
      const ix = ixs[i]!;
      const v = node.props.get(ix.key);
      if (v !== undefined) bucketAdd(ix.buckets, valueKey(v), node);
    }
  }

  #indexRemoveNode(label: string, node: NodeRecord): void {
    const ixs = this.#indexesByLabel.get(label);
    if (ixs === undefined) return;
    for (let i = 0; i < ixs.length; i++) {
      const ix = ixs[i]!;
      const v = node.props.get(ix.key);
      if (v !== undefined) bucketRemove(ix.buckets, valueKey(v), node);
    }
  }

  /** Moves `node` between buckets of every index on (one of its labels, key). */
  #indexChangeKey(node: NodeRecord, key: string, before: Value | undefined, after: Value | undefined): void {
    if (this.#indexes.size === 0) return;
    for (const label of node.labels) {
      const ixs = this.#indexesByLabel.get(label);
      if (ixs === undefined) continue;
      for (let i = 0; i < ixs.length; i++) {
        const ix = ixs[i]!;
        if (ix.key !== key) continue;
        if (before !== undefined) bucketRemove(ix.buckets, valueKey(before), node);
        if (after !== undefined) bucketAdd(ix.buckets, valueKey(after), node);
      }
    }
  }

  #createNode(id: number, labels: readonly string[], propEntries: PropertyEntries, undo: boolean): GraphCommand[] {
    checkId(id, 'createNode');
    if (this.#nodes.has(id)) throw inputInvalid(`createNode: node ${id} already exists`);
    if (!Array.isArray(labels)) throw inputInvalid('createNode: labels must be an array of strings');
    for (let i = 0; i < labels.length; i++) checkName(labels[i], 'createNode: a label');
    const labelSet = this.#labelSet(labels);
    const props = buildProps(propEntries, 'createNode', id);
    if (props.size !== 0) this.#checkUnique(labelSet, undefined, props);
    // Valid: mutate.
    const node = new NodeRecord(id, labelSet, props);
    this.#nodes.add(node);
    if (this.#stampedDeleted.size > 0) this.#stampedDeleted.delete(id);
    for (const label of labelSet) {
      let set = this.#labelIndex.get(label);
      if (set === undefined) {
        set = new Set<NodeRecord>();
        this.#labelIndex.set(label, set);
      }
      set.add(node);
      this.#indexAddNode(label, node);
    }
    for (const key of props.keys()) countAdd(this.#propKeyCounts, key, 1);
    const prevNext = this.#nextNodeId;
    if (id >= prevNext) this.#nextNodeId = id + 1;
    if (!undo) return NO_UNDO;
    return [id >= prevNext ? { op: 'deleteNode', id, rewindNextId: prevNext } : { op: 'deleteNode', id }];
  }

  /** Validates a rewind of a next-id counter to `to` when deleting the last allocated `id`. */
  #checkRewind(to: unknown, id: number, next: number, live: IdTable<{ readonly id: number }>, what: string): asserts to is number {
    checkId(to, `${what} ${id}: rewindNextId`);
    if (next !== id + 1 || to > id) {
      throw inputInvalid(`${what} ${id}: rewindNextId ${to} is allowed only for the last allocated id (next is ${next})`);
    }
    const gap = id - to;
    if (gap <= live.size) {
      for (let i = to; i < id; i++) if (live.has(i)) throw inputInvalid(`${what} ${id}: cannot rewind next id to ${to}, id ${i} is live`);
    } else {
      for (const { id: k } of live.values()) if (k >= to && k !== id) throw inputInvalid(`${what} ${id}: cannot rewind next id to ${to}, id ${k} is live`);
    }
  }

  #deleteNode(id: number, rewind: number | undefined, undo: boolean): GraphCommand[] {
    const node = this.#liveNode(id, 'deleteNode');
    if (rewind !== undefined) this.#checkRewind(rewind, id, this.#nextNodeId, this.#nodes, 'deleteNode');
    const degree = node.outDegree + node.inDegree;
    if (degree !== 0) {
      throw new GeodeError(
        'CONSTRAINT_VIOLATION',
        `Cannot delete node ${id}, because it still has ${degree} relationship(s). To delete this node, you must first delete its relationships (DETACH DELETE).`,
        { detail: 'DeleteConnectedNode', source: 'command' },
      );
    }
    const result: GraphCommand[] = undo
      ? [{ op: 'createNode', id, labels: Array.from(node.labels), props: entriesOf(node.props) }]
      : NO_UNDO;
    for (const label of node.labels) {
      this.#indexRemoveNode(label, node);
      const set = this.#labelIndex.get(label)!;
      set.delete(node);
      if (set.size === 0) this.#labelIndex.delete(label);
    }
    for (const key of node.props.keys()) countAdd(this.#propKeyCounts, key, -1);
    this.#nodes.delete(id);
    if (this.#stamps.size > 0 && this.#stamps.has(id)) this.#stampedDeleted.set(id, node);
    node.deleted = true;
    node.outList = [];
    node.outDead = 0;
    node.inList = [];
    node.inDead = 0;
    node.typeCache = undefined;
    if (rewind !== undefined) this.#nextNodeId = rewind;
    return result;
  }

  #createEdge(id: number, type: string, src: number, dst: number, propEntries: PropertyEntries, undo: boolean): GraphCommand[] {
    checkId(id, 'createEdge');
    if (this.#edges.has(id)) throw inputInvalid(`createEdge: relationship ${id} already exists`);
    checkName(type, 'createEdge: type');
    const from = this.#liveNode(src, 'createEdge: source');
    const to = this.#liveNode(dst, 'createEdge: target');
    const props = buildProps(propEntries, 'createEdge', id);
    // Valid: mutate.
    const edge = new EdgeRecord(id, type, from, to, props);
    this.#edges.add(edge);
    // Every live edge's id is below the next id: an id at or past it goes last in a list without
    // dead entries, so the list's last record (cold in memory) need not be read to know it.
    const newest = id >= this.#nextEdgeId;
    if (newest && from.outDead === 0) from.outList.push(edge);
    else {
      const outBefore = from.outList;
      from.outList = insertOrdered(outBefore, edge);
      if (from.outList !== outBefore) from.outDead = 0;
    }
    if (newest && to.inDead === 0) to.inList.push(edge);
    else {
      const inBefore = to.inList;
      to.inList = insertOrdered(inBefore, edge);
      if (to.inList !== inBefore) to.inDead = 0;
    }
    from.typeCache = undefined;
    to.typeCache = undefined;
    countAdd(this.#typeCounts, type, 1);
    for (const key of props.keys()) countAdd(this.#propKeyCounts, key, 1);
    const prevNext = this.#nextEdgeId;
    if (id >= prevNext) this.#nextEdgeId = id + 1;
    if (!undo) return NO_UNDO;
    return [id >= prevNext ? { op: 'deleteEdge', id, rewindNextId: prevNext } : { op: 'deleteEdge', id }];
  }

  #deleteEdge(id: number, rewind: number | undefined, undo: boolean): GraphCommand[] {
    const edge = this.#liveEdge(id, 'deleteEdge');
    if (rewind !== undefined) this.#checkRewind(rewind, id, this.#nextEdgeId, this.#edges, 'deleteEdge');
    const result: GraphCommand[] = undo
      ? [{ op: 'createEdge', id, type: edge.type, src: edge.src.id, dst: edge.dst.id, props: entriesOf(edge.props) }]
      : NO_UNDO;
    this.#edges.delete(id);
    edge.deleted = true;
    const from = edge.src;
    const to = edge.dst;
    from.outDead++;
    if (from.outDead >= ADJACENCY_DEAD_MIN && from.outDead * 2 > from.outList.length) {
      from.outList = compactList(from.outList);
      from.outDead = 0;
    }
    to.inDead++;
    if (to.inDead >= ADJACENCY_DEAD_MIN && to.inDead * 2 > to.inList.length) {
      to.inList = compactList(to.inList);
      to.inDead = 0;
    }
    from.typeCache = undefined;
    to.typeCache = undefined;
    countAdd(this.#typeCounts, edge.type, -1);
    for (const key of edge.props.keys()) countAdd(this.#propKeyCounts, key, -1);
    if (rewind !== undefined) this.#nextEdgeId = rewind;
    return result;
  }

  #setNodeProperty(id: number, key: string, value: PropertyValue | null, undo: boolean): GraphCommand[] {
    const node = this.#liveNode(id, 'setNodeProperty');
    checkName(key, 'setNodeProperty: key');
    const before = node.props.get(key);
    if (value === null || value === undefined) {
      if (before === undefined) return NO_UNDO;
      this.#indexChangeKey(node, key, before, undefined);
      if (node.props.size === 1) node.props = EMPTY_PROPS;
      else node.props.delete(key);
      countAdd(this.#propKeyCounts, key, -1);
      return undo ? [{ op: 'setNodeProperty', id, key, value: before as PropertyValue }] : NO_UNDO;
    }
    checkStorable(key, value);
    this.#checkUnique(node.labels, node, node.props, key, value);
    this.#indexChangeKey(node, key, before, value);
    if (node.props === EMPTY_PROPS) node.props = new Map<string, Value>();
    node.props.set(key, value);
    if (before === undefined) countAdd(this.#propKeyCounts, key, 1);
    return undo ? [{ op: 'setNodeProperty', id, key, value: before === undefined ? null : (before as PropertyValue) }] : NO_UNDO;
  }

  #setEdgeProperty(id: number, key: string, value: PropertyValue | null, undo: boolean): GraphCommand[] {
    const edge = this.#liveEdge(id, 'setEdgeProperty');
    checkName(key, 'setEdgeProperty: key');
    const before = edge.props.get(key);
    if (value === null || value === undefined) {
      if (before === undefined) return NO_UNDO;
      if (edge.props.size === 1) edge.props = EMPTY_PROPS;
      else edge.props.delete(key);
      countAdd(this.#propKeyCounts, key, -1);
      return undo ? [{ op: 'setEdgeProperty', id, key, value: before as PropertyValue }] : NO_UNDO;
    }
    checkStorable(key, value);
    if (edge.props === EMPTY_PROPS) edge.props = new Map<string, Value>();
    edge.props.set(key, value);
    if (before === undefined) countAdd(this.#propKeyCounts, key, 1);
    return undo ? [{ op: 'setEdgeProperty', id, key, value: before === undefined ? null : (before as PropertyValue) }] : NO_UNDO;
  }

  #addLabel(id: number, label: string, undo: boolean): GraphCommand[] {
    const node = this.#liveNode(id, 'addLabel');
    checkName(label, 'addLabel: label');
    if (node.labels.has(label)) return NO_UNDO;
    if (node.props.size !== 0) this.#checkUnique([label], node, node.props);
    node.labels = this.#labelSet([...node.labels, label]);
    let set = this.#labelIndex.get(label);
    if (set === undefined) {
      set = new Set<NodeRecord>();
      this.#labelIndex.set(label, set);
    }
    set.add(node);
    this.#indexAddNode(label, node);
    return undo ? [{ op: 'removeLabel', id, label }] : NO_UNDO;
  }

  #removeLabel(id: number, label: string, undo: boolean): GraphCommand[] {
    const node = this.#liveNode(id, 'removeLabel');
    checkName(label, 'removeLabel: label');
    if (!node.labels.has(label)) return NO_UNDO;
    this.#indexRemoveNode(label, node);
    const rest: string[] = [];
    for (const l of node.labels) if (l !== label) rest.push(l);
    node.labels = this.#labelSet(rest);
    const set = this.#labelIndex.get(label)!;
    set.delete(node);
    if (set.size === 0) this.#labelIndex.delete(label);
    return undo ? [{ op: 'addLabel', id, label }] : NO_UNDO;
  }

  #checkKeys(keys: unknown, what: string): asserts keys is readonly string[] {
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > INDEX_KEYS_MAX) {
      throw inputInvalid(`${what}: keys must be an array of 1 to ${INDEX_KEYS_MAX} property keys`);
    }
    for (let i = 0; i < keys.length; i++) {
      checkName(keys[i], `${what}: a key`);
      if (keys.indexOf(keys[i]) !== i) throw inputInvalid(`${what}: key '${String(keys[i])}' is given twice`);
    }
  }

  #registerIndex(ix: IndexState): void {
    this.#indexes.set(ix.name, ix);
    const list = this.#indexesByLabel.get(ix.label);
    if (list === undefined) this.#indexesByLabel.set(ix.label, [ix]);
    else list.push(ix);
    let byKey = this.#lookup.get(ix.label);
    if (byKey === undefined) {
      byKey = new Map<string, IndexState>();
      this.#lookup.set(ix.label, byKey);
    }
    if (!byKey.has(ix.key)) byKey.set(ix.key, ix);
  }

  #unregisterIndex(ix: IndexState): void {
    this.#indexes.delete(ix.name);
    const list = this.#indexesByLabel.get(ix.label)!;
    list.splice(list.indexOf(ix), 1);
    if (list.length === 0) this.#indexesByLabel.delete(ix.label);
    const byKey = this.#lookup.get(ix.label)!;
    if (byKey.get(ix.key) === ix) {
      byKey.delete(ix.key);
      for (let i = 0; i < list.length; i++) {
        if (list[i]!.key === ix.key) {
          byKey.set(ix.key, list[i]!);
          break;
        }
      }
      if (byKey.size === 0) this.#lookup.delete(ix.label);
    }
  }

  #createIndex(name: string, label: string, keys: readonly string[], undo: boolean): GraphCommand[] {
    checkName(name, 'createIndex: name');
    checkName(label, 'createIndex: label');
    this.#checkKeys(keys, `createIndex ${name}`);
    if (name === '') throw inputInvalid('createIndex: the name must not be empty');
    if (this.#indexes.has(name)) throw inputInvalid(`createIndex: an index named '${name}' already exists`);
    const ix: IndexState = { name, label, keys: keys.slice(), key: keys[0]!, owner: undefined, buckets: new Map<ValueKey, Bucket>() };
    const set = this.#labelIndex.get(label);
    if (set !== undefined) {
      for (const node of set) {
        const v = node.props.get(ix.key);
        if (v !== undefined) bucketAdd(ix.buckets, valueKey(v), node);
      }
    }
    this.#registerIndex(ix);
    return undo ? [{ op: 'dropIndex', name }] : NO_UNDO;
  }

  #dropIndex(name: string, undo: boolean): GraphCommand[] {
    checkName(name, 'dropIndex: name');
    const ix = this.#indexes.get(name);
    if (ix === undefined) throw new GeodeError('NOT_FOUND', `dropIndex: there is no index named '${name}'`, { source: 'command' });
    if (ix.owner !== undefined) {
      throw inputInvalid(`dropIndex: index '${name}' belongs to constraint '${ix.owner}'; drop the constraint instead`);
    }
    this.#unregisterIndex(ix);
    return undo ? [{ op: 'createIndex', name, label: ix.label, keys: ix.keys.slice() }] : NO_UNDO;
  }

  #createConstraint(name: string, label: string, keys: readonly string[], kind: 'unique', undo: boolean): GraphCommand[] {
    checkName(name, 'createConstraint: name');
    checkName(label, 'createConstraint: label');
    this.#checkKeys(keys, `createConstraint ${name}`);
    if (name === '') throw inputInvalid('createConstraint: the name must not be empty');
    if (kind !== 'unique') throw inputInvalid(`createConstraint ${name}: unknown kind ${JSON.stringify(kind)}`);
    if (this.#constraints.has(name)) throw inputInvalid(`createConstraint: a constraint named '${name}' already exists`);
    if (this.#indexes.has(name)) throw inputInvalid(`createConstraint: an index named '${name}' already exists`);
    const ix: IndexState = { name, label, keys: keys.slice(), key: keys[0]!, owner: name, buckets: new Map<ValueKey, Bucket>() };
    const c: ConstraintState = { name, label, keys: ix.keys, kind, index: ix };
    const set = this.#labelIndex.get(label);
    if (set !== undefined) {
      for (const node of set) {
        const other = this.#uniqueConflict(c, node, node.props);
        if (other !== undefined) {
          const parts = c.keys.map((k) => `\`${k}\` = ${show(node.props.get(k))}`).join(', ');
          throw new GeodeError(
            'CONSTRAINT_VIOLATION',
            `Unable to create constraint ${name}: Node(${other.id}) and Node(${node.id}) both have label \`${label}\` and property ${parts}`,
            { detail: 'UniquenessConstraintViolation', source: 'command' },
          );
        }
        const v = node.props.get(ix.key);
        if (v !== undefined) bucketAdd(ix.buckets, valueKey(v), node);
      }
    }
    this.#registerIndex(ix);
    this.#constraints.set(name, c);
    const list = this.#constraintsByLabel.get(label);
    if (list === undefined) this.#constraintsByLabel.set(label, [c]);
    else list.push(c);
    return undo ? [{ op: 'dropConstraint', name }] : NO_UNDO;
  }

  #dropConstraint(name: string, undo: boolean): GraphCommand[] {
    checkName(name, 'dropConstraint: name');
    const c = this.#constraints.get(name);
    if (c === undefined) throw new GeodeError('NOT_FOUND', `dropConstraint: there is no constraint named '${name}'`, { source: 'command' });
    this.#constraints.delete(name);
    const list = this.#constraintsByLabel.get(c.label)!;
    list.splice(list.indexOf(c), 1);
    if (list.length === 0) this.#constraintsByLabel.delete(c.label);
    this.#unregisterIndex(c.index);
    return undo ? [{ op: 'createConstraint', name, label: c.label, keys: c.keys.slice(), kind: c.kind }] : NO_UNDO;
  }

  // ---------------------------------------------------------------- metadata

  /** meta: the metadata entry `key` (see the `setMeta` command), or undefined. Do not mutate it. */
  meta(key: string): MetaValue | undefined {
    return this.#meta.get(key);
  }

  /** metaKeys: the metadata keys starting with `prefix`, in insertion order. */
  *metaKeys(prefix: string): IterableIterator<string> {
    for (const k of this.#meta.keys()) if (k.startsWith(prefix)) yield k;
  }

  /** creationStamp: node `id`'s creation stamp (`stampNodes`), or undefined. */
  creationStamp(id: number): CreationStamp | undefined {
    return this.#stamps.size === 0 ? undefined : this.#stamps.get(id);
  }

  /** creationStampCount: the creation stamps held (of live nodes, and of nodes deleted in the statement running). */
  get creationStampCount(): number {
    return this.#stamps.size;
  }

  /** creationStamps: every (node id, creation stamp), in id order. */
  creationStamps(): IterableIterator<[number, CreationStamp]> {
    return this.#stamps.entries();
  }

  /**
   * stampedNode: node `id` when it has a creation stamp: the live node, or the record of a node
   * deleted since its stamp was set and not cleared yet (what it held when deleted). Undefined otherwise.
   */
  stampedNode(id: number): NodeRecord | undefined {
    if (this.#stamps.size === 0 || !this.#stamps.has(id)) return undefined;
    return this.#nodes.get(id) ?? this.#stampedDeleted.get(id);
  }

  #stampNodes(ids: readonly number[], stamp: CreationStamp | null, undo: boolean): GraphCommand[] {
    if (!Array.isArray(ids)) throw inputInvalid('stampNodes: ids must be an array of node ids');
    for (let i = 0; i < ids.length; i++) checkId(ids[i], 'stampNodes');
    if (stamp !== null) {
      // Not required live: a rollback restores a cleared stamp before it re-creates the node it
      // deleted. Readers of stamps look at live nodes only (snapshots keep those alone).
      checkCreationStamp(stamp, 'stampNodes');
    }
    // Valid: mutate (the undo: each id's previous stamp; usually none, one command).
    let same = true;
    const before: (CreationStamp | undefined)[] = [];
    if (undo) {
      for (let i = 0; i < ids.length; i++) {
        const b = this.#stamps.get(ids[i]!);
        before.push(b);
        if (b !== undefined) same = false;
      }
    }
    if (stamp === null) {
      for (let i = 0; i < ids.length; i++) {
        this.#stamps.delete(ids[i]!);
        if (this.#stampedDeleted.size > 0) this.#stampedDeleted.delete(ids[i]!);
      }
    } else {
      const o = this.#stamps.originIndex(stamp[2]);
      for (let i = 0; i < ids.length; i++) this.#stamps.set(ids[i]!, stamp[0], stamp[1], o);
    }
    if (!undo) return NO_UNDO;
    // The command's own ids (commands are not changed once made): the undo stays in the MVCC
    // history with it, one array fewer per stamped write.
    if (same) return [{ op: 'stampNodes', ids, stamp: null }];
    const out: GraphCommand[] = [];
    for (let i = ids.length - 1; i >= 0; i--) out.push({ op: 'stampNodes', ids: [ids[i]!], stamp: before[i] ?? null });
    return out;
  }

  #setMeta(key: string, value: MetaValue | null, undo: boolean): GraphCommand[] {
    if (typeof key !== 'string' || key.length === 0) throw inputInvalid('setMeta: the key must be a non-empty string');
    if (value === undefined) throw inputInvalid(`setMeta ${key}: the value must be plain data or null`);
    const before = this.#meta.get(key);
    if (before === undefined && value !== null && !this.#metaResort) {
      this.#metaAdded.push(key);
      if (this.#metaAdded.length > 2 * this.#meta.size + 1_024) {
        this.#metaAdded = [];
        this.#metaResort = true;
      }
    }
    if (value === null) this.#meta.delete(key);
    // Bytes decoded from a log entry or a snapshot are a view of its whole buffer: a copy keeps
    // only the value. A view of a small buffer is kept as it is (federation records are views of
    // a shared slab: one buffer per ~100 records instead of one each, see metaViewSharedBytesMax).
    else if (value instanceof Uint8Array && value.buffer.byteLength > metaViewSharedBytesMax && value.byteLength !== value.buffer.byteLength) this.#meta.set(key, value.slice());
    else this.#meta.set(key, value);
    return undo ? [{ op: 'setMeta', key, value: before ?? null }] : [];
  }

  // ---------------------------------------------------------------- snapshot

  /** The whole store as canonical plain data; see {@link GraphSnapshot}. */
  snapshot(): GraphSnapshot {
    const nodes: SnapshotNode[] = [];
    for (const n of this.nodes()) {
      nodes.push({ id: n.id, labels: Array.from(n.labels).sort(), props: sortedEntries(n.props) });
    }
    const edges: SnapshotEdge[] = [];
    for (const e of this.edges()) {
      edges.push({ id: e.id, type: e.type, src: e.src.id, dst: e.dst.id, props: sortedEntries(e.props) });
    }
    const indexes: SnapshotIndex[] = [];
    for (const ix of this.indexes()) if (!ix.unique) indexes.push({ name: ix.name, label: ix.label, keys: ix.keys });
    const created = this.#stamps.size === 0 ? undefined : this.#stamps.encode((id) => this.#nodes.has(id));
    return {
      version: created === undefined ? 1 : 2,
      nextNodeId: this.#nextNodeId,
      nextEdgeId: this.#nextEdgeId,
      nodes,
      edges,
      indexes,
      constraints: this.constraints(),
      ...(this.#meta.size === 0 ? {} : { meta: this.#sortedMeta() }),
      ...(created === undefined ? {} : { created }),
    };
  }

  /** The metadata in key order (UTF-16 code unit order, as `Array.prototype.sort` and `<`). */
  #sortedMeta(): [string, MetaValue][] {
    const keys = this.#sortedMetaKeys();
    const out: [string, MetaValue][] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = [keys[i]!, this.#meta.get(keys[i]!)];
    return out;
  }

  /** The keys in order: the last snapshot's order merged with the keys added since (sorted), deleted ones left out. */
  #sortedMetaKeys(): string[] {
    if (this.#metaResort) {
      this.#metaResort = false;
      this.#metaAdded = [];
      this.#metaSorted = [...this.#meta.keys()].sort();
      return this.#metaSorted;
    }
    const old = this.#metaSorted;
    const added = this.#metaAdded.sort();
    const out: string[] = [];
    let i = 0;
    let j = 0;
    while (i < old.length || j < added.length) {
      let k: string;
      if (j >= added.length || (i < old.length && old[i]! < added[j]!)) k = old[i++]!;
      else if (i >= old.length || added[j]! < old[i]!) k = added[j++]!;
      else {
        k = old[i++]!;
        j++;
      }
      // A key deleted and added again is in both lists (or twice in `added`); a deleted one is in neither map.
      if (out.length > 0 && out[out.length - 1] === k) continue;
      if (this.#meta.has(k)) out.push(k);
    }
    assert(out.length === this.#meta.size, `metadata keys out of order: ${out.length} sorted, ${this.#meta.size} held`);
    this.#metaSorted = out;
    this.#metaAdded = [];
    return out;
  }

  /**
   * Rebuilds a store from {@link snapshot} output. The snapshot is validated as commands are
   * (INPUT_INVALID for malformed data, CONSTRAINT_VIOLATION for duplicates under a constraint).
   */
  static restore(snapshot: GraphSnapshot): GraphStore {
    if (typeof snapshot !== 'object' || snapshot === null || (snapshot.version !== 1 && snapshot.version !== 2)) {
      const v = typeof snapshot === 'object' && snapshot !== null ? String((snapshot as { version?: unknown }).version) : 'none';
      throw inputInvalid(`restore: graph snapshot version ${v} is not supported (this version reads versions 1 and 2)`);
    }
    const { nodes, edges, indexes, constraints } = snapshot;
    if (!Array.isArray(nodes) || !Array.isArray(edges) || !Array.isArray(indexes) || !Array.isArray(constraints)) {
      throw inputInvalid('restore: nodes, edges, indexes and constraints must be arrays');
    }
    const s = new GraphStore();
    try {
      for (const n of nodes) s.#createNode(n.id, n.labels, n.props, false);
      for (const e of edges) s.#createEdge(e.id, e.type, e.src, e.dst, e.props, false);
      for (const ix of indexes) s.#createIndex(ix.name, ix.label, ix.keys, false);
      for (const c of constraints) s.#createConstraint(c.name, c.label, c.keys, c.kind, false);
      if (snapshot.meta !== undefined) {
        if (!Array.isArray(snapshot.meta)) throw inputInvalid('restore: meta must be an array of [key, value]');
        for (const m of snapshot.meta) {
          if (!Array.isArray(m) || m.length !== 2) throw inputInvalid('restore: a meta entry must be [key, value]');
          s.#setMeta(m[0] as string, m[1] ?? null, false);
        }
      }
      if (snapshot.created !== undefined) {
        if (snapshot.version !== 2) throw inputInvalid('restore: creation stamps in a version 1 graph snapshot');
        CreationStamps.decode(snapshot.created, (id, stamp) => s.#stampNodes([id], stamp, false));
      }
    } catch (err) {
      if (err instanceof GeodeError) {
        throw new GeodeError(err.code, `restore: ${err.message}`, { source: 'snapshot', cause: err, ...(err.detail === undefined ? {} : { detail: err.detail }) });
      }
      throw err;
    }
    if (!isId(snapshot.nextNodeId) || snapshot.nextNodeId < s.#nextNodeId) {
      throw inputInvalid(`restore: nextNodeId ${String(snapshot.nextNodeId)} is below max node id + 1 (${s.#nextNodeId})`);
    }
    if (!isId(snapshot.nextEdgeId) || snapshot.nextEdgeId < s.#nextEdgeId) {
      throw inputInvalid(`restore: nextEdgeId ${String(snapshot.nextEdgeId)} is below max edge id + 1 (${s.#nextEdgeId})`);
    }
    s.#nextNodeId = snapshot.nextNodeId;
    s.#nextEdgeId = snapshot.nextEdgeId;
    return s;
  }

  // ---------------------------------------------------------------- consistency

  /**
   * A full check that every derived structure agrees with the records: label sets, property
   * indexes and constraint indexes, adjacency in both directions (order, dead counts), type and
   * property-key counts, uniqueness, next-id counters. Returns the problems found (empty when
   * consistent). O(nodes + edges + index entries); meant for tests and crash recovery checks.
   */
  checkConsistency(): string[] {
    const problems: string[] = [];
    const p = (msg: string): void => {
      if (problems.length < 1000) problems.push(msg);
    };
    if (EMPTY_PROPS.size !== 0) p(`EMPTY_PROPS holds ${EMPTY_PROPS.size} entries`);
    const labelCounts = new Map<string, number>();
    const keyCounts = new Map<string, number>();
    const typeCounts = new Map<string, number>();
    /** How many times each edge appears in the adjacency lists of the store's nodes. */
    const outSeen = new Map<EdgeRecord, number>();
    const inSeen = new Map<EdgeRecord, number>();
    let maxNode = 0;
    for (const problem of this.#nodes.check('node')) p(problem);
    for (const problem of this.#edges.check('edge')) p(problem);
    for (const n of this.#nodes.values()) {
      const id = n.id;
      if (n.deleted) p(`node ${id} is in the store but marked deleted`);
      if (id > maxNode) maxNode = id;
      for (const label of n.labels) {
        countAdd(labelCounts, label, 1);
        if (this.#labelIndex.get(label)?.has(n) !== true) p(`node ${id} has label ${label} but is not in its label set`);
      }
      if (n.props !== EMPTY_PROPS && n.props.size === 0) p(`node ${id} owns an empty property map`);
      for (const [k, v] of n.props) {
        countAdd(keyCounts, k, 1);
        if (!isStorable(v)) p(`node ${id} property ${k} holds a value that cannot be stored`);
      }
      this.#checkAdjacency(n, 'out', outSeen, p);
      this.#checkAdjacency(n, 'in', inSeen, p);
    }
    if (this.#nextNodeId <= maxNode) p(`next node id ${this.#nextNodeId} is not above max node id ${maxNode}`);
    let maxEdge = 0;
    for (const e of this.#edges.values()) {
      const id = e.id;
      if (e.deleted) p(`edge ${id} is in the store but marked deleted`);
      if (id > maxEdge) maxEdge = id;
      countAdd(typeCounts, e.type, 1);
      if (this.#nodes.get(e.src.id) !== e.src) p(`edge ${id} has source ${e.src.id}, which is not a live node of the store`);
      if (this.#nodes.get(e.dst.id) !== e.dst) p(`edge ${id} has target ${e.dst.id}, which is not a live node of the store`);
      if (e.props !== EMPTY_PROPS && e.props.size === 0) p(`edge ${id} owns an empty property map`);
      for (const [k, v] of e.props) {
        countAdd(keyCounts, k, 1);
        if (!isStorable(v)) p(`edge ${id} property ${k} holds a value that cannot be stored`);
      }
      const outTimes = outSeen.get(e) ?? 0;
      if (outTimes !== 1) p(`edge ${id} appears ${outTimes} times in the out list of node ${e.src.id}`);
      const inTimes = inSeen.get(e) ?? 0;
      if (inTimes !== 1) p(`edge ${id} appears ${inTimes} times in the in list of node ${e.dst.id}`);
    }
    if (this.#nextEdgeId <= maxEdge) p(`next edge id ${this.#nextEdgeId} is not above max edge id ${maxEdge}`);
    for (const [label, set] of this.#labelIndex) {
      if (set.size !== (labelCounts.get(label) ?? 0)) p(`label ${label}: label set holds ${set.size} nodes, ${labelCounts.get(label) ?? 0} carry it`);
      for (const n of set) if (this.#nodes.get(n.id) !== n || !n.labels.has(label)) p(`label ${label}: set holds node ${n.id}, which is not a live node with that label`);
    }
    for (const label of labelCounts.keys()) if (!this.#labelIndex.has(label)) p(`label ${label} is carried but has no label set`);
    compareCounts('relationship type', this.#typeCounts, typeCounts, p);
    compareCounts('property key', this.#propKeyCounts, keyCounts, p);
    this.#checkIndexes(p);
    return problems;
  }

  #checkAdjacency(n: NodeRecord, dir: 'out' | 'in', seen: Map<EdgeRecord, number>, p: (msg: string) => void): void {
    const list = dir === 'out' ? n.outList : n.inList;
    const dead = dir === 'out' ? n.outDead : n.inDead;
    let seenDead = 0;
    let lastId = 0;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (e.id <= lastId) p(`node ${n.id} ${dir} list is not in strictly increasing edge-id order at ${i}`);
      lastId = e.id;
      if (e.deleted) {
        seenDead++;
        continue;
      }
      seen.set(e, (seen.get(e) ?? 0) + 1);
      if (this.#edges.get(e.id) !== e) p(`node ${n.id} ${dir} list holds edge ${e.id}, which is not live in the store`);
      const end = dir === 'out' ? e.src : e.dst;
      if (end !== n) p(`node ${n.id} ${dir} list holds edge ${e.id}, whose ${dir === 'out' ? 'source' : 'target'} is node ${end.id}`);
    }
    if (seenDead !== dead) p(`node ${n.id} ${dir} list holds ${seenDead} deleted edges but counts ${dead}`);
  }

  #checkIndexes(p: (msg: string) => void): void {
    for (const [name, ix] of this.#indexes) {
      if (ix.name !== name) p(`index map key ${name} holds index ${ix.name}`);
      if (!(this.#indexesByLabel.get(ix.label)?.includes(ix) ?? false)) p(`index ${name} is not listed under label ${ix.label}`);
      if (!(this.#lookup.get(ix.label)?.has(ix.key) ?? false)) p(`index ${name}: no lookup entry for (${ix.label}, ${ix.key})`);
      const expected = new Map<ValueKey, NodeRecord[]>();
      const set = this.#labelIndex.get(ix.label);
      if (set !== undefined) {
        for (const n of set) {
          const v = n.props.get(ix.key);
          if (v === undefined) continue;
          const k = valueKey(v);
          const list = expected.get(k);
          if (list === undefined) expected.set(k, [n]);
          else list.push(n);
        }
      }
      for (const [k, b] of ix.buckets) {
        const members = b instanceof Set ? b : new Set<NodeRecord>([b]);
        if (members.size === 0) p(`index ${name}: empty bucket for ${String(k)}`);
        const want = new Set<NodeRecord>(expected.get(k) ?? []);
        for (const n of members) if (!want.has(n)) p(`index ${name}: node ${n.id} is in bucket ${String(k)} but does not have that value`);
        for (const n of want) if (!members.has(n)) p(`index ${name}: node ${n.id} is missing from bucket ${String(k)}`);
      }
      for (const [k, want] of expected) if (!ix.buckets.has(k)) p(`index ${name}: bucket ${String(k)} (${want.length} nodes) is missing`);
      if (ix.owner !== undefined && this.#constraints.get(ix.owner)?.index !== ix) p(`index ${name} names owner ${ix.owner}, which does not own it`);
    }
    for (const [label, list] of this.#indexesByLabel) {
      for (const ix of list) if (this.#indexes.get(ix.name) !== ix || ix.label !== label) p(`index list of label ${label} holds stale index ${ix.name}`);
    }
    for (const [name, c] of this.#constraints) {
      if (this.#indexes.get(name) !== c.index) p(`constraint ${name} does not own a registered index`);
      if (!(this.#constraintsByLabel.get(c.label)?.includes(c) ?? false)) p(`constraint ${name} is not listed under label ${c.label}`);
      const set = this.#labelIndex.get(c.label);
      if (set === undefined) continue;
      for (const n of set) {
        const other = this.#uniqueConflict(c, n, n.props);
        if (other !== undefined) p(`constraint ${name}: nodes ${n.id} and ${other.id} share their key values`);
      }
    }
  }
}

function compareCounts(what: string, kept: Map<string, number>, actual: Map<string, number>, p: (msg: string) => void): void {
  for (const [k, n] of kept) if (actual.get(k) !== n) p(`${what} ${k}: counted ${n}, found ${actual.get(k) ?? 0}`);
  for (const [k, n] of actual) if (!kept.has(k)) p(`${what} ${k}: in use ${n} times but not counted`);
}
