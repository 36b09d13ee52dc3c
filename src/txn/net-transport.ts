/**
 * ShardTxnTransport: the {@link TxnTransport} of a running cluster. A transaction request for a
 * group goes to the group's leader as a call of the `txn` service over the shard wire (item kind
 * 8, answered by 9 or 3: the peer stream, so only authenticated members take part), is decoded
 * and validated there (txn-codec.ts) and served by {@link serveTxnRequest}; the reply comes back
 * the same way and is validated too. A request for a group this peer leads is served here without
 * a hop; a read (`read`, `record`, `intents`, `records`, `holds`) on a group this peer runs is
 * served from its replica (a linearizable ReadIndex read).
 *
 * The leader is the one this peer's replica of the group knows. A peer that does not lead the
 * group answers PROPOSAL_DROPPED `NotLeader` (or NOT_FOUND when it does not run it), nothing having
 * happened; an unanswered call (the peer went away) may or may not have run. Every request is safe
 * to send again (a prepare already logged answers `prepared`, a decision already recorded answers
 * the recorded one, a resolved part answers `absent`), so the transport tries again — after a
 * leader change or a short wait — until the request's deadline, then rejects LIMIT_EXCEEDED
 * `RequestTimeout`. One attempt waits at most `attemptMs` for its answer.
 *
 * {@link serveTxnCalls} is the callee's half, installed on every member.
 */
import { isGeodeError, GeodeError } from '../util/errors.ts';
import type { ShardHost } from '../shard/host.ts';
import { leaderMoved, serveTxnRequest, type ParticipantContext, type TxnReplies, type TxnRequest } from './participant.ts';
import { decodeTxnReply, decodeTxnRequest, encodeTxnReply, encodeTxnRequest } from './txn-codec.ts';
import type { TxnTransport } from './two-phase.ts';

/** The service name of transaction calls on the shard wire. */
export const TXN_SERVICE = 'txn';
/** Default longest wait for one attempt's answer, ms. */
export const txnAttemptMsDefault = 2_000;

export interface ShardTxnTransportOptions {
  readonly host: ShardHost;
  /** The participant context of this peer (its clock, skew tolerance). */
  readonly context: ParticipantContext;
  /** This peer's wall clock, ms (request deadlines are on it, as the coordinator's). */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Longest wait for one attempt's answer, ms. Default 2,000. */
  readonly attemptMs?: number;
}

const READS = new Set<TxnRequest['op']>(['read', 'record', 'intents', 'records', 'holds']);

/** After these failures the same request may go again (nothing happened, or it is idempotent). */
function tryAgain(err: unknown): boolean {
  if (leaderMoved(err)) return true;
  if (!isGeodeError(err)) return false;
  if (err.code === 'NOT_FOUND') return true; // the peer (or this one) does not run the group (yet)
  if (err.code === 'PROPOSAL_DROPPED') return err.detail === 'NoLeader' || err.detail === 'OutcomeUnknown';
  return err.code === 'LIMIT_EXCEEDED' && err.detail === 'RequestTimeout'; // one attempt timed out
}

export class ShardTxnTransport implements TxnTransport {
  readonly #o: ShardTxnTransportOptions;
  /** Requests sent to another peer, and attempts that were tried again (tests, metrics). */
  readonly stats = { remote: 0, retries: 0 };

  constructor(options: ShardTxnTransportOptions) {
    this.#o = options;
  }

  async send<R extends TxnRequest>(group: number, request: R, deadline: number): Promise<TxnReplies[R['op']]> {
    const { host, now } = this.#o;
    const read = READS.has(request.op);
    let payload: Uint8Array | undefined;
    let last: unknown;
    for (let i = 0; ; i++) {
      const left = deadline - now();
      if (left <= 0) {
        throw new GeodeError('LIMIT_EXCEEDED', `no leader of group ${group} answered a ${request.op} in time${last instanceof Error ? ` (last: ${last.message})` : ''}`, {
          detail: 'RequestTimeout',
          source: 'transaction',
        });
      }
      const attempt = Math.max(1, Math.min(left, this.#o.attemptMs ?? txnAttemptMsDefault));
      try {
        const runs = host.groups().includes(group);
        if (runs && (read || host.isLeader(group))) {
          return await serveTxnRequest(host, group, request, { ...this.#o.context, timeoutMs: attempt });
        }
        const leader = runs ? host.leaderOf(group) : undefined;
        if (leader !== undefined && leader !== host.self) {
          payload ??= encodeTxnRequest(request);
          this.stats.remote++;
          const reply = await host.call(leader, group, TXN_SERVICE, payload, host.now() + attempt);
          return decodeTxnReply<R>(request.op, reply);
        }
      } catch (err) {
        if (!tryAgain(err)) throw err;
        // CLOSED: this host closed under its own apply, which may have been logged.
        if (request.op === 'apply' && (isGeodeError(err, 'CLOSED') || (!leaderMoved(err) && !isGeodeError(err, 'NOT_FOUND')))) {
          // An apply is not sent twice: this attempt may have been logged.
          throw new GeodeError('IO', `the commit on group ${group} may or may not have happened: ${err instanceof Error ? err.message : String(err)}`, {
            detail: 'TxnOutcomeUnknown',
            source: 'transaction',
            cause: err,
          });
        }
        last = err;
        this.stats.retries++;
      }
      await this.#o.sleep(Math.min(50, 2 + 2 * i));
    }
  }
}

/**
 * serveTxnCalls: `host` answers the `txn` calls of other members: each payload is decoded and
 * validated, then served by {@link serveTxnRequest} for the call's group (a peer that does not
 * lead it refuses a write with `NotLeader`). Returns a function that stops serving.
 */
export function serveTxnCalls(host: ShardHost, context: ParticipantContext): () => void {
  host.serveCalls(TXN_SERVICE, async (_from, group, payload) => {
    const request = decodeTxnRequest(payload);
    return encodeTxnReply(await serveTxnRequest(host, group, request, context));
  });
  return () => host.serveCalls(TXN_SERVICE, undefined);
}
