/**
 * GroupReplica: this peer's replica of one Raft group (one graph shard): the Raft node, its log
 * (an in-memory view plus the durable {@link LogStore}), the graph it applies committed commands
 * to, and the bookkeeping of writes executed speculatively on the leader.
 *
 * Speculative writes (the leader only): the query engine needs the graph to run a statement, so
 * the leader runs it on its graph first and proposes the commands it produced, in execution order;
 * the write is answered when its entry commits. The leader accepts writes only once it has applied
 * everything before its own no-op entry, so its graph is exactly "applied log + its speculative
 * suffix". When it stops being leader (or its term changes) it rolls every speculative write back,
 * newest first, so the graph equals the applied log again before anything else is applied; each
 * rolled-back write becomes an orphan whose outcome the log decides: committed at its (index, term)
 * → it succeeded; another entry committed at its index → it failed with PROPOSAL_DROPPED
 * (`LeaderChanged`, retryable: it is known not to have happened); covered by a snapshot → unknown.
 *
 * The host (host.ts) drives it: `takeReady` (persist locally and stage to the store), sync all
 * stores, send messages, `applyReady`, `maybeSnapshot`.
 */
import {
  decodeConfChange,
  encodeConfChange,
  MemoryStorage,
  RawNode,
  type ConfChange,
  type Entry,
  type LogIndex,
  type NodeId,
  type RaftLogger,
  type Ready,
  type Snapshot,
  type Term,
} from '../raft/index.ts';
import { concatCommandBatches, decodeSnapshot, encodeCommands, encodeSnapshot, GraphStore, type GraphCommand, type Value } from '../graph/index.ts';
import { QueryEngine, type ProcedureDefinition } from '../query/index.ts';
import { toResultValue, type ResultRow } from '../api/result.ts';
import type { LogStore } from '../storage/types.ts';
import type { PeerId } from '../net/types.ts';
import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';
import { COMMAND_BATCH_BYTES_MAX } from './graph-replica.ts';
import type { ResolvedShardConfig } from './config.ts';
import { entryStatementsMax, mvccRecentEntries, speculativeWritesMax } from './constants.ts';
import { entryKeys, MvccHistory } from './mvcc-history.ts';
import { decodeEntry, entryStamp, stampEntry, type VersionClock, type VersionStamp } from './entry-stamp.ts';
import { checkPeerId, nodeIdOfPeer } from './peer-ids.ts';
import type { WireResult } from './values.ts';
import type { GroupId } from './wire.ts';

/** A statement run on the local graph: its answer, its commands, and how to undo them. */
export interface Execution {
  readonly result: WireResult;
  readonly commands: readonly GraphCommand[];
  readonly rollback: () => void;
  /** Adds a command applied after the statement to it (see `EngineResult.append`); absent for schema commands. */
  readonly append?: ((command: GraphCommand, undo: readonly GraphCommand[]) => void) | undefined;
}

/** SpecState: a speculative write's fate. */
export type SpecState = 'pending' | 'committed' | 'dropped' | 'unknown' | 'refused';

/**
 * A write executed on the leader's graph and proposed at (index, term). Writes executed in the
 * same turn share one log entry: `index` is 0 until that entry is proposed
 * ({@link GroupReplica.flushProposals}). `refused`: the proposal was refused (`error` says why;
 * nothing happened).
 */
export interface SpecWrite {
  index: LogIndex;
  term: Term;
  readonly result: WireResult;
  /** The commands applied to the graph and proposed (applying them again redoes the write after a rollback). */
  readonly commands: readonly GraphCommand[];
  readonly rollback: () => void;
  state: SpecState;
  error?: unknown;
  /** The version stamp of its entry, once proposed (undefined on a host without a version clock). */
  stamp?: VersionStamp | undefined;
}

/** What a group needs from its host. */
export interface GroupDeps {
  readonly id: GroupId;
  readonly self: PeerId;
  readonly selfNode: NodeId;
  readonly store: LogStore;
  readonly config: ResolvedShardConfig;
  readonly random: () => number;
  readonly logger: RaftLogger | undefined;
  readonly now: () => number;
  /**
   * Procedures added by the host's `registerProcedure`, registered on every engine this replica
   * builds (the first, and each one a snapshot restore makes). The host owns the list and appends.
   */
  readonly procedures: readonly ProcedureDefinition[];
  /** Stamps the entries this replica proposes as leader and is told the stamps of the entries it appends (src/shard/entry-stamp.ts); none: entries go unstamped. */
  readonly versions?: VersionClock | undefined;
}

const SNAPSHOT_ENVELOPE_FORMAT = 'geode-shard/1';

export class GroupReplica {
  readonly id: GroupId;
  readonly self: PeerId;
  readonly selfNode: NodeId;
  readonly node: RawNode;
  readonly log: MemoryStorage;
  readonly store: LogStore;
  graph: GraphStore;
  engine: QueryEngine;
  /** NodeId → PeerId of members, from applied conf changes and snapshots (what every member agrees on). */
  readonly peers = new Map<NodeId, PeerId>();
  /** NodeId → PeerId learned from frames (`from` is checked to be the sender's hash): routes replies to non-members. */
  readonly hints = new Map<NodeId, PeerId>();
  /** Speculative writes, oldest first (leader only). */
  spec: SpecWrite[] = [];
  /** Rolled-back speculative writes waiting for the log to decide their outcome, by index. */
  readonly orphans = new Map<number, SpecWrite[]>();
  /** The tail of `spec` not proposed yet, and each one's encoded commands: one log entry at the next flush. */
  #unproposed: SpecWrite[] = [];
  #unproposedData: Uint8Array[] = [];
  #unproposedBytes = 0;
  /** The term this replica last led, and the index of its no-op in that term. */
  #leaderTerm = 0;
  #noopIndex = 0;
  /** When this replica last heard from (or was) the leader, ms. */
  leaderContactAt = 0;
  /** A snapshot is due but speculative writes are in the graph: new writes wait. */
  snapshotDue = false;
  /** The background save of a snapshot, while one runs. */
  #saving: Promise<void> | undefined;
  /** The first error of a background snapshot save: the host stops on it (the store is no longer usable). */
  savingFailure: unknown;
  /**
   * Entries kept in the in-memory log behind each snapshot (as etcd's `SnapshotCatchUpEntries`):
   * readers of the committed log (federation) that far behind read entries, not the snapshot.
   * The durable log is still compacted at the snapshot (after a restart the log starts there).
   */
  logRetainEntries = 0;
  /** Snapshots received from a leader and installed (catch-up past the leader's compaction). */
  snapshotsReceived = 0;
  /** Leader elections this replica saw start (term changes), for metrics. */
  elections = 0;
  /** Ready results of reads: context → read index. */
  readonly readStates = new Map<string, LogIndex>();
  /** Recent applied entries, for snapshot reads and key-granular commit checks (src/shard/mvcc-history.ts). */
  readonly history: MvccHistory;
  readonly #procedures: readonly ProcedureDefinition[];
  readonly #now: () => number;
  readonly #versions: VersionClock | undefined;
  /** The stamp of the newest applied stamped entry (or of the snapshot restored): what a snapshot taken now records. */
  #appliedStamp: VersionStamp | undefined;

  private constructor(deps: GroupDeps, node: RawNode, log: MemoryStorage, graph: GraphStore, snapshotStamp: VersionStamp | undefined) {
    this.id = deps.id;
    this.self = deps.self;
    this.selfNode = deps.selfNode;
    this.store = deps.store;
    this.node = node;
    this.log = log;
    this.graph = graph;
    this.#procedures = deps.procedures;
    this.#now = deps.now;
    this.#versions = deps.versions;
    this.#appliedStamp = snapshotStamp;
    this.history = new MvccHistory(log.snapshot().metadata.index, deps.config.mvccHistoryEntries, mvccRecentEntries, undefined, deps.config.mvccRetentionMs, snapshotStamp);
    this.engine = this.#newEngine();
    this.peers.set(deps.selfNode, deps.self);
  }

  /** A query engine over the current graph with every host-registered procedure. */
  #newEngine(): QueryEngine {
    const engine = new QueryEngine(this.graph);
    for (const def of this.#procedures) engine.registerProcedure(def);
    return engine;
  }

  /**
   * open: opens the store and rebuilds the replica from it. An empty store of a `bootstrap` host
   * founds the group with this peer as its only voter; an empty store otherwise waits to be added
   * by the leader (as a learner: it learns everything from the log or a snapshot).
   */
  static async open(deps: GroupDeps, bootstrap: boolean | readonly PeerId[]): Promise<GroupReplica> {
    const durable = await deps.store.open();
    try {
      const log = new MemoryStorage();
      let graph = new GraphStore();
      let peerList: [NodeId, PeerId][] = [];
      let snapshotStamp: VersionStamp | undefined;
      const fresh = durable.snapshot === undefined && durable.entries.length === 0;
      if (fresh && bootstrap !== false) {
        // One voter (`true`: this peer founds the group), or every listed voter: each of them writes
        // the same first entries (one addNode per voter, in the list's order, committed in term 1),
        // so the group elects among them whichever of them is up — no founder it depends on.
        const voters = bootstrap === true ? [deps.self] : bootstrap;
        assert(voters.includes(deps.self) && new Set(voters).size === voters.length, `group ${deps.id}: bootstrap voters must be distinct and hold this peer`);
        const boot: Entry[] = voters.map((peer, i) => {
          const cc: ConfChange = { changes: [{ type: 'addNode', nodeId: peer === deps.self ? deps.selfNode : nodeIdOfPeer(peer) }], context: peer };
          return { term: 1 as Term, index: (i + 1) as LogIndex, type: 'confChange', data: encodeConfChange(cc) };
        });
        const hs = { term: 1 as Term, vote: 0 as NodeId, commit: boot.length as LogIndex };
        log.append(boot);
        log.setHardState(hs);
        deps.store.stage({ entries: boot, hardState: hs });
        await deps.store.sync();
      } else if (!fresh) {
        if (durable.snapshot !== undefined) {
          log.applySnapshot(durable.snapshot);
          const restored = restoreEnvelope(durable.snapshot, `${deps.store.location}: snapshot at index ${durable.snapshot.metadata.index}`);
          graph = restored.graph;
          peerList = restored.peers;
          snapshotStamp = restored.stamp;
          if (snapshotStamp !== undefined) deps.versions?.witness(snapshotStamp);
        }
        log.append(durable.entries);
        witnessEntries(deps.versions, durable.entries, `${deps.store.location}`);
        const hs = durable.hardState;
        log.setHardState({ ...hs, commit: Math.min(hs.commit, log.lastIndex()) as LogIndex });
      }
      const applied = log.snapshot().metadata.index;
      const raft = deps.config.raft;
      const node = new RawNode(
        {
          ...raft,
          id: deps.selfNode,
          random: deps.random,
          applied,
          ...(deps.logger === undefined ? {} : { logger: deps.logger }),
        },
        log,
      );
      const g = new GroupReplica(deps, node, log, graph, snapshotStamp);
      g.durableIndex = log.lastIndex(); // everything opened from the store is on disk
      for (const [id, peer] of peerList) g.peers.set(id, peer);
      return g;
    } catch (err) {
      await deps.store.close().catch(() => {});
      throw err;
    }
  }

  /** peerOf: the peer of a node id (a member's, or one learned from a frame), or undefined. */
  peerOf(id: NodeId): PeerId | undefined {
    return this.peers.get(id) ?? this.hints.get(id);
  }

  /** leaderPeer: the peer this replica believes leads the group (itself when it does), or undefined. */
  leaderPeer(): PeerId | undefined {
    const lead = this.node.leader();
    return lead === 0 ? undefined : this.peerOf(lead);
  }

  /** applied: the index applied to the graph (speculative writes aside). */
  applied(): LogIndex {
    return this.node.raft.log.applied;
  }

  /**
   * graphApplied: the index of the last entry (or snapshot) this replica's graph holds. Ahead of
   * {@link applied} while the host syncs a Ready whose entries that were already durable it applied
   * early (raft's applied index moves only at advance); never behind it.
   */
  graphApplied(): LogIndex {
    return Math.max(this.#graphApplied, this.applied()) as LogIndex;
  }

  #graphApplied = 0;

  /** leaderReady: this replica leads and its graph holds every entry before its no-op: writes may run. */
  leaderReady(): boolean {
    return this.node.isLeader() && this.node.raft.term === this.#leaderTerm && this.applied() >= this.#noopIndex && !this.snapshotDue;
  }

  /**
   * observe: call after every step/tick. Notices a new term or a lost leadership and rolls the
   * speculative writes back BEFORE anything else is applied.
   */
  observe(now: number): void {
    const r = this.node.raft;
    if (r.state === 'leader') {
      if (r.term !== this.#leaderTerm) {
        if (this.spec.length > 0) this.#stepDown();
        this.#leaderTerm = r.term;
        this.#noopIndex = r.log.lastIndex();
        this.elections++;
      }
      this.leaderContactAt = now;
    } else if (this.spec.length > 0) {
      this.#stepDown();
    }
  }

  /**
   * Rolls the speculative writes back, newest first; proposed ones become orphans decided by the
   * log, those not proposed yet did not happen.
   */
  #stepDown(): void {
    for (let i = this.spec.length - 1; i >= 0; i--) {
      const s = this.spec[i]!;
      s.rollback();
      if (s.index === 0) {
        s.state = 'dropped';
        continue;
      }
      const at = this.orphans.get(s.index);
      if (at === undefined) this.orphans.set(s.index, [s]);
      else at.push(s);
    }
    this.spec = [];
    this.#clearUnproposed();
    this.engine.invalidatePlans();
  }

  #clearUnproposed(): void {
    this.#unproposed = [];
    this.#unproposedData = [];
    this.#unproposedBytes = 0;
  }

  /** execute: runs a statement on the local graph and detaches its rows. Throws the query's GeodeError. */
  execute(text: string, params: Record<string, Value>, timeoutMs: number | undefined, now: () => number): Execution {
    const r = this.engine.run(text, params, timeoutMs === undefined ? {} : { timeoutMs, now });
    const columns = r.columns;
    const rows: ResultRow[] = new Array<ResultRow>(r.rows.length);
    for (let i = 0; i < r.rows.length; i++) {
      const cells = r.rows[i]!;
      const row: ResultRow = {};
      for (let c = 0; c < columns.length; c++) row[columns[c]!] = toResultValue(cells[c] ?? null);
      rows[i] = row;
    }
    return { result: { columns, rows, writes: r.commands.length }, commands: r.commands, rollback: r.rollback, append: r.append };
  }

  /**
   * proposeSpeculative: on a ready leader, queues the commands of a statement just executed on
   * the graph for the next log entry (no await in between, so log order is execution order).
   * Statements of one turn go out as one entry (the host flushes before it takes the next Ready):
   * fewer, larger entries cost the log, the followers and their stores less per write. Throws
   * (after rolling the statement back) when it cannot be proposed.
   */
  proposeSpeculative(exec: Execution): SpecWrite {
    assert(this.leaderReady(), 'proposeSpeculative on a replica that is not a ready leader');
    let data: Uint8Array;
    try {
      if (this.spec.length >= speculativeWritesMax) {
        throw new GeodeError('LIMIT_EXCEEDED', `more than ${speculativeWritesMax} writes wait to commit on this leader`, { detail: 'TooManyPending' });
      }
      data = encodeCommands(exec.commands);
      if (data.length > COMMAND_BATCH_BYTES_MAX) {
        throw new GeodeError('LIMIT_EXCEEDED', `one statement wrote ${data.length} bytes of changes; at most ${COMMAND_BATCH_BYTES_MAX} fit in one log entry`, {
          detail: 'StatementTooLarge',
        });
      }
    } catch (err) {
      exec.rollback();
      throw err;
    }
    if (this.#unproposedBytes + data.length > COMMAND_BATCH_BYTES_MAX || this.#unproposed.length >= entryStatementsMax) {
      // The entry is full: propose it first. The statement just run sits on top of it in the graph.
      const refused = this.#proposeUnproposed();
      if (refused !== undefined) {
        exec.rollback();
        this.#refuseUnproposed(refused);
        throw refused;
      }
    }
    const s: SpecWrite = { index: 0 as LogIndex, term: this.node.raft.term, result: exec.result, commands: exec.commands, rollback: exec.rollback, state: 'pending' };
    this.spec.push(s);
    this.#unproposed.push(s);
    this.#unproposedData.push(data);
    this.#unproposedBytes += data.length;
    return s;
  }

  /**
   * flushProposals: proposes the statements queued by {@link proposeSpeculative} as one log entry.
   * The host calls it before each Ready (after {@link observe}). A refused proposal rolls them back
   * (newest first) and marks them `refused`.
   */
  flushProposals(): void {
    if (this.#unproposed.length === 0) return;
    const refused = this.#proposeUnproposed();
    if (refused !== undefined) this.#refuseUnproposed(refused);
  }

  /** Proposes the queued statements; answers the error when Raft refused them (nothing rolled back). */
  #proposeUnproposed(): unknown {
    if (this.#unproposed.length === 0) return undefined;
    const batch = concatCommandBatches(this.#unproposedData);
    const stamp = this.#versions?.now();
    try {
      this.node.propose(stamp === undefined ? batch : stampEntry(stamp, batch));
    } catch (err) {
      return err;
    }
    const r = this.node.raft;
    const index = r.log.lastIndex();
    const before = this.spec[this.spec.length - this.#unproposed.length - 1];
    assert(before === undefined || before.index < index, `speculative writes at ${index} after one at ${before?.index}`);
    for (const s of this.#unproposed) {
      s.index = index;
      s.term = r.term;
      s.stamp = stamp;
    }
    this.#clearUnproposed();
    return undefined;
  }

  /** Rolls the queued statements back, newest first, as refused with `err`. */
  #refuseUnproposed(err: unknown): void {
    const queued = this.#unproposed;
    for (let i = queued.length - 1; i >= 0; i--) {
      queued[i]!.rollback();
      queued[i]!.state = 'refused';
      queued[i]!.error = err;
    }
    this.spec.length -= queued.length;
    this.#clearUnproposed();
    this.engine.invalidatePlans();
  }

  /** takeReady: the next Ready, its snapshot/entries/hard state already in the log view and staged to the store. */
  takeReady(): Ready | undefined {
    if (!this.node.hasReady()) return undefined;
    const rd = this.node.ready();
    if (rd.snapshot !== undefined) {
      this.log.applySnapshot(rd.snapshot);
      this.snapshotsReceived++;
    }
    this.log.append(rd.entries);
    witnessEntries(this.#versions, rd.entries, `group ${this.id}`);
    if (rd.hardState !== undefined) this.log.setHardState(rd.hardState);
    if (rd.snapshot !== undefined || rd.entries.length > 0 || rd.hardState !== undefined) {
      this.store.stage({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState });
    }
    return rd;
  }

  /** applyReady: Ready step 3 and 4, after the store synced and the messages went out. */
  applyReady(rd: Ready): void {
    this.applyCommitted(rd, rd.committedEntries.length);
    this.finishReady(rd);
  }

  /** Last log index known durable in the store (entries up to it survive a crash). */
  durableIndex = 0;

  /** How many of `rd`'s committed entries were applied already (by {@link applyCommitted}). */
  #appliedOfReady = 0;

  /**
   * applyCommitted: applies `rd`'s snapshot (when `upTo` reaches past none applied yet) and its
   * committed entries up to position `upTo` (exclusive). The host applies the entries that were
   * durable before this Ready early — while the store syncs the Ready's new entries — and the rest
   * after the sync; {@link finishReady} then advances.
   */
  applyCommitted(rd: Ready, upTo: number): void {
    if (this.#appliedOfReady === 0 && rd.snapshot !== undefined) this.#applySnapshot(rd.snapshot);
    for (let i = this.#appliedOfReady; i < upTo; i++) this.#applyEntry(rd.committedEntries[i]!);
    if (upTo > this.#appliedOfReady) this.#appliedOfReady = upTo;
  }

  /** finishReady: the rest of `rd`'s committed entries, its read states, and advance. */
  finishReady(rd: Ready): void {
    this.applyCommitted(rd, rd.committedEntries.length);
    for (const rs of rd.readStates) this.readStates.set(rs.context, rs.index);
    this.#appliedOfReady = 0;
    this.node.advance(rd);
  }

  #applyEntry(e: Entry): void {
    if (e.index > this.#graphApplied) this.#graphApplied = e.index;
    if (e.type === 'confChange') {
      const cc = decodeConfChange(e.data);
      this.node.applyConfChange(cc);
      if (cc.context !== undefined) {
        const peer = checkPeerId(cc.context, `group ${this.id} log entry ${e.index} context`);
        for (const ch of cc.changes) if (ch.type !== 'removeNode') this.peers.set(ch.nodeId, peer);
      }
      this.#settleOrphan(e);
      return;
    }
    const head = this.spec[0];
    if (head !== undefined && head.index === e.index) {
      assert(head.term === e.term, `speculative write at ${e.index} of term ${head.term} committed as term ${e.term} while leading`);
      let n = 0;
      while (n < this.spec.length && this.spec[n]!.index === e.index) this.spec[n++]!.state = 'committed';
      const writes = this.spec.splice(0, n);
      // One history entry for the log entry: its statements' commands in order, undone newest first.
      const commands = writes.length === 1 ? writes[0]!.commands : writes.flatMap((w) => w.commands);
      if (commands.length > 0) {
        const { keys, schema } = entryKeys(commands);
        const undo = writes.length === 1 ? writes[0]!.rollback : newestFirst(writes.map((w) => w.rollback));
        const stamp = writes[0]!.stamp;
        if (stamp !== undefined) this.#appliedStamp = stamp;
        this.history.push({ index: e.index, keys, commands, undo, schema, stamp }, this.#now());
      }
      return;
    }
    assert(head === undefined || head.index === 0 || head.index > e.index, `entry ${e.index} committed past the speculative write at ${head?.index}`);
    if (e.data.length > 0) {
      const source = `group ${this.id} log entry ${e.index}`;
      const { stamp, commands } = decodeEntry(e.data, source);
      if (stamp !== undefined) this.#appliedStamp = stamp;
      const graph = this.graph;
      const undo = graph.applyBatchWithUndo(commands);
      const { keys, schema } = entryKeys(commands);
      if (schema) this.engine.invalidatePlans();
      this.history.push({ index: e.index, keys, commands, undo: undoOf(graph, undo), schema, stamp }, this.#now());
    }
    this.#settleOrphan(e);
  }

  #settleOrphan(e: Entry): void {
    if (this.orphans.size === 0) return;
    const at = this.orphans.get(e.index);
    if (at === undefined) return;
    this.orphans.delete(e.index);
    for (const o of at) o.state = o.term === e.term ? 'committed' : 'dropped';
  }

  #applySnapshot(snap: Snapshot): void {
    assert(this.spec.length === 0, 'a leader with speculative writes received a snapshot');
    const restored = restoreEnvelope(snap, `group ${this.id} snapshot at index ${snap.metadata.index}`);
    this.graph = restored.graph;
    this.#graphApplied = snap.metadata.index;
    this.#appliedStamp = restored.stamp;
    if (restored.stamp !== undefined) this.#versions?.witness(restored.stamp);
    this.history.reset(snap.metadata.index, restored.stamp);
    this.engine = this.#newEngine();
    for (const [id, peer] of restored.peers) this.peers.set(id, peer);
    // Orphans the snapshot covers: only the one at its exact index can be decided.
    for (const [index, at] of this.orphans) {
      if (index > snap.metadata.index) continue;
      this.orphans.delete(index);
      for (const o of at) o.state = index === snap.metadata.index ? (o.term === snap.metadata.term ? 'committed' : 'dropped') : 'unknown';
    }
  }

  /**
   * maybeSnapshot: takes a snapshot and compacts the log when `snapshot_threshold` entries were
   * applied since the last one. With speculative writes in the graph it marks one due instead
   * (new writes wait until they commit).
   *
   * The graph is captured at the applied index at once (synchronously); writing it to the store
   * (its file and syncs) and compacting the log happen in the background, so the host's loop
   * keeps committing and answering meanwhile. One save at a time: no new snapshot is taken while
   * one is being written. A save that fails is reported through {@link GroupReplica.savingFailure}.
   */
  async maybeSnapshot(): Promise<void> {
    if (this.#saving !== undefined || !this.node.shouldSnapshot()) return;
    if (this.spec.length > 0) {
      this.snapshotDue = true;
      return;
    }
    const status = this.node.status();
    const index = status.applied;
    const t = this.log.term(index);
    assert(t !== undefined, `no term for the applied index ${index}`);
    const peers: [number, string][] = [];
    for (const [id, peer] of this.peers) if (status.conf.voters.includes(id) || status.conf.learners.includes(id)) peers.push([id, peer]);
    const envelope: Record<string, unknown> = { format: SNAPSHOT_ENVELOPE_FORMAT, peers, graph: this.graph.snapshot() };
    // The version stamp of the state captured (readers at a past timestamp on a replica restored from it need it).
    if (this.#appliedStamp !== undefined) envelope['stamp'] = [this.#appliedStamp.wall, this.#appliedStamp.logical];
    const data = encodeSnapshot(envelope);
    this.snapshotDue = false;
    const snap: Snapshot = { metadata: { index, term: t, conf: status.conf }, data };
    this.#saving = this.#save(snap).then(
      () => {
        this.#saving = undefined;
      },
      (err: unknown) => {
        this.#saving = undefined;
        this.savingFailure ??= err;
      },
    );
  }

  /** The store's durable snapshot first, then the in-memory log (a newer snapshot installed meanwhile wins: both calls ignore an older index). */
  async #save(snap: Snapshot): Promise<void> {
    await this.store.saveSnapshot(snap);
    const { index, conf } = snap.metadata;
    this.log.createSnapshot(index, conf, snap.data);
    this.log.compact((index - Math.min(index, this.logRetainEntries)) as LogIndex);
  }

  /** Settles when no snapshot save runs (close and tests wait for it). */
  async snapshotSaved(): Promise<void> {
    await this.#saving;
  }
}

/** Reads a snapshot's envelope: the members' peer ids and the graph. INPUT_INVALID naming `source`. */
function restoreEnvelope(snap: Snapshot, source: string): { graph: GraphStore; peers: [NodeId, PeerId][]; stamp: VersionStamp | undefined } {
  const raw = decodeSnapshot(snap.data, source) as { format?: unknown; peers?: unknown; graph?: unknown; stamp?: unknown };
  if (typeof raw !== 'object' || raw === null || raw.format !== SNAPSHOT_ENVELOPE_FORMAT || !Array.isArray(raw.peers)) {
    throw new GeodeError('INPUT_INVALID', `${source}: not a shard snapshot (${SNAPSHOT_ENVELOPE_FORMAT})`, { source });
  }
  const peers: [NodeId, PeerId][] = [];
  for (const p of raw.peers as unknown[]) {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'number' || !Number.isSafeInteger(p[0]) || p[0] <= 0) {
      throw new GeodeError('INPUT_INVALID', `${source}: a member entry is malformed`, { source });
    }
    peers.push([p[0] as NodeId, checkPeerId(p[1], `${source} member`)]);
  }
  const stamp = envelopeStamp(raw.stamp, source);
  try {
    return { graph: GraphStore.restore(raw.graph as Parameters<typeof GraphStore.restore>[0]), peers, stamp };
  } catch (err) {
    throw new GeodeError('INPUT_INVALID', `${source} does not restore: ${err instanceof Error ? err.message : String(err)}`, { source, cause: err });
  }
}

/** The version stamp a snapshot envelope records (absent in envelopes of hosts without a version clock, or older ones). */
function envelopeStamp(x: unknown, source: string): VersionStamp | undefined {
  if (x === undefined) return undefined;
  if (!Array.isArray(x) || x.length !== 2 || !Number.isSafeInteger(x[0]) || (x[0] as number) < 0 || !Number.isSafeInteger(x[1]) || (x[1] as number) < 0) {
    throw new GeodeError('INPUT_INVALID', `${source}: the snapshot's version stamp is malformed`, { source, detail: 'BadEntryStamp' });
  }
  return { wall: x[0] as number, logical: x[1] as number };
}

/** Tells `versions` the stamps of appended entries (the newest is enough: stamps grow with the index). */
function witnessEntries(versions: VersionClock | undefined, entries: readonly Entry[], source: string): void {
  if (versions === undefined) return;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.type !== 'normal') continue;
    const st = entryStamp(e.data, `${source} log entry ${e.index}`);
    if (st !== undefined) {
      versions.witness(st);
      return;
    }
  }
}

// The rollbacks the MVCC history keeps (for thousands of entries) are made by these functions so
// that each closure holds only what it undoes, not the scope of the code that applied the entry
// (its log entry's bytes, the statements' results).

/** newestFirst: one rollback that runs `rollbacks` from the last to the first. */
export function newestFirst(rollbacks: readonly (() => void)[]): () => void {
  return () => {
    for (let i = rollbacks.length - 1; i >= 0; i--) rollbacks[i]!();
  };
}

/** undoOf: the rollback of commands applied one by one or with `applyBatchWithUndo` (their undo lists, newest first). */
export function undoOf(graph: GraphStore, undo: readonly (readonly GraphCommand[])[]): () => void {
  return () => {
    for (let i = undo.length - 1; i >= 0; i--) for (const u of undo[i]!) graph.apply(u);
  };
}
