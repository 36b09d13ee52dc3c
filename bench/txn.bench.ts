/**
 * Distributed transaction benchmark on three peer processes (test/cluster/peer-process.ts, file
 * storage): a sharded cluster of two shards (`Acct` hashed by `id`) and the meta group, three
 * voters each, so every transaction request between members crosses a process boundary (the shard
 * wire). `db.transaction` runs in the first peer process (a member: its coordinator; the groups'
 * leaders are wherever the elections put them), through the `txnLoad` op:
 *
 * 1. single-shard read-write transactions (read an account, write it back + 1: one group, committed
 *    by one checked entry; each worker alternates between an account of each shard, as the leaders of
 *    the two shards may be one local and one remote) and two-shard ones (read an account on each shard and write both: two-phase
 *    commit), each at concurrency 1 (latency) and `--c` (default 4; throughput, retried on
 *    conflicts), for `--ms` each (default 3,000);
 * 2. contention: `--c` workers moving 1 between 4 hot accounts on the two shards, one attempt per
 *    transaction (no retry): the abort rate is aborted attempts / attempts; the total is checked after;
 * 3. from a cluster client (a fourth process, `cluster.client`: no replica; each transaction runs on
 *    a member, the members in turn, src/api/remote-transaction.ts): single- and two-shard
 *    transactions at concurrency 1 (`client_*` keys).
 *
 * Progress goes to stderr; the LAST stdout line is one JSON object.
 *
 *   npm run bench:txn
 *   npx tsx bench/txn.bench.ts --ms 2000 --c 8
 */
import { numberArg } from './bench-util.ts';
import { startPeerProcs } from './peer-procs.ts';
import { PeerProc, removeDir, tempDir, until } from '../test/cluster/harness.ts';

const MS = numberArg('ms', 3_000);
const C = numberArg('c', 4);
const SECRET = 'bench-txn-secret';
const log = (m: string): void => void process.stderr.write(`${m}\n`);
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

async function ask(p: PeerProc, req: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await p.request(req);
  if (r['ok'] !== true) throw new Error(`${String(req['op'])}: ${String(r['code'])} ${String(r['message'])}`);
  return r;
}

const config = { sharding: { shards: 2, labels: { Acct: { strategy: 'hash', key: 'id' } } }, replication: { factor: 3 } };
const { peers, relay, close } = await startPeerProcs({ name: 'txn', cluster: 'bench-txn', secret: SECRET, config });
let client: PeerProc | undefined;
const clientDir = tempDir('geode-bench-txn-client-');
const out: Record<string, unknown> = { processes: 3, shards: 2, replicas: 3, ms: MS, concurrency: C };
try {
  const coordinator = peers[0]!;
  await until(
    async () => {
      const r = await coordinator.request({ op: 'shards' });
      const rows = (r['rows'] ?? []) as { replicas: unknown[]; leader: unknown }[];
      return rows.length === 2 && rows.every((x) => x.replicas.length === 3 && x.leader !== null) ? true : undefined;
    },
    60_000,
    'two shards of three replicas with leaders',
    200,
  );
  // Accounts, sorted by the shard each landed on (the answer names it).
  const byShard = new Map<number, bigint[]>();
  for (let id = 1n; [...byShard.values()].filter((l) => l.length >= Math.max(C, 2)).length < 2; id++) {
    const r = await ask(coordinator, { op: 'query', text: 'CREATE (:Acct {id: $id, balance: 1000})', params: { id } });
    const shard = (r['shards'] as number[])[0]!;
    byShard.set(shard, [...(byShard.get(shard) ?? []), id]);
  }
  const [a, b] = [...byShard.values()].filter((l) => l.length >= Math.max(C, 2)) as [bigint[], bigint[]];
  log(`accounts: ${JSON.stringify([...byShard].map(([s, l]) => [s, l.length]))}`);
  const leaders = ((await ask(coordinator, { op: 'shards' }))['rows'] as { leader: string | null }[]).map((x) => x.leader);
  out['coordinator_leads_shards'] = leaders.filter((l) => l === coordinator.self).length;

  const load = (kind: string, concurrency: number, retries: number, ms = MS): Promise<Record<string, unknown>> =>
    ask(coordinator, { op: 'txnLoad', kind, ms, concurrency, a, b, retries });
  log('warm-up');
  await load('two', 1, 50, 1_000);
  for (const [name, kind] of [['single_shard', 'single'], ['two_shard', 'two']] as const) {
    for (const c of [1, C]) {
      const r = await load(kind, c, 50);
      log(`${name} c${c}: ${JSON.stringify(r)}`);
      out[`${name}_c${c}_txns_per_s`] = round(((r['committed'] as number) / MS) * 1000, 1);
      out[`${name}_c${c}_p50_ms`] = round(r['p50Ms'] as number);
      out[`${name}_c${c}_p99_ms`] = round(r['p99Ms'] as number);
      if (c > 1) out[`${name}_c${c}_attempts_per_commit`] = round((r['attempts'] as number) / Math.max(1, r['committed'] as number));
    }
  }
  out['two_over_single_p50_c1'] = round((out['two_shard_c1_p50_ms'] as number) / (out['single_shard_c1_p50_ms'] as number));

  log('contended transfers');
  const hot = [a[0]!, a[1]!, b[0]!, b[1]!];
  const before = await ask(coordinator, { op: 'query', text: 'MATCH (p:Acct) WHERE p.id IN $ids RETURN sum(p.balance) AS s', params: { ids: hot } });
  const r = await load('contended', C, 0);
  const after = await ask(coordinator, { op: 'query', text: 'MATCH (p:Acct) WHERE p.id IN $ids RETURN sum(p.balance) AS s', params: { ids: hot } });
  log(`contended: ${JSON.stringify(r)}`);
  Object.assign(out, {
    contended_attempts: r['attempts'],
    contended_abort_rate: round((r['aborted'] as number) / Math.max(1, r['attempts'] as number), 3),
    contended_committed_per_s: round(((r['committed'] as number) / MS) * 1000, 1),
    contended_total_kept: (before['rows'] as { s: bigint }[])[0]!.s === (after['rows'] as { s: bigint }[])[0]!.s,
  });

  log('from a cluster client');
  client = await PeerProc.start('txn-client', { data: clientDir, relays: [relay.tcp()], cluster: 'bench-txn', secret: SECRET, client: true, config });
  const c = client;
  await until(async () => ((await c.request({ op: 'query', text: 'MATCH (p:Acct {id: $id}) RETURN p.balance AS b', params: { id: a[0]! } }))['ok'] === true ? true : undefined), 30_000, 'the client to answer', 100);
  await c.request({ op: 'txnLoad', kind: 'two', ms: 1_000, concurrency: 1, a, b, retries: 50 }); // warm-up
  for (const [name, kind] of [['single_shard', 'single'], ['two_shard', 'two']] as const) {
    const r = await ask(c, { op: 'txnLoad', kind, ms: MS, concurrency: 1, a, b, retries: 50 });
    log(`client ${name} c1: ${JSON.stringify(r)}`);
    out[`client_${name}_c1_txns_per_s`] = round(((r['committed'] as number) / MS) * 1000, 1);
    out[`client_${name}_c1_p50_ms`] = round(r['p50Ms'] as number);
    out[`client_${name}_c1_p99_ms`] = round(r['p99Ms'] as number);
  }
  out['client_over_member_single_p50_c1'] = round((out['client_single_shard_c1_p50_ms'] as number) / (out['single_shard_c1_p50_ms'] as number));
} finally {
  await client?.stop();
  removeDir(clientDir);
  await close();
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
