import { GeodeError } from '../util/errors.ts';
import {
  electionTicksMax,
  electionTimeoutMsDefault,
  heartbeatMsDefault,
  maxBytesPerRequestDefault,
  maxEntriesPerRequestDefault,
  maxEntriesPerRequestMax,
  maxInflightMsgsDefault,
  maxInflightMsgsMax,
  snapshotThresholdDefault,
  tickMsDefault,
} from './constants.ts';
import type { LogIndex, NodeId, RaftConfig, RaftLogger, RaftTestingKnobs } from './types.ts';

/** ResolvedRaftConfig: a validated RaftConfig with defaults filled in and times turned into ticks. */
export interface ResolvedRaftConfig {
  readonly id: NodeId;
  readonly electionTicksMin: number;
  readonly electionTicksMax: number;
  readonly heartbeatTicks: number;
  readonly snapshotThreshold: number;
  readonly maxEntriesPerMsg: number;
  readonly maxBytesPerMsg: number;
  readonly maxInflightMsgs: number;
  readonly maxUncommittedBytes: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly random: () => number;
  readonly logger: RaftLogger;
  readonly applied: LogIndex;
  readonly knobs: RaftTestingKnobs;
}

/**
 * The keys a user may set (`raft.<key>` in a shard configuration; docs/configuration.md lists
 * each). The others of {@link RaftConfig} (`id`, `random`, `logger`, `applied`, `testingKnobs`)
 * are given by the host.
 */
export const raftConfigKeys: readonly string[] = [
  'election_timeout_ms',
  'heartbeat_ms',
  'tick_ms',
  'snapshot_threshold',
  'max_entries_per_request',
  'max_bytes_per_request',
  'max_inflight_msgs',
  'max_uncommitted_bytes',
  'pre_vote',
  'check_quorum',
];

/** The keys of {@link RaftConfig} that the host fills in, never the user. */
export const raftHostKeys: readonly string[] = ['id', 'random', 'logger', 'applied', 'testingKnobs'];

const knownKeys: ReadonlySet<string> = new Set([...raftConfigKeys, ...raftHostKeys]);

/** silentLogger: the default logger, which discards everything. */
export const silentLogger: RaftLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
};

function refuse(key: string, message: string): never {
  throw new GeodeError('CONFIG_INVALID', `raft.${key}: ${message}`, { source: 'config', detail: key });
}

function positiveInt(key: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    refuse(key, `must be an integer in [1, ${max}], got ${String(value)}`);
  }
  return value;
}

function positiveMs(key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    refuse(key, `must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function bool(key: string, value: unknown): boolean {
  if (typeof value !== 'boolean') refuse(key, `must be true or false, got ${String(value)}`);
  return value;
}

/**
 * validateRaftConfig: checks every key of `config`, fills in defaults and converts ms to ticks.
 * Throws GeodeError('CONFIG_INVALID') whose message starts with the key (`raft.heartbeat_ms: ...`)
 * and whose `detail` is the key, for unknown keys and bad values.
 */
export function validateRaftConfig(config: RaftConfig): ResolvedRaftConfig {
  for (const key of Object.keys(config)) {
    if (!knownKeys.has(key)) refuse(key, 'unknown key');
  }
  if (typeof config.id !== 'number' || !Number.isSafeInteger(config.id) || config.id <= 0) {
    refuse('id', `must be a positive safe integer, got ${String(config.id)}`);
  }
  if (typeof config.random !== 'function') refuse('random', 'must be a function returning a number in [0, 1)');
  const tickMs = config.tick_ms === undefined ? tickMsDefault : positiveMs('tick_ms', config.tick_ms);
  const range = config.election_timeout_ms ?? electionTimeoutMsDefault;
  if (!Array.isArray(range) || range.length !== 2) {
    refuse('election_timeout_ms', `must be a range [min, max] in ms, got ${JSON.stringify(range)}`);
  }
  const minMs = positiveMs('election_timeout_ms', range[0]);
  const maxMs = positiveMs('election_timeout_ms', range[1]);
  if (minMs > maxMs) refuse('election_timeout_ms', `min ${minMs} is above max ${maxMs}`);
  const heartbeatMs = config.heartbeat_ms === undefined ? heartbeatMsDefault : positiveMs('heartbeat_ms', config.heartbeat_ms);
  const electionMin = Math.round(minMs / tickMs);
  const electionMax = Math.round(maxMs / tickMs);
  const heartbeatTicks = Math.round(heartbeatMs / tickMs);
  if (heartbeatTicks < 1) refuse('heartbeat_ms', `${heartbeatMs} ms is less than one tick of ${tickMs} ms`);
  if (electionMax > electionTicksMax) refuse('election_timeout_ms', `more than ${electionTicksMax} ticks of ${tickMs} ms`);
  if (electionMin <= heartbeatTicks) {
    refuse('election_timeout_ms', `minimum ${minMs} ms must be above heartbeat_ms ${heartbeatMs} ms (in ticks of ${tickMs} ms: ${electionMin} <= ${heartbeatTicks})`);
  }
  const applied = config.applied ?? 0;
  if (!Number.isSafeInteger(applied) || applied < 0) refuse('applied', `must be a non-negative integer, got ${String(applied)}`);
  const maxUncommitted = config.max_uncommitted_bytes ?? 0;
  if (!Number.isSafeInteger(maxUncommitted) || maxUncommitted < 0) {
    refuse('max_uncommitted_bytes', `must be a non-negative integer (0 = no limit), got ${String(maxUncommitted)}`);
  }
  return {
    id: config.id,
    electionTicksMin: electionMin,
    electionTicksMax: electionMax,
    heartbeatTicks,
    snapshotThreshold: config.snapshot_threshold === undefined ? snapshotThresholdDefault : positiveInt('snapshot_threshold', config.snapshot_threshold, Number.MAX_SAFE_INTEGER),
    maxEntriesPerMsg: config.max_entries_per_request === undefined ? maxEntriesPerRequestDefault : positiveInt('max_entries_per_request', config.max_entries_per_request, maxEntriesPerRequestMax),
    maxBytesPerMsg: config.max_bytes_per_request === undefined ? maxBytesPerRequestDefault : positiveInt('max_bytes_per_request', config.max_bytes_per_request, Number.MAX_SAFE_INTEGER),
    maxInflightMsgs: config.max_inflight_msgs === undefined ? maxInflightMsgsDefault : positiveInt('max_inflight_msgs', config.max_inflight_msgs, maxInflightMsgsMax),
    maxUncommittedBytes: maxUncommitted,
    preVote: config.pre_vote === undefined ? true : bool('pre_vote', config.pre_vote),
    checkQuorum: config.check_quorum === undefined ? true : bool('check_quorum', config.check_quorum),
    random: config.random,
    logger: config.logger ?? silentLogger,
    applied: applied as LogIndex,
    knobs: config.testingKnobs ?? {},
  };
}
