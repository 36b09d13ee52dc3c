/**
 * Safety and liveness checks of a simulated Raft run. The cluster reports what happens (a node
 * became leader, a node applied an entry) and calls the periodic and final checks; each check
 * records a {@link Violation} naming the property, the node(s), the term and the index involved.
 *
 * Properties (Raft paper, Figure 3): election safety (at most one leader per term), log matching
 * (same index and term ⇒ same entries up to there), leader completeness (a new leader holds every
 * entry committed before it), state machine safety (no two nodes apply different entries at one
 * index), plus: no acknowledged write is lost, the client history is linearizable, and after the
 * faults heal the cluster elects a leader and commits within a bound.
 */

import type { Entry, LogIndex, NodeId, Term } from '../raft/index.ts';
import type { RaftLog } from '../raft/log.ts';
import { checkOperations, dropPendingReads, kvModel } from './linearizability/index.ts';
import type { CheckOutcome, KvOperation } from './linearizability/index.ts';

/** ViolationKind: the property a violation breaks. */
export type ViolationKind =
  | 'election-safety'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'acknowledged-write-lost'
  | 'linearizability'
  | 'liveness'
  | 'invariant';

/** Violation: one broken property, found at virtual time `time` (ms). */
export interface Violation {
  readonly kind: ViolationKind;
  readonly time: number;
  readonly message: string;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** SafetyChecker: what has been observed so far, and the violations found. */
export class SafetyChecker {
  readonly violations: Violation[] = [];
  /** The leader of each term seen. */
  private readonly leaders = new Map<number, NodeId>();
  /** The first entry applied at each index, by any node: term and data, and who applied it. */
  private readonly appliedTerm: number[] = [];
  private readonly appliedData: Uint8Array[] = [];
  private readonly appliedBy: number[] = [];
  /** Highest index applied by any node. */
  maxApplied = 0;
  /** The term of the entry at each index some node declared committed (its Ready's hard state). */
  private readonly committedTerm: number[] = [];
  private readonly committedBy: number[] = [];
  /** Highest index declared committed by any node. */
  maxCommitted = 0;
  /** Per node: the commit index up to which its declarations were recorded. */
  private readonly commitSeen = new Map<number, number>();

  private add(kind: ViolationKind, time: number, message: string): void {
    if (this.violations.length < 100) this.violations.push({ kind, time, message });
  }

  /** failed: at least one violation. */
  get failed(): boolean {
    return this.violations.length > 0;
  }

  /**
   * fatal: a violation of a checked property (anything but `invariant`). A failed assertion of the
   * core halts that node only; the run goes on so that the checks can see the consequences.
   */
  get fatal(): boolean {
    for (const v of this.violations) if (v.kind !== 'invariant') return true;
    return false;
  }

  /**
   * onLeader: node `id` became leader of `term` with log `log`. Checks election safety, and leader
   * completeness against every entry applied anywhere so far.
   */
  onLeader(time: number, id: NodeId, term: Term, log: RaftLog): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== id) {
      this.add('election-safety', time, `two leaders in term ${term}: node ${prev} and node ${id}`);
    }
    this.leaders.set(term, id);
    const first = log.firstIndex();
    for (let i = first; i <= this.maxCommitted; i++) {
      const want = this.committedTerm[i];
      if (want === undefined) continue;
      const got = log.term(i as LogIndex);
      if (got !== want) {
        this.add(
          'leader-completeness',
          time,
          `node ${id} became leader of term ${term} without the committed entry at index ${i} (term ${want}, declared committed by node ${this.committedBy[i]}); its log has ${got === undefined ? 'nothing' : `term ${got}`} there (last index ${log.lastIndex()})`,
        );
        return;
      }
    }
  }

  /**
   * onCommit: node `id` declared everything up to `commit` committed (its Ready's hard state).
   * Records the terms of those entries; two nodes declaring different entries committed at one
   * index breaks state machine safety (what is committed is what every node will apply).
   */
  onCommit(time: number, id: NodeId, commit: number, log: RaftLog): void {
    const from = Math.max(this.commitSeen.get(id) ?? 0, log.firstIndex() - 1) + 1;
    for (let i = from; i <= commit; i++) {
      const t = log.term(i as LogIndex);
      if (t === undefined) continue;
      const want = this.committedTerm[i];
      if (want === undefined) {
        this.committedTerm[i] = t;
        this.committedBy[i] = id;
        if (i > this.maxCommitted) this.maxCommitted = i;
      } else if (want !== t) {
        this.add('state-machine-safety', time, `node ${id} declared the entry of term ${t} committed at index ${i}, node ${this.committedBy[i]} one of term ${want}`);
        return;
      }
    }
    if (commit > (this.commitSeen.get(id) ?? 0)) this.commitSeen.set(id, commit);
  }

  /** onRestart: node `id` restarted; its commit declarations are rechecked from its new state. */
  onRestart(id: NodeId): void {
    this.commitSeen.delete(id);
  }

  /** onApply: node `id` applied `entry`. Checks state machine safety. */
  onApply(time: number, id: NodeId, entry: Entry): void {
    const i = entry.index;
    const t = this.appliedTerm[i];
    if (t === undefined) {
      this.appliedTerm[i] = entry.term;
      this.appliedData[i] = entry.data;
      this.appliedBy[i] = id;
      if (i > this.maxApplied) this.maxApplied = i;
      return;
    }
    if (t !== entry.term || !sameBytes(this.appliedData[i]!, entry.data)) {
      this.add(
        'state-machine-safety',
        time,
        `node ${id} applied a different entry at index ${i} (term ${entry.term}) than node ${this.appliedBy[i]} did (term ${t})`,
      );
    }
  }

  /** checkLogMatching: two logs that agree on (index, term) agree on every entry up to there. */
  checkLogMatching(time: number, a: NodeId, la: RaftLog, b: NodeId, lb: RaftLog): void {
    const lo = Math.max(la.firstIndex(), lb.firstIndex());
    const hi = Math.min(la.lastIndex(), lb.lastIndex());
    if (hi < lo) return;
    // The highest index where the terms agree.
    let top = -1;
    for (let i = hi; i >= lo; i--) {
      if (la.term(i as LogIndex) === lb.term(i as LogIndex)) {
        top = i;
        break;
      }
    }
    if (top < lo) return;
    const ea = la.slice(lo as LogIndex, (top + 1) as LogIndex, Number.MAX_SAFE_INTEGER) ?? [];
    const eb = lb.slice(lo as LogIndex, (top + 1) as LogIndex, Number.MAX_SAFE_INTEGER) ?? [];
    for (let k = 0; k < ea.length && k < eb.length; k++) {
      const x = ea[k]!;
      const y = eb[k]!;
      if (x.term !== y.term || x.type !== y.type || !sameBytes(x.data, y.data)) {
        this.add(
          'log-matching',
          time,
          `nodes ${a} and ${b} agree on the entry at index ${top} (term ${la.term(top as LogIndex)}) but differ at index ${x.index} (terms ${x.term} and ${y.term})`,
        );
        return;
      }
    }
  }

  /** checkAckedWrites: every write a client saw acknowledged is in the final state `applied`. */
  checkAckedWrites(time: number, acked: ReadonlyMap<string, number>, applied: ReadonlyMap<string, number>, node: NodeId): void {
    for (const [id, ackTime] of acked) {
      if (!applied.has(id)) {
        this.add('acknowledged-write-lost', time, `write ${id} was acknowledged at ${ackTime}ms but the final state of leader ${node} does not hold it`);
        return;
      }
    }
  }

  /** checkHistory: the client history is linearizable (kv model, per key). Returns the outcome. */
  checkHistory(time: number, history: readonly KvOperation[], timeBudgetMs: number): CheckOutcome {
    const r = checkOperations(kvModel, dropPendingReads(history), { timeBudgetMs });
    if (r.outcome === 'illegal') this.add('linearizability', time, r.counterexample!.description);
    return r.outcome;
  }

  /** liveness: the cluster did not elect a leader and commit within the bound after healing. */
  liveness(time: number, message: string): void {
    this.add('liveness', time, message);
  }

  /** invariant: the core threw (an assertion) while the simulator drove it. */
  invariant(time: number, message: string): void {
    this.add('invariant', time, message);
  }
}
