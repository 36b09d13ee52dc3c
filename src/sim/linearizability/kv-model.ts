/**
 * A key-value model for the linearizability checker: each key is a register holding a string
 * ('' when never written), with get, put, append and compare-and-set. Partitioned by key, since
 * operations on different keys never interact.
 */

import type { Model, Operation } from './model.ts';

/** KvInput: one operation on one key. */
export type KvInput =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'append'; readonly key: string; readonly value: string }
  /** cas: sets `value` when the register holds `expected`. */
  | { readonly op: 'cas'; readonly key: string; readonly expected: string; readonly value: string };

/** KvOutput: `value` for a get; `ok` for a cas (whether it swapped). Put and append output `{}`. */
export interface KvOutput {
  readonly value?: string;
  readonly ok?: boolean;
}

/** KvOperation: an operation of a key-value history. */
export type KvOperation = Operation<KvInput, KvOutput>;

function stepKv(state: string, input: KvInput, output: KvOutput | undefined): readonly [boolean, string] {
  switch (input.op) {
    case 'get':
      return [output === undefined || output.value === state, state];
    case 'put':
      return [true, input.value];
    case 'append':
      return [true, state + input.value];
    case 'cas': {
      const swapped = state === input.expected;
      if (output !== undefined && output.ok !== swapped) return [false, state];
      return [true, swapped ? input.value : state];
    }
  }
}

/** kvModel: the key-value register model, partitioned by key. */
export const kvModel: Model<string, KvInput, KvOutput> = {
  init: () => '',
  step: stepKv,
  equal: (a, b) => a === b,
  hash: (s) => s,
  partition(history) {
    const byKey = new Map<string, KvOperation[]>();
    for (const op of history) {
      let list = byKey.get(op.input.key);
      if (list === undefined) byKey.set(op.input.key, (list = []));
      list.push(op);
    }
    return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
  },
  partitionName: (part) => (part.length === 0 ? 'empty' : `key=${part[0]!.input.key}`),
  describeOperation(input, output) {
    const out = output === undefined ? '?' : input.op === 'get' ? JSON.stringify(output.value) : input.op === 'cas' ? String(output.ok) : 'ok';
    switch (input.op) {
      case 'get':
        return `get(${input.key}) -> ${out}`;
      case 'put':
        return `put(${input.key}, ${JSON.stringify(input.value)}) -> ${out}`;
      case 'append':
        return `append(${input.key}, ${JSON.stringify(input.value)}) -> ${out}`;
      case 'cas':
        return `cas(${input.key}, ${JSON.stringify(input.expected)}, ${JSON.stringify(input.value)}) -> ${out}`;
    }
  },
  describeState: (s) => JSON.stringify(s),
};

/**
 * dropPendingReads: removes pending gets (and pending failed cas are kept: their effect is unknown).
 * A read that never returned has no effect, so dropping it keeps the verdict and shrinks the search.
 */
export function dropPendingReads(history: readonly KvOperation[]): KvOperation[] {
  return history.filter((o) => !(o.input.op === 'get' && o.output === undefined));
}
