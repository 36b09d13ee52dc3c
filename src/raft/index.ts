/**
 * The Raft consensus core: a deterministic state machine in the style of etcd-io/raft.
 *
 * The host drives each node with a loop:
 *
 * 1. `ready()` when `hasReady()`; persist its snapshot, entries and hard state (durably when
 *    `mustSync`) BEFORE step 2.
 * 2. Send its messages.
 * 3. Apply its snapshot and committed entries, in order (decode `confChange` entries with
 *    `decodeConfChange` and pass them to `applyConfChange`); serve its read states once applied.
 * 4. `advance(ready)`.
 *
 * Between iterations: `tick()` every `tick_ms`, `step(msg)` for each message received,
 * `propose(data)`, `readIndex(ctx)`, `proposeConfChange(cc)`, `transferLeadership(id)`.
 * See docs/raft.md.
 *
 * @packageDocumentation
 */

export * from './types.ts';
export { RawNode } from './raw-node.ts';
export { MemoryStorage, bootstrapEntries, emptyHardState } from './memory-storage.ts';
export { validateRaftConfig, silentLogger, raftConfigKeys, raftHostKeys } from './config.ts';
export type { ResolvedRaftConfig } from './config.ts';
export { encodeConfChange, decodeConfChange, checkConfChange } from './confchange/codec.ts';
export {
  electionTimeoutMsDefault,
  heartbeatMsDefault,
  tickMsDefault,
  snapshotThresholdDefault,
  maxEntriesPerRequestDefault,
  maxBytesPerRequestDefault,
  maxInflightMsgsDefault,
} from './constants.ts';
