/**
 * Load benchmark of the graph store: 100,000 Person nodes (indexed `id`, plus `name`, `age`) and
 * 500,000 KNOWS edges (half with a `since` property), through `applyBatch` and through `apply`
 * (undo lists built), then 100,000 point lookups by the indexed property.
 *
 * Run: `npx tsx --expose-gc src/graph/store.bench.ts [batch|apply]` (from /work/main; default batch).
 * One mode per process, so the heap figure is that store's alone. Prints time and heap.
 * Rough cost estimate before writing it: ~60 B per edge record + 2 adjacency slots + a Map
 * entry ≈ 100 B × 500k = 50 MB; nodes ≈ 400 B × 100k = 40 MB.
 */
import { GraphStore } from './store.ts';
import type { GraphCommand } from './types.ts';

const NODES = 100_000;
const EDGES = 500_000;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) g();
}

function heapMb(): number {
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

/** Deterministic pseudo-random numbers (xorshift32), so each run loads the same graph. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function* commands(): Generator<GraphCommand> {
  yield { op: 'createIndex', name: 'person_id', label: 'Person', keys: ['id'] };
  for (let i = 1; i <= NODES; i++) {
    yield {
      op: 'createNode',
      id: i,
      labels: ['Person'],
      props: [
        ['id', BigInt(i)],
        ['name', `person-${i}`],
        ['age', BigInt(18 + (i % 60))],
      ],
    };
  }
  const r = rng(42);
  for (let i = 1; i <= EDGES; i++) {
    const src = (r() % NODES) + 1;
    const dst = (r() % NODES) + 1;
    yield { op: 'createEdge', id: i, type: 'KNOWS', src, dst, props: i % 2 === 0 ? [['since', BigInt(2000 + (i % 25))]] : [] };
  }
}

function load(mode: 'batch' | 'apply', all: readonly GraphCommand[]): { store: GraphStore; ms: number } {
  const store = new GraphStore();
  const t0 = performance.now();
  if (mode === 'batch') {
    store.applyBatch(all);
  } else {
    let undo = 0;
    for (let i = 0; i < all.length; i++) undo += store.apply(all[i]!).length;
    if (undo !== all.length) throw new Error(`expected ${all.length} undo commands, got ${undo}`);
  }
  return { store, ms: performance.now() - t0 };
}

function main(): void {
  const tg = performance.now();
  const all = Array.from(commands());
  const genMs = performance.now() - tg;
  console.log(`generated ${all.length} commands in ${genMs.toFixed(0)} ms`);
  const mode = process.argv[2] === 'apply' ? 'apply' : 'batch';
  {
    const base = heapMb();
    const { store, ms } = load(mode, all);
    const heap = heapMb() - base;
    const lookups = 100_000;
    const r = rng(7);
    const t1 = performance.now();
    let found = 0;
    for (let i = 0; i < lookups; i++) {
      const hit = store.lookupIndex('Person', 'id', BigInt((r() % NODES) + 1));
      if (hit !== undefined) found += hit.length;
    }
    const lookupUs = ((performance.now() - t1) * 1000) / lookups;
    if (found !== lookups) throw new Error(`expected ${lookups} hits, got ${found}`);
    const t2 = performance.now();
    let degree = 0;
    for (const n of store.nodesByLabel('Person')) degree += n.out.length;
    const scanMs = performance.now() - t2;
    const t3 = performance.now();
    const problems = store.checkConsistency();
    const checkMs = performance.now() - t3;
    console.log(
      `${mode.padEnd(5)}: load ${NODES} nodes + ${EDGES} edges in ${ms.toFixed(0)} ms, heap +${heap.toFixed(0)} MB, ` +
        `lookup ${lookupUs.toFixed(2)} µs, scan out-degree ${degree} in ${scanMs.toFixed(1)} ms, ` +
        `checkConsistency ${checkMs.toFixed(0)} ms (${problems.length} problems)`,
    );
    // Keep the store alive until here, so the heap figure is the store's.
    if (store.nodeCount !== NODES) throw new Error('lost nodes');
  }
}

main();
