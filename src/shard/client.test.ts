import { describe, expect, it } from 'vitest';
import type { ProcedureDefinition } from '../query/index.ts';
import { isGeodeError } from '../util/errors.ts';
import { SimCluster } from './sim-cluster.ts';

const fast = { raft: { tick_ms: 10 }, request_timeout_ms: 3_000 };

/** A procedure that names the host it ran on, to see where a CALL executed. */
function whoAmI(self: string): ProcedureDefinition {
  return {
    name: 'test.whoAmI',
    description: 'the peer this ran on',
    inputs: [],
    outputs: [{ name: 'peer', type: 'STRING' }],
    run: () => [[self]],
  } as ProcedureDefinition;
}

describe('ShardClient', () => {
  it('writes and reads through members and is never made a member, even with room for learners', async () => {
    const c = new SimCluster({ seed: 21, config: fast });
    await c.form(3);
    const client = c.client('client-1');
    for (let i = 0; i < 5; i++) {
      const w = await c.value(client.query('CREATE (:N {k: $k})', { k: BigInt(i) }));
      expect(w.writes).toBe(1);
    }
    const r = await c.value(client.query('MATCH (n:N) RETURN count(n) AS c'));
    expect(r.rows).toEqual([{ c: 5n }]);
    await c.run(1_000); // ten membership checks
    const conf = c.leader()!.raftStatus().conf;
    expect(conf.voters.length + conf.learners.length).toBe(3);
    const local = await c.value(client.query('MATCH (n:N) RETURN count(n) AS c', {}, { readQuorum: 1 }));
    expect(local.rows[0]!['c']).toBeLessThanOrEqual(5n);
  });

  it('keeps answering after the member it used crashes (reads retried on another member)', async () => {
    const c = new SimCluster({ seed: 22, config: fast });
    await c.form(3);
    const client = c.client('client-1');
    await c.value(client.query('CREATE (:N {k: 1})'));
    const first = client.members()[0]!;
    c.crash(first);
    const r = await c.value(client.query('MATCH (n:N) RETURN n.k AS k'));
    expect(r.rows).toEqual([{ k: 1n }]);
  });

  it('sends statements straight to the leader members name, and to the new one after a leader change', async () => {
    const c = new SimCluster({ seed: 26, config: fast, onStart: (h) => h.registerProcedure(whoAmI(h.self)) });
    await c.form(3);
    const client = c.client('client-1');
    await c.value(client.query('CREATE (:N {k: 1})'));
    const leader = c.leader()!.self;
    expect(client.leaderOf(0)).toBe(leader);
    // A linearizable read runs where the statement was sent: the leader, not the first member.
    const at = await c.value(client.query('CALL test.whoAmI() YIELD peer RETURN peer'));
    expect(at.rows).toEqual([{ peer: leader }]);
    c.crash(leader);
    await c.value(client.query('CREATE (:N {k: 2})'));
    const next = c.leader()!.self;
    expect(next).not.toBe(leader);
    await c.until(() => client.leaderOf(0) === next, 2_000);
    const again = await c.value(client.query('CALL test.whoAmI() YIELD peer RETURN peer'));
    expect(again.rows).toEqual([{ peer: next }]);
  });

  it('fails with RequestTimeout when no member is there', async () => {
    const c = new SimCluster({ seed: 23, config: fast });
    const client = c.client('lonely', 500);
    const out = await c.settle(client.query('RETURN 1 AS x'));
    expect(out.ok).toBe(false);
    expect(isGeodeError(!out.ok ? out.error : undefined, 'LIMIT_EXCEEDED')).toBe(true);
  });
});

describe('ShardHost.registerProcedure', () => {
  it('is callable on every group and survives the engine rebuild of a snapshot restore', async () => {
    const c = new SimCluster({
      seed: 24,
      config: { ...fast, raft: { tick_ms: 10, snapshot_threshold: 20 } },
      onStart: (h) => h.registerProcedure(whoAmI(h.self)),
    });
    await c.form(3);
    const follower = [...c.hosts.values()].find((h) => !h.isLeader())!.self;
    c.crash(follower);
    const up = [...c.hosts.keys()];
    for (let i = 0; i < 60; i++) await c.value(c.host(up[i % 2]!).query('CREATE (:N {k: $k})', { k: BigInt(i) }));
    const restarted = await c.start(follower);
    const restored = await c.until(() => (c.stores.get(follower)!.durable().snapshotIndex ?? 0) > 0 && [...restarted.graph().nodesByLabel('N')].length === 60, 5_000);
    expect(restored).toBe(true);
    const r = await c.value(restarted.query('CALL test.whoAmI() YIELD peer RETURN peer', {}, { readQuorum: 1 }));
    expect(r.rows).toEqual([{ peer: follower }]);
  });

  it('refuses a taken name', async () => {
    const c = new SimCluster({ seed: 25, config: fast });
    await c.form(1, 1);
    const h = c.leader()!;
    h.registerProcedure(whoAmI(h.self));
    expect(() => h.registerProcedure(whoAmI(h.self))).toThrow();
  });

  it('calls a member service open to clients, and is refused one that only members may call (txn prepares stay members-only)', async () => {
    const c = new SimCluster({ seed: 27, config: fast });
    await c.form(3);
    const client = c.client('client-1');
    await c.value(client.query('RETURN 1'));
    const member = c.leader()!;
    member.serveCalls('echo', (_from, _group, p) => Promise.resolve(p.slice().reverse()), { fromClients: true });
    member.serveCalls('members-only', (_from, _group, p) => Promise.resolve(p));
    const reply = await c.value(client.call(member.self, 'echo', Uint8Array.from([1, 2, 3]), 2_000));
    expect([...reply]).toEqual([3, 2, 1]);
    const refused = await c.value(client.call(member.self, 'members-only', Uint8Array.from([1]), 2_000).catch((e: unknown) => e));
    expect(isGeodeError(refused, 'UNSUPPORTED') && refused.detail === 'NoService').toBe(true);
    // A member calling the same service is served.
    const other = [...c.hosts.values()].find((h) => h.self !== member.self)!;
    expect([...(await c.value(other.call(member.self, 0, 'members-only', Uint8Array.from([9]), other.now() + 2_000)))]).toEqual([9]);
  });
});
