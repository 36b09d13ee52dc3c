/**
 * ShardCoordinator: runs a read statement over a sharded graph from any peer. It plans and runs
 * the statement with the ordinary query engine over a {@link ShardedView}; whenever the engine
 * reaches for data not fetched yet, the coordinator asks the shards that can hold it (pruned by
 * the shard map: a seek on a label's shard key goes to one shard), adds the answers to the view
 * and runs again. Fetches of one round go to their shards in parallel (scatter-gather), and what
 * one node needs is fetched for every node of its wave (the frontier of a traversal), so a query
 * takes one or two rounds per hop of its patterns.
 *
 * Results equal those of one database holding the whole graph, by construction. Consistency:
 * each shard answers from its own state when asked; a statement whose rounds see shards at
 * different moments can see a cross-shard write half-applied until transactions (issue 8) give
 * the rounds one snapshot.
 *
 * @example
 * ```ts
 * const coord = new ShardCoordinator(map, { fetch: (shard, req) => shardPeers[shard].fetch(req) });
 * const { result, shards } = await coord.run('MATCH (p:Person {id: $id}) RETURN p.name', { id: 42n });
 * ```
 */
import { EdgeRecord, NodeRecord, PathValue, type Value } from '../../graph/index.ts';
import { QueryEngine, type EngineResult } from '../../query/index.ts';
import { parse } from '../../gql/index.ts';
import { isReadOnlyStatement } from '../../query/read-only.ts';
import { GeodeError, isGeodeError } from '../../util/errors.ts';
import type { Statement } from '../../gql/index.ts';
import { pruneShards } from '../shard-pruning.ts';
import { holdsEntity, mergePushdown, planPushdown, type ShardRows } from './pushdown.ts';
import type { ShardId } from '../hash-ring.ts';
import { shardOfNode, type ShardMapState } from '../shard-map.ts';
import { familyOf } from '../shard-split.ts';
import type { FetchAnswer, FetchRequest } from './shard-data.ts';
import { NeedData, ShardedView, type Need } from './sharded-view.ts';

/** Where the coordinator sends fetches: one shard's data (its Raft group's leader, or in-process). */
export interface ShardSource {
  fetch(shard: ShardId, request: FetchRequest): Promise<FetchAnswer>;
}

/** Limits of one coordinated statement. */
export interface CoordinatorLimits {
  /** Most fetch rounds (re-runs) of one statement. Default 256. */
  readonly roundsMax?: number;
  /** Most nodes fetched into the view by one statement. Default 1,000,000. */
  readonly nodesMax?: number;
}

/** What a coordinated statement returns. */
export interface CoordinatedResult {
  readonly result: EngineResult;
  /** The shards asked for data, ascending. */
  readonly shards: readonly ShardId[];
  /** Fetch rounds (the engine ran rounds + 1 times). */
  readonly rounds: number;
  /** Fetch requests sent (one per shard per round). */
  readonly fetches: number;
  /** True when the shards ran the statement and the coordinator merged their rows (`pushdown.ts`). */
  readonly pushedDown?: boolean;
}

const roundsMaxDefault = 256;
const nodesMaxDefault = 1_000_000;

export class ShardCoordinator {
  readonly #map: ShardMapState;
  readonly #source: ShardSource;
  readonly #roundsMax: number;
  readonly #nodesMax: number;
  /** Statements that asked more than one shard (the metric `cross_shard_queries`). */
  crossShardQueries = 0;
  /** Statements run. */
  queries = 0;
  /** Statements the shards ran themselves (pushed down), a subset of `queries`. */
  pushedDownQueries = 0;

  constructor(map: ShardMapState, source: ShardSource, limits: CoordinatorLimits = {}) {
    this.#map = map;
    this.#source = source;
    this.#roundsMax = limits.roundsMax ?? roundsMaxDefault;
    this.#nodesMax = limits.nodesMax ?? nodesMaxDefault;
  }

  #allShards(): ShardId[] {
    return this.#map.shards.map((s) => s.id);
  }

  /** The (label, key) pairs a seek on which can be routed to one shard. */
  #shardKeys(): Set<string> {
    const keys = new Set<string>();
    for (const [label, sh] of this.#map.labels) if (sh.key !== undefined && sh.strategy !== 'graph-aware') keys.add(`${label}\u0000${sh.key}`);
    return keys;
  }

  /** run: a read statement over the shards. Throws the statement's GeodeError, or LIMIT_EXCEEDED past the limits. */
  async run(text: string, params: Readonly<Record<string, Value>> = {}): Promise<CoordinatedResult> {
    const stmt = parse(text);
    if (!isReadOnlyStatement(stmt)) {
      throw new GeodeError('INPUT_INVALID', 'the coordinator runs reads only so far: a write to a sharded graph goes to its shard (cross-shard writes are not built yet)', {
        detail: 'ShardedWrite',
        source: 'coordinator',
      });
    }
    this.queries++;
    const pushed = await this.#runPushedDown(stmt, params);
    if (pushed !== undefined) return pushed;
    const view = new ShardedView(this.#shardKeys());
    const engine = new QueryEngine(view);
    const asked = new Set<ShardId>();
    let fetches = 0;
    for (let round = 0; ; round++) {
      let need: Need;
      try {
        const result = engine.run(text, params as Record<string, Value>);
        // Nodes in the rows (a path's too) are read by whoever takes the result: fetch them now.
        for (const row of result.rows) for (const cell of row) touch(cell);
        if (asked.size > 1) this.crossShardQueries++;
        const shards = [...asked].sort((a, b) => a - b);
        if (result.plan !== undefined) return { result: this.#withShardLines(result, stmt, params), shards, rounds: round, fetches };
        return { result, shards, rounds: round, fetches };
      } catch (err) {
        if (!(err instanceof NeedData)) throw err;
        need = err.need;
      }
      if (round >= this.#roundsMax) {
        throw new GeodeError('LIMIT_EXCEEDED', `the statement needed more than ${this.#roundsMax} rounds of fetches from the shards`, { detail: 'CoordinatorRounds', source: 'coordinator' });
      }
      fetches += await this.#fetch(view, need, asked);
      if (view.cache.nodeCount > this.#nodesMax) {
        throw new GeodeError('LIMIT_EXCEEDED', `the statement fetched more than ${this.#nodesMax} nodes from the shards`, { detail: 'CoordinatorNodes', source: 'coordinator' });
      }
    }
  }

  /** EXPLAIN over shards: the engine's plan, then where it runs (pushed down, or fetched from which shards). */
  #withShardLines(result: EngineResult, stmt: Statement, params: Readonly<Record<string, Value>>): EngineResult {
    const all = this.#allShards();
    const pruned = pruneShards(stmt, params, this.#map);
    const list = (shards: readonly ShardId[]): string => `${shards.length} of ${all.length} shards [${shards.join(', ')}]`;
    const lines: string[] = [];
    const plan = planPushdown({ ...stmt, explain: false });
    if (plan !== undefined && pruned.touched.length > 0) {
      lines.push(`Coordinator: pushed down to ${list(pruned.touched)}`, `  each shard runs: ${plan.shardText}`, `  merged here: ${plan.mergeText}`);
    } else {
      const starts = pruned.touched.length > 0 ? pruned.touched : all;
      lines.push(`Coordinator: fetches from ${list(starts)} where the patterns start, then from the home shards of the nodes it reaches`);
      for (const n of pruned.nodes) if (n.shards.length < n.of) lines.push(`  ${n.name}:${n.labels.join(':')} pruned to ${n.shards.length} of ${n.of} shards [${n.shards.join(', ')}] (${n.strategy})`);
    }
    const text = `${result.plan!}\n${lines.join('\n')}`;
    return { ...result, plan: text, rows: text.split('\n').map((l) => [l]) };
  }

  /**
   * A read over one label's nodes runs on the shards and is merged here (`pushdown.ts`); undefined
   * when the statement is not of that shape, or the shards' rows hold entities, or any part fails
   * (the general path then answers, with the statement's own error if it has one).
   */
  async #runPushedDown(stmt: Statement, params: Readonly<Record<string, Value>>): Promise<CoordinatedResult | undefined> {
    const plan = planPushdown(stmt);
    if (plan === undefined) return undefined;
    const shards = pruneShards(stmt, params, this.#map).touched;
    if (shards.length === 0) return undefined;
    let result: EngineResult;
    try {
      const req: FetchRequest = { kind: 'query', text: plan.shardText, params };
      const answers = await Promise.all(shards.map((shard) => this.#source.fetch(shard, req)));
      const rows: ShardRows[] = [];
      for (const a of answers) {
        if (a.rows === undefined || a.rows.rows.some((r) => r.some(holdsEntity))) return undefined;
        rows.push(a.rows);
      }
      result = mergePushdown(plan, rows, params);
    } catch (err) {
      if (isGeodeError(err)) return undefined;
      throw err;
    }
    this.pushedDownQueries++;
    if (shards.length > 1) this.crossShardQueries++;
    return { result, shards: [...shards].sort((a, b) => a - b), rounds: 0, fetches: shards.length, pushedDown: true };
  }

  /** Routes one need to the shards that can answer it, waits for them all, fills the view. Returns the requests sent. */
  async #fetch(view: ShardedView, need: Need, asked: Set<ShardId>): Promise<number> {
    const plan = this.#route(view, need);
    // Counts and schema are metadata every statement needs; `shards` lists where the data came from.
    if (need.kind !== 'counts') for (const [shard] of plan) asked.add(shard);
    const answers = await Promise.all([...plan].map(async ([shard, req]) => [shard, await this.#source.fetch(shard, req)] as const));
    const wave = view.newWave();
    if (need.kind === 'counts') {
      view.setCounts(answers.map(([, a]) => a.counts ?? { nodes: 0, edges: 0, labels: [], relationshipTypes: [], propertyKeys: [], indexes: [] }));
      return plan.size;
    }
    for (const [, a] of answers) view.absorb(a, wave);
    switch (need.kind) {
      case 'label':
        view.markLabel(need.label);
        break;
      case 'seek':
        view.markSeek(
          need.label,
          need.key,
          need.value,
          answers.flatMap(([, a]) => a.nodes.map((n) => n.id)),
        );
        break;
      case 'adjacency':
        view.markAdjacent(need.ids);
        break;
      case 'allNodes':
        view.markAllNodes();
        break;
      case 'allEdges':
        view.markAllEdges();
        break;
      case 'nodes': {
        const missing = need.ids.filter((id) => !view.isComplete(id));
        if (missing.length > 0) view.markMissing(missing);
        break;
      }
      case 'edges':
        view.markEdgesMissing(need.ids.filter((id) => view.cache.edge(id) === undefined));
        break;
    }
    return plan.size;
  }

  /** The request each shard gets for a need. */
  #route(view: ShardedView, need: Need): Map<ShardId, FetchRequest> {
    const all = this.#allShards();
    const everywhere = (req: FetchRequest): Map<ShardId, FetchRequest> => new Map(all.map((s) => [s, req]));
    switch (need.kind) {
      case 'counts':
      case 'label':
      case 'allNodes':
      case 'allEdges':
      case 'edges':
      case 'query':
        return everywhere(need);
      case 'seek': {
        const spread = this.#map.labels.get(need.label);
        const v = need.value;
        // Hash spreads place by the key only when it holds an integer or a string (by node id otherwise).
        const hashable = typeof v === 'bigint' || typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v));
        if (spread !== undefined && spread.key === need.key && (spread.strategy === 'range' || (spread.strategy === 'hash' && hashable))) {
          const shard = shardOfNode(spread, 0, new Map([[need.key, need.value]]));
          if (shard !== undefined) return new Map([[shard, need]]);
        }
        return everywhere(need);
      }
      case 'nodes':
      case 'adjacency': {
        const byShard = new Map<ShardId, number[]>();
        const unknown: number[] = [];
        // A ghost names the home its node had when the edge was made: a split may have moved the
        // node to a shard made from that one since, so the shards split from it are asked too.
        const families = new Map<ShardId, ShardId[]>();
        for (const id of need.ids) {
          const h = view.home.get(id);
          if (h === undefined) unknown.push(id);
          else {
            let fam = families.get(h);
            if (fam === undefined) families.set(h, (fam = familyOf(this.#map, h)));
            for (const s of fam) {
              let l = byShard.get(s);
              if (l === undefined) byShard.set(s, (l = []));
              l.push(id);
            }
          }
        }
        if (unknown.length > 0) for (const s of all) byShard.set(s, [...(byShard.get(s) ?? []), ...unknown]);
        return new Map([...byShard].map(([s, ids]) => [s, { kind: need.kind, ids }]));
      }
    }
  }
}

/** touch: reads the labels and properties of every node (and edge end) a value holds, so a stub throws NeedData here. */
function touch(v: Value): void {
  if (v === null || typeof v !== 'object') return;
  if (v instanceof NodeRecord) {
    void v.labels;
    void v.props;
  } else if (v instanceof EdgeRecord) {
    void v.props;
  } else if (v instanceof PathValue) {
    for (const n of v.nodes) touch(n);
  } else if (Array.isArray(v)) {
    for (const x of v) touch(x as Value);
  } else if (Object.getPrototypeOf(v) === null) {
    for (const x of Object.values(v)) touch(x as Value);
  }
}
