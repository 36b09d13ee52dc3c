/**
 * CreationStamps: the graph store's table of node creation stamps (the `stampNodes` command).
 *
 * A stamp `[wall ms, logical, origin cluster]` on a node says "made by one statement stamped so,
 * and not changed since": the federation layer derives that node's last-write-wins registers
 * from the node and the stamp instead of keeping a record of its own per node (a string-keyed
 * metadata entry, its bytes in the log entry and in every snapshot). See
 * src/federation/registers.ts and docs/federation.md ("Record-free creations").
 *
 * Held by numeric id in chunks of {@link stampChunkIds} ids (three typed arrays each: wall,
 * logical, origin index), so a stamp costs 14 bytes and no object; an empty chunk is dropped.
 * Origins are interned (at most {@link stampOriginsMax}). Pure data, no clock.
 *
 * Snapshot form ({@link CreationStamps.encode}): `{ origins, data }`, origins sorted (the
 * snapshot is canonical), data the varints of (id − previous id, zigzag(wall − previous wall),
 * logical, origin index) per stamp in id order: about 5 bytes a stamp.
 */
import { GeodeError } from '../util/errors.ts';
import { assert } from '../util/assert.ts';

/** A creation stamp: hybrid time (wall ms, logical counter) and the cluster that stamped it. */
export type CreationStamp = readonly [wall: number, logical: number, origin: string];

/** The snapshot form of the table (see the file header). */
export interface SnapshotCreationStamps {
  readonly origins: readonly string[];
  readonly data: Uint8Array;
}

/** Ids per chunk (a power of two). */
export const stampChunkIds = 4096;
const CHUNK_SHIFT = 12;
/** Distinct origin clusters a table holds (the origin index is 16 bits). */
export const stampOriginsMax = 65_535;

assert(1 << CHUNK_SHIFT === stampChunkIds, 'stampChunkIds must be 2 ** CHUNK_SHIFT');

class StampChunk {
  readonly wall = new Float64Array(stampChunkIds);
  readonly logical = new Uint32Array(stampChunkIds);
  readonly origin = new Uint16Array(stampChunkIds);
  count = 0;
}

function invalid(message: string): GeodeError {
  return new GeodeError('INPUT_INVALID', message, { source: 'command' });
}

/** checkCreationStamp: throws INPUT_INVALID unless `s` is a stamp (wall a safe integer ≥ 1, logical a uint32, origin a non-empty string). */
export function checkCreationStamp(s: unknown, what: string): asserts s is CreationStamp {
  if (!Array.isArray(s) || s.length !== 3) throw invalid(`${what}: a stamp must be [wall, logical, origin]`);
  const [w, l, o] = s as unknown[];
  if (typeof w !== 'number' || !Number.isSafeInteger(w) || w < 1) throw invalid(`${what}: the stamp's wall time must be a safe integer ≥ 1, got ${String(w)}`);
  if (typeof l !== 'number' || !Number.isInteger(l) || l < 0 || l > 0xffff_ffff) throw invalid(`${what}: the stamp's logical counter must be a uint32, got ${String(l)}`);
  if (typeof o !== 'string' || o.length === 0) throw invalid(`${what}: the stamp's origin must be a non-empty string`);
}

export class CreationStamps {
  readonly #chunks = new Map<number, StampChunk>();
  readonly #origins: string[] = [''];
  readonly #originIndex = new Map<string, number>();
  #size = 0;

  /** Stamps held. */
  get size(): number {
    return this.#size;
  }

  /** get: the stamp of node `id`, or undefined. */
  get(id: number): CreationStamp | undefined {
    const c = this.#chunks.get(Math.floor(id / stampChunkIds));
    if (c === undefined) return undefined;
    const i = id & (stampChunkIds - 1);
    const w = c.wall[i]!;
    return w === 0 ? undefined : [w, c.logical[i]!, this.#origins[c.origin[i]!]!];
  }

  /** has: whether node `id` has a stamp. */
  has(id: number): boolean {
    const c = this.#chunks.get(Math.floor(id / stampChunkIds));
    return c !== undefined && c.wall[id & (stampChunkIds - 1)] !== 0;
  }

  /** The origin index of `origin` (interned); LIMIT_EXCEEDED past {@link stampOriginsMax}. */
  originIndex(origin: string): number {
    let o = this.#originIndex.get(origin);
    if (o === undefined) {
      if (this.#origins.length > stampOriginsMax) throw new GeodeError('LIMIT_EXCEEDED', `stampNodes: more than ${stampOriginsMax} origin clusters`, { source: 'command' });
      o = this.#origins.length;
      this.#origins.push(origin);
      this.#originIndex.set(origin, o);
    }
    return o;
  }

  /** set: stamps node `id` (wall ≥ 1, origin from {@link originIndex}). */
  set(id: number, wall: number, logical: number, origin: number): void {
    assert(wall >= 1 && origin >= 1 && origin < this.#origins.length, `creation stamp: wall ${wall}, origin index ${origin} of ${this.#origins.length}`);
    const k = Math.floor(id / stampChunkIds);
    let c = this.#chunks.get(k);
    if (c === undefined) this.#chunks.set(k, (c = new StampChunk()));
    const i = id & (stampChunkIds - 1);
    if (c.wall[i] === 0) {
      c.count++;
      this.#size++;
    }
    c.wall[i] = wall;
    c.logical[i] = logical;
    c.origin[i] = origin;
  }

  /** delete: removes node `id`'s stamp; true when it had one. */
  delete(id: number): boolean {
    const k = Math.floor(id / stampChunkIds);
    const c = this.#chunks.get(k);
    if (c === undefined) return false;
    const i = id & (stampChunkIds - 1);
    if (c.wall[i] === 0) return false;
    c.wall[i] = 0;
    c.logical[i] = 0;
    c.origin[i] = 0;
    this.#size--;
    if (--c.count === 0) this.#chunks.delete(k);
    return true;
  }

  /** entries: every (id, stamp) in id order. */
  *entries(): IterableIterator<[number, CreationStamp]> {
    const keys = [...this.#chunks.keys()].sort((a, b) => a - b);
    for (const k of keys) {
      const c = this.#chunks.get(k)!;
      for (let i = 0; i < stampChunkIds; i++) {
        const w = c.wall[i]!;
        if (w !== 0) yield [k * stampChunkIds + i, [w, c.logical[i]!, this.#origins[c.origin[i]!]!]];
      }
    }
  }

  /** encode: the snapshot form of the stamps of the nodes `keep` says are live (undefined when none). Walks the chunks (no tuple per stamp). */
  encode(keep: (id: number) => boolean): SnapshotCreationStamps | undefined {
    if (this.#size === 0) return undefined;
    // Origins as the snapshot lists them (sorted: canonical), by this table's index.
    const sorted = this.#origins.slice(1).sort();
    const remap = new Uint16Array(this.#origins.length);
    for (let i = 1; i < this.#origins.length; i++) remap[i] = sorted.indexOf(this.#origins[i]!);
    const used = new Uint8Array(sorted.length);
    const w = new VarintWriter(this.#size * 6);
    let id0 = 0;
    let wall0 = 0;
    const keys = [...this.#chunks.keys()].sort((a, b) => a - b);
    for (const k of keys) {
      const c = this.#chunks.get(k)!;
      const base = k * stampChunkIds;
      for (let i = 0; i < stampChunkIds; i++) {
        const wall = c.wall[i]!;
        if (wall === 0 || !keep(base + i)) continue;
        const o = remap[c.origin[i]!]!;
        used[o] = 1;
        w.uint(base + i - id0);
        w.int(wall - wall0);
        w.uint(c.logical[i]!);
        w.uint(o);
        id0 = base + i;
        wall0 = wall;
      }
    }
    if (id0 === 0) return undefined;
    // Origins no live stamp names are listed anyway only if some are used after them: keep the
    // list as is when all are used (the usual case); otherwise re-encode with the used ones.
    if (used.every((u) => u === 1)) return { origins: sorted, data: w.bytes() };
    return this.#encodeUsed(keep, sorted.filter((_o, i) => used[i] === 1));
  }

  /** {@link encode} with only `origins` listed (sorted; they are every origin a kept stamp names). */
  #encodeUsed(keep: (id: number) => boolean, origins: string[]): SnapshotCreationStamps {
    const index = new Map(origins.map((o, i) => [o, i]));
    const w = new VarintWriter(this.#size * 6);
    let id0 = 0;
    let wall0 = 0;
    for (const [id, [wall, logical, origin]] of this.entries()) {
      if (!keep(id)) continue;
      w.uint(id - id0);
      w.int(wall - wall0);
      w.uint(logical);
      w.uint(index.get(origin)!);
      id0 = id;
      wall0 = wall;
    }
    return { origins, data: w.bytes() };
  }

  /** decode: calls `each` for every stamp of a snapshot form, in id order; INPUT_INVALID when malformed. */
  static decode(s: SnapshotCreationStamps, each: (id: number, stamp: CreationStamp) => void): void {
    if (typeof s !== 'object' || s === null || !Array.isArray(s.origins) || !(s.data instanceof Uint8Array)) throw invalid('restore: created must be { origins, data }');
    for (const o of s.origins) if (typeof o !== 'string' || o.length === 0) throw invalid('restore: a creation stamp origin must be a non-empty string');
    const r = new VarintReader(s.data);
    let id = 0;
    let wall = 0;
    while (!r.done()) {
      id += r.uint();
      wall += r.int();
      const logical = r.uint();
      const o = s.origins[r.uint()];
      if (o === undefined) throw invalid('restore: a creation stamp names an origin not listed');
      const stamp: CreationStamp = [wall, logical, o];
      checkCreationStamp(stamp, 'restore');
      each(id, stamp);
    }
  }
}

/** Unsigned / zigzag varints (LEB128), for the snapshot form. */
class VarintWriter {
  #buf: Uint8Array;
  #at = 0;
  constructor(size: number) {
    this.#buf = new Uint8Array(Math.max(16, size));
  }
  uint(v: number): void {
    assert(Number.isSafeInteger(v) && v >= 0, `varint: ${v} is not a non-negative safe integer`);
    if (this.#at + 8 > this.#buf.length) {
      const next = new Uint8Array(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    while (v >= 0x80) {
      this.#buf[this.#at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buf[this.#at++] = v;
  }
  int(v: number): void {
    this.uint(v >= 0 ? 2 * v : -2 * v - 1);
  }
  bytes(): Uint8Array {
    return this.#buf.slice(0, this.#at);
  }
}

class VarintReader {
  readonly #buf: Uint8Array;
  #at = 0;
  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }
  done(): boolean {
    return this.#at >= this.#buf.length;
  }
  uint(): number {
    let v = 0;
    let scale = 1;
    for (let n = 0; n < 8; n++) {
      if (this.#at >= this.#buf.length) throw invalid('restore: the creation stamps end inside a number');
      const b = this.#buf[this.#at++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(v)) break;
        return v;
      }
      scale *= 0x80;
    }
    throw invalid('restore: a creation stamp number is too large');
  }
  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
}
