/**
 * The shard layer: the MultiRaft host of replicated graph shards. Other layers import from here.
 *
 * - {@link ShardHost}: many Raft groups per peer over a {@link PeerTransport}, with queries
 *   (writes through the leader, linearizable or bounded-stale reads), membership, status.
 * - {@link GraphReplica}: the embedded database's one-voter group over a durable log.
 * - The wire codec (`encodeFrame` / `decodeFrame`) and the clocks a host is driven by.
 *
 * See docs/shard.md.
 * @packageDocumentation
 */
export { ShardHost } from './host.ts';
export type { ShardHostComponents, ShardHostInit, ShardQueryOptions, ShardQueryResult, Staleness, PeerStatus, ReplicaLag, StepDownOptions } from './host.ts';
export { HostFaults } from './faults.ts';
export type { FaultMode } from './faults.ts';
export { workerClock, workerClockTickMsMax } from './worker-clock.ts';
export type { WorkerClock } from './worker-clock.ts';
export { ShardClient } from './client.ts';
export type { ShardClientComponents, ShardClientInit } from './client.ts';
export type { PeerMode } from './wire.ts';
export { validateShardConfig, shardConfigKeys } from './config.ts';
export type { ShardConfig, ResolvedShardConfig } from './config.ts';
export { systemClock, virtualClock } from './clock.ts';
export type { HostClock, TimerHandle, VirtualScheduler } from './clock.ts';
export { encodeFrame, decodeFrame, groupId } from './wire.ts';
export type { FrameItem, FrameContext, GroupId } from './wire.ts';
export { nodeIdOfPeer } from './peer-ids.ts';
export { toEngineParams } from './values.ts';
export type { PeerHealth } from './failure-detector.ts';
export { GraphReplica, COMMAND_BATCH_BYTES_MAX } from './graph-replica.ts';
export type { GraphReplicaOptions, GraphReplicaStatus } from './graph-replica.ts';
