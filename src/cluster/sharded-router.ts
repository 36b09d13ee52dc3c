/**
 * ShardedRouter: how `db.query` runs on a member of a sharded cluster.
 *
 * - `CALL db.cluster.*` runs on the meta group (group 0) as in a one-shard cluster;
 * - a read runs through the {@link ShardCoordinator} over the shard map, each fetch read from this
 *   peer's replica of the shard's group at a linearizable point (`readGraph`: ReadIndex through the
 *   group's leader, or the leader's lease); the result names the shards asked (`shards`), EXPLAIN
 *   too; a point read ({@link isPointShape}) pruned to a shard this peer leads runs as a plain
 *   query on that group instead (cluster clients send such reads to the shard's leader:
 *   client-router.ts);
 * - a write takes the path {@link planWrite} gives it: an insert runs on a scratch graph with
 *   leased ids, its nodes placed by their spreads, and lands as one log entry on its one shard
 *   (several shards: the {@link CrossShardCommitter}); a single-shard update runs on its shard's
 *   leader; anything else is refused (`CrossShardWrite`).
 *
 * Metrics: `queries`, `crossShardQueries` (statements that asked more than one shard), and the
 * hops: `leaderReads` / `followerReads`, `pointReads`, `localWrites` / `forwardedWrites`.
 */
import { GraphStore, type GraphReader, type PropertyValue, type Value } from '../graph/index.ts';
import { parse, type LabelExpression, type MatchClause, type Statement } from '../gql/index.ts';
import { QueryEngine } from '../query/index.ts';
import { isReadOnlyStatement } from '../query/read-only.ts';
import { toResultValue, type ResultRow } from '../api/result.ts';
import { toEngineParams, type ShardQueryOptions, type ShardQueryResult } from '../shard/index.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import { ShardCoordinator } from './coordinator/coordinator.ts';
import { answerFetch, splitGraph, type EdgeData, type FetchAnswer, type FetchRequest, type NodeData } from './coordinator/shard-data.ts';
import { checkMapFresh, ownerFilter, STALE_MAP_DETAIL } from './shard-split.ts';
import { refusingCommitter, crossShardRefusal, type CrossShardCommitter, type StatementTransactions } from './cross-shard.ts';
import { copyShards, splitStatement } from './cross-shard-statement.ts';
import { GraphAwarePartitioner } from './graph-aware-partitioner.ts';
import type { ShardId } from './hash-ring.ts';
import { shardingOf, shardOfNode, type LabelSharding, type ShardMapState } from './shard-map.ts';
import { idPlaced } from './client-router.ts';
import { PointKeyCache, pruneShards } from './shard-pruning.ts';
import { idBase, META_GROUP, type ShardManager } from './shard-manager.ts';
import { planWrite } from './shard-writes.ts';
import { runInView, type GroupView } from './txn-view.ts';

/** A sharded statement's answer: the host's, with the shards it touched. */
export interface ShardedQueryResult extends ShardQueryResult {
  /** The shards the statement read from or wrote to, ascending. */
  readonly shards: readonly ShardId[];
  /** For EXPLAIN: the plan as text, with the shards each pattern starts on. */
  readonly plan?: string;
}

/** Ids leased at a time for nodes placed by id on a shard this peer leads (see #idOn). */
const spareLeaseIds = 256;
/** Spare ids kept per spread and shard. */
const spareIdsMax = 1_024;

/** Statement texts whose parse (and point-read shape) a router keeps. */
const parsedStatementsMax = 256;

/** Expression and clause kinds that reach past a node: a statement holding one is never a point read. */
const reachingKinds = new Set(['PatternComprehension', 'PatternPredicate', 'ExistsSubquery', 'CountSubquery', 'RelationshipPattern', 'CallSubquery', 'Call']);

/**
 * isPointShape: `MATCH (v:Label ... {..} WHERE ..) [WHERE ..] RETURN ..`: one part, one MATCH (not
 * OPTIONAL) of one path of one node pattern with plain labels, then RETURN, and nothing anywhere
 * that follows relationships or calls (patterns in expressions, subqueries, CALL).
 */
export function isPointShape(stmt: Statement): boolean {
  const body = stmt.body;
  if (stmt.explain || body.kind !== 'Query' || body.parts.length !== 1) return false;
  const clauses = body.parts[0]!.clauses;
  if (clauses.length !== 2 || clauses[0]!.kind !== 'Match' || clauses[1]!.kind !== 'Return') return false;
  const match = clauses[0]! as MatchClause;
  if (match.optional || match.patterns.length !== 1) return false;
  const path = match.patterns[0]!;
  if (path.elements.length !== 1 || path.variable !== undefined || path.shortest !== undefined) return false;
  const node = path.elements[0]!;
  if (node.kind !== 'NodePattern' || node.labels === undefined || !plainLabelNames(node.labels)) return false;
  let reaches = false;
  JSON.stringify(body, (_k, v: unknown) => {
    if (typeof v === 'bigint') return 0;
    if (v !== null && typeof v === 'object' && reachingKinds.has((v as { kind?: string }).kind ?? '')) reaches = true;
    return v;
  });
  return !reaches;
}

function plainLabelNames(e: LabelExpression): boolean {
  return e.kind === 'LabelName' || (e.kind === 'LabelAnd' && plainLabelNames(e.left) && plainLabelNames(e.right));
}

/** How long a statement waits for the shard map and the groups by default, ms. */
const readyWaitMsDefault = 10_000;

export class ShardedRouter {
  readonly manager: ShardManager;
  committer: CrossShardCommitter = refusingCommitter;
  /** Runs writes spanning shards other than inserts in a transaction of their own; undefined: refused (`CrossShardWrite`). */
  transactions: StatementTransactions | undefined;
  /** Statements run, and those that asked more than one shard (`cross_shard_queries`). */
  queries = 0;
  /** Statements run again after a refusal for a map older than a split. */
  staleMapRetries = 0;
  crossShardQueries = 0;
  /** Shard reads served on a group this peer leads (no hop), and confirmed through another peer's leadership (a hop). */
  leaderReads = 0;
  followerReads = 0;
  /** Single-shard inserts applied on a group this peer leads, and forwarded to its leader. */
  localWrites = 0;
  forwardedWrites = 0;
  /** Point reads run as a plain query on a group this peer leads (#pointRead). */
  pointReads = 0;
  /** Leased ids not used yet, per spread and the shard a node of it placed by that id lands on. */
  readonly #spare = new WeakMap<LabelSharding, Map<ShardId, number[]>>();
  #refilling: Promise<void> | undefined;
  /** Parsed statements, and whether each is a point read (#pointRead), by text. */
  readonly #parsed = new Map<string, Statement>();
  readonly #pointShapes = new Map<string, boolean>();
  readonly #points = new PointKeyCache();
  /** The scratch engine of inserts that return nothing (#insertQuick). */
  #scratch = newScratch();
  readonly #placer = new Map<string, GraphAwarePartitioner>();

  constructor(manager: ShardManager) {
    this.manager = manager;
  }

  get #host(): ShardManager['host'] {
    return this.manager.host;
  }

  /**
   * run: one statement. With `tx`, inside that transaction: reads see its view of each shard,
   * writes join its writes (committed with it); a write a READ ONLY one refuses.
   */
  async run(text: string, params: Readonly<Record<string, unknown>> | undefined, options: ShardQueryOptions = {}, tx?: GroupView): Promise<ShardedQueryResult> {
    let stmt = this.#parsed.get(text);
    if (stmt === undefined) {
      stmt = parse(text);
      if (this.#parsed.size >= parsedStatementsMax) this.#parsed.clear();
      this.#parsed.set(text, stmt);
    }
    const body = stmt.body;
    const first = body.kind === 'Query' && body.parts.length === 1 ? body.parts[0]!.clauses[0] : undefined;
    if (first?.kind === 'Call' && first.procedure.toLowerCase().startsWith('db.cluster.')) {
      return { ...(await this.#host.query(text, params, { ...options, group: META_GROUP })), shards: [] };
    }
    const timeoutMs = options.timeoutMs ?? this.#host.config.requestTimeoutMs;
    const engineParams = toEngineParams(params);
    this.queries++;
    // A statement routed with a map older than a shard split is refused before anything happened
    // (the fence, or a reader meeting a split its map does not know): refresh the map, run again.
    const deadline = Date.now() + timeoutMs;
    let fresh = false;
    for (;;) {
      try {
        return await this.#runOnce(text, stmt, engineParams, params, options, timeoutMs, tx, fresh);
      } catch (err) {
        if (!isGeodeError(err, 'PROPOSAL_DROPPED') || err.detail !== STALE_MAP_DETAIL || tx !== undefined || Date.now() >= deadline) throw err;
        this.staleMapRetries++;
        await this.manager.refresh(Math.max(1, deadline - Date.now()));
        fresh = true;
        await new Promise((ok) => setTimeout(ok, 10));
      }
    }
  }

  async #runOnce(
    text: string,
    stmt: ReturnType<typeof parse>,
    engineParams: Record<string, Value>,
    params: Readonly<Record<string, unknown>> | undefined,
    options: ShardQueryOptions,
    timeoutMs: number,
    tx: GroupView | undefined,
    fresh: boolean,
  ): Promise<ShardedQueryResult> {
    const map = await this.manager.ready(Math.max(timeoutMs, readyWaitMsDefault));
    if (isReadOnlyStatement(stmt)) {
      const point = tx === undefined ? await this.#pointRead(text, stmt, engineParams, params, map, timeoutMs, fresh) : undefined;
      return point ?? this.#read(text, stmt, engineParams, map, timeoutMs, tx, fresh);
    }
    if (tx?.readOnly === true) {
      throw new GeodeError('INPUT_INVALID', 'a READ ONLY transaction cannot run a statement that writes (start it READ WRITE)', { source: 'query', detail: 'ReadOnlyTransaction' });
    }
    const plan = planWrite(stmt, engineParams, map);
    if (plan.kind === 'refuse') {
      // A schema command, or no transactions to run it in: refused as before.
      if (stmt.body.kind !== 'Query' || (tx === undefined && this.transactions === undefined)) throw crossShardRefusal(`this statement is ${plan.why}`);
      this.crossShardQueries++;
      const across = (t: GroupView): Promise<ShardedQueryResult> => this.#acrossShards(text, engineParams, map, t, fresh);
      return tx !== undefined ? across(tx) : this.transactions!.run(across, { timeoutMs });
    }
    if (plan.kind === 'shard') {
      const group = groupOf(map, plan.shard);
      // The shard allocates ids for what the statement creates from its own base: wait until it is written.
      await this.#until(() => this.#host.graph(group).node(idBase(plan.shard)) !== undefined, timeoutMs, `shard ${plan.shard}'s id base`);
      if (tx !== undefined) return { ...(await runInView(tx, group, text, engineParams)), shards: [plan.shard] };
      if (this.#host.leads(group)) this.localWrites++;
      else this.forwardedWrites++;
      const r = await this.#host.query(text, params, { ...options, group, readQuorum: 'majority' });
      if (r.writes === 0) {
        // Nothing matched: with a map older than a split, the nodes may have moved to a new shard
        // (the source holds ghosts of them). The statement wrote nothing, so it can run again there.
        const now = planWrite(stmt, engineParams, await this.manager.refresh(timeoutMs));
        if (now.kind !== 'shard' || now.shard !== plan.shard) throw new GeodeError('PROPOSAL_DROPPED', 'the shard map changed under the statement (a split): run it again', { detail: STALE_MAP_DETAIL });
      }
      return { ...r, shards: [plan.shard] };
    }
    return this.#insert(text, engineParams, map, timeoutMs, tx);
  }

  /**
   * A point read on a shard this peer leads: a statement of the shape {@link isPointShape} (one
   * MATCH of one labelled node, then RETURN) that prunes to one shard runs as a plain query on
   * that group here (a lease read when the lease holds), not through the coordinator: every node
   * it can match lives on that shard (pruning's guarantee; ghosts and bookkeeping nodes carry no
   * user label) and nothing in it leaves the node. The shard's graph is checked for a split the
   * map does not know before and after, as the coordinator's reads check it. undefined: not such
   * a read here (the coordinator runs it).
   */
  async #pointRead(text: string, stmt: Statement, engineParams: Record<string, Value>, params: Readonly<Record<string, unknown>> | undefined, map: ShardMapState, timeoutMs: number, fresh: boolean): Promise<ShardedQueryResult | undefined> {
    let shape = this.#pointShapes.get(text);
    if (shape === undefined) {
      shape = isPointShape(stmt);
      if (this.#pointShapes.size >= parsedStatementsMax) this.#pointShapes.clear();
      this.#pointShapes.set(text, shape);
    }
    if (!shape) return undefined;
    const touched = this.#points.touched(stmt, engineParams, map);
    if (touched.length !== 1) return undefined;
    const shard = touched[0]!;
    const group = groupOf(map, shard);
    if (!this.#host.leads(group)) return undefined;
    const host = this.#host;
    checkMapFresh(host.graph(group), map, shard, fresh);
    const r = await host.query(text, params, { group, readQuorum: 'majority', timeoutMs });
    checkMapFresh(host.graph(group), map, shard, fresh);
    this.leaderReads++;
    this.pointReads++;
    return { columns: r.columns, rows: r.rows, writes: 0, shards: [shard] };
  }

  async #until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() >= end) throw new GeodeError('LIMIT_EXCEEDED', `timed out waiting for ${what}`, { detail: 'RequestTimeout' });
      await new Promise((ok) => setTimeout(ok, 10));
    }
  }

  async #read(text: string, stmt: ReturnType<typeof parse>, params: Record<string, Value>, map: ShardMapState, timeoutMs: number, tx: GroupView | undefined, fresh: boolean): Promise<ShardedQueryResult> {
    const host = this.#host;
    // One linearizable point per group and statement: a ReadIndex round (`readGraph`) started by the
    // group's first fetch; fetches of the statement read this replica once it is confirmed (applied
    // at or past that index, so no older than the statement's start). A group this peer leads is
    // read through readGraph every time (its graph may hold speculative writes not committed yet).
    // Counts (the planner's, and count(*) answers) are read at once from the replica while the
    // confirmation runs, and checked against the confirmed replica at the end: if they changed,
    // the statement runs again.
    const confirms = new Map<number, Promise<void>>();
    const confirm = (group: number): Promise<void> => {
      let c = confirms.get(group);
      if (c === undefined) confirms.set(group, (c = host.readGraph(group, () => undefined, { timeoutMs })));
      return c;
    };
    const countsSeen = new Map<number, string>();
    // While a split cleans up, its source still holds the moved half: counted by the map's rule only.
    const owners = new Map(map.shards.map((s) => [s.id, ownerFilter(map, s.id)]));
    const answer = (g: GraphReader, shard: ShardId, req: FetchRequest): FetchAnswer => {
      checkMapFresh(g, map, shard, fresh);
      return answerFetch(g, shard, req, owners.get(shard));
    };
    const countsOf = (group: number, shard: ShardId): string => JSON.stringify(answer(host.graph(group), shard, { kind: 'counts' }).counts);
    const coord = new ShardCoordinator(map, {
      fetch: async (shard, req) => {
        const group = groupOf(map, shard);
        if (!host.groups().includes(group)) {
          throw new GeodeError('NOT_FOUND', `this peer holds no replica of shard ${shard} (group ${group}); every member of a sharded cluster should (async_replicas)`, { detail: 'NoReplica' });
        }
        // In a transaction: its view (one snapshot per group, its own writes).
        if (tx !== undefined) return tx.view(group, (g) => answer(g, shard, req));
        const leads = host.leads(group);
        if (req.kind === 'counts' && !leads) {
          this.followerReads++;
          void confirm(group).catch(() => {}); // awaited below
          const a = answer(host.graph(group), shard, req);
          countsSeen.set(shard, JSON.stringify(a.counts));
          return a;
        }
        if (leads) {
          this.leaderReads++;
          return host.readGraph(group, (g) => answer(g, shard, req), { timeoutMs });
        }
        this.followerReads++;
        await confirm(group);
        return answer(host.graph(group), shard, req);
      },
    });
    let r = await coord.run(text, params);
    for (let attempt = 0; ; attempt++) {
      await Promise.all(confirms.values());
      const changed = [...countsSeen].some(([shard, seen]) => countsOf(groupOf(map, shard), shard) !== seen);
      if (!changed) break;
      if (attempt >= 3) throw new GeodeError('LIMIT_EXCEEDED', 'the shards kept changing while the statement read them: run it again', { detail: 'ShardDataChanged' });
      countsSeen.clear();
      r = await coord.run(text, params);
    }
    if (r.shards.length > 1) this.crossShardQueries++;
    const columns = r.result.columns;
    const rows = r.result.rows.map((cells) => {
      const row: ResultRow = {};
      for (let c = 0; c < columns.length; c++) row[columns[c]!] = toResultValue(cells[c] ?? null);
      return row;
    });
    if (stmt.explain) {
      const starts = pruneShards(stmt, params, map);
      const plan = `${r.result.plan ?? ''}\nShards: ${starts.touched.length === 0 ? 'all' : starts.touched.join(', ')} of ${map.shards.length} (pattern starts: ${starts.starts.map((s) => `[${s.join(', ')}]`).join(' ') || 'none'})`;
      return { columns, rows, writes: 0, shards: [...starts.touched], plan };
    }
    return { columns, rows, writes: 0, shards: r.shards };
  }

  /** A write the per-shard paths refuse, inside `tx`: on a copy of every shard, split back (cross-shard-statement.ts). */
  async #acrossShards(text: string, params: Record<string, Value>, map: ShardMapState, tx: GroupView, fresh = false): Promise<ShardedQueryResult> {
    const copies = await copyShards(tx, map, fresh);
    const r = await splitStatement(copies, map, text, params, (n) => this.manager.leaseIds(n), (nodes, edges) => this.place(map, nodes, edges));
    const groups = [...r.parts.keys()];
    for (const [g, commands] of r.parts) tx.write(g, commands);
    const shards = map.shards.filter((s) => groups.includes(s.group)).map((s) => s.id).sort((a, b) => a - b);
    return { columns: r.columns, rows: r.rows, writes: r.writes, shards };
  }

  /** An insert: scratch run with leased ids, placement, split, one entry on one shard. */
  async #insert(text: string, params: Record<string, Value>, map: ShardMapState, timeoutMs: number, tx: GroupView | undefined): Promise<ShardedQueryResult> {
    const { columns, rows, writes, nodes, edges, home } = (await this.#insertQuick(text, params, map, tx)) ?? (await this.#insertLeased(text, params, map, tx));
    const parts = splitGraph(nodes, edges, (id) => home.get(id)!);
    const shards = [...parts.keys()].sort((a, b) => a - b);
    if (tx !== undefined) {
      for (const sh of shards) await tx.writeFresh(groupOf(map, sh), parts.get(sh)!);
    } else if (shards.length === 1) {
      const group = groupOf(map, shards[0]!);
      if (this.#host.leads(group)) this.localWrites++;
      else this.forwardedWrites++;
      await this.#host.submitCommands(group, parts.get(shards[0]!)!, { timeoutMs });
    } else if (shards.length > 1) {
      this.crossShardQueries++;
      await this.committer.commit(
        shards.map((s) => ({ group: groupOf(map, s), commands: parts.get(s)! })),
        { timeoutMs },
      );
    }
    return { columns, rows, writes, shards };
  }

  /**
   * An insert that returns nothing, run on this router's scratch engine (its plans cached; rolled
   * back at once, so the store stays empty and its ids start at 1), its ids then mapped onto leased
   * ones: one node placed by its id gets an id a shard this peer leads holds, so the write is
   * applied here without a hop (a cluster client sends such inserts to the shards' leaders in
   * turn). undefined for an insert with a RETURN (its rows may show ids: run at the lease).
   */
  async #insertQuick(text: string, params: Record<string, Value>, map: ShardMapState, tx: GroupView | undefined): Promise<PreparedInsert | undefined> {
    let r: ReturnType<QueryEngine['run']>;
    try {
      r = this.#scratch.engine.run(text, params);
    } catch (err) {
      this.#scratch = newScratch(); // whatever the failed run left behind is dropped with it
      throw err;
    }
    r.rollback();
    if (r.columns.length > 0) return undefined;
    const nodesIn: NodeData[] = [];
    const edgesIn: EdgeData[] = [];
    for (const c of r.commands) {
      if (c.op === 'createNode') nodesIn.push({ id: c.id, labels: c.labels, props: c.props as [string, PropertyValue][] });
      else if (c.op === 'createEdge') edgesIn.push({ id: c.id, type: c.type, src: c.src, dst: c.dst, props: c.props as [string, PropertyValue][] });
      else throw new GeodeError('INPUT_INVALID', `an insert produced a ${c.op} command`, { detail: 'ShardedWrite' });
    }
    const writes = r.commands.length;
    let nodeIds: (i: number) => number;
    let edgeIds: (i: number) => number;
    const single = tx === undefined && nodesIn.length === 1 && edgesIn.length === 0 ? nodesIn[0]! : undefined;
    const spread = single === undefined ? undefined : shardingOf(map, single.labels);
    const props = single === undefined ? undefined : new Map(single.props);
    const led = spread === undefined || !idPlaced(spread, props!) ? undefined : new Set(spread.shards.filter((sh) => this.#host.leads(groupOf(map, sh))));
    const mine = led === undefined || led.size === 0 ? undefined : await this.#idOn(spread!, props!, led);
    if (mine !== undefined) {
      nodeIds = () => mine;
      edgeIds = () => mine;
    } else {
      const lease = await this.manager.leaseIds(Math.max(1, nodesIn.length, edgesIn.length));
      nodeIds = (i) => lease.start + i;
      edgeIds = (i) => lease.start + i;
    }
    const idOf = new Map<number, number>();
    const nodes = nodesIn.map((n, i) => {
      const id = nodeIds(i);
      idOf.set(n.id, id);
      return { ...n, id };
    });
    const edges = edgesIn.map((e, i) => ({ ...e, id: edgeIds(i), src: idOf.get(e.src) ?? e.src, dst: idOf.get(e.dst) ?? e.dst }));
    return { columns: [], rows: [], writes, nodes, edges, home: this.place(map, nodes, edges) };
  }

  /** An insert with a RETURN: run on a fresh scratch graph whose ids start at a lease (re-run at an id of a shard this peer leads for one node placed by id). */
  async #insertLeased(text: string, params: Record<string, Value>, map: ShardMapState, tx: GroupView | undefined): Promise<PreparedInsert> {
    let need = 1;
    for (let attempt = 0; ; attempt++) {
      const lease = await this.manager.leaseIds(need);
      let run = scratchRun(text, params, lease.start);
      if (run.maxId >= lease.end) {
        // The lease was too small: take one as large as this statement needs (the first stays unused).
        need = run.maxId - lease.start + 1;
        if (attempt > 2) throw new GeodeError('LIMIT_EXCEEDED', 'the statement keeps needing more ids than leased', { detail: 'IdSpace' });
        continue;
      }
      let home = this.place(map, run.nodes, run.edges);
      if (tx === undefined && run.nodes.length === 1 && run.edges.length === 0) {
        const node = run.nodes[0]!;
        const spread = shardingOf(map, node.labels);
        const props = new Map(node.props);
        const placed = home.get(node.id)!;
        if (idPlaced(spread, props) && !this.#host.leads(groupOf(map, placed))) {
          const led = new Set(spread.shards.filter((sh) => this.#host.leads(groupOf(map, sh))));
          const id = led.size === 0 ? undefined : await this.#idOn(spread, props, led);
          if (id !== undefined) {
            this.#keepSpare(spread, placed, node.id);
            run = scratchRun(text, params, id);
            home = this.place(map, run.nodes, run.edges);
          }
        }
      }
      const { r, nodes, edges } = run;
      const columns = r.columns;
      const rows = r.rows.map((cells) => {
        const row: ResultRow = {};
        for (let c = 0; c < columns.length; c++) row[columns[c]!] = toResultValue(cells[c] ?? null);
        return row;
      });
      return { columns, rows, writes: r.commands.length, nodes, edges, home };
    }
  }

  /** An id whose node (of `spread`, with `props`) lands on one of `led`, from the spare ids or new leases; undefined if none came. */
  async #idOn(spread: LabelSharding, props: ReadonlyMap<string, Value>, led: ReadonlySet<ShardId>): Promise<number | undefined> {
    for (let round = 0; round < 4; round++) {
      const byShard = this.#spare.get(spread);
      if (byShard !== undefined) {
        for (const sh of led) {
          const ids = byShard.get(sh);
          if (ids !== undefined && ids.length > 0) return ids.pop()!;
        }
      }
      // One refill at a time: concurrent inserts wait for it rather than each leasing a block.
      if (this.#refilling === undefined) {
        this.#refilling = (async () => {
          const lease = await this.manager.leaseIds(spareLeaseIds);
          for (let id = lease.start; id < lease.end; id++) this.#keepSpare(spread, shardOfNode(spread, id, props)!, id);
        })().finally(() => (this.#refilling = undefined));
      }
      await this.#refilling;
    }
    return undefined;
  }

  /** Keeps a leased id not used yet for a later node of `spread` landing on `shard` (at most {@link spareIdsMax} a shard: the rest stay unused). */
  #keepSpare(spread: LabelSharding, shard: ShardId, id: number): void {
    let byShard = this.#spare.get(spread);
    if (byShard === undefined) this.#spare.set(spread, (byShard = new Map()));
    let ids = byShard.get(shard);
    if (ids === undefined) byShard.set(shard, (ids = []));
    if (ids.length < spareIdsMax) ids.push(id);
  }

  /** place: the shard of each new node: its spread's rule; graph-aware by its neighbours in the same write. */
  place(map: ShardMapState, nodes: readonly NodeData[], edges: readonly EdgeData[]): Map<number, ShardId> {
    const home = new Map<number, ShardId>();
    const near = new Map<number, number[]>();
    for (const e of edges) {
      near.set(e.src, [...(near.get(e.src) ?? []), e.dst]);
      near.set(e.dst, [...(near.get(e.dst) ?? []), e.src]);
    }
    for (const n of nodes) {
      const spread = shardingOf(map, n.labels);
      let s = shardOfNode(spread, n.id, new Map(n.props));
      if (s === undefined) {
        const key = spread.shards.join(',');
        let p = this.#placer.get(key);
        if (p === undefined) this.#placer.set(key, (p = new GraphAwarePartitioner(spread.shards)));
        s = p.place((near.get(n.id) ?? []).flatMap((o) => (home.has(o) ? [home.get(o)!] : [])));
      }
      home.set(n.id, s);
    }
    return home;
  }
}

/** An insert run on a scratch graph, before it is split by shard. */
interface PreparedInsert {
  readonly columns: readonly string[];
  readonly rows: ResultRow[];
  readonly writes: number;
  readonly nodes: NodeData[];
  readonly edges: EdgeData[];
  readonly home: Map<number, ShardId>;
}

function newScratch(): { readonly store: GraphStore; readonly engine: QueryEngine } {
  const store = new GraphStore();
  return { store, engine: new QueryEngine(store) };
}

/** One run of an insert on a scratch graph whose allocators start at `start` (a leased id). */
function scratchRun(text: string, params: Record<string, Value>, start: number): { r: ReturnType<QueryEngine['run']>; nodes: NodeData[]; edges: EdgeData[]; maxId: number } {
  const scratch = new GraphStore();
  // Ids from the lease: a deleted placeholder just below it moves the allocators there.
  if (start > 1) {
    scratch.apply({ op: 'createNode', id: start - 1, labels: [], props: [] });
    scratch.apply({ op: 'createEdge', id: start - 1, type: '_', src: start - 1, dst: start - 1, props: [] });
    scratch.apply({ op: 'deleteEdge', id: start - 1 });
    scratch.apply({ op: 'deleteNode', id: start - 1 });
  }
  const r = new QueryEngine(scratch).run(text, params);
  let maxId = start - 1;
  const nodes: NodeData[] = [];
  const edges: EdgeData[] = [];
  for (const c of r.commands) {
    if (c.op === 'createNode' || c.op === 'createEdge') maxId = Math.max(maxId, c.id);
    if (c.op === 'createNode') nodes.push({ id: c.id, labels: c.labels, props: c.props as [string, PropertyValue][] });
    else if (c.op === 'createEdge') edges.push({ id: c.id, type: c.type, src: c.src, dst: c.dst, props: c.props as [string, PropertyValue][] });
    else throw new GeodeError('INPUT_INVALID', `an insert produced a ${c.op} command`, { detail: 'ShardedWrite' });
  }
  return { r, nodes, edges, maxId };
}

function groupOf(map: ShardMapState, shard: ShardId): number {
  const s = map.shards.find((x) => x.id === shard);
  if (s === undefined) throw new GeodeError('NOT_FOUND', `shard ${shard} is not in the shard map`);
  return s.group;
}
