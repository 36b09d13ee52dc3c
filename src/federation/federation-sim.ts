/**
 * A seeded simulation of federation: three clusters (us, eu, ap) each running a
 * {@link FederationReplicator}, linked in a topology drawn from the seed (a one-way ring
 * us → eu → ap → us, a two-way chain us ↔ eu ↔ ap, or all pairs both ways), over a network that
 * delays, drops, repeats and reorders messages, while links are cut and healed, clusters stop for a
 * while (as a cluster that lost its quorum: its state is durable), clusters crash (their volatile
 * state lost: batches in flight, acknowledgements, positions merged but not durable, the clock's
 * state) and restart from their durable state, and every cluster's clock is skewed. Writers in every cluster make concurrent, conflicting changes to a small graph (node
 * existence, labels, properties, edges, edge properties).
 *
 * After the faults stop and the streams drain, the checks: every cluster holds the same graph;
 * it is the graph the last-write-wins merge of every change gives (each value the winner by
 * (HLC, cluster id)); every cluster accepted every change exactly once (no loop, no double apply).
 */
import { Scheduler } from '../sim/clock.ts';
import { Prng } from '../sim/prng.ts';
import { HybridClock } from '../txn/hlc.ts';
import { LwwGraph, type GraphChange } from './lww-graph.ts';
import { FederationReplicator, type FederationMessage, type UnstampedChange } from './replicator.ts';

export type Topology = 'ring' | 'chain' | 'mesh';

/** What one seed's run did and found. */
export interface FederationSimReport {
  readonly seed: number;
  readonly topology: Topology;
  readonly changes: number;
  readonly messages: number;
  readonly dropped: number;
  readonly cuts: number;
  readonly pauses: number;
  readonly crashes: number;
  readonly lagWarnings: number;
  readonly violations: readonly string[];
}

const CLUSTERS: readonly string[] = ['us', 'eu', 'ap'];

function topologyLinks(t: Topology): Map<string, { links: string[]; upstreams: string[] }> {
  const out = new Map<string, { links: string[]; upstreams: string[] }>(CLUSTERS.map((c) => [c, { links: [], upstreams: [] }]));
  const link = (a: string, b: string): void => {
    out.get(a)!.links.push(b);
    out.get(b)!.upstreams.push(a);
  };
  if (t === 'ring') {
    link('us', 'eu');
    link('eu', 'ap');
    link('ap', 'us');
  } else if (t === 'chain') {
    for (const [a, b] of [['us', 'eu'], ['eu', 'ap']] as const) {
      link(a, b);
      link(b, a);
    }
  } else {
    for (const a of CLUSTERS) for (const b of CLUSTERS) if (a !== b) link(a, b);
  }
  return out;
}

function state(g: LwwGraph): string {
  return JSON.stringify({ nodes: g.nodes(), edges: g.edges() }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** runFederationSim: one seeded run; `durationMs` of virtual time with writes and faults. */
export function runFederationSim(seed: number, durationMs = 5_000, options: { readonly acceptGaps?: boolean; readonly compactVolatile?: boolean } = {}): FederationSimReport {
  const rnd = new Prng(seed);
  const s = new Scheduler();
  const topology = rnd.pick(['ring', 'chain', 'mesh'] as const);
  const links = topologyLinks(topology);
  const skew = new Map(CLUSTERS.map((c) => [c, rnd.int(-200, 200)]));
  const clockOf = (c: string): HybridClock => new HybridClock(() => s.now + skew.get(c)!, 500);
  const reps = new Map(
    CLUSTERS.map((c) => [
      c,
      new FederationReplicator({
        self: c,
        links: links.get(c)!.links,
        upstreams: links.get(c)!.upstreams,
        clock: clockOf(c),
        lagThresholdMs: 1_000,
        resendMs: 100,
        batchMax: 32,
        cursorPersistEvery: 16,
        acceptGaps: options.acceptGaps === true,
        compactVolatile: options.compactVolatile === true,
      }),
    ]),
  );
  /** Clusters not running: stopped (state kept) or crashed (volatile state lost); nothing arrives, nothing is written. */
  const paused = new Set<string>();
  const crashed = new Set<string>();
  const cut = new Set<string>();
  const all: GraphChange[] = [];
  const violations: string[] = [];
  let messages = 0;
  let dropped = 0;
  let cuts = 0;
  let pauses = 0;
  let crashes = 0;
  let lossy = true;
  const end = durationMs;

  const deliver = (m: FederationMessage): void => {
    messages++;
    const copies = lossy && rnd.chance(0.05) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (cut.has(`${m.from}>${m.to}`) || (lossy && rnd.chance(0.1))) {
        dropped++;
        continue;
      }
      s.after(rnd.int(1, lossy ? 40 : 5), () => {
        if (paused.has(m.to) || cut.has(`${m.from}>${m.to}`)) {
          dropped++;
          return;
        }
        for (const reply of reps.get(m.to)!.receive(m, s.now)) deliver(reply);
      });
    }
  };

  for (const c of CLUSTERS) {
    const r = reps.get(c)!;
    const tick = (): void => {
      if (!paused.has(c)) for (const m of r.poll(s.now)) deliver(m);
      s.after(10, tick);
    };
    s.after(rnd.int(1, 10), tick);
    // A writer: conflicting changes on a few nodes and edges.
    const my = rnd.fork();
    const write = (): void => {
      if (s.now >= end) return;
      if (!paused.has(c)) {
        const id = `n${my.int(1, 4)}`;
        const roll = my.next();
        const change: UnstampedChange =
          roll < 0.2
            ? { kind: 'node', id, exists: my.chance(0.75) }
            : roll < 0.35
              ? { kind: 'label', id, label: my.pick(['A', 'B']), present: my.chance(0.7) }
              : roll < 0.7
                ? { kind: 'prop', id, key: my.pick(['x', 'y']), value: my.chance(0.15) ? null : `${c}${my.int(0, 99)}` }
                : roll < 0.85
                  ? { kind: 'edge', id: `e${my.int(1, 3)}`, type: 'R', src: `n${my.int(1, 4)}`, dst: `n${my.int(1, 4)}`, exists: my.chance(0.75) }
                  : { kind: 'edgeProp', id: `e${my.int(1, 3)}`, key: 'w', value: BigInt(my.int(0, 9)) };
        all.push(r.write(change, s.now));
      }
      s.after(my.int(5, 60), write);
    };
    s.after(my.int(1, 30), write);
  }

  const restart = (c: string): void => {
    if (!crashed.delete(c)) return;
    paused.delete(c);
    reps.get(c)!.restart(clockOf(c));
  };
  // Nemesis: cut and heal links, pause and resume clusters, crash and restart them.
  const nem = rnd.fork();
  const nemesis = (): void => {
    if (s.now >= end) return;
    const roll = nem.next();
    if (roll < 0.35) {
      const a = nem.pick([...CLUSTERS]);
      const b = nem.pick(CLUSTERS.filter((x) => x !== a));
      cut.add(`${a}>${b}`);
      cuts++;
      s.after(nem.int(200, 2_000), () => cut.delete(`${a}>${b}`));
    } else if (roll < 0.55) {
      const c = nem.pick([...CLUSTERS]);
      if (!paused.has(c)) {
        paused.add(c);
        pauses++;
        s.after(nem.int(100, 1_500), () => {
          if (!crashed.has(c)) paused.delete(c);
        });
      }
    } else if (roll < 0.7) {
      const c = nem.pick([...CLUSTERS]);
      if (!crashed.has(c)) {
        paused.add(c);
        crashed.add(c);
        reps.get(c)!.crash();
        crashes++;
        s.after(nem.int(50, 1_500), () => restart(c));
      }
    }
    s.after(nem.int(200, 800), nemesis);
  };
  s.after(100, nemesis);

  s.runUntil(end);
  // Quiescence: faults off, streams drain.
  lossy = false;
  s.runUntil(end + 3_000);
  cut.clear();
  for (const c of [...crashed]) restart(c);
  paused.clear();
  const drained = (): boolean => [...reps.values()].every((r) => r.lag(s.now).every((l) => l.changesBehind === 0));
  s.runUntil(end + 120_000, drained);
  if (!drained()) violations.push(`seed ${seed} (${topology}): the streams did not drain after the faults stopped`);
  s.runUntil(s.now + 200); // acks in flight land

  const reference = new LwwGraph();
  for (const ch of all) reference.apply(ch);
  const want = state(reference);
  for (const [c, r] of reps) {
    const got = state(r.graph);
    if (got !== want) violations.push(`seed ${seed} (${topology}): ${c} holds ${got}, the merge of every change is ${want}`);
    if (r.streamLength !== all.length) violations.push(`seed ${seed} (${topology}): ${c} accepted ${r.streamLength} changes, ${all.length} were made`);
  }
  const lagWarnings = [...reps.values()].reduce((n, r) => n + r.events.filter((e) => e.kind === 'lagging').length, 0);
  return { seed, topology, changes: all.length, messages, dropped, cuts, pauses, crashes, lagWarnings, violations };
}
