/**
 * docs/configuration.md cannot drift from the validators: each of its key tables lists exactly the
 * keys its validator accepts, a default written as a plain value (a number, a boolean, a quoted
 * string, a JSON list or object) is the default the code applies, and an integer range `a..b` is
 * the one the validator enforces (a and b accepted, a − 1 and b + 1 refused with CONFIG_INVALID
 * whose detail is the key). Also: what `openGeode` does with keys it does not know.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterOptionKeys, handOffMsDefault, validateClusterOptions } from '../../src/api/cluster-options.ts';
import { geodeOptionKeys, openGeode } from '../../src/api/database.ts';
import { TRANSACTION_TIMEOUT_MS_DEFAULT } from '../../src/api/transaction.ts';
import {
  electionTimeoutMsDefault,
  heartbeatMsDefault,
  maxBytesPerRequestDefault,
  maxEntriesPerRequestDefault,
  maxInflightMsgsDefault,
  snapshotThresholdDefault,
  tickMsDefault,
} from '../../src/raft/constants.ts';
import { validateRaftConfig } from '../../src/raft/index.ts';
import type { NodeId } from '../../src/raft/types.ts';
import { shardConfigKeys, validateShardConfig } from '../../src/shard/index.ts';
import { leaseClockDriftMsDefault } from '../../src/shard/config.ts';
import { isGeodeError } from '../../src/util/errors.ts';
import { batchMaxDefault, federationConfigKeys, lagThresholdMsDefault, logRetainEntriesDefault, validateFederationConfig } from '../../src/federation/config.ts';
import { failAfterMsDefault, splitThresholdNodesDefault, shardingConfigKeys, shardsDefault, validateShardingConfig } from '../../src/cluster/sharding-config.ts';
import { concurrentMovesDefault, virtualNodesDefault } from '../../src/cluster/sharding-constants.ts';

const DOC = readFileSync(join(import.meta.dirname, '../../docs/configuration.md'), 'utf8');

interface Row {
  readonly key: string;
  readonly type: string;
  readonly defaultCell: string;
  readonly range: string;
}

/** The rows of the key table under the `## ` heading that starts with `heading`. */
function table(heading: string): Row[] {
  const sections = DOC.split(/^## /m);
  const section = sections.find((s) => s.startsWith(heading));
  if (section === undefined) throw new Error(`docs/configuration.md has no section '## ${heading}'`);
  const lines = section.split('\n').filter((l) => l.startsWith('| `'));
  return lines.map((line) => {
    const cells = line.slice(1, -1).split('|').map((c) => c.trim());
    if (cells.length !== 5) throw new Error(`docs/configuration.md: a row of '${heading}' has ${cells.length} cells, not 5 (key, type, default, range, meaning): ${line}`);
    return { key: cells[0]!.replace(/`/g, ''), type: cells[1]!, defaultCell: cells[2]!, range: cells[3]! };
  });
}

/** A default cell written as a plain value, parsed; undefined for prose ("required", "none", a key name). */
function plainValue(cell: string): unknown {
  if (/^\d[\d,]*$/.test(cell)) return Number(cell.replace(/,/g, ''));
  if (cell === 'true' || cell === 'false') return cell === 'true';
  const code = /^`([^`]*)`$/.exec(cell)?.[1];
  if (code === undefined) return undefined;
  if (/^'[^']*'$/.test(code)) return code.slice(1, -1);
  try {
    return JSON.parse(code) as unknown;
  } catch {
    return undefined;
  }
}

/** What `run` threw: the CONFIG_INVALID detail, or undefined when it accepted. */
function refusal(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    if (isGeodeError(err, 'CONFIG_INVALID')) return err.detail ?? '(no detail)';
    throw err;
  }
}

/**
 * Checks each row whose range cell starts with an integer range `a..b` (`a..b characters` for
 * strings): a and b accepted, a − 1 and b + 1 refused naming the key (after `detailPrefix`).
 * `check` validates one key.
 */
function checkRanges(rows: readonly Row[], check: (key: string, value: unknown) => void, detailPrefix = ''): number {
  let checked = 0;
  for (const row of rows) {
    const m = /^(\d[\d,]*)\.\.(\d[\d,]*)( characters)?/.exec(row.range);
    if (m === null) continue;
    const lo = Number(m[1]!.replace(/,/g, ''));
    const hi = Number(m[2]!.replace(/,/g, ''));
    const value = (n: number): unknown => (m[3] === undefined ? n : 'x'.repeat(n));
    expect(refusal(() => check(row.key, value(lo))), `${row.key} = ${lo} (the documented minimum) is accepted`).toBeUndefined();
    expect(refusal(() => check(row.key, value(hi))), `${row.key} = ${hi} (the documented maximum) is accepted`).toBeUndefined();
    expect(refusal(() => check(row.key, value(hi + 1))), `${row.key} = ${hi + 1} is refused`).toBe(detailPrefix + row.key);
    if (lo > 0 || m[3] === undefined) expect(refusal(() => check(row.key, value(lo - 1))), `${row.key} = ${lo - 1} is refused`).toBe(detailPrefix + row.key);
    checked++;
  }
  return checked;
}

/** Checks each row with a plain default against `codeDefaults`; every key there must have one. */
function checkDefaults(rows: readonly Row[], codeDefaults: Readonly<Record<string, unknown>>): void {
  const documented: Record<string, unknown> = {};
  for (const row of rows) {
    const v = plainValue(row.defaultCell);
    if (v !== undefined) documented[row.key] = v;
  }
  for (const key of Object.keys(documented)) expect(key in codeDefaults, `the code's default of ${key} is known to this test`).toBe(true);
  expect(documented).toEqual(codeDefaults);
}

describe('docs/configuration.md', () => {
  describe('openGeode options', () => {
    const rows = table('`openGeode(options)`');

    it('lists exactly the keys openGeode accepts', () => {
      expect(rows.map((r) => r.key).sort()).toEqual([...geodeOptionKeys].sort());
    });

    it('gives the defaults the code uses', () => {
      checkDefaults(rows, { storage: 'memory', snapshotThreshold: snapshotThresholdDefault, transactionTimeoutMs: TRANSACTION_TIMEOUT_MS_DEFAULT });
    });

    it('openGeode refuses a key it does not know, naming it, and a snapshotThreshold below 1', async () => {
      await expect(openGeode({ storage: 'memory', queryTimeout: 5 } as never)).rejects.toMatchObject({ name: 'GeodeError', code: 'CONFIG_INVALID', detail: 'queryTimeout' });
      await expect(openGeode({ snapshotThreshold: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID', detail: 'snapshotThreshold' });
      await expect(openGeode({ onWarning: 'log' } as never)).rejects.toMatchObject({ code: 'CONFIG_INVALID', detail: 'onWarning' });
    });
  });

  describe('cluster options', () => {
    const rows = table('Cluster options');
    const base = { id: 'c', secret: 's' };

    it('lists exactly the keys validateClusterOptions accepts', () => {
      expect(rows.map((r) => r.key).sort()).toEqual([...clusterOptionKeys].sort());
    });

    it('gives the defaults the code uses', () => {
      const r = validateClusterOptions(base);
      checkDefaults(rows, { relays: r.relays, bootstrap: r.bootstrap, config: r.config, client: r.client, peers: r.peers, handOffMs: handOffMsDefault });
    });

    it('states the ranges the code enforces', () => {
      expect(checkRanges(rows, (key, value) => validateClusterOptions({ ...base, [key]: value }), 'cluster.')).toBe(2);
    });
  });

  describe('shard and Raft keys', () => {
    const rows = table('Shard and Raft keys');
    /** Keys another key's range depends on. */
    const context: Record<string, Record<string, unknown>> = { 'failure_detector.suspect_after': { 'failure_detector.threshold': 1_000_000 } };

    it('lists exactly the keys validateShardConfig accepts (the raft.* ones included)', () => {
      expect(rows.map((r) => r.key).sort()).toEqual([...shardConfigKeys].sort());
    });

    it('gives the defaults the code uses', () => {
      const shard = validateShardConfig({});
      const raft = validateRaftConfig({ id: 1 as NodeId, random: () => 0 });
      checkDefaults(rows, {
        'raft.election_timeout_ms': [...electionTimeoutMsDefault],
        'raft.heartbeat_ms': heartbeatMsDefault,
        'raft.tick_ms': tickMsDefault,
        'raft.snapshot_threshold': snapshotThresholdDefault,
        'raft.max_entries_per_request': maxEntriesPerRequestDefault,
        'raft.max_bytes_per_request': maxBytesPerRequestDefault,
        'raft.max_inflight_msgs': maxInflightMsgsDefault,
        'raft.max_uncommitted_bytes': raft.maxUncommittedBytes,
        'raft.pre_vote': raft.preVote,
        'raft.check_quorum': raft.checkQuorum,
        'replication.factor': shard.replicationFactor,
        read_quorum: shard.readQuorum,
        write_quorum: 'majority',
        async_replicas: shard.asyncReplicas,
        'failure_detector.suspect_after': shard.fdSuspectAfter,
        'failure_detector.threshold': shard.fdThreshold,
        request_timeout_ms: shard.requestTimeoutMs,
        'transactions.mvcc_history_entries': shard.mvccHistoryEntries,
        'transactions.mvcc_retention_ms': shard.mvccRetentionMs,
        'transactions.max_clock_skew_ms': shard.maxClockSkewMs,
        'lease_reads.enabled': shard.leaseMs > 0,
        'lease_reads.clock_drift_ms': leaseClockDriftMsDefault,
      });
    });

    it('every documented plain default is accepted as a value of its key, dotted and nested', () => {
      for (const row of rows) {
        const v = plainValue(row.defaultCell);
        if (v === undefined) continue;
        expect(refusal(() => validateShardConfig({ [row.key]: v })), row.key).toBeUndefined();
        const [head, ...rest] = row.key.split('.');
        if (rest.length > 0) expect(refusal(() => validateShardConfig({ [head!]: { [rest.join('.')]: v } })), row.key).toBeUndefined();
      }
    });

    it('states the ranges the code enforces, and a refusal names the key (raft.* included)', () => {
      expect(checkRanges(rows, (key, value) => validateShardConfig({ ...context[key], [key]: value }))).toBe(8);
      expect(refusal(() => validateShardConfig({ 'failure_detector.threshold': 2 }))).toBe('failure_detector.threshold');
      expect(refusal(() => validateShardConfig({ raft: { heartbeat_ms: 0 } }))).toBe('raft.heartbeat_ms');
      expect(refusal(() => validateShardConfig({ 'raft.heartbeat': 50 }))).toBe('raft.heartbeat');
      expect(refusal(() => validateShardConfig({ replicas: 3 }))).toBe('replicas');
    });

    it('a cluster client checks the keys too: a typo in a shared file fails before the network starts', async () => {
      const opening = openGeode({ cluster: { id: 'c', secret: 's', client: true, config: { request_timeout: 1_000 } } });
      await expect(opening).rejects.toMatchObject({ code: 'CONFIG_INVALID', detail: 'request_timeout' });
    });
  });

  describe('federation keys', () => {
    const rows = table('Federation keys');
    const check = (key: string, value: unknown): void => {
      validateFederationConfig({ [key.slice('federation.'.length)]: value }, 'c');
    };

    it('lists exactly the keys validateFederationConfig accepts', () => {
      expect(rows.map((r) => r.key).sort()).toEqual([...federationConfigKeys].sort());
    });

    it('gives the defaults the code uses', () => {
      const f = validateFederationConfig({}, 'c');
      checkDefaults(rows, {
        'federation.enabled': f.enabled,
        'federation.peers': f.peers,
        'federation.conflict_resolution': f.conflictResolution,
        'federation.replication_lag_threshold_ms': lagThresholdMsDefault,
        'federation.batch_max': batchMaxDefault,
        'federation.log_retain_entries': logRetainEntriesDefault,
        'federation.record_free_creations': f.recordFreeCreations,
      });
    });

    it('states the ranges the code enforces, and a refusal names the key', () => {
      expect(checkRanges(rows, check)).toBe(3);
      expect(refusal(() => check('federation.enabled', 'yes'))).toBe('federation.enabled');
      expect(refusal(() => check('federation.record_free_creations', 1))).toBe('federation.record_free_creations');
      expect(refusal(() => check('federation.conflict_resolution', 'first-write-wins'))).toBe('federation.conflict_resolution');
      expect(refusal(() => check('federation.replication_lag_threshold_ms', 0))).toBe('federation.replication_lag_threshold_ms');
      expect(refusal(() => validateFederationConfig({ peers: [{ address: '/ip4/127.0.0.1/tcp/1/p2p/12D3KooX', cluster_id: 'eu', async: false }] }, 'us'))).toBe('federation.peers[0].async');
      expect(refusal(() => validateFederationConfig({ peers: [{ address: 'eu.example.com', cluster_id: 'eu' }] }, 'us'))).toBe('federation.peers[0].address');
      expect(refusal(() => validateFederationConfig({ peers: [{ address: '/ip4/127.0.0.1/tcp/1/p2p/12D3KooX', cluster_id: 'us' }] }, 'us'))).toBe('federation.peers[0].cluster_id');
      expect(refusal(() => validateFederationConfig({ lag_threshold_ms: 5 }, 'us'))).toBe('federation.lag_threshold_ms');
    });

    it('openGeode takes them in cluster.config, nested or dotted, and refuses a bad one naming it', async () => {
      const opening = openGeode({ cluster: { id: 'c', secret: 's', client: true, config: { 'federation.enabled': 1 } } });
      await expect(opening).rejects.toMatchObject({ code: 'CONFIG_INVALID', detail: 'federation.enabled' });
      const twice = openGeode({ cluster: { id: 'c', secret: 's', client: true, config: { federation: { enabled: true }, 'federation.enabled': true } } });
      await expect(twice).rejects.toMatchObject({ code: 'CONFIG_INVALID', detail: 'federation.enabled' });
    });
  });

  describe('sharding keys', () => {
    const rows = table('Sharding keys');

    it('lists exactly the keys validateShardingConfig accepts', () => {
      expect(rows.map((r) => r.key).sort()).toEqual([...shardingConfigKeys].sort());
    });

    it('gives the defaults the code uses', () => {
      const r = validateShardingConfig({});
      checkDefaults(rows, {
        'sharding.shards': shardsDefault,
        'sharding.strategy': r.defaultSpread.strategy,
        'sharding.virtual_nodes': virtualNodesDefault,
        'sharding.labels': {},
        'sharding.max_moves': concurrentMovesDefault,
        'sharding.fail_after_ms': failAfterMsDefault,
        'sharding.split_threshold_nodes': splitThresholdNodesDefault,
      });
      expect(r.splitThresholdNodes).toBe(splitThresholdNodesDefault);
      expect(r.shards).toBe(1);
      expect(r.maxMoves).toBe(concurrentMovesDefault);
    });

    it('states the ranges the code enforces, and a refusal names the key', () => {
      expect(checkRanges(rows, (key, value) => validateShardingConfig({ [key]: value }))).toBe(4);
      expect(refusal(() => validateShardingConfig({ sharding: { shards: 3, strategy: 'range', key: 'at' } }))).toBe('sharding.ranges');
      expect(refusal(() => validateShardingConfig({ sharding: { shards: 3, labels: { Post: { strategy: 'range', key: 'at', ranges: [1, 2, 3] } } } }))).toBe('sharding.labels.Post.ranges');
      expect(refusal(() => validateShardingConfig({ 'sharding.shard': 3 }))).toBe('sharding.shard');
      expect(refusal(() => validateShardingConfig({ sharding: { strategy: 'round-robin' } }))).toBe('sharding.strategy');
      expect(refusal(() => validateShardingConfig({ sharding: { shards: 2, ranges: [5] } }))).toBe('sharding.ranges');
    });

    it('openGeode refuses a bad sharding key before the network starts, naming it', async () => {
      await expect(openGeode({ cluster: { id: 'c', secret: 's', config: { sharding: { shards: 0 } } } })).rejects.toMatchObject({ code: 'CONFIG_INVALID', detail: 'sharding.shards' });
    });
  });
});
