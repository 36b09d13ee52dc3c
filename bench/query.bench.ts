/**
 * Query benchmark: a seeded synthetic social graph loaded through the public API, then medians of
 * typical queries. Progress goes to stderr; the LAST stdout line is one JSON object:
 * `{nodes, edges, seed, load_ms, heap_mb, point_lookup_us, one_hop_count_us, two_hop_distinct_us,
 * filtered_count_us, group_by_us}`.
 *
 *   npm run bench:query                          # 100,000 Person nodes, 500,000 KNOWS edges
 *   npm run bench:query -- --nodes 1000 --edges 5000 --seed 7
 *
 * The graph: Person {id: int, name: string, age: int 18..80, city: one of 50}; KNOWS edges from a
 * uniform source to a skewed target (low ids are popular: id = floor(n * u^2)), no self loops.
 * `load_ms` is the time spent inside `db.query` while loading (row generation excluded; both are
 * printed on stderr); `heap_mb` is heapUsed after a forced gc, with the graph loaded.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { openGeode, type Geode } from '../src/index.ts';

/** Rows per UNWIND batch while loading. */
const LOAD_BATCH_ROWS = 10_000;
/** Longest time spent measuring one query, in ms (after warm-up). */
const MEASURE_BUDGET_MS = 4_000;

const CITIES: readonly string[] = [
  'Amsterdam', 'Athens', 'Bangkok', 'Barcelona', 'Beijing', 'Berlin', 'Bogota', 'Boston', 'Brussels', 'Budapest',
  'Buenos Aires', 'Cairo', 'Cape Town', 'Chicago', 'Copenhagen', 'Delhi', 'Dublin', 'Dubai', 'Edinburgh', 'Helsinki',
  'Hong Kong', 'Istanbul', 'Jakarta', 'Johannesburg', 'Kyiv', 'Lagos', 'Lima', 'Lisbon', 'London', 'Los Angeles',
  'Madrid', 'Manila', 'Melbourne', 'Mexico City', 'Milan', 'Montreal', 'Moscow', 'Mumbai', 'Nairobi', 'New York',
  'Oslo', 'Paris', 'Prague', 'Rome', 'Santiago', 'Seoul', 'Singapore', 'Stockholm', 'Tokyo', 'Vienna',
];
const SYLLABLES: readonly string[] = ['ka', 'lo', 'mi', 'ra', 'to', 'ne', 'su', 'vi', 'da', 'el', 'an', 'or', 'is', 'ju', 'be', 'co'];

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BenchOptions {
  readonly nodes: number;
  readonly edges: number;
  readonly seed: number;
}

function parseArgs(argv: readonly string[]): BenchOptions {
  const opts = { nodes: 100_000, edges: 500_000, seed: 42 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const key = arg.replace(/^--/, '');
    if (key !== 'nodes' && key !== 'edges' && key !== 'seed') throw new Error(`unknown option ${arg} (use --nodes N --edges M --seed S)`);
    const value = Number(argv[++i]);
    if (!Number.isSafeInteger(value) || value < (key === 'seed' ? 0 : 1)) throw new Error(`${arg} needs a positive integer`);
    opts[key] = value;
  }
  return opts;
}

function personName(rnd: () => number, i: number): string {
  let name = '';
  const parts = 2 + Math.floor(rnd() * 2);
  for (let p = 0; p < parts; p++) name += SYLLABLES[Math.floor(rnd() * SYLLABLES.length)]!;
  return `${name.charAt(0).toUpperCase()}${name.slice(1)} ${i}`;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function forceGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads the graph; resolves with the ms spent inside `db.query` (the database's share of the load,
 * without generating the rows).
 */
async function load(db: Geode, opts: BenchOptions, rnd: () => number): Promise<number> {
  let queryMs = 0;
  const timed = async (text: string, params?: Record<string, unknown>): Promise<void> => {
    const t0 = performance.now();
    await db.query(text, params);
    queryMs += performance.now() - t0;
  };
  await timed('CREATE INDEX FOR (p:Person) ON (p.id)');
  const nodeQuery = 'UNWIND $rows AS r CREATE (:Person {id: r.id, name: r.name, age: r.age, city: r.city})';
  let batch: Record<string, unknown>[] = [];
  for (let i = 0; i < opts.nodes; i++) {
    batch.push({ id: BigInt(i), name: personName(rnd, i), age: BigInt(18 + Math.floor(rnd() * 63)), city: CITIES[Math.floor(rnd() * CITIES.length)]! });
    if (batch.length === LOAD_BATCH_ROWS || i === opts.nodes - 1) {
      await timed(nodeQuery, { rows: batch });
      batch = [];
    }
  }
  log(`  ${opts.nodes} nodes loaded`);
  const edgeQuery = 'UNWIND $rows AS r MATCH (a:Person {id: r.s}), (b:Person {id: r.d}) CREATE (a)-[:KNOWS]->(b)';
  for (let e = 0; e < opts.edges; e++) {
    const s = Math.floor(rnd() * opts.nodes);
    let d = Math.floor(opts.nodes * rnd() * rnd());
    if (d === s) d = (d + 1) % opts.nodes;
    batch.push({ s: BigInt(s), d: BigInt(d) });
    if (batch.length === LOAD_BATCH_ROWS || e === opts.edges - 1) {
      await timed(edgeQuery, { rows: batch });
      batch = [];
      if ((e + 1) % 100_000 < LOAD_BATCH_ROWS || e === opts.edges - 1) log(`  ${e + 1} edges loaded`);
    }
  }
  return queryMs;
}

function median(samples: number[]): number {
  samples.sort((a, b) => a - b);
  const mid = samples.length >> 1;
  return samples.length % 2 === 1 ? samples[mid]! : (samples[mid - 1]! + samples[mid]!) / 2;
}

/** Median latency in µs of `text`, with fresh seeded parameters per iteration, after a warm-up. */
async function measure(db: Geode, name: string, text: string, iterations: number, params: () => Record<string, unknown>): Promise<number> {
  const warmup = Math.max(3, Math.floor(iterations / 10));
  for (let i = 0; i < warmup; i++) await db.query(text, params());
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const p = params();
    const t0 = performance.now();
    await db.query(text, p);
    samples.push((performance.now() - t0) * 1000);
    if (performance.now() - started > MEASURE_BUDGET_MS && samples.length >= 5) break;
  }
  const us = median(samples);
  log(`  ${name}: median ${us.toFixed(1)} µs over ${samples.length} runs`);
  return Math.round(us * 10) / 10;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const rnd = mulberry32(opts.seed);
  const gc = forceGc();
  log(`geode query bench: ${opts.nodes} nodes, ${opts.edges} edges, seed ${opts.seed}${gc === undefined ? ' (no gc: heap is approximate)' : ''}`);
  const db = await openGeode();
  const t0 = performance.now();
  const loadMs = await load(db, opts, rnd);
  log(`  load: ${loadMs.toFixed(0)} ms in db.query (${(performance.now() - t0).toFixed(0)} ms with row generation)`);
  gc?.();
  const heapMb = process.memoryUsage().heapUsed / (1024 * 1024);
  log(`  heap: ${heapMb.toFixed(1)} MB`);

  const check = await db.query('MATCH (p:Person) RETURN count(*) AS n');
  const counted = check.rows[0]?.['n'];
  if (counted !== BigInt(opts.nodes)) throw new Error(`expected ${opts.nodes} Person nodes after load, counted ${String(counted)}`);
  const edgeCheck = await db.query('MATCH ()-[k:KNOWS]->() RETURN count(k) AS n');
  if (edgeCheck.rows[0]?.['n'] !== BigInt(opts.edges)) {
    throw new Error(`expected ${opts.edges} KNOWS edges after load, counted ${String(edgeCheck.rows[0]?.['n'])}`);
  }

  const q = mulberry32(opts.seed ^ 0x5bd1e995);
  const randomId = (): Record<string, unknown> => ({ id: BigInt(Math.floor(q() * opts.nodes)) });
  const none = (): Record<string, unknown> => ({});
  const pointLookup = await measure(db, 'point_lookup', 'MATCH (p:Person {id: $id}) RETURN p.name', 5_000, randomId);
  const oneHop = await measure(db, 'one_hop_count', 'MATCH (p:Person {id: $id})-[:KNOWS]->(f) RETURN count(f)', 5_000, randomId);
  const twoHop = await measure(
    db,
    'two_hop_distinct',
    'MATCH (p:Person {id: $id})-[:KNOWS]->()-[:KNOWS]->(f) RETURN count(DISTINCT f)',
    2_000,
    randomId,
  );
  const filtered = await measure(db, 'filtered_count', 'MATCH (p:Person) WHERE p.age > 30 RETURN count(*)', 50, none);
  const groupBy = await measure(
    db,
    'group_by',
    'MATCH (p:Person) RETURN p.city AS city, count(*) AS c ORDER BY c DESC LIMIT 10',
    50,
    none,
  );
  await db.close();
  process.stdout.write(
    `${JSON.stringify({
      nodes: opts.nodes,
      edges: opts.edges,
      seed: opts.seed,
      load_ms: Math.round(loadMs),
      heap_mb: Math.round(heapMb * 10) / 10,
      point_lookup_us: pointLookup,
      one_hop_count_us: oneHop,
      two_hop_distinct_us: twoHop,
      filtered_count_us: filtered,
      group_by_us: groupBy,
    })}\n`,
  );
}

await main();
