/**
 * The sharded side of a clustered database (`sharding.shards` > 1): the shard manager on the host,
 * the router every statement goes through, `db.cluster.shards()`, and what `db.cluster.sharding`
 * shows (the map, the bulk import). See docs/sharding.md.
 */
import type { GraphReader } from '../graph/index.ts';
import type { ShardHost } from '../shard/index.ts';
import { ShardManager } from '../cluster/shard-manager.ts';
import { ShardedRouter } from '../cluster/sharded-router.ts';
import { importGraph, type ShardImportSummary } from '../cluster/shard-import.ts';
import { mapChangesProcedure, shardRows, shardsProcedure, type ShardRow } from '../cluster/shards-procedure.ts';
import { META_GROUP } from '../cluster/shard-manager.ts';
import type { ResolvedSharding } from '../cluster/sharding-config.ts';
import type { ShardMapState } from '../cluster/shard-map.ts';
import type { CrossShardCommitter } from '../cluster/cross-shard.ts';
import { graphTxnComponents, startClusterTxn, type ClusterTxn } from '../txn/shard-committer.ts';
import { statementTransactions } from '../txn/graph-transaction.ts';
import type { Snapshot } from '../raft/index.ts';
import { MemoryLogStore } from '../storage/memory.ts';
import type { DurableMark, DurableState, LogStore, StagedWrites } from '../storage/types.ts';
import { GeodeError } from '../util/errors.ts';
import { openLogStore } from './storage-drivers.ts';

/** What `db.cluster.sharding` offers on a member of a sharded cluster. */
export interface ShardedCluster {
  /** The shard map as this peer's replica of the meta group holds it. */
  map(): ShardMapState;
  /** `db.cluster.shards()` rows as plain objects. */
  shards(): ShardRow[];
  /** Waits until the map has its shards and their groups run here; LIMIT_EXCEEDED after `timeoutMs`. */
  ready(timeoutMs: number): Promise<ShardMapState>;
  /** Bulk import of a whole graph, split by the map (docs/sharding.md, "Loading"). */
  importGraph(graph: GraphReader, options?: { readonly batch?: number; readonly timeoutMs?: number }): Promise<ShardImportSummary>;
  /** Installs the committer of writes that span shards (default: two-phase commit over the members, `txn.committer`). */
  setCommitter(committer: CrossShardCommitter): void;
  /** Statements run through the router, and those that asked more than one shard (`cross_shard_queries`). */
  stats(): { readonly queries: number; readonly crossShardQueries: number };
  readonly router: ShardedRouter;
  readonly manager: ShardManager;
  /** The member's transaction side: coordinator, transport, intent resolver (docs/transactions.md, "In a sharded cluster"). */
  readonly txn: ClusterTxn;
  /** Stops the manager, the resolver and serving transaction calls. */
  stop(): void;
}

/** startSharding: the manager and router on `host`, `db.cluster.shards()` registered, clients served by the router. */
export function startSharding(host: ShardHost, sharding: ResolvedSharding, onWarning: ((m: string) => void) | undefined): ShardedCluster {
  const manager = new ShardManager(host, sharding, onWarning === undefined ? {} : { onWarning });
  const router = new ShardedRouter(manager);
  // Writes spanning shards commit by two-phase commit between the members (src/txn/shard-committer.ts).
  const txn = startClusterTxn(host);
  router.committer = txn.committer;
  // Other writes spanning shards (SET, DELETE, MERGE, ...) run as transactions of their own.
  router.transactions = statementTransactions(graphTxnComponents(host, txn));
  host.registerProcedure(shardsProcedure(() => manager.map(), host));
  host.registerProcedure(mapChangesProcedure(() => host.graph(META_GROUP)));
  host.serveClientsWith((text, params, options) => router.run(text, params, options));
  manager.start();
  return {
    map: () => manager.map(),
    shards: () => shardRows(manager.map(), host),
    ready: (ms) => manager.ready(ms),
    importGraph: (graph, options) => importGraph(manager, graph, options),
    setCommitter: (c) => {
      router.committer = c;
    },
    stats: () => ({ queries: router.queries, crossShardQueries: router.crossShardQueries }),
    router,
    manager,
    txn,
    stop: () => {
      manager.stop();
      txn.stop();
    },
  };
}

/**
 * groupStoreSpec: where a shard group's log lives beside group 0's: `file:<dir>/groups/<id>`,
 * `indexeddb:<name>-g<id>`, or memory.
 */
export function groupStoreSpec(storage: string, group: number): string {
  if (storage === 'memory') return storage;
  if (storage.startsWith('file:')) return `${storage.replace(/\/+$/, '')}/groups/${group}`;
  return `${storage.includes(':') ? storage : `${storage}:geode`}-g${group}`;
}

/**
 * DeferredLogStore: a LogStore whose real store is made asynchronously (a storage driver loads on
 * first use) while the host asks for one synchronously; `open()` waits for it. Every other method
 * is only called after `open()` resolved (the LogStore contract).
 */
export class DeferredLogStore implements LogStore {
  readonly kind: LogStore['kind'];
  readonly location: string;
  readonly #making: Promise<LogStore>;
  #inner: LogStore | undefined;

  constructor(kind: LogStore['kind'], location: string, making: Promise<LogStore>) {
    this.kind = kind;
    this.location = location;
    this.#making = making;
  }

  #store(): LogStore {
    if (this.#inner === undefined) throw new GeodeError('CLOSED', `${this.location}: the log store is not open`);
    return this.#inner;
  }

  async open(): Promise<DurableState> {
    this.#inner = await this.#making;
    return this.#inner.open();
  }
  stage(writes: StagedWrites): void {
    this.#store().stage(writes);
  }
  sync(): Promise<void> {
    return this.#store().sync();
  }
  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.#store().saveSnapshot(snapshot);
  }
  durable(): DurableMark {
    return this.#store().durable();
  }
  async close(): Promise<void> {
    if (this.#inner !== undefined) await this.#inner.close();
  }
}

/** groupStore: the log store of shard group `group` (memory, or beside group 0's). */
export function groupStore(storage: string, group: number, onWarning: ((m: string) => void) | undefined): LogStore {
  if (storage === 'memory') return new MemoryLogStore();
  const spec = groupStoreSpec(storage, group);
  return new DeferredLogStore(storage.startsWith('file:') ? 'file' : 'indexeddb', spec, openLogStore(spec, onWarning === undefined ? {} : { onWarning }));
}
