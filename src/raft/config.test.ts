import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { validateRaftConfig } from './config.ts';
import type { NodeId, RaftConfig } from './types.ts';

const base: RaftConfig = { id: 1 as NodeId, random: () => 0.5 };

function refusal(cfg: Record<string, unknown>): { key: string | undefined; message: string } {
  try {
    validateRaftConfig({ ...base, ...cfg } as RaftConfig);
  } catch (e) {
    if (isGeodeError(e, 'CONFIG_INVALID')) return { key: e.detail, message: e.message };
    throw e;
  }
  throw new Error('accepted');
}

describe('raft configuration', () => {
  it('defaults are the seed values: 150–300 ms elections, 50 ms heartbeats, 10,000-entry snapshots, 100 entries per request', () => {
    const c = validateRaftConfig(base);
    expect([c.electionTicksMin, c.electionTicksMax, c.heartbeatTicks]).toEqual([15, 30, 5]);
    expect(c.snapshotThreshold).toBe(10_000);
    expect(c.maxEntriesPerMsg).toBe(100);
    expect(c.preVote).toBe(true);
    expect(c.checkQuorum).toBe(true);
  });

  it('turns milliseconds into ticks of tick_ms', () => {
    const c = validateRaftConfig({ ...base, tick_ms: 50, election_timeout_ms: [1000, 2000], heartbeat_ms: 100 });
    expect([c.electionTicksMin, c.electionTicksMax, c.heartbeatTicks]).toEqual([20, 40, 2]);
  });

  it('refuses bad values with a message naming the key', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ heartbeat_ms: -1 }, 'heartbeat_ms'],
      [{ heartbeat_ms: 200 }, 'election_timeout_ms'],
      [{ election_timeout_ms: [300, 150] }, 'election_timeout_ms'],
      [{ election_timeout_ms: 150 }, 'election_timeout_ms'],
      [{ snapshot_threshold: 0 }, 'snapshot_threshold'],
      [{ max_entries_per_request: 1.5 }, 'max_entries_per_request'],
      [{ max_inflight_msgs: 0 }, 'max_inflight_msgs'],
      [{ pre_vote: 'yes' }, 'pre_vote'],
      [{ check_quorum: 1 }, 'check_quorum'],
      [{ tick_ms: 0 }, 'tick_ms'],
      [{ id: 0 }, 'id'],
      [{ random: undefined }, 'random'],
      [{ electionTimeout: 10 }, 'electionTimeout'],
    ];
    for (const [cfg, key] of cases) {
      const r = refusal(cfg);
      expect(r.key).toBe(key);
      expect(r.message).toContain(`raft.${key}`);
    }
  });
});
