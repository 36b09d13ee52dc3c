/**
 * FederationReplicator: one cluster's side of asynchronous federation, as a pure state machine
 * (the transport and the clock are the caller's): its change stream, a link to each federated
 * cluster with a resumable cursor, and the last-write-wins merge of what arrives.
 *
 * - The change stream: every change this cluster accepts — made here (`write`) or received — is
 *   appended once, with a local sequence number. A change's identity is (origin, origin seq), so a
 *   change reaching a cluster twice (two paths, a resend) is merged and forwarded once: changes
 *   travel rings and chains (US → EU → AP → US) carrying their origin and never loop.
 * - Links: per federated cluster, `acked` (its cursor: every change up to it arrived there) and
 *   what is in flight. `poll(now)` returns the batches to send: from the cursor, at most
 *   `batchMax` changes, leaving out changes that cluster originated; a batch not acknowledged
 *   within `resendMs` is sent again from the cursor (go-back-N), so lost, repeated or reordered
 *   batches are harmless.
 * - Receiving: a batch is accepted only if it starts at or before the next sequence number
 *   expected from that sender (later ones wait for a resend), merged change by change, and
 *   acknowledged cumulatively.
 * - Retention: the stream keeps every change some link has not acknowledged DURABLY (a cut link
 *   makes it grow; catch-up by snapshot when it is compacted is to come).
 * - Crashes (`crash`, then `restart`): the stream, the graph and what was seen are durable (the
 *   cluster's Raft log); the rest is volatile and lost: batches in flight, the clock's state, the
 *   positions acknowledged to this cluster, and how far it merged from each upstream beyond the
 *   position it last made durable. That position is made durable with every batch that brought a
 *   new change (the real cluster writes its cursor in the merge's log entry) and otherwise only
 *   every `cursorPersistEvery` positions (a batch with nothing new writes no entry, as in the
 *   real cluster, where such an entry would travel the ring forever). A restarted receiver
 *   expects from its durable position again; its acknowledgements carry its incarnation, so the
 *   sender goes back to what it acknowledges then; and every acknowledgement carries the durable
 *   position, the only one the sender may drop its stream up to.
 * - Lag: per link, changes not yet acknowledged and the age of the oldest, with a warning event
 *   when it passes `lagThresholdMs`, and another when it is back under.
 */
import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';
import type { HybridClock } from '../txn/hlc.ts';
import { LwwGraph, type ChangeStamp, type GraphChange } from './lww-graph.ts';

/** A change as it travels: the change, its origin's sequence number. */
export interface StreamedChange {
  readonly change: GraphChange;
  /** Sequence number in its origin's stream (with `change.stamp.origin`: the change's identity). */
  readonly originSeq: number;
}

/** A batch from one cluster's stream to another. */
export interface ChangeBatch {
  readonly kind: 'batch';
  readonly from: string;
  readonly to: string;
  /** The sender's local sequence number of the first change (its stream position). */
  readonly first: number;
  readonly changes: readonly StreamedChange[];
  /** The sender's position after the batch (changes left out for the receiver still advance it). */
  readonly last: number;
}

/**
 * An acknowledgement: every change of the receiving cluster's stream up to `upTo` arrived at
 * `from`, and up to `durable` survives a crash of `from`; `epoch`: `from`'s incarnation (one more
 * after each restart), so an acknowledgement that goes back (a restart forgot what was not
 * durable) is told from a late, reordered one.
 */
export interface ChangeAck {
  readonly kind: 'ack';
  readonly from: string;
  readonly to: string;
  readonly upTo: number;
  readonly durable: number;
  readonly epoch: number;
}

export type FederationMessage = ChangeBatch | ChangeAck;

/** One row of `db.cluster.replicationLag()` for a federation link. */
export interface LinkLag {
  readonly link: string;
  readonly changesBehind: number;
  readonly msBehind: number;
}

/** A lag warning event. */
export interface LagEvent {
  readonly link: string;
  readonly kind: 'lagging' | 'caught-up';
  readonly msBehind: number;
}

/** A change before it is stamped (what `write` takes). */
export type UnstampedChange = GraphChange extends infer C ? (C extends GraphChange ? Omit<C, 'stamp'> : never) : never;

export interface ReplicatorOptions {
  readonly self: string;
  /** Clusters this one streams to. */
  readonly links: readonly string[];
  /** Clusters this one receives from. Default: `links` (every link both ways). */
  readonly upstreams?: readonly string[];
  readonly clock: HybridClock;
  /** Most changes per batch. Default 256. */
  readonly batchMax?: number;
  /** A batch not acknowledged after this long is sent again, ms. Default 200. */
  readonly resendMs?: number;
  /** replication_lag_threshold_ms: past it a link raises a warning. Default 5,000. */
  readonly lagThresholdMs?: number;
  /** A receiver's position with nothing new is made durable after moving this far. Default 64. */
  readonly cursorPersistEvery?: number;
  /** TEST-ONLY planted bug: accept a batch that starts past the next expected position (a gap). */
  readonly acceptGaps?: boolean;
  /** TEST-ONLY planted bug: compact the stream up to what links acknowledged, durable or not. */
  readonly compactVolatile?: boolean;
}

interface Entry {
  readonly seq: number;
  readonly streamed: StreamedChange;
  /** When this cluster accepted it (ms, the caller's clock). */
  readonly at: number;
}

interface LinkState {
  /** Every change up to here arrived there (volatile: lost in a crash). */
  acked: number;
  /** Every change up to here is durable there (what the stream may drop). */
  durable: number;
  /** The receiver's incarnation the last acknowledgement came from. */
  epoch: number;
  /** Highest position sent since the last (re)send from the cursor, and when. */
  sentUpTo: number;
  sentAt: number;
  lagging: boolean;
}

export class FederationReplicator {
  readonly self: string;
  readonly graph = new LwwGraph();
  #clock: HybridClock;
  readonly #links = new Map<string, LinkState>();
  /** Per upstream cluster: the next position expected from its stream (volatile)... */
  readonly #expect = new Map<string, number>();
  /** ... and the one made durable (a restart goes back to it). */
  readonly #expectDurable = new Map<string, number>();
  /** This cluster's incarnation: one more after each restart (durable). */
  #epoch = 0;
  #crashed = false;
  readonly #log: Entry[] = [];
  /** Position of #log[0] in the stream. */
  #base = 1;
  #nextSeq = 1;
  #nextOriginSeq = 1;
  /** Changes seen, by `${origin}#${originSeq}`. */
  readonly #seen = new Set<string>();
  readonly #batchMax: number;
  readonly #resendMs: number;
  readonly #lagThresholdMs: number;
  readonly events: LagEvent[] = [];
  readonly #acceptGaps: boolean;
  readonly #compactVolatile: boolean;
  readonly #cursorPersistEvery: number;

  constructor(o: ReplicatorOptions) {
    this.self = o.self;
    this.#clock = o.clock;
    this.#batchMax = o.batchMax ?? 256;
    this.#resendMs = o.resendMs ?? 200;
    this.#lagThresholdMs = o.lagThresholdMs ?? 5_000;
    this.#acceptGaps = o.acceptGaps === true;
    this.#compactVolatile = o.compactVolatile === true;
    this.#cursorPersistEvery = o.cursorPersistEvery ?? 64;
    for (const l of [...o.links, ...(o.upstreams ?? [])]) {
      if (l === o.self) throw new GeodeError('CONFIG_INVALID', `federation.peers: cluster ${l} cannot federate with itself`, { source: 'config', detail: 'federation.peers' });
    }
    for (const l of o.links) this.#links.set(l, { acked: 0, durable: 0, epoch: 0, sentUpTo: 0, sentAt: -Infinity, lagging: false });
    for (const l of o.upstreams ?? o.links) {
      this.#expect.set(l, 1);
      this.#expectDurable.set(l, 1);
    }
  }

  /** crash: the cluster stops and loses its volatile state; it takes nothing in until {@link restart}. */
  crash(): void {
    this.#crashed = true;
    for (const [u, d] of this.#expectDurable) this.#expect.set(u, d);
    for (const link of this.#links.values()) {
      // What was acknowledged to this cluster is forgotten: it resends from what it still holds.
      link.acked = this.#base - 1;
      link.durable = link.acked;
      link.sentUpTo = link.acked;
      link.sentAt = -Infinity;
      link.lagging = false;
    }
  }

  /** restart: back from a crash, with a fresh clock (the old one's state was lost). */
  restart(clock: HybridClock): void {
    assert(this.#crashed, `restart of cluster ${this.self}, which did not crash`);
    this.#crashed = false;
    this.#clock = clock;
    this.#epoch++;
  }

  /** write: a change made in this cluster, stamped now; merged here and streamed to every link. */
  write(change: UnstampedChange, now: number): GraphChange {
    assert(!this.#crashed, `write on cluster ${this.self} while it is down`);
    const stamp: ChangeStamp = { hlc: this.#clock.now(), origin: this.self };
    const full = { ...change, stamp } as GraphChange;
    this.#accept({ change: full, originSeq: this.#nextOriginSeq++ }, now);
    return full;
  }

  /** Takes a change in once (true when it was new). */
  #accept(s: StreamedChange, now: number): boolean {
    const id = `${s.change.stamp.origin}#${s.originSeq}`;
    if (this.#seen.has(id)) return false;
    this.#seen.add(id);
    this.graph.apply(s.change);
    this.#log.push({ seq: this.#nextSeq++, streamed: s, at: now });
    return true;
  }

  /** receive: a message from another cluster; returns what to send back (an ack). */
  receive(m: FederationMessage, now: number): FederationMessage[] {
    if (m.to !== this.self || this.#crashed) return [];
    if (m.kind === 'ack') {
      const link = this.#links.get(m.from);
      if (link === undefined) return []; // not a link of ours: ignored (the caller authenticates)
      const upTo = Math.min(m.upTo, this.#nextSeq - 1);
      if (m.epoch > link.epoch) {
        // The receiver restarted: it expects from its durable position again (never below what this stream still holds).
        link.epoch = m.epoch;
        link.acked = Math.max(upTo, this.#base - 1);
        link.sentUpTo = link.acked;
      } else if (m.epoch === link.epoch && upTo > link.acked) link.acked = upTo;
      if (m.durable > link.durable) link.durable = Math.min(m.durable, this.#nextSeq - 1);
      if (link.durable > link.acked) link.acked = link.durable; // durable there: arrived there, in any incarnation
      this.#compact();
      return [];
    }
    const expect = this.#expect.get(m.from);
    if (expect === undefined) return [];
    let next = expect;
    if ((m.first <= expect || this.#acceptGaps) && m.last >= expect) {
      let fresh = false;
      for (const s of m.changes) {
        // A clock far ahead would make that cluster win every conflict: its changes still merge
        // (their stamps decide), but this cluster's clock only follows stamps within the skew bound.
        try {
          this.#clock.update(s.change.stamp.hlc, m.from);
        } catch {
          this.clockSkewRefusals++;
        }
        if (this.#accept(s, now)) fresh = true;
      }
      next = m.last + 1;
      this.#expect.set(m.from, next);
      // Durable with the merge that wrote something; otherwise only now and then.
      if (fresh || next - this.#expectDurable.get(m.from)! >= this.#cursorPersistEvery) this.#expectDurable.set(m.from, next);
    }
    return [{ kind: 'ack', from: this.self, to: m.from, upTo: next - 1, durable: this.#expectDurable.get(m.from)! - 1, epoch: this.#epoch }];
  }

  /** Changes received whose stamp was too far ahead of this cluster's clock. */
  clockSkewRefusals = 0;

  /** poll: batches due now (new changes, or a resend after `resendMs` without an ack). */
  poll(now: number): FederationMessage[] {
    if (this.#crashed) return [];
    const out: FederationMessage[] = [];
    const head = this.#nextSeq - 1;
    for (const [to, link] of this.#links) {
      this.#trackLag(to, link, now);
      if (link.acked >= head) {
        link.sentUpTo = link.acked;
        continue;
      }
      // An acknowledgement can pass what was sent since a resend (it answered an earlier send).
      if (link.sentUpTo < link.acked) link.sentUpTo = link.acked;
      const resend = link.sentUpTo > link.acked && now - link.sentAt >= this.#resendMs;
      if (resend) link.sentUpTo = link.acked;
      if (link.sentUpTo >= head) continue;
      const from = link.sentUpTo + 1;
      const last = Math.min(head, from + this.#batchMax - 1);
      const changes: StreamedChange[] = [];
      for (let seq = from; seq <= last; seq++) {
        const e = this.#log[seq - this.#base]!;
        if (e.streamed.change.stamp.origin !== to) changes.push(e.streamed);
      }
      out.push({ kind: 'batch', from: this.self, to, first: from, changes, last });
      link.sentUpTo = last;
      link.sentAt = now;
    }
    return out;
  }

  #trackLag(to: string, link: LinkState, now: number): void {
    const oldest = this.#log[link.acked + 1 - this.#base];
    const ms = oldest === undefined ? 0 : now - oldest.at;
    if (!link.lagging && ms > this.#lagThresholdMs) {
      link.lagging = true;
      this.events.push({ link: to, kind: 'lagging', msBehind: ms });
    } else if (link.lagging && ms <= this.#lagThresholdMs) {
      link.lagging = false;
      this.events.push({ link: to, kind: 'caught-up', msBehind: ms });
    }
  }

  /** lag: per link, changes not acknowledged yet and the age of the oldest, ms. */
  lag(now: number): LinkLag[] {
    return [...this.#links].map(([link, l]) => {
      const oldest = this.#log[l.acked + 1 - this.#base];
      return { link, changesBehind: this.#nextSeq - 1 - l.acked, msBehind: oldest === undefined ? 0 : now - oldest.at };
    });
  }

  /** Drops the stream's prefix every link acknowledged. */
  #compact(): void {
    let min = this.#nextSeq - 1;
    for (const l of this.#links.values()) min = Math.min(min, this.#compactVolatile ? l.acked : l.durable);
    const drop = min - this.#base + 1;
    if (drop > 0) {
      this.#log.splice(0, drop);
      this.#base += drop;
    }
  }

  /** retained: changes kept in the stream (waiting for some link). */
  get retained(): number {
    return this.#log.length;
  }

  /** streamLength: changes accepted so far (this cluster's stream position). */
  get streamLength(): number {
    return this.#nextSeq - 1;
  }
}
