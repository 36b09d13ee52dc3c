/**
 * FederationAgent: federation between real clusters, run on every peer of a cluster (the I/O
 * shell around registers.ts). Protocol `/geode/federation/1.0.0` over libp2p, pull-based:
 *
 * - Serving (any peer, leader or not): a request names the cluster it wants and a cursor (an
 *   index of that cluster's Raft log, group 0); the answer is the federation records written by
 *   the committed entries after it (at most `batch_max` entries, about 1 MiB), the index they
 *   reach and the cluster's applied index. A request with nothing new waits up to `waitMs` for
 *   the next applied entry (a long poll). When the entries after the cursor were compacted, the
 *   answer is the records of the snapshot that replaced them, in chunks, then the tail.
 * - Pulling (the leader of group 0 only): per configured upstream cluster, one request at a time
 *   to one of its addresses (the next on failure, with backoff); the records are merged through
 *   this cluster's Raft log (`applyBuilt`, last-write-wins against the leader's graph) with the
 *   new cursor in the same entry (`f/cur/<cluster>`), so a cursor is durable, replicated, and
 *   survives restarts and leader changes. The next batch is asked for while one merges: at most
 *   one batch merging and one on the way per link (the backpressure).
 * - Loops: a record is merged only where some register wins, and only a merge writes an entry;
 *   what changed nothing is not forwarded, so changes go around rings and chains and stop.
 *   A batch in which nothing won advances the cursor in memory only (an entry for it would be
 *   pulled by the next cluster, which would write one, and so on around a ring).
 * - Stamps: every statement the leader runs gets a hybrid timestamp (the write hook).
 * - Lag per upstream: entries of its log not merged yet, and ms since this cluster last knew it
 *   had everything (it grows while the link is cut); past `replication_lag_threshold_ms` a
 *   `lagging` event (and a warning), `caught-up` when back under.
 */
import { decodeCommands, decodeSnapshot, encodeSnapshot, type GraphCommand, type GraphSnapshot, type GraphStore, type MetaValue } from '../graph/index.ts';
import type { RequestHandler, RequestProtocolInit } from '../net/index.ts';
import { HybridClock } from '../txn/hlc.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import { federationAddressesMax, federationPeersMax, type FederationPeer, type ResolvedFederationConfig } from './config.ts';
import { checkRecord, CURSOR_PREFIX, type Register, EDGE_PREFIX, mergeRecords, NODE_PREFIX, RECORD_FORMAT, recordOf, recordsOfCommands, recordsOfSnapshotStamps, stampLocalWrite, type EntityRecord, type ReceivedRecord } from './registers.ts';

/** The federation protocol id. */
export const FEDERATION_PROTOCOL = '/geode/federation/1.0.0';
/**
 * The request version: 3 since a created node's record may be carried as a `stampNodes` command
 * (record-free creations, registers.ts) in the entries of a tail, which a receiver of version 2
 * would not read as records (it would miss them: a command batch of format 2 fails its decoder);
 * 2 since records are stored in format 2 (`RECORD_FORMAT`). A receiver that asks with an older
 * version is answered with an error naming both versions. Answers of a server of version 2 are
 * read as before (it writes every record).
 */
const PROTOCOL_VERSION = 3;
/** Largest request or response frame, bytes. */
export const federationFrameBytesMax = 16 * 1024 * 1024;
/** Entry data read per answer, bytes (one entry always goes). */
const answerBytesMax = 1024 * 1024;
/** Snapshot records per answer. */
const snapshotChunkRecords = 10_000;
/** Longest long poll, ms. */
const longPollMs = 1_000;
/**
 * Least time between the starts of two requests on a link that is caught up, ms. A long poll
 * answers with the first new entry, so without it a link at 1,000 writes/s would ask about once
 * per write, and each request costs more (a stream, a Raft entry and an fsync in this cluster)
 * than merging the records in it: this gathers tens of writes per batch for at most this much
 * lag. A link behind asks again at once. 20 (was 10): a request costs the SERVING cluster too
 * (a libp2p stream: yamux frames, each noise-decrypted or -encrypted, about 1–2 ms of CPU on a
 * loaded machine), so a caught-up link at 8,000 writes/s cost the origin about 20 µs of CPU
 * per write at 10 ms and 11 µs at 20 (bench:federation, `cpu_us_per_write_*`), for about 5 ms
 * more lag at the median.
 */
const pullIntervalMs = 20;
/** A request (dial included) that takes longer fails, ms. */
const requestTimeoutMs = 10_000;
/** Retry delays after a failed request, ms. */
const retryMinMs = 100;
const retryMaxMs = 2_000;
/** How often lag is checked against the threshold, ms. */
const lagCheckMs = 200;
/** A cursor that moved this far in memory only is persisted anyway (bounds the re-pull after a restart). */
const cursorPersistEntries = 10_000;
/** Cross-cluster lag samples kept (for the benchmark). */
const lagSamplesMax = 100_000;

/** The host this agent drives (a ShardHost satisfies it). */
export interface FederationHost {
  isLeader(group?: number): boolean;
  readCommitted(group: number, after: number, maxEntries: number, maxBytes: number): { readonly applied: number; readonly entries: readonly { readonly index: number; readonly data: Uint8Array }[]; readonly snapshot?: { readonly index: number; readonly data: Uint8Array } };
  applyBuilt(group: number, build: (graph: GraphStore, apply: (c: GraphCommand) => void) => void, options?: { readonly timeoutMs?: number }): Promise<number>;
  setWriteHook(hook: ((group: number, graph: GraphStore, commands: readonly GraphCommand[]) => readonly GraphCommand[]) | undefined): void;
  setLogRetention(group: number, entries: number): void;
  onApplied(listener: (group: number) => void): () => void;
  graph(group?: number): unknown;
}

/** The network this agent uses (a GeodePeer satisfies it). */
export interface FederationNet {
  serveRequests(protocol: string, handler: RequestHandler, init: RequestProtocolInit & { readonly maxInbound: number }): Promise<void>;
  sendRequest(addrs: readonly string[], protocol: string, payload: Uint8Array, init: RequestProtocolInit): Promise<Uint8Array>;
}

export interface FederationAgentComponents {
  readonly host: FederationHost;
  readonly net: FederationNet;
  /** Wall clock, ms (stamps and lag). */
  readonly now: () => number;
  readonly onWarning?: (message: string) => void;
}

/** One link's lag, as `db.cluster.replicationLag()` shows it (source `federation`). */
export interface FederationLinkLag {
  /** The upstream cluster. */
  readonly cluster: string;
  /** The upstream log index merged up to. */
  readonly cursor: number;
  /** Upstream log entries not merged yet (as of the last answer). */
  readonly entriesBehind: number;
  /** Ms since this cluster last knew it had everything from the link (0 when it does). */
  readonly msBehind: number;
  /** Whether the link is up: the last request was answered. */
  readonly connected: boolean;
  /** Cut by {@link FederationAgent.cut} (a test or demo fault). */
  readonly cut: boolean;
  /** Records merged from this link, and how many changed something. */
  readonly recordsReceived: number;
  readonly recordsMerged: number;
  /** Snapshot chunks pulled (catch-up after the upstream compacted its log past the cursor). */
  readonly snapshotChunks: number;
}

/** A lag event on a link. */
export interface FederationLagEvent {
  readonly cluster: string;
  readonly kind: 'lagging' | 'caught-up';
  readonly msBehind: number;
}

interface Cursor {
  readonly index: number;
  /** A snapshot being merged: its index and the records merged so far. */
  readonly snap?: { readonly index: number; readonly offset: number };
}

interface Link {
  readonly cluster: string;
  addresses: readonly string[];
  addr: number;
  /** The cursor as far as merged or found empty (at least the persisted one while leading). */
  cursor: Cursor;
  upstreamApplied: number;
  caughtUpAt: number;
  connected: boolean;
  cut: boolean;
  lagging: boolean;
  received: number;
  merged: number;
  snapshotChunks: number;
  failures: number;
  /** Removed by {@link FederationAgent.unlink} (its pull loop ends). */
  removed: boolean;
}

/** An answer's records (a tail's read out of its entries; an error answer is thrown by `#fetch`). */
type Batch =
  | { readonly kind: 'tail'; readonly last: number; readonly applied: number; readonly records: ReceivedRecord[] }
  | Extract<Answer, { readonly kind: 'snap' }>;

/**
 * An answer as it travels. A tail carries the committed entries' data as they are in the log (the
 * origin copies bytes; the receiver reads the records out of them): serving costs the origin
 * little more than reading its log.
 */
type Answer =
  | { readonly kind: 'tail'; readonly last: number; readonly applied: number; readonly entries: Uint8Array[] }
  | { readonly kind: 'snap'; readonly index: number; readonly offset: number; readonly done: boolean; readonly applied: number; readonly records: [string, EntityRecord][] }
  | { readonly kind: 'error'; readonly message: string };

function encode(x: unknown): Uint8Array {
  return encodeSnapshot(x);
}

function sameCursor(a: Cursor, b: Cursor): boolean {
  return a.index === b.index && a.snap?.index === b.snap?.index && a.snap?.offset === b.snap?.offset;
}

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

export class FederationAgent {
  readonly self: string;
  readonly #c: FederationAgentComponents;
  readonly #cfg: ResolvedFederationConfig;
  readonly #clock: HybridClock;
  readonly #links = new Map<string, Link>();
  readonly #listeners = new Set<(e: FederationLagEvent) => void>();
  /** Clusters this one refuses to serve (a cut link). */
  readonly #cutServing = new Set<string>();
  #snapCache: { index: number; records: [string, EntityRecord][] } | undefined;
  #stopped = false;
  #lagTimer: ReturnType<typeof setInterval> | undefined;
  /** now − origin wall time of merged records from a link's own cluster, ms (benchmarks). */
  readonly lagSamplesMs: number[] = [];
  #wasLeader = false;

  private constructor(c: FederationAgentComponents, cfg: ResolvedFederationConfig) {
    this.#c = c;
    this.#cfg = cfg;
    this.self = cfg.clusterId!;
    this.#clock = new HybridClock(c.now);
    for (const p of cfg.peers) this.#links.set(p.clusterId, this.#newLink(p));
  }

  #newLink(p: FederationPeer): Link {
    return {
      cluster: p.clusterId,
      addresses: p.addresses,
      addr: 0,
      cursor: this.#c.host.isLeader() ? this.#persistedCursor(p.clusterId) : { index: 0 },
      upstreamApplied: 0,
      caughtUpAt: this.#c.now(),
      connected: false,
      cut: false,
      lagging: false,
      received: 0,
      merged: 0,
      snapshotChunks: 0,
      failures: 0,
      removed: false,
    };
  }

  /** start: installs the write hook, serves the protocol, and starts a pull loop per upstream. */
  static async start(c: FederationAgentComponents, cfg: ResolvedFederationConfig): Promise<FederationAgent> {
    if (cfg.clusterId === undefined) throw new GeodeError('CONFIG_INVALID', 'federation.cluster_id: required', { source: 'config', detail: 'federation.cluster_id' });
    const a = new FederationAgent(c, cfg);
    c.host.setWriteHook((group, graph, commands) => (group === 0 ? stampLocalWrite(graph, a.self, a.#clock, commands, cfg.recordFreeCreations) : []));
    c.host.setLogRetention(0, cfg.logRetainEntries);
    await c.net.serveRequests(FEDERATION_PROTOCOL, (from, req) => a.#serve(from, req), { maxFrameBytes: federationFrameBytesMax, timeoutMs: requestTimeoutMs, maxInbound: 16 });
    for (const link of a.#links.values()) void a.#pullLoop(link);
    a.#lagTimer = setInterval(() => a.#checkLag(), lagCheckMs);
    return a;
  }

  /** onLag: lag events of every link; returns a function that removes the listener. */
  onLag(listener: (e: FederationLagEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * cut: a fault for tests and the demo: while cut, this peer neither pulls from `cluster` nor
   * serves it. Cut the link on every peer of both clusters to cut it for good.
   */
  cut(cluster: string, cut: boolean): void {
    const link = this.#links.get(cluster);
    if (link !== undefined) link.cut = cut;
    if (cut) this.#cutServing.add(cluster);
    else this.#cutServing.delete(cluster);
  }

  /**
   * link: starts replicating from `peer.clusterId` at run time (as a `federation.peers` entry
   * would), or, for a cluster already linked, replaces the addresses it is pulled from (a cluster
   * of browser tabs changes its members' addresses as tabs come and go). The cursor is the
   * replicated one (`f/cur/<cluster>`), so a cluster unlinked and linked again resumes where it
   * stopped. CONFIG_INVALID for this cluster's own id, no address, or more than
   * {@link federationPeersMax} links.
   */
  link(peer: FederationPeer): void {
    if (this.#stopped) throw new GeodeError('CLOSED', 'the federation agent is stopped');
    const key = 'federation.peers';
    if (peer.clusterId === this.self) throw new GeodeError('CONFIG_INVALID', `${key}: a cluster cannot federate with itself (${peer.clusterId})`, { source: 'config', detail: key });
    if (peer.addresses.length === 0 || peer.addresses.length > federationAddressesMax) {
      throw new GeodeError('CONFIG_INVALID', `${key}: cluster ${peer.clusterId} needs 1..${federationAddressesMax} addresses, got ${peer.addresses.length}`, { source: 'config', detail: key });
    }
    const had = this.#links.get(peer.clusterId);
    if (had !== undefined) {
      if (had.addresses.length !== peer.addresses.length || had.addresses.some((a, i) => a !== peer.addresses[i])) {
        had.addresses = [...peer.addresses];
        had.addr = 0;
      }
      return;
    }
    if (this.#links.size >= federationPeersMax) throw new GeodeError('CONFIG_INVALID', `${key}: at most ${federationPeersMax} federated clusters`, { source: 'config', detail: key });
    const link = this.#newLink({ clusterId: peer.clusterId, addresses: [...peer.addresses] });
    this.#links.set(peer.clusterId, link);
    void this.#pullLoop(link);
  }

  /** unlink: stops replicating from `cluster` (what was merged stays; its cursor stays replicated). False when it was not linked. */
  unlink(cluster: string): boolean {
    const link = this.#links.get(cluster);
    if (link === undefined) return false;
    link.removed = true;
    this.#links.delete(cluster);
    return true;
  }

  /** links: the clusters this cluster replicates from, and the addresses of each. */
  links(): FederationPeer[] {
    return [...this.#links.values()].map((l) => ({ clusterId: l.cluster, addresses: l.addresses }));
  }

  /** lag: per upstream cluster (empty on a peer that does not lead: only the leader pulls). */
  lag(): FederationLinkLag[] {
    if (!this.#c.host.isLeader()) return [];
    const now = this.#c.now();
    return [...this.#links.values()].map((l) => ({
      cluster: l.cluster,
      cursor: l.cursor.index,
      entriesBehind: Math.max(0, l.upstreamApplied - l.cursor.index),
      msBehind: this.#msBehind(l, now),
      connected: l.connected,
      cut: l.cut,
      recordsReceived: l.received,
      recordsMerged: l.merged,
      snapshotChunks: l.snapshotChunks,
    }));
  }

  #msBehind(l: Link, now: number): number {
    const caughtUp = l.connected && l.cursor.snap === undefined && l.cursor.index >= l.upstreamApplied;
    return caughtUp ? 0 : Math.max(0, now - l.caughtUpAt);
  }

  /** stop: ends the pull loops and removes the write hook. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#lagTimer);
    this.#c.host.setWriteHook(undefined);
  }

  #warn(message: string): void {
    this.#c.onWarning?.(message);
  }

  #checkLag(): void {
    if (this.#stopped || !this.#c.host.isLeader()) return;
    const now = this.#c.now();
    for (const l of this.#links.values()) {
      const ms = this.#msBehind(l, now);
      let kind: FederationLagEvent['kind'] | undefined;
      if (!l.lagging && ms > this.#cfg.lagThresholdMs) kind = 'lagging';
      else if (l.lagging && ms <= this.#cfg.lagThresholdMs) kind = 'caught-up';
      if (kind === undefined) continue;
      l.lagging = kind === 'lagging';
      const e: FederationLagEvent = { cluster: l.cluster, kind, msBehind: ms };
      if (kind === 'lagging') this.#warn(`federation: the link from cluster ${l.cluster} to ${this.self} is ${ms} ms behind (replication_lag_threshold_ms ${this.#cfg.lagThresholdMs})`);
      else this.#warn(`federation: the link from cluster ${l.cluster} to ${this.self} caught up`);
      for (const f of this.#listeners) f(e);
    }
  }

  // ------------------------------------------------------------------------------ serving

  async #serve(from: string, req: Uint8Array): Promise<Uint8Array> {
    let r: Record<string, unknown>;
    try {
      r = decodeSnapshot(req, `a federation request from ${from}`) as Record<string, unknown>;
    } catch (err) {
      return encode({ kind: 'error', message: isGeodeError(err) ? err.message : String(err) });
    }
    const want = r['cluster'];
    const requester = typeof r['from'] === 'string' ? r['from'] : '';
    const after = r['after'];
    if (want !== this.self) return encode({ kind: 'error', message: `this is cluster ${this.self}, not ${String(want)}` });
    if (typeof r['v'] !== 'number' || r['v'] < PROTOCOL_VERSION) {
      return encode({ kind: 'error', message: `cluster ${this.self} serves federation requests of version ${PROTOCOL_VERSION} (records of format ${RECORD_FORMAT}); this request is of version ${String(r['v'])}: upgrade cluster ${requester || 'asking'}` });
    }
    if (this.#cutServing.has(requester)) return encode({ kind: 'error', message: `the link to cluster ${requester} is cut` });
    if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0) return encode({ kind: 'error', message: 'after must be a log index' });
    const max = Math.min(this.#cfg.batchMax, typeof r['max'] === 'number' && r['max'] >= 1 ? Math.floor(r['max']) : this.#cfg.batchMax);
    const snap = r['snap'] as { index?: unknown; offset?: unknown } | undefined;
    if (snap !== undefined && typeof snap.index === 'number' && typeof snap.offset === 'number') return encode(this.#snapshotAnswer(snap.index, snap.offset));
    const wait = Math.min(longPollMs, typeof r['waitMs'] === 'number' ? r['waitMs'] : 0);
    let read = this.#c.host.readCommitted(0, after, max, answerBytesMax);
    if (read.snapshot === undefined && read.entries.length === 0 && wait > 0) {
      await this.#waitApplied(after, wait);
      if (this.#stopped) return encode({ kind: 'error', message: 'stopping' });
      read = this.#c.host.readCommitted(0, after, max, answerBytesMax);
    }
    if (read.snapshot !== undefined) return encode(this.#snapshotAnswer(read.snapshot.index, 0));
    const entries: Uint8Array[] = [];
    for (const e of read.entries) if (e.data.length > 0) entries.push(e.data);
    const last = read.entries.length > 0 ? read.entries[read.entries.length - 1]!.index : after;
    return encode({ kind: 'tail', last, applied: read.applied, entries } satisfies Answer);
  }

  #waitApplied(after: number, ms: number): Promise<void> {
    return new Promise((ok) => {
      const done = (): void => {
        clearTimeout(t);
        off();
        ok();
      };
      const off = this.#c.host.onApplied((g) => {
        if (g === 0 && this.#c.host.readCommitted(0, after, 1, 1).entries.length > 0) done();
      });
      const t = setTimeout(done, ms);
    });
  }

  /** A chunk of the records of the snapshot at `index` (the current one, when it moved on: the requester starts it over). */
  #snapshotAnswer(index: number, offset: number): Answer {
    let bytes: Uint8Array | undefined;
    // A snapshot being sent is served from the cache to its end even when a newer one replaced it
    // (it is a consistent state at its index); a request for one not cached starts the current one.
    if (this.#snapCache?.index !== index) {
      const cur = this.#c.host.readCommitted(0, -1, 1, 1).snapshot;
      if (cur === undefined) return { kind: 'error', message: 'no snapshot' };
      if (cur.index !== index) offset = 0;
      index = cur.index;
      bytes = cur.data;
    }
    if (this.#snapCache?.index !== index) {
      const env = decodeSnapshot(bytes!, `cluster ${this.self} snapshot`) as { graph?: GraphSnapshot };
      const records: [string, EntityRecord][] = [];
      for (const [k, v] of env.graph?.meta ?? []) if (k.startsWith(NODE_PREFIX) || k.startsWith(EDGE_PREFIX)) records.push([k, recordOf(k, v as MetaValue)]);
      if (env.graph?.created !== undefined) recordsOfSnapshotStamps(env.graph, records);
      this.#snapCache = { index, records };
    }
    const all = this.#snapCache.records;
    const records = all.slice(offset, offset + snapshotChunkRecords);
    const applied = this.#c.host.readCommitted(0, index, 1, 1).applied;
    return { kind: 'snap', index, offset, done: offset + records.length >= all.length, applied, records };
  }

  // ------------------------------------------------------------------------------ pulling

  #persistedCursor(cluster: string): Cursor {
    const g = this.#c.host.graph(0) as GraphStore;
    const v = g.meta(CURSOR_PREFIX + cluster) as Cursor | undefined;
    return v ?? { index: 0 };
  }

  async #pullLoop(link: Link): Promise<void> {
    let delay = retryMinMs;
    /** The next batch, asked for while the last one merges (its cursor, and the answer on the way). */
    let ahead: { readonly cursor: Cursor; readonly answer: Promise<Batch> } | undefined;
    let lastAskedAt = 0;
    while (!this.#stopped && !link.removed) {
      const leader = this.#c.host.isLeader();
      if (!leader || link.cut) {
        if (!leader) this.#wasLeader = false;
        link.connected = false;
        ahead = undefined;
        await sleep(link.cut ? 100 : 200);
        continue;
      }
      if (!this.#wasLeader) {
        // A new leadership: start from the replicated cursor (or further, when this peer had merged further itself).
        for (const l of this.#links.values()) {
          const p = this.#persistedCursor(l.cluster);
          if (p.index > l.cursor.index || (p.index === l.cursor.index && p.snap !== undefined)) l.cursor = p;
        }
        this.#wasLeader = true;
      }
      try {
        const cur = link.cursor;
        const answer = ahead !== undefined && sameCursor(ahead.cursor, cur) ? ahead.answer : this.#fetch(link, cur);
        ahead = undefined;
        const a = await answer;
        if (this.#stopped || link.cut || link.removed) continue;
        const next = this.#accept(link, cur, a);
        // Pipelining: the next batch travels while this one is merged and committed (merges stay in
        // order); once caught up, not before pullIntervalMs after the last request started.
        const behind = a.kind === 'snap' || a.last < a.applied;
        const wait = behind ? 0 : Math.max(0, lastAskedAt + pullIntervalMs - this.#c.now());
        lastAskedAt = this.#c.now() + wait;
        ahead = { cursor: next, answer: wait > 0 ? sleep(wait).then(() => this.#fetch(link, next)) : this.#fetch(link, next) };
        ahead.answer.catch(() => undefined);
        await this.#merge(link, a, next);
        link.failures = 0;
        delay = retryMinMs;
      } catch (err) {
        ahead = undefined;
        link.connected = false;
        link.failures++;
        link.addr = (link.addr + 1) % link.addresses.length;
        if (link.failures === 1 || link.failures % 50 === 0) this.#warn(`federation: pulling from cluster ${link.cluster} failed: ${err instanceof Error ? err.message : String(err)}`);
        await sleep(delay);
        delay = Math.min(retryMaxMs, delay * 2);
      }
    }
  }

  /** One request for the batch after `cur`; the answer decoded, an error answer thrown. */
  async #fetch(link: Link, cur: Cursor): Promise<Batch> {
    const req = encode({ v: PROTOCOL_VERSION, from: this.self, cluster: link.cluster, after: cur.index, max: this.#cfg.batchMax, waitMs: longPollMs, ...(cur.snap === undefined ? {} : { snap: cur.snap }) });
    const res = await this.#c.net.sendRequest([link.addresses[link.addr]!], FEDERATION_PROTOCOL, req, { maxFrameBytes: federationFrameBytesMax, timeoutMs: requestTimeoutMs });
    const answer = decodeSnapshot(res, `cluster ${link.cluster}'s answer`) as Answer;
    if (answer.kind === 'error') throw new GeodeError('IO', `cluster ${link.cluster} answered: ${answer.message}`, { source: link.cluster });
    let a: Batch;
    if (answer.kind === 'tail') {
      if (!Array.isArray(answer.entries)) throw new GeodeError('INPUT_INVALID', `cluster ${link.cluster} sent a tail without entries`, { source: link.cluster });
      const records: ReceivedRecord[] = [];
      for (const data of answer.entries) {
        if (!(data instanceof Uint8Array)) throw new GeodeError('INPUT_INVALID', `cluster ${link.cluster} sent an entry that is not bytes`, { source: link.cluster });
        recordsOfCommands(decodeCommands(data, `an entry of cluster ${link.cluster}'s log`), records);
      }
      a = { kind: 'tail', last: answer.last, applied: answer.applied, records };
    } else a = answer;
    for (const [k, v] of a.records) {
      const why = checkRecord(k, v);
      if (why !== undefined) throw new GeodeError('INPUT_INVALID', `cluster ${link.cluster} sent a bad record: ${why}`, { source: link.cluster });
    }
    return a;
  }

  /** Takes an answer in: the link's state, and the cursor after it. */
  #accept(link: Link, cur: Cursor, a: Batch): Cursor {
    link.connected = true;
    link.upstreamApplied = a.applied;
    link.received += a.records.length;
    if (a.kind === 'tail') return { index: a.last };
    link.snapshotChunks++;
    return a.done ? { index: a.index } : { index: cur.index, snap: { index: a.index, offset: a.offset + a.records.length } };
  }

  /** Merges a batch through this cluster's log (with the cursor `next` when something won, or when it must be persisted anyway). */
  async #merge(link: Link, a: Batch, next: Cursor): Promise<void> {
    const persistAnyway = next.index - this.#persistedCursor(link.cluster).index >= cursorPersistEntries || a.kind === 'snap';
    let changed = 0;
    if (a.records.length > 0 || persistAnyway) {
      await this.#c.host.applyBuilt(0, (graph, apply) => {
        const counts = mergeRecords(graph, this.self, a.records, apply);
        changed = counts.changed;
        if (counts.changed > 0 || persistAnyway) apply({ op: 'setMeta', key: CURSOR_PREFIX + link.cluster, value: next as never });
      });
      this.#sampleLag(link.cluster, a.records);
    }
    link.merged += changed;
    link.cursor = next;
    if (next.snap === undefined && next.index >= a.applied) link.caughtUpAt = this.#c.now();
  }

  #sampleLag(origin: string, records: readonly ReceivedRecord[]): void {
    const now = this.#c.now();
    for (const [, r] of records) {
      if (r.x[2] !== origin) continue;
      let wall = r.x[0];
      for (let i = 1; i < r.p.length; i += 2) {
        const reg = r.p[i] as Register;
        if (reg[2] === origin && reg[0] > wall) wall = reg[0];
      }
      if (this.lagSamplesMs.length >= lagSamplesMax) this.lagSamplesMs.splice(0, lagSamplesMax / 2);
      this.lagSamplesMs.push(now - wall);
    }
  }
}
