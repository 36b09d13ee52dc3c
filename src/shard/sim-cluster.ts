/**
 * SimCluster: shard hosts over the memory transport and memory log stores, in the simulator's
 * virtual time. For tests and the seeded shard simulation; not part of the public surface.
 *
 * The hosts are asynchronous (store syncs are promises), so virtual time advances one scheduler
 * event at a time with a macrotask turn in between: every promise continuation a callback started
 * runs before the next event, and a run stays a pure function of its seed.
 */
import type { VersionClock } from './entry-stamp.ts';
import { Scheduler } from '../sim/clock.ts';
import { Prng } from '../sim/prng.ts';
import { MemoryNetwork, type MemoryTransport } from '../net/memory-transport.ts';
import type { PeerId } from '../net/types.ts';
import { MemoryLogStore } from '../storage/memory.ts';
import type { LogStore } from '../storage/types.ts';
import { virtualClock } from './clock.ts';
import type { ShardConfig } from './config.ts';
import { ShardHost } from './host.ts';
import { ShardClient } from './client.ts';
import { HostFaults } from './faults.ts';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Options of a {@link SimCluster}. */
export interface SimClusterOptions {
  readonly seed: number;
  /** Each started host's version clock (src/shard/entry-stamp.ts); none: entries go unstamped. */
  readonly versions?: (peer: PeerId) => VersionClock;
  readonly config?: ShardConfig | Record<string, unknown>;
  /** Frame delay range, ms. Default [1, 3]. */
  readonly delayMs?: readonly [number, number];
  readonly dropProbability?: number;
  /** Called with every host started (first start and restarts), e.g. to register procedures. */
  readonly onStart?: (host: ShardHost) => void;
  /** The groups every host runs (each with its own store). Default [0]. */
  readonly groups?: readonly number[];
  /**
   * Virtual ms a store's sync takes, drawn per sync from this range (default [0, 0]: at once). With
   * a delay a crash can land between a host's sending and its own sync finishing.
   */
  readonly syncDelayMs?: readonly [number, number];
}

export class SimCluster {
  readonly scheduler = new Scheduler();
  readonly prng: Prng;
  readonly net: MemoryNetwork;
  /** Each peer's store of its first group (the only one unless `groups` says more). */
  readonly stores = new Map<PeerId, MemoryLogStore>();
  /** Each peer's stores by group. */
  readonly groupStores = new Map<PeerId, Map<number, MemoryLogStore>>();
  readonly #groups: readonly number[];
  readonly hosts = new Map<PeerId, ShardHost>();
  /** Each running host's fault gate (pause, isolate, resume), replaced on restart. */
  readonly faults = new Map<PeerId, HostFaults>();
  readonly warnings: string[] = [];
  readonly #config: ShardConfig | Record<string, unknown>;
  readonly #onStart: ((host: ShardHost) => void) | undefined;
  readonly #versions: ((peer: PeerId) => VersionClock) | undefined;

  constructor(options: SimClusterOptions) {
    this.prng = new Prng(options.seed);
    this.#versions = options.versions;
    const netPrng = this.prng.fork();
    const s = this.scheduler;
    this.net = new MemoryNetwork({
      scheduler: { now: () => s.now, after: (ms, fn) => s.after(ms, fn) },
      random: netPrng.fn(),
      delayMs: options.delayMs ?? [1, 3],
      dropProbability: options.dropProbability ?? 0,
    });
    this.#config = options.config ?? {};
    this.#onStart = options.onStart;
    this.#groups = options.groups ?? [0];
    this.#syncDelay = options.syncDelayMs ?? [0, 0];
  }

  readonly #syncDelay: readonly [number, number];

  /** The store a host sees: the peer's memory store, its syncs taking `syncDelayMs` of virtual time. */
  #delayed(store: MemoryLogStore, running: () => boolean): LogStore {
    const [lo, hi] = this.#syncDelay;
    if (hi <= 0) return store;
    const s = this.scheduler;
    const rnd = this.prng.fork();
    return {
      kind: store.kind,
      location: store.location,
      open: () => store.open(),
      stage: (w) => store.stage(w),
      // While the host starts (start() is awaited outside the scheduler's loop) syncs are at once.
      sync: () => (running() ? new Promise<void>((resolve, reject) => s.after(rnd.int(lo, hi), () => store.sync().then(resolve, reject))) : store.sync()),
      saveSnapshot: (snap) => store.saveSnapshot(snap),
      durable: () => store.durable(),
      close: () => store.close(),
    };
  }

  /**
   * start: a host for `peer` (its store kept across restarts), on `transport` when given (one
   * joined earlier with `net.join`, as a process whose network came up before its host), else on
   * a fresh one.
   */
  async start(peer: string, bootstrap = false, transport: MemoryTransport = this.net.join(peer as PeerId)): Promise<ShardHost> {
    const id = peer as PeerId;
    let stores = this.groupStores.get(id);
    if (stores === undefined) {
      this.groupStores.set(id, (stores = new Map(this.#groups.map((g) => [g, new MemoryLogStore()]))));
      this.stores.set(id, stores.get(this.#groups[0]!)!);
    }
    const random = this.prng.fork().fn();
    const faults = new HostFaults();
    this.faults.set(id, faults);
    let started = false;
    const host = await ShardHost.start(
      {
        transport: faults.transport(transport),
        clock: faults.clock(virtualClock(this.scheduler)),
        random,
        logStore: (g) => {
          let store = stores.get(g);
          if (store === undefined) stores.set(g, (store = new MemoryLogStore())); // a group added later (addGroup)
          return this.#delayed(store, () => started);
        },
        onWarning: (m) => this.warnings.push(`${peer}: ${m}`),
        ...(this.#versions === undefined ? {} : { versions: this.#versions(id) }),
      },
      { bootstrap, config: this.#config, groups: this.#groups },
    );
    started = true;
    this.hosts.set(id, host);
    this.#onStart?.(host);
    return host;
  }

  /** client: a {@link ShardClient} on the network as `peer` (never a member). */
  client(peer: string, requestTimeoutMs = 3_000): ShardClient {
    return ShardClient.start({ transport: this.net.join(peer as PeerId), clock: virtualClock(this.scheduler) }, { requestTimeoutMs });
  }

  host(peer: string): ShardHost {
    const h = this.hosts.get(peer as PeerId);
    if (h === undefined) throw new Error(`no running host ${peer}`);
    return h;
  }

  /** crash: the peer's process dies: timers stop, it leaves the network, unsynced writes are lost. */
  crash(peer: string): void {
    const id = peer as PeerId;
    this.hosts.get(id)?.halt();
    this.hosts.delete(id);
    this.net.leave(id);
    for (const store of this.groupStores.get(id)?.values() ?? []) store.crash();
  }

  /** run: advances virtual time by `ms`, event by event. */
  async run(ms: number): Promise<void> {
    const end = this.scheduler.now + ms;
    await turn();
    while (this.scheduler.runUntil(end, () => true)) await turn();
    await turn();
  }

  /** until: runs until `cond()` holds (checked after every event); false when `maxMs` passed first. */
  async until(cond: () => boolean, maxMs: number): Promise<boolean> {
    const end = this.scheduler.now + maxMs;
    await turn();
    while (!cond()) {
      if (!this.scheduler.runUntil(end, () => true)) return cond();
      await turn();
    }
    return true;
  }

  /** settle: runs until `p` settles (or `maxMs` passes: then throws) and returns its outcome. */
  async settle<T>(p: Promise<T>, maxMs = 30_000): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    let out: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    p.then(
      (value) => (out = { ok: true, value }),
      (error: unknown) => (out = { ok: false, error }),
    );
    const done = await this.until(() => out !== undefined, maxMs);
    if (!done) throw new Error(`did not settle within ${maxMs} virtual ms`);
    return out!;
  }

  /** value: like settle, but throws the rejection. */
  async value<T>(p: Promise<T>, maxMs = 30_000): Promise<T> {
    const r = await this.settle(p, maxMs);
    if (!r.ok) throw r.error;
    return r.value;
  }

  /** leader: the running host that is the ready leader, if exactly one is. */
  leader(): ShardHost | undefined {
    const ls = [...this.hosts.values()].filter((h) => h.isLeader());
    return ls.length === 1 ? ls[0] : undefined;
  }

  /** voters: how many voters the leader's configuration has. */
  voters(): number {
    return this.leader()?.raftStatus().conf.voters.length ?? 0;
  }

  /** caughtUp: each of `groups` has a leader and every running host applied up to the leader's last index. */
  caughtUp(groups: readonly number[]): boolean {
    const hosts = [...this.hosts.values()];
    return groups.every((g) => {
      const l = hosts.find((h) => h.isLeader(g));
      return l !== undefined && hosts.every((h) => h.raftStatus(g).applied === l.raftStatus(g).lastIndex);
    });
  }

  /** form: starts `n` peers p1..pn (p1 bootstraps) and waits until all are voters up to the factor. */
  async form(n: number, voters = Math.min(n, 3)): Promise<void> {
    await this.start('p1', true);
    for (let i = 2; i <= n; i++) await this.start(`p${i}`);
    const ok = await this.until(() => {
      const l = this.leader();
      if (l === undefined) return false;
      const c = l.raftStatus().conf;
      return c.voters.length === voters && c.voters.length + c.learners.length === n;
    }, 20_000);
    if (!ok) throw new Error(`the cluster of ${n} did not form with ${voters} voters`);
  }
}
