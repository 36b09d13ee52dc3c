/**
 * LocalTxnTransport's answers when the participant's leader dies under a request: an apply
 * (commit-if-unchanged, never sent twice) whose leader closed after proposing it may have
 * committed, so it must surface as IO `TxnOutcomeUnknown`, never as a failure that says the
 * transaction did not happen.
 */
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { TxnSimEnv } from './testing.ts';

describe('LocalTxnTransport', () => {
  it('reports an apply whose leader crashed after proposing it as outcome unknown, and the write may be there', async () => {
    const env = new TxnSimEnv({ seed: 5 });
    try {
      expect(await env.form()).toBe(true);
      const group = 1;
      const leader = env.leader(group)!;
      await env.c.value(leader.applyCommands(group, [{ op: 'createNode', id: 500, labels: ['N'], props: [['v', 0n]] }]));
      await env.c.until(() => env.converged([group]), 5_000);
      const expect0 = leader.graphIndex(group)!;
      const proposedAt = leader.raftStatus(group).lastIndex + 1;
      const sent = env.transport.send(group, { op: 'apply', commands: [{ op: 'setNodeProperty', id: 500, key: 'v', value: 1n }], expect: expect0 }, env.c.scheduler.now + 5_000);
      // The followers hold the entry; the leader dies before answering: the next leader commits it.
      const followers = [...env.c.hosts.values()].filter((h) => h !== leader && h.raftStatus(group).conf.voters.length === 3);
      expect(await env.c.until(() => followers.filter((h) => h.raftStatus(group).lastIndex >= proposedAt).length >= 2, 2_000)).toBe(true);
      env.crash(leader.self);
      const r = await env.c.settle(sent, 10_000);
      expect(r.ok).toBe(false);
      const err = r.ok ? undefined : r.error;
      expect(isGeodeError(err, 'IO') && err.detail === 'TxnOutcomeUnknown', String(err)).toBe(true);
      // It did commit: an answer that it failed would have been wrong.
      await env.c.until(() => env.leader(group) !== undefined && env.converged([group]), 10_000);
      expect(env.leader(group)!.graph(group).node(500)?.props.get('v')).toBe(1n);
    } finally {
      await env.close();
    }
  });
});
