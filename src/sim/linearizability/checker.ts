/**
 * A linearizability checker: Wing & Gong's search with Lowe's memoization (the algorithm of
 * Porcupine). Each part of the history (see `Model.partition`) is checked on its own.
 *
 * The history is turned into a doubly linked list of call and return events sorted by time
 * (calls before returns at equal times, so touching operations count as concurrent). The search
 * walks the list from its head: at a call it tries to linearize that operation now (the model
 * accepts its output, and the pair (set of linearized ops, state) was not seen before), lifting
 * its call and return out of the list; at a return it has failed to place an operation that must
 * already have happened, so it backtracks. The list becoming empty proves the part linearizable.
 * Pending operations return at +Infinity, so linearizing one last is the same as it never taking
 * effect.
 */

import { assert } from '../../util/assert.ts';
import type { CheckOptions, CheckResult, Counterexample, Model, Operation } from './model.ts';

/** Iterations between two looks at the clock. */
const clockEvery = 1024;
/** Most operations in one part; more is refused (the bitset and the search would not scale). */
export const partitionOperationsMax = 100_000;

interface Node {
  /** Index of the operation in its part. */
  readonly op: number;
  readonly isCall: boolean;
  /** For a call: its return node. */
  match: Node | undefined;
  prev: Node | undefined;
  next: Node | undefined;
}

interface Event {
  readonly time: number;
  readonly op: number;
  readonly isCall: boolean;
}

function buildList(ops: readonly Operation<unknown, unknown>[]): Node {
  const events: Event[] = [];
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    assert(o.call <= o.ret, `operation ${i} returns (${o.ret}) before its call (${o.call})`);
    events.push({ time: o.call, op: i, isCall: true }, { time: o.ret, op: i, isCall: false });
  }
  events.sort((a, b) => {
    if (a.time !== b.time) return a.time < b.time ? -1 : 1;
    if (a.isCall !== b.isCall) return a.isCall ? -1 : 1;
    return a.op - b.op;
  });
  const head: Node = { op: -1, isCall: false, match: undefined, prev: undefined, next: undefined };
  const calls = new Map<number, Node>();
  let last = head;
  for (const e of events) {
    const n: Node = { op: e.op, isCall: e.isCall, match: undefined, prev: last, next: undefined };
    last.next = n;
    last = n;
    if (e.isCall) calls.set(e.op, n);
    else calls.get(e.op)!.match = n;
  }
  return head;
}

/** lift: removes a call node and its return node from the list. */
function lift(call: Node): void {
  call.prev!.next = call.next;
  if (call.next !== undefined) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next !== undefined) ret.next.prev = ret.prev;
}

/** unlift: puts back a call node and its return node (in reverse order of `lift`). */
function unlift(call: Node): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next !== undefined) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next !== undefined) call.next.prev = call;
}

type PartOutcome<S> =
  | { readonly kind: 'ok' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'illegal'; readonly prefix: readonly number[]; readonly state: S; readonly candidates: readonly number[] };

function checkPart<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], deadline: number, now: () => number): PartOutcome<S> {
  assert(ops.length <= partitionOperationsMax, `a part of ${ops.length} operations passes the limit of ${partitionOperationsMax}`);
  if (ops.length === 0) return { kind: 'ok' };
  const head = buildList(ops as readonly Operation<unknown, unknown>[]);
  const words = Math.ceil(ops.length / 32);
  const linearized = new Uint32Array(words);
  const cache = new Set<string>();
  const stack: { call: Node; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  let iterations = 0;
  let best: number[] = [];
  let bestState = state;
  let bestCandidates: number[] = [];

  while (head.next !== undefined) {
    if (++iterations % clockEvery === 0 && now() > deadline) return { kind: 'timeout' };
    assert(entry !== undefined, 'linearizability search ran off the end of the event list');
    if (entry.isCall) {
      const op = ops[entry.op]!;
      const [ok, next] = model.step(state, op.input, op.output);
      let advanced = false;
      if (ok) {
        linearized[entry.op >>> 5]! |= 1 << (entry.op & 31);
        const key = `${linearized.join(',')}|${model.hash(next)}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ call: entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          advanced = true;
        } else {
          linearized[entry.op >>> 5]! &= ~(1 << (entry.op & 31));
        }
      }
      if (!advanced) entry = entry.next;
    } else {
      // A return: the operation it closes must already be linearized, and it is not. Backtrack.
      if (stack.length >= best.length) {
        // Record the deepest failure point for the counterexample.
        if (stack.length > best.length || bestCandidates.length === 0) {
          best = stack.map((s) => s.call.op);
          bestState = state;
          bestCandidates = [];
          const stopAt = entry.next;
          for (let n: Node | undefined = head.next; n !== undefined && n !== stopAt; n = n.next) if (n.isCall) bestCandidates.push(n.op);
        }
      }
      const top = stack.pop();
      if (top === undefined) {
        return { kind: 'illegal', prefix: best, state: bestState, candidates: bestCandidates };
      }
      state = top.state;
      linearized[top.call.op >>> 5]! &= ~(1 << (top.call.op & 31));
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return { kind: 'ok' };
}

function describeOp<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  const body = model.describeOperation !== undefined ? model.describeOperation(op.input, op.output) : `${JSON.stringify(op.input)} -> ${JSON.stringify(op.output)}`;
  const ret = op.ret === Infinity ? 'pending' : String(op.ret);
  return `client ${op.clientId} [${op.call}, ${ret}] ${body}`;
}

/**
 * checkOperations: decides whether `history` is linearizable with respect to `model`. Parts are
 * checked in order; the first illegal part gives the counterexample. When the time budget runs out
 * the outcome is `unknown` (unless a part was already found illegal).
 */
export function checkOperations<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], options: CheckOptions = {}): CheckResult {
  const now = options.now ?? Date.now;
  const deadline = now() + (options.timeBudgetMs ?? 10_000);
  const parts = model.partition !== undefined ? model.partition(history) : [history.slice()];
  let timedOut = false;
  for (const part of parts) {
    const r = checkPart(model, part, deadline, now);
    if (r.kind === 'timeout') {
      timedOut = true;
      continue;
    }
    if (r.kind === 'ok') continue;
    const name = model.partitionName !== undefined ? model.partitionName(part) : 'all';
    const prefix = r.prefix.map((i) => describeOp(model, part[i]!));
    const stateText = model.describeState !== undefined ? model.describeState(r.state) : JSON.stringify(r.state);
    const candidates = r.candidates.map((i) => describeOp(model, part[i]!));
    const lines = [
      `history is not linearizable (part ${name}, ${part.length} operations)`,
      `longest linearizable prefix (${prefix.length} operations):`,
      ...prefix.slice(-20).map((l) => `  ${l}`),
      `state after it: ${stateText}`,
      `none of these operations can come next:`,
      ...candidates.map((l) => `  ${l}`),
    ];
    if (prefix.length > 20) lines.splice(2, 0, `  ... ${prefix.length - 20} earlier operations`);
    const counterexample: Counterexample = {
      partition: name,
      operations: part.length,
      longestPrefix: prefix,
      stateAfterPrefix: stateText,
      candidates,
      description: lines.join('\n'),
    };
    return { outcome: 'illegal', partitions: parts.length, operations: history.length, counterexample };
  }
  return { outcome: timedOut ? 'unknown' : 'ok', partitions: parts.length, operations: history.length };
}
