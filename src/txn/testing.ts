/**
 * TxnSimEnv: five shard hosts in the simulator's virtual time (SimCluster) running three
 * participant groups (1, 2, 3) and a transaction-record group (4), each of 3 voters and 2 learners,
 * with an {@link IntentResolver} on every host, a {@link LocalTxnTransport} between them, per-host
 * clock skew, and coordinators that live on a host (and die with it, or when told to). For the
 * transaction simulation and tests; not part of the public surface.
 */
import type { PeerId } from '../net/types.ts';
import type { ShardHost } from '../shard/host.ts';
import { SimCluster } from '../shard/sim-cluster.ts';
import type { Prng } from '../sim/prng.ts';
import { intents } from './intents.ts';
import { LocalTxnTransport } from './local-transport.ts';
import { IntentResolver } from './resolver.ts';
import { TxnCoordinator, type CoordinatorFaults } from './two-phase.ts';

export const TXN_GROUPS = [1, 2, 3];
export const TXN_RECORD = 4;
export const TXN_PEERS = ['p1', 'p2', 'p3', 'p4', 'p5'];

/** The group of a register key: FNV-1a over the three participant groups. */
export function groupOfKey(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return TXN_GROUPS[(h >>> 0) % TXN_GROUPS.length]!;
}

export interface TxnSimEnvOptions {
  readonly seed: number;
  /** Largest clock skew of a host, ms (each draws one in ±this). Default 100. */
  readonly skewMs?: number;
  /** Store syncs take [0, 3] virtual ms. Default false. */
  readonly syncDelay?: boolean;
  /** Resolver period, ms. Default 200. */
  readonly resolverPeriodMs?: number;
  /** PLANTED BUG: prepares skip the first-committer-wins check. */
  readonly plantSkipWriteCheck?: boolean;
}

export class TxnSimEnv {
  readonly c: SimCluster;
  readonly transport: LocalTxnTransport;
  readonly rnd: Prng;
  /** Peers cut off from the others (by {@link isolate}): requests to them are lost. */
  readonly isolated = new Set<string>();
  readonly resolvers = new Map<string, IntentResolver>();
  /** Intents the resolvers of crashed hosts recovered. */
  #recoveredBefore = 0;
  readonly #skew: Map<string, number>;
  readonly #period: number;

  constructor(o: TxnSimEnvOptions) {
    this.c = new SimCluster({
      seed: o.seed,
      groups: [...TXN_GROUPS, TXN_RECORD],
      delayMs: [1, 4],
      ...(o.syncDelay === true ? { syncDelayMs: [0, 3] as const } : {}),
      config: { raft: { tick_ms: 10, snapshot_threshold: 300 }, request_timeout_ms: 1_500, replication: { factor: 3 }, async_replicas: 2 },
    });
    this.rnd = this.c.prng.fork();
    const skew = o.skewMs ?? 100;
    this.#skew = new Map(TXN_PEERS.map((p) => [p, this.rnd.int(-skew, skew)]));
    this.#period = o.resolverPeriodMs ?? 200;
    const hop = this.c.prng.fork();
    this.transport = new LocalTxnTransport({
      hosts: () => this.c.hosts.values(),
      context: (h) => ({ now: this.hostNow(h.self), maxSkewMs: 500, timeoutMs: 1_500, plantSkipWriteCheck: o.plantSkipWriteCheck === true }),
      now: () => this.c.scheduler.now,
      sleep: this.sleep,
      hopMs: () => hop.int(1, 3),
      unreachable: (h) => this.isolated.has(h.self),
    });
  }

  readonly sleep = (ms: number): Promise<void> => new Promise((r) => this.c.scheduler.after(ms, r));

  /** A host's (skewed) wall clock. */
  hostNow(peer: string): () => number {
    const s = this.c.scheduler;
    const skew = this.#skew.get(peer) ?? 0;
    return () => s.now + skew;
  }

  /** startHost: starts (or restarts) `peer` and its intent resolver. */
  async startHost(peer: string, bootstrap = false): Promise<ShardHost> {
    const host = await this.c.start(peer, bootstrap);
    const s = this.c.scheduler;
    const r = new IntentResolver({
      host,
      groups: TXN_GROUPS,
      recordGroup: TXN_RECORD,
      transport: this.transport,
      now: this.hostNow(peer),
      after: (ms, fn) => {
        let live = true;
        s.after(ms, () => live && fn());
        return () => (live = false);
      },
      periodMs: this.#period,
      recordRetentionMs: 5_000,
    });
    this.resolvers.get(peer)?.stop();
    this.resolvers.set(peer, r);
    r.start();
    return host;
  }

  /** form: starts the five hosts and waits until every group has its 3 voters and 2 learners. */
  async form(): Promise<boolean> {
    await this.startHost('p1', true);
    for (const p of TXN_PEERS.slice(1)) await this.startHost(p);
    return this.c.until(
      () => [...TXN_GROUPS, TXN_RECORD].every((g) => [...this.c.hosts.values()].some((h) => h.isLeader(g) && h.raftStatus(g).conf.voters.length === 3 && h.raftStatus(g).conf.learners.length === 2)),
      30_000,
    );
  }

  crash(peer: string): void {
    const r = this.resolvers.get(peer);
    if (r !== undefined) this.#recoveredBefore += r.stats.recovered;
    r?.stop();
    this.resolvers.delete(peer);
    this.c.crash(peer);
  }

  isolate(peer: string): void {
    this.c.net.isolate(peer as PeerId);
    this.isolated.add(peer);
  }

  healAll(): void {
    this.c.net.healAll();
    this.isolated.clear();
  }

  /** Intents recovered by resolvers so far. */
  recovered(): number {
    let n = this.#recoveredBefore;
    for (const r of this.resolvers.values()) n += r.stats.recovered;
    return n;
  }

  /**
   * coordinator: a coordinator on `peer` (named `name`), alive while that host runs (the same
   * process: a restart does not revive it) and until `killed.dead` is set.
   */
  coordinator(peer: string, name: string, random: () => number, faults: CoordinatorFaults = {}, killed: { dead: boolean } = { dead: false }): TxnCoordinator {
    const host = this.c.hosts.get(peer as PeerId);
    return new TxnCoordinator(
      {
        transport: this.transport,
        recordGroup: TXN_RECORD,
        groupOfKey,
        now: this.hostNow(peer),
        sleep: this.sleep,
        random,
        name,
        alive: () => !killed.dead && host !== undefined && this.c.hosts.get(peer as PeerId) === host,
      },
      faults,
    );
  }

  /** The ready leader of `group`, if one runs. */
  leader(group: number): ShardHost | undefined {
    return [...this.c.hosts.values()].find((h) => h.isLeader(group));
  }

  /** converged: every group has a leader and every running replica applied its whole log. */
  converged(groups: readonly number[] = [...TXN_GROUPS, TXN_RECORD]): boolean {
    return groups.every((g) => {
      const l = this.leader(g);
      return l !== undefined && [...this.c.hosts.values()].every((h) => h.raftStatus(g).applied === l.raftStatus(g).lastIndex);
    });
  }

  /** describe: each group's leader and every running replica's applied / last index (for failure messages). */
  describe(groups: readonly number[] = [...TXN_GROUPS, TXN_RECORD]): string {
    return groups
      .map((g) => {
        const reps = [...this.c.hosts.values()].map((h) => {
          const st = h.raftStatus(g);
          return `${h.self}${h.isLeader(g) ? '*' : ''}:${st.applied}/${st.lastIndex}/${st.hardState.term}/${st.conf.voters.length}v${st.conf.learners.length}l`;
        });
        const prog = [...(this.leader(g)?.raftStatus(g).progress ?? new Map())].map(([id, p]) => `${id}=${p.state}:${p.match}/${p.next}${p.recentActive ? '' : '(inactive)'}`);
        return `group ${g}: ${reps.join(' ')} [${prog.join(' ')}]`;
      })
      .join('; ');
  }

  /** Intents the leaders of the participant groups hold, by group. */
  heldIntents(): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const g of TXN_GROUPS) {
      const l = this.leader(g);
      const held = l === undefined ? [] : intents(l.graph(g)).map((i) => i.txn);
      if (held.length > 0) out.set(g, held);
    }
    return out;
  }

  async close(): Promise<void> {
    for (const r of this.resolvers.values()) r.stop();
    for (const h of this.c.hosts.values()) await h.close();
  }
}
