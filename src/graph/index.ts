/**
 * The graph layer: values, records, the command/reader contract, and the in-memory store.
 * Other layers import from here only.
 */
export * from './types.ts';
export * from './values.ts';
export { EMPTY_PROPS, EdgeRecord, NodeRecord, PathValue } from './records.ts';
export type { AdjacencyTypeCache } from './records.ts';
export { GraphStore, INDEX_KEYS_MAX, metaViewSharedBytesMax } from './store.ts';
export { CreationStamps, checkCreationStamp, stampChunkIds, stampOriginsMax } from './creation-stamps.ts';
export type { CreationStamp, SnapshotCreationStamps } from './creation-stamps.ts';
export { isNaNKeyed, valueKey } from './value-key.ts';
export type { ValueKey } from './value-key.ts';
export { checkStorable, isStorable } from './storable.ts';
export { inByType, outByType, TYPE_CACHE_MIN_DEGREE } from './adjacency.ts';
export { buildPropertyColumn, COLUMN_MISSING, COLUMN_NUMBER, COLUMN_OTHER } from './property-column.ts';
export type { PropertyColumn } from './property-column.ts';
export {
  addDuration,
  addDurations,
  durationsEqual,
  temporalsEqual,
  civilOf,
  epochDayOf,
  buildDuration,
  buildTemporal,
  compareTemporals,
  DurationValue,
  formatDuration,
  formatTemporal,
  TemporalValue,
  temporalProblem,
} from './temporal.ts';
export type { TemporalFields, TemporalKind } from './temporal.ts';
export { encodeSnapshot, decodeSnapshot, encodeCommands, decodeCommands, concatCommandBatches, encodeValue, decodeValue, VALUE_FORMAT_VERSION, SNAPSHOT_MAGIC, SNAPSHOT_FORMAT_VERSION, COMMANDS_FORMAT_VERSION, COMMANDS_FORMAT_VERSION_STAMPS } from './codec.ts';
