/**
 * db.cluster's fault and placement controls on real peers: three Node peers in this process
 * (memory storage, loopback, through a relay), opened with `openGeode({ cluster })`. stepDown hands
 * leadership over; a cut-off follower misses writes and catches up on resume without a new term; a
 * paused leader is replaced and follows the new leader once resumed; a hidden leader hands over and
 * the others see it hidden; a client has none of these. Node peers tick from timers, not a Worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeode, type Geode } from '../../src/node.ts';
import { isGeodeError } from '../../src/util/errors.ts';
import { startThreePeers, until, write, type ThreePeers } from './in-process-helpers.ts';

const CLUSTER = { id: 'fault-controls-test', secret: 'fault-controls-secret' };
let cluster: ThreePeers;
const peers: Geode[] = [];
let relays: string[] = [];

const leader = (): Geode | undefined => peers.find((p) => p.cluster!.isLeader());
const term = (db: Geode): number => db.cluster!.status().find((r) => r.self)!.term;
const leaderId = (db: Geode): string | undefined => db.cluster!.status().find((r) => r.self)!.leader;
const count = async (db: Geode, name: string): Promise<bigint> =>
  (await db.query('MATCH (n:F {name: $name}) RETURN count(n) AS c', { name }, { readQuorum: 1 })).rows[0]!['c'] as bigint;

/** Every peer follows one leader, which all agree on. */
async function settled(): Promise<Geode> {
  await until('one leader all agree on', () => {
    const l = leader();
    return l !== undefined && peers.every((p) => leaderId(p) === l.cluster!.self);
  });
  return leader()!;
}

beforeAll(async () => {
  cluster = await startThreePeers(CLUSTER);
  relays = cluster.relays;
  peers.push(...cluster.peers);
}, 60_000);

afterAll(() => cluster?.close(), 30_000);

describe('db.cluster fault and placement controls', () => {
  it('Node peers tick from timers (a Worker clock is for browser tabs)', () => {
    for (const p of peers) expect(p.cluster!.tickSource()).toBe('timers');
  });

  it('stepDown hands leadership to another voter, which every peer then follows; on a follower it does nothing', async () => {
    const old = await settled();
    const follower = peers.find((p) => p !== old)!;
    expect(await follower.cluster!.stepDown()).toBeUndefined();
    // Raft abandons a transfer the target does not finish within an election timeout (the old
    // leader keeps leading and stepDown answers undefined); on a loaded machine timers run late,
    // so a hand-off gets three tries. Each must leave one leader, never none for long.
    let to: string | undefined;
    for (let attempt = 0; attempt < 3 && to === undefined; attempt++) {
      const from = await settled();
      to = await from.cluster!.stepDown();
      if (to !== undefined) expect(to).not.toBe(from.cluster!.self);
    }
    expect(to).toBeDefined();
    await until('every peer to follow the new leader', () => peers.every((p) => leaderId(p) === to));
  }, 45_000);

  it('a cut-off follower misses writes without disturbing the leader, and on resume catches up in the same term', async () => {
    const l = await settled();
    const t0 = term(l);
    const cut = peers.find((p) => p !== l)!;
    cut.cluster!.isolate();
    expect(cut.cluster!.fault()).toBe('isolated');
    await write(l, 'CREATE (:F {name: $name})', { name: 'while-cut' });
    expect(await count(cut, 'while-cut')).toBe(0n);
    cut.cluster!.resume();
    expect(cut.cluster!.fault()).toBe('none');
    await until('the cut-off follower to catch up', async () => (await count(cut, 'while-cut')) === 1n);
    expect(term(l)).toBe(t0);
    expect(l.cluster!.isLeader()).toBe(true);
  }, 30_000);

  it('a paused leader is replaced; resumed, it follows the new leader and has the writes made meanwhile', async () => {
    const paused = await settled();
    paused.cluster!.pause();
    const rest = peers.filter((p) => p !== paused);
    await until('a new leader among the others', () => rest.some((p) => p.cluster!.isLeader()));
    const next = rest.find((p) => p.cluster!.isLeader())!;
    await write(next, 'CREATE (:F {name: $name})', { name: 'while-paused' });
    paused.cluster!.resume();
    await until('the resumed peer to follow with the write', async () => leaderId(paused) === next.cluster!.self && (await count(paused, 'while-paused')) === 1n);
  }, 30_000);

  it('a hidden leader announces it and hands over to a visible peer; visible again, it stays a follower', async () => {
    const hidden = await settled();
    await hidden.cluster!.setVisible(false);
    expect(hidden.cluster!.visible()).toBe(false);
    await until('another peer to lead', () => {
      const l = leader();
      return l !== undefined && l !== hidden && leaderId(hidden) === l.cluster!.self;
    });
    const other = peers.find((p) => p !== hidden)!;
    await until('the others to see it hidden', () => other.cluster!.transport.presence().find((s) => s.id === hidden.cluster!.self)?.visible === false);
    await hidden.cluster!.setVisible(true);
    expect(hidden.cluster!.isLeader()).toBe(false);
  }, 30_000);

  it('a client has no replica to pause or cut off (CONFIG_INVALID) and nothing to step down', async () => {
    const client = await openGeode({ cluster: { ...CLUSTER, relays, client: true } });
    try {
      expect(await client.cluster!.stepDown()).toBeUndefined();
      for (const f of [() => client.cluster!.pause(), () => client.cluster!.isolate()]) {
        let err: unknown;
        try {
          f();
        } catch (e) {
          err = e;
        }
        expect(isGeodeError(err, 'CONFIG_INVALID')).toBe(true);
      }
      expect(client.cluster!.fault()).toBe('none');
    } finally {
      await client.close();
    }
  }, 30_000);
});
