import { Inflights } from './inflights.ts';
import type { LogIndex, ProgressState } from '../types.ts';

/**
 * Progress: the leader's view of one follower.
 *
 * - `probe`: the leader does not know where the follower's log matches; it sends one MsgApp per
 *   heartbeat interval and waits (`msgAppFlowPaused`), walking `next` back on rejects.
 * - `replicate`: the follower is known to match up to `match`; the leader streams entries
 *   optimistically, bounded by the inflight window.
 * - `snapshot`: the follower needs entries that were compacted; a snapshot at `pendingSnapshot`
 *   is on its way and nothing else is sent.
 *
 * Invariant: match < next.
 */
export class Progress {
  match: LogIndex;
  next: LogIndex;
  state: ProgressState = 'probe';
  pendingSnapshot: LogIndex = 0 as LogIndex;
  /** recentActive: heard from since the last CheckQuorum round. */
  recentActive = false;
  /** msgAppFlowPaused: in probe, a probe is out; in replicate, the inflight window is full. */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(match: LogIndex, next: LogIndex, maxInflight: number, isLearner: boolean) {
    this.match = match;
    this.next = next;
    this.inflights = new Inflights(maxInflight);
    this.isLearner = isLearner;
  }

  /**
   * copy: a Progress with the same fields, for a membership computed beside the current one (the
   * confchange Changer sets `isLearner` on what it returns, never on the live map). The inflight
   * window is shared: only one of the two maps is ever used afterwards (the live one when the
   * change is merely validated, the new one when it is applied).
   */
  copy(): Progress {
    const pr = Object.create(Progress.prototype) as Progress;
    pr.match = this.match;
    pr.next = this.next;
    pr.state = this.state;
    pr.pendingSnapshot = this.pendingSnapshot;
    pr.recentActive = this.recentActive;
    pr.msgAppFlowPaused = this.msgAppFlowPaused;
    (pr as { inflights: Inflights }).inflights = this.inflights;
    pr.isLearner = this.isLearner;
    return pr;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0 as LogIndex;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1) as LogIndex;
    } else {
      this.resetState('probe');
      this.next = (this.match + 1) as LogIndex;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = (this.match + 1) as LogIndex;
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.next = (snapshotIndex + 1) as LogIndex;
  }

  /** sentEntries: a MsgApp with `entries` entries (`bytes` of data) went out. */
  sentEntries(entries: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (entries > 0) {
        this.next = (this.next + entries) as LogIndex;
        this.inflights.add((this.next - 1) as LogIndex, bytes);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (this.state === 'probe') {
      this.msgAppFlowPaused = true;
    }
  }

  /** maybeUpdate: the follower acknowledged up to `n`; false when that is old news. */
  maybeUpdate(n: LogIndex): boolean {
    if (n <= this.match) return false;
    this.match = n;
    if (this.next < n + 1) this.next = (n + 1) as LogIndex;
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * maybeDecrTo: the follower rejected the MsgApp at `rejected`, hinting its log may match at
   * `matchHint`; moves `next` back. False when the reject is stale.
   */
  maybeDecrTo(rejected: LogIndex, matchHint: LogIndex): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = (this.match + 1) as LogIndex;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1) as LogIndex;
    this.msgAppFlowPaused = false;
    return true;
  }

  /** isPaused: the leader should not send MsgApp to this follower now. */
  isPaused(): boolean {
    if (this.state === 'snapshot') return true;
    return this.msgAppFlowPaused;
  }
}
