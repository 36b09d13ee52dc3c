/**
 * A checker of transactional histories over lists, in the style of Elle (Kingsbury & Alvaro,
 * "Elle: Inferring Isolation Anomalies from Experimental Observations", VLDB 2020).
 *
 * Workload: each key holds a list; a transaction's operations append a value to a key's list or
 * read a key's whole list. Values appended to one key are unique, so every read names the writers
 * of what it saw, and the longest read of a key gives the order its versions were installed in.
 * From that the checker infers the dependencies between committed transactions:
 *
 * - ww: T1 appended a key's version v, T2 appended the next one;
 * - wr: T2 read a list whose last element T1 appended;
 * - rw (anti-dependency): T1 read a list ending at version v (or empty), T2 appended the next one;
 *
 * and looks for cycles, each classified by its least anomalous form (as Adya's phenomena):
 *
 * | anomaly | what | forbidden from |
 * |---|---|---|
 * | G0 | a cycle of ww edges only (dirty write) | read committed |
 * | G1a | a read saw a value a failed transaction appended (aborted read) | read committed |
 * | G1b | a read saw a value that was not its writer's last append to the key (intermediate read) | read committed |
 * | G1c | a cycle of ww and wr edges (circular information flow) | read committed |
 * | G-single | a cycle with exactly one rw edge (read skew, lost update) | snapshot isolation |
 * | G2 | a cycle with two or more rw edges (write skew) | serializable |
 *
 * plus the impossible observations every level forbids: a value nobody appended (`garbage`), a
 * value twice in one list (`duplicate`), two reads of a key that are not prefixes of one order
 * (`incompatible-order`). Transactions with an unknown outcome (`info`) count as committed when a
 * read saw one of their appends and are left out otherwise.
 *
 * Pure: a history in, the anomalies out.
 */

/** One operation of a transaction. */
export type ListOp =
  | { readonly f: 'append'; readonly key: string; readonly value: number }
  /** `value`: the list read (undefined when the transaction did not get to see it). */
  | { readonly f: 'read'; readonly key: string; readonly value: readonly number[] | undefined };

/** A transaction as a client saw it: committed (`ok`), surely not (`fail`), or unknown (`info`). */
export interface ListTxn {
  readonly id: number;
  readonly status: 'ok' | 'fail' | 'info';
  readonly ops: readonly ListOp[];
}

/** Isolation levels the checker can hold a history to. */
export type IsolationLevel = 'read-committed' | 'snapshot-isolation' | 'serializable';

export type AnomalyType = 'G0' | 'G1a' | 'G1b' | 'G1c' | 'G-single' | 'G2' | 'garbage' | 'duplicate' | 'incompatible-order';

/** One anomaly found, with the transactions involved and a readable explanation. */
export interface Anomaly {
  readonly type: AnomalyType;
  readonly txns: readonly number[];
  readonly description: string;
}

/** The verdict for one level. */
export interface ListAppendVerdict {
  readonly valid: boolean;
  /** Anomalies the level forbids. */
  readonly anomalies: readonly Anomaly[];
  /** Every anomaly found, forbidden or not. */
  readonly found: readonly Anomaly[];
}

const forbidden: Record<IsolationLevel, ReadonlySet<AnomalyType>> = {
  'read-committed': new Set(['G0', 'G1a', 'G1b', 'G1c', 'garbage', 'duplicate', 'incompatible-order']),
  'snapshot-isolation': new Set(['G0', 'G1a', 'G1b', 'G1c', 'G-single', 'garbage', 'duplicate', 'incompatible-order']),
  serializable: new Set(['G0', 'G1a', 'G1b', 'G1c', 'G-single', 'G2', 'garbage', 'duplicate', 'incompatible-order']),
};

type EdgeType = 'ww' | 'wr' | 'rw';
interface Edge {
  readonly to: number;
  readonly type: EdgeType;
  readonly key: string;
}

/** checkListAppend: the anomalies of `history`, and whether `level` allows it. */
export function checkListAppend(history: readonly ListTxn[], level: IsolationLevel): ListAppendVerdict {
  const found = analyse(history);
  const anomalies = found.filter((a) => forbidden[level].has(a.type));
  return { valid: anomalies.length === 0, anomalies, found };
}

function analyse(history: readonly ListTxn[]): Anomaly[] {
  const out: Anomaly[] = [];
  const byId = new Map(history.map((t) => [t.id, t]));
  // Writer of each (key, value), and each transaction's last append per key.
  const writer = new Map<string, number>();
  const lastAppend = new Map<string, number>();
  const at = (key: string, value: number): string => `${key}\u0000${value}`;
  for (const t of history) {
    for (const op of t.ops) {
      if (op.f !== 'append') continue;
      writer.set(at(op.key, op.value), t.id);
      lastAppend.set(`${t.id}\u0000${op.key}`, op.value);
    }
  }
  // Version order per key: the longest read; every other read must be a prefix of it.
  const order = new Map<string, readonly number[]>();
  const observed = new Set<number>();
  for (const t of history) {
    if (t.status === 'fail') continue;
    for (const op of t.ops) {
      if (op.f !== 'read' || op.value === undefined) continue;
      const list = op.value;
      if (new Set(list).size !== list.length) out.push({ type: 'duplicate', txns: [t.id], description: `T${t.id} read ${op.key} = [${list.join(', ')}]: a value appears twice` });
      for (const v of list) {
        const w = writer.get(at(op.key, v));
        if (w === undefined) {
          out.push({ type: 'garbage', txns: [t.id], description: `T${t.id} read ${v} in ${op.key}, which no transaction appended` });
          continue;
        }
        if (w !== t.id) observed.add(w);
        const wt = byId.get(w)!;
        if (wt.status === 'fail') out.push({ type: 'G1a', txns: [w, t.id], description: `T${t.id} read ${v} in ${op.key}, appended by T${w}, which failed` });
      }
      // Intermediate read: the last element seen is not its writer's last append to the key.
      const tail = list[list.length - 1];
      if (tail !== undefined) {
        const w = writer.get(at(op.key, tail));
        if (w !== undefined && w !== t.id && lastAppend.get(`${w}\u0000${op.key}`) !== tail) {
          out.push({ type: 'G1b', txns: [w, t.id], description: `T${t.id} read ${op.key} ending at ${tail}, but T${w} appended more to ${op.key} after it` });
        }
      }
      const known = order.get(op.key) ?? [];
      const [short, long] = list.length <= known.length ? [list, known] : [known, list];
      if (short.some((v, i) => long[i] !== v)) {
        out.push({ type: 'incompatible-order', txns: [t.id], description: `reads of ${op.key} disagree on its order: [${known.join(', ')}] and [${list.join(', ')}]` });
      } else if (list.length > known.length) order.set(op.key, list);
    }
  }
  // Nodes: committed transactions, and unknown ones a read saw.
  const live = (id: number): boolean => {
    const t = byId.get(id);
    return t !== undefined && (t.status === 'ok' || (t.status === 'info' && observed.has(id)));
  };
  const edges = new Map<number, Edge[]>();
  const addEdge = (from: number, to: number, type: EdgeType, key: string): void => {
    if (from === to || !live(from) || !live(to)) return;
    let l = edges.get(from);
    if (l === undefined) edges.set(from, (l = []));
    if (!l.some((e) => e.to === to && e.type === type)) l.push({ to, type, key });
  };
  for (const [key, versions] of order) {
    for (let i = 0; i + 1 < versions.length; i++) addEdge(writer.get(at(key, versions[i]!))!, writer.get(at(key, versions[i + 1]!))!, 'ww', key);
  }
  for (const t of history) {
    if (!live(t.id)) continue;
    for (const op of t.ops) {
      if (op.f !== 'read' || op.value === undefined) continue;
      const list = op.value;
      const versions = order.get(op.key) ?? [];
      const tail = list[list.length - 1];
      if (tail !== undefined) addEdge(writer.get(at(op.key, tail)) ?? t.id, t.id, 'wr', op.key);
      // The next version after what was read, if the order knows it.
      const next = list.length < versions.length && versions.slice(0, list.length).every((v, i) => v === list[i]) ? versions[list.length] : undefined;
      if (next !== undefined) addEdge(t.id, writer.get(at(op.key, next))!, 'rw', op.key);
    }
  }
  out.push(...cycles(edges));
  return out;
}

/** The cycles of the dependency graph, one per strongly connected component, least anomalous first. */
function cycles(edges: ReadonlyMap<number, readonly Edge[]>): Anomaly[] {
  const out: Anomaly[] = [];
  for (const scc of stronglyConnected(edges)) {
    const inside = new Set(scc);
    const within = (types: ReadonlySet<EdgeType>) => (n: number): Edge[] => (edges.get(n) ?? []).filter((e) => inside.has(e.to) && types.has(e.type));
    const ww = within(new Set(['ww']));
    const wwr = within(new Set(['ww', 'wr']));
    const any = within(new Set(['ww', 'wr', 'rw']));
    const g0 = findCycle(scc, ww);
    if (g0 !== undefined) {
      out.push(describe('G0', g0));
      continue;
    }
    const g1c = findCycle(scc, wwr);
    if (g1c !== undefined) {
      out.push(describe('G1c', g1c));
      continue;
    }
    // Exactly one rw edge: rw a→b, then b back to a over ww / wr edges.
    let single: { from: number; edge: Edge }[] | undefined;
    for (const a of scc) {
      for (const e of any(a)) {
        if (e.type !== 'rw') continue;
        const back = findPath(e.to, a, wwr);
        if (back !== undefined) {
          single = [{ from: a, edge: e }, ...back];
          break;
        }
      }
      if (single !== undefined) break;
    }
    if (single !== undefined) {
      out.push(describe('G-single', single));
      continue;
    }
    const g2 = findCycle(scc, any);
    if (g2 !== undefined) out.push(describe('G2', g2));
  }
  return out;
}

function describe(type: AnomalyType, cycle: readonly { from: number; edge: Edge }[]): Anomaly {
  const steps = cycle.map((s) => `T${s.from} -${s.edge.type} ${s.edge.key}-> T${s.edge.to}`);
  return { type, txns: cycle.map((s) => s.from), description: `${type}: ${steps.join(', ')}` };
}

/** findPath: edges from `from` to `to` (breadth-first: a shortest one), or undefined. */
function findPath(from: number, to: number, next: (n: number) => Edge[]): { from: number; edge: Edge }[] | undefined {
  const prev = new Map<number, { from: number; edge: Edge }>();
  const queue = [from];
  const seen = new Set([from]);
  while (queue.length > 0) {
    const n = queue.shift()!;
    for (const e of next(n)) {
      if (seen.has(e.to)) continue;
      seen.add(e.to);
      prev.set(e.to, { from: n, edge: e });
      if (e.to === to) {
        const path: { from: number; edge: Edge }[] = [];
        for (let x = to; x !== from; x = prev.get(x)!.from) path.unshift(prev.get(x)!);
        return path;
      }
      queue.push(e.to);
    }
  }
  return undefined;
}

/** findCycle: a cycle over `next` edges through some node of `nodes`, or undefined. */
function findCycle(nodes: readonly number[], next: (n: number) => Edge[]): { from: number; edge: Edge }[] | undefined {
  for (const a of nodes) {
    for (const e of next(a)) {
      const back = e.to === a ? [] : findPath(e.to, a, next);
      if (back !== undefined) return [{ from: a, edge: e }, ...back];
    }
  }
  return undefined;
}

/** Tarjan's algorithm (iterative): the components with a cycle (more than one node). */
function stronglyConnected(edges: ReadonlyMap<number, readonly Edge[]>): number[][] {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  const nodes = new Set<number>();
  for (const [from, list] of edges) {
    nodes.add(from);
    for (const e of list) nodes.add(e.to);
  }
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: number; i: number }[] = [{ node: root, i: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const list = edges.get(frame.node) ?? [];
      if (frame.i < list.length) {
        const w = list[frame.i++]!.to;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, i: 0 });
        } else if (onStack.has(w)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(w)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.node);
        if (comp.length > 1) out.push(comp.sort((a, b) => a - b));
      }
    }
  }
  return out;
}
