/**
 * A seeded simulation of graph transactions on a sharded clustered database: five shard hosts in
 * virtual time (src/shard/sim-cluster.ts), three shards (groups 1–3, 3 voters and 2 learners
 * each) and the transaction-record group 0, every host running what a member of a sharded
 * cluster runs for transactions ({@link startClusterTxn}: a coordinator over the shard wire,
 * answering other members' `txn` calls, an intent resolver, the write guard) on the simulator's
 * clock. Clients run GQL statements through the member's {@link ShardedRouter} inside a
 * {@link GraphTransaction} — the path `db.transaction(fn)` and `START TRANSACTION` take on a
 * clustered database — while hosts crash (losing unsynced writes) and restart, get cut off and
 * healed, and coordinators die between prepare and commit (their host crashes at the
 * coordinator's fault points: after the prepares, after the decision, before a resolution).
 *
 * Workloads, at one isolation level per seed (odd seeds serializable, even ones snapshot):
 * - **list-append** (Elle): keys `(:Key {id, list})` two per shard; a transaction does 1–4
 *   reads (`RETURN k.list`) and appends (`SET k.list = k.list + [v]`, values unique per key) over
 *   random keys; on half the seeds (2, 3, 6, 7, ...) four more clients append to one hot key back
 *   to back (single-statement transactions: some lost updates need commits close together). The history (ok / fail / info per transaction) is checked by the Elle-style
 *   checker (src/sim/elle/list-append.ts) at the seed's level: no G0, G1a, G1b, G1c (dirty
 *   writes and reads), no G-single (lost update, read skew); under serializable no G2 (write
 *   skew) either. Under snapshot, G2 is allowed and counted (`writeSkews`).
 * - **bank**: accounts `(:Account {id, balance})` two per shard; transfers read two accounts and
 *   move an amount when the source holds it; audits (READ ONLY) sum every balance: each committed
 *   audit must see the initial total.
 *
 * Checked after the faults (healed, every host up): within the time limit of a transaction plus
 * the resolvers' period and a leader election, no group holds an intent (no lock outlives its
 * coordinator); every group's replicas converge to the same graph; a final read-only transaction
 * sees the initial bank total, and every list-append transaction's appends are all there or none
 * (all for committed ones, none for failed ones): no half-applied transaction is visible. The
 * final read joins the history, so the checker sees the final lists too.
 *
 * A transaction's outcome as its client sees it: committed when `commit()` resolved; failed when a
 * statement or the commit rejected PROPOSAL_DROPPED other than `OutcomeUnknown` (the transaction
 * did not happen); unknown otherwise (time limits, IO `TxnOutcomeUnknown`, the member closed).
 *
 * TEST-ONLY: planted bugs ({@link GraphTxnSimOptions.plant}) the checks must catch.
 */
import { GraphStore, type GraphCommand } from '../graph/index.ts';
import { SimCluster } from '../shard/sim-cluster.ts';
import type { ShardHost } from '../shard/host.ts';
import { isGeodeError } from '../util/errors.ts';
import type { Prng } from '../sim/prng.ts';
import { checkListAppend, type IsolationLevel, type ListOp, type ListTxn } from '../sim/elle/list-append.ts';
import { ShardedRouter } from '../cluster/sharded-router.ts';
import { idBase, type ShardManager } from '../cluster/shard-manager.ts';
import { applyShardMapChange, emptyShardMap, type ShardMapChange, type ShardMapState } from '../cluster/shard-map.ts';
import { GraphTransaction, type GraphTxnComponents } from './graph-transaction.ts';
import { HybridClock } from './hlc.ts';
import { intents } from './intents.ts';
import { startClusterTxn, TXN_RECORD_GROUP, type ClusterTxn, type ClusterTxnEnv } from './shard-committer.ts';
import type { CoordinatorFaults, TxnCoordinator, TxnIsolation, TxnTransport } from './two-phase.ts';

/** What one seed's run did and found. */
export interface GraphTxnSimReport {
  readonly seed: number;
  readonly isolation: TxnIsolation;
  /** Transactions (list-append, transfers, audits) by outcome as their clients saw it. */
  readonly committed: number;
  readonly aborted: number;
  readonly unknown: number;
  /** Committed list-append transactions that touched two or more shards. */
  readonly crossShard: number;
  /** Committed audits (each saw the initial total). */
  readonly audits: number;
  /** Of those, audits read at a past timestamp (`asOf`: a cut of every shard by commit timestamps). */
  readonly asOfAudits: number;
  readonly transfers: number;
  readonly crashes: number;
  readonly partitions: number;
  /** Crashes of a coordinator's host at one of its fault points (counted in `crashes` too). */
  readonly coordinatorKills: number;
  /** Of those, kills after every participant prepared and before the decision (between prepare and commit). */
  readonly killsAfterPrepare: number;
  /** G2 cycles found under snapshot isolation (allowed there; 0 under serializable or it is a violation). */
  readonly writeSkews: number;
  /** 1 when the seed ran the hot-key clients (seeds 2, 3, 6, 7, ...). */
  readonly hotSeeds: number;
  /** Virtual ms from the end of the faults until no group held an intent. */
  readonly quiesceMs: number;
  /** Empty when the run is correct. */
  readonly violations: readonly string[];
}

/** TEST-ONLY planted bugs: each must make the checks fail on some seeds. */
export interface GraphTxnSimOptions {
  readonly plant?: 'skip-validation' | 'apply-half' | 'as-of-skip-seen';
  /** Virtual ms of faults (default 1,500). */
  readonly durationMs?: number;
}

const SHARDS = [0, 1, 2];
const GROUPS = [1, 2, 3];
const PEERS = ['p1', 'p2', 'p3', 'p4', 'p5'];
/** Keys and accounts 1..6, two per shard (range-sharded by id). */
const KEYS = [1, 2, 3, 4, 5, 6];
const ACCOUNTS = [1, 2, 3, 4, 5, 6];
const BALANCE = 100n;
const TOTAL = BALANCE * BigInt(ACCOUNTS.length);
/** A transaction's time limit, ms (its intents' deadline too): the simulated `timeout_ms`. */
export const simTxnTimeoutMs = 1_500;
/** Resolver period of every member, ms. */
const resolverPeriodMs = 200;
/** Largest clock skew of a host, ms. */
const skewMsMax = 50;
/** Chance that a coordinator's host crashes at one of its fault points. */
const coordinatorKillChance = 0.03;
/** The members' wall clocks start here (transaction messages carry whole, non-negative ms). */
const clockBaseMs = 1_000_000;
/** How long after the faults every intent must be gone: a time limit, two resolver periods, elections and catch-up. */
const quiesceMsMax = simTxnTimeoutMs + 2 * resolverPeriodMs + 3_000;

const READ_KEY = 'MATCH (k:Key {id: $k}) RETURN k.list AS l';
const APPEND_KEY = 'MATCH (k:Key {id: $k}) SET k.list = k.list + [$v]';
const READ_ACCOUNT = 'MATCH (a:Account {id: $id}) RETURN a.balance AS b';
const MOVE = 'MATCH (a:Account {id: $id}) SET a.balance = a.balance + $d';
const AUDIT = 'MATCH (a:Account) RETURN sum(a.balance) AS t';
const READ_ALL_KEYS = 'MATCH (k:Key) RETURN k.id AS k, k.list AS l';

/** The map: Key and Account range-sharded by id, two of each per shard. */
export function simTxnMap(): ShardMapState {
  const changes: ShardMapChange[] = [
    ...SHARDS.map((i): ShardMapChange => ({ op: 'addShard', shard: i, group: GROUPS[i]! })),
    { op: 'setSharding', label: undefined, sharding: { strategy: 'hash', shards: SHARDS } },
    { op: 'setSharding', label: 'Key', sharding: { strategy: 'range', shards: SHARDS, key: 'id', ranges: [3n, 5n] } },
    { op: 'setSharding', label: 'Account', sharding: { strategy: 'range', shards: SHARDS, key: 'id', ranges: [3n, 5n] } },
  ];
  return changes.reduce(applyShardMapChange, emptyShardMap());
}

/** The initial commands of shard `shard`: its id-base marker, its keys and its accounts. */
function initialCommands(shard: number): GraphCommand[] {
  const out: GraphCommand[] = [{ op: 'createNode', id: idBase(shard), labels: [], props: [] }];
  const mine = (id: number): boolean => (id < 3 ? 0 : id < 5 ? 1 : 2) === shard;
  for (const k of KEYS) if (mine(k)) out.push({ op: 'createNode', id: 100 + k, labels: ['Key'], props: [['id', BigInt(k)], ['list', []]] });
  for (const a of ACCOUNTS) if (mine(a)) out.push({ op: 'createNode', id: 200 + a, labels: ['Account'], props: [['id', BigInt(a)], ['balance', BALANCE]] });
  return out;
}

/** shardOfId: the shard of key or account `id` under {@link simTxnMap}. */
function shardOfId(id: number): number {
  return id < 3 ? 0 : id < 5 ? 1 : 2;
}

/** A member as the simulation drives it. */
interface Member {
  readonly host: ShardHost;
  readonly txn: ClusterTxn;
  readonly router: ShardedRouter;
  readonly components: GraphTxnComponents;
}

/** How a client saw a transaction end. */
type Outcome = 'ok' | 'fail' | 'info';

/** outcomeOf: `fail` when the error says nothing happened, `info` when it may have. */
export function outcomeOf(err: unknown): Outcome {
  if (isGeodeError(err, 'PROPOSAL_DROPPED') && err.detail !== 'OutcomeUnknown') return 'fail';
  return 'info';
}

/** The planted bugs, wrapped around a member's coordinator and transport. */
function planted(txn: ClusterTxn, plant: GraphTxnSimOptions['plant'], leaderIndex: (g: number) => number | undefined): { coordinator: TxnCoordinator; transport: TxnTransport } {
  if (plant === 'skip-validation') {
    // Every check of a group's index passes: the expected index is the one the leader stands at now.
    const transport: TxnTransport = {
      send: (group, request, deadline) => {
        if (request.op === 'apply') {
          const now = leaderIndex(group);
          return txn.transport.send(group, now === undefined ? request : { ...request, expect: now }, deadline);
        }
        return txn.transport.send(group, request, deadline);
      },
    };
    const coordinator = Object.create(txn.coordinator) as TxnCoordinator;
    coordinator.commitAcrossShards = (parts, o) => txn.coordinator.commitAcrossShards(parts, { ...o, expect: new Map() });
    return { coordinator, transport };
  }
  if (plant === 'apply-half') {
    // A cross-shard commit writes only its first group's part (the others' parts are dropped).
    const coordinator = Object.create(txn.coordinator) as TxnCoordinator;
    coordinator.commitAcrossShards = (parts, o) => {
      const first = [...parts.keys()].sort((a, b) => a - b).find((g) => parts.get(g)!.length > 0);
      const half = new Map([...parts].map(([g, c]) => [g, g === first ? c : []] as const));
      return txn.coordinator.commitAcrossShards(half, o);
    };
    return { coordinator, transport: txn.transport };
  }
  return { coordinator: txn.coordinator, transport: txn.transport };
}

/** How a client's transaction ran: its outcome, the body's value when committed, the error otherwise. */
export interface SimTxnResult<T> {
  readonly outcome: Outcome;
  readonly value?: T;
  readonly error?: unknown;
}

/** Runs one statement in the transaction; its rows. */
export type SimStatement = (text: string, params: Record<string, unknown>) => Promise<readonly Record<string, unknown>[]>;

/**
 * SimTxnCluster: the simulated sharded clustered database — five members, the record group and
 * three shard groups holding the keys and accounts — with its faults (crashes, coordinator kills)
 * and a way to run a client's graph transaction through a member.
 */
export class SimTxnCluster {
  readonly c: SimCluster;
  readonly members = new Map<string, Member>();
  readonly stats = { crashes: 0, partitions: 0, coordinatorKills: 0, killsAfterPrepare: 0 };
  /** True while coordinators may be killed at their fault points. */
  faulty = false;
  restarting = new Set<string>();
  readonly #map = simTxnMap();
  readonly #skews: Map<string, number>;
  readonly #crashRnd: Prng;
  readonly #plant: GraphTxnSimOptions['plant'];

  /** `config`: shard keys added to the simulation's (tests set `transactions.mvcc_history_entries` so). */
  constructor(seed: number, plant?: GraphTxnSimOptions['plant'], config: Readonly<Record<string, unknown>> = {}) {
    this.c = new SimCluster({
      seed,
      groups: [TXN_RECORD_GROUP, ...GROUPS],
      delayMs: [1, 4],
      syncDelayMs: [1, 12],
      config: { raft: { tick_ms: 10, snapshot_threshold: 200 }, request_timeout_ms: 1_500, replication: { factor: 3 }, async_replicas: 2, ...config },
      // Each member's hybrid clock stamps its versions, on its skewed wall clock.
      versions: (peer) => new HybridClock(() => clockBaseMs + Math.floor(this.c.scheduler.now) + this.#skews.get(peer)!),
    });
    const rnd = this.c.prng.fork();
    this.#skews = new Map(PEERS.map((p) => [p, rnd.int(-skewMsMax, skewMsMax)]));
    this.#crashRnd = this.c.prng.fork();
    this.#plant = plant;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => this.c.scheduler.after(ms, r));
  }

  leaderOf(g: number): ShardHost | undefined {
    return [...this.c.hosts.values()].find((h) => h.isLeader(g));
  }

  crash(peer: string): void {
    this.members.get(peer)?.txn.stop();
    this.members.delete(peer);
    this.c.crash(peer);
    this.stats.crashes++;
  }

  restartLater(peer: string, ms: number): void {
    this.restarting.add(peer);
    this.c.scheduler.after(ms, () => void this.start(peer).then(() => this.restarting.delete(peer)));
  }

  /** start: `peer`'s host and its member's transaction side and router, on the simulator's clock (the host's skew). */
  async start(peer: string, bootstrap = false): Promise<ShardHost> {
    const { c } = this;
    const s = c.scheduler;
    const host = await c.start(peer, bootstrap);
    const skew = this.#skews.get(peer)!;
    const sleep = (ms: number): Promise<void> => this.sleep(ms);
    const env: ClusterTxnEnv = {
      now: () => clockBaseMs + Math.floor(s.now) + skew,
      sleep,
      random: c.prng.fork().fn(),
      after: (ms, fn) => {
        let live = true;
        s.after(ms, () => live && fn());
        return () => (live = false);
      },
    };
    // The coordinator lives in its host's process: it dies there, between prepare and commit too.
    const midCommit = (afterPrepare: boolean): void => {
      if (!this.faulty || c.hosts.get(peer as never) !== host || c.hosts.size <= 3 || !this.#crashRnd.chance(coordinatorKillChance)) return;
      this.crash(peer);
      this.stats.coordinatorKills++;
      if (afterPrepare) this.stats.killsAfterPrepare++;
      this.restartLater(peer, this.#crashRnd.int(100, 600));
    };
    const faults: CoordinatorFaults = { afterPrepare: () => midCommit(true), afterDecide: () => midCommit(false), beforeResolve: () => midCommit(false) };
    const txn = startClusterTxn(host, { env, faults, resolverPeriodMs });
    const { coordinator, transport } = planted(txn, this.#plant, (g) => this.leaderOf(g)?.graphIndex(g));
    // The router's view of the shard map: fixed in this simulation (no placement moves).
    const map = this.#map;
    const manager = { host, map: () => map, ready: () => Promise.resolve(map), refresh: () => Promise.resolve(map), leaseIds: () => Promise.reject(new Error('the simulation inserts nothing')) };
    const router = new ShardedRouter(manager as unknown as ShardManager);
    this.members.set(peer, { host, txn, router, components: { host, coordinator, transport, now: env.now, sleep, after: env.after } });
    return host;
  }

  /** form: starts the five members, waits for every group, loads the keys and accounts; false when the groups did not form. */
  async form(): Promise<boolean> {
    const { c } = this;
    const groups = [TXN_RECORD_GROUP, ...GROUPS];
    await this.start('p1', true);
    for (const p of PEERS.slice(1)) await this.start(p);
    const formed = await c.until(() => groups.every((g) => [...c.hosts.values()].some((h) => h.isLeader(g) && h.raftStatus(g).conf.voters.length === 3 && h.raftStatus(g).conf.learners.length === 2)), 30_000);
    if (!formed) return false;
    for (const shard of SHARDS) {
      const g = GROUPS[shard]!;
      await c.until(() => this.leaderOf(g) !== undefined, 10_000);
      await c.value(this.leaderOf(g)!.applyCommands(g, initialCommands(shard)));
    }
    // Every replica holds the initial data before the clients start (the router waits for id bases otherwise).
    return c.until(() => GROUPS.every((g, i) => [...c.hosts.values()].every((h) => h.graph(g).node(idBase(i)) !== undefined)), 10_000);
  }

  /**
   * transaction: runs `body` in a graph transaction through `peer`'s router (as `db.transaction`
   * on that member does, one attempt) and commits it; how it ended as its client sees it.
   */
  async transaction<T>(
    peer: string,
    options: { readonly isolation: TxnIsolation; readonly readOnly: boolean; readonly asOfAgoMs?: number },
    body: (run: SimStatement) => Promise<T>,
  ): Promise<SimTxnResult<T>> {
    const m = this.members.get(peer);
    if (m === undefined) return { outcome: 'fail' };
    const now = m.components.now();
    const asOf = options.asOfAgoMs === undefined ? undefined : { wall: now - options.asOfAgoMs, logical: 0 };
    let tx: GraphTransaction;
    try {
      tx = new GraphTransaction(m.components, { isolation: options.isolation, readOnly: options.readOnly, deadline: now + simTxnTimeoutMs, asOf, plantSkipSeen: this.#plant === 'as-of-skip-seen' });
    } catch (err) {
      return { outcome: outcomeOf(err), error: err };
    }
    return this.#finish(tx, m, body);
  }

  /**
   * begin: a graph transaction through `peer` left open: its statements, and its commit (as a
   * session's COMMIT). `timeoutMs`: its time limit (default the simulation's).
   */
  begin(peer: string, isolation: TxnIsolation, readOnly = false, timeoutMs = simTxnTimeoutMs): { run: SimStatement; commit: () => Promise<SimTxnResult<void>> } {
    const m = this.members.get(peer);
    if (m === undefined) throw new Error(`${peer} is not running`);
    const tx = new GraphTransaction(m.components, { isolation, readOnly, deadline: m.components.now() + timeoutMs });
    return {
      run: async (text, params) => (await m.router.run(text, params, { timeoutMs: simTxnTimeoutMs }, tx)).rows,
      commit: () => tx.commit().then(() => ({ outcome: 'ok' as const }), (error: unknown) => ({ outcome: outcomeOf(error), error })),
    };
  }

  async #finish<T>(tx: GraphTransaction, m: Member, body: (run: SimStatement) => Promise<T>): Promise<SimTxnResult<T>> {
    try {
      const value = await body(async (text, params) => (await m.router.run(text, params, { timeoutMs: simTxnTimeoutMs }, tx)).rows);
      await tx.commit();
      return { outcome: 'ok', value };
    } catch (err) {
      tx.end();
      if (process.env['GRAPH_TXN_SIM_DEBUG'] !== undefined) {
        process.stderr.write(`${Math.round(this.c.scheduler.now)} ${m.host.self} ${tx.readOnly ? 'ro' : 'rw'}: ${isGeodeError(err) ? `${err.code} ${err.detail ?? ''} ${err.message}` : String(err)}\n`);
      }
      return { outcome: outcomeOf(err), error: err };
    }
  }

  async close(): Promise<void> {
    for (const m of this.members.values()) m.txn.stop();
    for (const h of this.c.hosts.values()) await h.close();
  }
}

/** runGraphTxnSim: one seeded run. */
export async function runGraphTxnSim(seed: number, options: GraphTxnSimOptions = {}): Promise<GraphTxnSimReport> {
  const durationMs = options.durationMs ?? 1_500;
  const isolation: TxnIsolation = seed % 2 === 1 ? 'serializable' : 'snapshot';
  const level: IsolationLevel = isolation === 'serializable' ? 'serializable' : 'snapshot-isolation';
  const groups = [TXN_RECORD_GROUP, ...GROUPS];
  const sim = new SimTxnCluster(seed, options.plant);
  const { c, members } = sim;
  const s = c.scheduler;
  const sleep = (ms: number): Promise<void> => sim.sleep(ms);
  const leaderOf = (g: number): ShardHost | undefined => sim.leaderOf(g);
  const violations: string[] = [];
  const fail = (m: string): void => void violations.push(`seed ${seed} (${isolation}${options.plant === undefined ? '' : `, planted ${options.plant}`}): ${m}`);
  const stats = { committed: 0, aborted: 0, unknown: 0, crossShard: 0, audits: 0, asOfAudits: 0, transfers: 0, writeSkews: 0, quiesceMs: 0, hotSeeds: 0 };
  const report = (): GraphTxnSimReport => ({ seed, isolation, ...stats, ...sim.stats, violations });
  if (!(await sim.form())) return { ...report(), violations: [`seed ${seed}: the groups did not form`] };
  sim.faulty = true;
  const transaction = <T>(peer: string, readOnly: boolean, body: (run: SimStatement) => Promise<T>): Promise<SimTxnResult<T>> => sim.transaction(peer, { isolation, readOnly }, body);
  const count = (o: Outcome): void => {
    if (o === 'ok') stats.committed++;
    else if (o === 'fail') stats.aborted++;
    else stats.unknown++;
  };
  /** Errors a client may see under faults (anything else is a violation). */
  const explained = (err: unknown): boolean =>
    isGeodeError(err) && (err.code === 'PROPOSAL_DROPPED' || err.code === 'LIMIT_EXCEEDED' || err.code === 'CLOSED' || err.code === 'IO' || err.code === 'NOT_FOUND');

  const end = s.now + durationMs;
  const loadedAt = s.now;
  const history: ListTxn[] = [];
  let nextTxn = 0;
  const nextValue = new Map(KEYS.map((k) => [k, 0]));

  async function listClient(): Promise<void> {
    const my = c.prng.fork();
    while (s.now < end) {
      const up = [...members.keys()];
      if (up.length > 0) await listTxn(my, my.pick(up));
      await sleep(my.int(5, 40));
    }
  }

  async function listTxn(my: Prng, peer: string): Promise<void> {
    const plan: { f: 'read' | 'append'; key: number; value: number }[] = [];
    const n = my.int(1, 4);
    for (let i = 0; i < n; i++) {
      const key = my.pick(KEYS);
      if (my.chance(0.5)) plan.push({ f: 'read', key, value: 0 });
      else {
        const v = nextValue.get(key)! + 1;
        nextValue.set(key, v);
        plan.push({ f: 'append', key, value: v });
      }
    }
    const reads: (readonly number[] | undefined)[] = plan.map(() => undefined);
    const r = await transaction(peer, false, async (run) => {
      for (let i = 0; i < plan.length; i++) {
        const p = plan[i]!;
        if (p.f === 'append') await run(APPEND_KEY, { k: BigInt(p.key), v: BigInt(p.value) });
        else reads[i] = ((await run(READ_KEY, { k: BigInt(p.key) }))[0]?.['l'] as bigint[] | undefined ?? []).map(Number);
      }
    });
    if (r.outcome !== 'ok' && !explained(r.error)) fail(`a list-append transaction through ${peer} failed with ${String(r.error)}`);
    count(r.outcome);
    if (r.outcome === 'ok' && new Set(plan.map((p) => shardOfId(p.key))).size > 1) stats.crossShard++;
    const ops: ListOp[] = plan.map((p, i) => (p.f === 'append' ? { f: 'append', key: `k${p.key}`, value: p.value } : { f: 'read', key: `k${p.key}`, value: r.outcome === 'ok' ? reads[i] : undefined }));
    history.push({ id: ++nextTxn, status: r.outcome, ops });
  }

  /** A hot key: single appends to key 1 back to back (a commit checked in a narrow window meets another's write). */
  async function hotClient(): Promise<void> {
    const my = c.prng.fork();
    while (s.now < end) {
      const up = [...members.keys()];
      if (up.length > 0) {
        const peer = my.pick(up);
        const v = nextValue.get(1)! + 1;
        nextValue.set(1, v);
        const r = await transaction(peer, false, async (run) => void (await run(APPEND_KEY, { k: 1n, v: BigInt(v) })));
        if (r.outcome !== 'ok' && !explained(r.error)) fail(`a hot-key append through ${peer} failed with ${String(r.error)}`);
        count(r.outcome);
        history.push({ id: ++nextTxn, status: r.outcome, ops: [{ f: 'append', key: 'k1', value: v }] });
      }
      await sleep(my.int(0, 3));
    }
  }

  async function bankClient(): Promise<void> {
    const my = c.prng.fork();
    while (s.now < end) {
      const up = [...members.keys()];
      if (up.length > 0) {
        const peer = my.pick(up);
        const from = my.pick(ACCOUNTS);
        const to = my.pick(ACCOUNTS.filter((a) => a !== from));
        const amount = BigInt(my.int(1, 30));
        const r = await transaction(peer, false, async (run) => {
          const [a] = await run(READ_ACCOUNT, { id: BigInt(from) });
          await run(READ_ACCOUNT, { id: BigInt(to) });
          if ((a?.['b'] as bigint) < amount) return false;
          await run(MOVE, { id: BigInt(from), d: -amount });
          await run(MOVE, { id: BigInt(to), d: amount });
          return true;
        });
        if (r.outcome !== 'ok' && !explained(r.error)) fail(`a transfer through ${peer} failed with ${String(r.error)}`);
        count(r.outcome);
        if (r.outcome === 'ok' && r.value === true) stats.transfers++;
      }
      await sleep(my.int(5, 40));
    }
  }

  async function auditor(pastOnly = false): Promise<void> {
    const my = c.prng.fork();
    while (s.now < end) {
      const up = [...members.keys()];
      if (up.length > 0) {
        const peer = my.pick(up);
        // Half the audits read at a past timestamp (after the accounts were loaded, and closed: older than the clock skew bound).
        const ago = s.now - loadedAt > 800 && (pastOnly || my.next() < 0.5) ? my.int(600, Math.min(1_500, Math.floor(s.now - loadedAt) - 100)) : undefined;
        if (pastOnly && ago === undefined) {
          await sleep(50);
          continue;
        }
        const audit = async (run: SimStatement): Promise<bigint> => (await run(AUDIT, {}))[0]?.['t'] as bigint;
        const r = ago === undefined ? await transaction(peer, true, audit) : await sim.transaction(peer, { isolation, readOnly: true, asOfAgoMs: ago }, audit);
        if (r.outcome !== 'ok' && !explained(r.error)) fail(`an audit${ago === undefined ? '' : ` ${ago} ms in the past`} through ${peer} failed with ${String(r.error)}`);
        count(r.outcome);
        if (r.outcome === 'ok') {
          stats.audits++;
          if (ago !== undefined) stats.asOfAudits++;
          if (r.value !== TOTAL) fail(`an audit${ago === undefined ? '' : ` ${ago} ms in the past`} through ${peer} committed having seen a total of ${String(r.value)}, not ${TOTAL}`);
        }
      }
      await sleep(pastOnly ? my.int(2, 15) : my.int(10, 60));
    }
  }

  async function nemesis(): Promise<void> {
    const my = c.prng.fork();
    while (s.now < end) {
      await sleep(my.int(150, 500));
      const up = [...c.hosts.keys()];
      // The first fault of a run is a crash, so every seed has one.
      const roll = sim.stats.crashes === 0 ? 0 : my.next();
      if (roll < 0.4 && up.length > 3) {
        const victim = my.pick(up);
        sim.crash(victim);
        sim.restartLater(victim, my.int(100, 600));
      } else if (roll < 0.7) {
        c.net.isolate(my.pick(PEERS) as never);
        sim.stats.partitions++;
      } else {
        c.net.healAll();
      }
    }
  }

  let finished = false;
  // Hot-key clients on half the seeds (both levels): they keep shard 0 moving, which aborts most audits.
  const hot = Math.floor(seed / 2) % 2 === 1 ? [hotClient(), hotClient(), hotClient(), hotClient()] : [];
  if (hot.length > 0) stats.hotSeeds = 1;
  void Promise.all([...hot, listClient(), listClient(), listClient(), bankClient(), bankClient(), auditor(), auditor(true), nemesis()]).then(() => (finished = true));
  if (!(await c.until(() => finished, durationMs + 60_000))) fail('the clients did not finish');

  // Quiescence: heal, everyone up; within a time limit and two resolver periods (plus elections),
  // no intent is left in any group: no lock outlives its coordinator.
  sim.faulty = false;
  c.net.healAll();
  const quietFrom = s.now;
  await c.until(() => sim.restarting.size === 0, 5_000);
  sim.restarting = new Set();
  for (const p of PEERS) if (!c.hosts.has(p as never)) await sim.start(p);
  const free = await c.until(() => GROUPS.every((g) => { const l = leaderOf(g); return l !== undefined && l.graphIndex(g) !== undefined && intents(l.graph(g)).length === 0; }), quiesceMsMax);
  stats.quiesceMs = Math.round(s.now - quietFrom);
  if (!free) {
    fail(`intents still held ${quiesceMsMax} ms after the faults: ${GROUPS.map((g) => `group ${g}: ${leaderOf(g) === undefined ? 'no leader' : intents(leaderOf(g)!.graph(g)).map((i) => i.txn).join(', ')}`).join('; ')}`);
  }

  // The final state, read in one read-only transaction (retried until it commits).
  let finalLists: Map<number, number[]> | undefined;
  let finalTotal: bigint | undefined;
  for (let attempt = 0; attempt < 10 && finalLists === undefined; attempt++) {
    const r = await c.settle(
      transaction(PEERS[attempt % PEERS.length]!, true, async (run) => ({ lists: await run(READ_ALL_KEYS, {}), total: (await run(AUDIT, {}))[0]?.['t'] as bigint })),
      30_000,
    );
    if (r.ok && r.value.outcome === 'ok') {
      finalLists = new Map(r.value.value!.lists.map((row) => [Number(row['k'] as bigint), (row['l'] as bigint[]).map(Number)]));
      finalTotal = r.value.value!.total;
    } else await c.run(200);
  }
  if (finalLists === undefined) fail('a read-only transaction of the final state did not commit after the faults stopped');
  else {
    if (finalTotal !== TOTAL) fail(`the accounts hold ${String(finalTotal)} after the faults, not ${TOTAL}`);
    history.push({ id: ++nextTxn, status: 'ok', ops: KEYS.map((k) => ({ f: 'read', key: `k${k}`, value: finalLists!.get(k) ?? [] })) });
    // No half-applied transaction: each one's appends all there or none.
    for (const t of history) {
      const appends = t.ops.filter((o) => o.f === 'append');
      if (appends.length === 0) continue;
      const there = appends.filter((o) => finalLists!.get(Number(o.key.slice(1)))?.includes(o.value as number) === true).length;
      if (there !== 0 && there !== appends.length) fail(`T${t.id} (${t.status}) is half applied: ${there} of its ${appends.length} appends are there`);
      else if (t.status === 'ok' && there === 0) fail(`T${t.id} committed but none of its appends is there`);
      else if (t.status === 'fail' && there > 0) fail(`T${t.id} failed but its appends are there`);
    }
  }
  const verdict = checkListAppend(history, level);
  for (const a of verdict.anomalies.slice(0, 5)) fail(`${a.type}: ${a.description}`);
  stats.writeSkews = verdict.found.filter((a) => a.type === 'G2').length;

  // Replicas of each group converge to the same graph.
  const settled = await c.until(() => c.caughtUp(groups), 20_000);
  if (!settled) fail('the groups did not converge after the faults stopped');
  else {
    for (const g of groups) {
      const states = [...c.hosts.values()].map((h) => JSON.stringify(h.graph(g) instanceof GraphStore ? (h.graph(g) as GraphStore).snapshot() : null, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)));
      if (!states.every((st) => st === states[0])) fail(`the replicas of group ${g} differ`);
    }
  }
  await sim.close();
  return report();
}

/** What {@link runWriteSkew} saw. */
export interface WriteSkewOutcome {
  /** How each of the two transactions ended. */
  readonly outcomes: readonly [Outcome, Outcome];
  /** Accounts 1 and 3 together after both ended (they start at 200; each transaction keeps them at 50 or more alone). */
  readonly sum: bigint | undefined;
}

/**
 * runWriteSkew: the classic write skew on the simulated cluster, no faults. Accounts 1 (shard 0)
 * and 3 (shard 1) hold 100 each; two transactions through two members each read both and, as
 * their sum is at least 150, withdraw 150 from one (T1 from account 1, T2 from account 3), then
 * commit concurrently. Run one after the other, the second sees 50 and withdraws nothing; both
 * committing leaves -100: write skew.
 */
export async function runWriteSkew(seed: number, isolation: TxnIsolation): Promise<WriteSkewOutcome> {
  const sim = new SimTxnCluster(seed);
  try {
    if (!(await sim.form())) throw new Error(`seed ${seed}: the groups did not form`);
    const { c } = sim;
    const withdraw = async (peer: string, from: number): Promise<() => Promise<SimTxnResult<void>>> => {
      const t = sim.begin(peer, isolation);
      const a = (await t.run(READ_ACCOUNT, { id: 1n }))[0]?.['b'] as bigint;
      const b = (await t.run(READ_ACCOUNT, { id: 3n }))[0]?.['b'] as bigint;
      if (a + b >= 150n) await t.run(MOVE, { id: BigInt(from), d: -150n });
      return t.commit;
    };
    const [commit1, commit2] = await c.value(Promise.all([withdraw('p1', 1), withdraw('p2', 3)]));
    const [r1, r2] = await c.value(Promise.all([commit1(), commit2()]));
    let sum: bigint | undefined;
    for (let attempt = 0; attempt < 5 && sum === undefined; attempt++) {
      const r = await c.value(sim.transaction('p3', { isolation: 'serializable', readOnly: true }, async (run) => ((await run(READ_ACCOUNT, { id: 1n }))[0]?.['b'] as bigint) + ((await run(READ_ACCOUNT, { id: 3n }))[0]?.['b'] as bigint)));
      if (r.outcome === 'ok') sum = r.value;
      else await c.run(100);
    }
    return { outcomes: [r1.outcome, r2.outcome], sum };
  } finally {
    await sim.close();
  }
}
