/**
 * Cluster membership proof, run on every `/geode/peer/1.0.0` stream before anything else.
 *
 * libp2p's noise handshake already proved each side's peer id (its key pair). This handshake proves,
 * in both directions, knowledge of the cluster secret, bound to both peer ids, the cluster id and
 * fresh nonces, so a proof can be neither replayed on another stream nor relayed to another peer:
 *
 * 1. each side sends HELLO { version, nonce (32 random bytes), instance (16 bytes, fixed per process) };
 * 2. on the peer's HELLO, each sends PROOF { HMAC-SHA256(clusterKey, transcript(prover = self)) };
 * 3. on a PROOF that verifies, each sends ACCEPT; a side is authenticated once it verified the peer's
 *    PROOF and received its ACCEPT. Nothing else is sent before, so a peer that fails sees no data.
 *
 * `transcript = "geode/peer-auth/v1" ‖ clusterId ‖ prover id ‖ verifier id ‖ prover HELLO ‖ verifier HELLO`
 * (each as a length-prefixed string/bytes). `clusterKey = HMAC-SHA256(secret, "geode/cluster-key/v1" ‖ clusterId)`.
 * WebCrypto (`crypto.subtle`) only: works in Node 20+ and browsers.
 */
import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';
import { Channel } from './channels.ts';
import { Reader, Writer } from './wire.ts';

/** Version of the handshake; a peer with another version is refused. */
export const AUTH_VERSION = 1;
/** Bytes of a HELLO nonce. */
export const NONCE_BYTES = 32;
/** Bytes of a process instance id (tells a restarted peer from a duplicate connection). */
export const INSTANCE_BYTES = 16;
/** Bytes of a PROOF MAC (HMAC-SHA256). */
export const MAC_BYTES = 32;
/** Longest cluster id, in UTF-8 bytes. */
export const CLUSTER_ID_BYTES_MAX = 256;
/** Longest cluster secret, in bytes. */
export const CLUSTER_SECRET_BYTES_MAX = 4096;

const MSG_HELLO = 1;
const MSG_PROOF = 2;
const MSG_ACCEPT = 3;

/** A decoded handshake message. */
export type HandshakeMessage =
  | { readonly type: 'hello'; readonly version: number; readonly nonce: Uint8Array; readonly instance: Uint8Array }
  | { readonly type: 'proof'; readonly mac: Uint8Array }
  | { readonly type: 'accept' };

/** encodeHandshake: the frame payload (channel byte included) of a handshake message. */
export function encodeHandshake(msg: HandshakeMessage): Uint8Array {
  const w = new Writer(64).u8(Channel.handshake);
  switch (msg.type) {
    case 'hello':
      assert(msg.nonce.length === NONCE_BYTES, `nonce of ${msg.nonce.length} bytes`);
      assert(msg.instance.length === INSTANCE_BYTES, `instance of ${msg.instance.length} bytes`);
      return w.u8(MSG_HELLO).u8(msg.version).raw(msg.nonce).raw(msg.instance).finish();
    case 'proof':
      assert(msg.mac.length === MAC_BYTES, `mac of ${msg.mac.length} bytes`);
      return w.u8(MSG_PROOF).raw(msg.mac).finish();
    case 'accept':
      return w.u8(MSG_ACCEPT).finish();
  }
}

/** decodeHandshake: parses a handshake frame payload from `source`; GeodeError INPUT_INVALID when malformed. */
export function decodeHandshake(payload: Uint8Array, source: string): HandshakeMessage {
  const r = new Reader(payload, source, 'handshake message');
  if (r.u8() !== Channel.handshake) r.fail(`channel ${payload[0]} before the handshake completed`);
  const type = r.u8();
  let msg: HandshakeMessage;
  if (type === MSG_HELLO) {
    const version = r.u8();
    msg = { type: 'hello', version, nonce: r.raw(NONCE_BYTES), instance: r.raw(INSTANCE_BYTES) };
  } else if (type === MSG_PROOF) {
    msg = { type: 'proof', mac: r.raw(MAC_BYTES) };
  } else if (type === MSG_ACCEPT) {
    msg = { type: 'accept' };
  } else {
    return r.fail(`unknown message type ${type}`);
  }
  r.end();
  return msg;
}

/** ClusterKey: what a member derives from the cluster id and secret; the secret itself is not kept. */
export interface ClusterKey {
  readonly clusterId: string;
  /** HMAC-SHA256 key for handshake proofs. */
  readonly hmac: CryptoKey;
  /**
   * The cluster's directory tag, HMAC(clusterKey, "geode/directory-tag/v1"): peers register under
   * it at relays, which thus neither learn the cluster id nor let strangers list the cluster.
   */
  readonly directoryTag: Uint8Array;
}

const text = new TextEncoder();

async function hmacKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

async function hmac(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, data as Uint8Array<ArrayBuffer>));
}

/** deriveClusterKey: the key material of a cluster; GeodeError CONFIG_INVALID for an empty or oversized id or secret. */
export async function deriveClusterKey(clusterId: string, secret: string | Uint8Array): Promise<ClusterKey> {
  const idBytes = text.encode(clusterId);
  const secretBytes = typeof secret === 'string' ? text.encode(secret) : secret;
  if (idBytes.length === 0 || idBytes.length > CLUSTER_ID_BYTES_MAX) {
    throw new GeodeError('CONFIG_INVALID', `cluster id must be 1 to ${CLUSTER_ID_BYTES_MAX} bytes, got ${idBytes.length}`, { source: 'config' });
  }
  if (secretBytes.length === 0 || secretBytes.length > CLUSTER_SECRET_BYTES_MAX) {
    throw new GeodeError('CONFIG_INVALID', `cluster secret must be 1 to ${CLUSTER_SECRET_BYTES_MAX} bytes, got ${secretBytes.length}`, { source: 'config' });
  }
  const secretKey = await hmacKey(secretBytes);
  const derived = await hmac(secretKey, new Writer().string('geode/cluster-key/v1').string(clusterId).finish());
  const key = await hmacKey(derived);
  const directoryTag = await hmac(key, new Writer().string('geode/directory-tag/v1').finish());
  return { clusterId, hmac: key, directoryTag };
}

/** proofTranscript: the bytes a PROOF MACs (see the module comment). */
export function proofTranscript(clusterId: string, prover: string, verifier: string, proverHello: Uint8Array, verifierHello: Uint8Array): Uint8Array {
  return new Writer(256)
    .string('geode/peer-auth/v1')
    .string(clusterId)
    .string(prover)
    .string(verifier)
    .bytes(proverHello)
    .bytes(verifierHello)
    .finish();
}

/** What the caller does after feeding a handshake frame. */
export interface HandshakeStep {
  /** A frame payload to send to the peer, if any. */
  readonly send: Uint8Array | undefined;
  /** True once both sides are proven: shard and presence frames may flow. */
  readonly done: boolean;
}

/** Where a handshake is. */
export type HandshakeState = 'await-hello' | 'await-proof' | 'await-accept' | 'done' | 'failed';

/**
 * Handshake: one side of the membership handshake on one stream. Feed it the peer's handshake
 * frames in order, one at a time (await each `receive`); send what it returns. Any unexpected,
 * malformed or wrong message throws GeodeError INPUT_INVALID (`detail` `AuthFailed` for a proof
 * that does not verify) and the caller closes the stream.
 */
export class Handshake {
  private state: HandshakeState = 'await-hello';
  private readonly hello: Uint8Array;
  private remoteHello: Uint8Array | undefined = undefined;
  /** The peer's process instance id, known after its HELLO. */
  remoteInstance: Uint8Array | undefined = undefined;

  constructor(
    private readonly key: ClusterKey,
    /** This peer's id, as the remote authenticated it. */
    readonly self: string,
    /** The remote peer's id, as libp2p authenticated it. */
    readonly remote: string,
    nonce: Uint8Array,
    instance: Uint8Array,
  ) {
    this.hello = encodeHandshake({ type: 'hello', version: AUTH_VERSION, nonce, instance });
  }

  /** Current state. */
  get status(): HandshakeState {
    return this.state;
  }

  /** The HELLO payload to send first. */
  start(): Uint8Array {
    return this.hello;
  }

  /** receive: processes the peer's next handshake frame payload. */
  async receive(payload: Uint8Array): Promise<HandshakeStep> {
    try {
      return await this.step(payload);
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
  }

  private async step(payload: Uint8Array): Promise<HandshakeStep> {
    const msg = decodeHandshake(payload, this.remote);
    switch (this.state) {
      case 'await-hello': {
        if (msg.type !== 'hello') return this.fail(`expected HELLO, got ${msg.type.toUpperCase()}`, 'BadMessage');
        if (msg.version !== AUTH_VERSION) return this.fail(`handshake version ${msg.version}, expected ${AUTH_VERSION}`, 'BadVersion');
        this.remoteHello = Uint8Array.from(payload);
        this.remoteInstance = Uint8Array.from(msg.instance);
        const mac = await hmac(this.key.hmac, proofTranscript(this.key.clusterId, this.self, this.remote, this.hello, this.remoteHello));
        this.state = 'await-proof';
        return { send: encodeHandshake({ type: 'proof', mac }), done: false };
      }
      case 'await-proof': {
        if (msg.type !== 'proof') return this.fail(`expected PROOF, got ${msg.type.toUpperCase()}`, 'BadMessage');
        assert(this.remoteHello !== undefined, 'PROOF state without the remote HELLO');
        const transcript = proofTranscript(this.key.clusterId, this.remote, this.self, this.remoteHello, this.hello);
        const ok = await crypto.subtle.verify('HMAC', this.key.hmac, msg.mac as Uint8Array<ArrayBuffer>, transcript as Uint8Array<ArrayBuffer>);
        if (!ok) return this.fail('cluster membership proof does not verify (wrong cluster id or secret)', 'AuthFailed');
        this.state = 'await-accept';
        return { send: encodeHandshake({ type: 'accept' }), done: false };
      }
      case 'await-accept': {
        if (msg.type !== 'accept') return this.fail(`expected ACCEPT, got ${msg.type.toUpperCase()}`, 'BadMessage');
        this.state = 'done';
        return { send: undefined, done: true };
      }
      case 'done':
      case 'failed':
        return this.fail(`handshake message after the handshake ${this.state === 'done' ? 'completed' : 'failed'}`, 'BadMessage');
    }
  }

  private fail(message: string, detail: string): never {
    throw new GeodeError('INPUT_INVALID', `peer ${this.remote}: ${message}`, { source: this.remote, detail });
  }
}
