/**
 * A clustered database: `openGeode({ storage, cluster })`. The graph is one shard replicated by
 * Raft across the cluster's peers (src/shard `ShardHost`); `db.query` runs through the host:
 * writes through the leader, reads linearizable by default (`{ readQuorum: 1 }` for this
 * replica's state). As a client (`cluster.client`), statements run on a member (src/shard
 * `ShardClient`). Loaded only when `cluster` is given.
 */
import { GraphStore, type GraphReader } from '../graph/index.ts';
import type { GeodePeer } from '../net/index.ts';
import type { ProcedureDefinition } from '../query/index.ts';
import { HostFaults, ShardClient, ShardHost, systemClock, toEngineParams, validateShardConfig, workerClock, type HostClock, type ShardQueryResult, type WorkerClock } from '../shard/index.ts';
import { clientControls, memberControls, type ClusterControls } from './cluster-controls.ts';
import { MemoryLogStore } from '../storage/memory.ts';
import type { LogStore } from '../storage/types.ts';
import { GeodeError } from '../util/errors.ts';
import type { GeodeCluster } from './cluster-handle.ts';
import { validateClusterOptions, type ResolvedClusterOptions } from './cluster-options.ts';
import { openClusterTransport } from './cluster-transport.ts';
import type { Geode, GeodeOptions, QueryOptions, QueryParams, QueryResult } from './database.ts';
import { openLogStore } from './storage-drivers.ts';
import { LiveQueries, type SubscribeOptions, type Unsubscribe } from './live-query.ts';
import { clusterProcedures, rewriteShowCommand } from '../cluster/index.ts';
import { resolveTransactionOptions, runInTransaction, Session, TRANSACTION_TIMEOUT_MS_DEFAULT, type GeodeSession, type GeodeTransaction, type ResolvedTransactionOptions, type TransactionOptions } from './transaction.ts';
import { ClusterTransaction, type ClusterStatementRunner } from './cluster-transaction.ts';
import { HybridClock, hlcLogicalMax } from '../txn/hlc.ts';
import { GraphTransaction } from '../txn/graph-transaction.ts';
import { graphTxnComponents, startClusterTxn, type ClusterTxn } from '../txn/shard-committer.ts';
import { runInView } from '../cluster/txn-view.ts';
import { openFederation, splitClusterConfig } from './federation-wiring.ts';
import type { FederationAgent } from '../federation/index.ts';
import { splitShardingConfig, validateShardingConfig } from '../cluster/sharding-config.ts';
import { groupStore, startSharding, type ShardedCluster } from './sharded-cluster.ts';
import { shardsProcedure, unshardedMap } from '../cluster/shards-procedure.ts';
import { ShardedClientRouter } from '../cluster/client-router.ts';
import { RemoteTransaction, serveRemoteTransactions, type RemoteTxnServer } from './remote-transaction.ts';

function checkReadQuorum(v: unknown): 'majority' | 1 | undefined {
  if (v === undefined || v === 'majority' || v === 1) return v;
  throw new GeodeError('CONFIG_INVALID', `readQuorum must be 'majority' or 1, got ${String(v)}`, { source: 'query', detail: 'read_quorum' });
}

function toQueryResult(r: ShardQueryResult & { readonly shards?: readonly number[]; readonly plan?: string }): QueryResult {
  return {
    columns: r.columns,
    rows: r.rows,
    plan: r.plan,
    writes: r.writes,
    ...(r.staleness === undefined ? {} : { staleness: r.staleness }),
    ...(r.shards === undefined ? {} : { shards: r.shards }),
  };
}

class ClusteredGeode implements Geode {
  readonly #runner: ShardHost | ShardClient;
  readonly #transport: GeodePeer;
  readonly #opts: ResolvedClusterOptions;
  readonly #timeoutMs: number | undefined;
  readonly #handle: GeodeCluster;
  readonly #empty = new GraphStore();
  #closing: Promise<void> | undefined;
  /** Live queries, made on the first subscribe; re-run whenever the host applies committed entries. */
  #live: LiveQueries | undefined;
  #stopApplied: (() => void) | undefined;

  readonly #controls: ClusterControls;
  /** A member's transaction side (coordinator, transport, resolver); undefined on a client. */
  readonly #txn: ClusterTxn | undefined;
  readonly #transactionTimeoutMs: number;
  /** Set on a member of a sharded cluster: statements go through its router. */
  readonly #sharded: ShardedCluster | undefined;
  readonly #clock: WorkerClock | undefined;
  /** On a client: routes each statement of a sharded cluster to the member that should run it. */
  readonly #clientRouting: ShardedClientRouter | undefined;
  /** On a member: the transactions it runs for cluster clients (src/api/remote-transaction.ts). */
  readonly #remoteTxns: RemoteTxnServer | undefined;

  constructor(
    runner: ShardHost | ShardClient,
    transport: GeodePeer,
    opts: ResolvedClusterOptions,
    timeoutMs: number | undefined,
    member?: {
      readonly faults: HostFaults;
      readonly clock: HostClock;
      readonly ticker: WorkerClock | undefined;
      readonly federation?: FederationAgent | undefined;
      readonly sharded?: ShardedCluster;
      /** An unsharded member's transaction side (a sharded one's is `sharded.txn`). */
      readonly txn?: ClusterTxn;
    },
    transactionTimeoutMs: number = TRANSACTION_TIMEOUT_MS_DEFAULT,
  ) {
    this.#sharded = member?.sharded;
    this.#txn = member?.sharded?.txn ?? member?.txn;
    this.#transactionTimeoutMs = transactionTimeoutMs;
    this.#runner = runner;
    this.#transport = transport;
    this.#opts = opts;
    this.#timeoutMs = timeoutMs;
    const host = runner instanceof ShardHost ? runner : undefined;
    this.#clientRouting = runner instanceof ShardClient ? new ShardedClientRouter(runner) : undefined;
    this.#clock = member?.ticker;
    const controls = host !== undefined && member !== undefined ? memberControls({ host, transport, faults: member.faults, clock: member.clock }) : clientControls(transport);
    this.#controls = controls;
    this.#handle = {
      stepDown: () => controls.stepDown(),
      pause: () => controls.pause(),
      isolate: () => controls.isolate(),
      resume: () => controls.resume(),
      fault: () => controls.fault(),
      setVisible: (v) => controls.setVisible(v),
      visible: () => controls.visible(),
      tickSource: () => member?.ticker?.source ?? 'timers',
      id: opts.id,
      self: transport.self,
      mode: host === undefined ? 'client' : 'member',
      addrs: () => transport.addrs(),
      isLeader: () => host?.isLeader() ?? false,
      status: () => host?.status() ?? [],
      replicationLag: () => host?.replicationLag() ?? [],
      host,
      transport,
      federation: member?.federation,
      ...(member?.sharded === undefined ? {} : { sharding: member.sharded }),
      ...(this.#clientRouting === undefined ? {} : { clientRouting: this.#clientRouting }),
      remoteTransactions: () => this.#remoteTxns?.open() ?? 0,
    };
    this.#federation = member?.federation;
    this.#remoteTxns = host !== undefined && this.#txn !== undefined ? serveRemoteTransactions(host, { begin: (o) => this.#begin(o) }) : undefined;
  }

  readonly #federation: FederationAgent | undefined;

  get cluster(): GeodeCluster {
    return this.#handle;
  }

  /** The local replica's graph (a client holds none: an empty graph). */
  get graph(): GraphReader {
    return this.#runner instanceof ShardHost ? this.#runner.graph() : this.#empty;
  }

  async query(text: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult> {
    if (this.#closing !== undefined) throw new GeodeError('CLOSED', 'the database is closed');
    const readQuorum = checkReadQuorum(options?.readQuorum);
    const timeoutMs = options?.timeoutMs ?? this.#timeoutMs;
    if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
      throw new GeodeError('CONFIG_INVALID', `timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`, { source: 'config' });
    }
    // SHOW CLUSTER STATUS is CALL db.cluster.status() (rewritten here, so a client's member runs the CALL).
    const opts = { ...(readQuorum === undefined ? {} : { readQuorum }), ...(timeoutMs === undefined ? {} : { timeoutMs }) };
    const statement = (typeof text === 'string' ? rewriteShowCommand(text) : undefined) ?? text;
    const r =
      this.#sharded !== undefined
        ? await this.#sharded.router.run(statement, params, opts)
        : this.#clientRouting !== undefined
          ? await this.#clientRouting.run(statement, params, opts)
          : await this.#runner.query(statement, params, opts);
    return toQueryResult(r);
  }

  subscribe(query: string, params: QueryParams | undefined, onResult: (result: QueryResult) => void, options?: SubscribeOptions): Unsubscribe {
    const host = this.#runner;
    if (!(host instanceof ShardHost)) {
      throw new GeodeError('CONFIG_INVALID', 'a cluster client holds no replica to watch: subscribe on a member (open without cluster.client)', { source: 'query', detail: 'cluster.client' });
    }
    if (this.#closing !== undefined) throw new GeodeError('CLOSED', 'the database is closed');
    if (this.#live === undefined) {
      const live = new LiveQueries((text, p) => this.query(text, p, { readQuorum: 1 }));
      this.#live = live;
      this.#stopApplied = host.onApplied(() => live.changed());
    }
    return this.#live.subscribe(query, params, onResult, options);
  }

  transaction<T>(fn: (tx: GeodeTransaction) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    let retry: ResolvedTransactionOptions;
    try {
      retry = resolveTransactionOptions(options, this.#transactionTimeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    return runInTransaction(() => this.#begin(options), fn, retry);
  }

  session(): GeodeSession {
    return new Session({ query: (text, params, options) => this.query(text, params, options), begin: (options) => this.#begin(options) });
  }

  /**
   * A transaction over this member's shard groups (docs/transactions.md, "On a clustered
   * database"); on a cluster client, which holds no replica, a transaction run by a member for it
   * ("From a cluster client": {@link RemoteTransaction}).
   */
  async #begin(options: TransactionOptions | undefined): Promise<GeodeTransaction> {
    const resolved = resolveTransactionOptions(options, this.#transactionTimeoutMs);
    if (this.#closing !== undefined) throw new GeodeError('CLOSED', 'the database is closed');
    const host = this.#runner;
    if (host instanceof ShardClient) return RemoteTransaction.begin(host, resolved);
    const txn = this.#txn;
    if (txn === undefined) {
      throw new GeodeError('UNSUPPORTED', 'this member runs no transaction side', { source: 'transaction', detail: 'ClusterTransaction' });
    }
    const sharded = this.#sharded;
    if (sharded !== undefined) await sharded.manager.ready(Math.min(resolved.timeoutMs, 10_000));
    // "As of t ms": every version stamped in that ms or before (the logical counter at its top).
    const asOf = resolved.asOf === undefined ? undefined : { wall: resolved.asOf, logical: hlcLogicalMax };
    const tx = new GraphTransaction(graphTxnComponents(host, txn), { isolation: resolved.isolation, readOnly: resolved.readOnly, deadline: Date.now() + resolved.timeoutMs, asOf });
    const run: ClusterStatementRunner = async (text, params, opts, gtx) => {
      if (this.#closing !== undefined) throw new GeodeError('CLOSED', 'the database is closed');
      const statement = (typeof text === 'string' ? rewriteShowCommand(text) : undefined) ?? text;
      const timeoutMs = opts?.timeoutMs ?? this.#timeoutMs;
      const r = sharded !== undefined ? await sharded.router.run(statement, params, timeoutMs === undefined ? {} : { timeoutMs }, gtx) : await runInView(gtx, 0, statement, toEngineParams(params));
      return toQueryResult(r);
    };
    return new ClusterTransaction(tx, run, resolved);
  }

  registerProcedure(definition: ProcedureDefinition): void {
    if (!(this.#runner instanceof ShardHost)) {
      throw new GeodeError('CONFIG_INVALID', 'a cluster client runs statements on members: register procedures on the members', { source: 'config', detail: 'cluster.client' });
    }
    this.#runner.registerProcedure(definition);
  }

  /** Leaves cleanly: a leader hands off first (`cluster.handOffMs`), then stores and the network close. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopApplied?.();
      this.#live?.close();
      this.#controls.stop();
      this.#remoteTxns?.stop();
      this.#federation?.stop();
      this.#sharded?.stop();
      if (this.#sharded === undefined) this.#txn?.stop();
      // A paused or cut-off peer cannot hand off (nothing would reach the others): it just leaves.
      if (this.#runner instanceof ShardHost && this.#opts.handOffMs > 0 && this.#controls.fault() === 'none') await this.#runner.handOffLeadership(this.#opts.handOffMs);
      await this.#runner.close(); // closes the transport too
      this.#clock?.stop();
    })();
    return this.#closing;
  }
}

/** True in a browser page (a document and Workers): there the host's timers come from a Worker. */
function inBrowserPage(): boolean {
  return typeof document !== 'undefined' && typeof Worker !== 'undefined';
}

/**
 * openClusteredGeode: joins (or founds) a cluster as `options.cluster` says.
 *
 * @internal Called by `openGeode` when `cluster` is given.
 */
export async function openClusteredGeode(options: GeodeOptions, timeoutMs: number | undefined): Promise<Geode> {
  const opts = validateClusterOptions(options.cluster);
  const storage = options.storage ?? 'memory';
  // The sharding.* keys are the cluster layer's; the shard layer checks the rest.
  const sharding = validateShardingConfig(opts.config);
  let config: Record<string, unknown> = splitShardingConfig(opts.config).rest;
  if (options.snapshotThreshold !== undefined && config['raft.snapshot_threshold'] === undefined) {
    const raft = (config['raft'] ?? {}) as Record<string, unknown>;
    if (raft['snapshot_threshold'] === undefined) config = { ...config, raft: { ...raft, snapshot_threshold: options.snapshotThreshold } };
  }
  const split = splitClusterConfig(config, opts.id);
  config = split.shardConfig;
  if (split.federation.enabled && sharding.shards > 1) {
    // Federation streams group 0's log, which in a sharded cluster is the meta group's.
    throw new GeodeError('CONFIG_INVALID', 'federation.enabled with sharding.shards > 1 is not supported yet: federate one-shard clusters', {
      source: 'config',
      detail: 'federation.enabled',
    });
  }
  if (opts.client) {
    if (storage !== 'memory') throw new GeodeError('CONFIG_INVALID', `cluster.client holds no replica: storage must be 'memory', got '${storage}'`, { source: 'config', detail: 'storage' });
    // A client uses only request_timeout_ms, but checks every key as a member would: a typo in a
    // shared configuration file fails here too, not only on the peers.
    const { requestTimeoutMs } = validateShardConfig(config);
    const transport = await openClusterTransport({ cluster: opts, storage });
    const client = ShardClient.start({ transport, clock: systemClock, ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }) }, { requestTimeoutMs });
    return new ClusteredGeode(client, transport, opts, timeoutMs, undefined, options.transactionTimeoutMs);
  }
  // The store first: a bad storage spec or a locked directory fails before the network starts.
  const store: LogStore = storage === 'memory' ? new MemoryLogStore() : await openLogStore(storage, options.onWarning === undefined ? {} : { onWarning: options.onWarning });
  const transport = await openClusterTransport({ cluster: opts, storage });
  // In a browser tab the host ticks from a Worker's timer, so a hidden tab keeps its heartbeats.
  let ticker: WorkerClock | undefined;
  let host: ShardHost;
  const faults = new HostFaults();
  try {
    ticker = inBrowserPage() ? workerClock(validateShardConfig(config).tickMs) : undefined;
    host = await ShardHost.start(
      {
        transport: faults.transport(transport),
        clock: faults.clock(ticker ?? systemClock),
        random: Math.random,
        // Group 0 in the data directory itself (as before sharding); shard groups in `groups/<id>` beside it.
        logStore: (group) => (group === 0 ? store : groupStore(storage, group, options.onWarning)),
        // This peer's hybrid clock: it stamps the versions (commit timestamps) of the entries this peer proposes.
        versions: new HybridClock(() => Date.now(), validateShardConfig(config).maxClockSkewMs),
        ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
      },
      { bootstrap: opts.bootstrap, config, ...(sharding.shards > 1 ? { acceptGroups: (g: number) => g <= sharding.shards } : {}) },
    );
  } catch (err) {
    ticker?.stop();
    await transport.close().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
  const federation = await openFederation(split.federation, host, transport, options.onWarning);
  for (const def of clusterProcedures({ host, net: transport, ...(federation === undefined ? {} : { federation }) })) host.registerProcedure(def);
  const sharded = sharding.shards > 1 ? startSharding(host, sharding, options.onWarning) : undefined;
  // One shard: db.cluster.shards() still answers, with its one row (group 0 holds the whole graph).
  if (sharded === undefined) host.registerProcedure(shardsProcedure(() => unshardedMap, host));
  // Transactions: a sharded member's come with its sharding; an unsharded one commits on group 0.
  const txn = sharded === undefined ? startClusterTxn(host) : undefined;
  return new ClusteredGeode(
    host,
    transport,
    opts,
    timeoutMs,
    {
      faults,
      clock: faults.clock(ticker ?? systemClock),
      ticker,
      federation,
      ...(sharded === undefined ? {} : { sharded }),
      ...(txn === undefined ? {} : { txn }),
    },
    options.transactionTimeoutMs,
  );
}
