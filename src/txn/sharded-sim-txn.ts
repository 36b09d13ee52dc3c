/**
 * The write side of the sharded simulation (src/cluster/coordinator/sharded-sim.ts): each host
 * runs what a member of a sharded cluster runs — {@link startClusterTxn}: a coordinator over the
 * shard wire (`txn` calls to the groups' leaders), the answers to other members' calls, an intent
 * resolver and the write guard — on the simulator's clock, with the record in the record group
 * (group 0, as in a cluster). Writes spanning shards commit through its `txnCommitter`. TEST-ONLY.
 */
import type { GraphReader } from '../graph/index.ts';
import type { ShardHost } from '../shard/host.ts';
import type { ShardedSimMember, ShardedSimWriteSide, SimTxnEnv } from '../cluster/coordinator/sharded-sim.ts';
import { intents } from './intents.ts';
import { startClusterTxn, TXN_RECORD_GROUP } from './shard-committer.ts';
import type { CoordinatorFaults } from './two-phase.ts';

export interface SimWriteSideOptions {
  /** Resolver period of every member, ms. */
  readonly resolverPeriodMs: number;
  /** PLANTED BUG (TEST-ONLY): coordinators resolve as committed without recording the decision. */
  readonly plantSkipRecord?: boolean;
}

/** txnWriteSide: the members' two-phase commit for the sharded simulation. */
export function txnWriteSide(options: SimWriteSideOptions): ShardedSimWriteSide {
  return {
    recordGroup: TXN_RECORD_GROUP,
    member(host: ShardHost, env: SimTxnEnv, midCommit: () => void): ShardedSimMember {
      const faults: CoordinatorFaults = { afterPrepare: midCommit, afterDecide: midCommit, beforeResolve: midCommit, skipRecord: options.plantSkipRecord === true };
      const txn = startClusterTxn(host, { env, faults, resolverPeriodMs: options.resolverPeriodMs });
      return { committer: txn.committer, stop: () => txn.stop() };
    },
    held: (graph: GraphReader) => intents(graph).map((i) => i.txn),
  };
}
