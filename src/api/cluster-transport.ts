/**
 * Cluster transports: how a clustered database gets its network peer. Each entry point registers
 * the factory of its platform (src/node.ts: a Node peer; src/index.ts: a browser tab's peer),
 * loaded on first use with a dynamic import, so an embedded-only app never loads libp2p.
 */
import type { GeodePeer } from '../net/index.ts';
import { GeodeError } from '../util/errors.ts';
import type { ResolvedClusterOptions } from './cluster-options.ts';

/** What a factory is asked for: the cluster options, and the storage spec (where a key may be kept). */
export interface ClusterTransportRequest {
  readonly cluster: ResolvedClusterOptions;
  readonly storage: string;
}

/** Starts this platform's network peer for a clustered database. */
export type ClusterTransportFactory = (request: ClusterTransportRequest) => Promise<GeodePeer>;

let factory: ClusterTransportFactory | undefined;

/** registerClusterTransport: the platform's factory (the last registration wins: src/node.ts after src/index.ts). */
export function registerClusterTransport(f: ClusterTransportFactory): void {
  factory = f;
}

/** openClusterTransport: this platform's peer; CONFIG_INVALID when none is registered. */
export function openClusterTransport(request: ClusterTransportRequest): Promise<GeodePeer> {
  if (factory === undefined) {
    return Promise.reject(new GeodeError('CONFIG_INVALID', "cluster: no network peer on this platform (import openGeode from 'geode-db' or 'geode-db/node')", { source: 'config', detail: 'cluster' }));
  }
  return factory(request);
}
