/**
 * The federation panel of a federated tab (`#cluster=us&federate=eu`): this cluster and the
 * ones it federates with (links that open a tab of each), this tab's local-first state, one row
 * per link (connected, cut, entries and ms behind, records merged) with a Cut / Heal button, a
 * live chart of each link's lag in ms (lag-chart.ts), and a conflict example: the same property
 * written in two clusters, the value last-write-wins kept, and why (hybrid timestamp, then
 * cluster id). Refreshed every {@link FEDERATION_PANEL_REFRESH_MS}.
 *
 * Only the leader of a cluster pulls, so link rows and the chart come from the leader's tab; the
 * other tabs list the links.
 *
 * Test hooks on `document.body.dataset`: `federationLinks` (`<cluster>:<state>` joined by
 * spaces: `connected`, `down`, `cut`, or `listed` on a tab that does not lead), and
 * `federationConflict` / `federationConflictWhy` (the value kept, and `later`, `cluster-id` or
 * `same`).
 */
import { explainWinner, formatStamp, propertyRegister, type Register } from '../src/federation/index.ts';
import type { GraphStore } from '../src/graph/index.ts';
import type { Geode } from '../src/index.ts';
import { LagHistory, renderLagChart } from './lag-chart.ts';
import type { LocalFirst } from './local-first.ts';
import { federatedLink, type TabFederation } from './tab-federation.ts';

/** How often the panel refreshes, ms. */
export const FEDERATION_PANEL_REFRESH_MS = 500;
/** The conflict example's node and property. */
export const CONFLICT_LABEL = 'Conflict';
export const CONFLICT_KEY = 'demo';
export const CONFLICT_PROPERTY = 'colour';

function el<K extends keyof HTMLElementTagNameMap>(parent: HTMLElement, tag: K, props: { id?: string; className?: string; text?: string } = {}): HTMLElementTagNameMap[K] {
  const e = parent.appendChild(document.createElement(tag));
  if (props.id !== undefined) e.id = props.id;
  if (props.className !== undefined) e.className = props.className;
  if (props.text !== undefined) e.textContent = props.text;
  return e;
}

function button(parent: HTMLElement, id: string, label: string, className: string, title: string): HTMLButtonElement {
  const b = el(parent, 'button', { id, className, text: label });
  b.type = 'button';
  b.title = title;
  return b;
}

/** The database in use (the member, or its fork) and its cluster id. */
function inUse(db: Geode, clusterId: string, lf: LocalFirst | undefined): { db: Geode; cluster: string } {
  if (lf === undefined) return { db, cluster: clusterId };
  const fork = lf.forkId();
  return lf.db.current !== lf.db.member && fork !== undefined ? { db: lf.db.current, cluster: fork } : { db: lf.db.member, cluster: clusterId };
}

/**
 * startFederationPanel: renders the panel into `aside` (after the cluster panel) and keeps it
 * fresh. `db` is the console's database (the local-first one when on); `run` runs a statement in
 * the console.
 */
export function startFederationPanel(aside: HTMLElement, db: Geode, fed: TabFederation, lf: LocalFirst | undefined, run: (text: string) => void): void {
  const panel = document.createElement('section');
  panel.id = 'federation-panel';
  panel.className = 'card panel';
  const cp = aside.querySelector('#cluster-panel');
  if (cp?.nextSibling) aside.insertBefore(panel, cp.nextSibling);
  else aside.appendChild(panel);
  el(panel, 'h2', { text: 'Federation' });
  const intro = el(panel, 'p', { className: 'small muted' });
  intro.textContent = `Cluster “${fed.clusterId}” replicates with ${fed.federate.length === 0 ? 'the clusters that name it' : fed.federate.map((f) => `“${f}”`).join(', ')} asynchronously; a conflict keeps the write with the later hybrid timestamp (ties: the larger cluster id).`;
  const opens = el(panel, 'p', { className: 'small' });
  for (const other of fed.federate) {
    const a = el(opens, 'a', { text: `open a tab of ${other}` });
    a.href = federatedLink(location.href, other, [fed.clusterId]);
    a.target = '_blank';
    a.rel = 'noopener';
    opens.append(' ');
  }
  const lfLine = el(panel, 'p', { id: 'federation-local-first', className: 'small' });
  // A header badge while the tab works on its own (the cluster badge keeps showing its membership).
  const clusterBadge = document.querySelector('#cluster-badge');
  const lfBadge = document.createElement('span');
  lfBadge.id = 'local-first-badge';
  lfBadge.className = 'badge badge-warn';
  lfBadge.hidden = true;
  clusterBadge?.after(lfBadge);

  const table = el(panel, 'table', { id: 'federation-links', className: 'peers small' });
  const head = table.createTHead().insertRow();
  for (const h of ['from', 'state', 'behind', '']) el(head as unknown as HTMLElement, 'th', { text: h });
  const tbody = table.createTBody();
  const rows = new Map<string, { tr: HTMLTableRowElement; cells: HTMLTableCellElement[]; btn: HTMLButtonElement; cut: boolean }>();
  el(panel, 'h3', { className: 'panel-sub', text: 'Lag per link' });
  const lagNote = el(panel, 'p', { className: 'small muted lag-note' });
  const chart = panel.appendChild(document.createElementNS('http://www.w3.org/2000/svg', 'svg'));
  chart.id = 'federation-lag-chart';
  chart.classList.add('lag-chart');
  chart.setAttribute('role', 'img');
  const legend = el(panel, 'div', { className: 'lag-legend small' });
  const history = new LagHistory();

  el(panel, 'h3', { className: 'panel-sub', text: 'Conflict example' });
  const howto = el(panel, 'p', { className: 'small muted' });
  howto.textContent = `Cut the link, set the colour here and in a tab of the other cluster, then heal: both keep one value. Node (:${CONFLICT_LABEL} {k: '${CONFLICT_KEY}'}).`;
  const row = el(panel, 'div', { className: 'button-row' });
  const colour = el(row, 'input', { id: 'federation-conflict-value' });
  colour.value = `${fed.clusterId}-${['red', 'blue', 'green', 'amber'][Math.floor(Math.random() * 4)]}`;
  colour.size = 12;
  colour.setAttribute('aria-label', 'colour to write');
  const write = button(row, 'federation-conflict-write', 'Set colour here', 'secondary', `Writes ${CONFLICT_PROPERTY} of the conflict node in this cluster`);
  const show = button(row, 'federation-conflict-show', 'Show node', 'ghost', 'Runs the node’s query in the console');
  const conflict = el(panel, 'div', { id: 'federation-conflict', className: 'small' });
  let mine: Register | undefined;
  let mineValue: string | undefined;

  const conflictNode = async (target: Geode): Promise<number | undefined> => {
    const r = await target.query(`MATCH (c:${CONFLICT_LABEL} {k: $k}) RETURN id(c) AS id ORDER BY id LIMIT 1`, { k: CONFLICT_KEY }, { readQuorum: 1 });
    const id = r.rows[0]?.['id'];
    return id === undefined || id === null ? undefined : Number(id);
  };
  const register = async (): Promise<Register | undefined> => {
    const u = inUse(db, fed.clusterId, lf);
    const id = await conflictNode(u.db);
    const g = u.db.cluster?.host?.graph(0) as GraphStore | undefined;
    return id === undefined || g === undefined ? undefined : propertyRegister(g, u.cluster, id, CONFLICT_PROPERTY);
  };
  write.addEventListener('click', () => {
    const v = colour.value.trim() || fed.clusterId;
    conflict.textContent = 'writing…';
    void (async () => {
      const target = inUse(db, fed.clusterId, lf).db;
      const exists = (await conflictNode(target)) !== undefined;
      await target.query(exists ? `MATCH (c:${CONFLICT_LABEL} {k: $k}) SET c.${CONFLICT_PROPERTY} = $v` : `CREATE (:${CONFLICT_LABEL} {k: $k, ${CONFLICT_PROPERTY}: $v})`, { k: CONFLICT_KEY, v });
      // The register as this tab's replica applied it (a follower applies the leader's entry a moment later).
      const end = Date.now() + 5_000;
      while (Date.now() < end) {
        const r = await register();
        if (r !== undefined && r[3] === v) {
          mine = r;
          mineValue = v;
          break;
        }
        await new Promise((ok) => setTimeout(ok, 50));
      }
    })().catch((err: unknown) => (conflict.textContent = err instanceof Error ? err.message : String(err)));
  });
  show.addEventListener('click', () => run(`MATCH (c:${CONFLICT_LABEL} {k: '${CONFLICT_KEY}'}) RETURN c.${CONFLICT_PROPERTY} AS ${CONFLICT_PROPERTY}, c`));

  let renderingConflict = false;
  const renderConflict = async (): Promise<void> => {
    const now = await register();
    const b = document.body.dataset;
    if (now === undefined) {
      conflict.textContent = 'No conflict node yet: set a colour to create it.';
      delete b['federationConflict'];
      return;
    }
    const lines: string[] = [`kept: ${JSON.stringify(now[3])} · stamp ${formatStamp(now)}`];
    if (mine !== undefined) {
      const why = explainWinner(mine, now);
      lines.push(mine[3] === now[3] && why.reason === 'same' ? `this tab wrote ${JSON.stringify(mineValue)} (${formatStamp(mine)}): it holds so far` : `this tab wrote ${JSON.stringify(mineValue)} (${formatStamp(mine)}). ${why.text}`);
      b['federationConflictWhy'] = why.reason;
    }
    conflict.replaceChildren(...lines.map((t) => Object.assign(document.createElement('p'), { textContent: t })));
    b['federationConflict'] = String(now[3]);
  };

  const render = (): void => {
    const lag = fed.lag();
    const linked = fed.linked();
    const leads = lag.length > 0 || (db.cluster?.isLeader() ?? false);
    const mode = lf?.mode() ?? 'off';
    lfLine.textContent =
      lf === undefined
        ? 'Local-first off (&localfirst=off): cut off, this tab waits for its cluster.'
        : `Local-first: ${mode === 'member' ? 'member of its cluster' : mode === 'fork' ? 'working on its own (fork)' : mode === 'draining' ? 'back: merging its offline writes' : 'back: its fork is merging'} · ${lf.note()}`;
    lfLine.dataset['mode'] = mode;
    lfBadge.hidden = mode === 'member' || mode === 'off';
    lfBadge.textContent = mode === 'fork' ? `working offline: ${lf?.forkId() ?? ''}` : mode === 'draining' || mode === 'retiring' ? 'merging offline writes' : '';
    lfBadge.title = lf?.note() ?? '';
    const states: string[] = [];
    const sample = new Map<string, number>();
    const clusters = [...new Set([...fed.federate, ...linked])];
    for (const [c, r] of rows) {
      if (!clusters.includes(c)) {
        r.tr.remove();
        rows.delete(c);
      }
    }
    for (const c of clusters) {
      const l = lag.find((x) => x.cluster === c);
      const cut = fed.isCut(c) || (l?.cut ?? false);
      const state = cut ? 'cut' : l === undefined ? (linked.includes(c) ? 'listed' : 'waiting') : l.connected ? 'connected' : 'down';
      states.push(`${c}:${state}`);
      if (l !== undefined) sample.set(c, Math.round(l.msBehind / 100) / 10);
      let r = rows.get(c);
      if (r === undefined) {
        const tr = tbody.insertRow();
        const cells = [0, 1, 2].map(() => tr.insertCell());
        const td = tr.insertCell();
        const safe = c.replace(/[^A-Za-z0-9_-]/g, '_');
        const btn = button(td as unknown as HTMLElement, `federation-cut-${safe}`, 'Cut', 'ghost', '');
        btn.dataset['cluster'] = c;
        const row = { tr, cells, btn, cut: false };
        btn.addEventListener('click', () => {
          btn.disabled = true;
          void fed.cut(c, !row.cut).finally(() => {
            btn.disabled = false;
            render();
          });
        });
        rows.set(c, (r = row));
      }
      r.cut = cut;
      const texts = [c, state, l === undefined ? '—' : `${l.entriesBehind} · ${(l.msBehind / 1_000).toFixed(1)} s`];
      texts.forEach((t, i) => {
        if (r.cells[i]!.textContent !== t) r.cells[i]!.textContent = t;
      });
      r.tr.dataset['state'] = state;
      r.tr.title = l === undefined ? `${c} → ${fed.clusterId}` : `${c} → ${fed.clusterId}: cursor ${l.cursor}, ${l.entriesBehind} entries and ${l.msBehind} ms behind, ${l.recordsReceived} records received, ${l.recordsMerged} merged`;
      r.btn.textContent = cut ? 'Heal' : 'Cut';
      r.btn.className = cut ? 'secondary' : 'ghost';
      r.btn.title = cut ? `Heal the link between ${fed.clusterId} and ${c}` : `Cut the link between ${fed.clusterId} and ${c} (both ways, every tab)`;
    }
    document.body.dataset['federationLinks'] = states.join(' ');
    history.add(sample);
    lagNote.textContent = leads ? 'Seconds since this cluster last had everything from each link (this tab leads and pulls).' : 'The leader’s tab pulls and charts each link; this tab lists them.';
    renderLagChart(chart, legend, history, '', (k) => k);
    if (!renderingConflict) {
      renderingConflict = true;
      void renderConflict()
        .catch(() => undefined)
        .finally(() => (renderingConflict = false));
    }
  };
  render();
  setInterval(render, FEDERATION_PANEL_REFRESH_MS);
}
