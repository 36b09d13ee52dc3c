/**
 * A seeded simulation of the shard layer: 3 or 5 hosts (drawn from the seed) over the memory
 * transport in virtual time, clients writing and reading registers as GQL statements on random
 * hosts, while hosts crash (losing unsynced writes) and restart, and get partitioned and healed.
 * Afterwards: every host converges to the same graph, final reads see every acknowledged write,
 * and the client history is linearizable under the register model (src/sim/linearizability).
 *
 * Outcomes as the checker needs them: an acknowledged write or read is complete; a write refused
 * before it could commit (PROPOSAL_DROPPED `LeaderChanged`, `NotLeader`, `NoLeader`, a query
 * error) did not happen and is left out; anything else (a timeout, the host crashed under it,
 * `OutcomeUnknown`) is pending: it may or may not have taken effect.
 */
import { checkOperations, kvModel, dropPendingReads, type KvOperation } from '../sim/linearizability/index.ts';
import { isGeodeError } from '../util/errors.ts';
import { SimCluster } from './sim-cluster.ts';

/** What one seed's run did and found. */
export interface ShardSimReport {
  readonly seed: number;
  readonly hosts: number;
  readonly operations: number;
  readonly acknowledgedWrites: number;
  readonly crashes: number;
  readonly partitions: number;
  /** Empty when the run is correct. */
  readonly violations: readonly string[];
}

/** Options of a run. */
export interface ShardSimOptions {
  /**
   * TEST-ONLY planted bug: serve every read from the local replica (read_quorum 1) while the
   * checker still expects linearizable reads, to show the simulation catches stale reads.
   */
  readonly staleReads?: boolean;
}

const WRITE = 'MERGE (k:K {id: $k}) SET k.v = $v';
const READ = 'MATCH (k:K {id: $k}) RETURN k.v AS v';
const notApplied = new Set(['LeaderChanged', 'NotLeader', 'NoLeader', 'LeaderTransfer']);

function definitelyNotApplied(err: unknown): boolean {
  if (!isGeodeError(err)) return false;
  if (err.code === 'PROPOSAL_DROPPED') return err.detail !== undefined && notApplied.has(err.detail);
  return err.code !== 'LIMIT_EXCEEDED' && err.code !== 'CLOSED' && err.code !== 'IO';
}

/** runShardSim: one seeded run; `durationMs` of virtual time under faults. */
export async function runShardSim(seed: number, durationMs = 4_000, options: ShardSimOptions = {}): Promise<ShardSimReport> {
  const config = { raft: { tick_ms: 10, snapshot_threshold: 50 }, request_timeout_ms: 1_500, ...(options.staleReads === true ? { read_quorum: 1 as const } : {}) };
  // Half the seeds give store syncs 1-4 virtual ms, so crashes land between a host's sending (a
  // leader's AppendEntries go out in parallel with its own sync) and its sync finishing.
  const c = new SimCluster({ seed, config, delayMs: [1, 4], ...(seed % 2 === 0 ? { syncDelayMs: [1, 4] as const } : {}) });
  const rnd = c.prng.fork();
  const n = rnd.chance(0.5) ? 3 : 5;
  await c.form(n);
  const peers = [...c.hosts.keys()];
  const history: KvOperation[] = [];
  const violations: string[] = [];
  const end = c.scheduler.now + durationMs;
  let crashes = 0;
  let partitions = 0;
  let acked = 0;
  let value = 0;
  const restarting = new Set<string>();
  const sleep = (ms: number): Promise<void> => new Promise((r) => c.scheduler.after(ms, r));

  async function client(id: number): Promise<void> {
    const my = c.prng.fork();
    while (c.scheduler.now < end) {
      const up = [...c.hosts.keys()];
      if (up.length === 0) {
        await sleep(10);
        continue;
      }
      const host = c.hosts.get(my.pick(up))!;
      const key = my.pick(['a', 'b']);
      const call = c.scheduler.now;
      if (my.chance(0.5)) {
        const v = `${id}-${value++}`;
        try {
          await host.query(WRITE, { k: key, v });
          acked++;
          history.push({ clientId: id, input: { op: 'put', key, value: v }, output: {}, call, ret: c.scheduler.now });
        } catch (err) {
          if (!definitelyNotApplied(err)) history.push({ clientId: id, input: { op: 'put', key, value: v }, output: undefined, call, ret: Infinity });
        }
      } else {
        try {
          const r = await host.query(READ, { k: key });
          const got = r.rows.length === 0 ? '' : String(r.rows[0]!['v']);
          history.push({ clientId: id, input: { op: 'get', key }, output: { value: got }, call, ret: c.scheduler.now });
        } catch {
          // A failed read has no effect.
        }
      }
      await sleep(my.int(1, 20));
    }
  }

  async function nemesis(): Promise<void> {
    const my = c.prng.fork();
    while (c.scheduler.now < end) {
      await sleep(my.int(300, 900));
      const up = [...c.hosts.keys()];
      const roll = my.next();
      if (roll < 0.4 && up.length > Math.floor(n / 2) + 1) {
        const victim = my.pick(up);
        c.crash(victim);
        crashes++;
        restarting.add(victim);
        const downFor = my.int(100, 800);
        c.scheduler.after(downFor, () => {
          void c.start(victim).then(() => restarting.delete(victim));
        });
      } else if (roll < 0.7) {
        c.net.isolate(my.pick(peers));
        partitions++;
      } else {
        c.net.healAll();
      }
    }
  }

  const running = [client(1), client(2), client(3), nemesis()];
  let finished = false;
  void Promise.all(running).then(() => (finished = true));
  await c.until(() => finished, durationMs + 60_000);
  // Liveness phase: heal, restart everyone, converge.
  c.net.healAll();
  await c.until(() => restarting.size === 0, 5_000);
  for (const p of peers) if (!c.hosts.has(p as never)) await c.start(p);
  const converged = await c.until(() => {
    const l = c.leader();
    if (l === undefined) return false;
    const a = [...c.hosts.values()].map((h) => h.raftStatus().applied);
    return a.every((x) => x === a[0]) && a[0] === l.raftStatus().lastIndex;
  }, 20_000);
  if (!converged) violations.push(`seed ${seed}: the hosts did not converge after the faults stopped`);
  // Final reads through every host: see the last state, and count as operations too.
  for (const key of ['a', 'b']) {
    for (const h of c.hosts.values()) {
      const call = c.scheduler.now;
      const r = await c.settle(h.query(READ, { k: key }), 10_000);
      if (!r.ok) {
        violations.push(`seed ${seed}: final read of ${key} on ${h.self} failed: ${String(r.error)}`);
        continue;
      }
      const got = r.value.rows.length === 0 ? '' : String(r.value.rows[0]!['v']);
      history.push({ clientId: 0, input: { op: 'get', key }, output: { value: got }, call, ret: c.scheduler.now });
    }
  }
  // State machine safety: every host holds the same registers.
  const states = [...c.hosts.values()].map((h) => {
    const regs: string[] = [];
    for (const node of h.graph().nodesByLabel('K')) regs.push(`${String(node.props.get('id'))}=${String(node.props.get('v'))}`);
    return regs.sort().join(',');
  });
  if (converged && !states.every((s) => s === states[0])) violations.push(`seed ${seed}: hosts differ: ${states.join(' | ')}`);
  const verdict = checkOperations(kvModel, dropPendingReads(history), { timeBudgetMs: 20_000 });
  if (verdict.outcome === 'illegal') violations.push(`seed ${seed}: not linearizable:\n${verdict.counterexample?.description ?? ''}`);
  for (const h of c.hosts.values()) await h.close();
  return { seed, hosts: n, operations: history.length, acknowledgedWrites: acked, crashes, partitions, violations };
}
