/**
 * The federation layer's import path for other layers: the agent that federates a cluster with
 * others (`/geode/federation/1.0.0`), its configuration keys, and the last-write-wins merge.
 * docs/federation.md says what a user sees.
 */
export { FederationAgent, FEDERATION_PROTOCOL } from './agent.ts';
export type { FederationAgentComponents, FederationHost, FederationLagEvent, FederationLinkLag, FederationNet } from './agent.ts';
export { federationConfigKeys, splitFederationConfig, validateFederationConfig } from './config.ts';
export type { FederationPeer, ResolvedFederationConfig } from './config.ts';
export { LwwGraph, compareStamps } from './lww-graph.ts';
export type { ChangeStamp, GraphChange, LwwEdge, LwwNode } from './lww-graph.ts';
export { explainWinner, formatStamp, holdsRecords, propertyRegister, recordsOfGraph } from './local-first.ts';
export type { Register, WinnerExplanation } from './local-first.ts';
