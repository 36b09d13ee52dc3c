/**
 * A cluster peer process for the integration tests (test/cluster): `openGeode` with file storage
 * and a cluster, driven over stdin / stdout by JSON lines (one request, one answer):
 *
 * - `{ id, op: 'query', text, params?, readQuorum?, timeoutMs? }` → `{ id, ok, rows, writes, ms }` or `{ id, ok: false, code, detail, message }`
 * - `{ id, op: 'status' }` → `{ id, ok, self, leader, isLeader, voters, learners, applied, snapshotsReceived, term, framesRejected, netRejected, addrs }`
 * - `{ id, op: 'close' }` → closes cleanly, answers, exits 0
 * - `{ id, op: 'fedCut', cluster, cut }` → cuts (or heals) this peer's federation link with `cluster`
 * - `{ id, op: 'fedLag' }` → `{ id, ok, links }`: the federation agent's `lag()` (empty off the leader)
 * - `{ id, op: 'fedSamples' }` → `{ id, ok, samples }`: the agent's cross-cluster lag samples (ms), cleared
 * - `{ id, op: 'load', rate, ms, concurrency, prefix }` → `{ id, ok, acked, elapsedMs, p50Ms, p99Ms }`:
 *   `CREATE (:B {k})` in this process for `ms`, at most `rate` per second (0: as fast as it goes)
 * - sharded clusters: `{ id, op: 'shards' }` → `{ id, ok, rows }` (`db.cluster.sharding.shards()`);
 *   `{ id, op: 'importLdbc', folder }` → `{ id, ok, nodes, edges, cut, ms }` (the LDBC folder read as
 *   `geode import` does, then the bulk import split by the shard map; unsharded: `geode import`'s
 *   statements through the cluster)
 *
 * - `{ id, op: 'txnLoad', kind, ms, concurrency, a, b, retries }` → `{ id, ok, committed, attempts, aborted, p50Ms, p99Ms }`:
 *   `db.transaction`s from this process for `ms` (`kind` `single`: worker w reads account `a[w]`, then
 *   `b[w]` the next time, and adds 1; `two`: reads `a[w]` and `b[w]` and adds 1 to each; `contended`: moves 1 between two of
 *   `a[0..1]`, `b[0..1]`), each with `retries` retries; latencies of the committed ones
 *
 * Arguments: one JSON object `{ data, relays, cluster, secret, bootstrap, config, listen?, client? }`
 * (`client: true`: a cluster client, memory storage, for `query` and `txnLoad`). Prints
 * `{ ready: true, self }` once open. Bigints travel as `{ $int: '…' }`.
 */
import { createInterface } from 'node:readline';
import { openGeode, type GeodeTransaction } from '../../src/node.ts';
import type { GraphCommand } from '../../src/graph/index.ts';
import { decodeJsonValue, encodeJsonValue } from './json-values.ts';

interface Args {
  readonly data: string;
  readonly relays: string[];
  readonly cluster: string;
  readonly secret: string;
  readonly bootstrap?: boolean;
  readonly config?: Record<string, unknown>;
  readonly listen?: string[];
  readonly client?: boolean;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;

const send = (x: unknown): void => {
  process.stdout.write(`${JSON.stringify(encodeJsonValue(x))}\n`);
};

const db = await openGeode({
  storage: args.client === true ? 'memory' : `file:${args.data}`,
  onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
  cluster: {
    id: args.cluster,
    secret: args.secret,
    relays: args.relays,
    bootstrap: args.bootstrap === true,
    config: args.config ?? {},
    ...(args.listen === undefined ? {} : { listen: args.listen }),
    ...(args.client === true ? { client: true } : {}),
  },
});
const cluster = db.cluster!;
send({ ready: true, self: cluster.self });
if (process.env['PEER_DEBUG'] === '1') {
  cluster.transport.onPeer((p, up) => process.stderr.write(`${Date.now()} peer ${p.slice(-4)} ${up ? 'up' : 'down'} ${JSON.stringify(cluster.transport.stats())}\n`));
  cluster.transport.onRejection((r) => process.stderr.write(`${Date.now()} rejection ${JSON.stringify(r)}\n`));
  let last = Date.now();
  setInterval(() => {
    const now = Date.now();
    if (now - last > 1_000) process.stderr.write(`${now} event loop blocked ${now - last} ms\n`);
    last = now;
  }, 100);
}

async function handle(req: Record<string, unknown>): Promise<Record<string, unknown>> {
  switch (req['op']) {
    case 'query': {
      const t0 = performance.now();
      const r = await db.query(String(req['text']), (decodeJsonValue(req['params'] ?? {}) as Record<string, unknown>), {
        ...(req['readQuorum'] === 1 ? { readQuorum: 1 as const } : {}),
        ...(typeof req['timeoutMs'] === 'number' ? { timeoutMs: req['timeoutMs'] } : {}),
      });
      return { ok: true, rows: r.rows, writes: r.writes, ...(r.shards === undefined ? {} : { shards: r.shards }), ms: performance.now() - t0 };
    }
    case 'status': {
      const host = cluster.host!;
      const st = host.raftStatus();
      const me = cluster.status().find((r) => r.self);
      return {
        ok: true,
        self: cluster.self,
        leader: me?.leader ?? null,
        isLeader: cluster.isLeader(),
        voters: st.conf.voters.length,
        learners: st.conf.learners.length,
        applied: st.applied,
        lastIndex: st.lastIndex,
        commit: st.hardState.commit,
        ready: cluster.isLeader(),
        conf: st.conf,
        term: st.hardState.term,
        snapshotsReceived: host.snapshotsReceived,
        framesRejected: host.framesRejected,
        netRejected: cluster.transport.stats().rejected,
        framesOut: cluster.transport.stats().framesOut,
        framesIn: cluster.transport.stats().framesIn,
        connected: cluster.transport.connected().length,
        addrs: cluster.transport.addrs(),
      };
    }
    case 'fedCut':
      cluster.federation?.cut(String(req['cluster']), req['cut'] === true);
      return { ok: true };
    case 'fedLag':
      return { ok: true, links: cluster.federation?.lag() ?? [] };
    case 'fedSamples': {
      const samples = cluster.federation?.lagSamplesMs.splice(0) ?? [];
      return { ok: true, samples };
    }
    case 'load':
      return load(Number(req['rate'] ?? 0), Number(req['ms'] ?? 1_000), Number(req['concurrency'] ?? 1), String(req['prefix'] ?? 'k'));
    case 'txnLoad':
      return txnLoad(
        String(req['kind']) as 'single' | 'two' | 'contended',
        Number(req['ms'] ?? 1_000),
        Number(req['concurrency'] ?? 1),
        req['a'] as bigint[],
        req['b'] as bigint[],
        Number(req['retries'] ?? 0),
      );
    case 'close':
      await db.close();
      return { ok: true };
    case 'shards':
      return { ok: true, rows: cluster.sharding?.shards() ?? [] };
    case 'counters': {
      // Read and routing counters (bench:shards): lease reads, ReadIndex rounds, and the router's hops.
      const host = cluster.host!;
      const r = cluster.sharding?.router;
      return {
        ok: true,
        leaseReads: host.leaseReads,
        readIndexRounds: host.readIndexRounds,
        turns: host.loopCounters.turns,
        syncs: host.loopCounters.syncs,
        entries: host.loopCounters.entries,
        frames: host.loopCounters.frames,
        messages: Object.fromEntries(host.loopCounters.messages),
        ...(r === undefined ? {} : { queries: r.queries, leaderReads: r.leaderReads, followerReads: r.followerReads, localWrites: r.localWrites, forwardedWrites: r.forwardedWrites }),
      };
    }
    case 'shardDebug': {
      // What this member's shard manager and host see: the map it holds, its check loop, and per group the conf and placement.
      const sh = cluster.sharding;
      const host = cluster.host!;
      if (sh === undefined) return { ok: false, message: 'not sharded' };
      const groups = host.groups().map((g) => {
        const st = host.raftStatus(g);
        return { group: g, role: st.softState.role, lead: String(st.softState.lead), term: st.hardState.term, commit: st.hardState.commit, applied: st.applied, voters: st.conf.voters.map(String), learners: st.conf.learners.map(String), placement: host.placement(g) ?? null };
      });
      return { ok: true, now: Date.now(), self: cluster.self, members: host.memberPeers(), checks: sh.manager.checks, map: sh.map().shards.map((s) => ({ shard: s.id, replicas: s.replicas, learners: s.learners, leader: s.leader ?? null, term: s.term })), groups };
    }
    case 'importLdbc': {
      const { importLdbcFolder } = await import('../../packages/cli/src/import/importer.ts');
      const { storeOf } = await import('../../src/api/database.ts');
      const quiet = { fileStarted: () => {}, fileProgress: () => {}, fileFinished: () => {} };
      const local = await openGeode({ storage: 'memory' });
      await importLdbcFolder(local, String(req['folder']), quiet);
      if (cluster.sharding === undefined) {
        // One shard: the same graph's commands into group 0 in batches of 2,000 (as the bulk import does per shard).
        const t0 = Date.now();
        const g = storeOf(local);
        const commands: GraphCommand[] = g.indexes().filter((ix) => !ix.unique).map((ix): GraphCommand => ({ op: 'createIndex', name: ix.name, label: ix.label, keys: ix.keys }));
        for (const x of g.nodes()) commands.push({ op: 'createNode', id: x.id, labels: [...x.labels], props: [...x.props] as never });
        for (const e of g.edges()) commands.push({ op: 'createEdge', id: e.id, type: e.type, src: e.src.id, dst: e.dst.id, props: [...e.props] as never });
        for (let i = 0; i < commands.length; i += 2_000) await cluster.host!.submitCommands(0, commands.slice(i, i + 2_000), { timeoutMs: 60_000 });
        await local.close();
        return { ok: true, nodes: g.nodeCount, edges: g.edgeCount, cut: 0, ms: Date.now() - t0 };
      }
      const summary = await cluster.sharding.importGraph(storeOf(local), { timeoutMs: 60_000 });
      await local.close();
      return { ok: true, ...summary };
    }
    default:
      return { ok: false, code: 'INPUT_INVALID', message: `unknown op ${String(req['op'])}` };
  }
}

/** Writes from this process: `concurrency` loops for `ms`, paced to `rate` per second overall (0: unpaced). */
async function load(rate: number, ms: number, concurrency: number, prefix: string): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const lat: number[] = [];
  let sent = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const due = rate > 0 ? t0 + (sent * 1000) / rate : 0;
        const now = performance.now();
        if (now - t0 >= ms) return;
        if (due > now) await new Promise((r) => setTimeout(r, due - now));
        if (performance.now() - t0 >= ms) return;
        const k = `${prefix}${sent++}`;
        const s = performance.now();
        try {
          await db.query('CREATE (:B {k: $k})', { k });
          lat.push(performance.now() - s);
        } catch {
          failed++;
        }
      }
    }),
  );
  lat.sort((a, b) => a - b);
  const q = (x: number): number => lat[Math.min(lat.length - 1, Math.floor(x * lat.length))] ?? NaN;
  return { ok: true, acked: lat.length, failed, elapsedMs: performance.now() - t0, p50Ms: q(0.5), p99Ms: q(0.99) };
}

/** Transactions from this process (the `txnLoad` op): `concurrency` loops for `ms`. */
async function txnLoad(kind: 'single' | 'two' | 'contended', ms: number, concurrency: number, a: readonly bigint[], b: readonly bigint[], retries: number): Promise<Record<string, unknown>> {
  const read = 'MATCH (p:Acct {id: $id}) RETURN p.balance AS b';
  const add = 'MATCH (p:Acct {id: $id}) SET p.balance = $b';
  const move = async (tx: GeodeTransaction, id: bigint, by: bigint): Promise<void> => {
    const cur = (await tx.query(read, { id })).rows[0]!['b'] as bigint;
    await tx.query(add, { id, b: cur + by });
  };
  const hot = [a[0]!, a[1]!, b[0]!, b[1]!];
  const lat: number[] = [];
  let attempts = 0;
  let aborted = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let n = 0; performance.now() < end; n++) {
        const t0 = performance.now();
        try {
          await db.transaction(
            async (tx) => {
              attempts++;
              if (kind === 'single') await move(tx, (n % 2 === 0 ? a : b)[w]!, 1n); // each shard in turn: one may be led here
              else if (kind === 'two') {
                await move(tx, a[w]!, 1n);
                await move(tx, b[w]!, 1n);
              } else {
                const i = Math.floor(Math.random() * 4);
                const j = (i + 1 + Math.floor(Math.random() * 3)) % 4;
                await move(tx, hot[i]!, -1n);
                await move(tx, hot[j]!, 1n);
              }
            },
            { retries, backoffMs: 2 },
          );
          lat.push(performance.now() - t0);
        } catch (err) {
          const e = err as { code?: string };
          if (e.code !== 'PROPOSAL_DROPPED') throw err;
          aborted++;
          await new Promise((r) => setTimeout(r, Math.random() * 4));
        }
      }
    }),
  );
  lat.sort((x, y) => x - y);
  const q = (x: number): number => lat[Math.min(lat.length - 1, Math.floor(x * lat.length))] ?? NaN;
  return { ok: true, committed: lat.length, attempts, aborted: attempts - lat.length, p50Ms: q(0.5), p99Ms: q(0.99), failed: aborted };
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const req = decodeJsonValue(JSON.parse(line)) as Record<string, unknown>;
  handle(req).then(
    (answer) => {
      send({ id: req['id'], ...answer });
      if (req['op'] === 'close') process.exit(0);
    },
    (err: unknown) => {
      const e = err as { code?: string; detail?: string; message?: string };
      send({ id: req['id'], ok: false, code: e.code ?? 'ERROR', detail: e.detail ?? null, message: e.message ?? String(err) });
    },
  );
});
const stop = (): void => {
  void db.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
