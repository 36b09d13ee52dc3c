/**
 * Federation registers kept in a cluster's replicated graph: the last-write-wins state of every
 * federated node and edge, stored as graph metadata (`setMeta`, invisible to queries, replicated
 * by the cluster's Raft log and kept in its snapshots), and the graph kept equal to its visible
 * part. Pure: reads a {@link GraphStore}, returns or emits commands.
 *
 * - Identity: a node or edge gets a federated id when it is created, `<cluster>/<local id>` of
 *   the cluster that created it, and keeps it everywhere; other clusters hold it under a local id
 *   of their own (the map is metadata too: `f/fid/n/<fid>` → local id, `f/id/n/<local id>` → fid).
 * - A record per entity (`f/n/<fid>`, `f/e/<fid>`): a register per fact — existence, each label,
 *   each property (edges: existence with type and ends, each property) — holding a value and the
 *   stamp (HLC wall, logical, origin cluster) of the write that set it.
 * - {@link stampLocalWrite}: on the leader, after a statement ran, the registers it touched get
 *   the statement's stamp (always above their previous stamps, so a register's value is the
 *   graph's value).
 * - {@link mergeRecords}: a remote record merged register by register (the later stamp wins,
 *   ties by cluster id); the graph is brought in line: nodes created, changed or deleted; an edge
 *   is in the graph while it exists and both its ends are visible (otherwise it waits in
 *   `f/pend/<node fid>` for that end).
 */
import { CreationStamps, decodeValue, encodeValue, metaViewSharedBytesMax, VALUE_FORMAT_VERSION, type CreationStamp, type GraphSnapshot, type GraphCommand, type GraphStore, type MetaValue, type NodeRecord, type PropertyEntries } from '../graph/index.ts';
import { compareHlc, type HlcTimestamp, type HybridClock } from '../txn/hlc.ts';
import { GeodeError } from '../util/errors.ts';

/** A register: [wall ms, logical, origin cluster, value] (value null: removed / absent). */
export type Register = readonly [number, number, string, unknown];
/**
 * Registers by key, stored flat (`[key0, register0, key1, register1, ...]`): encodes as plain
 * msgpack arrays (a null-prototype object would be tagged by the codec, which costs time and bytes).
 */
type Registers = readonly (string | Register)[];
type RegMap = Map<string, Register>;

/** regMap: flat registers as a map (insertion order kept). */
function regMap(flat: Registers | undefined): RegMap {
  const m: RegMap = new Map();
  if (flat === undefined) return m;
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i] as string, flat[i + 1] as Register);
  return m;
}

/** flatRegs: a map of registers, flat for storage. */
function flatRegs(m: RegMap): (string | Register)[] {
  const out: (string | Register)[] = [];
  for (const [k, r] of m) out.push(k, r);
  return out;
}

/** A node's registers. */
export interface NodeRecordMeta {
  readonly k: 'n';
  readonly x: Register;
  readonly l: Registers;
  readonly p: Registers;
}

/** An edge's registers: existence (with its type and its ends' federated ids) and properties. */
export interface EdgeRecordMeta {
  readonly k: 'e';
  readonly x: Register;
  readonly t: string;
  readonly s: string;
  readonly d: string;
  readonly p: Registers;
}

export type EntityRecord = NodeRecordMeta | EdgeRecordMeta;

/** Metadata key prefixes. */
export const NODE_PREFIX = 'f/n/';
export const EDGE_PREFIX = 'f/e/';
const PEND_PREFIX = 'f/pend/';
/** A cursor: `f/cur/<upstream cluster>` → the upstream log index merged up to. */
export const CURSOR_PREFIX = 'f/cur/';

const ZERO: Register = [0, 0, '', null];

/** compareRegisters: the merge order of two stamps (hybrid time, then origin cluster id). */
export function compareRegisters(a: Register, b: Register): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

function localFid(self: string, id: number): string {
  return `${self}/${id}`;
}

/** fidOf: the federated id of a local node or edge. */
export function fidOf(graph: GraphStore, self: string, kind: 'n' | 'e', id: number): string {
  const mapped = graph.meta(`f/id/${kind}/${id}`);
  return typeof mapped === 'string' ? mapped : localFid(self, id);
}

/** localIdOf: the local id of a federated id, when this cluster holds it live in the graph. */
export function localIdOf(graph: GraphStore, self: string, kind: 'n' | 'e', fid: string): number | undefined {
  const mapped = graph.meta(`f/fid/${kind}/${fid}`);
  let id: number | undefined;
  if (typeof mapped === 'number') id = mapped;
  else if (fid.startsWith(`${self}/`)) id = Number(fid.slice(self.length + 1));
  if (id === undefined || !Number.isSafeInteger(id)) return undefined;
  const rec = kind === 'n' ? graph.node(id) : graph.edge(id);
  return rec === undefined || rec.deleted ? undefined : id;
}

function recordKey(kind: 'n' | 'e', fid: string): string {
  return (kind === 'n' ? NODE_PREFIX : EDGE_PREFIX) + fid;
}

/**
 * The format of a record's bytes: {@link encodeValue} of a list
 * `[2, 'n', W, L, O, x, lb, lo, pb, po]` (a node) or `[2, 'e', W, L, O, x, t, s, d, pb, po]` (an
 * edge): ONE stamp per record (W, L, O: wall, logical, origin) — the existence register's —
 * with the existence's value `x`; `lb` / `pb` the labels / properties stamped with it as flat
 * `[key, value, ...]`, `lo` / `po` those stamped otherwise as flat `[key, wall, logical, origin,
 * value, ...]`. A stamped CREATE has every register in the base lists: about half of format 1's
 * bytes (36 instead of 70 for `CREATE (:B {k})`), a third of its arrays. Format 1 (`{ k, x, l,
 * p }`, each register a `[wall, logical, origin, value]`), as bytes or as plain data, is still read.
 */
export const RECORD_FORMAT = 2;

/** Splits registers into those with stamp (w, l, o) (flat [key, value]) and the others (flat [key, w, l, o, value]). */
function splitRegs(regs: Registers, w: number, l: number, o: string): [unknown[], unknown[]] {
  const same: unknown[] = [];
  const other: unknown[] = [];
  for (let i = 0; i + 1 < regs.length; i += 2) {
    const r = regs[i + 1] as Register;
    if (r[0] === w && r[1] === l && r[2] === o) same.push(regs[i], r[3]);
    else other.push(regs[i], r[0], r[1], r[2], r[3]);
  }
  return [same, other];
}

/** encodeRecord: a record's bytes in format {@link RECORD_FORMAT}. */
export function encodeRecord(rec: EntityRecord): Uint8Array {
  const [w, l, o, x] = rec.x;
  if (rec.k === 'n') {
    const [lb, lo] = splitRegs(rec.l, w, l, o);
    const [pb, po] = splitRegs(rec.p, w, l, o);
    return packRecord([RECORD_FORMAT, 'n', w, l, o, x, lb, lo, pb, po]);
  }
  const [pb, po] = splitRegs(rec.p, w, l, o);
  return packRecord([RECORD_FORMAT, 'e', w, l, o, x, rec.t, rec.s, rec.d, pb, po]);
}

// A record's tree written straight to msgpack (what {@link encodeValue} writes for it, and what
// its decoder reads), without the codec's tagging walk and copy: lists, strings, booleans, null,
// numbers and bigints. Anything else (a map, a temporal value, ...) goes through encodeValue.
let buf = new Uint8Array(256);
let view = new DataView(buf.buffer);
let pos = 0;
const utf8 = new TextEncoder();

function room(n: number): void {
  if (pos + n <= buf.length) return;
  const next = new Uint8Array(Math.max(buf.length * 2, pos + n));
  next.set(buf.subarray(0, pos));
  buf = next;
  view = new DataView(buf.buffer);
}

/** Writes `v`; false when it is not of the simple kinds (nothing useful written then). */
function packSimple(v: unknown): boolean {
  switch (typeof v) {
    case 'string': {
      const n = v.length;
      room(5 + 3 * n);
      const at = pos;
      pos += n < 32 ? 1 : n < 256 ? 2 : n < 65_536 ? 3 : 5; // header for up to 3n bytes, rewritten below
      const head = pos - at;
      let i = 0;
      for (; i < n; i++) {
        const c = v.charCodeAt(i);
        if (c >= 0x80) break;
        buf[pos++] = c;
      }
      if (i < n) pos += utf8.encodeInto(v.slice(i), buf.subarray(pos)).written;
      const len = pos - at - head;
      const need = len < 32 ? 1 : len < 256 ? 2 : len < 65_536 ? 3 : 5;
      if (need !== head) {
        buf.copyWithin(at + need, at + head, pos);
        pos += need - head;
      }
      if (need === 1) buf[at] = 0xa0 | len;
      else if (need === 2) (buf[at] = 0xd9), (buf[at + 1] = len);
      else if (need === 3) (buf[at] = 0xda), view.setUint16(at + 1, len);
      else (buf[at] = 0xdb), view.setUint32(at + 1, len);
      return true;
    }
    case 'boolean':
      room(1);
      buf[pos++] = v ? 0xc3 : 0xc2;
      return true;
    case 'number':
      room(9);
      if (Number.isInteger(v) && !Object.is(v, -0) && v >= -0x8000_0000 && v < 0x1_0000_0000) {
        if (v >= 0 && v < 128) buf[pos++] = v;
        else if (v < 0 && v >= -32) buf[pos++] = 0x100 + v;
        else if (v >= 0) {
          if (v < 256) (buf[pos++] = 0xcc), (buf[pos++] = v);
          else if (v < 65_536) (buf[pos] = 0xcd), view.setUint16(pos + 1, v), (pos += 3);
          else (buf[pos] = 0xce), view.setUint32(pos + 1, v), (pos += 5);
        } else (buf[pos] = 0xd2), view.setInt32(pos + 1, v), (pos += 5);
        return true;
      }
      if (Object.is(v, -0)) return false; // the codec tags it
      buf[pos] = 0xcb;
      view.setFloat64(pos + 1, v);
      pos += 9;
      return true;
    case 'bigint':
      if (v < -(1n << 63n) || v >= 1n << 63n) return false;
      room(9);
      buf[pos] = 0xd3;
      view.setBigInt64(pos + 1, v);
      pos += 9;
      return true;
    case 'object': {
      if (v === null) {
        room(1);
        buf[pos++] = 0xc0;
        return true;
      }
      if (!Array.isArray(v)) return false;
      const n = v.length;
      room(5);
      if (n < 16) buf[pos++] = 0x90 | n;
      else if (n < 65_536) (buf[pos] = 0xdc), view.setUint16(pos + 1, n), (pos += 3);
      else (buf[pos] = 0xdd), view.setUint32(pos + 1, n), (pos += 5);
      for (let i = 0; i < n; i++) if (!packSimple(v[i])) return false;
      return true;
    }
    default:
      return false;
  }
}

/**
 * Records' bytes are carved out of slabs of {@link metaViewSharedBytesMax} bytes (the graph store
 * keeps such views as they are): one buffer per slab, not one per record. A buffer of its own
 * per record (`slice`) cost each one a tracked backing store (a small typed array made on the
 * heap gets one once its `.buffer` is read, as the store and the log's encoder do): about 1-2 µs
 * per stamped write, mostly in the garbage collector (a slab keeps at most its size alive for a
 * record still held). Records larger than a quarter of a slab get a buffer of their own.
 */
let slab = new Uint8Array(metaViewSharedBytesMax);
let slabAt = 0;

/** The first `n` bytes of `buf` in a slab (or a buffer of their own when large). */
function slabCopy(n: number): Uint8Array {
  if (n > metaViewSharedBytesMax / 4) return buf.slice(0, n);
  if (slabAt + n > slab.length) {
    slab = new Uint8Array(metaViewSharedBytesMax);
    slabAt = 0;
  }
  const at = slabAt;
  slab.set(buf.subarray(0, n), at);
  slabAt += n;
  return slab.subarray(at, at + n);
}

/** A record's tree as {@link encodeValue} bytes (its version byte first). */
function packRecord(tree: unknown[]): Uint8Array {
  pos = 0;
  room(1);
  buf[pos++] = VALUE_FORMAT_VERSION;
  if (!packSimple(tree)) return encodeValue(tree);
  return slabCopy(pos);
}

/** The registers of a format-2 record's base list and other list, flat, or undefined when malformed. */
function joinRegs(same: unknown, other: unknown, w: number, l: number, o: string): (string | Register)[] | undefined {
  if (!Array.isArray(same) || !Array.isArray(other) || same.length % 2 !== 0 || other.length % 5 !== 0) return undefined;
  const out: (string | Register)[] = [];
  for (let i = 0; i < same.length; i += 2) out.push(same[i] as string, [w, l, o, same[i + 1]]);
  for (let i = 0; i < other.length; i += 5) out.push(other[i] as string, [other[i + 1] as number, other[i + 2] as number, other[i + 3] as string, other[i + 4]]);
  return out;
}

/** A format-2 record's tree as a record; INPUT_INVALID when it is not one (the registers' types are checked by {@link checkRecord}). */
function recordOfTree(key: string, t: unknown[]): EntityRecord {
  const bad = (): GeodeError => new GeodeError('INPUT_INVALID', `federation record ${key}: not a record of format ${RECORD_FORMAT}`, { source: 'federation' });
  const [, k, w, l, o, x] = t as [unknown, unknown, number, number, string, unknown];
  if (k === 'n' && t.length === 10) {
    const lr = joinRegs(t[6], t[7], w, l, o);
    const pr = joinRegs(t[8], t[9], w, l, o);
    if (lr === undefined || pr === undefined) throw bad();
    return { k: 'n', x: [w, l, o, x], l: lr, p: pr };
  }
  if (k === 'e' && t.length === 11) {
    const pr = joinRegs(t[9], t[10], w, l, o);
    if (pr === undefined) throw bad();
    return { k: 'e', x: [w, l, o, x], t: t[6] as string, s: t[7] as string, d: t[8] as string, p: pr };
  }
  throw bad();
}

/**
 * recordOf: a record as stored (its bytes, {@link encodeRecord}: one buffer instead of a tree of
 * objects costs the snapshots, the log entries and the garbage collector far less) read back;
 * format 1 (an object, as bytes or as plain data) is taken as it is. INPUT_INVALID for bytes
 * that are not a value, or a record of an unknown format.
 */
export function recordOf(key: string, stored: MetaValue): EntityRecord {
  const v = stored instanceof Uint8Array ? decodeValue(stored, `federation record ${key}`) : stored;
  if (Array.isArray(v)) {
    if (v[0] !== RECORD_FORMAT) throw new GeodeError('INPUT_INVALID', `federation record ${key}: format ${String(v[0])} is not supported (this version reads formats 1 and ${RECORD_FORMAT})`, { source: 'federation' });
    return recordOfTree(key, v);
  }
  return v as EntityRecord;
}

function readRecord<R extends EntityRecord>(graph: GraphStore, key: string): R | undefined {
  const v = graph.meta(key);
  return v === undefined ? undefined : (recordOf(key, v) as R);
}

// ------------------------------------------------------------------------ record-free creations
//
// A node made by a statement that only created it (every register of its record stamped by that
// statement, every one holding the node's value) has no record of its own: the statement's
// entry carries ONE `stampNodes` command with the stamp and the ids, the graph store keeps the
// stamp by numeric id (src/graph/creation-stamps.ts), and the record is derived from the node
// and the stamp wherever records are read (the write hook, the merge, snapshot chunks served,
// recordsOfGraph, propertyRegister) and, on the receiving side, from the entry's createNode
// commands and the stamp (recordsOfCommands). The first statement or merge that changes the
// node writes its record as before and clears the stamp in the same entry, so a node never has
// both a stored record and a stamp. Edges keep their records.

/** The record of a node created by one statement stamped `stamp` and unchanged since: every register that stamp, every value the node's. */
export function derivedNodeRecord(node: NodeRecord, stamp: CreationStamp): NodeRecordMeta {
  const [w, l, o] = stamp;
  const lr: (string | Register)[] = [];
  for (const k of node.labels) lr.push(k, [w, l, o, true]);
  const pr: (string | Register)[] = [];
  for (const [k, v] of node.props) pr.push(k, [w, l, o, v]);
  return { k: 'n', x: [w, l, o, true], l: lr, p: pr };
}

/** The local id a record key `f/n/<origin>/<id>` names when a stamped local node of that origin has it, else undefined. */
function stampedIdOfKey(graph: GraphStore, key: string): number | undefined {
  const slash = key.lastIndexOf('/');
  if (slash <= NODE_PREFIX.length) return undefined;
  const id = Number(key.slice(slash + 1));
  if (!Number.isSafeInteger(id) || id < 1) return undefined;
  const stamp = graph.creationStamp(id);
  if (stamp === undefined || stamp[2].length !== slash - NODE_PREFIX.length || !key.startsWith(stamp[2], NODE_PREFIX.length)) return undefined;
  return id;
}

/** The command that clears node `id`'s creation stamp (its record is written in the same entry). */
function clearStamp(id: number): GraphCommand {
  return { op: 'stampNodes', ids: [id], stamp: null };
}

/**
 * recordsOfSnapshotStamps: the derived records of a graph snapshot's stamped nodes (its
 * `created` table and its nodes), as `[key, record]`, in id order. INPUT_INVALID when the table
 * is malformed or names a node the snapshot does not hold.
 */
export function recordsOfSnapshotStamps(snapshot: GraphSnapshot, out: [string, EntityRecord][]): void {
  if (snapshot.created === undefined) return;
  const nodes = snapshot.nodes;
  let at = 0;
  CreationStamps.decode(snapshot.created, (id, stamp) => {
    // Both in id order: one pass.
    while (at < nodes.length && nodes[at]!.id < id) at++;
    const n = nodes[at];
    if (n === undefined || n.id !== id) throw new GeodeError('INPUT_INVALID', `federation: the snapshot stamps node ${id}, which it does not hold`, { source: 'federation' });
    out.push([`${NODE_PREFIX}${stamp[2]}/${id}`, recordOfCreate(n.labels, n.props, stamp[0], stamp[1], stamp[2])]);
  });
}

/** derivedRecordsOfGraph: the derived records of `graph`'s stamped live nodes, as `[key, record]`, in id order. */
export function derivedRecordsOfGraph(graph: GraphStore, out: ReceivedRecord[]): void {
  if (graph.creationStampCount === 0) return;
  for (const [id, stamp] of graph.creationStamps()) {
    const node = graph.node(id);
    if (node === undefined || node.deleted) continue;
    out.push([`${NODE_PREFIX}${stamp[2]}/${id}`, derivedNodeRecord(node, stamp)]);
  }
}

function maxOf(regs: Registers, m: Register): Register {
  let out = m;
  for (let i = 1; i < regs.length; i += 2) if (compareRegisters(regs[i] as Register, out) > 0) out = regs[i] as Register;
  return out;
}

/**
 * The stamp a local write gets: the clock's now, and above every register it overwrites (after a
 * leader change the new leader's clock may be behind the old one's, or a merged stamp ahead of
 * the clock): a register's value is then always the graph's value. Stamps of different registers
 * need no order among them.
 */
function nextStamp(clock: HybridClock, floor: Register): HlcTimestamp {
  let t = clock.now();
  if (compareHlc(t, { wall: floor[0], logical: floor[1] }) <= 0) {
    try {
      t = clock.update({ wall: floor[0], logical: floor[1] }, 'this cluster');
    } catch {
      t = { wall: floor[0], logical: floor[1] + 1 };
    }
  }
  return t;
}

interface Touched {
  exists: boolean;
  /** Created by this statement (its first command on it): a fresh local id, so no record and no id map yet. */
  created: boolean;
  /**
   * Changed by a command after its createNode: its createNode command alone is not what it holds
   * (a receiver derives a record-free node's record from that command), so it gets a record.
   */
  changed: boolean;
  labels: Set<string>;
  props: Set<string>;
}

function touch(m: Map<number, Touched>, id: number): Touched {
  let t = m.get(id);
  if (t === undefined) m.set(id, (t = { exists: false, created: false, changed: false, labels: new Set(), props: new Set() }));
  return t;
}

/** True when `commands` already carry federation metadata (a merge): not stamped again. */
function isMerge(commands: readonly GraphCommand[]): boolean {
  for (const c of commands) if (c.op === 'setMeta' && c.key.startsWith('f/')) return true;
  return false;
}

/**
 * stampLocalWrite: the metadata commands for a statement's `commands`, which already ran on
 * `graph` (the leader's): every register they touched set to its new value with one stamp from
 * `clock`. Schema commands are not federated. Returns [] for a merge (it carries its own).
 * A node the statement created whose registers all hold its values gets no record: one
 * `stampNodes` command for them all ("record-free creations" above); `recordFree` false writes
 * a record for each instead (as before 2026-12-06 night: the tests' twin).
 */
export function stampLocalWrite(graph: GraphStore, self: string, clock: HybridClock, commands: readonly GraphCommand[], recordFree = true): GraphCommand[] {
  const created = recordFree ? stampCreatesOnly(graph, self, clock, commands) : undefined;
  if (created !== undefined) return created;
  if (isMerge(commands)) return [];
  const nodes = new Map<number, Touched>();
  const edges = new Map<number, Touched>();
  for (const c of commands) {
    switch (c.op) {
      case 'createNode': {
        const fresh = !nodes.has(c.id);
        const t = touch(nodes, c.id);
        t.exists = true;
        t.created ||= fresh;
        for (const l of c.labels) t.labels.add(l);
        for (const [k] of c.props) t.props.add(k);
        break;
      }
      case 'deleteNode': {
        const t = touch(nodes, c.id);
        t.exists = true;
        t.changed = true;
        break;
      }
      case 'setNodeProperty': {
        const t = touch(nodes, c.id);
        t.props.add(c.key);
        t.changed = true;
        break;
      }
      case 'addLabel':
      case 'removeLabel': {
        const t = touch(nodes, c.id);
        t.labels.add(c.label);
        t.changed = true;
        break;
      }
      case 'createEdge': {
        const fresh = !edges.has(c.id);
        const t = touch(edges, c.id);
        t.exists = true;
        t.created ||= fresh;
        for (const [k] of c.props) t.props.add(k);
        break;
      }
      case 'deleteEdge':
        touch(edges, c.id).exists = true;
        break;
      case 'setEdgeProperty':
        touch(edges, c.id).props.add(c.key);
        break;
      default:
        break; // schema and metadata: per cluster
    }
  }
  if (nodes.size === 0 && edges.size === 0) return [];
  // Previous records, and the highest stamp among them.
  const prevNodes = new Map<number, { fid: string; rec: NodeRecordMeta | undefined }>();
  /** Stamped nodes whose record this statement writes: their stamps cleared. */
  const clears: number[] = [];
  /** Nodes created by this statement whose registers all hold the node's values: record-free. */
  const stampIds: number[] = [];
  const prevEdges = new Map<number, { fid: string; rec: EdgeRecordMeta | undefined }>();
  let above = ZERO;
  for (const [id, touched] of nodes) {
    if (touched.created) {
      prevNodes.set(id, { fid: localFid(self, id), rec: undefined }); // two metadata lookups fewer per CREATE
      continue;
    }
    const fid = fidOf(graph, self, 'n', id);
    let rec = readRecord<NodeRecordMeta>(graph, recordKey('n', fid));
    if (rec === undefined && graph.creationStampCount > 0) {
      // A record-free node changed (or deleted: the store kept what it held) by this statement.
      const stamp = graph.creationStamp(id);
      const was = graph.stampedNode(id);
      if (stamp !== undefined && was !== undefined && stamp[2] === self && fid === localFid(self, id)) {
        rec = derivedNodeRecord(was, stamp);
        clears.push(id);
      }
    }
    prevNodes.set(id, { fid, rec });
    if (rec !== undefined) above = maxOf(rec.p, maxOf(rec.l, compareRegisters(rec.x, above) > 0 ? rec.x : above));
  }
  for (const [id, touched] of edges) {
    if (touched.created) {
      prevEdges.set(id, { fid: localFid(self, id), rec: undefined });
      continue;
    }
    const fid = fidOf(graph, self, 'e', id);
    const rec = readRecord<EdgeRecordMeta>(graph, recordKey('e', fid));
    prevEdges.set(id, { fid, rec });
    if (rec !== undefined) above = maxOf(rec.p, compareRegisters(rec.x, above) > 0 ? rec.x : above);
  }
  const t = nextStamp(clock, above);
  const out: GraphCommand[] = [];
  for (const [id, touched] of nodes) {
    const { fid, rec } = prevNodes.get(id)!;
    const live = graph.node(id);
    const node = live === undefined || live.deleted ? undefined : live;
    if (node === undefined && rec === undefined) continue; // created and deleted in one statement
    if (touched.created && node !== undefined) {
      if (recordFree && !touched.changed && holdsTouched(node, touched)) {
        stampIds.push(id); // record-free: derived from the node and the stamp
        continue;
      }
      // Made by this statement: every register has this stamp, so the record is written at once
      // (format 2: all in the base lists), with no maps of registers built and split.
      const lb: unknown[] = [];
      for (const k of touched.labels) lb.push(k, node.labels.has(k));
      for (const k of node.labels) if (!touched.labels.has(k)) lb.push(k, true);
      const pb: unknown[] = [];
      for (const k of touched.props) pb.push(k, node.props.get(k) ?? null);
      for (const [k, v] of node.props) if (!touched.props.has(k)) pb.push(k, v);
      out.push({ op: 'setMeta', key: NODE_PREFIX + fid, value: packRecord([RECORD_FORMAT, 'n', t.wall, t.logical, self, true, lb, [], pb, []]) });
      continue;
    }
    if (rec === undefined) {
      // First write federated on a node made before federation: all of it travels.
      for (const k of node!.labels) touched.labels.add(k);
      for (const k of node!.props.keys()) touched.props.add(k);
    }
    const l = regMap(rec?.l);
    const p = regMap(rec?.p);
    if (node === undefined) {
      // Deleted: its existence, every label and every property (a re-creation starts empty).
      for (const [k, r] of l) if (r[3] !== false) l.set(k, stamped(t, self, false));
      for (const [k, r] of p) if (r[3] !== null) p.set(k, stamped(t, self, null));
      for (const k of touched.labels) l.set(k, stamped(t, self, false));
      for (const k of touched.props) p.set(k, stamped(t, self, null));
    } else {
      for (const k of touched.labels) l.set(k, stamped(t, self, node.labels.has(k)));
      for (const k of touched.props) p.set(k, stamped(t, self, node.props.get(k) ?? null));
    }
    const x = touched.exists || rec === undefined ? stamped(t, self, node !== undefined) : rec.x;
    out.push({ op: 'setMeta', key: recordKey('n', fid), value: encodeRecord({ k: 'n', x, l: flatRegs(l), p: flatRegs(p) }) });
  }
  for (const [id, touched] of edges) {
    const { fid, rec } = prevEdges.get(id)!;
    const live = graph.edge(id);
    const edge = live === undefined || live.deleted ? undefined : live;
    if (edge === undefined && rec === undefined) continue;
    const t0 = rec?.t ?? edge!.type;
    const s0 = rec?.s ?? fidOf(graph, self, 'n', edge!.src.id);
    const d0 = rec?.d ?? fidOf(graph, self, 'n', edge!.dst.id);
    if (touched.created && edge !== undefined) {
      const pb: unknown[] = [];
      for (const k of touched.props) pb.push(k, edge.props.get(k) ?? null);
      for (const [k, v] of edge.props) if (!touched.props.has(k)) pb.push(k, v);
      out.push({ op: 'setMeta', key: EDGE_PREFIX + fid, value: packRecord([RECORD_FORMAT, 'e', t.wall, t.logical, self, true, t0, s0, d0, pb, []]) });
      continue;
    }
    if (rec === undefined) for (const k of edge!.props.keys()) touched.props.add(k);
    const p = regMap(rec?.p);
    if (edge === undefined) {
      for (const [k, r] of p) if (r[3] !== null) p.set(k, stamped(t, self, null));
      for (const k of touched.props) p.set(k, stamped(t, self, null));
    } else {
      for (const k of touched.props) p.set(k, stamped(t, self, edge.props.get(k) ?? null));
    }
    const x = touched.exists || rec === undefined ? stamped(t, self, edge !== undefined) : rec.x;
    out.push({ op: 'setMeta', key: recordKey('e', fid), value: encodeRecord({ k: 'e', x, t: t0, s: s0, d: d0, p: flatRegs(p) }) });
  }
  if (clears.length > 0) out.push({ op: 'stampNodes', ids: clears, stamp: null });
  if (stampIds.length > 0) out.push({ op: 'stampNodes', ids: stampIds, stamp: [t.wall, t.logical, self] });
  return out;
}

/**
 * Whether a node created by a statement (and not changed by it since: `Touched.changed`) holds
 * every label and property the statement touched
 * (none removed again, no property set to null): its record is then exactly the derived one
 * (every register the stamp, every value the node's), so it needs none of its own.
 */
function holdsTouched(node: NodeRecord, touched: Touched): boolean {
  for (const k of touched.labels) if (!node.labels.has(k)) return false;
  for (const k of touched.props) if (!node.props.has(k)) return false;
  return true;
}

/**
 * The stamp command of a statement whose commands all create nodes, each with distinct labels and
 * non-null properties (`CREATE (:B {k})`, the usual write): every register of each node gets the
 * one stamp and holds the node's value, so no record is written — ONE `stampNodes` command with
 * the stamp and the ids (the records are derived from the nodes and it: "record-free creations"
 * above), without the general path's maps and sets of touched registers. Undefined when the
 * statement is anything else (the general path then, which makes such nodes record-free too).
 */
function stampCreatesOnly(graph: GraphStore, self: string, clock: HybridClock, commands: readonly GraphCommand[]): GraphCommand[] | undefined {
  const n = commands.length;
  if (n === 0) return undefined;
  for (let i = 0; i < n; i++) {
    const c = commands[i]!;
    if (c.op !== 'createNode') return undefined;
    const node = graph.node(c.id);
    // Repeated labels or keys, or null values, are left to the general path (it keeps their order and nulls).
    if (node === undefined || node.deleted || node.labels.size !== c.labels.length || node.props.size !== c.props.length) return undefined;
  }
  const t = nextStamp(clock, ZERO);
  const ids: number[] = new Array(n);
  for (let i = 0; i < n; i++) ids[i] = (commands[i] as Extract<GraphCommand, { op: 'createNode' }>).id;
  return [{ op: 'stampNodes', ids, stamp: [t.wall, t.logical, self] }];
}

/** A register of a local write's stamp. */
function stamped(t: HlcTimestamp, self: string, v: unknown): Register {
  return [t.wall, t.logical, self, v];
}

// ------------------------------------------------------------------------------------- merge

/** Merges one register map into another; returns the merged map and the keys the remote won. */
function mergeRegs(local: Registers | undefined, remote: Registers): { merged: RegMap; won: string[] } {
  const merged = regMap(local);
  const won: string[] = [];
  for (let i = 0; i + 1 < remote.length; i += 2) {
    const k = remote[i] as string;
    const r = remote[i + 1] as Register;
    const l = merged.get(k);
    if (l === undefined || compareRegisters(r, l) > 0) {
      merged.set(k, r);
      won.push(k);
    }
  }
  return { merged, won };
}

function isRegister(v: unknown): v is Register {
  return Array.isArray(v) && v.length === 4 && Number.isSafeInteger(v[0]) && Number.isSafeInteger(v[1]) && typeof v[2] === 'string';
}

function isRegisters(v: unknown): v is Registers {
  if (!Array.isArray(v) || v.length % 2 !== 0) return false;
  for (let i = 0; i < v.length; i += 2) if (typeof v[i] !== 'string' || !isRegister(v[i + 1])) return false;
  return true;
}

/** checkRecord: a record received from another cluster has the shape of one (else a reason). */
export function checkRecord(key: string, v: unknown): string | undefined {
  if (!key.startsWith(NODE_PREFIX) && !key.startsWith(EDGE_PREFIX)) return `key ${key} is not a record key`;
  if (typeof v !== 'object' || v === null) return `record ${key} is not an object`;
  const r = v as Record<string, unknown>;
  if (!isRegister(r['x']) || !isRegisters(r['p'])) return `record ${key} has malformed registers`;
  if (key.startsWith(NODE_PREFIX)) return r['k'] === 'n' && isRegisters(r['l']) ? undefined : `record ${key} is not a node record`;
  return r['k'] === 'e' && typeof r['t'] === 'string' && typeof r['s'] === 'string' && typeof r['d'] === 'string' ? undefined : `record ${key} is not an edge record`;
}

/** What a merge did. */
export interface MergeCounts {
  /** Records in which some register won. */
  changed: number;
  /** Records that changed nothing (older, or seen already). */
  ignored: number;
}

/**
 * mergeRecords: merges remote records (`[key, record]`, keys `f/n/...` / `f/e/...`) into the
 * graph through `apply` (each command applied at once), in order.
 */
export function mergeRecords(graph: GraphStore, self: string, records: readonly ReceivedRecord[], apply: (c: GraphCommand) => void): MergeCounts {
  const counts: MergeCounts = { changed: 0, ignored: 0 };
  for (const [key, remote, raw] of records) {
    const stored = graph.meta(key);
    let local: EntityRecord | undefined;
    let stampedId: number | undefined;
    if (stored !== undefined) local = recordOf(key, stored);
    else if (remote.k === 'n' && graph.creationStampCount > 0 && (stampedId = stampedIdOfKey(graph, key)) !== undefined) {
      const node = graph.node(stampedId);
      if (node === undefined || node.deleted) stampedId = undefined;
      else local = derivedNodeRecord(node, graph.creationStamp(stampedId)!);
    }
    if (remote.k === 'n') {
      const l = local as NodeRecordMeta | undefined;
      const fid = key.slice(NODE_PREFIX.length);
      const x = l === undefined || compareRegisters(remote.x, l.x) > 0 ? remote.x : l.x;
      const labels = mergeRegs(l?.l, remote.l);
      const props = mergeRegs(l?.p, remote.p);
      if (x === l?.x && labels.won.length === 0 && props.won.length === 0) {
        counts.ignored++;
        continue;
      }
      counts.changed++;
      const rec: NodeRecordMeta = { k: 'n', x, l: flatRegs(labels.merged), p: flatRegs(props.merged) };
      // New here: the merged record is the remote one, whose bytes came with it.
      apply({ op: 'setMeta', key, value: l === undefined && raw !== undefined ? raw : encodeRecord(rec) });
      if (stampedId !== undefined) apply(clearStamp(stampedId)); // the record is stored now
      projectNode(graph, self, fid, x, labels.merged, props.merged, labels.won, props.won, apply);
    } else {
      const l = local as EdgeRecordMeta | undefined;
      const fid = key.slice(EDGE_PREFIX.length);
      const x = l === undefined || compareRegisters(remote.x, l.x) > 0 ? remote.x : l.x;
      const props = mergeRegs(l?.p, remote.p);
      if (x === l?.x && props.won.length === 0) {
        counts.ignored++;
        continue;
      }
      counts.changed++;
      const rec: EdgeRecordMeta = { k: 'e', x, t: l?.t ?? remote.t, s: l?.s ?? remote.s, d: l?.d ?? remote.d, p: flatRegs(props.merged) };
      apply({ op: 'setMeta', key, value: l === undefined && raw !== undefined ? raw : encodeRecord(rec) });
      projectEdge(graph, self, fid, rec, props.merged, props.won, apply);
    }
  }
  return counts;
}

function visibleLabels(l: RegMap): string[] {
  const out: string[] = [];
  for (const [k, r] of l) if (r[3] === true) out.push(k);
  return out;
}

function visibleProps(p: RegMap): [string, never][] {
  const out: [string, never][] = [];
  for (const [k, r] of p) if (r[3] !== null) out.push([k, r[3] as never]);
  return out;
}

function setMap(kind: 'n' | 'e', fid: string, id: number, apply: (c: GraphCommand) => void): void {
  apply({ op: 'setMeta', key: `f/fid/${kind}/${fid}`, value: id });
  apply({ op: 'setMeta', key: `f/id/${kind}/${id}`, value: fid });
}

function addPending(graph: GraphStore, nodeFid: string, edgeFid: string, apply: (c: GraphCommand) => void): void {
  const list = (graph.meta(PEND_PREFIX + nodeFid) as string[] | undefined) ?? [];
  if (list.includes(edgeFid)) return;
  apply({ op: 'setMeta', key: PEND_PREFIX + nodeFid, value: [...list, edgeFid] });
}

/** Brings the graph's node in line with its merged record. */
function projectNode(graph: GraphStore, self: string, fid: string, x: Register, labels: RegMap, props: RegMap, labelsWon: readonly string[], propsWon: readonly string[], apply: (c: GraphCommand) => void): void {
  const id = localIdOf(graph, self, 'n', fid);
  const visible = x[3] === true;
  if (!visible) {
    if (id === undefined) return;
    const node = graph.node(id)!;
    for (const e of [...node.out, ...node.in]) {
      if (e.deleted) continue;
      const efid = fidOf(graph, self, 'e', e.id);
      apply({ op: 'deleteEdge', id: e.id });
      addPending(graph, fid, efid, apply);
    }
    apply({ op: 'deleteNode', id });
    return;
  }
  if (id === undefined) {
    const fresh = graph.peekNextNodeId();
    apply({ op: 'createNode', id: fresh, labels: visibleLabels(labels), props: visibleProps(props) });
    setMap('n', fid, fresh, apply);
    const pend = graph.meta(PEND_PREFIX + fid) as string[] | undefined;
    if (pend !== undefined) {
      apply({ op: 'setMeta', key: PEND_PREFIX + fid, value: null });
      for (const efid of pend) {
        const er = readRecord<EdgeRecordMeta>(graph, EDGE_PREFIX + efid);
        if (er !== undefined) projectEdge(graph, self, efid, er, regMap(er.p), [], apply);
      }
    }
    return;
  }
  const node: NodeRecord = graph.node(id)!;
  for (const k of labelsWon) {
    const want = labels.get(k)![3] === true;
    if (want && !node.labels.has(k)) apply({ op: 'addLabel', id, label: k });
    else if (!want && node.labels.has(k)) apply({ op: 'removeLabel', id, label: k });
  }
  for (const k of propsWon) apply({ op: 'setNodeProperty', id, key: k, value: props.get(k)![3] as never });
}

/** Brings the graph's edge in line with its merged record (absent while an end is not visible). */
function projectEdge(graph: GraphStore, self: string, fid: string, rec: EdgeRecordMeta, props: RegMap, propsWon: readonly string[], apply: (c: GraphCommand) => void): void {
  const id = localIdOf(graph, self, 'e', fid);
  if (rec.x[3] !== true) {
    if (id !== undefined) apply({ op: 'deleteEdge', id });
    return;
  }
  const src = localIdOf(graph, self, 'n', rec.s);
  const dst = localIdOf(graph, self, 'n', rec.d);
  if (src === undefined || dst === undefined) {
    if (id !== undefined) apply({ op: 'deleteEdge', id });
    addPending(graph, src === undefined ? rec.s : rec.d, fid, apply);
    return;
  }
  if (id === undefined) {
    const fresh = graph.peekNextEdgeId();
    apply({ op: 'createEdge', id: fresh, type: rec.t, src, dst, props: visibleProps(props) });
    setMap('e', fid, fresh, apply);
    return;
  }
  for (const k of propsWon) apply({ op: 'setEdgeProperty', id, key: k, value: props.get(k)![3] as never });
}

/**
 * A record received from another cluster: its key, the record, and the bytes it was stored as
 * there when it came as bytes (a record new here is stored as those bytes, not encoded again).
 */
export type ReceivedRecord = readonly [string, EntityRecord, Uint8Array?];

/**
 * recordsOfCommands: the federation records an entry's commands wrote, in order: its `setMeta`
 * records, and for a `stampNodes` command (record-free creations) the records derived from the
 * `createNode` commands of its ids before it in the entry and its stamp. INPUT_INVALID for a
 * stamp whose node was not created before it in the entry.
 */
export function recordsOfCommands(commands: readonly GraphCommand[], out: ReceivedRecord[]): void {
  for (let i = 0; i < commands.length; i++) {
    const c = commands[i]!;
    if (c.op === 'stampNodes') {
      if (c.stamp !== null) recordsOfStamp(commands, i, out);
      continue;
    }
    if (c.op !== 'setMeta' || c.value === null) continue;
    if (!c.key.startsWith(NODE_PREFIX) && !c.key.startsWith(EDGE_PREFIX)) continue;
    out.push(c.value instanceof Uint8Array ? [c.key, recordOf(c.key, c.value), c.value] : [c.key, recordOf(c.key, c.value)]);
  }
}

/** The records of the `stampNodes` command at `at` (non-null stamp): each id's latest createNode before it. */
function recordsOfStamp(commands: readonly GraphCommand[], at: number, out: ReceivedRecord[]): void {
  const c = commands[at] as Extract<GraphCommand, { op: 'stampNodes' }>;
  const bad = (why: string): GeodeError => new GeodeError('INPUT_INVALID', `federation: a stampNodes command ${why}`, { source: 'federation' });
  if (!Array.isArray(c.ids) || !Array.isArray(c.stamp) || c.stamp.length !== 3) throw bad('is malformed');
  const [w, l, o] = c.stamp;
  if (!Number.isSafeInteger(w) || !Number.isSafeInteger(l) || typeof o !== 'string' || o.length === 0) throw bad('has a malformed stamp');
  for (const id of c.ids) {
    let made: Extract<GraphCommand, { op: 'createNode' }> | undefined;
    for (let j = at - 1; j >= 0 && made === undefined; j--) {
      const m = commands[j]!;
      if (m.op === 'createNode' && m.id === id) made = m;
    }
    if (made === undefined || !Array.isArray(made.labels) || !Array.isArray(made.props)) throw bad(`stamps node ${String(id)}, not created before it in its entry`);
    out.push([`${NODE_PREFIX}${o}/${id}`, recordOfCreate(made.labels, made.props, w, l, o)]);
  }
}

/**
 * The record of a node created with `labels` and `props` by a statement stamped (w, l, o),
 * unchanged since: what {@link derivedNodeRecord} gives for the node the store made of them (a
 * label given twice is one label; a null property is no property).
 */
function recordOfCreate(labels: readonly string[], props: PropertyEntries, w: number, l: number, o: string): NodeRecordMeta {
  const lr: (string | Register)[] = [];
  for (const k of labels.length > 1 ? new Set(labels) : labels) lr.push(k, [w, l, o, true]);
  const pr: (string | Register)[] = [];
  for (const [k, v] of props) if (v !== null && v !== undefined) pr.push(k, [w, l, o, v]);
  return { k: 'n', x: [w, l, o, true], l: lr, p: pr };
}
