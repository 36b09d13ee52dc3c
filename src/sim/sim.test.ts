import { describe, expect, it } from 'vitest';
import { Scheduler } from './clock.ts';
import { SimDisk } from './disk.ts';
import { KvStateMachine } from './kv.ts';
import { SimNetwork } from './network.ts';
import { Prng } from './prng.ts';
import { runSeed } from './scenario.ts';
import type { SeedOverrides } from './scenario.ts';
import type { Entry, LogIndex, NodeId, Term } from '../raft/index.ts';

/** runs seeds from 1 until the first violation; returns that seed or undefined. */
function firstFailingSeed(max: number, overrides: SeedOverrides): { seed: number; kind: string } | undefined {
  for (let seed = 1; seed <= max; seed++) {
    const r = runSeed(seed, overrides);
    if (r.violations.length > 0) return { seed, kind: r.violations[0]!.kind };
  }
  return undefined;
}

/**
 * The properties the simulator checks from the outside (what clients and logs show), as opposed to
 * `invariant` (an assertion of the core fired) and `liveness`.
 */
const checkedProperties: ReadonlySet<string> = new Set([
  'election-safety',
  'log-matching',
  'leader-completeness',
  'state-machine-safety',
  'acknowledged-write-lost',
  'linearizability',
]);

/**
 * firstCaughtSeed: runs seeds from 1 until one breaks a checked property (stops there), prints
 * that seed and the violation, and returns them.
 */
function firstCaughtSeed(bug: string, max: number, overrides: SeedOverrides): { seed: number; kind: string; message: string } | undefined {
  for (let seed = 1; seed <= max; seed++) {
    const r = runSeed(seed, overrides);
    const v = r.violations.find((x) => checkedProperties.has(x.kind));
    if (v === undefined) continue;
    const profile = overrides.profile !== undefined ? ` --profile ${overrides.profile}` : '';
    console.log(`planted bug ${bug}: caught at seed ${seed} by ${v.kind} (replay: npm run sim -- --seeds 1 --start ${seed}${profile} --bug ${bug} --trace)\n  ${v.message.split('\n')[0]}`);
    return { seed, kind: v.kind, message: v.message };
  }
  return undefined;
}

describe('simulated components', () => {
  it('the scheduler runs events in time order, ties in scheduling order', () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.at(5, () => seen.push('b'));
    s.at(1, () => seen.push('a'));
    s.at(5, () => seen.push('c'));
    s.at(9, () => seen.push('late'));
    s.runUntil(6);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(s.now).toBe(6);
  });

  it('the network loses messages across a partition, one-way cuts only one direction', () => {
    const s = new Scheduler();
    const got: string[] = [];
    const net = new SimNetwork<string>(s, new Prng(1), { dropRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: 3 }, (f, t, m) => got.push(`${f}>${t}:${m}`));
    net.partition([1], [2, 3]);
    net.blockOneWay(2, 3);
    net.send(1, 2, 'x');
    net.send(2, 1, 'y');
    net.send(2, 3, 'z');
    net.send(3, 2, 'w');
    s.runUntil(10);
    expect(got).toEqual(['3>2:w']);
    net.heal();
    net.send(1, 2, 'again');
    s.runUntil(20);
    expect(got).toContain('1>2:again');
  });

  it('the network drops and duplicates at about the configured rates, deterministically', () => {
    const run = (): number => {
      const s = new Scheduler();
      let n = 0;
      const net = new SimNetwork<number>(s, new Prng(9), { dropRate: 0.2, duplicateRate: 0.1, delayMinMs: 0, delayMaxMs: 20 }, () => n++);
      for (let i = 0; i < 5000; i++) net.send(1, 2, i);
      s.runUntil(100);
      return n;
    };
    const n = run();
    expect(n).toBe(run());
    // 80% arrive, 10% of those twice.
    expect(n / 5000).toBeGreaterThan(0.82);
    expect(n / 5000).toBeLessThan(0.94);
  });

  it('a crashed disk keeps only what was synced', () => {
    const disk = new SimDisk({ voters: [1 as NodeId], learners: [] });
    const e = (i: number, t: number): Entry => ({ index: i as LogIndex, term: t as Term, type: 'normal', data: new Uint8Array([i]) });
    disk.writeEntries([e(1, 1), e(2, 1)]);
    disk.writeHardState({ term: 1 as Term, vote: 1 as NodeId, commit: 1 as LogIndex });
    disk.sync();
    disk.writeEntries([e(3, 2)]);
    disk.writeHardState({ term: 2 as Term, vote: 1 as NodeId, commit: 2 as LogIndex });
    expect(disk.volatile.lastIndex()).toBe(3);
    disk.crash();
    expect(disk.volatile.lastIndex()).toBe(2);
    expect(disk.durableHardState().term).toBe(1);
  });

  it('the key-value machine applies a retried write once', () => {
    const kv = new KvStateMachine();
    expect(kv.apply(1, { c: 1, s: 1, op: 'append', k: 'a', v: 'x' })).toBe('applied');
    expect(kv.apply(2, { c: 1, s: 1, op: 'append', k: 'a', v: 'x' })).toBe('duplicate');
    expect(kv.get('a')).toBe('x');
    const copy = KvStateMachine.restore(kv.serialize());
    expect(copy.get('a')).toBe('x');
    expect(copy.apply(3, { c: 1, s: 1, op: 'append', k: 'a', v: 'x' })).toBe('duplicate');
  });
});

describe('simulator runs', () => {
  it('a seed replays identically', () => {
    const a = runSeed(17);
    const b = runSeed(17);
    expect(b.stats).toEqual(a.stats);
    expect(b.operationsChecked).toBe(a.operationsChecked);
    expect(b.faultsInjected).toBe(a.faultsInjected);
  });

  it('a failing seed comes with a readable trace when replayed with tracing', () => {
    const bug: SeedOverrides = { profile: 'churn', knobs: { voteTwicePerTerm: true } };
    const hit = firstFailingSeed(500, bug);
    expect(hit?.kind).toBe('election-safety');
    const r = runSeed(hit!.seed, { ...bug, trace: true, traceLines: 50 });
    expect(r.violations[0]?.kind).toBe('election-safety');
    expect(r.trace.length).toBeLessThanOrEqual(50);
    expect(r.trace.length).toBeGreaterThan(10);
    expect(r.trace.some((l) => /is leader in term/.test(l))).toBe(true);
  });

  it('churn: 300 seeds of mixed faults (crashes, power failures, partitions, loss, slow nodes and disks) keep every safety property, linearizability and liveness', () => {
    let ops = 0;
    let faults = 0;
    const failures: string[] = [];
    for (let seed = 1; seed <= 300; seed++) {
      const r = runSeed(seed);
      ops += r.operationsChecked;
      faults += r.faultsInjected;
      if (r.violations.length > 0) failures.push(`seed ${seed}: ${r.violations[0]!.kind}: ${r.violations[0]!.message}`);
      expect(r.linearizability).not.toBe('illegal');
    }
    expect(failures).toEqual([]);
    expect(ops).toBeGreaterThan(10_000);
    expect(faults).toBeGreaterThan(1_000);
  }, 120_000);

  it('150 seeds of membership changes (learners and voters, single step and joint) during faults keep every property', () => {
    const failures: string[] = [];
    let changes = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const r = runSeed(seed, { profile: 'membership' });
      changes += r.stats.membershipChanges;
      if (r.violations.length > 0) failures.push(`seed ${seed}: ${r.violations[0]!.kind}: ${r.violations[0]!.message}`);
    }
    expect(failures).toEqual([]);
    expect(changes).toBeGreaterThan(500);
  }, 60_000);

  it('Figure 8 (unreliable): 60 seeds of leader churn with 10% loss, 5% duplicates and 0–60 ms reordering delays keep every property', () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      const r = runSeed(seed, { profile: 'churn', network: { dropRate: 0.1, duplicateRate: 0.05, delayMinMs: 0, delayMaxMs: 60 } });
      if (r.violations.length > 0) failures.push(`seed ${seed}: ${r.violations[0]!.kind}: ${r.violations[0]!.message}`);
    }
    expect(failures).toEqual([]);
  }, 60_000);

  it('Figure 8 (reliable): 60 seeds of leader churn keep every property with the correct core', () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      const r = runSeed(seed, { profile: 'churn' });
      if (r.violations.length > 0) failures.push(`seed ${seed}: ${r.violations[0]!.kind}: ${r.violations[0]!.message}`);
    }
    expect(failures).toEqual([]);
  }, 60_000);
});

describe('the simulator catches planted bugs by its checks (test-only knobs, within 2,000 seeds)', () => {
  it('granting votes without the up-to-date log check (§5.4.1)', () => {
    const hit = firstCaughtSeed('grantVoteWithoutLogCheck', 2000, { profile: 'churn', knobs: { grantVoteWithoutLogCheck: true } });
    expect(hit).toBeDefined();
  }, 60_000);

  it('committing an entry of an earlier term by counting replicas (Figure 8)', () => {
    const hit = firstCaughtSeed('commitPriorTermByCounting', 2000, { profile: 'churn', knobs: { commitPriorTermByCounting: true } });
    expect(hit).toBeDefined();
    expect(['leader-completeness', 'state-machine-safety', 'log-matching', 'acknowledged-write-lost', 'linearizability']).toContain(hit!.kind);
  }, 60_000);

  it('applying (and acknowledging) before persisting, with crashes and power failures losing unsynced writes', () => {
    const hit = firstCaughtSeed('applyBeforePersist', 2000, { hostBugs: { applyBeforePersist: true } });
    expect(hit).toBeDefined();
    expect(['leader-completeness', 'state-machine-safety', 'acknowledged-write-lost', 'linearizability', 'election-safety']).toContain(hit!.kind);
  }, 60_000);

  it('voting twice in one term (election safety)', () => {
    const hit = firstCaughtSeed('voteTwicePerTerm', 2000, { knobs: { voteTwicePerTerm: true } });
    expect(hit?.kind).toBe('election-safety');
  }, 60_000);

  it('answering ReadIndex without confirming leadership (stale reads break linearizability)', () => {
    const hit = firstCaughtSeed('readIndexWithoutQuorum', 2000, { knobs: { readIndexWithoutQuorum: true } });
    expect(hit?.kind).toBe('linearizability');
  }, 60_000);
});
