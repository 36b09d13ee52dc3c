/**
 * The cost of an MVCC read (src/shard/mvcc-history.ts, ShardHost.graphAt): a point lookup run on a
 * graph of 10,000 accounts at a snapshot `k` entries old — the `k` entries undone newest first,
 * the statement run, the entries redone — against the same lookup at the head (k = 0). Each entry
 * is one single-property write (a typical small transaction's commit). In process, no network:
 * what a statement of a long transaction pays per entry others committed since its snapshot.
 *
 * The LAST stdout line is one JSON object: `read_k<k>_us` (wall µs per read) and `read_k<k>_cpu_us`
 * (process CPU µs per read) for each k, and `undo_redo_per_entry_us`.
 *
 *   npm run bench:mvcc
 *   npx tsx bench/mvcc.bench.ts --reads 2000
 */
import { numberArg } from './bench-util.ts';
import { GraphStore, type GraphCommand } from '../src/graph/index.ts';
import { QueryEngine } from '../src/query/index.ts';
import { entryKeys, MvccHistory } from '../src/shard/mvcc-history.ts';

const READS = numberArg('reads', 2_000);
const NODES = 10_000;
const KS = [0, 1, 10, 100, 1_000];

const graph = new GraphStore();
graph.apply({ op: 'createIndex', name: 'acct_id', label: 'Account', keys: ['id'] });
for (let i = 1; i <= NODES; i++) graph.apply({ op: 'createNode', id: i, labels: ['Account'], props: [['id', BigInt(i)], ['balance', 100n]] });
const engine = new QueryEngine(graph);
const history = new MvccHistory(0, 100_000, 100_000);
let index = 0;

function commit(id: number, value: bigint): void {
  const commands: GraphCommand[] = [{ op: 'setNodeProperty', id, key: 'balance', value }];
  const undo = commands.map((c) => graph.apply(c));
  const { keys, schema } = entryKeys(commands);
  history.push({ index: ++index, keys, commands, schema, undo: () => { for (let i = undo.length - 1; i >= 0; i--) for (const u of undo[i]!) graph.apply(u); } }, 0);
}

const out: Record<string, number> = { nodes: NODES, reads: READS };
const params = { id: 0n };
for (const k of KS) {
  const at = index;
  for (let i = 0; i < k; i++) commit(1 + ((i * 7919) % NODES), BigInt(i));
  const entries = history.after(at)!;
  let seen = 0n;
  let n = 0;
  const read = (): void => {
    for (let i = entries.length - 1; i >= 0; i--) entries[i]!.undo();
    try {
      params.id = BigInt(1 + (n++ % NODES));
      const r = engine.run('MATCH (a:Account {id: $id}) RETURN a.balance AS b', params);
      seen += 1n + (r.rows[0]![0] as bigint);
    } finally {
      for (const e of entries) for (const c of e.commands) graph.applyWithoutUndo(c);
    }
  };
  for (let i = 0; i < 3_000; i++) read(); // warm-up (the JIT)
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < READS; i++) read();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  out[`read_k${k}_us`] = Math.round((wall * 1000) / READS * 10) / 10;
  out[`read_k${k}_cpu_us`] = Math.round(((cpu.user + cpu.system) / READS) * 10) / 10;
  process.stderr.write(`k=${k}: ${out[`read_k${k}_us`]} µs/read (${out[`read_k${k}_cpu_us`]} µs CPU)\n`);
  // The snapshot is released: the next k starts from the head again.
  history.collect(0, index);
}
out['undo_redo_per_entry_us'] = Math.round(((out['read_k1000_cpu_us']! - out['read_k0_cpu_us']!) / 1_000) * 1000) / 1000;
console.log(JSON.stringify(out));
