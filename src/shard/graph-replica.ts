/**
 * GraphReplica: one replica of a graph shard — a Raft node whose log holds batches of graph
 * commands, whose state machine is a {@link GraphStore}, and whose log lives in a {@link LogStore}.
 *
 * This is the host loop of the Raft core (ready → persist → send → apply → advance) for a group of
 * ONE voter: the embedded persistent database. Writes are executed on the graph first (the query
 * engine needs the graph to run them), then their commands are proposed as one log entry, and the
 * write is acknowledged once that entry is durable and committed. That order is safe only because
 * a single voter is always the leader and its log suffix can never be overwritten; groups of
 * several peers (the networking issue) must apply at commit instead.
 *
 * Recovery: `open()` restores the latest snapshot into a fresh graph and replays the log after it;
 * entries up to the last durable index are committed again by the single voter and applied.
 */
import {
  decodeConfChange,
  MemoryStorage,
  RawNode,
  snapshotThresholdDefault,
  type ConfState,
  type Entry,
  type LogIndex,
  type NodeId,
  type Ready,
  type Snapshot,
} from '../raft/index.ts';
import { decodeCommands, decodeSnapshot, encodeCommands, encodeSnapshot, GraphStore, type GraphCommand } from '../graph/index.ts';
import { assert } from '../util/assert.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import type { LogStore } from '../storage/types.ts';

/** The id of the one voter of an embedded database's group. */
const SOLE_VOTER = 1 as NodeId;

/** Largest encoded command batch (one statement's writes) accepted as one log entry. */
export const COMMAND_BATCH_BYTES_MAX = 48 * 1024 * 1024;

/** Options of {@link GraphReplica.open}. */
export interface GraphReplicaOptions {
  /** Where the log lives. The replica opens it and closes it. */
  readonly store: LogStore;
  /** Applied entries between snapshots (log compactions). Default `snapshotThresholdDefault` (10,000). */
  readonly snapshotThreshold?: number;
  /** Told about recoverable oddities (a torn log tail dropped, ...). */
  readonly onWarning?: (message: string) => void;
}

/** A replica's state, for status procedures and tests. */
export interface GraphReplicaStatus {
  readonly applied: LogIndex;
  readonly durableIndex: LogIndex;
  readonly snapshotIndex: LogIndex;
  readonly term: number;
  /** Writes proposed and not yet durable. */
  readonly pendingWrites: number;
}

interface PendingWrite {
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  readonly done: Promise<void>;
}

/** A random source for election timeouts; a single voter never needs a second election. */
function randomFraction(): number {
  return Math.random();
}

export class GraphReplica {
  readonly graph: GraphStore;
  readonly #store: LogStore;
  readonly #log: MemoryStorage;
  readonly #node: RawNode;
  /** Writes applied to the graph and proposed, oldest first; resolved as their entries commit. */
  #pending: PendingWrite[] = [];
  /** True while the startup replay runs: committed entries are applied, not matched to writes. */
  #replaying = true;
  #pumping = false;
  /** A kick came while a drain was running: it runs again when done. */
  #kickAgain = false;
  #failure: GeodeError | undefined;
  #closed = false;
  /** A snapshot is due: new writes wait until the pending ones are durable and it is taken. */
  #snapshotGate: { promise: Promise<void>; release: () => void } | undefined;
  /** Open holds ({@link holdSnapshots}): writes in the graph that are not proposed yet (an open transaction's). */
  #holds = 0;
  readonly #warn: (message: string) => void;

  private constructor(store: LogStore, log: MemoryStorage, node: RawNode, graph: GraphStore, warn: (m: string) => void) {
    this.#store = store;
    this.#log = log;
    this.#node = node;
    this.graph = graph;
    this.#warn = warn;
  }

  /**
   * Opens the replica: opens `store`, restores the snapshot and replays the log into a new graph,
   * and returns once every durable entry is applied and the replica accepts writes.
   * Rejects with the store's errors (INPUT_INVALID for corruption, IO, ...) and closes it then.
   */
  static async open(options: GraphReplicaOptions): Promise<GraphReplica> {
    const store = options.store;
    const warn = options.onWarning ?? (() => {});
    const durable = await store.open();
    try {
      let log: MemoryStorage;
      let graph: GraphStore;
      const fresh = durable.snapshot === undefined && durable.entries.length === 0;
      if (fresh) {
        const conf: ConfState = { voters: [SOLE_VOTER], learners: [] };
        log = new MemoryStorage(conf);
        const boot = log.entries(log.firstIndex(), (log.lastIndex() + 1) as LogIndex, Number.MAX_SAFE_INTEGER);
        store.stage({ entries: boot, hardState: log.initialState().hardState });
        await store.sync();
        graph = new GraphStore();
      } else {
        log = new MemoryStorage();
        graph = new GraphStore();
        if (durable.snapshot !== undefined) {
          log.applySnapshot(durable.snapshot);
          graph = restoreGraph(durable.snapshot, store.location);
        }
        log.append(durable.entries);
        // A commit index past the durable log (a torn tail dropped) is capped: those entries are gone.
        const hs = durable.hardState;
        const commit = Math.min(hs.commit, log.lastIndex()) as LogIndex;
        log.setHardState({ ...hs, commit });
      }
      const applied = log.snapshot().metadata.index;
      const node = new RawNode(
        {
          id: SOLE_VOTER,
          random: randomFraction,
          applied,
          snapshot_threshold: options.snapshotThreshold ?? snapshotThresholdDefault,
        },
        log,
      );
      const replica = new GraphReplica(store, log, node, graph, warn);
      await replica.#recover();
      return replica;
    } catch (err) {
      await store.close().catch(() => {});
      throw err;
    }
  }

  /** Replays the log: applies committed entries, becomes leader, commits and applies the rest. */
  async #recover(): Promise<void> {
    await this.#drain();
    this.#node.campaign();
    await this.#drain();
    assert(this.#node.isLeader(), 'a single voter did not become leader after campaigning');
    const last = this.#node.status().lastIndex;
    assert(this.#node.status().applied === last, `recovery applied ${this.#node.status().applied} of ${last} entries`);
    this.#replaying = false;
  }

  /**
   * writeGate: undefined when a write may run now; otherwise a promise to await first (a snapshot
   * is being taken, which needs the graph to hold only durable writes).
   */
  writeGate(): Promise<void> | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closed) throw new GeodeError('CLOSED', 'the database is closed');
    return this.#snapshotGate?.promise;
  }

  /**
   * holdSnapshots: the graph is about to hold writes that are not proposed yet (an open
   * transaction's, committed later as one entry or undone): no snapshot is taken until the returned
   * release is called, since a snapshot must hold only durable writes. A snapshot due meanwhile
   * closes the write gate and runs once every hold is released and pending writes are durable.
   * Call release once (it is idempotent), after `commit` when the held writes are committed.
   */
  holdSnapshots(): () => void {
    this.#holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds--;
      if (this.#holds === 0 && this.#snapshotGate !== undefined) this.#kick();
    };
  }

  /**
   * commit: `commands` were just applied to the graph by one statement; logs them as one entry and
   * resolves once it is durable and committed. Throws at once (the caller rolls the statement back)
   * when the batch is too large or the replica failed; rejects later only when the store fails,
   * and then the replica is failed: every later call throws that error until it is reopened.
   */
  commit(commands: readonly GraphCommand[]): Promise<void> {
    const gateErr = this.#failure ?? (this.#closed ? new GeodeError('CLOSED', 'the database is closed') : undefined);
    if (gateErr !== undefined) throw gateErr;
    const data = encodeCommands(commands);
    if (data.length > COMMAND_BATCH_BYTES_MAX) {
      throw new GeodeError(
        'LIMIT_EXCEEDED',
        `one statement wrote ${data.length} bytes of changes; at most ${COMMAND_BATCH_BYTES_MAX} fit in one log entry (split the statement)`,
        { detail: 'StatementTooLarge' },
      );
    }
    this.#node.propose(data);
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#pending.push({ resolve, reject, done });
    this.#kick();
    return done;
  }

  /**
   * settled: a promise for the durability of every write proposed so far (undefined when none is
   * pending). A read awaits it before answering, so it never returns data that could still be lost.
   */
  settled(): Promise<void> | undefined {
    const last = this.#pending[this.#pending.length - 1];
    return last?.done;
  }

  status(): GraphReplicaStatus {
    const s = this.#node.status();
    const d = this.#store.durable();
    return { applied: s.applied, durableIndex: d.lastIndex, snapshotIndex: d.snapshotIndex, term: s.hardState.term, pendingWrites: this.#pending.length };
  }

  /** close: waits for pending writes to be durable, then closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const last = this.settled();
    if (last !== undefined) await last.catch(() => {});
    this.#closed = true;
    while (this.#pumping) await new Promise((r) => setTimeout(r, 1));
    // A failed store rejects close() with its failure, which the replica already reported.
    if (this.#failure === undefined) await this.#store.close();
    else await this.#store.close().catch(() => {});
  }

  #kick(): void {
    if (this.#pumping) {
      // The running drain may be past its last look: it goes round once more.
      this.#kickAgain = true;
      return;
    }
    this.#pumping = true;
    queueMicrotask(() => {
      this.#drain().then(
        () => {},
        (err: unknown) => this.#fail(err),
      );
    });
  }

  /** Handles Ready batches until there are none; one drain runs at a time. */
  async #drain(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#failure === undefined && this.#node.hasReady()) {
        const rd = this.#node.ready();
        await this.#persist(rd);
        // A single voter sends no messages (only to itself, which Raft never does).
        this.#apply(rd);
        this.#node.advance(rd);
        if (this.#node.shouldSnapshot()) await this.#snapshot();
      }
      // A snapshot deferred by a hold runs once the hold is gone (no Ready may follow it).
      if (this.#failure === undefined && this.#snapshotGate !== undefined && this.#node.shouldSnapshot()) await this.#snapshot();
    } finally {
      this.#pumping = false;
      if (this.#kickAgain) {
        this.#kickAgain = false;
        if (this.#failure === undefined && !this.#closed) this.#kick();
      }
    }
  }

  async #persist(rd: Ready): Promise<void> {
    if (rd.snapshot !== undefined) this.#log.applySnapshot(rd.snapshot);
    this.#log.append(rd.entries);
    if (rd.hardState !== undefined) this.#log.setHardState(rd.hardState);
    if (rd.snapshot !== undefined || rd.entries.length > 0 || rd.hardState !== undefined) {
      this.#store.stage({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState });
      await this.#store.sync();
    }
  }

  #apply(rd: Ready): void {
    assert(rd.snapshot === undefined, 'a single voter never receives a snapshot');
    for (const e of rd.committedEntries) this.#applyEntry(e);
  }

  #applyEntry(e: Entry): void {
    if (e.type === 'confChange') {
      this.#node.applyConfChange(decodeConfChange(e.data));
      return;
    }
    if (e.data.length === 0) return; // a new leader's no-op
    if (this.#replaying) {
      const source = `${this.#store.location}: log entry ${e.index}`;
      const commands = decodeCommands(e.data, source);
      try {
        for (const c of commands) this.graph.apply(c);
      } catch (err) {
        throw new GeodeError('INPUT_INVALID', `${source} does not apply to the graph: ${err instanceof Error ? err.message : String(err)}`, {
          source,
          cause: err,
        });
      }
      return;
    }
    // Live: the entry is the oldest pending write, already applied to the graph.
    const w = this.#pending.shift();
    assert(w !== undefined, `entry ${e.index} committed with no pending write`);
    w.resolve();
  }

  /**
   * Takes a snapshot of the graph at the applied index and compacts the log. The graph must hold
   * exactly the applied entries, so new writes wait (the gate) until the pending ones commit.
   */
  async #snapshot(): Promise<void> {
    if ((this.#pending.length > 0 || this.#holds > 0) && !this.#replaying) {
      // Writes beyond the applied index are in the graph: close the gate and let them commit first.
      if (this.#snapshotGate === undefined) {
        let release!: () => void;
        const promise = new Promise<void>((r) => (release = r));
        this.#snapshotGate = { promise, release };
      }
      return;
    }
    const status = this.#node.status();
    const index = status.applied;
    const term = this.#log.term(index);
    assert(term !== undefined, `no term for the applied index ${index}`);
    const data = encodeSnapshot(this.graph.snapshot());
    const snap: Snapshot = { metadata: { index, term, conf: status.conf }, data };
    await this.#store.saveSnapshot(snap);
    this.#log.createSnapshot(index, status.conf, data);
    this.#log.compact(index);
    const gate = this.#snapshotGate;
    this.#snapshotGate = undefined;
    gate?.release();
  }

  #fail(err: unknown): void {
    const failure = isGeodeError(err)
      ? new GeodeError(err.code, `${err.message} — the database stopped; reopen it to recover what is durable`, { source: err.source, cause: err })
      : new GeodeError('IO', `the database stopped: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    this.#failure = failure;
    this.#warn(failure.message);
    const pending = this.#pending;
    this.#pending = [];
    for (const w of pending) w.reject(failure);
    const gate = this.#snapshotGate;
    this.#snapshotGate = undefined;
    gate?.release();
  }

  /** The error the replica failed with, if it did. */
  get failure(): GeodeError | undefined {
    return this.#failure;
  }
}

function restoreGraph(snapshot: Snapshot, location: string): GraphStore {
  const source = `${location}: snapshot at index ${snapshot.metadata.index}`;
  const data = decodeSnapshot(snapshot.data, source);
  try {
    return GraphStore.restore(data as Parameters<typeof GraphStore.restore>[0]);
  } catch (err) {
    throw new GeodeError('INPUT_INVALID', `${source} does not restore: ${err instanceof Error ? err.message : String(err)}`, { source, cause: err });
  }
}
