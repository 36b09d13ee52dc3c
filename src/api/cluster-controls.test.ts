/**
 * The member controls behind `db.cluster.setVisible` and `stepDown`: a hidden leader hands over
 * to a visible tab or a Node peer (presence), never to another hidden tab, and keeps leading when
 * there is none. Shard hosts over the memory transport in virtual time, with a stub presence.
 */
import { describe, expect, it } from 'vitest';
import type { GeodePeer, PeerId, PresencePatch, PresenceState } from '../net/index.ts';
import { virtualClock } from '../shard/clock.ts';
import { SimCluster } from '../shard/sim-cluster.ts';
import { isGeodeError } from '../util/errors.ts';
import { hiddenLeaderCheckMs } from './cluster-handle.ts';
import { memberControls } from './cluster-controls.ts';

const fast = { raft: { tick_ms: 10 }, request_timeout_ms: 3_000 };

/** A presence table shared by every peer of the test (what each peer's transport would see). */
class StubPresence {
  readonly states = new Map<PeerId, PresenceState>();
  set(id: PeerId, kind: 'node' | 'tab', visible: boolean): void {
    this.states.set(id, { id, kind, visible, roles: [], shards: [] });
  }
  peer(self: PeerId): GeodePeer {
    return {
      self,
      presence: () => [...this.states.values()],
      setPresence: (p: PresencePatch) => {
        const s = this.states.get(self)!;
        this.states.set(self, { ...s, ...(p.visible === undefined ? {} : { visible: p.visible }) });
      },
    } as unknown as GeodePeer;
  }
}

async function cluster(seed: number, kinds: readonly ('node' | 'tab')[]) {
  const c = new SimCluster({ seed, config: fast });
  await c.form(kinds.length);
  const presence = new StubPresence();
  [...c.hosts.keys()].sort().forEach((p, i) => presence.set(p, kinds[i]!, true));
  const controls = (peer: PeerId) => memberControls({ host: c.host(peer), transport: presence.peer(peer), faults: c.faults.get(peer)!, clock: virtualClock(c.scheduler) });
  return { c, presence, controls };
}

describe('a hidden leader', () => {
  it('hands its leadership to a visible tab, not to a hidden one, and announces itself hidden', async () => {
    const { c, presence, controls } = await cluster(41, ['tab', 'tab', 'tab']);
    const leader = c.leader()!;
    const [hidden, visible] = [...c.hosts.keys()].filter((p) => p !== leader.self).sort();
    presence.set(hidden!, 'tab', false);
    await c.value(controls(leader.self).setVisible(false));
    expect(presence.states.get(leader.self)!.visible).toBe(false);
    expect(await c.until(() => c.leader()?.self === visible, 2_000)).toBe(true);
  });

  it('hands over to a Node peer even when every other tab is hidden', async () => {
    const { c, presence, controls } = await cluster(42, ['tab', 'node', 'tab']);
    const leader = c.leader()!;
    const node = [...presence.states.values()].find((s) => s.kind === 'node')!.id;
    for (const s of [...presence.states.values()]) if (s.kind === 'tab') presence.set(s.id, 'tab', false);
    if (leader.self === node) {
      // The Node peer leads already: a hidden tab has nothing to hand over.
      const tab = [...c.hosts.keys()].find((p) => p !== node)!;
      await c.value(controls(tab).setVisible(false));
      await c.run(3 * hiddenLeaderCheckMs);
      expect(c.leader()?.self).toBe(node);
      return;
    }
    await c.value(controls(leader.self).setVisible(false));
    expect(await c.until(() => c.leader()?.self === node, 2_000)).toBe(true);
  });

  it('keeps leading, in the same term, while no visible tab or Node peer can take over', async () => {
    const { c, presence, controls } = await cluster(43, ['tab', 'tab', 'tab']);
    const leader = c.leader()!;
    const t0 = leader.raftStatus().hardState.term;
    for (const p of c.hosts.keys()) if (p !== leader.self) presence.set(p, 'tab', false);
    await c.value(controls(leader.self).setVisible(false));
    await c.run(5 * hiddenLeaderCheckMs);
    expect(c.leader()).toBe(leader);
    expect(leader.raftStatus().hardState.term).toBe(t0);
  });

  it('hands over later, at its next check, once a visible tab appears', async () => {
    const { c, presence, controls } = await cluster(44, ['tab', 'tab', 'tab']);
    const leader = c.leader()!;
    const others = [...c.hosts.keys()].filter((p) => p !== leader.self).sort();
    for (const p of others) presence.set(p, 'tab', false);
    await c.value(controls(leader.self).setVisible(false));
    await c.run(2 * hiddenLeaderCheckMs);
    expect(c.leader()).toBe(leader);
    presence.set(others[1]!, 'tab', true);
    expect(await c.until(() => c.leader()?.self === others[1], 3 * hiddenLeaderCheckMs)).toBe(true);
  });
});

describe('the member controls', () => {
  it('stepDown prefers a visible tab over a hidden one', async () => {
    const { c, presence, controls } = await cluster(45, ['tab', 'tab', 'tab']);
    const leader = c.leader()!;
    const [a, b] = [...c.hosts.keys()].filter((p) => p !== leader.self).sort();
    presence.set(a!, 'tab', false);
    expect(await c.value(controls(leader.self).stepDown())).toBe(b);
  });

  it('pause, isolate and resume set the fault mode; setVisible refuses a non-boolean with INPUT_INVALID', async () => {
    const { c, controls } = await cluster(46, ['tab', 'tab', 'tab']);
    const ctl = controls([...c.hosts.keys()][0]!);
    expect(ctl.fault()).toBe('none');
    ctl.pause();
    expect(ctl.fault()).toBe('paused');
    ctl.isolate();
    expect(ctl.fault()).toBe('isolated');
    ctl.resume();
    expect(ctl.fault()).toBe('none');
    let err: unknown;
    try {
      await ctl.setVisible('no' as unknown as boolean);
    } catch (e) {
      err = e;
    }
    expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
  });
});
