/**
 * Pattern-matching operators: scans, index seeks, single-hop and variable-length expansion,
 * shortest paths, path construction, filters. Rows are mutated in place: each operator writes
 * the slots it binds, then pushes the same row on.
 */
import { inByType, outByType } from '../../graph/index.ts';
import { EdgeRecord, NodeRecord, PathValue } from '../../graph/index.ts';
import { isStorable } from '../../graph/index.ts';
import type { PropertyValue, Value } from '../../graph/index.ts';
import { GeodeError } from '../../util/errors.ts';
import { cypherEquals, isTruthy } from '../value-ops.ts';
import { varLengthDepthMax, shortestPathsMax } from '../constants.ts';
import { PassPipe } from '../plan/ops.ts';
import { spendWork, type Eval, type ExecContext, type Pipe, type Row } from './context.ts';
import { propertyOf, walkEdges } from './runtime.ts';

export type Direction = 'out' | 'in' | 'both';

/** Relationship slots earlier in the same MATCH: a new edge must differ from all of them. */
export type UniqueSlots = readonly number[];

function usedIn(row: Row, slots: UniqueSlots, e: EdgeRecord): boolean {
  for (let i = 0; i < slots.length; i++) {
    const o = row[slots[i]!];
    if (o === e) return true;
    if (Array.isArray(o) && (o as readonly Value[]).includes(e)) return true;
  }
  return false;
}

export class FilterPipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly pred: Eval,
  ) {
    super(next);
  }
  push(row: Row, ctx: ExecContext): boolean {
    return this.pred(row, ctx) === true ? this.next.push(row, ctx) : true;
  }
}

export class AllNodesScanPipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly slot: number,
    private readonly label: string | undefined,
  ) {
    super(next);
  }
  push(row: Row, ctx: ExecContext): boolean {
    const it = this.label === undefined ? ctx.store.nodes() : ctx.store.nodesByLabel(this.label);
    const slot = this.slot;
    const next = this.next;
    for (const n of it) {
      spendWork(ctx);
      row[slot] = n;
      if (!next.push(row, ctx)) return false;
    }
    return true;
  }
}

export class IndexSeekPipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly slot: number,
    private readonly label: string,
    private readonly key: string,
    private readonly value: Eval,
  ) {
    super(next);
  }
  push(row: Row, ctx: ExecContext): boolean {
    const v = this.value(row, ctx);
    if (v === null) return true;
    const t = typeof v;
    // Primitives are always storable; only lists need the deep check.
    if (t !== 'bigint' && t !== 'string' && t !== 'number' && t !== 'boolean' && !isStorable(v)) return true;
    const entry = ctx.store.indexEntry(this.label, this.key, v as PropertyValue);
    const slot = this.slot;
    if (entry === null) return true;
    if (entry instanceof NodeRecord) {
      row[slot] = entry;
      return this.next.push(row, ctx);
    }
    const found = entry === undefined ? undefined : Array.from(entry);
    if (found === undefined) {
      for (const n of ctx.store.nodesByLabel(this.label)) {
        if (cypherEquals(n.props.get(this.key) ?? null, v) !== true) continue;
        row[slot] = n;
        if (!this.next.push(row, ctx)) return false;
      }
      return true;
    }
    for (const n of found) {
      row[slot] = n;
      if (!this.next.push(row, ctx)) return false;
    }
    return true;
  }
}

/** Passes rows whose slot holds a live node (a bound start node may be null after OPTIONAL MATCH). */
export class CheckNodePipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly slot: number,
  ) {
    super(next);
  }
  push(row: Row, ctx: ExecContext): boolean {
    return row[this.slot] instanceof NodeRecord ? this.next.push(row, ctx) : true;
  }
}

const NO_EDGES: readonly EdgeRecord[] = [];

function edgeList(node: NodeRecord, out: boolean, types: readonly string[]): readonly EdgeRecord[] {
  if (types.length === 1) return out ? outByType(node, types[0]!) : inByType(node, types[0]!);
  return out ? node.out : node.in;
}

export interface ExpandSpec {
  readonly from: number;
  readonly rel: number;
  readonly to: number;
  readonly dir: Direction;
  /** Allowed types; empty: any. */
  readonly types: readonly string[];
  readonly toBound: boolean;
  readonly relBound: boolean;
  readonly unique: UniqueSlots;
}

export class ExpandPipe extends PassPipe {
  readonly #typeSet: Set<string> | undefined;
  constructor(
    next: Pipe,
    private readonly s: ExpandSpec,
  ) {
    super(next);
    this.#typeSet = s.types.length > 1 ? new Set(s.types) : undefined;
  }

  push(row: Row, ctx: ExecContext): boolean {
    const from = row[this.s.from];
    if (!(from instanceof NodeRecord)) return true;
    if (this.s.relBound) return this.#pushBound(row, ctx, from);
    const dir = this.s.dir;
    if (dir !== 'in' && !this.#scan(row, ctx, edgeList(from, true, this.s.types), true, false)) return false;
    if (dir !== 'out' && !this.#scan(row, ctx, edgeList(from, false, this.s.types), false, dir === 'both')) return false;
    return true;
  }

  #scan(row: Row, ctx: ExecContext, list: readonly EdgeRecord[], out: boolean, skipLoops: boolean): boolean {
    const { rel, to, toBound, unique } = this.s;
    const typeSet = this.#typeSet;
    const target = toBound ? row[to] : undefined;
    const n = list.length;
    for (let i = 0; i < n; i++) {
      const e = list[i]!;
      spendWork(ctx);
      if (e.deleted) continue;
      if (typeSet !== undefined && !typeSet.has(e.type)) continue;
      if (skipLoops && e.src === e.dst) continue;
      const other = out ? e.dst : e.src;
      if (toBound && other !== target) continue;
      if (unique.length !== 0 && usedIn(row, unique, e)) continue;
      row[rel] = e;
      if (!toBound) row[to] = other;
      if (!this.next.push(row, ctx)) return false;
    }
    return true;
  }

  #pushBound(row: Row, ctx: ExecContext, from: NodeRecord): boolean {
    const e = row[this.s.rel];
    if (!(e instanceof EdgeRecord) || e.deleted) return true;
    if (this.s.types.length > 0 && !this.s.types.includes(e.type)) return true;
    let other: NodeRecord | undefined;
    if (this.s.dir !== 'in' && e.src === from) other = e.dst;
    else if (this.s.dir !== 'out' && e.dst === from) other = e.src;
    if (other === undefined) return true;
    if (this.s.toBound) {
      if (row[this.s.to] !== other) return true;
    } else row[this.s.to] = other;
    return this.next.push(row, ctx);
  }
}

export interface VarExpandSpec extends ExpandSpec {
  readonly min: number;
  readonly max: number | undefined;
  /** The pattern runs from `to` to `from` (we expand from its right end): reverse the edge list. */
  readonly reversed: boolean;
  /** Property equalities every edge must satisfy (`[:T* {k: v}]`), evaluated per row. */
  readonly edgeProps: readonly { readonly key: string; readonly value: Eval }[];
}

export class VarExpandPipe extends PassPipe {
  readonly #stack: EdgeRecord[] = [];
  #props: Value[] = [];
  #stopped = false;

  constructor(
    next: Pipe,
    private readonly s: VarExpandSpec,
  ) {
    super(next);
  }

  push(row: Row, ctx: ExecContext): boolean {
    const from = row[this.s.from];
    if (!(from instanceof NodeRecord)) return true;
    if (this.s.relBound) return this.#pushBoundList(row, ctx, from);
    this.#props = this.s.edgeProps.map((p) => p.value(row, ctx));
    this.#stack.length = 0;
    this.#stopped = false;
    this.#dfs(row, ctx, from, 0);
    return !this.#stopped;
  }

  #edgeOk(e: EdgeRecord): boolean {
    if (e.deleted) return false;
    if (this.s.types.length > 0 && !this.s.types.includes(e.type)) return false;
    for (let i = 0; i < this.s.edgeProps.length; i++) {
      if (cypherEquals(e.props.get(this.s.edgeProps[i]!.key) ?? null, this.#props[i]!) !== true) return false;
    }
    return true;
  }

  #emit(row: Row, ctx: ExecContext, node: NodeRecord): void {
    if (this.s.toBound) {
      if (row[this.s.to] !== node) return;
    } else row[this.s.to] = node;
    const list = this.#stack.slice();
    if (this.s.reversed) list.reverse();
    row[this.s.rel] = list;
    if (!this.next.push(row, ctx)) this.#stopped = true;
  }

  #dfs(row: Row, ctx: ExecContext, node: NodeRecord, depth: number): void {
    if (depth >= this.s.min) {
      this.#emit(row, ctx, node);
      if (this.#stopped) return;
    }
    const max = this.s.max;
    if (max !== undefined && depth >= max) return;
    if (depth >= varLengthDepthMax) {
      throw new GeodeError('LIMIT_EXCEEDED', `variable-length pattern deeper than ${varLengthDepthMax} hops`);
    }
    const dir = this.s.dir;
    for (let pass = 0; pass < 2; pass++) {
      const out = pass === 0;
      if (out && dir === 'in') continue;
      if (!out && dir === 'out') continue;
      const list = edgeList(node, out, this.s.types);
      const n = list.length;
      for (let i = 0; i < n; i++) {
        const e = list[i]!;
        spendWork(ctx);
        if (!out && dir === 'both' && e.src === e.dst) continue;
        if (!this.#edgeOk(e)) continue;
        if (this.#stack.includes(e)) continue;
        if (this.s.unique.length !== 0 && usedIn(row, this.s.unique, e)) continue;
        this.#stack.push(e);
        this.#dfs(row, ctx, out ? e.dst : e.src, depth + 1);
        this.#stack.pop();
        if (this.#stopped) return;
      }
    }
  }

  #pushBoundList(row: Row, ctx: ExecContext, from: NodeRecord): boolean {
    const list = row[this.s.rel];
    if (!Array.isArray(list)) return true;
    const edges = (this.s.reversed ? [...list].reverse() : list) as Value[];
    let cur = from;
    for (const e of edges) {
      if (!(e instanceof EdgeRecord)) return true;
      if (this.s.dir !== 'in' && e.src === cur) cur = e.dst;
      else if (this.s.dir !== 'out' && e.dst === cur) cur = e.src;
      else return true;
    }
    if (edges.length < this.s.min || (this.s.max !== undefined && edges.length > this.s.max)) return true;
    if (this.s.toBound) {
      if (row[this.s.to] !== cur) return true;
    } else row[this.s.to] = cur;
    return this.next.push(row, ctx);
  }
}

export interface ShortestSpec {
  readonly from: number;
  readonly to: number;
  readonly rel: number;
  readonly path: number | undefined;
  readonly dir: Direction;
  readonly types: readonly string[];
  readonly min: number;
  readonly max: number | undefined;
  readonly all: boolean;
}

/** shortestPath / allShortestPaths between two bound nodes, by breadth-first search. */
export class ShortestPathPipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly s: ShortestSpec,
  ) {
    super(next);
  }

  push(row: Row, ctx: ExecContext): boolean {
    const a = row[this.s.from];
    const b = row[this.s.to];
    if (!(a instanceof NodeRecord) || !(b instanceof NodeRecord)) return true;
    const paths = this.#search(a, b, ctx);
    for (const edges of paths) {
      row[this.s.rel] = edges;
      if (this.s.path !== undefined) row[this.s.path] = new PathValue(walkEdges(a, edges), edges);
      if (!this.next.push(row, ctx)) return false;
    }
    return true;
  }

  #neighbours(node: NodeRecord, f: (e: EdgeRecord, other: NodeRecord) => void): void {
    const dir = this.s.dir;
    const types = this.s.types;
    if (dir !== 'in') for (const e of node.out) if (types.length === 0 || types.includes(e.type)) f(e, e.dst);
    if (dir !== 'out') {
      for (const e of node.in) {
        if (dir === 'both' && e.src === e.dst) continue;
        if (types.length === 0 || types.includes(e.type)) f(e, e.src);
      }
    }
  }

  #search(a: NodeRecord, b: NodeRecord, ctx: ExecContext): EdgeRecord[][] {
    if (a === b && this.s.min === 0) return [[]];
    const max = this.s.max ?? varLengthDepthMax;
    const parents = new Map<NodeRecord, { e: EdgeRecord; prev: NodeRecord }[]>();
    const depthOf = new Map<NodeRecord, number>([[a, 0]]);
    let frontier: NodeRecord[] = [a];
    let found = false;
    for (let depth = 1; depth <= max && frontier.length > 0 && !found; depth++) {
      const nextFrontier: NodeRecord[] = [];
      for (const n of frontier) {
        spendWork(ctx);
        this.#neighbours(n, (e, other) => {
          const d = depthOf.get(other);
          if (d === undefined) {
            depthOf.set(other, depth);
            parents.set(other, [{ e, prev: n }]);
            nextFrontier.push(other);
          } else if (d === depth && this.s.all) parents.get(other)!.push({ e, prev: n });
          if (other === b) found = true;
        });
      }
      frontier = nextFrontier;
    }
    if (!found || parents.get(b) === undefined) return [];
    const out: EdgeRecord[][] = [];
    const walk = (node: NodeRecord, suffix: EdgeRecord[]): void => {
      if (out.length >= (this.s.all ? shortestPathsMax : 1)) return;
      if (node === a) {
        out.push(suffix.slice().reverse());
        return;
      }
      for (const p of parents.get(node) ?? []) {
        if (suffix.includes(p.e)) continue;
        suffix.push(p.e);
        walk(p.prev, suffix);
        suffix.pop();
      }
    };
    walk(b, []);
    return out;
  }
}

/** Builds a named path from its element slots. */
export class BuildPathPipe extends PassPipe {
  constructor(
    next: Pipe,
    private readonly slot: number,
    private readonly nodeSlots: readonly number[],
    private readonly relSlots: readonly number[],
  ) {
    super(next);
  }
  push(row: Row, ctx: ExecContext): boolean {
    row[this.slot] = buildPath(row, this.nodeSlots, this.relSlots);
    return this.next.push(row, ctx);
  }
}

export function buildPath(row: Row, nodeSlots: readonly number[], relSlots: readonly number[]): Value {
  const first = row[nodeSlots[0]!];
  if (!(first instanceof NodeRecord)) return null;
  const nodes: NodeRecord[] = [first];
  const edges: EdgeRecord[] = [];
  let cur = first;
  for (let i = 0; i < relSlots.length; i++) {
    const r = row[relSlots[i]!];
    if (r instanceof EdgeRecord) {
      edges.push(r);
      cur = r.src === cur ? r.dst : r.src;
      nodes.push(cur);
    } else if (Array.isArray(r)) {
      for (const e of r as readonly Value[]) {
        if (!(e instanceof EdgeRecord)) return null;
        edges.push(e);
        cur = e.src === cur ? e.dst : e.src;
        nodes.push(cur);
      }
    } else return null;
  }
  return new PathValue(nodes, edges);
}

/** A property-equality predicate `slot.key = value` (pattern property maps). */
export function propertyEquals(slot: number, key: string, value: Eval): Eval {
  return (row, ctx) => {
    const v = row[slot]!;
    if (v === null) return null;
    return cypherEquals(propertyOf(v, key), value(row, ctx));
  };
}

/** A predicate for a map-valued parameter used as a pattern's properties: every entry must equal. */
export function propertiesEqual(slot: number, map: Eval): Eval {
  return (row, ctx) => {
    const m = map(row, ctx);
    if (m === null) return null;
    const v = row[slot]!;
    if (typeof m !== 'object' || Array.isArray(m)) return false;
    for (const k of Object.keys(m)) {
      if (cypherEquals(propertyOf(v, k), (m as Record<string, Value>)[k]!) !== true) return false;
    }
    return true;
  };
}

export { isTruthy };
