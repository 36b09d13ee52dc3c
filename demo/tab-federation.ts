/**
 * Federated tab clusters: a tab opened with `#cluster=us&federate=eu` is a member of cluster
 * `us` (its tabs, one Raft group) with federation on (`federation.enabled`), and `us`
 * replicates with `eu`, another group of tabs, asynchronously with last-write-wins
 * (src/federation, docs/federation.md).
 *
 * Every {@link FEDERATION_REFRESH_MS} each tab registers in the dev server's federation directory
 * (demo/federation-directory.ts) with its WebRTC addresses and reads the listing back; it then
 * links its federation agent to every cluster it should replicate from (`agent.link`, the
 * members' addresses; only the leader pulls) and unlinks the others. Links go both ways: a
 * cluster that names another in its URL is pulled by that one too. The listing also carries the
 * cuts made with the panel's Cut button, which every tab of both clusters applies
 * (`agent.cut`): a cut link neither pulls nor serves on either side.
 */
import type { FederationLinkLag, Geode } from '../src/index.ts';
import type { FederationListing } from './federation-directory.ts';
import { linksFromListing } from './federation-directory.ts';

/** How often a tab registers and reads the directory, ms. */
export const FEDERATION_REFRESH_MS = 1_000;
/** How long a directory request may take, ms. */
export const FEDERATION_REQUEST_TIMEOUT_MS = 2_000;
/** Most clusters named in `federate=`. */
export const FEDERATE_MAX = 8;

/** The federation part of a URL fragment. */
export interface FederationParams {
  /** The clusters named in `federate=` (comma-separated), this cluster's own id left out. */
  readonly federate: readonly string[];
  /** Local-first on: on with `federate` unless `localfirst=off`; `localfirst=on` turns it on alone. */
  readonly localFirst: boolean;
}

/** federationFromHash: the federation params of `#cluster=<id>&federate=a,b[&localfirst=off|on]`; undefined when the URL asks for neither. */
export function federationFromHash(hash: string, self: string): FederationParams | undefined {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const raw = q.get('federate');
  const lf = q.get('localfirst');
  if (raw === null && lf !== 'on') return undefined;
  const federate = [...new Set((raw ?? '').split(',').map((s) => s.trim()))].filter((s) => s.length > 0 && s.length <= 256 && !/[\s/]/.test(s) && s !== self).slice(0, FEDERATE_MAX);
  return { federate, localFirst: lf !== 'off' };
}

/** federatedLink: the link that opens a tab of cluster `cluster` federated with `federate`. */
export function federatedLink(href: string, cluster: string, federate: readonly string[], localFirst = true): string {
  const u = new URL(href);
  u.hash = `cluster=${encodeURIComponent(cluster)}&federate=${federate.map(encodeURIComponent).join(',')}${localFirst ? '' : '&localfirst=off'}`;
  return u.toString();
}

/** A pair of clusters as the directory's cuts name it. */
export function cutPair(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** A tab cluster's federation, kept in line with the directory. */
export interface TabFederation {
  readonly clusterId: string;
  readonly federate: readonly string[];
  /** The last listing read (undefined before the first answer). */
  listing(): FederationListing | undefined;
  /** Whether the directory answered the last request. */
  reachable(): boolean;
  /** lag: the agent's rows (on the leader; empty elsewhere). */
  lag(): FederationLinkLag[];
  /** The clusters this one replicates from now. */
  linked(): string[];
  /** cut: cuts (or heals) the link between this cluster and `other`, for every tab of both (through the directory). */
  cut(other: string, cut: boolean): Promise<void>;
  /** Whether the link to `other` is cut. */
  isCut(other: string): boolean;
  stop(): Promise<void>;
}

function endpoint(): string | undefined {
  const e = document.querySelector<HTMLMetaElement>('meta[name="geode-federation"]')?.content;
  return e === undefined || e.length === 0 ? undefined : e;
}

/** The addresses other clusters dial: WebRTC through the relay (a relayed connection is for signalling only). */
function dialable(addrs: readonly string[]): string[] {
  const rtc = addrs.filter((a) => a.includes('/webrtc') && a.includes('/p2p/'));
  return (rtc.length > 0 ? rtc : addrs.filter((a) => a.includes('/p2p-circuit'))).slice(0, 8);
}

/**
 * startTabFederation: registers `db` (a member of `clusterId` with federation on) in the
 * directory and keeps its agent's links in line with the listing. `parent`: for a local-first
 * fork, the cluster it forked from (which then pulls from it).
 */
export function startTabFederation(db: Geode, clusterId: string, federate: readonly string[], parent?: string): TabFederation {
  const agent = db.cluster?.federation;
  const url = endpoint();
  let listing: FederationListing | undefined;
  let reachable = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cutsWanted = new Map<string, boolean>();

  const body = (extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ cluster: clusterId, peer: db.cluster?.self ?? '', addrs: dialable(db.cluster?.addrs() ?? []), federate, ...(parent === undefined ? {} : { parent }), ...extra });

  const apply = (l: FederationListing): void => {
    if (agent === undefined) return;
    const want = linksFromListing(clusterId, federate, l);
    const names = new Set(want.map((w) => w.clusterId));
    for (const w of want) {
      try {
        agent.link(w);
      } catch {
        // too many links: the panel shows the ones there are
      }
    }
    for (const had of agent.links()) if (!names.has(had.clusterId)) agent.unlink(had.clusterId);
    const cuts = new Set(l.cuts ?? []);
    for (const other of new Set([...names, ...l.clusters.map((c) => c.id)])) {
      if (other === clusterId) continue;
      agent.cut(other, cuts.has(cutPair(clusterId, other)));
    }
  };

  const refresh = async (): Promise<void> => {
    if (url === undefined || stopped) return;
    try {
      const cut = [...cutsWanted].map(([other, c]) => ({ pair: cutPair(clusterId, other), cut: c }));
      const r = await fetch(url, { method: 'POST', body: body(cut.length > 0 ? { cuts: cut } : {}), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(FEDERATION_REQUEST_TIMEOUT_MS), cache: 'no-store' });
      if (!r.ok) throw new Error(`${r.status}`);
      listing = (await r.json()) as FederationListing;
      cutsWanted.clear();
      reachable = true;
      if (!stopped) apply(listing);
    } catch {
      reachable = false;
    }
  };
  const loop = (): void => {
    void refresh().finally(() => {
      if (!stopped) timer = setTimeout(loop, FEDERATION_REFRESH_MS);
    });
  };
  loop();

  return {
    clusterId,
    federate,
    listing: () => listing,
    reachable: () => reachable,
    lag: () => {
      try {
        return agent?.lag() ?? [];
      } catch {
        return [];
      }
    },
    linked: () => agent?.links().map((l) => l.clusterId) ?? [],
    async cut(other, c) {
      cutsWanted.set(other, c);
      agent?.cut(other, c);
      await refresh();
    },
    isCut: (other) => (listing?.cuts ?? []).includes(cutPair(clusterId, other)),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (url !== undefined) await fetch(url, { method: 'DELETE', body: body(), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(FEDERATION_REQUEST_TIMEOUT_MS) }).catch(() => undefined);
    },
  };
}
