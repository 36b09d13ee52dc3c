/**
 * The Node cluster transport (registered by src/node.ts, loaded on first use): a Node libp2p peer
 * whose identity key is kept in the data directory of `file:` storage (`peer.key`), so a peer
 * restarted on the same data keeps its id (docs/shard.md, "Node ids": a known peer with a new id
 * would be a stranger holding a voter's log).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createNodePeer } from '../net/node.ts';
import { generatePeerKey, type GeodePeer } from '../net/index.ts';
import { GeodeError } from '../util/errors.ts';
import type { ClusterTransportRequest } from './cluster-transport.ts';

/** The key file's name inside a data directory. */
export const PEER_KEY_FILE = 'peer.key';
/** Largest key file read, bytes (an Ed25519 key protobuf is 68). */
const peerKeyFileBytesMax = 4_096;

/** loadOrCreatePeerKey: the key in `<dir>/peer.key`, created (mode 0600, atomically) when missing. */
export function loadOrCreatePeerKey(dir: string): Promise<Uint8Array> {
  return loadOrCreateKeyFile(join(dir, PEER_KEY_FILE));
}

/**
 * loadOrCreateKeyFile: the peer key in the file `path` (the `peer.key` format), created with a new
 * key (mode 0600, atomically, its folder too) when missing. INPUT_INVALID for an empty or
 * oversized file.
 */
export async function loadOrCreateKeyFile(path: string): Promise<Uint8Array> {
  try {
    const bytes = await readFile(path);
    if (bytes.length === 0 || bytes.length > peerKeyFileBytesMax) throw new GeodeError('INPUT_INVALID', `${path}: ${bytes.length} bytes is not a peer key`, { source: path });
    return new Uint8Array(bytes);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true });
  const key = await generatePeerKey();
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, key, { mode: 0o600, flush: true });
  await rename(tmp, path);
  return key;
}

/** nodeClusterTransport: starts a Node peer for a clustered database. */
export async function nodeClusterTransport(request: ClusterTransportRequest): Promise<GeodePeer> {
  const c = request.cluster;
  let key = c.key;
  if (key === undefined && request.storage.startsWith('file:')) key = await loadOrCreatePeerKey(request.storage.slice('file:'.length));
  const peer = await createNodePeer({
    clusterId: c.id,
    secret: c.secret,
    relays: c.relays,
    ...(key === undefined ? {} : { privateKey: key }),
    ...(c.listen === undefined ? {} : { listen: c.listen }),
    presence: { roles: [c.client ? 'client' : 'member'] },
  });
  for (const p of c.peers) peer.addPeer(p.id, p.addrs, 'node');
  return peer;
}
