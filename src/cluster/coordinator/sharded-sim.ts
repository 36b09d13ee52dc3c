/**
 * A seeded simulation of a sharded cluster: five shard hosts in virtual time over the memory
 * transport, three shards each its own Raft group (3 voters, 2 learners), a graph drawn from the
 * seed and spread by a sharding map drawn from the seed (hash by node id; hash by key with
 * range-sharded posts; graph-aware), loaded through the groups' leaders. Then, while hosts crash
 * (losing unsynced writes; the first fault of a run is always a crash) and restart, and get cut off
 * and healed:
 *
 * - two readers run queries that cross shards through the coordinator on random hosts;
 * - with a write side ({@link ShardedSimOptions.writes}; `npm run sim:shards` always has one), two
 *   writers insert through random members as a member does (sharded-sim-writes.ts): a single-shard
 *   write is one entry through the member (`submitCommands`, behind the write guard); a write over
 *   two or three shards (an edge between nodes on two shards, a chain over three) goes to the
 *   member's committer: `txnCommitter` — two-phase commit over the shard wire, the decision in the
 *   record group (group 0, run by every host), intent resolvers on every host. A coordinator lives
 *   in its host: it dies with it, and its host may crash at the coordinator's fault points (after
 *   the prepares, after the decision, before a resolution). Each write's outcome is recorded:
 *   acknowledged, failed (nothing written), unknown.
 *
 * Checked during the faults (on every answer):
 * - an answer of a query the writes do not change equals one database holding the drawn graph;
 * - an answer of a query the writes change (WRITE_QUERIES) is checked once every write's outcome is
 *   known, against what any state could show: reads take no snapshot across shards, so a
 *   cross-shard write being resolved may show on some of its shards only (docs/sharding.md); the
 *   answer shows no failed write, no write issued after it ended, no more of a write than it has,
 *   every single-shard write acknowledged before it started in full, and an edge count within
 *   those bounds (checkWriteAnswer);
 * - a failed query or write fails with an error faults explain (time limit, leader change, closed,
 *   shards changed between rounds; for writes `classifyWriteError`), never another.
 *
 * Checked after the faults (healed, every host up, every write settled):
 * - a write over the three shards commits (liveness; up to three attempts);
 * - no group holds an intent (no lock outlives its coordinator);
 * - every group's replicas (the record group's too) hold the same graph;
 * - every write is on all its shards or on none, each shard's part whole or absent; acknowledged
 *   ones on all, failed ones on none; unknown ones either way;
 * - every query answers through two hosts (every host answers some) as one database holding the
 *   drawn graph and the writes found applied.
 */
import { GraphStore, type GraphCommand, type GraphReader, type PropertyValue, type Value } from '../../graph/index.ts';
import { QueryEngine } from '../../query/index.ts';
import { toResultValue } from '../../api/result.ts';
import { SimCluster } from '../../shard/sim-cluster.ts';
import type { ShardHost } from '../../shard/host.ts';
import { GeodeError, isGeodeError } from '../../util/errors.ts';
import type { Prng } from '../../sim/prng.ts';
import type { ShardId } from '../hash-ring.ts';
import { GraphAwarePartitioner } from '../graph-aware-partitioner.ts';
import { applyShardMapChange, emptyShardMap, shardOfNode, shardingOf, type ShardMapChange, type ShardMapState } from '../shard-map.ts';
import { ShardCoordinator } from './coordinator.ts';
import { answerFetch, isInternal, splitGraph, type EdgeData, type FetchAnswer, type FetchRequest, type NodeData } from './shard-data.ts';
import { checkFence, checkMapFresh, cleanedCommand, cleanupCommands, copyCommands, familyOf, fenceCommand, mapAfterSplit, ownerFilter, ownerIn, movingLocked, packGroups, planSplit, SPLIT_LABEL, splitMarkerId, type SplitNode } from '../shard-split.ts';
import type { CrossShardCommitter } from '../cross-shard.ts';
import { buildWrite, checkWriteAnswer, classifyWriteError, familyPartState, itemSharding, partState, referenceGraph, WRITE_QUERIES, writeIds, type SimWrite, type WriteAnswer } from './sharded-sim-writes.ts';

/** What one seed's run did and found. */
export interface ShardedSimReport {
  readonly seed: number;
  readonly map: string;
  readonly queries: number;
  readonly answered: number;
  readonly crossShard: number;
  readonly crashes: number;
  readonly partitions: number;
  /** Writes issued (during the faults, and the one after them that must commit), and how they ended (all 0 without writes). */
  readonly writes: number;
  readonly acked: number;
  readonly failedWrites: number;
  readonly unknownWrites: number;
  /** Writes over two or three shards (two-phase commit). */
  readonly crossShardWrites: number;
  /** Cross-shard writes issued during the faults and acknowledged. */
  readonly ackedCrossShard: number;
  /** 1 when the run had a crash and (with writes) an acknowledged cross-shard write: summed, the seeds that did. */
  readonly covered: number;
  /** Crashes of a coordinator's host at one of its fault points (counted in `crashes` too). */
  readonly midCommitCrashes: number;
  /** Answers to the writes' queries checked against the writes' outcomes. */
  readonly writeAnswers: number;
  /** 1 when a split (the `split` option) ran to its end. */
  readonly splits: number;
  /** Empty when the run is correct. */
  readonly violations: readonly string[];
}

const SHARDS = [0, 1, 2];
const GROUPS = [1, 2, 3];
const PEERS = ['p1', 'p2', 'p3', 'p4', 'p5'];

const QUERIES: readonly string[] = [
  'MATCH (p:Person {id: 7}) RETURN p.age AS age',
  'MATCH (p:Person) RETURN count(p) AS n, sum(p.age) AS s',
  'MATCH (a:Person {id: 3})-[:KNOWS]->(b)-[:KNOWS]->(c) RETURN c.id AS id ORDER BY id',
  'MATCH (p:Person)-[:LIVES_IN]->(c:City) RETURN c.name AS city, count(*) AS n ORDER BY city',
  'MATCH (a:Person)<-[:KNOWS]-(b) WHERE a.id <= 5 RETURN a.id AS a, count(b) AS n ORDER BY a',
  'MATCH (m:Post) WHERE m.created >= 100 AND m.created < 200 RETURN m.id AS id ORDER BY id',
  'MATCH (p:Person)-[:LIKES]->(m:Post) RETURN m.id AS m, count(p) AS n ORDER BY n DESC, m LIMIT 5',
  'MATCH (a:Person {id: 11})-[:KNOWS*1..3]->(b:Person) RETURN count(DISTINCT b) AS reach',
];

function drawMap(rnd: Prng): { name: string; map: ShardMapState } {
  const base: ShardMapChange[] = SHARDS.map((i) => ({ op: 'addShard', shard: i, group: GROUPS[i]! }));
  const kind = rnd.int(0, 2);
  const extra: ShardMapChange[] =
    kind === 0
      ? [{ op: 'setSharding', label: undefined, sharding: { strategy: 'hash', shards: SHARDS } }]
      : kind === 1
        ? [
            { op: 'setSharding', label: undefined, sharding: { strategy: 'hash', shards: SHARDS } },
            { op: 'setSharding', label: 'Person', sharding: { strategy: 'hash', shards: SHARDS, key: 'id' } },
            { op: 'setSharding', label: 'Post', sharding: { strategy: 'range', shards: SHARDS, key: 'created', ranges: [100n, 200n] } },
          ]
        : [{ op: 'setSharding', label: undefined, sharding: { strategy: 'graph-aware', shards: SHARDS } }];
  // The writes' Items: range-sharded by their key under every map, so a write picks its shards.
  return { name: ['hash by id', 'hash by key + range', 'graph-aware'][kind]!, map: [...base, ...extra, itemSharding(SHARDS)].reduce(applyShardMapChange, emptyShardMap()) };
}

function drawGraph(rnd: Prng): GraphStore {
  const g = new GraphStore();
  const e = new QueryEngine(g);
  const people = BigInt(rnd.int(30, 70));
  e.run('UNWIND range(1, 4) AS i CREATE (:City {name: "c" + toString(i)})', {});
  e.run('UNWIND range(1, $n) AS i CREATE (:Person {id: i, age: 18 + i % 40})', { n: people });
  e.run('UNWIND range(1, $n) AS i CREATE (:Post {id: i, created: i * 5})', { n: people });
  const pairs: bigint[][] = [];
  for (let i = 0; i < Number(people) * 2; i++) pairs.push([BigInt(rnd.int(1, Number(people))), BigInt(rnd.int(1, Number(people)))]);
  e.run('UNWIND $pairs AS p MATCH (a:Person {id: p[0]}), (b:Person {id: p[1]}) CREATE (a)-[:KNOWS]->(b)', { pairs });
  e.run('UNWIND $pairs AS p MATCH (a:Person {id: p[0]}), (m:Post {id: p[1]}) CREATE (a)-[:LIKES]->(m)', { pairs });
  e.run('MATCH (p:Person), (c:City) WHERE c.name = "c" + toString(1 + p.id % 4) CREATE (p)-[:LIVES_IN]->(c)', {});
  return g;
}

/** Each node's shard under `map` (graph-aware: placed in id order by its earlier neighbours). */
export function placeAll(whole: GraphStore, map: ShardMapState): Map<number, ShardId> {
  const home = new Map<number, ShardId>();
  const partitioner = new GraphAwarePartitioner(map.shards.map((s) => s.id));
  for (const n of whole.nodes()) {
    let s = shardOfNode(shardingOf(map, [...n.labels]), n.id, n.props);
    if (s === undefined) {
      const near: ShardId[] = [];
      for (const e of [...n.out, ...n.in]) {
        const other = e.src === n ? e.dst : e.src;
        const h = home.get(other.id);
        if (h !== undefined) near.push(h);
      }
      s = partitioner.place(near);
    }
    home.set(n.id, s);
  }
  return home;
}

/**
 * loadShards: writes `whole` into the shard groups of `map` (placement as {@link placeAll}), each
 * shard's part in batches of 200 commands through its group's leader.
 */
export async function loadShards(c: SimCluster, map: ShardMapState, whole: GraphStore): Promise<void> {
  const home = placeAll(whole, map);
  const groupOf = (shard: ShardId): number => map.shards.find((s) => s.id === shard)!.group;
  const nodes: NodeData[] = [...whole.nodes()].map((n) => ({ id: n.id, labels: [...n.labels], props: [...n.props] as [string, PropertyValue][] }));
  const edges: EdgeData[] = [...whole.edges()].map((e) => ({ id: e.id, type: e.type, src: e.src.id, dst: e.dst.id, props: [...e.props] as [string, PropertyValue][] }));
  for (const [shard, commands] of splitGraph(nodes, edges, (id) => home.get(id)!)) {
    const group = groupOf(shard);
    for (let i = 0; i < commands.length; i += 200) {
      const part: GraphCommand[] = commands.slice(i, i + 200);
      await c.until(() => [...c.hosts.values()].some((h) => h.isLeader(group)), 10_000);
      await c.value([...c.hosts.values()].find((h) => h.isLeader(group))!.applyCommands(group, part));
    }
  }
}

function rowsOf(rows: readonly (readonly Value[])[]): string {
  return JSON.stringify(
    rows.map((r) => r.map(toResultValue)),
    (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x),
  );
}

/** The clock, timers and randomness of a member's transaction side in the simulation (virtual time, the host's skew). */
export interface SimTxnEnv {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly after: (ms: number, fn: () => void) => () => void;
}

/** A member's transaction side as the simulation uses it. */
export interface ShardedSimMember {
  /** Commits a write's parts on all their shard groups or on none (the member's committer). */
  readonly committer: CrossShardCommitter;
  /** Stops it (its resolver, serving txn calls): the host crashed. */
  stop(): void;
}

/**
 * ShardedSimWriteSide: the two-phase commit the members run, handed to the simulation from the txn
 * layer (src/txn/sharded-sim-txn.ts; the cluster layer does not import it).
 */
export interface ShardedSimWriteSide {
  /** The transaction-record group, run by every host beside the shard groups. */
  readonly recordGroup: number;
  /**
   * member: starts `host`'s transaction side on `env` (coordinator, answering txn calls, intent
   * resolver, write guard). `midCommit` is called at the coordinator's fault points (after the
   * prepares, after the decision, before each resolution): the simulation may crash the host there.
   */
  member(host: ShardHost, env: SimTxnEnv, midCommit: () => void): ShardedSimMember;
  /** The transactions holding intents in a group's graph. */
  held(graph: GraphReader): readonly string[];
}

/** Options of a run. */
export interface ShardedSimOptions {
  /**
   * TEST-ONLY planted bug: the coordinator reads each shard from the asked host's local replica
   * without ReadIndex, so a replica that has not caught up answers: the checks must notice.
   */
  readonly localReads?: boolean;
  /** Writers during the faults, committing through this (absent: reads only). */
  readonly writes?: ShardedSimWriteSide;
  /**
   * During the faults the largest shard splits in two (shard-split.ts: the fence, waiting for
   * prepared transactions on the moving half, the copy, the switch, the cleanup, each step retried
   * through random live hosts until it succeeds), its new shard's group (group 4) running from the
   * start, empty, and every host fencing as a member's shard manager does; readers and writers take
   * the map as it is when they start (so some run with a map the split moved on from: a write the
   * fence refuses failed, nothing written). After the faults a write's part is looked for on its
   * shard and the shards split from it.
   */
  readonly split?: boolean;
  /** TEST-ONLY planted bug (with `split`): readers count a source cleaning up without the map's owner rule, so they see its moved half twice. */
  readonly plantSkipOwnerFilter?: boolean;
  /** TEST-ONLY planted bug (with `split` and writes): no fence, so writes to the moving half after the copy are lost in the cleanup. */
  readonly plantNoFence?: boolean;
}

/** The group a split's new shard (shard 3) lives in. */
const SPLIT_GROUP = 4;

/** Time limit of a simulated write, ms (the statement's; also its intents' deadline). */
const writeTimeoutMs = 1_500;
/** Largest clock skew of a host, ms (each draws one in ±this). */
const skewMsMax = 50;
/** Chance that a coordinator's host crashes at one of its fault points. */
const midCommitCrashChance = 0.02;
/** The members' wall clocks start here (transaction messages carry whole, non-negative ms). */
const clockBaseMs = 1_000_000;
/** The first id of the writes' nodes and edges (far above the drawn graph's). */
const writeIdBase = 1_000_000;

/** runShardedSim: one seeded run with `durationMs` of virtual time under faults. */
export async function runShardedSim(seed: number, durationMs = 3_000, options: ShardedSimOptions = {}): Promise<ShardedSimReport> {
  const side = options.writes;
  const groups = [...(side === undefined ? [] : [side.recordGroup]), ...GROUPS, ...(options.split === true ? [SPLIT_GROUP] : [])];
  const c = new SimCluster({ seed, groups, delayMs: [1, 4], config: { raft: { tick_ms: 10, snapshot_threshold: 200 }, request_timeout_ms: 1_500, replication: { factor: 3 }, async_replicas: 2 } });
  const rnd = c.prng.fork();
  const drawn = drawMap(rnd);
  const name = drawn.name;
  let map = drawn.map;
  const whole = drawGraph(rnd);
  const baseEdges = [...whole.edges()].length;
  const single = new QueryEngine(whole);
  // The writes change only what WRITE_QUERIES ask: the other queries' answers stay the drawn graph's.
  const writeQueries: string[] = side === undefined ? [] : Object.values(WRITE_QUERIES);
  const allQueries = side === undefined ? [...QUERIES, WRITE_QUERIES.edges] : [...QUERIES, ...writeQueries];
  const want = new Map(allQueries.filter((q) => !writeQueries.includes(q)).map((q) => [q, rowsOf(single.run(q, {}).rows)]));
  const violations: string[] = [];
  const fail = (m: string): void => void violations.push(`seed ${seed} (${name}): ${m}`);
  const groupIn = (m: ShardMapState, shard: ShardId): number => m.shards.find((s) => s.id === shard)?.group ?? m.splits.find((x) => x.into === shard)!.group;
  const groupOf = (shard: ShardId): number => groupIn(map, shard);
  const s = c.scheduler;
  const sleep = (ms: number): Promise<void> => new Promise((r) => s.after(ms, r));
  const stats = { queries: 0, answered: 0, crossShard: 0, crashes: 0, partitions: 0, writes: 0, acked: 0, failedWrites: 0, unknownWrites: 0, crossShardWrites: 0, ackedCrossShard: 0, midCommitCrashes: 0, writeAnswers: 0, splits: 0 };
  const report = (): ShardedSimReport => ({ seed, map: name, ...stats, covered: stats.crashes > 0 && (side === undefined || stats.ackedCrossShard > 0) ? 1 : 0, violations });

  // Hosts, each with its member's transaction side when there are writes; a crash stops it.
  const members = new Map<string, { host: ShardHost; member: ShardedSimMember }>();
  const skews = new Map(PEERS.map((p) => [p, rnd.int(-skewMsMax, skewMsMax)]));
  const crashRnd = c.prng.fork();
  let restarting = new Set<string>();
  /** False once the faults stopped (no more crashes at the coordinators' fault points). */
  let faulty = true;
  const crash = (peer: string): void => {
    members.get(peer)?.member.stop();
    members.delete(peer);
    c.crash(peer);
    stats.crashes++;
  };
  const restartLater = (peer: string, ms: number): void => {
    restarting.add(peer);
    s.after(ms, () => void start(peer).then(() => restarting.delete(peer)));
  };
  async function start(peer: string, bootstrap = false): Promise<ShardHost> {
    const host = await c.start(peer, bootstrap);
    // As every member's shard manager does: the fence of a shard being split.
    if (options.split === true && options.plantNoFence !== true) host.setWriteFence({ active: (_group, graph) => graph.labelCount(SPLIT_LABEL) > 0, check: (_group, graph, commands) => checkFence(graph, commands) });
    if (side !== undefined) {
      const skew = skews.get(peer)!;
      const random = c.prng.fork().fn();
      const env: SimTxnEnv = {
        now: () => clockBaseMs + Math.floor(s.now) + skew,
        sleep,
        random,
        after: (ms, fn) => {
          let live = true;
          s.after(ms, () => live && fn());
          return () => (live = false);
        },
      };
      // The coordinator lives in its host's process: it may die there mid-commit.
      const midCommit = (): void => {
        if (!faulty || c.hosts.get(peer as never) !== host || c.hosts.size <= 3 || !crashRnd.chance(midCommitCrashChance)) return;
        crash(peer);
        stats.midCommitCrashes++;
        restartLater(peer, crashRnd.int(100, 600));
      };
      members.set(peer, { host, member: side.member(host, env, midCommit) });
    }
    return host;
  }

  await start('p1', true);
  for (const p of PEERS.slice(1)) await start(p);
  const formed = await c.until(() => groups.every((g) => [...c.hosts.values()].some((h) => h.isLeader(g) && h.raftStatus(g).conf.voters.length === 3 && h.raftStatus(g).conf.learners.length === 2)), 30_000);
  if (!formed) return { ...report(), violations: [`seed ${seed}: the groups did not form`] };

  await loadShards(c, map, whole);

  const end = s.now + durationMs;
  const writes = new Map<number, SimWrite>();
  const answers: WriteAnswer[] = [];

  /** Errors a read may end with under faults: it did not answer, and asking again is right. */
  const retryable = (err: unknown): boolean =>
    isGeodeError(err) &&
    (err.code === 'LIMIT_EXCEEDED' || err.code === 'PROPOSAL_DROPPED' || err.code === 'CLOSED' || err.code === 'NOT_FOUND' || (side !== undefined && err.code === 'IO' && err.detail === 'ShardDataChanged'));

  /** ask: `q` through `peer`'s coordinator; its rows, or undefined when it did not answer. `want`: the rows it must give. */
  const ask = async (peer: string, q: string, wantRows: string | undefined): Promise<readonly (readonly Value[])[] | undefined> => {
    const host = c.hosts.get(peer as never);
    if (host === undefined) return undefined;
    // The map as it is now (the meta group's, read at this point): a split may move on meanwhile.
    const m = map;
    const answer = (g: GraphReader, shard: ShardId, req: FetchRequest): FetchAnswer => {
      checkMapFresh(g, m, shard, true);
      return answerFetch(g, shard, req, options.plantSkipOwnerFilter === true ? undefined : ownerFilter(m, shard));
    };
    const coord = new ShardCoordinator(m, {
      fetch: (shard, req) =>
        options.localReads === true ? Promise.resolve(answer(host.graph(groupIn(m, shard)), shard, req)) : host.readGraph(groupIn(m, shard), (g) => answer(g, shard, req)),
    });
    stats.queries++;
    try {
      const r = await coord.run(q);
      stats.answered++;
      if (r.shards.length > 1) stats.crossShard++;
      const got = rowsOf(r.result.rows);
      if (wantRows !== undefined && got !== wantRows) fail(`${q} through ${peer} answered ${got}, one database answers ${wantRows}`);
      return r.result.rows;
    } catch (err) {
      if (!retryable(err)) fail(`${q} through ${peer} failed with ${String(err)}`);
      return undefined;
    }
  };

  async function reader(): Promise<void> {
    const my = c.prng.fork();
    while (s.now < end) {
      const up = [...c.hosts.keys()];
      if (up.length > 0) {
        const peer = my.pick(up);
        const q = writeQueries.length > 0 && my.chance(0.4) ? my.pick(writeQueries) : my.pick(allQueries);
        const from = s.now;
        const rows = await ask(peer, q, want.get(q));
        // The writes' queries are checked once every write's outcome is known (below).
        if (rows !== undefined && !want.has(q)) answers.push({ q, via: peer, from, to: s.now, rows });
      }
      await sleep(my.int(5, 40));
    }
  }

  let nextW = 0;
  let nextId = writeIdBase;
  async function writer(): Promise<void> {
    const my = c.prng.fork();
    while (s.now < end) {
      const up = [...members.keys()];
      if (up.length > 0) {
        const roll = my.next();
        const live = map.shards.map((x) => x.id);
        const first = my.pick(live);
        const others = live.filter((x) => x !== first);
        const second = my.pick(others);
        await write(my.pick(up), roll < 0.15 ? [first] : roll < 0.3 ? [first, first] : roll < 0.75 ? [first, second] : [first, second, others.find((x) => x !== second)!]);
      }
      await sleep(my.int(10, 60));
    }
  }

  /** write: one write through `peer` with a node on each of `shards`, as a member writes an insert: one shard's entry, or the member's committer. */
  async function write(peer: string, shards: readonly ShardId[]): Promise<SimWrite> {
    const x = buildWrite(++nextW, shards, nextId, map, s.now);
    nextId += writeIds(x);
    writes.set(x.w, x);
    stats.writes++;
    const { host, member } = members.get(peer)!;
    try {
      if (x.shards.length === 1) {
        await host.submitCommands(groupOf(x.shards[0]!), x.parts.get(x.shards[0]!)!, { timeoutMs: writeTimeoutMs });
      } else {
        stats.crossShardWrites++;
        await member.committer.commit(
          x.shards.map((sh) => ({ group: groupOf(sh), commands: x.parts.get(sh)! })),
          { timeoutMs: writeTimeoutMs },
        );
      }
      x.outcome = 'acked';
      stats.acked++;
      if (x.shards.length > 1 && x.issued < end) stats.ackedCrossShard++;
    } catch (err) {
      const o = classifyWriteError(err);
      if (o === undefined) fail(`write ${x.w} through ${peer} failed with ${String(err)}`);
      x.outcome = o ?? 'unknown';
      x.error = String(err);
      if (x.outcome === 'failed') stats.failedWrites++;
      else stats.unknownWrites++;
    }
    x.settled = s.now;
    return x;
  }

  async function nemesis(): Promise<void> {
    const my = c.prng.fork();
    while (s.now < end) {
      await sleep(my.int(200, 700));
      const up = [...c.hosts.keys()];
      // The first fault of a run is a crash, so every seed has one.
      const roll = stats.crashes === 0 ? 0 : my.next();
      if (roll < 0.4 && up.length > 3) {
        const victim = my.pick(up);
        crash(victim);
        restartLater(victim, my.int(100, 600));
      } else if (roll < 0.7) {
        c.net.isolate(my.pick(PEERS) as never);
        stats.partitions++;
      } else {
        c.net.healAll();
      }
    }
  }

  /** One step of the split through a random live host, again until it succeeds (each step is idempotent). */
  const splitRnd = c.prng.fork();
  async function splitStep(what: string, fn: (h: ShardHost) => Promise<void>): Promise<boolean> {
    for (;;) {
      if (s.now > end + 40_000) {
        fail(`the split's ${what} did not succeed${lastLocks === '' ? '' : ` (locks on the source: ${lastLocks})`}`);
        return false;
      }
      const up = [...c.hosts.values()];
      if (up.length > 0) {
        try {
          await fn(splitRnd.pick(up));
          return true;
        } catch (err) {
          if (!isGeodeError(err)) throw err;
        }
      }
      await sleep(splitRnd.int(10, 60));
    }
  }

  /** Whether the split found something to cut (a graph-aware map has nothing: its nodes stay). */
  let splitPlanned = false;
  let lastLocks = '';
  async function splitter(): Promise<void> {
    await sleep(splitRnd.int(50, Math.max(60, Math.floor(durationMs / 2))));
    const any = [...c.hosts.values()][0]!;
    const owned = (g: GraphReader): SplitNode[] => [...g.nodes()].filter((n) => !n.deleted && !isInternal(n));
    const from = [...map.shards].sort((a, b) => owned(any.graph(b.group)).length - owned(any.graph(a.group)).length)[0]!.id;
    const gS = groupOf(from);
    let plan: ReturnType<typeof planSplit>;
    if (!(await splitStep('plan', async (h) => void (plan = await h.readGraph(gS, (g) => planSplit(map, from, owned(g), PEERS.slice(0, 3) as never))))) || plan === undefined) return;
    if (plan.group !== SPLIT_GROUP) return fail(`the split planned group ${plan.group}, not ${SPLIT_GROUP}`);
    splitPlanned = true;
    map = applyShardMapChange(map, plan);
    const sp = map.splits[0]!;
    const marker = splitMarkerId(sp.from, sp.into);
    const fence = fenceCommand(map, sp);
    const fenced = await splitStep('fence', async (h) => {
      if (!(await h.readGraph(gS, (g) => g.node(marker) !== undefined))) await h.submitCommands(gS, [fence]);
    });
    const after = mapAfterSplit(map, sp);
    // Prepared transactions on the moving half (or creating nodes on the source) resolve first.
    const unlocked =
      fenced &&
      (await splitStep('wait for prepared transactions', async (h) => {
        const locks = await h.readGraph(gS, (g) => (movingLocked(g, (n) => ownerIn(after, from, n), from) ? [...(g.node(2 ** 52)?.props ?? [])].filter(([k]) => k.startsWith('w:') || k.startsWith('i:')).map(([k, v]) => `${k}=${String(v).slice(0, 300)}`).join(' ') : undefined));
        if (locks !== undefined) {
          lastLocks = locks;
          throw new GeodeError('LIMIT_EXCEEDED', 'a prepared transaction locks the moving half', { detail: 'RequestTimeout' });
        }
      }));
    const copied =
      unlocked &&
      (await splitStep('copy', async (h) => {
        const have = await h.readGraph(SPLIT_GROUP, (g) => ({ nodes: new Set([...g.nodes()].map((n) => n.id)), edges: new Set([...g.edges()].map((e) => e.id)), indexes: new Set(g.indexes().map((ix) => ix.name)) }));
        const has = (kind: 'node' | 'edge' | 'index', id: number | string): boolean => (kind === 'node' ? have.nodes.has(id as number) : kind === 'edge' ? have.edges.has(id as number) : have.indexes.has(id as string));
        const commands = await h.readGraph(gS, (g) => copyCommands(g, (n) => ownerIn(after, from, n), from, sp.into, has));
        for (let i = 0; i < commands.length; i += 200) await h.submitCommands(SPLIT_GROUP, commands.slice(i, i + 200));
      }));
    if (!copied) return;
    map = applyShardMapChange(map, { op: 'switchSplit', shard: from });
    const switched = map;
    const cleaned = await splitStep('cleanup', async (h) => {
      const batches = packGroups(await h.readGraph(gS, (g) => cleanupCommands(g, (n) => ownerIn(switched, from, n), from, sp.into)), 200);
      if (batches.length === 0) await h.submitCommands(gS, [cleanedCommand(from, sp.into)]);
      for (const b of batches) await h.submitCommands(gS, [cleanedCommand(from, sp.into), ...b]);
    });
    if (!cleaned) return;
    map = applyShardMapChange(map, { op: 'finishSplit', shard: from });
    stats.splits++;
  }

  let finished = false;
  const splitting = options.split === true;
  // The split goes on past the faults if it must (the heal below lets it finish): awaited before the checks.
  let splitEnded = !splitting;
  if (splitting) void splitter().finally(() => (splitEnded = true));
  void Promise.all([reader(), reader(), nemesis(), ...(side === undefined ? [] : [writer(), writer()])]).then(() => (finished = true));
  if (!(await c.until(() => finished, durationMs + 60_000))) fail('the clients did not finish');


  // Liveness: heal, everyone up; with writes, a write over the three shards commits, and every
  // intent is resolved (by its coordinator, or a resolver).
  faulty = false;
  c.net.healAll();
  await c.until(() => restarting.size === 0, 5_000);
  restarting = new Set();
  for (const p of PEERS) if (!c.hosts.has(p as never)) await start(p);
  if (splitting) {
    if (!(await c.until(() => splitEnded, 60_000))) fail('the split did not end');
    if (splitPlanned && stats.splits === 0 && violations.length === 0) fail('the split did not finish');
  }
  const leaderOf = (g: number): ShardHost | undefined => [...c.hosts.values()].find((h) => h.isLeader(g));
  if (side !== undefined) {
    let acked = false;
    // A few attempts: a lock of a write still being resolved refuses one (nothing happens then).
    for (let attempt = 0; attempt < 3 && !acked; attempt++) {
      const r = await c.settle(write(PEERS[attempt]!, SHARDS), 30_000);
      acked = r.ok && r.value.outcome === 'acked';
    }
    if (!acked) fail('a write over the three shards was not acknowledged after the faults stopped');
    const shardGroups = splitting ? [...GROUPS, SPLIT_GROUP] : GROUPS;
    const free = await c.until(() => shardGroups.every((g) => { const l = leaderOf(g); return l !== undefined && side.held(l.graph(g)).length === 0; }), writeTimeoutMs * 4 + 10_000);
    if (!free) fail(`intents still held after the faults: ${shardGroups.map((g) => `group ${g}: ${leaderOf(g) === undefined ? 'no leader' : side.held(leaderOf(g)!.graph(g)).join(', ')}`).join('; ')}`);
  }
  const settled = await c.until(() => c.caughtUp(groups), 20_000);
  if (!settled) fail('the groups did not converge after the faults stopped');

  // Every write on all its shards or on none; acknowledged ones on all, failed ones on none.
  let final = want;
  if (side !== undefined && settled) {
    const applied: SimWrite[] = [];
    for (const x of writes.values()) {
      // A split may have moved a part to the shard split from its own: look at the whole family.
      const states = x.shards.map((sh) => (splitting ? familyPartState(familyOf(map, sh).map((f) => leaderOf(groupOf(f))!.graph(groupOf(f))), x, sh) : partState(leaderOf(groupOf(sh))!.graph(groupOf(sh)), x, sh)));
      const all = states.every((t) => t === 'all');
      if (!all && !states.every((t) => t === 'none')) fail(`write ${x.w} (${x.outcome}) is on some of its shards only: ${x.shards.map((sh, i) => `shard ${sh} ${states[i]}`).join(', ')}`);
      else if (x.outcome === 'acked' && !all) fail(`write ${x.w} was acknowledged but is on none of its shards ${x.shards.join(', ')}`);
      else if (x.outcome === 'failed' && all) fail(`write ${x.w} failed (${x.error}) but is on its shards ${x.shards.join(', ')}`);
      if (all) applied.push(x);
    }
    for (const a of answers) {
      const wrong = checkWriteAnswer(a, writes, baseEdges);
      stats.writeAnswers++;
      if (wrong !== undefined) fail(`${a.q} through ${a.via} in [${a.from}, ${a.to}] ${wrong}`);
    }
    const ref = new QueryEngine(referenceGraph(whole, applied));
    final = new Map(allQueries.map((q) => [q, rowsOf(ref.run(q, {}).rows)]));
  }
  // Every query answers through two hosts (every host answers some) as one database holding the same data would.
  for (let i = 0; i < allQueries.length; i++) {
    const q = allQueries[i]!;
    for (const p of [PEERS[i % PEERS.length]!, PEERS[(i + 2) % PEERS.length]!]) {
      let ok = false;
      for (let attempt = 0; attempt < 3 && !ok; attempt++) {
        const r = await c.settle(ask(p, q, final.get(q)), 20_000);
        ok = r.ok && r.value !== undefined;
      }
      if (!ok) fail(`${q} through ${p} did not answer after the faults stopped`);
    }
  }
  // Replicas of each group hold the same graph.
  if (settled) {
    for (const g of groups) {
      const states = [...c.hosts.values()].map((h) => JSON.stringify(h.graph(g) instanceof GraphStore ? (h.graph(g) as GraphStore).snapshot() : null, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)));
      if (!states.every((st) => st === states[0])) fail(`the replicas of group ${g} differ`);
    }
  }
  for (const { member } of members.values()) member.stop();
  for (const h of c.hosts.values()) await h.close();
  return report();
}
