/**
 * Raft node ids of peers. A peer's NodeId is a 52-bit hash of its PeerId, so every member derives
 * the same id without coordination and a restarted peer knows its own id before reading its log.
 * The ConfChange that adds a peer carries its PeerId in `context`, so the log (and every snapshot,
 * which lists the members' PeerIds) holds the NodeId ↔ PeerId mapping every member agrees on; a
 * frame whose Raft messages claim a `from` other than the sender's hash is refused (forged ids).
 *
 * Hazard (docs/shard.md): a peer that loses its data must come back under a NEW PeerId (a new key
 * pair), or it would rejoin as the same voter having forgotten its vote and log.
 */
import type { NodeId } from '../raft/index.ts';
import type { PeerId } from '../net/types.ts';
import { GeodeError } from '../util/errors.ts';

/** Longest PeerId accepted (libp2p ids are ~52 characters). */
export const peerIdCharsMax = 128;

function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A final avalanche so close strings spread over all bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/** nodeIdOfPeer: the Raft NodeId of `peer` (a positive integer below 2^52). */
export function nodeIdOfPeer(peer: PeerId): NodeId {
  const hi = fnv1a(peer, 0x811c9dc5) & 0xfffff;
  const lo = fnv1a(peer, 0x9e3779b9);
  const id = hi * 4294967296 + lo;
  return (id === 0 ? 1 : id) as NodeId;
}

/** checkPeerId: a PeerId from configuration or the wire: a non-empty string of at most peerIdCharsMax. */
export function checkPeerId(value: unknown, what: string): PeerId {
  if (typeof value !== 'string' || value.length === 0 || value.length > peerIdCharsMax) {
    throw new GeodeError('INPUT_INVALID', `${what} must be a peer id (1..${peerIdCharsMax} characters)`, { source: what });
  }
  return value as PeerId;
}
