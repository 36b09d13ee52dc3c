/**
 * Fault controls (HostFaults: pause, isolate, resume) and ShardHost.stepDown, on shard hosts over
 * the memory transport in virtual time (SimCluster): each test sets a cluster up, applies one
 * fault, and checks the Raft properties that must hold through it and after it.
 */
import { describe, expect, it } from 'vitest';
import type { PeerId } from '../net/types.ts';
import { virtualClock } from './clock.ts';
import { HostFaults } from './faults.ts';
import type { ShardHost } from './host.ts';
import { SimCluster } from './sim-cluster.ts';

const fast = { raft: { tick_ms: 10 }, request_timeout_ms: 3_000 };

function keys(c: SimCluster, peer: PeerId): number[] {
  const out: number[] = [];
  for (const n of c.host(peer).graph().nodesByLabel('N')) out.push(Number(n.props.get('k')));
  return out.sort((a, b) => a - b);
}

const term = (h: ShardHost): number => h.raftStatus().hardState.term;
const role = (h: ShardHost): string => h.raftStatus().softState.role;
const leaderOf = (h: ShardHost): PeerId | undefined => h.status().find((r) => r.self)?.leader;

async function write(c: SimCluster, via: ShardHost, from: number, to: number): Promise<void> {
  for (let k = from; k < to; k++) await c.value(via.query('CREATE (:N {k: $k})', { k: BigInt(k) }));
}

function allApplied(c: SimCluster): boolean {
  const idx = [...c.hosts.values()].map((h) => h.raftStatus().applied);
  return idx.every((i) => i === idx[0]);
}

describe('HostFaults', () => {
  it('holds the timers that come due while paused and fires each once, in order, on resume', async () => {
    const c = new SimCluster({ seed: 1 });
    const faults = new HostFaults();
    const clock = faults.clock(virtualClock(c.scheduler));
    const fired: string[] = [];
    clock.after(10, () => fired.push('a'));
    faults.pause();
    clock.after(20, () => fired.push('b'));
    clock.after(30, () => fired.push('c')).cancel();
    await c.run(100);
    expect(fired).toEqual([]);
    faults.resume();
    expect(fired).toEqual(['a', 'b']);
    clock.after(10, () => fired.push('d'));
    await c.run(100);
    expect(fired).toEqual(['a', 'b', 'd']);
  });

  it('a paused leader is replaced; resumed, it follows the new leader and has every acknowledged write', async () => {
    const c = new SimCluster({ seed: 21, config: fast });
    await c.form(3);
    const old = c.leader()!;
    await write(c, old, 0, 5);
    c.faults.get(old.self)!.pause();
    const others = [...c.hosts.values()].filter((h) => h !== old);
    expect(await c.until(() => others.some((h) => h.isLeader()), 5_000)).toBe(true);
    const next = others.find((h) => h.isLeader())!;
    await write(c, next, 5, 10);
    // Frozen: it still believes it leads the old term, and has heard nothing.
    expect(role(old)).toBe('leader');
    expect(term(old)).toBeLessThan(term(next));
    expect(c.faults.get(old.self)!.framesDropped).toBeGreaterThan(0);
    c.faults.get(old.self)!.resume();
    expect(await c.until(() => role(old) === 'follower' && leaderOf(old) === next.self && allApplied(c), 5_000)).toBe(true);
    for (const p of c.hosts.keys()) expect(keys(c, p)).toEqual([...Array(10).keys()]);
  });

  it('an isolated follower cannot raise the term (pre-vote) and, resumed, rejoins without an election', async () => {
    const c = new SimCluster({ seed: 22, config: fast });
    await c.form(3);
    const leader = c.leader()!;
    const t0 = term(leader);
    const follower = [...c.hosts.values()].find((h) => h !== leader)!;
    c.faults.get(follower.self)!.isolate();
    await write(c, leader, 0, 5);
    await c.run(3_000);
    expect(term(follower)).toBe(t0);
    expect(term(leader)).toBe(t0);
    expect(c.leader()).toBe(leader);
    expect(keys(c, follower.self)).toEqual([]);
    c.faults.get(follower.self)!.resume();
    expect(await c.until(() => allApplied(c) && keys(c, follower.self).length === 5, 5_000)).toBe(true);
    expect(term(leader)).toBe(t0);
    expect(c.leader()).toBe(leader);
  });

  it('an isolated leader steps down (check quorum) while the others elect a new one; resumed, it follows', async () => {
    const c = new SimCluster({ seed: 23, config: fast });
    await c.form(3);
    const old = c.leader()!;
    c.faults.get(old.self)!.isolate();
    expect(await c.until(() => role(old) !== 'leader', 5_000)).toBe(true);
    const others = [...c.hosts.values()].filter((h) => h !== old);
    expect(await c.until(() => others.some((h) => h.isLeader()), 5_000)).toBe(true);
    const next = others.find((h) => h.isLeader())!;
    await write(c, next, 0, 3);
    c.faults.get(old.self)!.resume();
    expect(await c.until(() => leaderOf(old) === next.self && allApplied(c), 5_000)).toBe(true);
    expect(keys(c, old.self)).toEqual([0, 1, 2]);
  });
});

describe('ShardHost.stepDown', () => {
  it('hands leadership to another healthy voter, which then leads; the old leader follows it', async () => {
    const c = new SimCluster({ seed: 31, config: fast });
    await c.form(3);
    const old = c.leader()!;
    await write(c, old, 0, 3);
    const to = await c.value(old.stepDown());
    expect(to).toBeDefined();
    expect(to).not.toBe(old.self);
    expect(await c.until(() => c.leader()?.self === to && leaderOf(old) === to, 2_000)).toBe(true);
    await write(c, c.host(to!), 3, 6);
    expect(await c.until(() => allApplied(c), 2_000)).toBe(true);
    expect(keys(c, old.self)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('picks a preferred voter over the others, and only an eligible one', async () => {
    const c = new SimCluster({ seed: 32, config: fast });
    await c.form(3);
    const leader = c.leader()!;
    const [a, b] = [...c.hosts.keys()].filter((p) => p !== leader.self).sort();
    expect(await c.value(leader.stepDown({ preferred: (p) => p === b }))).toBe(b);
    const now = c.host(b!);
    expect(await c.until(() => now.isLeader(), 2_000)).toBe(true);
    expect(await c.value(now.stepDown({ eligible: (p) => p === a }))).toBe(a);
  });

  it('does nothing when no voter is eligible, or on a follower: the leader keeps leading in the same term', async () => {
    const c = new SimCluster({ seed: 33, config: fast });
    await c.form(3);
    const leader = c.leader()!;
    const t0 = term(leader);
    expect(await c.value(leader.stepDown({ eligible: () => false }))).toBeUndefined();
    const follower = [...c.hosts.values()].find((h) => h !== leader)!;
    expect(await c.value(follower.stepDown())).toBeUndefined();
    await c.run(500);
    expect(c.leader()).toBe(leader);
    expect(term(leader)).toBe(t0);
  });

  it('skips a voter that is not healthy (a paused one) and hands over to a healthy one', async () => {
    const c = new SimCluster({ seed: 34, config: fast });
    await c.form(3);
    const leader = c.leader()!;
    const [a, b] = [...c.hosts.keys()].filter((p) => p !== leader.self).sort();
    c.faults.get(a!)!.pause();
    // The failure detector needs a few silent intervals before it calls the paused voter unhealthy.
    expect(await c.until(() => leader.status().find((r) => r.peer === a)?.health !== 'healthy', 10_000)).toBe(true);
    expect(await c.value(leader.stepDown({ preferred: (p) => p === a }))).toBe(b);
  });

  it('commands submitted on the leader while it hands over are applied once, by the next leader (not refused)', async () => {
    const c = new SimCluster({ seed: 35, config: fast });
    await c.form(3);
    const leader = c.leader()!;
    const handing = leader.stepDown();
    // The transfer is under way: a proposal now is dropped by Raft, and the host tries again on the new leader.
    expect(leader.raftStatus().softState.role).toBe('leader');
    const submitted = leader.submitCommands(0, [{ op: 'createNode', id: 900, labels: ['N'], props: [['k', 900n]] }]);
    await c.value(submitted);
    const to = await c.value(handing);
    expect(to).toBeDefined();
    expect(await c.until(() => allApplied(c), 5_000)).toBe(true);
    for (const peer of c.hosts.keys()) expect(keys(c, peer)).toEqual([900]);
  });
});
