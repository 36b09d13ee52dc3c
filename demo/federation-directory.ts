/**
 * The demo's federation directory: where the tabs of federated tab clusters find each other's
 * members. A cluster's relay directory (src/net/directory.ts) lists only that cluster's members,
 * to members; federation needs the addresses of another cluster's peers (any of them serves its
 * change stream), so the demo's dev server keeps this second, plain list beside its relay.
 *
 * - `POST /__geode/federation` with `{ cluster, peer, addrs, federate, parent? }`: a tab says it
 *   is a member of `cluster` reachable at `addrs` (its WebRTC addresses), that its cluster
 *   federates with the clusters `federate` names, and, for a local-first fork, the cluster it
 *   forked from. The entry lives {@link FEDERATION_TTL_MS}; tabs re-register every second or so.
 *   The answer is the whole listing ({@link FederationListing}).
 * - `GET /__geode/federation`: the listing.
 *
 * {@link FederationDirectory} is pure (time passed in); {@link federationDirectoryPlugin} is the
 * Vite middleware around it (Node, never the page). Demo only: anyone who can reach the dev
 * server can register; a cluster's members still authenticate to each other, and a federation
 * pull reads only what its cluster serves.
 */
import type { Plugin } from 'vite';

/** The endpoint. */
export const FEDERATION_ENDPOINT = '/__geode/federation';
/** How long a registration lives, ms. */
export const FEDERATION_TTL_MS = 8_000;
/** Most clusters listed, members per cluster, addresses per member, federated clusters per member. */
export const FEDERATION_CLUSTERS_MAX = 64;
export const FEDERATION_MEMBERS_MAX = 32;
export const FEDERATION_ADDRS_MAX = 8;
export const FEDERATION_FEDERATE_MAX = 8;
/** Longest id (cluster or peer) and address, characters. */
export const FEDERATION_ID_CHARS_MAX = 256;
export const FEDERATION_ADDR_CHARS_MAX = 1_024;
/** Largest request body, bytes. */
export const FEDERATION_BODY_BYTES_MAX = 64 * 1024;

/** A registration. */
export interface FederationRegistration {
  readonly cluster: string;
  readonly peer: string;
  readonly addrs: readonly string[];
  /** The clusters this member's cluster federates with (its URL's `federate=`). */
  readonly federate: readonly string[];
  /** For a local-first fork: the cluster it forked from. */
  readonly parent?: string;
  /** Links to cut or heal (the panel's Cut / Heal button): `pair` is `a|b`, the ids sorted. */
  readonly cuts?: readonly { readonly pair: string; readonly cut: boolean }[];
}

/** One cluster as listed. */
export interface FederationClusterEntry {
  readonly id: string;
  /** Set when the cluster is a local-first fork of another. */
  readonly parent?: string;
  /** Every cluster some member said it federates with. */
  readonly federate: readonly string[];
  readonly members: readonly { readonly peer: string; readonly addrs: readonly string[] }[];
}

/** What the endpoint answers. */
export interface FederationListing {
  readonly clusters: readonly FederationClusterEntry[];
  /** The links cut, as `a|b` with the ids sorted: every tab of both clusters cuts it. */
  readonly cuts?: readonly string[];
}

/** Most links cut at once. */
export const FEDERATION_CUTS_MAX = 64;

function idOk(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= FEDERATION_ID_CHARS_MAX && !/[\s/]/.test(v);
}

/**
 * parseRegistration: a request body checked; a string saying what is wrong otherwise.
 */
export function parseRegistration(body: unknown): FederationRegistration | string {
  if (typeof body !== 'object' || body === null) return 'the body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (!idOk(b['cluster'])) return `cluster must be 1..${FEDERATION_ID_CHARS_MAX} characters without spaces or '/'`;
  if (typeof b['peer'] !== 'string' || b['peer'].length === 0 || b['peer'].length > FEDERATION_ID_CHARS_MAX) return 'peer must be a peer id';
  const addrs = b['addrs'];
  if (!Array.isArray(addrs) || addrs.length > FEDERATION_ADDRS_MAX || !addrs.every((a) => typeof a === 'string' && a.startsWith('/') && a.length <= FEDERATION_ADDR_CHARS_MAX)) {
    return `addrs must be at most ${FEDERATION_ADDRS_MAX} multiaddrs`;
  }
  const federate = b['federate'] ?? [];
  if (!Array.isArray(federate) || federate.length > FEDERATION_FEDERATE_MAX || !federate.every(idOk)) return `federate must be at most ${FEDERATION_FEDERATE_MAX} cluster ids`;
  const parent = b['parent'];
  if (parent !== undefined && !idOk(parent)) return 'parent must be a cluster id';
  const cuts = b['cuts'];
  if (cuts !== undefined) {
    const ok = (c: unknown): boolean => {
      if (typeof c !== 'object' || c === null) return false;
      const { pair, cut } = c as Record<string, unknown>;
      if (typeof pair !== 'string' || typeof cut !== 'boolean') return false;
      const ids = pair.split('|');
      return ids.length === 2 && ids.every(idOk) && ids[0]! < ids[1]!;
    };
    if (!Array.isArray(cuts) || cuts.length > FEDERATION_FEDERATE_MAX || !cuts.every(ok)) return `cuts must be at most ${FEDERATION_FEDERATE_MAX} { pair: 'a|b' (ids sorted), cut: boolean }`;
  }
  return {
    cluster: b['cluster'] as string,
    peer: b['peer'],
    addrs: addrs as string[],
    federate: federate as string[],
    ...(parent === undefined ? {} : { parent }),
    ...(cuts === undefined ? {} : { cuts: cuts as { pair: string; cut: boolean }[] }),
  };
}

interface Member {
  addrs: readonly string[];
  federate: readonly string[];
  parent: string | undefined;
  expires: number;
}

/** FederationDirectory: the registrations, by cluster and peer, each expiring after {@link FEDERATION_TTL_MS}. */
export class FederationDirectory {
  readonly #clusters = new Map<string, Map<string, Member>>();
  readonly #cuts = new Set<string>();

  /** register: records (or refreshes) a member; false when the directory or the cluster is full. */
  register(r: FederationRegistration, nowMs: number): boolean {
    this.#expire(nowMs);
    let members = this.#clusters.get(r.cluster);
    if (members === undefined) {
      if (this.#clusters.size >= FEDERATION_CLUSTERS_MAX) return false;
      members = new Map();
      this.#clusters.set(r.cluster, members);
    }
    if (!members.has(r.peer) && members.size >= FEDERATION_MEMBERS_MAX) return false;
    members.set(r.peer, { addrs: [...r.addrs], federate: [...r.federate], parent: r.parent, expires: nowMs + FEDERATION_TTL_MS });
    for (const c of r.cuts ?? []) {
      if (!c.cut) this.#cuts.delete(c.pair);
      else if (this.#cuts.size < FEDERATION_CUTS_MAX) this.#cuts.add(c.pair);
    }
    return true;
  }

  /** remove: a member gone (its tab closed or its fork ended). */
  remove(cluster: string, peer: string): void {
    const members = this.#clusters.get(cluster);
    members?.delete(peer);
    if (members?.size === 0) this.#clusters.delete(cluster);
  }

  /** list: the live registrations, clusters sorted by id. */
  list(nowMs: number): FederationListing {
    this.#expire(nowMs);
    const clusters: FederationClusterEntry[] = [];
    for (const [id, members] of [...this.#clusters].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const federate = new Set<string>();
      let parent: string | undefined;
      for (const m of members.values()) {
        for (const f of m.federate) federate.add(f);
        parent ??= m.parent;
      }
      clusters.push({
        id,
        ...(parent === undefined ? {} : { parent }),
        federate: [...federate].sort(),
        members: [...members].map(([peer, m]) => ({ peer, addrs: m.addrs })),
      });
    }
    return { clusters, cuts: [...this.#cuts].sort() };
  }

  #expire(nowMs: number): void {
    for (const [id, members] of this.#clusters) {
      for (const [peer, m] of members) if (m.expires <= nowMs) members.delete(peer);
      if (members.size === 0) this.#clusters.delete(id);
    }
  }
}

/**
 * federationDirectoryPlugin: serves {@link FEDERATION_ENDPOINT} on the dev server (`npm run demo`).
 * Off with the relay (`GEODE_DEMO_RELAY=0`): without a relay the tabs are not clusters.
 */
export function federationDirectoryPlugin(): Plugin {
  const dir = new FederationDirectory();
  return {
    name: 'geode-demo-federation-directory',
    apply: 'serve',
    configureServer(server) {
      if (process.env['GEODE_DEMO_RELAY'] === '0') return;
      server.middlewares.use(FEDERATION_ENDPOINT, (req, res) => {
        const answer = (status: number, body: unknown): void => {
          res.statusCode = status;
          res.setHeader('content-type', status === 200 ? 'application/json' : 'text/plain');
          res.setHeader('cache-control', 'no-store');
          res.end(status === 200 ? JSON.stringify(body) : String(body));
        };
        if (req.method === 'GET') return answer(200, dir.list(Date.now()));
        if (req.method !== 'POST' && req.method !== 'DELETE') return answer(405, 'GET, POST or DELETE');
        const chunks: Buffer[] = [];
        let bytes = 0;
        req.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes <= FEDERATION_BODY_BYTES_MAX) chunks.push(c);
        });
        req.on('end', () => {
          if (bytes > FEDERATION_BODY_BYTES_MAX) return answer(413, `at most ${FEDERATION_BODY_BYTES_MAX} bytes`);
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            return answer(400, 'the body must be JSON');
          }
          const r = parseRegistration(body);
          if (typeof r === 'string') return answer(400, r);
          if (req.method === 'DELETE') dir.remove(r.cluster, r.peer);
          else if (!dir.register(r, Date.now())) return answer(507, 'the federation directory is full');
          return answer(200, dir.list(Date.now()));
        });
      });
    },
    transformIndexHtml() {
      if (process.env['GEODE_DEMO_RELAY'] === '0') return [];
      return [{ tag: 'meta', attrs: { name: 'geode-federation', content: FEDERATION_ENDPOINT }, injectTo: 'head' }];
    },
  };
}

/** Most addresses a link is given (the agent tries them in turn). */
export const LINK_ADDRS_MAX = 16;

/**
 * linksFromListing: the clusters `self` should replicate from, with their members' addresses:
 * those `federate` names, those that name `self` in theirs (a link in one URL federates both
 * ways), and the local-first forks of `self` (their writes merge back). Pure.
 */
export function linksFromListing(self: string, federate: readonly string[], listing: FederationListing): { readonly clusterId: string; readonly addresses: readonly string[] }[] {
  const wanted = new Set(federate);
  for (const c of listing.clusters) if (c.federate.includes(self) || c.parent === self) wanted.add(c.id);
  wanted.delete(self);
  const out: { clusterId: string; addresses: string[] }[] = [];
  for (const c of listing.clusters) {
    if (!wanted.has(c.id)) continue;
    const addresses: string[] = [];
    for (const m of c.members) for (const a of m.addrs) if (addresses.length < LINK_ADDRS_MAX) addresses.push(a);
    if (addresses.length > 0) out.push({ clusterId: c.id, addresses });
  }
  return out;
}
