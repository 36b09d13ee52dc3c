/**
 * The demo's query console: this tab's own Geode (IndexedDB, surviving reloads), a GQL editor
 * with completion and history, results as a table, a graph drawing and an EXPLAIN plan, and the
 * LDBC sample loader. The "Cluster" panel shows this tab's database until the cluster layer lets
 * tabs join one.
 *
 * Hooks for tests and for the curious (stable; the e2e tests rely on them):
 * - `window.geode`: the open database (`await window.geode.query('RETURN 1 AS x')`);
 * - `document.body.dataset.ready === 'true'` once the database is open and the console wired;
 * - `document.body.dataset.runs`: how many statements have finished (result or error);
 * - `document.body.dataset.sample`: `loading`, `loaded` or `failed` once the sample was asked for;
 * - `#error[data-code]`: the GeodeError code of the last failed statement;
 * - `#graph[data-nodes]`, `#graph[data-edges]`: what the graph view drew last;
 * - performance marks `geode:modules-loaded`, `geode:database-open` (joined, for a cluster tab) and
 *   `geode:ready`, ms after navigation start;
 * - `document.body.dataset.live`: `on` while the Live toggle runs the query as a subscription,
 *   `document.body.dataset.liveUpdates`: how many results it rendered.
 */
import type { Geode, QueryResult, Unsubscribe } from '../src/index.ts';
import { consoleCompletion, EMPTY_SCHEMA, quoteName, readSchema, type SchemaNames } from './completion.ts';
import { ConsoleEditor } from './editor.ts';
import { describeError, type ErrorReport } from './error-view.ts';
import { plural } from './format.ts';
import { collectGraph, hasGraph, type GraphData } from './graph-data.ts';
import { GraphView } from './graph-view.ts';
import { QueryHistory } from './history.ts';
import { paramNames, parseParams } from './params.ts';
import { renderPlan } from './plan-view.ts';
import { renderTable } from './results-table.ts';
import { LDBC_SAMPLE_MANIFEST, LDBC_SAMPLE_URL_PATH, type LdbcSampleManifest } from './sample-manifest.ts';
import { loadLdbcSample } from './sample-loader.ts';
import { openTabDatabase } from './tab-database.ts';
import { followVisibility } from './tab-cluster.ts';
import { startClusterPanel } from './cluster-panel.ts';
import type { ShardView } from './shard-view.ts';

declare global {
  interface Window {
    /** The demo's database, exposed for tests and the DevTools console. */
    geode?: Geode;
  }
}

function $<T extends HTMLElement>(selector: string): T {
  const el = document.querySelector<T>(selector);
  if (el === null) throw new Error(`demo: ${selector} is missing from index.html`);
  return el;
}

/** Example queries of the side panel; `ldbc` ones need the sample loaded. */
const EXAMPLES: readonly { title: string; query: string; params?: string; ldbc: boolean }[] = [
  {
    title: 'Create a tiny graph',
    ldbc: false,
    query:
      "CREATE (ada:Person {name: 'Ada', born: 1815}), (alan:Person {name: 'Alan', born: 1912}),\n" +
      "       (grace:Person {name: 'Grace', born: 1906}), (edsger:Person {name: 'Edsger', born: 1930}),\n" +
      '       (ada)-[:KNOWS]->(alan), (alan)-[:KNOWS]->(grace), (grace)-[:KNOWS]->(edsger), (edsger)-[:KNOWS]->(ada)',
  },
  { title: 'Who knows whom', ldbc: false, query: 'MATCH (p:Person)-[k:KNOWS]->(f:Person)\nRETURN p, k, f\nLIMIT 60' },
  {
    title: 'Most connected people',
    ldbc: true,
    query: "MATCH (p:Person)-[:KNOWS]-(f:Person)\nRETURN p.firstName + ' ' + p.lastName AS person, count(f) AS friends\nORDER BY friends DESC, person\nLIMIT 10",
  },
  {
    title: 'Friends of friends (parameter)',
    ldbc: true,
    params: '{"first": "Jose"}',
    query: 'MATCH path = (p:Person {firstName: $first})-[:KNOWS*1..2]-(f:Person)\nRETURN path\nLIMIT 40',
  },
  {
    title: 'Popular tags in forums',
    ldbc: true,
    query: 'MATCH (f:Forum)-[:CONTAINER_OF]->(:Post)-[:HAS_TAG]->(t:Tag)\nRETURN t.name AS tag, count(DISTINCT f) AS forums, count(*) AS posts\nORDER BY posts DESC\nLIMIT 10',
  },
  {
    title: 'Where people live (plan)',
    ldbc: true,
    query: 'EXPLAIN MATCH (p:Person)-[:IS_LOCATED_IN]->(c:Place)\nWHERE p.gender = $gender\nRETURN c.name AS city, count(p) AS people\nORDER BY people DESC',
  },
];

performance.mark('geode:modules-loaded');
const tab = await openTabDatabase(location.search, location.hash);
performance.mark('geode:database-open');
const db = tab.db;
/** The console's session: BEGIN / START TRANSACTION, COMMIT and ROLLBACK work across its runs. */
const session = db.session();
window.geode = db;

// ---- elements
const storageBadge = $<HTMLSpanElement>('#storage-badge');
const notice = $<HTMLDivElement>('#notice');
const runButton = $<HTMLButtonElement>('#run');
const explainButton = $<HTMLButtonElement>('#explain');
const liveButton = $<HTMLButtonElement>('#live');
const paramsToggle = $<HTMLButtonElement>('#params-toggle');
const paramsBox = $<HTMLDivElement>('#params-box');
const paramsInput = $<HTMLTextAreaElement>('#params');
const statusLine = $<HTMLSpanElement>('#status');
const errorBox = $<HTMLDivElement>('#error');
const table = $<HTMLTableElement>('#result');
const tableNote = $<HTMLParagraphElement>('#table-note');
const tableEmpty = $<HTMLParagraphElement>('#table-empty');
const graphEmpty = $<HTMLParagraphElement>('#graph-empty');
const graphBox = $<HTMLDivElement>('#graph');
const planBox = $<HTMLDivElement>('#plan');
const planEmpty = $<HTMLParagraphElement>('#plan-empty');
const sampleButton = $<HTMLButtonElement>('#sample');
const sampleProgress = $<HTMLProgressElement>('#sample-progress');
const sampleStatus = $<HTMLSpanElement>('#sample-status');
const examplesList = $<HTMLUListElement>('#examples');
const schemaBox = $<HTMLDivElement>('#schema');
const historyList = $<HTMLOListElement>('#history');

// ---- this tab's database (header badge and cluster panel)
storageBadge.dataset['kind'] = tab.kind;
storageBadge.replaceChildren(tab.kind === 'indexeddb' ? 'IndexedDB' : 'memory');
storageBadge.appendChild(document.createElement('span')).textContent = tab.kind === 'indexeddb' ? ` · ${tab.name}` : ' · not kept on reload';
storageBadge.lastElementChild!.className = 'badge-detail';
$<HTMLElement>('#storage-kind').textContent = tab.kind === 'indexeddb' ? 'IndexedDB (kept across reloads)' : 'memory (lost on reload)';
$<HTMLElement>('#storage-name').textContent = tab.name;
if (tab.fallbackReason !== undefined) {
  notice.hidden = false;
  notice.textContent =
    tab.kind === 'indexeddb'
      ? `This tab ${tab.fallbackReason}; it runs its own database instead.`
      : `IndexedDB could not be opened (${tab.fallbackReason}); this tab's database lives in memory and is lost on reload.`;
}

function updateCounts(): void {
  const nodes = db.graph.nodeCount;
  const edges = db.graph.edgeCount;
  $<HTMLElement>('#graph-counts').textContent = `${plural(nodes, 'node')} · ${plural(edges, 'relationship')}`;
}

// ---- schema (completion and the side panel)
let schema: SchemaNames = EMPTY_SCHEMA;

async function refreshSchema(): Promise<void> {
  try {
    schema = await readSchema(session); // in the session: inside an open transaction it sees its writes
  } catch {
    return; // a closed or failing database: the run's own error says so
  }
  renderSchema();
  updateSampleButton();
  updateCounts();
  renderExamples();
}

function renderSchema(): void {
  schemaBox.replaceChildren();
  const groups: [string, readonly string[], string, (n: string) => string][] = [
    ['Labels', schema.labels, 'chip-label', (n) => `:${quoteName(n)}`],
    ['Relationship types', schema.relationshipTypes, 'chip-type', (n) => `:${quoteName(n)}`],
    ['Property keys', schema.propertyKeys, 'chip-key', (n) => quoteName(n)],
  ];
  for (const [title, names, cls, insert] of groups) {
    if (names.length === 0) continue;
    const group = schemaBox.appendChild(document.createElement('div'));
    group.appendChild(document.createElement('h3')).textContent = title;
    const chips = group.appendChild(document.createElement('div'));
    chips.className = 'chips';
    for (const n of names) {
      const chip = chips.appendChild(document.createElement('button'));
      chip.type = 'button';
      chip.className = `chip ${cls}`;
      chip.textContent = n;
      chip.title = `insert ${insert(n)}`;
      chip.addEventListener('click', () => {
        editor.view.dispatch(editor.view.state.replaceSelection(insert(n)));
        editor.focus();
      });
    }
  }
  if (schemaBox.childElementCount === 0) {
    schemaBox.appendChild(document.createElement('p')).textContent = 'The graph is empty: create something, or load the sample data.';
    schemaBox.lastElementChild!.className = 'muted small';
  }
}

// ---- history
const queries = new QueryHistory(safeLocalStorage());

function safeLocalStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/** Most history entries listed in the side panel (all are kept for Up/Down). */
const HISTORY_LISTED_MAX = 30;

function renderHistory(): void {
  historyList.replaceChildren();
  const entries = queries.entries;
  for (let i = entries.length - 1; i >= Math.max(0, entries.length - HISTORY_LISTED_MAX); i--) {
    const text = entries[i]!;
    const item = historyList.appendChild(document.createElement('li'));
    const button = item.appendChild(document.createElement('button'));
    button.type = 'button';
    button.textContent = text.replace(/\s+/g, ' ');
    button.title = text;
    button.addEventListener('click', () => {
      editor.setText(text);
      editor.focus();
    });
  }
  if (entries.length === 0) historyList.appendChild(document.createElement('li')).textContent = 'Statements you run appear here.';
  historyList.lastElementChild?.classList.add('muted', 'small');
}

$<HTMLButtonElement>('#history-clear').addEventListener('click', () => {
  queries.clear();
  renderHistory();
});

// ---- editor
const editor = new ConsoleEditor({
  parent: $<HTMLDivElement>('#editor'),
  doc: db.graph.nodeCount === 0 ? EXAMPLES[0]!.query : EXAMPLES[1]!.query,
  completion: consoleCompletion(
    () => schema,
    () => paramNames(paramsInput.value),
  ),
  history: queries,
  onRun: () => runOrSubscribe(editor.text),
});

paramsToggle.addEventListener('click', () => {
  paramsBox.hidden = !paramsBox.hidden;
  paramsToggle.setAttribute('aria-expanded', String(!paramsBox.hidden));
  if (!paramsBox.hidden) paramsInput.focus();
});
paramsInput.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    runOrSubscribe(editor.text);
  }
});

// ---- result tabs
type ViewName = 'table' | 'graph' | 'plan';
const tabs: Record<ViewName, { button: HTMLButtonElement; panel: HTMLElement }> = {
  table: { button: $('#tab-table'), panel: $('#view-table') },
  graph: { button: $('#tab-graph'), panel: $('#view-graph') },
  plan: { button: $('#tab-plan'), panel: $('#view-plan') },
};
let currentView: ViewName = 'table';
let lastGraph: GraphData | undefined;
/** The cluster panel's shard view (a sharded cluster only): marks the shards each statement touched. */
let shardView: ShardView | undefined;
let drawnGraph: GraphData | undefined;
const graphView = new GraphView(graphBox, $('#graph-inspector'), $('#graph-note'));

function showView(name: ViewName): void {
  currentView = name;
  for (const [key, t] of Object.entries(tabs) as [ViewName, (typeof tabs)[ViewName]][]) {
    t.button.setAttribute('aria-selected', String(key === name));
    t.panel.hidden = key !== name;
  }
  if (name === 'graph') void drawGraphIfNeeded();
}

async function drawGraphIfNeeded(): Promise<void> {
  const g = lastGraph;
  const drawable = g !== undefined && hasGraph(g);
  graphEmpty.hidden = drawable;
  graphBox.hidden = !drawable;
  if (!drawable) {
    $<HTMLElement>('#graph-note').hidden = true;
    $<HTMLElement>('#graph-inspector').hidden = true;
    return;
  }
  if (drawnGraph === g) {
    graphView.resize();
    return;
  }
  drawnGraph = g;
  await graphView.draw(g);
}

for (const [key, t] of Object.entries(tabs) as [ViewName, (typeof tabs)[ViewName]][]) {
  t.button.addEventListener('click', () => showView(key));
}
new ResizeObserver(() => {
  if (currentView === 'graph') graphView.resize();
}).observe(tabs.graph.panel);

// ---- running statements
function finishRun(): void {
  document.body.dataset['runs'] = String(Number(document.body.dataset['runs'] ?? '0') + 1);
}

function showError(report: ErrorReport): void {
  errorBox.hidden = false;
  errorBox.dataset['code'] = report.code;
  errorBox.querySelector('.error-code')!.textContent = report.code;
  errorBox.querySelector('.error-where')!.textContent = report.at === undefined ? '' : `line ${report.at.line}, column ${report.at.column}`;
  errorBox.querySelector('.error-message')!.textContent = report.detail === undefined ? report.message : `${report.message} (${report.detail})`;
  const excerpt = errorBox.querySelector<HTMLPreElement>('.error-excerpt')!;
  excerpt.hidden = report.excerpt === undefined;
  excerpt.textContent = report.excerpt ?? '';
  editor.markError(report.at === undefined ? undefined : { from: report.at.from, to: report.at.to });
}

function clearResult(): void {
  table.replaceChildren();
  tableNote.hidden = true;
  tableEmpty.hidden = false;
  planBox.replaceChildren();
  planEmpty.hidden = false;
  lastGraph = undefined;
}

function showResult(result: QueryResult, ms: number): void {
  const note = renderTable(table, result);
  tableNote.hidden = note === '';
  tableNote.textContent = note;
  tableEmpty.hidden = result.columns.length > 0;
  tableEmpty.textContent = result.columns.length > 0 ? '' : 'The statement returned no columns.';
  if (result.plan !== undefined) {
    renderPlan(planBox, result.plan);
    planEmpty.hidden = true;
  } else {
    planBox.replaceChildren();
    planEmpty.hidden = false;
  }
  lastGraph = collectGraph(result.columns, result.rows);
  const rows = result.rows.length;
  statusLine.textContent =
    result.plan !== undefined
      ? `plan of ${plural(result.plan.split('\n').length, 'operator')} · not run · ${ms.toFixed(1)} ms`
      : `${plural(rows, 'row')} · ${plural(result.writes, 'write')} · ${ms.toFixed(1)} ms`;
  // A sharded cluster says which shards the statement touched.
  if (result.shards !== undefined) statusLine.textContent += ` · ${result.shards.length === 1 ? 'shard' : 'shards'} ${result.shards.join(', ')}`;
  shardView?.touched(result.shards);
  statusLine.className = 'status ok';
  // The view follows the result: a plan for EXPLAIN, the graph if it is open and there is one to draw.
  if (result.plan !== undefined) showView('plan');
  else if (currentView === 'plan' || (currentView === 'graph' && !hasGraph(lastGraph))) showView('table');
  else showView(currentView);
}

let running = false;

async function run(text: string): Promise<void> {
  if (running) return;
  running = true;
  runButton.disabled = true;
  errorBox.hidden = true;
  delete errorBox.dataset['code'];
  editor.markError(undefined);
  statusLine.textContent = 'running…';
  statusLine.className = 'status';
  queries.add(text);
  renderHistory();
  const started = performance.now();
  try {
    const params = parseParams(paramsInput.value);
    const result = await session.query(text, params);
    showResult(result, performance.now() - started);
    if (session.inTransaction) statusLine.textContent += ' · in a transaction (COMMIT or ROLLBACK ends it)';
    if (result.writes > 0 || /^\s*(CREATE|DROP)\s+(INDEX|CONSTRAINT)\b/i.test(text)) await refreshSchema();
  } catch (err) {
    const report = describeError(err, text);
    clearResult();
    showView(currentView === 'plan' ? 'table' : currentView);
    showError(report);
    statusLine.textContent = `error ${report.code}`;
    statusLine.className = 'status failed';
  } finally {
    updateCounts();
    running = false;
    runButton.disabled = false;
    finishRun();
  }
}

// ---- live: the query as a subscription (db.subscribe), re-rendered on every change
let liveStop: Unsubscribe | undefined;
let liveUpdates = 0;

function stopLive(): void {
  liveStop?.();
  liveStop = undefined;
  liveButton.setAttribute('aria-pressed', 'false');
  delete document.body.dataset['live'];
}

function subscribe(text: string): void {
  stopLive();
  errorBox.hidden = true;
  delete errorBox.dataset['code'];
  editor.markError(undefined);
  queries.add(text);
  renderHistory();
  liveUpdates = 0;
  document.body.dataset['liveUpdates'] = '0';
  const started = performance.now();
  const failed = (err: unknown): void => {
    const report = describeError(err, text);
    clearResult();
    showError(report);
    statusLine.textContent = `live · error ${report.code}`;
    statusLine.className = 'status failed';
  };
  try {
    liveStop = db.subscribe(
      text,
      parseParams(paramsInput.value),
      (result) => {
        liveUpdates++;
        errorBox.hidden = true;
        showResult(result, performance.now() - started);
        statusLine.textContent = `live · ${plural(result.rows.length, 'row')} · update ${liveUpdates}`;
        document.body.dataset['liveUpdates'] = String(liveUpdates);
        updateCounts();
      },
      { onError: failed },
    );
    liveButton.setAttribute('aria-pressed', 'true');
    document.body.dataset['live'] = 'on';
    statusLine.textContent = 'live · waiting for the first result…';
    statusLine.className = 'status';
  } catch (err) {
    stopLive();
    failed(err);
  }
}

/** Run, or with Live on, (re)subscribe to the editor's query. */
function runOrSubscribe(text: string): void {
  if (liveStop !== undefined) subscribe(text);
  else void run(text);
}

liveButton.addEventListener('click', () => {
  if (liveStop !== undefined) {
    stopLive();
    statusLine.textContent = 'live off';
    statusLine.className = 'status';
  } else {
    subscribe(editor.text);
  }
});

runButton.addEventListener('click', () => runOrSubscribe(editor.text));
explainButton.addEventListener('click', () => {
  stopLive();
  const text = editor.text.replace(/^\s*(EXPLAIN|PROFILE)\s+/i, '');
  void run(`EXPLAIN ${text}`);
});

// ---- examples
function renderExamples(): void {
  examplesList.replaceChildren();
  const ldbcLoaded = sampleLoaded();
  for (const ex of EXAMPLES) {
    if (ex.ldbc && !ldbcLoaded) continue;
    const button = examplesList.appendChild(document.createElement('li')).appendChild(document.createElement('button'));
    button.type = 'button';
    button.textContent = ex.title;
    button.title = ex.query;
    button.addEventListener('click', () => {
      editor.setText(ex.query);
      if (ex.params !== undefined) {
        paramsInput.value = ex.params;
        paramsBox.hidden = false;
        paramsToggle.setAttribute('aria-expanded', 'true');
      }
      editor.focus();
    });
  }
  if (!ldbcLoaded) {
    const hint = examplesList.appendChild(document.createElement('li'));
    hint.className = 'muted small';
    hint.textContent = 'More examples appear once the sample data is loaded.';
  }
}

// ---- LDBC sample
const sampleBase = new URL(LDBC_SAMPLE_URL_PATH, document.baseURI);

async function fetchText(url: URL): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url.pathname}: HTTP ${res.status}`);
  return res.text();
}

/** True when this tab's database already holds the LDBC sample (its labels are there). */
function sampleLoaded(): boolean {
  return schema.labels.includes('Forum') && schema.labels.includes('TagClass');
}

/** The sample button: loading once is enough (a second load would duplicate every node). */
function updateSampleButton(): void {
  sampleButton.disabled = sampleLoaded() || document.body.dataset['sample'] === 'loading';
  sampleButton.textContent = sampleLoaded() ? 'Sample data loaded' : 'Load sample data';
}

async function loadSample(): Promise<void> {
  if (sampleLoaded()) return;
  document.body.dataset['sample'] = 'loading';
  updateSampleButton();
  sampleProgress.hidden = false;
  sampleProgress.value = 0;
  sampleStatus.textContent = 'fetching…';
  const started = performance.now();
  try {
    const manifest = JSON.parse(await fetchText(new URL(LDBC_SAMPLE_MANIFEST, sampleBase))) as LdbcSampleManifest;
    if (!manifest.available) throw new Error('the sample data was not found when the demo was built (see demo/vite-plugin-ldbc-sample.ts)');
    const summary = await loadLdbcSample(
      db,
      manifest,
      (path) => fetchText(new URL(path, sampleBase)),
      (p) => {
        const pct = p.bytesTotal === 0 ? 100 : Math.floor((100 * p.bytesDone) / p.bytesTotal);
        sampleProgress.value = pct;
        sampleProgress.setAttribute('aria-valuenow', String(pct));
        sampleStatus.textContent = p.file === '' ? 'done' : `${pct}% · ${p.file.replace(/^.*\//, '')}`;
        updateCounts();
      },
    );
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    sampleStatus.textContent = `Loaded ${plural(summary.nodes, 'node')} and ${plural(summary.edges, 'relationship')} from ${summary.files} files in ${secs} s.`;
    document.body.dataset['sample'] = 'loaded';
    await refreshSchema();
    editor.setText(EXAMPLES[2]!.query);
    statusLine.textContent = 'sample loaded · press Run';
    statusLine.className = 'status ok';
  } catch (err) {
    const report = describeError(err, '');
    sampleStatus.textContent = `Loading failed: ${report.code === 'INTERNAL' ? '' : report.code + ': '}${report.message}`;
    document.body.dataset['sample'] = 'failed';
    await refreshSchema();
  } finally {
    updateSampleButton();
  }
}

sampleButton.addEventListener('click', () => void loadSample());

// ---- start
await refreshSchema();
renderHistory();
updateCounts();
statusLine.textContent = db.graph.nodeCount === 0 ? 'ready · the graph is empty' : 'ready';
if (sampleLoaded()) sampleStatus.textContent = 'The sample is in this tab’s database.';
if (tab.cluster !== undefined) {
  // Writes from other tabs arrive by replication: keep the counts fresh with the panel.
  const runInConsole = (text: string): void => {
    stopLive();
    editor.setText(text);
    showView('table');
    void run(text);
  };
  shardView = startClusterPanel($<HTMLElement>('#cluster-panel'), $<HTMLElement>('#cluster-badge'), tab.cluster, updateCounts, { run: runInConsole });
  if (tab.federation !== undefined) {
    // A federated tab cluster (`&federate=`): the federation view (links, lag, cut / heal, a conflict) and local-first state.
    const { startFederationPanel } = await import('./federation-panel.ts');
    startFederationPanel($<HTMLElement>('aside.side'), db, tab.federation.fed, tab.federation.localFirst, runInConsole);
  }
  followVisibility(db);
  window.addEventListener('pagehide', () => void db.close());
}
performance.mark('geode:ready');
document.body.dataset['ready'] = 'true';
