/**
 * The atomic cross-shard write of a running sharded cluster: a {@link CrossShardCommitter} built
 * on {@link TxnCoordinator.commitAcrossShards}, and {@link startClusterTxn}, which gives a member
 * its coordinator, serves the `txn` calls of other members and runs its {@link IntentResolver}.
 *
 * The record group — where decisions and the timestamp clock live — is the meta group (group 0):
 * every member runs it, it exists before any shard and never moves, and it is not a participant
 * of the writes it decides (so one participant's leader failing does not also take away the
 * record). A write on two shards costs, in order: a prepare on each (in parallel), the decision
 * on group 0, a resolution on each (in parallel); the statement answers once every participant
 * resolved (its writes are then visible on every shard), or — when a resolution is slow — once the
 * decision is recorded and the timeout passed (the resolvers finish it).
 */
import type { CrossShardCommitter, ShardPart } from '../cluster/cross-shard.ts';
import type { GraphCommand } from '../graph/index.ts';
import type { ShardHost } from '../shard/host.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import { ShardTxnTransport, serveTxnCalls } from './net-transport.ts';
import type { ParticipantContext } from './participant.ts';
import { IntentResolver } from './resolver.ts';
import { resolvedOrAfter, wallTimer, type GraphTxnComponents } from './graph-transaction.ts';
import { blockedByIntent } from './intents.ts';
import { retryableTxnError, TxnCoordinator, type CoordinatorFaults } from './two-phase.ts';

/** The record group of a sharded cluster's transactions: the meta group. */
export const TXN_RECORD_GROUP = 0;
/** Attempts of one cross-shard write after a retryable abort (nothing happened). */
const commitRetries = 3;

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

/**
 * ClusterTxnEnv: the clock, timers and randomness of a member's transaction side. A running
 * member uses the wall clock ({@link wallTxnEnv}); the sharded simulation passes its virtual time,
 * so the same code runs there deterministically.
 */
export interface ClusterTxnEnv {
  /** This peer's wall clock, ms. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Random in [0, 1): transaction ids, backoff jitter. */
  readonly random: () => number;
  /** Runs `fn` after `ms`; returns what cancels it. */
  readonly after: (ms: number, fn: () => void) => () => void;
}

/** The wall-clock environment of a running member. */
export const wallTxnEnv: ClusterTxnEnv = { now: Date.now, sleep, random: Math.random, after: wallTimer };

/**
 * txnCommitter: commits each write's parts on all their groups or on none through `coord`.
 * Rejects with the participant's error when a part does not apply (nothing happened), PROPOSAL_DROPPED
 * (`Locked`, `TxnAborted`: nothing happened) after {@link commitRetries} retries, or PROPOSAL_DROPPED
 * `OutcomeUnknown` when the decision could not be recorded or read back in time.
 */
export function txnCommitter(coord: TxnCoordinator, env: ClusterTxnEnv = wallTxnEnv): CrossShardCommitter {
  return {
    async commit(parts: readonly ShardPart[], options: { readonly timeoutMs: number }): Promise<void> {
      const byGroup = new Map<number, GraphCommand[]>();
      for (const p of parts) byGroup.set(p.group, [...(byGroup.get(p.group) ?? []), ...p.commands]);
      const end = env.now() + options.timeoutMs;
      for (let attempt = 0; ; attempt++) {
        try {
          const c = await coord.commitAcrossShards(byGroup, { timeoutMs: options.timeoutMs });
          // Read-your-writes: wait (bounded) until every participant applied it.
          await resolvedOrAfter(c.resolved, Math.max(0, end - env.now()), env.after);
          return;
        } catch (err) {
          if (isGeodeError(err, 'IO') && err.detail === 'TxnOutcomeUnknown') {
            throw new GeodeError('PROPOSAL_DROPPED', `${err.message}: the write may or may not have happened on every shard (all or none)`, { detail: 'OutcomeUnknown', source: 'transaction', cause: err });
          }
          if (!retryableTxnError(err) || attempt >= commitRetries || env.now() >= end) throw err;
          await env.sleep(5 * 2 ** attempt * (0.5 + env.random()));
        }
      }
    },
  };
}

/** What {@link startClusterTxn} gives a member. */
export interface ClusterTxn {
  readonly coordinator: TxnCoordinator;
  readonly transport: ShardTxnTransport;
  readonly resolver: IntentResolver;
  readonly committer: CrossShardCommitter;
  /** Stops the resolver and serving other members' calls. */
  stop(): void;
}

/** Options of {@link startClusterTxn}. */
export interface ClusterTxnOptions {
  readonly resolverPeriodMs?: number;
  readonly context?: Partial<ParticipantContext>;
  /** Clock, timers, randomness (default {@link wallTxnEnv}; the simulator passes virtual time). */
  readonly env?: ClusterTxnEnv;
  /** TEST-ONLY: the coordinator's fault points and planted bugs (see {@link CoordinatorFaults}). */
  readonly faults?: CoordinatorFaults;
}

/** startClusterTxn: `host`'s coordinator over the shard wire, its answers to other members' txn calls, and its resolver. */
export function startClusterTxn(host: ShardHost, options: ClusterTxnOptions = {}): ClusterTxn {
  const env = options.env ?? wallTxnEnv;
  const context: ParticipantContext = { now: env.now, ...options.context };
  const transport = new ShardTxnTransport({ host, context, now: context.now, sleep: env.sleep });
  const coordinator = new TxnCoordinator(
    { transport, recordGroup: TXN_RECORD_GROUP, groupOfKey: () => TXN_RECORD_GROUP, now: context.now, sleep: env.sleep, random: env.random, name: host.self },
    options.faults,
  );
  const stopServing = serveTxnCalls(host, context);
  const resolver = new IntentResolver({
    host,
    groups: () => host.groups(),
    recordGroup: TXN_RECORD_GROUP,
    transport,
    now: context.now,
    after: env.after,
    ...(options.resolverPeriodMs === undefined ? {} : { periodMs: options.resolverPeriodMs }),
  });
  resolver.start();
  // Writes outside transactions wait for the prepared transactions that lock what they write.
  host.setWriteGuard((_group, graph, commands) => !blockedByIntent(graph, commands));
  return {
    coordinator,
    transport,
    resolver,
    committer: txnCommitter(coordinator, env),
    stop: () => {
      resolver.stop();
      host.setWriteGuard(undefined);
      stopServing();
    },
  };
}

/** graphTxnComponents: what a member's graph transactions run on (its host, coordinator and transport). */
export function graphTxnComponents(host: ShardHost, txn: ClusterTxn): GraphTxnComponents {
  return { host, coordinator: txn.coordinator, transport: txn.transport, now: Date.now, sleep };
}
