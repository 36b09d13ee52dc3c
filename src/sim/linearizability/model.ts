/**
 * Types of the linearizability checker: operations of a concurrent history and the sequential
 * model they are checked against (in the style of Porcupine, github.com/anishathalye/porcupine).
 */

/**
 * Operation: one client operation as observed. `call` and `ret` are times (any unit, e.g. virtual
 * ms) with `call <= ret`. A PENDING operation (the client never learned the outcome: a timeout,
 * a crash) has `ret = Infinity` and `output = undefined`: it may or may not have taken effect, at
 * any time after its call.
 */
export interface Operation<I, O> {
  /** The client (process) that issued the operation; only used in reports. */
  readonly clientId: number;
  readonly input: I;
  /** The observed output; undefined for a pending operation (its outcome is unknown). */
  readonly output: O | undefined;
  readonly call: number;
  readonly ret: number;
}

/**
 * Model: the sequential specification a history must be equivalent to.
 *
 * Contract: `step` is pure (never mutates `state`), `hash` is a deterministic function with
 * `equal(a, b) => hash(a) === hash(b)`, and `partition` (when given) splits a history into
 * independent sub-histories (e.g. one per key) whose states never interact: the history is
 * linearizable iff every part is.
 */
export interface Model<S, I, O> {
  /** init: the state before any operation. */
  init(): S;
  /**
   * step: applies `input` to `state`. Returns whether `output` is a legal output for it (an
   * undefined output, i.e. a pending operation, must be accepted) and the state after it.
   */
  step(state: S, input: I, output: O | undefined): readonly [boolean, S];
  /** equal: two states behave the same for every future operation. */
  equal(a: S, b: S): boolean;
  /** hash: a string key of the state, for the search's memo table. */
  hash(state: S): string;
  /** partition: independent sub-histories; default: the whole history is one part. */
  partition?(history: readonly Operation<I, O>[]): Operation<I, O>[][];
  /** partitionName: a name for a part in reports (e.g. its key). */
  partitionName?(part: readonly Operation<I, O>[]): string;
  /** describeOperation: one line for an operation in reports. */
  describeOperation?(input: I, output: O | undefined): string;
  /** describeState: a state in reports. */
  describeState?(state: S): string;
}

/** CheckOutcome: `ok` linearizable, `illegal` not, `unknown` the time budget ran out first. */
export type CheckOutcome = 'ok' | 'illegal' | 'unknown';

/** Counterexample: why one part of a history is not linearizable. */
export interface Counterexample {
  /** The part's name (e.g. `key=a`). */
  readonly partition: string;
  /** Operations in that part. */
  readonly operations: number;
  /** The longest prefix of operations the search could linearize, in order, described. */
  readonly longestPrefix: readonly string[];
  /** The state after that prefix, described. */
  readonly stateAfterPrefix: string;
  /** Operations that had to come next (they were called before the earliest pending return) and none fits. */
  readonly candidates: readonly string[];
  /** A readable multi-line explanation. */
  readonly description: string;
}

/** CheckResult: the verdict on a history. */
export interface CheckResult {
  readonly outcome: CheckOutcome;
  /** Parts checked (one per key for a keyed model). */
  readonly partitions: number;
  /** Operations in the history (pending included). */
  readonly operations: number;
  /** Set when outcome is `illegal`. */
  readonly counterexample?: Counterexample;
}

/** CheckOptions: limits of one check. */
export interface CheckOptions {
  /** Wall-clock budget in ms for the whole history; past it the outcome is `unknown`. Default 10,000. */
  readonly timeBudgetMs?: number;
  /** Clock used for the budget (injected for tests). Default Date.now. */
  readonly now?: () => number;
}
