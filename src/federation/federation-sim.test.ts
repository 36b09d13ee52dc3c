import { describe, expect, it } from 'vitest';
import { HybridClock } from '../txn/hlc.ts';
import { runFederationSim, type Topology } from './federation-sim.ts';
import { FederationReplicator, type FederationMessage } from './replicator.ts';

const seeds = Number(process.env['FEDERATION_SIM_SEEDS'] ?? 2_000);

describe('seeded federation simulation (3 clusters; ring, chain, mesh; cuts, pauses, crashes, loss, repeats, skew)', () => {
  it(`${seeds} seeds: identical graphs, every value the LWW winner, every change accepted once`, () => {
    const topologies = new Set<Topology>();
    let changes = 0;
    let warnings = 0;
    let crashes = 0;
    for (let s = 1; s <= seeds; s++) {
      const r = runFederationSim(s);
      expect(r.violations, `seed ${s}`).toEqual([]);
      topologies.add(r.topology);
      changes += r.changes;
      warnings += r.lagWarnings;
      crashes += r.crashes;
    }
    expect(crashes).toBeGreaterThan(seeds);
    expect([...topologies].sort()).toEqual(['chain', 'mesh', 'ring']);
    expect(changes).toBeGreaterThan(seeds * 100);
    expect(warnings).toBeGreaterThan(0);
  }, 300_000);

  it('catches a planted bug: a receiver that accepts a batch past a gap loses changes', () => {
    let found: string | undefined;
    for (let s = 1; s <= 50 && found === undefined; s++) found = runFederationSim(s, 5_000, { acceptGaps: true }).violations[0];
    expect(found).toMatch(/holds|accepted/);
  });

  it('catches a planted bug: a sender that drops changes acknowledged but not yet durable stalls a crashed receiver', () => {
    let found: string | undefined;
    for (let s = 1; s <= 50 && found === undefined; s++) found = runFederationSim(s, 5_000, { compactVolatile: true }).violations[0];
    expect(found).toMatch(/did not drain|holds|accepted/);
  });
});

describe('FederationReplicator', () => {
  it('reports a cut link as lagging past the threshold, and caught up once it heals', () => {
    let now = 0;
    const us = new FederationReplicator({ self: 'us', links: ['eu'], clock: new HybridClock(() => now), lagThresholdMs: 5_000 });
    const eu = new FederationReplicator({ self: 'eu', links: ['us'], clock: new HybridClock(() => now), lagThresholdMs: 5_000 });
    us.write({ kind: 'node', id: 'n', exists: true }, now);
    for (now = 0; now <= 6_000; now += 100) us.poll(now); // the link is cut: nothing arrives
    expect(us.lag(now)[0]).toMatchObject({ link: 'eu', changesBehind: 1 });
    expect(us.lag(now)[0]!.msBehind).toBeGreaterThan(5_000);
    expect(us.events).toEqual([expect.objectContaining({ link: 'eu', kind: 'lagging' })]);
    // Healed: the next resend arrives, the ack comes back.
    now += 300;
    const send = (ms: FederationMessage[]): void => {
      for (const m of ms) for (const reply of (m.to === 'eu' ? eu : us).receive(m, now)) send([reply]);
    };
    send(us.poll(now));
    us.poll(now);
    expect(us.lag(now)[0]).toMatchObject({ changesBehind: 0, msBehind: 0 });
    expect(us.events.map((e) => e.kind)).toEqual(['lagging', 'caught-up']);
    expect(eu.graph.nodes().map((n) => n.id)).toEqual(['n']);
    expect(us.retained).toBe(0);
  });

  it('refuses to federate with itself, naming the key', () => {
    expect(() => new FederationReplicator({ self: 'us', links: ['us'], clock: new HybridClock(() => 0) })).toThrow(/federation\.peers/);
  });
});
