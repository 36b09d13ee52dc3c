/**
 * LocalTxnTransport: a {@link TxnTransport} over shard hosts in this process (the simulator, the
 * benchmark, tests): a request goes to the host that leads its group (any host running it, for
 * reads), after `hopMs` of delay each way, and is served there by {@link serveTxnRequest}. Raft
 * itself runs over the hosts' real (or simulated) transport; only this request hop is local. A
 * cluster layer replaces it with the same requests sent over its wire to the leader's peer.
 *
 * When no host leads the group, or the leader moved while serving (PROPOSAL_DROPPED `NotLeader`,
 * `LeaderTransfer`, `LeaderChanged`: nothing happened; CLOSED), it waits a little and tries again,
 * until the deadline: then LIMIT_EXCEEDED `RequestTimeout`. Except an `apply` whose leader closed
 * under it: it may have been logged, and it is never sent twice, so it rejects IO
 * `TxnOutcomeUnknown`.
 */
import type { ShardHost } from '../shard/host.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import { leaderMoved, serveTxnRequest, type ParticipantContext, type TxnReplies, type TxnRequest } from './participant.ts';
import type { TxnTransport } from './two-phase.ts';

export interface LocalTxnTransportOptions {
  /** The running hosts (asked on every request: hosts come and go). */
  readonly hosts: () => Iterable<ShardHost>;
  /** The participant context of a host (its clock, skew tolerance). */
  readonly context: (host: ShardHost) => ParticipantContext;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Delay of one hop, ms (drawn per hop). Default none. */
  readonly hopMs?: () => number;
  /** True when `host` cannot be reached from here now (the simulator's partitions). */
  readonly unreachable?: (host: ShardHost) => boolean;
}

const READS = new Set(['read', 'record', 'intents', 'records', 'holds']);

/** outcomeUnknown: the error of an apply that may or may not have happened (the caller must not take it as aborted). */
function outcomeUnknown(group: number, cause: unknown): GeodeError {
  return new GeodeError('IO', `the commit on group ${group} may or may not have happened: ${cause instanceof Error ? cause.message : String(cause)}`, {
    detail: 'TxnOutcomeUnknown',
    source: 'transaction',
    cause,
  });
}

export class LocalTxnTransport implements TxnTransport {
  readonly #o: LocalTxnTransportOptions;

  constructor(options: LocalTxnTransportOptions) {
    this.#o = options;
  }

  #target(group: number, read: boolean): ShardHost | undefined {
    let any: ShardHost | undefined;
    for (const h of this.#o.hosts()) {
      if (this.#o.unreachable?.(h) === true) continue;
      let leads: boolean;
      try {
        leads = h.isLeader(group);
      } catch {
        continue; // stopped, or does not run the group
      }
      if (leads) return h;
      any ??= h;
    }
    return read ? any : undefined;
  }

  async send<R extends TxnRequest>(group: number, request: R, deadline: number): Promise<TxnReplies[R['op']]> {
    const read = READS.has(request.op);
    for (let i = 0; ; i++) {
      const left = deadline - this.#o.now();
      if (left <= 0) throw new GeodeError('LIMIT_EXCEEDED', `no leader of group ${group} answered a ${request.op} in time`, { detail: 'RequestTimeout', source: 'transaction' });
      const host = this.#target(group, read);
      if (host !== undefined) {
        const hop = this.#o.hopMs?.() ?? 0;
        if (hop > 0) await this.#o.sleep(hop);
        try {
          const ctx = this.#o.context(host);
          const out = await serveTxnRequest(host, group, request, { ...ctx, timeoutMs: Math.max(1, Math.min(ctx.timeoutMs ?? left, deadline - this.#o.now())) });
          const back = this.#o.hopMs?.() ?? 0;
          if (back > 0) await this.#o.sleep(back);
          if (this.#o.unreachable?.(host) === true) throw new GeodeError('LIMIT_EXCEEDED', `the reply of ${host.self} was lost`, { detail: 'RequestTimeout', source: 'transaction' });
          return out;
        } catch (err) {
          // An apply is not sent twice: a leader that closed under it may have logged it (the next leader commits it).
          if (request.op === 'apply' && isGeodeError(err, 'CLOSED')) throw outcomeUnknown(group, err);
          if (!leaderMoved(err)) throw err;
        }
      }
      await this.#o.sleep(Math.min(20, 1 + i));
    }
  }
}
