/**
 * ShardClient: a peer that queries a cluster without ever holding a replica (`geode query --join`).
 *
 * It says hello as a client when a member connects, so no leader ever adds it to a group, and
 * sends each statement to one connected member (kind 5 of the wire format). The member runs it as
 * its own query: linearizable reads through ReadIndex, writes through the leader, `readQuorum: 1`
 * on that member's replica. When the member goes away or answers with a retryable refusal, the
 * client asks another one until its deadline.
 *
 * @example
 * ```ts
 * const client = ShardClient.start({ transport, clock: systemClock });
 * const { rows } = await client.query('MATCH (n) RETURN count(n) AS c');
 * await client.close();
 * ```
 */
import type { PeerId, PeerTransport } from '../net/types.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import type { HostClock, TimerHandle } from './clock.ts';
import { clientMemberPollMs as memberPollMs, forwardedRequestsMax, frameItemsMax, groupIdMax, requestTimeoutMsDefault } from './constants.ts';
import type { ShardQueryOptions, ShardQueryResult } from './host.ts';
import { toEngineParams, type WireResult } from './values.ts';
import { decodeFrame, encodeFrame, groupId, type FrameItem, type PeerMode } from './wire.ts';

/** What a client is built from. */
export interface ShardClientComponents {
  readonly transport: PeerTransport;
  readonly clock: HostClock;
  readonly onWarning?: (message: string) => void;
}

/** How a client starts. */
export interface ShardClientInit {
  /** Default time limit of a statement, ms (waiting for a member included). Default `request_timeout_ms`'s default. */
  readonly requestTimeoutMs?: number;
}

interface Answer {
  result?: WireResult;
  reply?: Uint8Array;
  error?: GeodeError;
}

interface Pending {
  readonly peer: PeerId;
  settle: (r: Answer) => void;
}

/** PROPOSAL_DROPPED details after which the statement surely did not run: ask another member. */
const notRunDetails = new Set(['NotLeader', 'NoLeader', 'LeaderTransfer']);

export class ShardClient {
  readonly self: PeerId;
  readonly #c: ShardClientComponents;
  readonly #timeoutMs: number;
  readonly #modes = new Map<PeerId, PeerMode>();
  /** {@link members}, computed again after a change of {@link #modes} (undefined). */
  #members: PeerId[] | undefined;
  /** {@link knownGroups}, computed again after a group is added to or removed from {@link #leaders} (undefined). */
  #knownGroups: number[] | undefined;
  readonly #pending = new Map<number, Pending>();
  /** Items waiting for this task to end, per member (see #queue). */
  readonly #outbox = new Map<PeerId, { item: FrameItem; unsent: () => void }[]>();
  #flushQueued = false;
  /** Who leads each group, as members said (kind 6 items): a statement goes there first. */
  readonly #leaders = new Map<number, { peer: PeerId; term: number }>();
  #next = 1;
  #closed = false;
  /** Frames refused as invalid. */
  framesRejected = 0;

  private constructor(c: ShardClientComponents, timeoutMs: number) {
    this.#c = c;
    this.self = c.transport.self;
    this.#timeoutMs = timeoutMs;
  }

  /** start: listens on the transport and says hello to every member it connects to. */
  static start(components: ShardClientComponents, init: ShardClientInit = {}): ShardClient {
    const t = init.requestTimeoutMs ?? requestTimeoutMsDefault;
    if (!Number.isFinite(t) || t <= 0) throw new GeodeError('CONFIG_INVALID', `request_timeout_ms must be a positive number, got ${String(t)}`, { source: 'config', detail: 'request_timeout_ms' });
    const client = new ShardClient(components, t);
    const tr = components.transport;
    tr.onFrame((from, frame) => client.#onFrame(from, frame));
    tr.onPeer((peer, up) => {
      if (up) client.#send(peer, [{ kind: 'hello', mode: 'client' }]);
      else client.#peerGone(peer);
    });
    tr.onDrain(() => {});
    for (const peer of tr.connected()) client.#send(peer, [{ kind: 'hello', mode: 'client' }]);
    return client;
  }

  #send(peer: PeerId, items: FrameItem[]): boolean {
    return this.#c.transport.send(peer, encodeFrame(items));
  }

  /**
   * Statements issued in one task go to a member in one frame (flushed at the next microtask): a
   * member decodes one frame for a burst of statements, not one per statement. `unsent` runs for
   * an item whose frame could not be sent.
   */
  #queue(peer: PeerId, item: FrameItem, unsent: () => void): void {
    let list = this.#outbox.get(peer);
    if (list === undefined) this.#outbox.set(peer, (list = []));
    list.push({ item, unsent });
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      const out = [...this.#outbox];
      this.#outbox.clear();
      for (const [to, queued] of out) for (let i = 0; i < queued.length; i += frameItemsMax) this.#sendQueued(to, queued.slice(i, i + frameItemsMax));
    });
  }

  /** Sends queued items as one frame, halving the batch while the frame is over the transport's limit. */
  #sendQueued(peer: PeerId, queued: { item: FrameItem; unsent: () => void }[]): void {
    const frame = encodeFrame(queued.map((q) => q.item));
    if (frame.length > this.#c.transport.maxFrameBytes && queued.length > 1) {
      const half = queued.length >> 1;
      this.#sendQueued(peer, queued.slice(0, half));
      this.#sendQueued(peer, queued.slice(half));
      return;
    }
    if (this.#closed || !this.#c.transport.send(peer, frame)) for (const q of queued) q.unsent();
  }

  #onFrame(from: PeerId, frame: Uint8Array): void {
    let items: FrameItem[];
    try {
      items = decodeFrame(frame, { peer: from, maxFrameBytes: this.#c.transport.maxFrameBytes, knownGroup: (id) => id <= groupIdMax });
      for (const it of items) {
        if (it.kind !== 'hello' && it.kind !== 'result' && it.kind !== 'reply' && it.kind !== 'error' && it.kind !== 'leader') throw new GeodeError('INPUT_INVALID', `bad frame from peer ${from}: a ${it.kind} item sent to a client`, { source: from });
      }
    } catch (err) {
      if (!isGeodeError(err, 'INPUT_INVALID')) throw err;
      this.framesRejected++;
      this.#c.onWarning?.(err.message);
      this.#c.transport.reject(from, err.message);
      return;
    }
    for (const it of items) {
      if (it.kind === 'hello') {
        if (this.#modes.get(from) !== it.mode) this.#members = undefined;
        this.#modes.set(from, it.mode);
        continue;
      }
      if (it.kind === 'leader') {
        this.#learnLeader(it.group, it.leader, it.term);
        continue;
      }
      if (it.kind !== 'result' && it.kind !== 'reply' && it.kind !== 'error') continue;
      const p = this.#pending.get(it.requestId);
      if (p === undefined || p.peer !== from) continue; // timed out already, or a stray answer
      this.#pending.delete(it.requestId);
      if (it.kind === 'result') p.settle({ result: it.result });
      else if (it.kind === 'reply') p.settle({ reply: it.payload });
      else p.settle({ error: new GeodeError(it.code, it.message, { ...(it.detail === '' ? {} : { detail: it.detail }), source: from }) });
    }
  }

  /** A member's word on a group's leader: newer terms win; "none" in the same term clears it. */
  #learnLeader(group: number, leader: PeerId | undefined, term: number): void {
    const known = this.#leaders.get(group);
    if (known !== undefined && term < known.term) return;
    if (leader === undefined) {
      if (known !== undefined && term > known.term) {
        this.#leaders.delete(group);
        this.#knownGroups = undefined;
      }
      return;
    }
    if (known === undefined) this.#knownGroups = undefined;
    this.#leaders.set(group, { peer: leader, term });
  }

  /** requestTimeoutMs: the default time limit of a statement, ms (`request_timeout_ms`). */
  get requestTimeoutMs(): number {
    return this.#timeoutMs;
  }

  /** leaderOf: the peer a member last named as the group's leader, if any (routing hint). */
  leaderOf(group = 0): PeerId | undefined {
    return this.#leaders.get(group)?.peer;
  }

  /** knownGroups: the groups a member named a leader of, ascending (a sharded cluster has groups above 0). */
  knownGroups(): number[] {
    this.#knownGroups ??= [...this.#leaders.keys()].sort((a, b) => a - b);
    return this.#knownGroups.slice();
  }

  #peerGone(peer: PeerId): void {
    this.#modes.delete(peer);
    this.#members = undefined;
    this.#knownGroups = undefined;
    for (const [group, l] of this.#leaders) if (l.peer === peer) this.#leaders.delete(group);
    for (const [id, p] of this.#pending) {
      if (p.peer !== peer) continue;
      this.#pending.delete(id);
      p.settle({ error: new GeodeError('PROPOSAL_DROPPED', `member ${peer} left before answering (a write may or may not have happened)`, { detail: 'MemberGone' }) });
    }
  }

  /** members: the connected peers that said they are members, sorted. */
  members(): PeerId[] {
    return this.#memberList().slice();
  }

  #memberList(): readonly PeerId[] {
    this.#members ??= [...this.#modes].filter(([, m]) => m === 'member').map(([p]) => p).sort();
    return this.#members;
  }

  /**
   * query: runs one statement through a member. Rejects with the statement's GeodeError, or
   * LIMIT_EXCEEDED (`RequestTimeout`) when no member answered in time (a write's outcome is then
   * unknown), or CLOSED. `staleness` is not reported through a client. `prefer`: the member asked
   * first (a routing hint: a sharded cluster's client sends a pruned statement to its shard's
   * leader); the retries after a refusal go to the members in turn as without it.
   */
  async query(text: string, params?: Readonly<Record<string, unknown>>, options: ShardQueryOptions = {}, prefer?: PeerId): Promise<ShardQueryResult> {
    if (this.#closed) throw new GeodeError('CLOSED', 'the client is closed');
    if (typeof text !== 'string') throw new GeodeError('GQL_TYPE', 'query text must be a string', { source: 'query' });
    const engineParams = toEngineParams(params);
    const group = groupId(options.group ?? 0);
    const readQuorum = options.readQuorum ?? 'majority';
    const deadline = this.#c.clock.now() + (options.timeoutMs ?? this.#timeoutMs);
    let lastError: GeodeError | undefined;
    let turn = 0;
    for (;;) {
      if (this.#closed) throw new GeodeError('CLOSED', 'the client is closed');
      const left = deadline - this.#c.clock.now();
      if (left <= 0) {
        throw new GeodeError('LIMIT_EXCEEDED', `no member answered within the time limit${lastError === undefined ? '' : ` (last: ${lastError.message})`}`, { detail: 'RequestTimeout' });
      }
      const members = this.#memberList();
      if (members.length === 0) {
        await this.#sleep(Math.min(memberPollMs, left));
        continue;
      }
      if (this.#pending.size >= forwardedRequestsMax) throw new GeodeError('LIMIT_EXCEEDED', `more than ${forwardedRequestsMax} statements wait on members`, { detail: 'TooManyPending' });
      // First the leader a member named (writes and linearizable reads are served there without a
      // forwarding hop), then the members in turn.
      const hinted = turn === 0 ? (prefer ?? this.#leaders.get(group)?.peer) : undefined;
      const peer = hinted !== undefined && members.includes(hinted) ? hinted : members[turn % members.length]!;
      turn++;
      const answer = await this.#request(peer, left, (requestId) => ({ kind: 'clientQuery', group, requestId, text, params: engineParams, readQuorum }), 'a statement', ' (a write may or may not have happened)');
      if (answer.result !== undefined) return answer.result;
      const err = answer.error ?? new GeodeError('INPUT_INVALID', `member ${peer} answered a statement with a call reply`, { source: peer });
      if (!mayRetry(err, text)) throw err;
      lastError = err;
      await this.#sleep(Math.min(memberPollMs, Math.max(1, deadline - this.#c.clock.now())));
    }
  }

  /**
   * call: sends `payload` to `service` on member `peer` (a call item of the shard wire, group 0,
   * answered by the member's `ShardHost.serveCalls` handler) and resolves with the reply bytes.
   * One attempt, never sent again: rejects with the service's GeodeError; PROPOSAL_DROPPED
   * `NotLeader` when it could not be sent (it surely did not run), `MemberGone` when the member
   * left before answering; LIMIT_EXCEEDED `RequestTimeout` after `timeoutMs`,
   * `TooManyPending` past the limit of waiting requests, `CallTooLarge` for a payload that cannot
   * fit in a frame; CLOSED.
   */
  async call(peer: PeerId, service: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.#closed) throw new GeodeError('CLOSED', 'the client is closed');
    if (payload.length > this.#c.transport.maxFrameBytes - 1_024) {
      throw new GeodeError('LIMIT_EXCEEDED', `a ${service} call of ${payload.length} bytes does not fit in a frame (${this.#c.transport.maxFrameBytes} bytes)`, { detail: 'CallTooLarge' });
    }
    if (this.#pending.size >= forwardedRequestsMax) throw new GeodeError('LIMIT_EXCEEDED', `more than ${forwardedRequestsMax} requests wait on members`, { detail: 'TooManyPending' });
    const answer = await this.#request(peer, Math.max(1, timeoutMs), (requestId) => ({ kind: 'call', group: groupId(0), requestId, service, payload }), `a ${service} call`, '');
    if (answer.reply !== undefined) return answer.reply;
    throw answer.error ?? new GeodeError('INPUT_INVALID', `member ${peer} answered a ${service} call with a statement result`, { source: peer });
  }

  /**
   * #request: queues the item `build` makes for a fresh request id to `peer` and waits for its
   * answer: the member's, LIMIT_EXCEEDED `RequestTimeout` after `ms` (`what` and `outcome` in its
   * message), or PROPOSAL_DROPPED `NotLeader` when the frame could not be sent.
   */
  #request(peer: PeerId, ms: number, build: (requestId: number) => FrameItem, what: string, outcome: string): Promise<Answer> {
    const requestId = this.#next++;
    return new Promise<Answer>((resolve) => {
      let timer: TimerHandle | undefined;
      const settle = (r: Answer): void => {
        timer?.cancel();
        resolve(r);
      };
      this.#pending.set(requestId, { peer, settle });
      timer = this.#c.clock.after(ms, () => {
        this.#pending.delete(requestId);
        settle({ error: new GeodeError('LIMIT_EXCEEDED', `member ${peer} did not answer ${what} within the time limit${outcome}`, { detail: 'RequestTimeout' }) });
      });
      this.#queue(peer, build(requestId), () => {
        if (this.#pending.get(requestId)?.settle !== settle) return; // answered or timed out meanwhile
        this.#pending.delete(requestId);
        settle({ error: new GeodeError('PROPOSAL_DROPPED', `member ${peer} is not reachable now`, { detail: 'NotLeader' }) });
      });
    });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#c.clock.after(ms, resolve));
  }

  /** close: fails waiting statements with CLOSED and closes the transport. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      p.settle({ error: new GeodeError('CLOSED', 'the client is closed') });
    }
    await this.#c.transport.close();
  }
}

/**
 * mayRetry: whether another member may be asked after `err`. Yes when the statement surely did not
 * run (not the leader, no leader); when the member left or closed mid-statement only for a
 * statement with no write keyword (a write's outcome is then unknown: the caller decides).
 */
function mayRetry(err: GeodeError, text: string): boolean {
  if (err.code === 'PROPOSAL_DROPPED' && err.detail !== undefined && notRunDetails.has(err.detail)) return true;
  const gone = err.code === 'CLOSED' || (err.code === 'PROPOSAL_DROPPED' && err.detail === 'MemberGone');
  return gone && !/\b(CREATE|MERGE|SET|DELETE|REMOVE|DROP|DETACH|CALL)\b/i.test(text);
}
