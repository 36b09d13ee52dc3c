import { assert, unreachable } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';
import { decodeConfChange, encodeConfChange, isLeaveJoint } from './confchange/codec.ts';
import { Changer, restoreConfig } from './confchange/changer.ts';
import type { ResolvedRaftConfig } from './config.ts';
import { pendingReadIndexMax } from './constants.ts';
import { RaftLog } from './log.ts';
import { ReadOnly } from './read-only.ts';
import type { ReadIndexStatus } from './read-only.ts';
import { ProgressTracker } from './tracker/tracker.ts';
import type { Progress } from './tracker/progress.ts';
import { NO_NODE } from './types.ts';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  LogIndex,
  Message,
  MsgApp,
  MsgAppResp,
  MsgHeartbeat,
  MsgHeartbeatResp,
  MsgProp,
  MsgReadIndex,
  MsgSnap,
  MsgVote,
  MsgVoteResp,
  NodeId,
  RaftLogger,
  RaftStorage,
  ReadState,
  Snapshot,
  SoftState,
  StateRole,
  Term,
} from './types.ts';

const emptyData = new Uint8Array(0);

/** dropped: why a proposal was refused, as the `detail` of GeodeError PROPOSAL_DROPPED. */
export type DropReason = 'NoLeader' | 'LeaderTransfer' | 'UncommittedLimit' | 'NotMember' | 'ConfChangePending';

function dropped(reason: DropReason, message: string): GeodeError {
  return new GeodeError('PROPOSAL_DROPPED', `proposal dropped: ${message}`, { detail: reason });
}

function entriesBytes(ents: readonly Entry[]): number {
  let n = 0;
  for (const e of ents) n += e.data.length;
  return n;
}

/**
 * Raft: the consensus state machine of one node. Single-threaded and deterministic. Hosts use
 * RawNode, which wraps this with the Ready/advance contract.
 */
export class Raft {
  readonly id: NodeId;
  term: Term = 0 as Term;
  vote: NodeId = NO_NODE;
  readStates: ReadState[] = [];
  readonly log: RaftLog;
  readonly trk: ProgressTracker;
  state: StateRole = 'follower';
  /** isLearner: this node is a learner (never campaigns). */
  isLearner = false;
  /** msgs: messages to send, handed out by the next Ready. */
  msgs: Message[] = [];
  lead: NodeId = NO_NODE;
  /** leadTransferee: the target of a leadership transfer in progress, or NO_NODE. */
  leadTransferee: NodeId = NO_NODE;
  /** pendingConfIndex: the index of the last conf change this leader appended; only one may be uncommitted-or-unapplied. */
  pendingConfIndex: LogIndex = 0 as LogIndex;
  /** uncommittedSize: data bytes of entries this leader appended that are not yet committed and handed out. */
  uncommittedSize = 0;
  readOnly = new ReadOnly();
  /** Ticks since the last election timeout reset (followers) or CheckQuorum round (leader). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** campaignTransfer: the election in progress follows a leadership transfer (its requests bypass the lease). */
  private campaignTransfer = false;
  /** Reads received before this leader committed an entry of its term. */
  private pendingReadIndexMessages: MsgReadIndex[] = [];
  readonly cfg: ResolvedRaftConfig;
  private readonly logger: RaftLogger;

  constructor(cfg: ResolvedRaftConfig, storage: RaftStorage) {
    this.cfg = cfg;
    this.id = cfg.id;
    this.logger = cfg.logger;
    this.log = new RaftLog(storage);
    this.trk = new ProgressTracker(cfg.maxInflightMsgs);
    const { hardState, confState } = storage.initialState();
    const restored = restoreConfig(confState, this.log.lastIndex(), cfg.maxInflightMsgs);
    this.trk.setConfig(restored.config, restored.progress);
    this.isLearner = restored.config.learners.has(this.id);
    if (hardState.term !== 0 || hardState.vote !== NO_NODE || hardState.commit !== 0) this.loadState(hardState);
    if (cfg.applied > 0) this.log.appliedTo(cfg.applied);
    this.becomeFollower(this.term, NO_NODE);
    this.logger.info(
      `newRaft ${this.id} [peers: [${this.trk.voters().join(',')}], term: ${this.term}, commit: ${this.log.committed}, applied: ${this.log.applied}, lastindex: ${this.log.lastIndex()}, lastterm: ${this.log.lastTerm()}]`,
    );
  }

  private loadState(hs: HardState): void {
    assert(
      hs.commit >= this.log.committed && hs.commit <= this.log.lastIndex(),
      `${this.id} state.commit ${hs.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`,
    );
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** promotable: this node may campaign (a voter, with no snapshot still to persist). */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && this.log.unstable.snapshot === undefined && this.trk.isVoter(this.id);
  }

  // -------------------------------------------------------------------------------------------
  // Sending
  // -------------------------------------------------------------------------------------------

  private send(m: Message): void {
    assert(m.to !== this.id || m.type === 'MsgReadIndexResp', `${this.id} sends ${m.type} to itself`);
    this.msgs.push(m);
  }

  /** sendAppend: sends MsgApp (or MsgSnap) to `to`, even with no entries (a probe). */
  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * maybeSendAppend: sends what `to` is missing, bounded by max_entries_per_request and
   * max_bytes_per_request; returns false when nothing was sent (paused, or nothing to send and
   * `sendIfEmpty` is false).
   */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = (pr.next - 1) as LogIndex;
    const prevTerm = this.log.term(prevIndex);
    // A throttled follower (replicate, window full) gets only an empty MsgApp, as in etcd raft: if
    // every message that filled the window was lost, its ack or reject still clears the window.
    const throttled = pr.state === 'replicate' && pr.inflights.full();
    const ents = prevTerm === undefined ? undefined : throttled ? [] : this.log.entriesFrom(pr.next, this.cfg.maxEntriesPerMsg, this.cfg.maxBytesPerMsg);
    if (prevTerm === undefined || ents === undefined) return this.maybeSendSnapshot(to, pr);
    if (ents.length === 0 && !sendIfEmpty) return false;
    const bytes = ents.length === 0 ? 0 : entriesBytes(ents);
    this.send({ type: 'MsgApp', from: this.id, to, term: this.term, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed });
    pr.sentEntries(ents.length, bytes);
    return true;
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) {
      this.logger.debug(`${this.id} ignored sending snapshot to ${to}: not recently active`);
      return false;
    }
    const snap = this.log.snapshot();
    assert(snap.metadata.index > 0, `${this.id} needs a snapshot for ${to} (next ${pr.next}, first ${this.log.firstIndex()}) but has none`);
    this.logger.debug(`${this.id} [firstindex: ${this.log.firstIndex()}, commit: ${this.log.committed}] sent snapshot[index: ${snap.metadata.index}, term: ${snap.metadata.term}] to ${to}`);
    this.send({ type: 'MsgSnap', from: this.id, to, term: this.term, snapshot: snap });
    pr.becomeSnapshot(snap.metadata.index);
    return true;
  }

  private sendHeartbeat(to: NodeId, context: string): void {
    const pr = this.trk.progress.get(to);
    // A follower may not have matched the leader's log yet: never tell it to commit past its match.
    const commit = Math.min(pr === undefined ? 0 : pr.match, this.log.committed) as LogIndex;
    this.send({ type: 'MsgHeartbeat', from: this.id, to, term: this.term, commit, context });
  }

  bcastAppend(): void {
    for (const id of this.trk.members()) if (id !== this.id) this.sendAppend(id);
  }

  bcastHeartbeat(context = ''): void {
    for (const id of this.trk.members()) if (id !== this.id) this.sendHeartbeat(id, context);
  }

  // -------------------------------------------------------------------------------------------
  // Role changes
  // -------------------------------------------------------------------------------------------

  private reset(term: Term): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    this.lead = NO_NODE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = NO_NODE;
    this.trk.resetVotes();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.trk.progress) {
      pr.match = 0 as LogIndex;
      pr.next = (last + 1) as LogIndex;
      pr.state = 'probe';
      pr.pendingSnapshot = 0 as LogIndex;
      pr.msgAppFlowPaused = false;
      pr.recentActive = false;
      pr.inflights.reset();
      if (id === this.id) pr.match = last;
    }
    this.pendingConfIndex = 0 as LogIndex;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
  }

  resetRandomizedElectionTimeout(): void {
    const lo = this.cfg.electionTicksMin;
    const span = this.cfg.electionTicksMax - lo + 1;
    let r = Math.floor(this.cfg.random() * span);
    if (!(r >= 0)) r = 0;
    if (r >= span) r = span - 1;
    this.randomizedElectionTimeout = lo + r;
  }

  becomeFollower(term: Term, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'follower';
    this.logger.info(`${this.id} became follower at term ${this.term}`);
  }

  becomePreCandidate(): void {
    assert(this.state !== 'leader', `invalid transition [leader -> pre-candidate] on ${this.id}`);
    // PreVote does not change the term or the vote: a partitioned node does not disrupt the group.
    this.trk.resetVotes();
    this.lead = NO_NODE;
    this.state = 'preCandidate';
    this.logger.info(`${this.id} became pre-candidate at term ${this.term}`);
  }

  becomeCandidate(): void {
    assert(this.state !== 'leader', `invalid transition [leader -> candidate] on ${this.id}`);
    this.reset((this.term + 1) as Term);
    this.vote = this.id;
    this.state = 'candidate';
    this.logger.info(`${this.id} became candidate at term ${this.term}`);
  }

  becomeLeader(): void {
    assert(this.state !== 'follower', `invalid transition [follower -> leader] on ${this.id}`);
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'leader';
    const self = this.trk.progress.get(this.id);
    assert(self !== undefined, `leader ${this.id} is not a member`);
    self.becomeReplicate();
    self.recentActive = true;
    // Conservatively forbid a conf change until everything up to here is applied (the log may
    // hold an unapplied one).
    this.pendingConfIndex = this.log.lastIndex();
    // The no-op of this term: committing it commits every earlier entry (§5.4.2, §8).
    const ok = this.appendEntry([{ term: this.term, index: 0 as LogIndex, type: 'normal', data: emptyData }]);
    assert(ok, 'the empty entry of a new leader was refused');
    this.logger.info(`${this.id} became leader at term ${this.term}`);
  }

  // -------------------------------------------------------------------------------------------
  // Ticks
  // -------------------------------------------------------------------------------------------

  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
      return;
    }
    if (this.state === 'follower') return;
    // A (pre-)candidate retries its vote requests every heartbeat interval to the voters that have
    // not answered (§5.1: "servers retry RPCs if they do not receive a response in a timely
    // manner"). A request ignored by a follower whose leader lease had a tick left to run, or lost
    // on the wire, is then answered within one heartbeat instead of one more election timeout.
    this.heartbeatElapsed++;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.sendVoteRequests(true);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicksMin) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.checkQuorum();
      // A transfer that did not finish within one election timeout is abandoned.
      if (this.state === 'leader' && this.leadTransferee !== NO_NODE) this.abortLeaderTransfer();
    }
    if (this.state !== 'leader') return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
  }

  /** checkQuorum: a leader that has not heard from a quorum for an election timeout steps down. */
  private checkQuorum(): void {
    if (!this.trk.quorumActive()) {
      this.logger.warn(`${this.id} stepped down to follower since quorum is not active`);
      this.becomeFollower(this.term, NO_NODE);
    }
    for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
  }

  // -------------------------------------------------------------------------------------------
  // Elections
  // -------------------------------------------------------------------------------------------

  /** hup: start an election (PreVote first unless `transfer` or PreVote is off). */
  hup(transfer: boolean): void {
    if (this.state === 'leader') {
      this.logger.debug(`${this.id} ignoring hup: already leader`);
      return;
    }
    if (!this.promotable()) {
      this.logger.warn(`${this.id} is unpromotable and can not campaign`);
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      this.logger.warn(`${this.id} cannot campaign at term ${this.term}: unapplied conf changes`);
      return;
    }
    this.logger.info(`${this.id} is starting a new election at term ${this.term}`);
    this.campaign(this.cfg.preVote && !transfer ? 'preElection' : 'election', transfer);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    let lo = (this.log.applied + 1) as LogIndex;
    const hi = (this.log.committed + 1) as LogIndex;
    while (lo < hi) {
      const ents = this.log.slice(lo, Math.min(hi, lo + 1024) as LogIndex, Number.MAX_SAFE_INTEGER);
      if (ents === undefined || ents.length === 0) return false;
      for (const e of ents) if (e.type === 'confChange') return true;
      lo = (lo + ents.length) as LogIndex;
    }
    return false;
  }

  private campaign(kind: 'preElection' | 'election', transfer: boolean): void {
    if (kind === 'preElection') this.becomePreCandidate();
    else this.becomeCandidate();
    if (this.poll(this.id, true) === 'won') {
      // A single-voter group wins at once.
      if (kind === 'preElection') this.campaign('election', transfer);
      else this.becomeLeader();
      return;
    }
    this.campaignTransfer = transfer;
    this.heartbeatElapsed = 0;
    this.sendVoteRequests(false);
  }

  /** sendVoteRequests: sends this round's MsgPreVote / MsgVote to every other voter, or (`retry`) to those that have not answered. */
  private sendVoteRequests(retry: boolean): void {
    assert(this.state === 'preCandidate' || this.state === 'candidate', `${this.id} sends vote requests as ${this.state}`);
    const pre = this.state === 'preCandidate';
    const type: MsgVote['type'] = pre ? 'MsgPreVote' : 'MsgVote';
    // PreVote asks for votes in the next term without moving to it.
    const voteTerm = (pre ? this.term + 1 : this.term) as Term;
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const id of this.trk.voters()) {
      if (id === this.id || (retry && this.trk.votes.has(id))) continue;
      this.logger.info(`${this.id} [logterm: ${logTerm}, index: ${index}] ${retry ? 'resent' : 'sent'} ${type} request to ${id} at term ${this.term}`);
      this.send({ type, from: this.id, to: id, term: voteTerm, index, logTerm, transfer: this.campaignTransfer });
    }
  }

  private poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  // -------------------------------------------------------------------------------------------
  // Step
  // -------------------------------------------------------------------------------------------

  /**
   * step: handles one message. Returns a drop reason when a proposal (MsgProp) was refused,
   * otherwise undefined.
   */
  step(m: Message): DropReason | undefined {
    if (m.term === 0) {
      // Not bound to a term: a forwarded proposal or read.
    } else if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        const inLease = this.cfg.checkQuorum && this.lead !== NO_NODE && this.electionElapsed < this.cfg.electionTicksMin;
        if (!m.transfer && inLease) {
          // A leader is heard from within the minimum election timeout: it still holds its lease
          // (§4.2.3 of the thesis): ignore a disruptive vote request from a partitioned node.
          this.logger.info(`${this.id} [term: ${this.term}] ignored ${m.type} from ${m.from} at term ${m.term}: lease is not expired (remaining ticks: ${this.cfg.electionTicksMin - this.electionElapsed})`);
          return undefined;
        }
      }
      if (m.type === 'MsgPreVote') {
        // Never change our term in response to a PreVote.
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // A granted PreVote carries the future term; we move to it when the real election starts.
      } else {
        this.logger.info(`${this.id} [term: ${this.term}] received a ${m.type} message with higher term from ${m.from} [term: ${m.term}]`);
        if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') this.becomeFollower(m.term, m.from);
        else this.becomeFollower(m.term, NO_NODE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
        // A stale leader (e.g. cut off, then back) must learn the new term, or with CheckQuorum and
        // PreVote nobody ever tells it and it never steps down.
        this.send({ type: 'MsgAppResp', from: this.id, to: m.from, term: this.term, index: 0 as LogIndex, reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term });
      } else if (m.type === 'MsgPreVote') {
        this.logger.info(`${this.id} [term: ${this.term}] rejected ${m.type} from ${m.from} [term: ${m.term}]`);
        this.send({ type: 'MsgPreVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
      } else {
        this.logger.debug(`${this.id} [term: ${this.term}] ignored a ${m.type} message with lower term from ${m.from} [term: ${m.term}]`);
      }
      return undefined;
    }

    if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
      this.handleVoteRequest(m);
      return undefined;
    }
    switch (this.state) {
      case 'leader':
        return this.stepLeader(m);
      case 'candidate':
      case 'preCandidate':
        return this.stepCandidate(m);
      case 'follower':
        return this.stepFollower(m);
      default:
        return unreachable(this.state);
    }
  }

  private handleVoteRequest(m: MsgVote): void {
    const respType = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
    const knobs = this.cfg.knobs;
    // We can vote: we already voted for this candidate, or we have not voted and know no leader
    // in this term, or it is a PreVote for a future term (§5.2: at most one vote per term).
    const canVote =
      this.vote === m.from ||
      (this.vote === NO_NODE && this.lead === NO_NODE) ||
      (m.type === 'MsgPreVote' && m.term > this.term) ||
      knobs.voteTwicePerTerm === true;
    const logOk = knobs.grantVoteWithoutLogCheck === true || this.log.isUpToDate(m.index, m.logTerm);
    if (canVote && logOk && this.yieldsPreVoteTo(m)) {
      this.logger.info(`${this.id} [logterm: ${this.log.lastTerm()}, index: ${this.log.lastIndex()}, vote: ${this.vote}] cast ${m.type} for ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`);
      // The response carries the request's term: for a PreVote that is the future term, which the
      // pre-candidate recognises as an answer to its round.
      this.send({ type: respType, from: this.id, to: m.from, term: m.term, reject: false });
      if (m.type === 'MsgVote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.logger.info(`${this.id} [logterm: ${this.log.lastTerm()}, index: ${this.log.lastIndex()}, vote: ${this.vote}] rejected ${m.type} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`);
      this.send({ type: respType, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  /**
   * yieldsPreVoteTo: false when this node is a pre-candidate of the same round as the PreVote `m`
   * (same prospective term), both logs are equally up to date, and the rival has the higher id.
   *
   * Why: two followers whose timers fire within one message delay of each other would otherwise
   * grant each other's PreVote, both become candidates, vote for themselves and split the vote;
   * nobody wins that term and every node waits a whole new randomized timeout (measured: 1.8% of
   * failovers of a 3-node group with a 10 ms tick, each about 400 ms, which set the p99). With this
   * rule exactly one of two rivals with equal logs goes on to the real election. It cannot cost
   * safety (a PreVote changes no term and records no vote) nor liveness: the rival with the lowest
   * id among the most up-to-date logs is still granted by everyone, as before; a rival that is
   * refused here retries at its next timeout, as after any lost PreVote.
   */
  private yieldsPreVoteTo(m: MsgVote): boolean {
    if (m.type !== 'MsgPreVote' || this.state !== 'preCandidate' || m.transfer) return true;
    if (m.term !== this.term + 1) return true;
    if (m.logTerm !== this.log.lastTerm() || m.index !== this.log.lastIndex()) return true;
    return m.from < this.id;
  }

  private stepLeader(m: Message): DropReason | undefined {
    switch (m.type) {
      case 'MsgProp':
        return this.leaderPropose(m);
      case 'MsgReadIndex':
        this.leaderReadIndex(m);
        return undefined;
      case 'MsgTransferLeader':
        this.leaderTransfer(m.transferee);
        return undefined;
      default:
        break;
    }
    const pr = this.trk.progress.get(m.from);
    if (pr === undefined) {
      this.logger.debug(`${this.id} no progress available for ${m.from}`);
      return undefined;
    }
    switch (m.type) {
      case 'MsgAppResp':
        this.leaderAppResp(m, pr);
        break;
      case 'MsgHeartbeatResp':
        this.leaderHeartbeatResp(m, pr);
        break;
      default:
        this.logger.debug(`${this.id} leader ignored ${m.type} from ${m.from}`);
    }
    return undefined;
  }

  private leaderPropose(m: MsgProp): DropReason | undefined {
    if (m.entries.length === 0) {
      // RawNode never proposes nothing; a peer forwarding an empty proposal is broken: drop it.
      this.logger.warn(`${this.id} ignored an empty MsgProp from ${m.from}`);
      return undefined;
    }
    if (!this.trk.progress.has(this.id)) return 'NotMember';
    if (this.leadTransferee !== NO_NODE) {
      this.logger.debug(`${this.id} [term ${this.term}] transfer leadership to ${this.leadTransferee} is in progress; dropping proposal`);
      return 'LeaderTransfer';
    }
    let ents = m.entries;
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i]!;
      if (e.type !== 'confChange') continue;
      const refused = this.confChangeRefusal(e);
      if (refused !== undefined) {
        this.logger.info(`${this.id} ignoring conf change at ${i}: ${refused}`);
        // Keep the batch's shape: the refused change becomes a no-op.
        if (ents === m.entries) ents = ents.slice();
        (ents as Entry[])[i] = { term: e.term, index: e.index, type: 'normal', data: emptyData };
      } else {
        this.pendingConfIndex = (this.log.lastIndex() + i + 1) as LogIndex;
      }
    }
    if (!this.appendEntry(ents)) return 'UncommittedLimit';
    this.bcastAppend();
    return undefined;
  }

  /** confChangeRefusal: why a proposed conf change may not be appended now, or undefined. */
  confChangeRefusal(e: Entry): string | undefined {
    if (this.pendingConfIndex > this.log.applied) {
      return `possible unapplied conf change at index ${this.pendingConfIndex} (applied to ${this.log.applied})`;
    }
    let cc: ConfChange;
    try {
      cc = decodeConfChange(e.data);
    } catch {
      return 'malformed conf change';
    }
    const joint = this.trk.isJoint();
    if (joint && !isLeaveJoint(cc)) return 'must transition out of joint configuration first';
    if (!joint && isLeaveJoint(cc)) return 'not in joint state; refusing empty conf change';
    try {
      new Changer(this.log.lastIndex(), this.cfg.maxInflightMsgs).apply(this.trk.config, this.trk.progress, cc);
    } catch (err) {
      return err instanceof Error ? err.message : 'invalid conf change';
    }
    return undefined;
  }

  private leaderReadIndex(m: MsgReadIndex): void {
    if (this.trk.isSingleton()) {
      this.respondToReadIndex(m.from, m.context, this.log.committed);
      return;
    }
    // A new leader does not know the commit index until an entry of its term commits (§6.4).
    if (!this.committedEntryInCurrentTerm()) {
      if (this.pendingReadIndexMessages.length < pendingReadIndexMax) this.pendingReadIndexMessages.push(m);
      return;
    }
    this.sendReadIndexResponse(m);
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private sendReadIndexResponse(m: MsgReadIndex): void {
    if (this.cfg.knobs.readIndexWithoutQuorum === true) {
      this.respondToReadIndex(m.from, m.context, this.log.committed);
      return;
    }
    if (!this.readOnly.addRequest(this.log.committed, m.from, m.context)) return;
    // Our own ack; then a heartbeat round confirms we are still leader.
    this.readOnly.recvAck(this.id, m.context);
    this.bcastHeartbeat(m.context);
  }

  private respondToReadIndex(from: NodeId, context: string, index: LogIndex): void {
    if (from === NO_NODE || from === this.id) {
      this.readStates.push({ index, context });
      return;
    }
    this.send({ type: 'MsgReadIndexResp', from: this.id, to: from, term: this.term, index, context });
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.sendReadIndexResponse(m);
  }

  private leaderAppResp(m: MsgAppResp, pr: Progress): void {
    const last = this.log.lastIndex();
    if (m.index > last || (m.reject && m.rejectHint > m.index)) {
      // Impossible from a correct peer: in one term a follower only acknowledges (or rejects) what
      // this leader sent, and a hint is at most the rejected index. Acting on it would move
      // `match` past our log (committing entries we do not have) or send from beyond it.
      this.logger.warn(
        `${this.id} [term ${this.term}, lastindex ${last}] ignored a bogus MsgAppResp from ${m.from}: ${m.reject ? `rejects index ${m.index} (hint ${m.rejectHint})` : `acknowledges index ${m.index}`}`,
      );
      return;
    }
    pr.recentActive = true;
    if (m.reject) {
      this.logger.debug(`${this.id} received MsgAppResp(rejected, hint: (index ${m.rejectHint}, term ${m.logTerm})) from ${m.from} for index ${m.index}`);
      let nextProbeIdx = m.rejectHint;
      if (m.logTerm > 0) {
        // Fast backtracking: skip every entry of the follower's conflicting term at once, to the
        // last index where our term is at most the follower's.
        nextProbeIdx = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      }
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe'))) return;
    switch (pr.state) {
      case 'probe':
        pr.becomeReplicate();
        break;
      case 'snapshot':
        if (pr.match + 1 >= this.log.firstIndex()) {
          pr.becomeProbe();
          pr.becomeReplicate();
        }
        break;
      case 'replicate':
        pr.inflights.freeLE(m.index);
        break;
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (oldPaused) {
      this.sendAppend(m.from);
    }
    // Stream what remains while the inflight window has room.
    while (this.maybeSendAppend(m.from, false)) {
      // keep sending
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.logger.info(`${this.id} sent MsgTimeoutNow to ${m.from} after received MsgAppResp`);
      this.sendTimeoutNow(m.from);
    }
  }

  private leaderHeartbeatResp(m: MsgHeartbeatResp, pr: Progress): void {
    pr.recentActive = true;
    pr.msgAppFlowPaused = false;
    if (pr.match < this.log.lastIndex() || pr.state === 'probe') this.sendAppend(m.from);
    if (m.context === '') return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined || this.trk.ackResult(acks) !== 'won') return;
    const done: ReadIndexStatus[] = this.readOnly.advance(m.context);
    for (const rs of done) this.respondToReadIndex(rs.from, rs.context, rs.index);
  }

  private leaderTransfer(transferee: NodeId): void {
    const pr = this.trk.progress.get(transferee);
    if (pr === undefined || pr.isLearner) {
      this.logger.debug(`${this.id} is ignoring transfer to ${transferee}: not a voter`);
      return;
    }
    if (this.leadTransferee !== NO_NODE) {
      if (this.leadTransferee === transferee) return;
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return;
    // The transfer should finish within one election timeout.
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.log.lastIndex()) {
      this.sendTimeoutNow(transferee);
    } else {
      this.sendAppend(transferee);
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'MsgTimeoutNow', from: this.id, to, term: this.term });
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NO_NODE;
  }

  private stepCandidate(m: Message): DropReason | undefined {
    const myRespType = this.state === 'preCandidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    switch (m.type) {
      case 'MsgProp':
        this.logger.info(`${this.id} no leader at term ${this.term}; dropping proposal`);
        return 'NoLeader';
      case 'MsgApp':
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        break;
      case 'MsgHeartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        break;
      case 'MsgSnap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        break;
      case 'MsgVoteResp':
      case 'MsgPreVoteResp':
        if (m.type === myRespType) this.candidateVoteResp(m);
        break;
      default:
        this.logger.debug(`${this.id} ${this.state} ignored ${m.type} from ${m.from}`);
    }
    return undefined;
  }

  private candidateVoteResp(m: MsgVoteResp): void {
    const result = this.poll(m.from, !m.reject);
    const { granted, rejected } = this.trk.tallyVotes();
    this.logger.info(`${this.id} has received ${granted} ${m.type} votes and ${rejected} vote rejections`);
    if (result === 'won') {
      if (this.state === 'preCandidate') {
        this.campaign('election', false);
      } else {
        this.becomeLeader();
        this.bcastAppend();
      }
    } else if (result === 'lost') {
      // A pre-candidate that lost goes back to follower in its own term.
      this.becomeFollower(this.term, NO_NODE);
    }
  }

  private stepFollower(m: Message): DropReason | undefined {
    switch (m.type) {
      case 'MsgProp':
        if (this.lead === NO_NODE) {
          this.logger.info(`${this.id} no leader at term ${this.term}; dropping proposal`);
          return 'NoLeader';
        }
        this.send({ type: 'MsgProp', from: this.id, to: this.lead, term: 0 as Term, entries: m.entries });
        return undefined;
      case 'MsgApp':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return undefined;
      case 'MsgHeartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return undefined;
      case 'MsgSnap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return undefined;
      case 'MsgTransferLeader':
        if (this.lead === NO_NODE) {
          this.logger.info(`${this.id} no leader at term ${this.term}; dropping leader transfer msg`);
          return undefined;
        }
        this.send({ type: 'MsgTransferLeader', from: this.id, to: this.lead, term: 0 as Term, transferee: m.transferee });
        return undefined;
      case 'MsgTimeoutNow':
        this.logger.info(`${this.id} [term ${this.term}] received MsgTimeoutNow from ${m.from} and starts an election to get leadership`);
        // Leadership transfer never uses PreVote: the leader asked for this election.
        this.hup(true);
        return undefined;
      case 'MsgReadIndex':
        if (this.lead === NO_NODE) {
          this.logger.info(`${this.id} no leader at term ${this.term}; dropping index reading msg`);
          return undefined;
        }
        this.send({ type: 'MsgReadIndex', from: this.id, to: this.lead, term: 0 as Term, context: m.context });
        return undefined;
      case 'MsgReadIndexResp':
        this.readStates.push({ index: m.index, context: m.context });
        return undefined;
      default:
        this.logger.debug(`${this.id} follower ignored ${m.type} from ${m.from}`);
        return undefined;
    }
  }

  private handleAppendEntries(m: MsgApp): void {
    if (m.index < this.log.committed) {
      this.send({ type: 'MsgAppResp', from: this.id, to: m.from, term: this.term, index: this.log.committed, reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term });
      return;
    }
    const lastnewi = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastnewi !== undefined) {
      this.send({ type: 'MsgAppResp', from: this.id, to: m.from, term: this.term, index: lastnewi, reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term });
      return;
    }
    // Reject with a hint: the last index at or below min(m.index, lastIndex) whose term is at most
    // m.logTerm. The leader can skip a whole conflicting term in one round trip.
    const hintIndex = Math.min(m.index, this.log.lastIndex()) as LogIndex;
    const hint = this.log.findConflictByTerm(hintIndex, m.logTerm);
    this.logger.debug(`${this.id} [logterm: ${this.log.term(m.index) ?? 0}, index: ${m.index}] rejected MsgApp [logterm: ${m.logTerm}, index: ${m.index}] from ${m.from}`);
    this.send({ type: 'MsgAppResp', from: this.id, to: m.from, term: this.term, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term });
  }

  private handleHeartbeat(m: MsgHeartbeat): void {
    this.log.commitTo(m.commit);
    this.send({ type: 'MsgHeartbeatResp', from: this.id, to: m.from, term: this.term, context: m.context });
  }

  private handleSnapshot(m: MsgSnap): void {
    const s = m.snapshot;
    if (this.restore(s)) {
      this.logger.info(`${this.id} [commit: ${this.log.committed}] restored snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`);
      this.send({ type: 'MsgAppResp', from: this.id, to: m.from, term: this.term, index: this.log.lastIndex(), reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term });
    } else {
      this.logger.info(`${this.id} [commit: ${this.log.committed}] ignored snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`);
      this.send({ type: 'MsgAppResp', from: this.id, to: m.from, term: this.term, index: this.log.committed, reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term });
    }
  }

  /** restore: installs a snapshot from the leader; false when it is stale or already covered. */
  restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.log.committed) return false;
    if (this.state !== 'follower') {
      // Only a follower should get here (MsgSnap makes us one); be safe anyway.
      this.becomeFollower((this.term + 1) as Term, NO_NODE);
      return false;
    }
    const cs = s.metadata.conf;
    const member = cs.voters.includes(this.id) || cs.learners.includes(this.id) || (cs.votersOutgoing ?? []).includes(this.id);
    if (!member) {
      // A node added after the snapshot was taken is not in its membership yet: it installs the
      // snapshot anyway (it is committed state) and learns of its own addition from the entries
      // that follow, as a node replaying the log from index 1 would. Until then it cannot campaign.
      this.logger.info(`${this.id} restores snapshot [index: ${s.metadata.index}] whose membership does not include it yet`);
    }
    if (this.log.matchTerm(s.metadata.index, s.metadata.term)) {
      // We already have the entries: fast-forward the commit index instead.
      this.log.commitTo(s.metadata.index);
      return false;
    }
    this.log.restore(s);
    const restored = restoreConfig(cs, this.log.lastIndex(), this.cfg.maxInflightMsgs);
    this.trk.setConfig(restored.config, restored.progress);
    this.isLearner = restored.config.learners.has(this.id);
    const self = this.trk.progress.get(this.id);
    if (self !== undefined) self.match = this.log.lastIndex();
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Log
  // -------------------------------------------------------------------------------------------

  /** appendEntry: the leader appends `es` (indexes and term assigned here); false over the uncommitted limit. */
  appendEntry(es: readonly Entry[]): boolean {
    const li = this.log.lastIndex();
    const bytes = entriesBytes(es);
    const max = this.cfg.maxUncommittedBytes;
    // An empty payload (the leader's no-op) is always accepted; so is the first proposal.
    if (max > 0 && bytes > 0 && this.uncommittedSize > 0 && this.uncommittedSize + bytes > max) return false;
    this.uncommittedSize += bytes;
    const ents: Entry[] = new Array<Entry>(es.length);
    for (let i = 0; i < es.length; i++) {
      const e = es[i]!;
      ents[i] = { term: this.term, index: (li + 1 + i) as LogIndex, type: e.type, data: e.data };
    }
    const last = this.log.append(ents);
    // The leader's own log counts toward the quorum (it is persisted before messages are sent).
    this.trk.progress.get(this.id)?.maybeUpdate(last);
    this.maybeCommit();
    return true;
  }

  /** maybeCommit: advances the commit index to what a quorum matched, if of the current term. */
  maybeCommit(): boolean {
    const mci = this.trk.committed();
    if (this.cfg.knobs.commitPriorTermByCounting === true) {
      // PLANTED BUG (test only): commits entries of earlier terms by counting replicas (Figure 8).
      if (mci > this.log.committed && mci <= this.log.lastIndex()) {
        this.log.commitTo(mci);
        return true;
      }
      return false;
    }
    return this.log.maybeCommit(mci, this.term);
  }

  /** reduceUncommittedSize: committed entries were handed out; they no longer count. */
  reduceUncommittedSize(ents: readonly Entry[]): void {
    if (this.uncommittedSize === 0) return;
    const n = entriesBytes(ents);
    this.uncommittedSize = n > this.uncommittedSize ? 0 : this.uncommittedSize - n;
  }

  /** appliedTo: the host applied up to `index`; a leader then leaves an auto-leave joint configuration. */
  appliedTo(index: LogIndex): void {
    this.log.appliedTo(index);
    if (this.trk.config.autoLeave && index >= this.pendingConfIndex && this.state === 'leader') {
      const leave = encodeConfChange({ changes: [] });
      const ok = this.appendEntry([{ term: this.term, index: 0 as LogIndex, type: 'confChange', data: leave }]);
      if (ok) {
        this.pendingConfIndex = this.log.lastIndex();
        this.bcastAppend();
        this.logger.info(`${this.id} initiating automatic transition out of joint configuration`);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Membership
  // -------------------------------------------------------------------------------------------

  /** applyConfChange: applies a committed membership change; returns the new membership. */
  applyConfChange(cc: ConfChange): ConfState {
    const changer = new Changer(this.log.lastIndex(), this.cfg.maxInflightMsgs);
    const out = changer.apply(this.trk.config, this.trk.progress, cc);
    this.trk.setConfig(out.config, out.progress);
    const cs = this.trk.confState();
    const pr = this.trk.progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;
    if (this.state === 'leader' && !this.trk.isVoter(this.id)) {
      // Removed or demoted: stop leading so that the remaining voters elect a leader.
      this.logger.info(`${this.id} is no longer a voter; stepping down`);
      this.becomeFollower(this.term, NO_NODE);
      return cs;
    }
    if (this.state !== 'leader' || cs.voters.length === 0) return cs;
    if (this.maybeCommit()) {
      // The quorum shrank: something may be committed now.
      this.bcastAppend();
    } else {
      // Probe new members at once rather than at the next heartbeat.
      for (const id of this.trk.members()) if (id !== this.id) this.maybeSendAppend(id, false);
    }
    if (this.leadTransferee !== NO_NODE && !this.trk.isVoter(this.leadTransferee)) this.abortLeaderTransfer();
    return cs;
  }
}

export { dropped };
