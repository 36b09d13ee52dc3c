/**
 * The transaction layer: the hybrid logical clock, the single-replica MVCC core, and distributed
 * transactions over shard groups (two-phase commit through Raft, sagas). See docs/transactions.md.
 */
export { compareHlc, formatHlc, HybridClock, maxClockSkewMsDefault, type HlcTimestamp } from './hlc.ts';
export { MvccStore, runTransaction, Transaction, TransactionManager, type IsolationLevel, type RetryOptions } from './mvcc.ts';
export {
  DistributedTransaction,
  retryableTxnError,
  TxnCoordinator,
  txnRetriesDefault,
  txnTimeoutMsDefault,
  type RunOptions,
  type TxnCommit,
  type TxnCoordinatorComponents,
  type TxnIsolation,
  type TxnOptions,
  type TxnTransport,
} from './two-phase.ts';
export { leaderMoved, onLeader, serveTxnRequest, type ParticipantContext, type TxnReplies, type TxnRequest } from './participant.ts';
export { IntentResolver, type IntentResolverOptions } from './resolver.ts';
export { LocalTxnTransport, type LocalTxnTransportOptions } from './local-transport.ts';
export { ShardTxnTransport, serveTxnCalls, TXN_SERVICE, type ShardTxnTransportOptions } from './net-transport.ts';
export { startClusterTxn, txnCommitter, TXN_RECORD_GROUP, type ClusterTxn } from './shard-committer.ts';
export { runSaga, type SagaOptions, type SagaOutcome, type SagaStep } from './saga.ts';
export { TXN_LABEL, TXN_NODE_ID, type Decision, type TxnValue } from './intents.ts';
