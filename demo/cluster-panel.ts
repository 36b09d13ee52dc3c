/**
 * The cluster panel of a tab that joined a cluster: this tab's role, the leader, term and applied
 * index, and one row per peer (this tab marked) with its role, state, health and last contact, as
 * `db.cluster.status()` reports them; refreshed every {@link CLUSTER_PANEL_REFRESH_MS}. A share
 * button copies a link that opens the demo in the same cluster.
 *
 * Test hooks on `document.body.dataset`: `clusterRole` (`leader`, `follower`, `candidate`, ...
 * this tab's Raft state), `clusterLeader` (the leader's peer id, or empty), `clusterVoters`,
 * `clusterTerm`, `clusterId`, `clusterSelf` (this tab's peer id).
 */
import type { Geode, PeerStatus } from '../src/index.ts';
import { shareLink, type TabCluster } from './tab-cluster.ts';

/** How often the panel reads the cluster's status, ms. */
export const CLUSTER_PANEL_REFRESH_MS = 500;

const short = (peer: string | undefined): string => (peer === undefined || peer.length === 0 ? '—' : `…${peer.slice(-6)}`);

function contact(ms: number | undefined): string {
  if (ms === undefined) return 'never';
  if (ms < 1_000) return `${Math.round(ms)} ms ago`;
  return `${(ms / 1_000).toFixed(1)} s ago`;
}

/** Renders the panel for `cluster` into `panel` and keeps it fresh; `onTick` runs after each refresh. */
export function startClusterPanel(panel: HTMLElement, badge: HTMLElement, cluster: TabCluster, onTick: () => void): void {
  const db: Geode = cluster.db;
  const handle = db.cluster!;
  const facts = panel.querySelector('dl.facts');
  const intro = panel.querySelector('p.muted.small');
  if (intro !== null) intro.textContent = `Every tab is a peer with its own IndexedDB database; the tabs of cluster “${cluster.clusterId}” keep one graph replicated by Raft. Open the share link in more tabs to add peers.`;
  const firstFact = facts?.querySelector('dd');
  if (firstFact) firstFact.textContent = `peer ${short(handle.self)}${cluster.founder ? ' (founded the cluster)' : ''}`;

  const summary = panel.appendChild(document.createElement('dl'));
  summary.className = 'facts';
  const peersTable = panel.appendChild(document.createElement('table'));
  peersTable.id = 'cluster-peers';
  peersTable.className = 'peers small';
  const share = panel.appendChild(document.createElement('button'));
  share.type = 'button';
  share.id = 'cluster-share';
  share.className = 'secondary';
  share.textContent = 'Copy share link';
  share.addEventListener('click', () => {
    const link = shareLink(location.href, cluster.clusterId);
    void navigator.clipboard?.writeText(link).then(
      () => (share.textContent = 'Link copied'),
      () => (share.textContent = link),
    );
  });
  document.body.dataset['clusterId'] = cluster.clusterId;
  document.body.dataset['clusterSelf'] = handle.self;

  const render = (): void => {
    let rows: PeerStatus[] = [];
    try {
      rows = handle.status();
    } catch {
      return; // closing
    }
    const me = rows.find((r) => r.self);
    const state = me?.state ?? 'unknown';
    const voters = rows.filter((r) => r.role === 'voter').length;
    const leader = me?.leader ?? '';
    const b = document.body.dataset;
    b['clusterRole'] = state;
    b['clusterLeader'] = leader;
    b['clusterVoters'] = String(voters);
    b['clusterTerm'] = String(me?.term ?? 0);
    panel.dataset['clusterState'] = state;
    badge.dataset['state'] = state;
    badge.className = `badge ${state === 'leader' ? 'badge-ok' : 'badge-muted'}`;
    badge.textContent = `cluster ${cluster.clusterId}: ${state}`;
    const stateText = panel.querySelector('#cluster-state-text');
    if (stateText !== null) stateText.textContent = `${state} · ${voters} voter${voters === 1 ? '' : 's'} · ${rows.length} peer${rows.length === 1 ? '' : 's'}`;

    summary.replaceChildren();
    for (const [k, v] of [
      ['Leader', leader === handle.self ? 'this tab' : short(leader)],
      ['Term', String(me?.term ?? 0)],
    ] as const) {
      summary.appendChild(document.createElement('dt')).textContent = k;
      summary.appendChild(document.createElement('dd')).textContent = v;
    }

    peersTable.replaceChildren();
    const head = peersTable.createTHead().insertRow();
    for (const h of ['peer', 'state', 'health', 'contact']) head.appendChild(document.createElement('th')).textContent = h;
    const body = peersTable.createTBody();
    for (const r of rows) {
      const tr = body.insertRow();
      if (r.self) tr.className = 'self';
      const state = r.role === 'voter' ? r.state : `${r.state} (${r.role})`;
      for (const cell of [r.self ? `${short(r.peer)} ★` : short(r.peer), state, r.health, r.self ? 'this tab' : contact(r.lastContactMs)]) {
        const td = tr.insertCell();
        td.textContent = cell;
        td.title = cell === short(r.peer) || cell.endsWith('★') ? r.peer : cell;
      }
    }
    onTick();
  };
  render();
  setInterval(render, CLUSTER_PANEL_REFRESH_MS);
}
