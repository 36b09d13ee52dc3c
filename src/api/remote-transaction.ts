/**
 * Transactions of a cluster client (docs/transactions.md, "From a cluster client"). A client holds
 * no replica, so its transaction runs on a member: the client asks a member to begin one
 * (isolation, readOnly, timeout), gets an id, sends each statement with that id, then commit or
 * rollback, all as call items of the `txn-session` service on the shard wire (remote-txn-codec.ts,
 * docs/protocol.md). The member holds the {@link GeodeTransaction} it opened for the client
 * ({@link serveRemoteTransactions}) and drops it — rolled back, its buffered writes gone — on
 * rollback, when the client's connection closes, or at its time limit (the client silent or not):
 * nothing of it outlives `timeoutMs` by more than {@link remoteTxnGraceMs}.
 *
 * The client side is {@link RemoteTransaction}: a {@link GeodeTransaction} whose statements run on
 * that one member. Conflicts reach it with their code and detail (PROPOSAL_DROPPED
 * `WriteConflict`, ...), so `db.transaction` retries them as on a member; a member that goes away
 * before the commit is an abort (`TxnAborted`, retryable: nothing was committed), during the
 * commit an unknown outcome (IO `TxnOutcomeUnknown`).
 */
import type { PeerId } from '../net/types.ts';
import type { ShardClient } from '../shard/client.ts';
import { toEngineParams } from '../shard/values.ts';
import type { CallHandler } from '../shard/host.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import type { QueryOptions, QueryParams, QueryResult } from './database.ts';
import { decodeTxnSessionReply, decodeTxnSessionRequest, encodeTxnSessionReply, encodeTxnSessionRequest, TXN_SESSION_SERVICE, type TxnSessionReplies, type TxnSessionRequest } from './remote-txn-codec.ts';
import { controlRefusal, transactionNotOpen, transactionTimedOut, type GeodeTransaction, type ResolvedTransactionOptions, type TransactionOptions, type TransactionState } from './transaction.ts';
import type { TransactionIsolation } from '../gql/index.ts';

/** Most remote transactions one member holds open at once (for all its clients); more are refused LIMIT_EXCEEDED `TooManyRemoteTransactions`. */
export const remoteTxnsPerMemberMax = 1_024;
/** Most remote transactions one client connection holds open on one member; more are refused LIMIT_EXCEEDED `TooManyRemoteTransactions`. */
export const remoteTxnsPerConnectionMax = 64;
/** How long past its time limit a member keeps a remote transaction's entry (its GeodeTransaction ended at the limit), ms. */
export const remoteTxnGraceMs = 1_000;

// ------------------------------------------------------------------------------------ member side

/** What a member's remote transaction service needs of its host. */
export interface RemoteTxnHost {
  serveCalls(service: string, handler: CallHandler | undefined, options?: { readonly fromClients?: boolean }): void;
  onPeerDown(listener: (peer: PeerId) => void): () => void;
}

/** How a member serves remote transactions. */
export interface RemoteTxnServerInit {
  /** Opens a transaction on this member (the database's own `begin`). */
  readonly begin: (options: TransactionOptions) => Promise<GeodeTransaction>;
  /** Default {@link remoteTxnsPerMemberMax}. */
  readonly perMemberMax?: number;
  /** Default {@link remoteTxnsPerConnectionMax}. */
  readonly perConnectionMax?: number;
}

/** The running service: how many transactions it holds, and how to stop it. */
export interface RemoteTxnServer {
  /** open: remote transactions held now (begun ones included), all clients or `owner`'s. */
  open(owner?: PeerId): number;
  /** stop: refuses further calls and rolls back every transaction held. */
  stop(): void;
}

interface Held {
  readonly tx: GeodeTransaction;
  readonly owner: PeerId;
  readonly timer: ReturnType<typeof setTimeout>;
  committing: boolean;
}

const tooMany = (what: string, max: number): GeodeError =>
  new GeodeError('LIMIT_EXCEEDED', `${what} holds ${max} open remote transactions already (commit or roll back one first)`, { source: 'transaction', detail: 'TooManyRemoteTransactions' });

const unknownTxn = (txn: string): GeodeError =>
  new GeodeError('PROPOSAL_DROPPED', `no open remote transaction ${txn} of this client on this member: it was rolled back (its connection closed or its time limit passed); the transaction was aborted (retry)`, {
    source: 'transaction',
    detail: 'TxnAborted',
  });

/**
 * serveRemoteTransactions: `host` answers the `txn-session` calls of clients: each payload is
 * decoded and validated, then served with the transactions `init.begin` opens, each kept for the
 * client that began it only. Bounded per member and per client connection.
 */
export function serveRemoteTransactions(host: RemoteTxnHost, init: RemoteTxnServerInit): RemoteTxnServer {
  const perMember = init.perMemberMax ?? remoteTxnsPerMemberMax;
  const perConnection = init.perConnectionMax ?? remoteTxnsPerConnectionMax;
  const held = new Map<string, Held>();
  /** Begins under way and held transactions, per owner (what the limits count). */
  const counts = new Map<PeerId, number>();
  let total = 0;
  /** Bumped when a peer's connection closes: a begin that straddles it is rolled back. */
  const epochs = new Map<PeerId, number>();
  // Ids are unique per member run: a client whose member restarted never reaches a new transaction with an old id.
  const nonce = Math.floor(Math.random() * 2 ** 48).toString(36);
  let seq = 0;
  let stopped = false;

  const reserve = (owner: PeerId): void => {
    if (total >= perMember) throw tooMany('this member', perMember);
    const n = counts.get(owner) ?? 0;
    if (n >= perConnection) throw tooMany(`the connection of client ${owner}`, perConnection);
    counts.set(owner, n + 1);
    total++;
  };
  const release = (owner: PeerId): void => {
    const n = (counts.get(owner) ?? 1) - 1;
    if (n <= 0) counts.delete(owner);
    else counts.set(owner, n);
    total--;
  };
  const drop = (txn: string): void => {
    const h = held.get(txn);
    if (h === undefined) return;
    held.delete(txn);
    clearTimeout(h.timer);
    release(h.owner);
    if (!h.committing) void h.tx.rollback().catch(() => {});
  };
  const lookup = (txn: string, from: PeerId): Held => {
    const h = held.get(txn);
    if (h === undefined || h.owner !== from) throw unknownTxn(txn);
    return h;
  };

  const serve = async (from: PeerId, r: TxnSessionRequest): Promise<Uint8Array> => {
    switch (r.op) {
      case 'begin': {
        reserve(from);
        const epoch = epochs.get(from) ?? 0;
        let tx: GeodeTransaction;
        try {
          tx = await init.begin({ isolation: r.isolation, readOnly: r.readOnly, timeoutMs: r.timeoutMs, ...(r.asOf === undefined ? {} : { asOf: r.asOf }) });
        } catch (err) {
          release(from);
          throw err;
        }
        if (stopped || (epochs.get(from) ?? 0) !== epoch) {
          // The client left (or this member stopped) while it began: nobody will end it.
          release(from);
          await tx.rollback();
          throw new GeodeError('CLOSED', 'the client left, or the member stopped, while its transaction began', { source: 'transaction' });
        }
        const txn = `${nonce}.${(++seq).toString(36)}`;
        const timer = setTimeout(() => {
          const h = held.get(txn);
          if (h !== undefined && !h.committing) drop(txn);
        }, r.timeoutMs + remoteTxnGraceMs);
        (timer as { unref?: () => void }).unref?.();
        held.set(txn, { tx, owner: from, timer, committing: false });
        return encodeTxnSessionReply('begin', { txn });
      }
      case 'query': {
        const h = lookup(r.txn, from);
        if (h.committing) throw new GeodeError('INPUT_INVALID', `remote transaction ${r.txn} is committing: no more statements`, { source: 'transaction', detail: 'TransactionEnded' });
        try {
          const result = await h.tx.query(r.text, r.params, r.timeoutMs === undefined ? undefined : { timeoutMs: r.timeoutMs });
          return encodeTxnSessionReply('query', { columns: result.columns, rows: result.rows, writes: result.writes });
        } finally {
          if (h.tx.state !== 'open' && held.get(r.txn) === h) drop(r.txn);
        }
      }
      case 'commit': {
        const h = lookup(r.txn, from);
        h.committing = true;
        try {
          await h.tx.commit();
        } finally {
          drop(r.txn);
        }
        return encodeTxnSessionReply('commit', {});
      }
      case 'rollback': {
        const h = held.get(r.txn);
        if (h !== undefined && h.owner === from && !h.committing) {
          drop(r.txn);
          await h.tx.rollback();
        }
        return encodeTxnSessionReply('rollback', {});
      }
    }
  };

  host.serveCalls(TXN_SESSION_SERVICE, async (from, group, payload) => {
    if (stopped) throw new GeodeError('CLOSED', 'this member is closing: it no longer serves remote transactions (the ones it held were rolled back)', { source: 'transaction', detail: 'MemberStopping' });
    const request = decodeTxnSessionRequest(payload);
    if (group !== 0) throw new GeodeError('INPUT_INVALID', `bad remote transaction message: sent for group ${group}, expected 0`, { source: 'transaction', detail: 'BadTxnSessionMessage' });
    return serve(from, request);
  }, { fromClients: true });
  const stopListening = host.onPeerDown((peer) => {
    epochs.set(peer, (epochs.get(peer) ?? 0) + 1);
    for (const [txn, h] of [...held]) if (h.owner === peer && !h.committing) drop(txn);
    if (!counts.has(peer)) epochs.delete(peer);
  });
  return {
    open: (owner) => (owner === undefined ? total : (counts.get(owner) ?? 0)),
    stop: () => {
      if (stopped) return;
      stopped = true;
      stopListening();
      host.serveCalls(TXN_SESSION_SERVICE, undefined);
      for (const txn of [...held.keys()]) drop(txn);
    },
  };
}

// ------------------------------------------------------------------------------------ client side

/** What a remote transaction needs of the cluster client. */
export type RemoteTxnClient = Pick<ShardClient, 'call' | 'members' | 'leaderOf' | 'knownGroups' | 'requestTimeoutMs'>;

const slept = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

/** Failures after which the request surely did not reach the member (it was never sent). */
const notSent = (err: unknown): boolean => isGeodeError(err, 'PROPOSAL_DROPPED') && err.detail === 'NotLeader';
const memberGone = (err: unknown): boolean => isGeodeError(err, 'PROPOSAL_DROPPED') && err.detail === 'MemberGone';
const callTimedOut = (err: unknown): boolean => isGeodeError(err, 'LIMIT_EXCEEDED') && err.detail === 'RequestTimeout';
/** CLOSED from a member (it names itself as the source), not from this client: the member is closing. */
const memberClosing = (err: unknown): boolean => isGeodeError(err, 'CLOSED') && err.source !== undefined;

let memberTurn = 0;

/** A cluster client's transaction, run on one member (see the module's comment). */
export class RemoteTransaction implements GeodeTransaction {
  readonly isolation: TransactionIsolation;
  readonly readOnly: boolean;
  /** The member running it, and its id there. */
  readonly member: PeerId;
  readonly id: string;
  readonly #client: RemoteTxnClient;
  readonly #timeoutMs: number;
  readonly #deadline: number;
  readonly #timer: ReturnType<typeof setTimeout>;
  #state: TransactionState = 'open';
  #committing: Promise<void> | undefined;

  private constructor(client: RemoteTxnClient, member: PeerId, id: string, options: ResolvedTransactionOptions, started: number) {
    this.#client = client;
    this.member = member;
    this.id = id;
    this.isolation = options.isolation;
    this.readOnly = options.readOnly;
    this.#timeoutMs = options.timeoutMs;
    this.#deadline = started + options.timeoutMs;
    this.#timer = setTimeout(() => {
      if (this.#state === 'open' && this.#committing === undefined) {
        this.#state = 'timedOut';
        this.#sendRollback();
      }
    }, Math.max(1, this.#deadline - Date.now()));
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /**
   * begin: opens a transaction on a member: the leader of group 0 on an unsharded cluster (its
   * commits are entries there), the members in turn on a sharded one. A member that cannot be
   * reached or leaves before answering is replaced by another until the begin's time limit (the
   * smaller of the transaction's and the client's request time limit).
   */
  static async begin(client: RemoteTxnClient, options: ResolvedTransactionOptions): Promise<RemoteTransaction> {
    const started = Date.now();
    const deadline = started + Math.min(options.timeoutMs, client.requestTimeoutMs);
    const payload = encodeTxnSessionRequest({ op: 'begin', isolation: options.isolation, readOnly: options.readOnly, timeoutMs: options.timeoutMs, asOf: options.asOf });
    let last: unknown;
    for (let turn = 0; ; turn++) {
      const members = client.members();
      if (Date.now() >= deadline) {
        throw new GeodeError('LIMIT_EXCEEDED', `no member began the transaction within the time limit${last instanceof Error ? ` (last: ${last.message})` : ''}`, { detail: 'RequestTimeout', source: 'transaction' });
      }
      if (members.length === 0) {
        await slept(20);
        continue;
      }
      const sharded = client.knownGroups().some((g) => g > 0);
      const leader = sharded ? undefined : client.leaderOf(0);
      const member = turn === 0 && leader !== undefined && members.includes(leader) ? leader : members[memberTurn++ % members.length]!;
      try {
        const reply = decodeTxnSessionReply('begin', await client.call(member, TXN_SESSION_SERVICE, payload, deadline - Date.now()), member);
        return new RemoteTransaction(client, member, reply.txn, options, started);
      } catch (err) {
        // Never sent, or the member left (it drops what it began for a client that left): another member.
        if (!notSent(err) && !memberGone(err) && !memberClosing(err)) throw err;
        last = err;
        await slept(Math.min(50, 2 + 2 * turn));
      }
    }
  }

  get state(): TransactionState {
    return this.#state;
  }

  async query(text: string, params?: QueryParams, options?: Omit<QueryOptions, 'readQuorum'>): Promise<QueryResult> {
    if (this.#state !== 'open' || this.#committing !== undefined) throw transactionNotOpen(this.#state === 'open' ? 'rolledBack' : this.#state, this.#timeoutMs);
    const refused = controlRefusal(text);
    if (refused !== undefined) throw refused;
    if (typeof text !== 'string') throw new GeodeError('GQL_TYPE', 'query text must be a string', { source: 'query' });
    const payload = encodeTxnSessionRequest({ op: 'query', txn: this.id, text, params: toEngineParams(params), timeoutMs: options?.timeoutMs });
    let reply: TxnSessionReplies['query'];
    try {
      reply = await this.#call('query', payload);
    } catch (err) {
      throw this.#statementFailed(err);
    }
    if (this.state === 'timedOut') throw transactionTimedOut(this.#timeoutMs);
    return { columns: reply.columns, rows: reply.rows, plan: undefined, writes: reply.writes };
  }

  commit(): Promise<void> {
    if (this.#committing !== undefined) return this.#committing;
    if (this.#state !== 'open') return Promise.reject(transactionNotOpen(this.#state, this.#timeoutMs));
    clearTimeout(this.#timer);
    this.#committing = this.#call('commit', encodeTxnSessionRequest({ op: 'commit', txn: this.id })).then(
      () => {
        this.#state = 'committed';
      },
      (err: unknown) => {
        this.#state = 'rolledBack';
        if (notSent(err) || (memberClosing(err) && (err as GeodeError).detail === 'MemberStopping')) {
          void this.#sendRollback(); // the member drops it at its time limit anyway
          throw this.#aborted(err);
        }
        if (memberGone(err) || callTimedOut(err) || memberClosing(err)) {
          throw new GeodeError('IO', `member ${this.member} did not answer the commit: the transaction may or may not have committed`, { detail: 'TxnOutcomeUnknown', source: 'transaction', cause: err });
        }
        throw err;
      },
    );
    return this.#committing;
  }

  async rollback(): Promise<void> {
    if (this.#state !== 'open' || this.#committing !== undefined) return;
    clearTimeout(this.#timer);
    this.#state = 'rolledBack';
    await this.#sendRollback();
  }

  /** Tells the member to drop the transaction; it drops it anyway at the time limit or when the connection closes. */
  #sendRollback(): Promise<void> {
    return this.#client.call(this.member, TXN_SESSION_SERVICE, encodeTxnSessionRequest({ op: 'rollback', txn: this.id }), Math.min(this.#client.requestTimeoutMs, 2_000)).then(
      () => undefined,
      () => undefined,
    );
  }

  async #call<O extends TxnSessionRequest['op']>(op: O, payload: Uint8Array): Promise<TxnSessionReplies[O]> {
    // The member ends the transaction at its time limit and answers then: a little slack for the answer.
    const bytes = await this.#client.call(this.member, TXN_SESSION_SERVICE, payload, this.#deadline + remoteTxnGraceMs - Date.now());
    return decodeTxnSessionReply(op, bytes, this.member);
  }

  #aborted(cause: unknown): GeodeError {
    return new GeodeError('PROPOSAL_DROPPED', `member ${this.member}, which ran the transaction, is not reachable or left: the transaction was rolled back (retry)`, {
      detail: 'TxnAborted',
      source: 'transaction',
      cause,
    });
  }

  /** What a failed statement means for the transaction: lost with its member, past its limit, or only the statement failed. */
  #statementFailed(err: unknown): unknown {
    if (isGeodeError(err, 'LIMIT_EXCEEDED') && (err.detail === 'TransactionTimeout' || callTimedOut(err))) {
      if (this.#state === 'open') this.#state = 'timedOut';
      clearTimeout(this.#timer);
      void this.#sendRollback();
      return transactionTimedOut(this.#timeoutMs);
    }
    if (notSent(err) || memberGone(err) || memberClosing(err) || (isGeodeError(err, 'PROPOSAL_DROPPED') && err.detail === 'TxnAborted')) {
      if (this.#state === 'open') this.#state = 'rolledBack';
      clearTimeout(this.#timer);
      void this.#sendRollback();
      return isGeodeError(err, 'PROPOSAL_DROPPED') && err.detail === 'TxnAborted' ? err : this.#aborted(err);
    }
    return err;
  }
}
