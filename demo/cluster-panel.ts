/**
 * The cluster panel of a tab that joined a cluster: this tab's role, the leader, term and applied
 * index, and one row per peer (this tab marked) with its role, state, health and last contact, as
 * `db.cluster.status()` reports them; refreshed every {@link CLUSTER_PANEL_REFRESH_MS}. A share
 * button copies a link that opens the demo in the same cluster.
 *
 * The dashboard below it: the group's commit and applied index, the leader elections this tab
 * saw, a live chart of replication lag per replica (lag-chart.ts), buttons that run
 * `CALL db.cluster.status()` and `CALL db.cluster.replicationLag()` in the console, and this tab's
 * fault controls: step down (a leader hands over to the best other voter), pause (frozen: no
 * ticks, no traffic), cut off (up, but no traffic to or from the others), resume.
 *
 * Test hooks on `document.body.dataset`: `clusterRole` (`leader`, `follower`, `candidate`, ...
 * this tab's Raft state), `clusterLeader` (the leader's peer id, or empty), `clusterVoters`,
 * `clusterTerm`, `clusterId`, `clusterSelf` (this tab's peer id), `clusterElections` (leader
 * changes this tab saw), `clusterFault` (`none`, `paused`, `isolated`), `clusterCommit`,
 * `clusterApplied`, `clusterTicks` (`worker` or `timers`).
 */
import type { Geode, GeodeCluster, PeerStatus } from '../src/index.ts';
import { ElectionCounter } from './election-counter.ts';
import { LagHistory, renderLagChart, type LagSample } from './lag-chart.ts';
import { startShardView, type ShardView } from './shard-view.ts';
import { shareLink, type TabCluster } from './tab-cluster.ts';

/** What the panel asks of the console. */
export interface ClusterPanelActions {
  /** run: runs `text` through the console's normal query path (editor, history, result table). */
  run(text: string): void;
}

/** The statements of the dashboard's procedure buttons. */
export const CLUSTER_PROCEDURES: readonly { readonly id: string; readonly label: string; readonly text: string }[] = [
  { id: 'cluster-call-status', label: 'status()', text: 'CALL db.cluster.status()' },
  { id: 'cluster-call-lag', label: 'replicationLag()', text: 'CALL db.cluster.replicationLag()' },
  { id: 'cluster-call-shards', label: 'shards()', text: 'CALL db.cluster.shards()' },
];

/** How often the panel reads the cluster's status, ms. */
export const CLUSTER_PANEL_REFRESH_MS = 500;

const short = (peer: string | undefined): string => (peer === undefined || peer.length === 0 ? '—' : `…${peer.slice(-6)}`);

function contact(ms: number | undefined): string {
  if (ms === undefined) return 'never';
  if (ms < 1_000) return `${Math.round(ms)} ms ago`;
  return `${(ms / 1_000).toFixed(1)} s ago`;
}

function button(parent: HTMLElement, id: string, label: string, className: string, title: string): HTMLButtonElement {
  const b = parent.appendChild(document.createElement('button'));
  b.type = 'button';
  b.id = id;
  b.className = className;
  b.textContent = label;
  b.title = title;
  return b;
}

function heading(parent: HTMLElement, text: string): void {
  const h = parent.appendChild(document.createElement('h3'));
  h.className = 'panel-sub';
  h.textContent = text;
}

/** One lag sample: per replica on the leader; this tab's own commit − applied elsewhere. */
function lagSample(handle: GeodeCluster): LagSample {
  const rows = handle.replicationLag();
  if (rows.length > 0) return new Map(rows.map((r) => [r.peer, r.entriesBehind]));
  const st = handle.host?.raftStatus();
  return st === undefined ? new Map() : new Map([[handle.self, Math.max(0, st.hardState.commit - st.applied)]]);
}

/** The fault controls: step down, pause, cut off, resume; `refresh` updates their state. */
function faultControls(panel: HTMLElement, handle: GeodeCluster, onChange: () => void): () => void {
  heading(panel, 'Fault controls');
  const row = panel.appendChild(document.createElement('div'));
  row.className = 'button-row';
  const stepDown = button(row, 'fault-step-down', 'Step down', 'ghost', 'This tab, if it leads, hands leadership to the best other voter');
  const pause = button(row, 'fault-pause', 'Pause', 'ghost', 'Freeze this tab: no ticks, no traffic (as if stopped in a debugger)');
  const cut = button(row, 'fault-cut', 'Cut off', 'ghost', 'Drop all traffic between this tab and the others; it stays up');
  const resume = button(row, 'fault-resume', 'Resume', 'secondary', 'End a pause or a cut-off: this tab catches up');
  const note = panel.appendChild(document.createElement('p'));
  note.id = 'fault-note';
  note.className = 'small muted fault-note';
  const act = (fn: () => void | Promise<unknown>, says: string): void => {
    note.textContent = says;
    void Promise.resolve()
      .then(fn)
      .catch((err: unknown) => (note.textContent = err instanceof Error ? err.message : String(err)))
      .finally(onChange);
  };
  stepDown.addEventListener('click', () =>
    act(async () => {
      const to = await handle.stepDown();
      note.textContent = to === undefined ? 'No other voter could take over: this tab still leads.' : `Leadership handed to …${to.slice(-6)}.`;
    }, 'Handing leadership over…'),
  );
  pause.addEventListener('click', () => act(() => handle.pause(), 'Paused: this tab neither ticks nor talks. Its own statements wait.'));
  cut.addEventListener('click', () => act(() => handle.isolate(), 'Cut off: this tab is up, but nothing passes to or from the others.'));
  resume.addEventListener('click', () => act(() => handle.resume(), 'Resumed: this tab catches up with the group.'));
  return () => {
    const fault = handle.fault();
    const leads = handle.host?.raftStatus().softState.role === 'leader';
    stepDown.disabled = fault !== 'none' || !leads;
    pause.disabled = fault === 'paused';
    cut.disabled = fault !== 'none';
    resume.disabled = fault === 'none';
    panel.dataset['fault'] = fault;
    document.body.dataset['clusterFault'] = fault;
  };
}

/**
 * Renders the panel for `cluster` into `panel` and keeps it fresh; `onTick` runs after each
 * refresh; the procedure buttons run their statements through `actions.run`. In a sharded
 * cluster the panel ends with the shard view (shard-view.ts), returned for the console to mark
 * the shards each statement touched.
 */
export function startClusterPanel(panel: HTMLElement, badge: HTMLElement, cluster: TabCluster, onTick: () => void, actions: ClusterPanelActions): ShardView | undefined {
  const db: Geode = cluster.db;
  const handle = db.cluster!;
  const facts = panel.querySelector('dl.facts');
  const intro = panel.querySelector('p.muted.small');
  if (intro !== null) intro.textContent = `Every tab is a peer with its own IndexedDB database; the tabs of cluster “${cluster.clusterId}” keep one graph replicated by Raft. Open the share link in more tabs to add peers.`;
  const firstFact = facts?.querySelector('dd');
  if (firstFact) firstFact.textContent = `peer ${short(handle.self)}${cluster.founder ? ' (founded the cluster)' : ''}`;

  const summary = panel.appendChild(document.createElement('dl'));
  summary.id = 'cluster-summary';
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
    const link = shareLink(location.href, cluster.clusterId, cluster.shards);
    void navigator.clipboard?.writeText(link).then(
      () => (share.textContent = 'Link copied'),
      () => (share.textContent = link),
    );
  });

  heading(panel, 'Replication lag');
  const lagNote = panel.appendChild(document.createElement('p'));
  lagNote.className = 'small muted lag-note';
  const chart = panel.appendChild(document.createElementNS('http://www.w3.org/2000/svg', 'svg'));
  chart.id = 'lag-chart';
  chart.classList.add('lag-chart');
  chart.setAttribute('role', 'img');
  const legend = panel.appendChild(document.createElement('div'));
  legend.className = 'lag-legend small';
  const lag = new LagHistory();
  let lagLeader: boolean | undefined;
  // Lag comes and goes between two refreshes: keep each replica's peak since the last sample,
  // read after every batch of entries this tab applied.
  const peaks = new Map<string, number>();
  handle.host?.onApplied(() => {
    for (const [peer, behind] of lagSample(handle)) peaks.set(peer, Math.max(behind, peaks.get(peer) ?? 0));
  });

  heading(panel, 'Procedures');
  const calls = panel.appendChild(document.createElement('div'));
  calls.className = 'button-row';
  for (const p of CLUSTER_PROCEDURES) button(calls, p.id, p.label, 'ghost mono', `Run ${p.text} in the console`).addEventListener('click', () => actions.run(p.text));

  const elections = new ElectionCounter();
  const refreshFaults = faultControls(panel, handle, () => render());
  const shardView = startShardView(panel, handle);

  document.body.dataset['clusterId'] = cluster.clusterId;
  document.body.dataset['clusterSelf'] = handle.self;
  document.body.dataset['clusterTicks'] = handle.tickSource();

  const render = (): void => {
    let rows: PeerStatus[] = [];
    let sample: LagSample;
    try {
      rows = handle.status();
      sample = lagSample(handle);
    } catch {
      return; // closing
    }
    const raft = handle.host?.raftStatus();
    const me = rows.find((r) => r.self);
    const state = me?.state ?? 'unknown';
    const voters = rows.filter((r) => r.role === 'voter').length;
    const leader = me?.leader ?? '';
    const b = document.body.dataset;
    b['clusterRole'] = state;
    b['clusterLeader'] = leader;
    b['clusterVoters'] = String(voters);
    b['clusterTerm'] = String(me?.term ?? 0);
    elections.observe(me?.term ?? 0, leader);
    b['clusterElections'] = String(elections.count);
    b['clusterCommit'] = String(raft?.hardState.commit ?? 0);
    b['clusterApplied'] = String(raft?.applied ?? 0);
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
      ['Elections', `${elections.count} seen by this tab`],
      ['Commit', `${raft?.hardState.commit ?? 0} · applied ${raft?.applied ?? 0}`],
      ['Ticks', handle.tickSource() === 'worker' ? 'from a Worker (kept when hidden)' : 'page timers'],
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
      const state = r.role === 'voter' ? r.state : r.role === 'learner' ? 'learner' : `${r.state} (${r.role})`;
      for (const cell of [r.self ? `${short(r.peer)} ★` : short(r.peer), state, r.health, r.self ? 'this tab' : contact(r.lastContactMs)]) {
        const td = tr.insertCell();
        td.textContent = cell;
        td.title = cell === short(r.peer) || cell.endsWith('★') ? r.peer : cell;
      }
    }
    // The chart's lines are the replicas on the leader, this tab elsewhere: start over when that flips.
    const leads = state === 'leader';
    if (lagLeader !== leads) lag.clear();
    lagLeader = leads;
    const peaked = new Map(sample);
    for (const [peer, behind] of peaks) if (peaked.has(peer)) peaked.set(peer, Math.max(behind, peaked.get(peer)!));
    peaks.clear();
    lag.add(peaked);
    lagNote.textContent = leads ? 'Entries each replica is behind this tab, the leader (peak per ½ s).' : 'Entries this tab committed but not yet applied (the leader charts every replica).';
    renderLagChart(chart, legend, lag, handle.self);
    refreshFaults();
    onTick();
  };
  render();
  setInterval(render, CLUSTER_PANEL_REFRESH_MS);
  return shardView;
}
