/**
 * Draws a run's options from its seed (cluster size, fault rates, partitions, crash frequency,
 * skewed ticks, slow disks and nodes, workload), and runs one seed.
 */

import type { RaftTestingKnobs } from '../raft/index.ts';
import { Cluster } from './cluster.ts';
import type { RunResult, SimOptions } from './cluster.ts';
import { Prng } from './prng.ts';

/**
 * Profile: `default` mixes every fault (and, on some seeds, membership changes); `churn` is
 * Figure 8 style leader churn: 5 nodes, one entry per MsgApp, no message loss, and leaders crash
 * (losing what they had on the wire) right after being elected or after advancing their commit
 * index, so logs diverge across many short terms; `membership` is `default` with membership
 * changes on every seed, more often, and two spare nodes to add.
 */
export type Profile = 'default' | 'churn' | 'membership';

/** profiles: every profile, for command lines. */
export const profiles: readonly Profile[] = ['default', 'churn', 'membership'];

/** SeedOverrides: what a test or the CLI sets on top of the seed's draws. */
export interface SeedOverrides {
  readonly profile?: Profile;
  readonly knobs?: RaftTestingKnobs;
  readonly hostBugs?: SimOptions['hostBugs'];
  readonly trace?: boolean;
  readonly traceLines?: number;
  readonly checkBudgetMs?: number;
  /** Network fault rates replacing the seed's draws (e.g. an unreliable `churn`). */
  readonly network?: Partial<SimOptions['network']>;
}

/** drawOptions: the options of seed `seed`. A pure function of its arguments. */
export function drawOptions(seed: number, overrides: SeedOverrides = {}): SimOptions {
  const rng = new Prng(seed ^ 0x5eed);
  const profile = overrides.profile ?? 'default';
  const churn = profile === 'churn';
  const members = profile === 'membership';
  const nodes = churn ? 5 : rng.chance(0.5) ? 3 : 5;
  const tickMs: number[] = [];
  const syncLatencyMs: number[] = [];
  for (let i = 0; i < nodes; i++) {
    // Skewed tick rates: most nodes near 10 ms, some slow or fast.
    tickMs.push(rng.chance(0.7) ? 10 : rng.int(8, 14));
    syncLatencyMs.push(rng.chance(0.3) ? 0 : rng.int(1, rng.chance(0.2) ? 12 : 4));
  }
  const net = {
    dropRate: churn ? 0 : rng.chance(0.3) ? 0 : rng.float(0, 0.1),
    duplicateRate: rng.chance(0.5) ? 0 : rng.float(0, 0.05),
    delayMinMs: rng.int(0, 3),
    delayMaxMs: rng.int(4, churn || rng.chance(0.2) ? 40 : 15),
  };
  const slow = rng.chance(0.2) ? { id: rng.int(1, nodes), extraMs: rng.int(10, 60) } : undefined;
  const crashes = churn
    ? undefined // churn: the leader-kill process below is the only crash source
    : rng.chance(0.75)
      ? { meanIntervalMs: rng.int(300, 2000), downMinMs: 30, downMaxMs: rng.int(100, 900), leaderBias: rng.float(0, 0.7), maxDown: rng.chance(0.8) ? Math.floor(nodes / 2) : nodes }
      : undefined;
  const partitions = churn
    ? undefined
    : rng.chance(0.75)
      ? { meanIntervalMs: rng.int(300, 1500), durMinMs: 50, durMaxMs: rng.int(150, 900), oneWayRate: rng.float(0, 0.5), leaderBias: rng.float(0, 0.8) }
      : undefined;
  const base = {
    seed,
    nodes,
    faultPhaseMs: rng.int(2000, 4000),
    livenessBoundMs: 5000,
    network: net,
    tickMs,
    syncLatencyMs,
    ...(slow !== undefined ? { slowNode: slow } : {}),
    ...(crashes !== undefined ? { crashes } : {}),
    ...(partitions !== undefined ? { partitions } : {}),
    ...(churn ? { leaderKill: { chance: 0.8, commitChance: 1, delayMaxMs: rng.int(5, 10), downMinMs: 50, downMaxMs: 400 } } : {}),
    clients: rng.int(2, 5),
    keys: rng.int(1, 3),
    thinkMaxMs: rng.int(0, 30),
    attemptTimeoutMs: rng.int(100, 300),
    giveUpMs: rng.int(800, 2000),
    appendRate: rng.chance(0.5) ? 0 : rng.float(0, 0.5),
    snapshotThreshold: rng.chance(0.5) ? rng.int(20, 100) : 10_000,
    maxEntriesPerRequest: churn ? 1 : rng.chance(0.5) ? 100 : rng.int(1, 8),
  };
  // Draws added later come last, so the draws above stay what they were for every seed.
  // Slow disks: an fsync takes longer than a message (as on spinning disks or busy SSDs).
  if (rng.chance(0.25)) for (let i = 0; i < nodes; i++) syncLatencyMs[i] = rng.int(5, 25);
  // Power failures: the whole group goes down at once.
  const power = rng.chance(churn ? 0.5 : 0.3)
    ? { meanIntervalMs: rng.int(800, 3000), downMinMs: 10, downMaxMs: rng.int(50, 400), afterCommitChance: rng.float(0, 0.03), afterCommitMaxMs: rng.int(0, 6) }
    : undefined;
  // Membership changes while the faults go on: always in `membership`, on some seeds in `default`.
  const membership = members || (!churn && rng.chance(0.3))
    ? {
        meanIntervalMs: members ? rng.int(100, 400) : rng.int(300, 1200),
        jointRate: rng.float(0.1, 0.5),
        explicitLeaveRate: rng.float(0, 0.5),
        votersMin: rng.int(2, 3),
        votersMax: rng.int(3, 6),
      }
    : undefined;
  const spares = membership === undefined ? 0 : members ? 2 : rng.int(0, 2);
  for (let i = 0; i < spares; i++) {
    tickMs.push(rng.chance(0.7) ? 10 : rng.int(8, 14));
    syncLatencyMs.push(rng.chance(0.3) ? 0 : rng.int(1, 4));
  }
  if (overrides.network !== undefined) base.network = { ...base.network, ...overrides.network };
  return {
    ...base,
    ...(power !== undefined ? { powerFailures: power } : {}),
    ...(membership !== undefined ? { membership, spares } : {}),
    ...(overrides.knobs !== undefined ? { knobs: overrides.knobs } : {}),
    ...(overrides.hostBugs !== undefined ? { hostBugs: overrides.hostBugs } : {}),
    ...(overrides.trace !== undefined ? { trace: overrides.trace } : {}),
    ...(overrides.traceLines !== undefined ? { traceLines: overrides.traceLines } : {}),
    ...(overrides.checkBudgetMs !== undefined ? { checkBudgetMs: overrides.checkBudgetMs } : {}),
  };
}

/** runSeed: simulates seed `seed` and checks it. Deterministic: the same seed gives the same result. */
export function runSeed(seed: number, overrides: SeedOverrides = {}): RunResult {
  return new Cluster(drawOptions(seed, overrides)).run();
}

/** describeOptions: one line summing up a seed's draws, for reports. */
export function describeOptions(o: SimOptions): string {
  const parts = [
    `${o.nodes} nodes`,
    `${o.faultPhaseMs}ms of faults`,
    `drop ${(o.network.dropRate * 100).toFixed(1)}%`,
    `dup ${(o.network.duplicateRate * 100).toFixed(1)}%`,
    `delay ${o.network.delayMinMs}-${o.network.delayMaxMs}ms`,
    `ticks ${o.tickMs.join('/')}ms`,
    `fsync ${o.syncLatencyMs.join('/')}ms`,
    o.crashes !== undefined ? `crash every ~${o.crashes.meanIntervalMs}ms` : 'no crashes',
    o.partitions !== undefined ? `partition every ~${o.partitions.meanIntervalMs}ms` : 'no partitions',
    o.powerFailures !== undefined ? `power fails every ~${o.powerFailures.meanIntervalMs}ms` : '',
    o.slowNode !== undefined ? `node ${o.slowNode.id} slow +${o.slowNode.extraMs}ms` : '',
    o.membership !== undefined ? `membership change every ~${o.membership.meanIntervalMs}ms (${o.spares ?? 0} spare nodes, ${o.membership.votersMin}-${o.membership.votersMax} voters)` : '',
    `${o.clients} clients on ${o.keys} keys`,
    `snapshot every ${o.snapshotThreshold}`,
  ];
  return parts.filter((p) => p !== '').join(', ');
}
