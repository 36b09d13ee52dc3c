/**
 * The `sharding.*` configuration keys of a cluster (`cluster.config`, `--config <file>`): how many
 * shards, the default strategy and its key / ranges, per-label spreads, and placement's move
 * limit. Nested (`{ sharding: { shards: 3 } }`) or dotted (`{ 'sharding.shards': 3 }`). Bad keys
 * and values: GeodeError CONFIG_INVALID whose message starts with the key and whose detail is it.
 *
 * With `sharding.shards` 1 (the default) the cluster runs one shard, group 0, as before; with more,
 * group 0 becomes the meta group holding the shard map and shard i lives in group i + 1. Every
 * peer of a cluster must be given the same sharding keys (the founder's map wins: the others read
 * the map from the meta group).
 */
import type { Value } from '../graph/index.ts';
import { GeodeError } from '../util/errors.ts';
import type { ShardId } from './hash-ring.ts';
import { applyShardMapChange, emptyShardMap, type LabelSharding, type ShardMapChange, type ShardMapState, type ShardStrategy } from './shard-map.ts';
import { concurrentMovesDefault, labelStrategiesMax, rangeBoundariesMax, shardsMax, virtualNodesDefault, virtualNodesMax } from './sharding-constants.ts';

/** One label's spread as configured (shards: every shard of the cluster). */
export interface ConfiguredSpread {
  readonly strategy: ShardStrategy;
  readonly key: string | undefined;
  readonly ranges: readonly Value[] | undefined;
  readonly virtualNodes: number;
}

/** The sharding keys, checked, with defaults. */
export interface ResolvedSharding {
  /** Shards of the cluster; 1: not sharded (group 0 holds the graph). */
  readonly shards: number;
  readonly defaultSpread: ConfiguredSpread;
  readonly labels: ReadonlyMap<string, ConfiguredSpread>;
  /** Placement: most replica moves under way at once. */
  readonly maxMoves: number;
  /** Placement: a member peer disconnected this long is failed (its replicas move), ms. */
  readonly failAfterMs: number;
  /** Splits: a shard owning more nodes than this splits in two (0: never). */
  readonly splitThresholdNodes: number;
}

/** Default of `sharding.shards`: one shard (no sharding). */
export const shardsDefault = 1;
/** Default of `sharding.fail_after_ms`. */
export const failAfterMsDefault = 1_000;
/** Longest `sharding.fail_after_ms`. */
export const failAfterMsMax = 3_600_000;
/** Most replica moves of `sharding.max_moves`. */
export const maxMovesMax = 64;
/** Default of `sharding.split_threshold_nodes`: a shard splits past a million nodes. */
export const splitThresholdNodesDefault = 1_000_000;
/** Largest `sharding.split_threshold_nodes`. */
export const splitThresholdNodesMax = 2 ** 40;

const spreadKeys = ['strategy', 'key', 'ranges', 'virtual_nodes'] as const;
const topKeys = ['shards', ...spreadKeys, 'labels', 'max_moves', 'fail_after_ms', 'split_threshold_nodes'] as const;

/** Every `sharding.*` key, dotted (docs/configuration.md lists each; a test checks it). */
export const shardingConfigKeys: readonly string[] = topKeys.map((k) => `sharding.${k}`);

function refuse(key: string, message: string): never {
  throw new GeodeError('CONFIG_INVALID', `${key}: ${message}`, { source: 'config', detail: key });
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function int(key: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) refuse(key, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v) ?? String(v)}`);
  return v;
}

/** A boundary: an integer (as the query layer's bigint), a float or a string. */
function boundary(key: string, v: unknown): Value {
  if (typeof v === 'bigint' || typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return Number.isSafeInteger(v) ? BigInt(v) : v;
  return refuse(key, `boundaries must be integers, floats or strings, got ${JSON.stringify(v) ?? String(v)}`);
}

function spread(prefix: string, o: Record<string, unknown>, shards: number, inherit: ConfiguredSpread | undefined): ConfiguredSpread {
  const strategy = o['strategy'] ?? inherit?.strategy ?? 'hash';
  if (strategy !== 'hash' && strategy !== 'range' && strategy !== 'graph-aware') refuse(`${prefix}strategy`, `must be 'hash', 'range' or 'graph-aware', got ${JSON.stringify(strategy)}`);
  const key = o['key'] ?? (o['strategy'] === undefined ? inherit?.key : undefined);
  if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 256)) refuse(`${prefix}key`, 'must be a property name of 1..256 characters');
  const rawRanges = o['ranges'] ?? (o['strategy'] === undefined ? inherit?.ranges : undefined);
  let ranges: Value[] | undefined;
  if (rawRanges !== undefined) {
    if (!Array.isArray(rawRanges) || rawRanges.length > rangeBoundariesMax) refuse(`${prefix}ranges`, `must be a list of at most ${rangeBoundariesMax} ascending boundaries`);
    ranges = rawRanges.map((b) => boundary(`${prefix}ranges`, b));
  }
  if (strategy === 'range') {
    if (key === undefined) refuse(`${prefix}key`, "the range strategy needs the property whose value places a node (as 'created_at')");
    if (ranges === undefined || ranges.length !== shards - 1) refuse(`${prefix}ranges`, `the range strategy over ${shards} shards needs ${shards - 1} ascending boundaries, got ${ranges?.length ?? 0}`);
  } else if (o['ranges'] !== undefined) {
    refuse(`${prefix}ranges`, `only the range strategy takes ranges (this spread is ${strategy})`);
  }
  const vn = o['virtual_nodes'] === undefined ? (inherit?.virtualNodes ?? virtualNodesDefault) : int(`${prefix}virtual_nodes`, o['virtual_nodes'], 1, virtualNodesMax);
  return { strategy, key: key as string | undefined, ranges, virtualNodes: vn };
}

/** Pulls the `sharding` keys (nested or dotted) out of a config object: the sharding section and the rest. */
export function splitShardingConfig(config: Readonly<Record<string, unknown>>): { sharding: Record<string, unknown>; rest: Record<string, unknown> } {
  const sharding: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'sharding') {
      if (!isPlainObject(v)) refuse('sharding', 'must be an object');
      for (const [sk, sv] of Object.entries(v)) {
        if (sk in sharding) refuse(`sharding.${sk}`, 'given twice');
        sharding[sk] = sv;
      }
    } else if (k.startsWith('sharding.')) {
      const sk = k.slice('sharding.'.length);
      if (sk in sharding) refuse(k, 'given twice');
      sharding[sk] = v;
    } else {
      rest[k] = v;
    }
  }
  return { sharding, rest };
}

/**
 * validateShardingConfig: the `sharding.*` keys of `config` (other keys are ignored here: the shard
 * layer checks them), checked, with defaults.
 */
export function validateShardingConfig(config: Readonly<Record<string, unknown>> = {}): ResolvedSharding {
  const { sharding: s } = splitShardingConfig(config);
  const known = new Set<string>(topKeys);
  for (const k of Object.keys(s)) if (!known.has(k)) refuse(`sharding.${k}`, `unknown key (known: ${topKeys.join(', ')})`);
  const shards = s['shards'] === undefined ? shardsDefault : int('sharding.shards', s['shards'], 1, shardsMax);
  const defaultSpread = spread('sharding.', s, shards, undefined);
  const labels = new Map<string, ConfiguredSpread>();
  const rawLabels = s['labels'] ?? {};
  if (!isPlainObject(rawLabels)) refuse('sharding.labels', 'must be an object of label → { strategy, key, ranges, virtual_nodes }');
  if (Object.keys(rawLabels).length > labelStrategiesMax) refuse('sharding.labels', `at most ${labelStrategiesMax} labels`);
  for (const [label, o] of Object.entries(rawLabels)) {
    const prefix = `sharding.labels.${label}.`;
    if (!isPlainObject(o)) refuse(`sharding.labels.${label}`, 'must be an object { strategy, key, ranges, virtual_nodes }');
    for (const k of Object.keys(o)) if (!(spreadKeys as readonly string[]).includes(k)) refuse(`${prefix}${k}`, `unknown key (known: ${spreadKeys.join(', ')})`);
    labels.set(label, spread(prefix, o, shards, undefined));
  }
  const maxMoves = s['max_moves'] === undefined ? concurrentMovesDefault : int('sharding.max_moves', s['max_moves'], 1, maxMovesMax);
  const failAfter = s['fail_after_ms'] ?? failAfterMsDefault;
  if (typeof failAfter !== 'number' || !Number.isFinite(failAfter) || failAfter <= 0 || failAfter > failAfterMsMax) refuse('sharding.fail_after_ms', `must be a number of milliseconds in (0, ${failAfterMsMax}]`);
  const st = s['split_threshold_nodes'];
  // 0 turns splits off; a shard of one node cannot be cut in two, so a threshold of 1 is refused.
  const splitThresholdNodes = st === undefined ? splitThresholdNodesDefault : st === 0 ? 0 : int('sharding.split_threshold_nodes', st, 2, splitThresholdNodesMax);
  const resolved: ResolvedSharding = { shards, defaultSpread, labels, maxMoves, failAfterMs: failAfter, splitThresholdNodes };
  if (shards > 1) {
    // The map the founder writes must apply: a bad combination fails here, naming the key.
    try {
      initialShardMap(resolved);
    } catch (err) {
      refuse('sharding', err instanceof Error ? err.message : String(err));
    }
  }
  return resolved;
}

/** The Raft group holding shard `shard` (group 0 is the meta group). */
export function groupOfShard(shard: ShardId): number {
  return shard + 1;
}

function toLabelSharding(c: ConfiguredSpread, shards: readonly ShardId[]): LabelSharding {
  return {
    strategy: c.strategy,
    shards,
    ...(c.key === undefined ? {} : { key: c.key }),
    ...(c.ranges === undefined ? {} : { ranges: c.ranges }),
    ...(c.strategy === 'hash' || c.strategy === 'graph-aware' ? { virtualNodes: c.virtualNodes } : {}),
  };
}

/** initialChanges: the shard map changes the founder writes: the shards and the spreads (replicas come from placement). */
export function initialChanges(s: ResolvedSharding): ShardMapChange[] {
  const ids = Array.from({ length: s.shards }, (_, i) => i);
  const out: ShardMapChange[] = ids.map((i) => ({ op: 'addShard', shard: i, group: groupOfShard(i) }));
  out.push({ op: 'setSharding', label: undefined, sharding: toLabelSharding(s.defaultSpread, ids) });
  for (const [label, c] of s.labels) out.push({ op: 'setSharding', label, sharding: toLabelSharding(c, ids) });
  return out;
}

/** initialShardMap: the map after {@link initialChanges} (throws INPUT_INVALID when they do not apply). */
export function initialShardMap(s: ResolvedSharding): ShardMapState {
  return initialChanges(s).reduce(applyShardMapChange, emptyShardMap());
}
