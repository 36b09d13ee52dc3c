import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';
import { checkConfChange, encodeConfChange } from './confchange/codec.ts';
import { validateRaftConfig } from './config.ts';
import type { ResolvedRaftConfig } from './config.ts';
import { pendingProposalsMax } from './constants.ts';
import { dropped, Raft } from './raft.ts';
import type { DropReason } from './raft.ts';
import { NO_NODE } from './types.ts';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  LogIndex,
  Message,
  NodeId,
  ProgressStatus,
  RaftConfig,
  RaftNodeApi,
  RaftStorage,
  Ready,
  SoftState,
  Status,
  Term,
} from './types.ts';

const noEntries: readonly Entry[] = Object.freeze([]) as readonly Entry[];
const noMessages: readonly Message[] = Object.freeze([]) as readonly Message[];

/** The most committed-entry bytes one Ready hands out (at least one entry always goes). */
const readyCommittedBytesMax = 64 * 1024 * 1024;

const dropMessages: Record<DropReason, string> = {
  NoLeader: 'no leader is known',
  LeaderTransfer: 'a leadership transfer is in progress',
  UncommittedLimit: 'too many uncommitted bytes (max_uncommitted_bytes)',
  NotMember: 'this node is not a member of the group',
  ConfChangePending: 'a membership change is still pending',
};

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * RawNode: a Raft node driven by its host, one call at a time. See {@link RaftNodeApi} for each
 * method and {@link Ready} for the loop: ready() → persist → send → apply → advance().
 */
export class RawNode implements RaftNodeApi {
  readonly raft: Raft;
  readonly config: ResolvedRaftConfig;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private readyOut: Ready | undefined = undefined;

  /**
   * Creates a node from its configuration (checked: GeodeError CONFIG_INVALID naming the key)
   * and storage. A fresh group's storage holds its initial membership (MemoryStorage's
   * constructor argument); a restarted node picks up its hard state, log and snapshot.
   */
  constructor(config: RaftConfig, storage: RaftStorage) {
    this.config = validateRaftConfig(config);
    this.raft = new Raft(this.config, storage);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = storage.initialState().hardState;
  }

  tick(): void {
    this.raft.tick();
  }

  campaign(): void {
    this.raft.hup(false);
  }

  step(message: Message): void {
    const r = this.raft;
    if (message.to !== r.id) return;
    if (message.from === r.id || message.from === NO_NODE) {
      // Only this node's own API calls speak for it; a network message claiming to is bogus.
      r.cfg.logger.warn(`${r.id} ignored ${message.type} claiming to come from ${message.from === NO_NODE ? 'no node' : 'itself'}`);
      return;
    }
    const isResponse =
      message.type === 'MsgAppResp' ||
      message.type === 'MsgVoteResp' ||
      message.type === 'MsgPreVoteResp' ||
      message.type === 'MsgHeartbeatResp';
    // Responses from nodes that are not members (anymore) are dropped.
    if (isResponse && !r.trk.progress.has(message.from)) return;
    r.step(message);
  }

  private proposeEntry(entry: Entry): void {
    const r = this.raft;
    if (r.msgs.length >= pendingProposalsMax) {
      throw new GeodeError('LIMIT_EXCEEDED', `more than ${pendingProposalsMax} messages wait for a Ready; call ready()/advance()`);
    }
    const reason = r.step({ type: 'MsgProp', from: r.id, to: r.id, term: 0 as Term, entries: [entry] });
    if (reason !== undefined) throw dropped(reason, dropMessages[reason]);
  }

  propose(data: Uint8Array): void {
    if (!(data instanceof Uint8Array) || data.length === 0) {
      throw new GeodeError('INPUT_INVALID', 'a proposal must be a non-empty Uint8Array (empty entries are the leader no-op)');
    }
    this.proposeEntry({ term: 0 as Term, index: 0 as LogIndex, type: 'normal', data });
  }

  proposeConfChange(change: ConfChange): void {
    const cc = checkConfChange(change);
    const entry: Entry = { term: 0 as Term, index: 0 as LogIndex, type: 'confChange', data: encodeConfChange(cc) };
    const r = this.raft;
    if (r.state === 'leader') {
      // Refuse at once rather than turning the change into a silent no-op.
      const why = r.confChangeRefusal(entry);
      if (why !== undefined) {
        const reason: DropReason = why.startsWith('possible unapplied') ? 'ConfChangePending' : 'NotMember';
        if (reason === 'NotMember') throw new GeodeError('INPUT_INVALID', `conf change refused: ${why}`);
        throw dropped(reason, why);
      }
    }
    this.proposeEntry(entry);
  }

  readIndex(context: string): void {
    const r = this.raft;
    r.step({ type: 'MsgReadIndex', from: r.id, to: r.id, term: 0 as Term, context });
  }

  transferLeadership(to: NodeId): void {
    const r = this.raft;
    r.step({ type: 'MsgTransferLeader', from: r.id, to: r.id, term: 0 as Term, transferee: to });
  }

  applyConfChange(change: ConfChange): ConfState {
    return this.raft.applyConfChange(checkConfChange(change));
  }

  reportUnreachable(id: NodeId): void {
    const r = this.raft;
    if (r.state !== 'leader') return;
    const pr = r.trk.progress.get(id);
    // During optimistic replication an unreachable follower probably lost messages: probe again.
    if (pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    const r = this.raft;
    if (r.state !== 'leader') return;
    const pr = r.trk.progress.get(id);
    if (pr === undefined || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0 as LogIndex;
    // Probe from the snapshot (or from match after a failure), once the follower answers.
    pr.becomeProbe();
    pr.msgAppFlowPaused = true;
  }

  hasReady(): boolean {
    const r = this.raft;
    const ss = r.softState();
    if (ss.lead !== this.prevSoftState.lead || ss.role !== this.prevSoftState.role) return true;
    const hs = r.hardState();
    if (!sameHardState(hs, this.prevHardState)) return true;
    if (r.log.unstable.snapshot !== undefined) return true;
    if (r.msgs.length > 0 || r.log.unstableEntries().length > 0 || r.log.hasNextCommittedEnts()) return true;
    return r.readStates.length > 0;
  }

  ready(): Ready {
    assert(this.readyOut === undefined, 'ready() called again before advance() of the previous Ready');
    const r = this.raft;
    const ss = r.softState();
    const hs = r.hardState();
    const softChanged = ss.lead !== this.prevSoftState.lead || ss.role !== this.prevSoftState.role;
    const hardChanged = !sameHardState(hs, this.prevHardState);
    const unstable = r.log.unstableEntries();
    const entries = unstable.length === 0 ? noEntries : unstable.slice();
    const committedEntries = r.log.nextCommittedEnts(readyCommittedBytesMax);
    const rd: Ready = {
      softState: softChanged ? ss : undefined,
      hardState: hardChanged ? hs : undefined,
      readStates: r.readStates,
      entries,
      snapshot: r.log.unstable.snapshot,
      committedEntries,
      messages: r.msgs.length === 0 ? noMessages : r.msgs,
      mustSync: entries.length > 0 || hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote,
    };
    // Accept the Ready: what it hands out is no longer pending here.
    if (softChanged) this.prevSoftState = ss;
    r.msgs = [];
    r.readStates = [];
    if (committedEntries.length > 0) {
      r.log.acceptApplying(committedEntries[committedEntries.length - 1]!.index);
      r.reduceUncommittedSize(committedEntries);
    }
    this.readyOut = rd;
    return rd;
  }

  advance(ready: Ready): void {
    assert(this.readyOut === ready, 'advance() must be given the Ready last returned by ready()');
    this.readyOut = undefined;
    const r = this.raft;
    if (ready.hardState !== undefined) this.prevHardState = ready.hardState;
    if (ready.snapshot !== undefined) r.log.stableSnapTo(ready.snapshot.metadata.index);
    if (ready.entries.length > 0) {
      const last = ready.entries[ready.entries.length - 1]!;
      r.log.stableTo(last.index, last.term);
    }
    if (ready.snapshot !== undefined && ready.snapshot.metadata.index > r.log.applied) {
      r.appliedTo(ready.snapshot.metadata.index);
    }
    if (ready.committedEntries.length > 0) {
      r.appliedTo(ready.committedEntries[ready.committedEntries.length - 1]!.index);
    }
  }

  /** shouldSnapshot: the host should snapshot and compact (applied is snapshot_threshold past the last snapshot). */
  shouldSnapshot(): boolean {
    const r = this.raft;
    return r.log.applied - r.log.snapshot().metadata.index >= this.config.snapshotThreshold && r.log.applied >= r.log.firstIndex();
  }

  status(): Status {
    const r = this.raft;
    let progress: Map<NodeId, ProgressStatus> | undefined;
    if (r.state === 'leader') {
      progress = new Map();
      for (const [id, pr] of r.trk.progress) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
          pendingSnapshot: pr.pendingSnapshot,
          inflight: pr.inflights.count,
        });
      }
    }
    return {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      leadTransferee: r.leadTransferee,
      conf: r.trk.confState(),
      progress,
    };
  }

  /** isLeader: this node is the leader (shorthand for status().softState.role === 'leader'). */
  isLeader(): boolean {
    return this.raft.state === 'leader';
  }

  /** leader: the leader this node knows of, or NO_NODE. */
  leader(): NodeId {
    return this.raft.lead === NO_NODE ? NO_NODE : this.raft.lead;
  }
}
