/**
 * LwwGraph: the last-write-wins merge of federated clusters' changes to a property graph. Each
 * fact is its own register — a node's existence, each of its labels, each property, an edge's
 * existence, each edge property — and a change to a register wins when its stamp is later:
 * (hybrid timestamp, then origin cluster id) is a total order, so every cluster that has applied
 * the same set of changes, in any order and any number of times, holds the same graph.
 *
 * Deletes are tombstones (a register holding "absent" with its stamp), so a delete beats an older
 * create that arrives later. `collect(watermark)` drops tombstones at or below a stamp every
 * federated cluster has acknowledged; a change at or below the watermark that arrives later is a
 * re-delivery of something every cluster already applied and is ignored, so collection never lets
 * an old write come back.
 *
 * Visibility: a node is visible when its existence register says so; an edge when its own register
 * does and both its ends are visible (an edge to a deleted node is hidden, and shows again if the
 * node is re-created by a later write). Pure; ids are strings the origin makes globally unique
 * (e.g. `<cluster>:<local id>`).
 */
import type { PropertyValue } from '../graph/index.ts';
import { compareHlc, type HlcTimestamp } from '../txn/hlc.ts';

/** When and where a change was made: its order in the merge. */
export interface ChangeStamp {
  readonly hlc: HlcTimestamp;
  readonly origin: string;
}

/** One change from a cluster's change stream. */
export type GraphChange =
  | { readonly kind: 'node'; readonly id: string; readonly exists: boolean; readonly stamp: ChangeStamp }
  | { readonly kind: 'label'; readonly id: string; readonly label: string; readonly present: boolean; readonly stamp: ChangeStamp }
  | { readonly kind: 'prop'; readonly id: string; readonly key: string; readonly value: PropertyValue; readonly stamp: ChangeStamp }
  | { readonly kind: 'edge'; readonly id: string; readonly type: string; readonly src: string; readonly dst: string; readonly exists: boolean; readonly stamp: ChangeStamp }
  | { readonly kind: 'edgeProp'; readonly id: string; readonly key: string; readonly value: PropertyValue; readonly stamp: ChangeStamp };

/** compareStamps: the merge order (hybrid time, then origin id). */
export function compareStamps(a: ChangeStamp, b: ChangeStamp): number {
  const c = compareHlc(a.hlc, b.hlc);
  if (c !== 0) return c;
  return a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0;
}

interface Register<T> {
  value: T;
  stamp: ChangeStamp;
}

/** A node of the visible graph. */
export interface LwwNode {
  readonly id: string;
  readonly labels: readonly string[];
  readonly props: Readonly<Record<string, PropertyValue>>;
}

/** An edge of the visible graph. */
export interface LwwEdge {
  readonly id: string;
  readonly type: string;
  readonly src: string;
  readonly dst: string;
  readonly props: Readonly<Record<string, PropertyValue>>;
}

export class LwwGraph {
  readonly #nodes = new Map<string, Register<boolean>>();
  /** Per node id: label → register. */
  readonly #labels = new Map<string, Map<string, Register<boolean>>>();
  /** Per node id: key → register (null: removed). */
  readonly #props = new Map<string, Map<string, Register<PropertyValue>>>();
  readonly #edges = new Map<string, Register<{ exists: boolean; type: string; src: string; dst: string }>>();
  readonly #edgeProps = new Map<string, Map<string, Register<PropertyValue>>>();
  /** Changes at or below it were acknowledged by every cluster: re-deliveries, ignored. */
  #floor: ChangeStamp | undefined;

  /** apply: merges one change; true when it won (the graph or a tombstone changed), false when it lost or repeated. */
  apply(change: GraphChange): boolean {
    if (this.#floor !== undefined && compareStamps(change.stamp, this.#floor) <= 0) return false;
    switch (change.kind) {
      case 'node':
        return win(this.#nodes, change.id, change.exists, change.stamp);
      case 'label':
        return win(inner(this.#labels, change.id), change.label, change.present, change.stamp);
      case 'prop':
        return win(inner(this.#props, change.id), change.key, change.value, change.stamp);
      case 'edge':
        return win(this.#edges, change.id, { exists: change.exists, type: change.type, src: change.src, dst: change.dst }, change.stamp);
      case 'edgeProp':
        return win(inner(this.#edgeProps, change.id), change.key, change.value, change.stamp);
    }
  }

  /**
   * collect: drops tombstones (absent nodes, labels, edges; null properties) stamped at or below
   * `watermark`, the least stamp every federated cluster has acknowledged. Returns how many.
   */
  collect(watermark: ChangeStamp): number {
    let n = 0;
    const sweep = <T>(m: Map<string, Register<T>>, dead: (v: T) => boolean): void => {
      for (const [k, r] of m) {
        if (dead(r.value) && compareStamps(r.stamp, watermark) <= 0) {
          m.delete(k);
          n++;
        }
      }
    };
    sweep(this.#nodes, (v) => !v);
    for (const m of this.#labels.values()) sweep(m, (v) => !v);
    for (const m of this.#props.values()) sweep(m, (v) => v === null);
    sweep(this.#edges, (v) => !v.exists);
    for (const m of this.#edgeProps.values()) sweep(m, (v) => v === null);
    if (this.#floor === undefined || compareStamps(watermark, this.#floor) > 0) this.#floor = watermark;
    return n;
  }

  /** tombstones: registers holding a delete (what `collect` could drop). */
  get tombstones(): number {
    let n = 0;
    for (const r of this.#nodes.values()) if (!r.value) n++;
    for (const m of this.#labels.values()) for (const r of m.values()) if (!r.value) n++;
    for (const m of this.#props.values()) for (const r of m.values()) if (r.value === null) n++;
    for (const r of this.#edges.values()) if (!r.value.exists) n++;
    for (const m of this.#edgeProps.values()) for (const r of m.values()) if (r.value === null) n++;
    return n;
  }

  /** winner: the stamp that decided a node property (why a value won), or undefined. */
  propertyStamp(id: string, key: string): ChangeStamp | undefined {
    return this.#props.get(id)?.get(key)?.stamp;
  }

  /** nodes: the visible nodes, by id, labels and keys sorted. */
  nodes(): LwwNode[] {
    const out: LwwNode[] = [];
    for (const [id, r] of [...this.#nodes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (!r.value) continue;
      out.push({ id, labels: this.#present(this.#labels, id), props: this.#values(this.#props, id) });
    }
    return out;
  }

  /** edges: the visible edges (both ends visible), by id. */
  edges(): LwwEdge[] {
    const out: LwwEdge[] = [];
    for (const [id, r] of [...this.#edges].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const e = r.value;
      if (!e.exists || this.#nodes.get(e.src)?.value !== true || this.#nodes.get(e.dst)?.value !== true) continue;
      out.push({ id, type: e.type, src: e.src, dst: e.dst, props: this.#values(this.#edgeProps, id) });
    }
    return out;
  }

  #present(m: Map<string, Map<string, Register<boolean>>>, id: string): string[] {
    const out: string[] = [];
    for (const [k, r] of m.get(id) ?? []) if (r.value) out.push(k);
    return out.sort();
  }

  #values(m: Map<string, Map<string, Register<PropertyValue>>>, id: string): Record<string, PropertyValue> {
    const regs = m.get(id);
    const out: Record<string, PropertyValue> = {};
    if (regs === undefined) return out;
    for (const k of [...regs.keys()].sort()) {
      const v = regs.get(k)!.value;
      if (v !== null) out[k] = v;
    }
    return out;
  }
}

function inner<T>(m: Map<string, Map<string, Register<T>>>, id: string): Map<string, Register<T>> {
  let r = m.get(id);
  if (r === undefined) m.set(id, (r = new Map()));
  return r;
}

function win<T>(m: Map<string, Register<T>>, key: string, value: T, stamp: ChangeStamp): boolean {
  const r = m.get(key);
  if (r !== undefined && compareStamps(stamp, r.stamp) <= 0) return false;
  m.set(key, { value, stamp });
  return true;
}
