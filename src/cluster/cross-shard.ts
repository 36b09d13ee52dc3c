/**
 * Cross-shard commits: the seam between the sharded write path and atomic multi-shard commits.
 * A statement whose commands land on several shards hands them, per shard group, to a
 * {@link CrossShardCommitter}; running clusters install two-phase commit between their members
 * (src/txn/shard-committer.ts). {@link refusingCommitter} refuses such writes before anything is
 * written (tests, and the fallback for tools that run a router without members).
 */
import type { GraphCommand } from '../graph/index.ts';
import { GeodeError } from '../util/errors.ts';
import type { GroupView } from './txn-view.ts';

/** One shard's part of a cross-shard write. */
export interface ShardPart {
  /** The shard's Raft group. */
  readonly group: number;
  /** Its commands, applied there as one log entry on commit. */
  readonly commands: readonly GraphCommand[];
}

/**
 * CrossShardCommitter: commits the parts of one write on all their groups or on none. Resolves once
 * the outcome is decided and committed; rejects with a GeodeError when it did not commit (nothing
 * is visible on any shard), or with PROPOSAL_DROPPED `OutcomeUnknown` when that cannot be known.
 */
export interface CrossShardCommitter {
  commit(parts: readonly ShardPart[], options: { readonly timeoutMs: number }): Promise<void>;
}

/** The detail of the refusal of a write that needs an atomic commit across shards. */
export const CROSS_SHARD_WRITE = 'CrossShardWrite';

/** crossShardRefusal: the error for a write spanning shards the router cannot run (or with the refusing committer). */
export function crossShardRefusal(why: string): GeodeError {
  return new GeodeError(
    'INPUT_INVALID',
    `${why}: over several shards a sharded cluster runs inserts (CREATE, UNWIND, WITH, RETURN) and single-shard updates; write each shard's part in its own statement, or load data with the bulk import`,
    { detail: CROSS_SHARD_WRITE, source: 'coordinator' },
  );
}

/** refusingCommitter: refuses every cross-shard write (nothing is written). */
export const refusingCommitter: CrossShardCommitter = {
  commit(parts) {
    return Promise.reject(crossShardRefusal(`the write touches ${parts.length} shards (groups ${parts.map((p) => p.group).join(', ')})`));
  },
};

/**
 * StatementTransactions: runs a statement's body in a transaction of its own (a write spanning
 * shards outside `db.transaction`): committed when the body resolves, all or none; run again on a
 * conflict. Installed by running clusters (src/txn/graph-transaction.ts `statementTransactions`).
 */
export interface StatementTransactions {
  run<T>(body: (tx: GroupView) => Promise<T>, options: { readonly timeoutMs: number }): Promise<T>;
}
