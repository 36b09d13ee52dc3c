/**
 * The shard layer's configuration: the seed's keys (`raft.*`, `replication.factor`, `read_quorum`,
 * `write_quorum`, `sync_replicas`, `async_replicas`) plus the failure detector's and the request
 * timeout. Given as a nested object (`{ raft: { heartbeat_ms: 50 }, replication: { factor: 3 } }`)
 * or with dotted keys (`{ 'raft.heartbeat_ms': 50 }`). Unknown keys and bad values are refused with
 * GeodeError CONFIG_INVALID whose message starts with the key and whose `detail` is the key.
 */
import { raftConfigKeys, raftHostKeys, validateRaftConfig, type RaftConfig } from '../raft/index.ts';
import { GeodeError, isGeodeError } from '../util/errors.ts';
import {
  asyncReplicasDefault,
  failureThresholdDefault,
  mvccHistoryEntriesDefault,
  mvccHistoryEntriesMax,
  mvccRetentionMsDefault,
  mvccRetentionMsMax,
  maxClockSkewMsDefault,
  replicationFactorDefault,
  requestTimeoutMsDefault,
  suspectIntervalsDefault,
} from './constants.ts';
import { heartbeatMsDefault, tickMsDefault } from '../raft/index.ts';

/** Default bound on clock drift over one lease, ms (`lease_reads.clock_drift_ms`). */
export const leaseClockDriftMsDefault = 20;

/** The Raft keys a shard host passes to each group's node (`raft.*`). */
export type ShardRaftConfig = Omit<RaftConfig, 'id' | 'random' | 'logger' | 'applied' | 'testingKnobs'>;

/** ShardConfig: what a {@link ShardHost} accepts (every key optional). */
export interface ShardConfig {
  readonly raft?: ShardRaftConfig;
  readonly replication?: { readonly factor?: number };
  /** 'majority' (default): linearizable reads through ReadIndex; 1: a replica's local state, with its staleness reported. */
  readonly read_quorum?: 'majority' | 1;
  /** Only 'majority' (Raft commits on a majority of voters); given for the seed's configuration files. */
  readonly write_quorum?: 'majority';
  /** Voters besides the leader that acknowledge each write: replication.factor - 1 (checked when given). */
  readonly sync_replicas?: number;
  /** Most learners (non-voting, asynchronous replicas) kept beyond the voters. Default 8. */
  readonly async_replicas?: number;
  readonly failure_detector?: {
    /** Expected contact interval, ms (default raft.heartbeat_ms). */
    readonly interval_ms?: number;
    /** Missed intervals before a peer is suspect. Default 2. */
    readonly suspect_after?: number;
    /** Missed intervals before a peer is failed (and a voter may be replaced). Default 10. */
    readonly threshold?: number;
  };
  /** Ms a query waits for a leader, a read index or a forwarded answer. Default 5,000. */
  readonly request_timeout_ms?: number;
  readonly transactions?: {
    /** Applied entries each group replica keeps for snapshot reads (MVCC history). Default 4,096. */
    readonly mvcc_history_entries?: number;
    /** How long unpinned history is kept for reads at a past timestamp, ms (0: only what snapshots pin). Default 5,000. */
    readonly mvcc_retention_ms?: number;
    /** Clock skew between peers the hybrid clock tolerates, ms; reads `asOf` must be at least this old. Default 500. */
    readonly max_clock_skew_ms?: number;
  };
  /**
   * Leader leases for linearizable reads (docs/shard.md, "Lease reads"): a leader that a quorum
   * acknowledged less than an election timeout (minus `clock_drift_ms`) ago answers a read without
   * a ReadIndex round. Relies on clocks that run at about the same rate on every peer.
   */
  readonly lease_reads?: {
    /** Default true (needs `raft.check_quorum`, on by default; without it leases are off). */
    readonly enabled?: boolean;
    /** The bound on how much faster a peer's clock may run than another's over one lease, ms. Default 20. */
    readonly clock_drift_ms?: number;
  };
}

/** ResolvedShardConfig: every value filled in and checked. */
export interface ResolvedShardConfig {
  readonly raft: ShardRaftConfig;
  readonly tickMs: number;
  readonly replicationFactor: number;
  readonly readQuorum: 'majority' | 1;
  readonly asyncReplicas: number;
  readonly fdIntervalMs: number;
  readonly fdSuspectAfter: number;
  readonly fdThreshold: number;
  readonly requestTimeoutMs: number;
  readonly mvccHistoryEntries: number;
  /** `transactions.mvcc_retention_ms`. */
  readonly mvccRetentionMs: number;
  /** `transactions.max_clock_skew_ms`. */
  readonly maxClockSkewMs: number;
  /** How long a leader's lease lasts after the start of the round a quorum acknowledged, ms; 0: lease reads off. */
  readonly leaseMs: number;
  /** The minimum election timeout, ms: a restarted replica ignores vote requests this long (leases rely on it). */
  readonly electionMinMs: number;
}

const topKeys = new Set(['raft', 'replication', 'read_quorum', 'write_quorum', 'sync_replicas', 'async_replicas', 'failure_detector', 'request_timeout_ms', 'transactions', 'lease_reads']);
const sections: Record<string, ReadonlySet<string>> = {
  replication: new Set(['factor']),
  failure_detector: new Set(['interval_ms', 'suspect_after', 'threshold']),
  transactions: new Set(['mvcc_history_entries', 'mvcc_retention_ms', 'max_clock_skew_ms']),
  lease_reads: new Set(['enabled', 'clock_drift_ms']),
};

/**
 * Every key {@link validateShardConfig} accepts, dotted (`raft.heartbeat_ms`, `replication.factor`,
 * `read_quorum`, ...): what docs/configuration.md must list (a test checks it does).
 */
export const shardConfigKeys: readonly string[] = [...topKeys].flatMap((top) => {
  if (top === 'raft') return raftConfigKeys.map((k) => `raft.${k}`);
  const section = sections[top];
  return section === undefined ? [top] : [...section].map((k) => `${top}.${k}`);
});

function refuse(key: string, message: string): never {
  throw new GeodeError('CONFIG_INVALID', `${key}: ${message}`, { source: 'config', detail: key });
}

function int(key: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    refuse(key, `must be an integer in [${min}, ${max}], got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

function ms(key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) refuse(key, `must be a positive number of milliseconds, got ${String(value)}`);
  return value;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Turns dotted keys (`raft.heartbeat_ms`) into nested objects; refuses a key given both ways. */
function nest(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    const dot = key.indexOf('.');
    if (dot < 0) {
      if (key in out && isPlainObject(out[key]) && isPlainObject(input[key])) out[key] = { ...(out[key] as object), ...(input[key] as object) };
      else out[key] = input[key];
      continue;
    }
    const head = key.slice(0, dot);
    const rest = key.slice(dot + 1);
    const section = (out[head] ??= {});
    if (!isPlainObject(section)) refuse(head, 'given both as a value and as a section');
    if (rest in section) refuse(key, 'given twice');
    section[rest] = input[key];
  }
  return out;
}

/**
 * validateShardConfig: checks `input` and fills in defaults. Raft keys are checked by the Raft
 * core's own validator (messages `raft.<key>: ...`).
 */
export function validateShardConfig(input: ShardConfig | Record<string, unknown> = {}): ResolvedShardConfig {
  if (!isPlainObject(input)) refuse('config', 'must be an object');
  const c = nest(input as Record<string, unknown>);
  for (const key of Object.keys(c)) {
    if (!topKeys.has(key)) refuse(key, 'unknown key');
    const allowed = sections[key];
    if (allowed !== undefined) {
      if (!isPlainObject(c[key])) refuse(key, 'must be an object');
      for (const sub of Object.keys(c[key] as object)) if (!allowed.has(sub)) refuse(`${key}.${sub}`, 'unknown key');
    }
  }
  const raftIn = c['raft'] ?? {};
  if (!isPlainObject(raftIn)) refuse('raft', 'must be an object');
  for (const k of raftHostKeys) if (k in raftIn) refuse(`raft.${k}`, 'unknown key');
  // The Raft core validates its keys: its messages name them `raft.<key>`, its detail is the bare
  // key; here the detail becomes `raft.<key>` too, as every other key of this layer is named.
  let resolvedRaft: ReturnType<typeof validateRaftConfig>;
  try {
    resolvedRaft = validateRaftConfig({ ...(raftIn as ShardRaftConfig), id: 1 as never, random: () => 0 });
  } catch (err) {
    if (isGeodeError(err, 'CONFIG_INVALID') && err.detail !== undefined && !err.detail.startsWith('raft.')) {
      throw new GeodeError('CONFIG_INVALID', err.message, { source: 'config', detail: `raft.${err.detail}`, cause: err });
    }
    throw err;
  }
  const raft = raftIn as ShardRaftConfig;
  const tickMs = raft.tick_ms ?? tickMsDefault;
  const replication = (c['replication'] ?? {}) as Record<string, unknown>;
  const factor = replication['factor'] === undefined ? replicationFactorDefault : int('replication.factor', replication['factor'], 1, 99);
  const rq = c['read_quorum'] ?? 'majority';
  if (rq !== 'majority' && rq !== 1) refuse('read_quorum', `must be 'majority' or 1, got ${JSON.stringify(rq)}`);
  const wq = c['write_quorum'] ?? 'majority';
  if (wq !== 'majority') refuse('write_quorum', `only 'majority' is supported (Raft commits on a majority of voters), got ${JSON.stringify(wq)}`);
  if (c['sync_replicas'] !== undefined) {
    const s = int('sync_replicas', c['sync_replicas'], 0, 98);
    if (s !== factor - 1) refuse('sync_replicas', `must be replication.factor - 1 = ${factor - 1} (the voters besides the leader), got ${s}`);
  }
  const asyncReplicas = c['async_replicas'] === undefined ? asyncReplicasDefault : int('async_replicas', c['async_replicas'], 0, 1000);
  const fd = (c['failure_detector'] ?? {}) as Record<string, unknown>;
  const fdIntervalMs = fd['interval_ms'] === undefined ? (raft.heartbeat_ms ?? heartbeatMsDefault) : ms('failure_detector.interval_ms', fd['interval_ms']);
  const fdSuspectAfter = fd['suspect_after'] === undefined ? suspectIntervalsDefault : int('failure_detector.suspect_after', fd['suspect_after'], 1, 1_000_000);
  const fdThreshold = fd['threshold'] === undefined ? failureThresholdDefault : int('failure_detector.threshold', fd['threshold'], 1, 1_000_000);
  if (fdSuspectAfter >= fdThreshold) {
    // Name the key the user set: a threshold given alone is the one that is too low.
    if (fd['suspect_after'] === undefined) refuse('failure_detector.threshold', `must be above failure_detector.suspect_after (${fdSuspectAfter}), got ${fdThreshold}`);
    refuse('failure_detector.suspect_after', `must be below failure_detector.threshold (${fdThreshold}), got ${fdSuspectAfter}`);
  }
  const requestTimeoutMs = c['request_timeout_ms'] === undefined ? requestTimeoutMsDefault : ms('request_timeout_ms', c['request_timeout_ms']);
  const txn = (c['transactions'] ?? {}) as Record<string, unknown>;
  const mvccHistoryEntries =
    txn['mvcc_history_entries'] === undefined ? mvccHistoryEntriesDefault : int('transactions.mvcc_history_entries', txn['mvcc_history_entries'], 1, mvccHistoryEntriesMax);
  const mvccRetentionMs = txn['mvcc_retention_ms'] === undefined ? mvccRetentionMsDefault : int('transactions.mvcc_retention_ms', txn['mvcc_retention_ms'], 0, mvccRetentionMsMax);
  const maxClockSkewMs = txn['max_clock_skew_ms'] === undefined ? maxClockSkewMsDefault : int('transactions.max_clock_skew_ms', txn['max_clock_skew_ms'], 0, 60_000);
  const lease = (c['lease_reads'] ?? {}) as Record<string, unknown>;
  const leaseOn = lease['enabled'] === undefined ? true : lease['enabled'];
  if (typeof leaseOn !== 'boolean') refuse('lease_reads.enabled', `must be true or false, got ${JSON.stringify(leaseOn)}`);
  const driftMs = lease['clock_drift_ms'] === undefined ? leaseClockDriftMsDefault : ms('lease_reads.clock_drift_ms', lease['clock_drift_ms']);
  const electionMinMs = resolvedRaft.electionTicksMin * tickMs;
  // A follower that heard the leader ignores vote requests for electionTicksMin ticks, the first of which may come at once.
  const leaseSpanMs = (resolvedRaft.electionTicksMin - 1) * tickMs;
  if (leaseOn && lease['clock_drift_ms'] !== undefined && driftMs >= leaseSpanMs) {
    refuse('lease_reads.clock_drift_ms', `must be below the lease span of ${leaseSpanMs} ms (the minimum election timeout less one tick), got ${driftMs}`);
  }
  const leaseMs = leaseOn && resolvedRaft.checkQuorum ? Math.max(0, leaseSpanMs - driftMs) : 0;
  return { raft, tickMs, replicationFactor: factor, readQuorum: rq, asyncReplicas, fdIntervalMs, fdSuspectAfter, fdThreshold, requestTimeoutMs, mvccHistoryEntries, mvccRetentionMs, maxClockSkewMs, leaseMs, electionMinMs };
}
