/**
 * Sagas (`protocol: "saga"`): a transaction as a sequence of steps, each a transaction on ONE
 * shard (atomic and isolated there, by the same machinery as {@link TxnCoordinator.run}), each with
 * a compensation that semantically undoes it. When a step fails, the compensations of the steps
 * that committed run in reverse order, each retried until it commits.
 *
 * What a saga does NOT give, plainly: it is not atomic across shards while it runs — other
 * transactions see the effects of the steps done so far, and may act on them before a later step
 * fails and the compensations run; it is not isolated — two sagas interleave step by step (lost
 * updates between them are possible unless the steps and compensations are commutative, such as
 * increments); and a compensation is only as good as the code that wrote it. What it gives: each
 * step is all-or-nothing on its shard, no step holds a lock past its own commit (no long lock
 * across shards), and in the end either every step committed or every committed step was
 * compensated (unless a compensation keeps failing past its retries: then the saga rejects with
 * IO `SagaCompensationFailed` naming the steps left to compensate).
 */
import { GeodeError } from '../util/errors.ts';
import type { DistributedTransaction, RunOptions, TxnCoordinator } from './two-phase.ts';

/** One step of a saga: its body (one shard only) and its compensation (same shard). */
export interface SagaStep {
  readonly name: string;
  readonly run: (tx: DistributedTransaction) => Promise<void>;
  readonly compensate: (tx: DistributedTransaction) => Promise<void>;
}

/** Most steps in one saga. */
export const sagaStepsMax = 1_000;

export interface SagaOptions extends RunOptions {
  /** Attempts of one compensation before the saga gives up on it. Default 20. */
  readonly compensationRetries?: number;
}

/** How a saga ended. */
export type SagaOutcome = { readonly status: 'committed'; readonly steps: number } | { readonly status: 'compensated'; readonly failedStep: string; readonly error: unknown; readonly compensated: number };

function singleShard(body: (tx: DistributedTransaction) => Promise<void>, step: string): (tx: DistributedTransaction) => Promise<void> {
  return async (tx) => {
    await body(tx);
    const groups = tx.writtenGroups();
    if (groups.length > 1) {
      throw new GeodeError('INPUT_INVALID', `saga step ${step} writes ${groups.length} shards (groups ${groups.join(', ')}); a saga step writes one`, { source: 'transaction', detail: 'SagaStepCrossShard' });
    }
  };
}

/**
 * runSaga: runs `steps` in order through `coord`, each as its own single-shard transaction (with
 * the usual retries). On the first step that fails, runs the compensations of the committed steps
 * newest first and resolves `compensated`; resolves `committed` when every step committed.
 */
export async function runSaga(coord: TxnCoordinator, steps: readonly SagaStep[], options: SagaOptions = {}): Promise<SagaOutcome> {
  if (steps.length > sagaStepsMax) throw new GeodeError('LIMIT_EXCEEDED', `a saga has at most ${sagaStepsMax} steps`, { source: 'transaction', detail: 'SagaSteps' });
  const done: SagaStep[] = [];
  for (const step of steps) {
    try {
      await coord.run(singleShard(step.run, step.name), options);
      done.push(step);
    } catch (error) {
      const retries = options.compensationRetries ?? 20;
      for (let i = done.length - 1; i >= 0; i--) {
        const c = done[i]!;
        try {
          await coord.run(singleShard(c.compensate, `${c.name} (compensation)`), { ...options, retries });
        } catch (err) {
          const left = done.slice(0, i + 1).map((s) => s.name);
          throw new GeodeError('IO', `saga step ${step.name} failed, and the compensation of ${c.name} did not commit: still to compensate ${left.join(', ')}`, {
            source: 'transaction',
            detail: 'SagaCompensationFailed',
            cause: err,
          });
        }
      }
      return { status: 'compensated', failedStep: step.name, error, compensated: done.length };
    }
  }
  return { status: 'committed', steps: steps.length };
}
