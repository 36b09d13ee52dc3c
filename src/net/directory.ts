/**
 * The relay's peer directory (`/geode/directory/1.0.0`): wire messages and the registry itself.
 *
 * A peer opens a stream to a relay, sends one REGISTER { tag, kind, ttl, addrs } frame and reads one
 * LIST { status, ttl, peers } frame. `tag` is the cluster's directory tag (see `auth.ts`): only
 * members can compute it, and the relay learns neither the cluster id nor the secret. The relay
 * records the registering peer under the id libp2p authenticated on the connection (a peer cannot
 * register for another) and answers with the other live peers of the same tag. Members still prove
 * membership to each other when they connect: the directory is a hint, not a trust anchor.
 *
 * {@link DirectoryRegistry} is pure: time is passed in.
 */
import { assert } from '../util/assert.ts';
import {
  DIRECTORY_ADDR_CHARS_MAX,
  DIRECTORY_ADDRS_PER_PEER_MAX,
  DIRECTORY_CLUSTERS_MAX,
  DIRECTORY_PEERS_PER_CLUSTER_MAX,
  DIRECTORY_TTL_MS_MAX,
  DIRECTORY_TTL_MS_MIN,
  PEER_ID_CHARS_MAX,
} from './constants.ts';
import type { PeerKind } from './types.ts';
import { Reader, Writer } from './wire.ts';

/** Version byte of directory messages. */
export const DIRECTORY_VERSION = 1;
/** Bytes of a directory tag. */
export const DIRECTORY_TAG_BYTES = 32;

/** A peer as the directory lists it. */
export interface DirectoryEntry {
  readonly id: string;
  readonly kind: PeerKind;
  readonly addrs: readonly string[];
}

/** REGISTER: what a peer sends. */
export interface DirectoryRegister {
  readonly tag: Uint8Array;
  readonly kind: PeerKind;
  /** TTL asked for, ms (the relay clamps it). */
  readonly ttlMs: number;
  readonly addrs: readonly string[];
}

/** Status of a LIST: `ok`, or `full` (the cluster or the relay has no room; the peer was not recorded). */
export type DirectoryStatus = 'ok' | 'full';

/** LIST: what the relay answers. */
export interface DirectoryList {
  readonly status: DirectoryStatus;
  /** TTL granted, ms: re-register well before it runs out. */
  readonly ttlMs: number;
  readonly peers: readonly DirectoryEntry[];
}

const KIND_CODES: Readonly<Record<PeerKind, number>> = { node: 0, tab: 1 };
const STATUS_CODES: Readonly<Record<DirectoryStatus, number>> = { ok: 0, full: 1 };
/** UTF-8 bytes of an address of at most DIRECTORY_ADDR_CHARS_MAX characters (all ASCII in practice). */
const ADDR_BYTES_MAX = DIRECTORY_ADDR_CHARS_MAX * 4;
const PEER_ID_BYTES_MAX = PEER_ID_CHARS_MAX * 4;

function readKind(r: Reader): PeerKind {
  const k = r.u8();
  if (k === 0) return 'node';
  if (k === 1) return 'tab';
  return r.fail(`unknown peer kind ${k}`);
}

function writeAddrs(w: Writer, addrs: readonly string[]): void {
  assert(addrs.length <= DIRECTORY_ADDRS_PER_PEER_MAX, `${addrs.length} addrs, max ${DIRECTORY_ADDRS_PER_PEER_MAX}`);
  w.varuint(addrs.length);
  for (const a of addrs) w.string(a);
}

function readAddrs(r: Reader): string[] {
  const n = r.varuint(DIRECTORY_ADDRS_PER_PEER_MAX);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = r.string(ADDR_BYTES_MAX);
    if (a.length > DIRECTORY_ADDR_CHARS_MAX || !a.startsWith('/')) r.fail(`address ${i} is not a multiaddr of at most ${DIRECTORY_ADDR_CHARS_MAX} chars`);
    out.push(a);
  }
  return out;
}

/** encodeRegister / decodeRegister: the REGISTER frame payload. */
export function encodeRegister(m: DirectoryRegister): Uint8Array {
  assert(m.tag.length === DIRECTORY_TAG_BYTES, `tag of ${m.tag.length} bytes`);
  const w = new Writer(256).u8(DIRECTORY_VERSION).raw(m.tag).u8(KIND_CODES[m.kind]).varuint(m.ttlMs);
  writeAddrs(w, m.addrs);
  return w.finish();
}

export function decodeRegister(bytes: Uint8Array, source: string): DirectoryRegister {
  const r = new Reader(bytes, source, 'directory REGISTER');
  const version = r.u8();
  if (version !== DIRECTORY_VERSION) r.fail(`version ${version}, expected ${DIRECTORY_VERSION}`);
  const tag = Uint8Array.from(r.raw(DIRECTORY_TAG_BYTES));
  const kind = readKind(r);
  const ttlMs = r.varuint(2 ** 40);
  const addrs = readAddrs(r);
  r.end();
  return { tag, kind, ttlMs, addrs };
}

/** encodeList / decodeList: the LIST frame payload. */
export function encodeList(m: DirectoryList): Uint8Array {
  assert(m.peers.length <= DIRECTORY_PEERS_PER_CLUSTER_MAX, `${m.peers.length} peers, max ${DIRECTORY_PEERS_PER_CLUSTER_MAX}`);
  const w = new Writer(1024).u8(DIRECTORY_VERSION).u8(STATUS_CODES[m.status]).varuint(m.ttlMs).varuint(m.peers.length);
  for (const p of m.peers) {
    w.string(p.id).u8(KIND_CODES[p.kind]);
    writeAddrs(w, p.addrs);
  }
  return w.finish();
}

export function decodeList(bytes: Uint8Array, source: string): DirectoryList {
  const r = new Reader(bytes, source, 'directory LIST');
  const version = r.u8();
  if (version !== DIRECTORY_VERSION) r.fail(`version ${version}, expected ${DIRECTORY_VERSION}`);
  const s = r.u8();
  if (s > 1) r.fail(`unknown status ${s}`);
  const status: DirectoryStatus = s === 0 ? 'ok' : 'full';
  const ttlMs = r.varuint(DIRECTORY_TTL_MS_MAX);
  const n = r.varuint(DIRECTORY_PEERS_PER_CLUSTER_MAX);
  const peers: DirectoryEntry[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.string(PEER_ID_BYTES_MAX);
    if (id.length === 0 || id.length > PEER_ID_CHARS_MAX) r.fail(`peer id ${i} has ${id.length} chars`);
    peers.push({ id, kind: readKind(r), addrs: readAddrs(r) });
  }
  r.end();
  return { status, ttlMs, peers };
}

interface Registration {
  kind: PeerKind;
  addrs: readonly string[];
  expiresAtMs: number;
}

function tagKey(tag: Uint8Array): string {
  let s = '';
  for (const b of tag) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Counters of a {@link DirectoryRegistry}. */
export interface DirectoryCounts {
  readonly clusters: number;
  readonly peers: number;
}

/**
 * DirectoryRegistry: the relay's table of live registrations, per directory tag. Bounded by
 * DIRECTORY_CLUSTERS_MAX tags and DIRECTORY_PEERS_PER_CLUSTER_MAX peers per tag; a registration
 * lives `ttlMs` (clamped) unless refreshed, and is dropped when its peer disconnects.
 */
export class DirectoryRegistry {
  private readonly clusters = new Map<string, Map<string, Registration>>();

  constructor(private readonly ttlMsDefault: number) {
    assert(ttlMsDefault >= DIRECTORY_TTL_MS_MIN && ttlMsDefault <= DIRECTORY_TTL_MS_MAX, `default TTL ${ttlMsDefault} out of range`);
  }

  /** register: records (or refreshes) `peer` and returns the other live peers of its cluster. */
  register(peer: string, req: DirectoryRegister, nowMs: number): DirectoryList {
    this.sweep(nowMs);
    const ttlMs = Math.min(Math.max(req.ttlMs === 0 ? this.ttlMsDefault : req.ttlMs, DIRECTORY_TTL_MS_MIN), DIRECTORY_TTL_MS_MAX);
    const key = tagKey(req.tag);
    let cluster = this.clusters.get(key);
    let status: DirectoryStatus = 'ok';
    if (cluster === undefined && this.clusters.size >= DIRECTORY_CLUSTERS_MAX) {
      status = 'full';
    } else {
      if (cluster === undefined) {
        cluster = new Map();
        this.clusters.set(key, cluster);
      }
      if (!cluster.has(peer) && cluster.size >= DIRECTORY_PEERS_PER_CLUSTER_MAX) status = 'full';
      else cluster.set(peer, { kind: req.kind, addrs: req.addrs, expiresAtMs: nowMs + ttlMs });
    }
    const peers: DirectoryEntry[] = [];
    if (cluster !== undefined) {
      for (const [id, reg] of cluster) {
        if (id !== peer && peers.length < DIRECTORY_PEERS_PER_CLUSTER_MAX) peers.push({ id, kind: reg.kind, addrs: reg.addrs });
      }
    }
    return { status, ttlMs, peers };
  }

  /** removePeer: forgets `peer` in every cluster (it disconnected from the relay). */
  removePeer(peer: string): void {
    for (const [key, cluster] of this.clusters) {
      cluster.delete(peer);
      if (cluster.size === 0) this.clusters.delete(key);
    }
  }

  /** sweep: drops expired registrations and empty clusters. */
  sweep(nowMs: number): void {
    for (const [key, cluster] of this.clusters) {
      for (const [id, reg] of cluster) if (reg.expiresAtMs <= nowMs) cluster.delete(id);
      if (cluster.size === 0) this.clusters.delete(key);
    }
  }

  counts(): DirectoryCounts {
    let peers = 0;
    for (const c of this.clusters.values()) peers += c.size;
    return { clusters: this.clusters.size, peers };
  }
}
