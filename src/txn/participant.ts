/**
 * The participant side of two-phase commit over Raft groups: what a group's leader does with the
 * transaction requests a coordinator sends it. Each request is computed from the group's graph by
 * a pure function of intents.ts and proposed, in the same synchronous turn, as one log entry through
 * {@link ShardHost.applyCommands}: the check (locks, versions) and the write are atomic, and the
 * entry is ordered in the group's Raft log like any write. The reply comes once the entry committed.
 *
 * | request | group | entry |
 * |---|---|---|
 * | `prepare` | a participant | an intent: locks, register writes, raw commands, a deadline |
 * | `timestamp` | the record group | the clock node moves to a new timestamp (a start timestamp) |
 * | `decide` | the record group | the transaction's record (first writer wins) with its commit timestamp |
 * | `resolve` | a participant | the intent goes; committed: its writes apply, stamped with the commit timestamp |
 * | `forget` | the record group | the record goes, once every participant resolved |
 * | `read`, `record`, `intents` | any | none: a linearizable read (ReadIndex) |
 *
 * The record group's clock is a {@link HybridClock} per host whose last timestamp is in the log:
 * a new leader continues above everything issued before it; a leader whose physical clock is more
 * than `maxSkewMs` behind the issued timestamps refuses (`ClockSkew`) rather than taking part.
 *
 * This is the "server" half; a cluster layer carries {@link TxnRequest} / replies over its wire
 * (they are plain data) to the group leader and calls {@link serveTxnRequest} there.
 */
import type { ShardHost } from '../shard/host.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import { HybridClock, type HlcTimestamp } from './hlc.ts';
import {
  applyIfCommands,
  clockCommands,
  lastIssued,
  decideCommands,
  forgetCommands,
  intentOf,
  intents,
  prepareCommands,
  readRegister,
  recordOf,
  records,
  resolveCommands,
  type Computed,
  type Decision,
  type IntentState,
  type PrepareRequest,
  type RecordState,
  type RegisterRead,
  type SnapshotCheck,
} from './intents.ts';
import type { GraphCommand, GraphReader } from '../graph/index.ts';

/** A request to a group's leader (plain data: it can cross a wire). */
export type TxnRequest =
  | { readonly op: 'prepare'; readonly req: PrepareRequest }
  | { readonly op: 'resolve'; readonly txn: string; readonly decision: Decision }
  /**
   * A one-group graph transaction's commit: `commands` as one entry, if the transaction that read
   * the group at log index `expect` may commit them by `check` (default `'data'`; see
   * {@link SnapshotCheck}: PROPOSAL_DROPPED `WriteConflict` / `Locked` / `SnapshotTooOld`
   * otherwise). Not idempotent: the transport does not send it twice.
   */
  | { readonly op: 'apply'; readonly commands: readonly GraphCommand[]; readonly expect: number; readonly check?: SnapshotCheck }
  | { readonly op: 'timestamp' }
  /** `deadline`: wall ms after which a commit is refused and recorded as an abort. */
  /** `after`: the participants' version stamps after they prepared: a commit timestamp is issued above them (reads at a past timestamp rely on it). */
  | { readonly op: 'decide'; readonly txn: string; readonly want: 'commit' | 'abort'; readonly participants: readonly number[]; readonly deadline: number; readonly after?: HlcTimestamp }
  | { readonly op: 'forget'; readonly txn: string }
  | { readonly op: 'read'; readonly keys: readonly string[]; readonly ts: HlcTimestamp }
  | { readonly op: 'record'; readonly txn: string }
  | { readonly op: 'intents' }
  | { readonly op: 'records' }
  | { readonly op: 'holds'; readonly txn: string };

/** The reply to each request kind. */
export interface TxnReplies {
  /** With the participant's version stamp after the prepare (above its prepare entry's) on a host that stamps versions. */
  prepare: 'prepared' | { readonly prepared: HlcTimestamp };
  resolve: 'resolved' | 'absent';
  apply: 'applied';
  timestamp: HlcTimestamp;
  decide: Decision;
  forget: boolean;
  read: RegisterRead[];
  record: RecordState | undefined;
  intents: IntentState[];
  records: RecordState[];
  holds: boolean;
}

/** What the participant side needs besides the host. */
export interface ParticipantContext {
  /**
   * This peer's wall clock, ms (the simulator's may be skewed). The record group's HybridClock of a
   * host is made with the `now` of the first request that host serves, and kept.
   */
  readonly now: () => number;
  /** Tolerated skew of the record group's clock against this peer's, ms (default 500). */
  readonly maxSkewMs?: number;
  /** Time limit of one log entry, ms (default the host's request timeout). */
  readonly timeoutMs?: number;
  /** Register versions kept this long after they were shadowed, ms. */
  readonly retentionMs?: number;
  /** PLANTED BUG (TEST-ONLY): prepare skips the first-committer-wins check. */
  readonly plantSkipWriteCheck?: boolean;
}

const clocks = new WeakMap<ShardHost, HybridClock>();

function clockFor(host: ShardHost, ctx: ParticipantContext): HybridClock {
  // One clock per peer: the one stamping the host's versions, when it is a hybrid clock.
  const versions = host.versionClock;
  if (versions instanceof HybridClock) return versions;
  let c = clocks.get(host);
  if (c === undefined) clocks.set(host, (c = new HybridClock(ctx.now, ctx.maxSkewMs)));
  return c;
}

/** A timestamp above every one the record group issued: its logged clock, taken in by this host's HLC. */
function issue(host: ShardHost, graph: GraphReader, ctx: ParticipantContext): HlcTimestamp {
  const clock = clockFor(host, ctx);
  clock.update(lastIssued(graph), 'the transaction record log');
  return clock.now();
}

/** Rounds {@link onLeader} tries before giving up when the state keeps changing under it. */
const onLeaderRoundsMax = 8;

/**
 * onLeader: computes an entry from the group's graph on this host, its ready leader, and proposes
 * it in the same turn; resolves with the result once the entry committed. A computation that
 * writes nothing read the leader's graph, speculative writes included: it is computed again at a
 * linearizable point (ReadIndex, after those writes committed — or failed with the leader change
 * that dropped them), and that result stands only if it still writes nothing. PROPOSAL_DROPPED
 * `NotLeader` when this host does not lead the group (nothing happened: ask its leader).
 */
export async function onLeader<T>(host: ShardHost, group: number, compute: (graph: GraphReader) => Computed<T>, timeoutMs?: number): Promise<T> {
  const opts = timeoutMs === undefined ? {} : { timeoutMs };
  for (let round = 0; round < onLeaderRoundsMax; round++) {
    if (!host.isLeader(group)) throw new GeodeError('PROPOSAL_DROPPED', `peer ${host.self} is not the ready leader of group ${group}`, { detail: 'NotLeader' });
    const c = compute(host.graph(group));
    if (c.commands.length > 0) {
      await host.applyCommands(group, c.commands, opts);
      return c.result;
    }
    const settled = await host.readGraph(group, (g) => compute(g), opts);
    if (settled.commands.length === 0) return settled.result;
  }
  throw new GeodeError('PROPOSAL_DROPPED', `the transaction state of group ${group} kept changing`, { detail: 'LeaderChanged' });
}

/**
 * serveTxnRequest: runs `request` for group `group` on `host` (its leader, except for reads) and
 * returns the reply. Rejects with the GeodeError of a conflict (PROPOSAL_DROPPED `Locked`,
 * `WriteConflict`, `ReadConflict`, `NotLeader`), of commands that do not apply, or of the host.
 */
export async function serveTxnRequest<R extends TxnRequest>(host: ShardHost, group: number, request: R, ctx: ParticipantContext): Promise<TxnReplies[R['op']]> {
  const t = ctx.timeoutMs;
  const opts = t === undefined ? {} : { timeoutMs: t };
  const r = request as TxnRequest;
  let out: unknown;
  switch (r.op) {
    case 'prepare':
      out = await onLeader(host, group, (g) => {
          // A shard split's fence judges the raw commands the prepare would lock and later apply.
          host.checkWriteFence(group, g, r.req.commands);
          return prepareCommands(g, r.req, ctx.now(), {
            skipWriteCheck: ctx.plantSkipWriteCheck === true,
            written: (index) => host.writtenSince(group, index),
            ...(ctx.maxSkewMs === undefined ? {} : { maxSkewMs: ctx.maxSkewMs }),
          });
        }, t);
      {
        // The prepare entry is committed: this clock is past its stamp.
        const versions = host.versionClock;
        if (versions !== undefined) out = { prepared: versions.now() };
      }
      break;
    case 'resolve':
      // The resolution's entry is stamped after the commit timestamp (reads at a past timestamp rely on it).
      if (r.decision.decision === 'committed') host.versionClock?.witness(r.decision.ts);
      out = await onLeader(host, group, (g) => resolveCommands(g, r.txn, r.decision, ctx.retentionMs), t);
      break;
    case 'apply':
      out = await onLeader(host, group, (g) => applyIfCommands(g, r.commands, r.expect, host.writtenSince(group, r.expect), r.check), t);
      break;
    case 'timestamp':
      out = await onLeader(
        host,
        group,
        (g) => {
          const ts = issue(host, g, ctx);
          return { commands: clockCommands(g, ts), result: ts };
        },
        t,
      );
      break;
    case 'decide':
      out = await onLeader(
        host,
        group,
        (g) => {
          if (recordOf(g, r.txn) !== undefined) return decideCommands(g, r.txn, { decision: 'aborted' }, r.participants, ctx.now());
          if (r.after !== undefined) clockFor(host, ctx).witness(r.after);
          const late = ctx.now() > r.deadline + (ctx.maxSkewMs ?? 500);
          const d: Decision = r.want === 'commit' && !late ? { decision: 'committed', ts: issue(host, g, ctx) } : { decision: 'aborted' };
          return decideCommands(g, r.txn, d, r.participants, ctx.now());
        },
        t,
      );
      break;
    case 'forget':
      out = await onLeader(host, group, (g) => forgetCommands(g, r.txn), t);
      break;
    case 'read':
      out = await host.readGraph(group, (g) => r.keys.map((k) => readRegister(g, k, r.ts)), opts);
      break;
    case 'record':
      out = await host.readGraph(group, (g) => recordOf(g, r.txn), opts);
      break;
    case 'intents':
      out = await host.readGraph(group, (g) => intents(g), opts);
      break;
    case 'records':
      out = await host.readGraph(group, (g) => records(g), opts);
      break;
    case 'holds':
      out = await host.readGraph(group, (g) => intentOf(g, r.txn) !== undefined, opts);
      break;
  }
  return out as TxnReplies[R['op']];
}

/** True for the errors after which the same request may go to the group's (new) leader. */
export function leaderMoved(err: unknown): boolean {
  return isGeodeError(err) && ((err.code === 'PROPOSAL_DROPPED' && (err.detail === 'NotLeader' || err.detail === 'LeaderTransfer' || err.detail === 'LeaderChanged')) || err.code === 'CLOSED');
}
