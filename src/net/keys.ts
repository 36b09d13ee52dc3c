/**
 * A peer's libp2p identity key, kept across restarts so the peer keeps its id. Serialized as the
 * libp2p private-key protobuf (the format `libp2p` and its key files use), Ed25519 by default.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { GeodeError } from '../util/errors.ts';
import type { PeerId } from './types.ts';

/** generatePeerKey: a new Ed25519 identity key, serialized (store it, pass it back as `privateKey`). */
export async function generatePeerKey(): Promise<Uint8Array> {
  return privateKeyToProtobuf(await generateKeyPair('Ed25519'));
}

/** parsePeerKey: a serialized key back to a libp2p private key; GeodeError CONFIG_INVALID when it is not one. */
export function parsePeerKey(bytes: Uint8Array): PrivateKey {
  try {
    return privateKeyFromProtobuf(bytes);
  } catch (err) {
    throw new GeodeError('CONFIG_INVALID', `privateKey is not a libp2p private key protobuf (${bytes.length} bytes)`, { source: 'config', cause: err });
  }
}

/** peerIdOfKey: the peer id a serialized key gives. */
export function peerIdOfKey(bytes: Uint8Array): PeerId {
  return peerIdFromPrivateKey(parsePeerKey(bytes)).toString() as PeerId;
}
