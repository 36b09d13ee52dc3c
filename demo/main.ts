/**
 * The demo's query console: an embedded, in-memory Geode running in this tab.
 * (Clustering across tabs comes with the networking layer.)
 *
 * Hooks for tests and for the curious (all stable, the e2e test in `e2e/` relies on them):
 * - `window.geode`: the open database, so `await window.geode.query('RETURN 1 AS x')` works from
 *   the DevTools console or `page.evaluate`.
 * - `document.body.dataset.ready === 'true'` once the database is open and the console is wired.
 * - `document.body.dataset.runs`: how many statements have finished (with a result or an error);
 *   wait for it to grow to know a run is over.
 * - `#error[data-code]`: the GeodeError code of the last failed statement.
 */
import {
  GeodeNode,
  GeodePath,
  GeodeRelationship,
  isGeodeError,
  openGeode,
  type Geode,
  type ResultValue,
} from '../src/index.ts';
import { caretExcerpt } from '../src/util/errors.ts';

declare global {
  interface Window {
    /** The demo's database, exposed for tests and the DevTools console. */
    geode?: Geode;
  }
}

const db = await openGeode({ storage: 'memory' });
window.geode = db;

const queryInput = document.querySelector<HTMLTextAreaElement>('#query')!;
const runButton = document.querySelector<HTMLButtonElement>('#run')!;
const sampleButton = document.querySelector<HTMLButtonElement>('#sample')!;
const status = document.querySelector<HTMLSpanElement>('#status')!;
const errorBox = document.querySelector<HTMLPreElement>('#error')!;
const table = document.querySelector<HTMLTableElement>('#result')!;

queryInput.value = 'MATCH (p:Person)-[:KNOWS]->(f:Person)\nRETURN p.name AS person, collect(f.name) AS friends\nORDER BY person';

const SAMPLE = `CREATE (ada:Person {name: 'Ada', born: 1815}), (alan:Person {name: 'Alan', born: 1912}),
  (grace:Person {name: 'Grace', born: 1906}), (edsger:Person {name: 'Edsger', born: 1930}),
  (ada)-[:KNOWS]->(alan), (alan)-[:KNOWS]->(grace), (grace)-[:KNOWS]->(edsger), (edsger)-[:KNOWS]->(ada)`;

/** Formats a result value the way the TCK and the CLI write it. */
function formatValue(v: ResultValue): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e21 ? v.toFixed(1) : String(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (v instanceof GeodeNode) return formatNode(v);
  if (v instanceof GeodeRelationship) return `[:${v.type}${formatProps(v.properties)}]`;
  if (v instanceof GeodePath) return formatPath(v);
  return `{${Object.entries(v as Record<string, ResultValue>).map(([k, x]) => `${k}: ${formatValue(x)}`).join(', ')}}`;
}

function formatNode(n: GeodeNode): string {
  return `(${n.labels.map((l) => ':' + l).join('')}${formatProps(n.properties)})`;
}

/** `<(a)-[:T]->(b)<-[:U]-(c)>`: arrows follow each relationship's own direction. */
function formatPath(p: GeodePath): string {
  let out = '<' + (p.nodes[0] === undefined ? '' : formatNode(p.nodes[0]));
  for (let i = 0; i < p.relationships.length; i++) {
    const rel = p.relationships[i]!;
    const next = p.nodes[i + 1];
    const body = `[:${rel.type}${formatProps(rel.properties)}]`;
    const forward = next === undefined || rel.endNodeId === next.id;
    out += forward ? `-${body}->` : `<-${body}-`;
    if (next !== undefined) out += formatNode(next);
  }
  return out + '>';
}

function formatProps(props: Readonly<Record<string, ResultValue>>): string {
  const entries = Object.entries(props);
  return entries.length === 0 ? '' : ` {${entries.map(([k, x]) => `${k}: ${formatValue(x)}`).join(', ')}}`;
}

function graphSummary(): string {
  const nodes = db.graph.nodeCount;
  const edges = db.graph.edgeCount;
  return `graph: ${nodes} node${nodes === 1 ? '' : 's'}, ${edges} relationship${edges === 1 ? '' : 's'}`;
}

/** The error box text: `CODE: message`, with a caret excerpt under the bad spot when the error has a position. */
function describeError(err: unknown, text: string): { code: string; text: string } {
  if (!isGeodeError(err)) return { code: 'INTERNAL', text: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  let message = `${err.code}: ${err.message}`;
  // queryError() already appends the excerpt; add one only when the message has none.
  if (err.position !== undefined && !err.message.includes('\n')) message += `\n${caretExcerpt(text, err.position)}`;
  if (err.detail !== undefined) message += `\n(${err.detail})`;
  return { code: err.code, text: message };
}

function finishRun(): void {
  document.body.dataset['runs'] = String(Number(document.body.dataset['runs'] ?? '0') + 1);
}

async function run(text: string): Promise<void> {
  errorBox.hidden = true;
  delete errorBox.dataset['code'];
  status.textContent = 'running…';
  const started = performance.now();
  try {
    const result = await db.query(text);
    const ms = (performance.now() - started).toFixed(1);
    table.replaceChildren();
    if (result.columns.length > 0) {
      const head = table.createTHead().insertRow();
      for (const c of result.columns) head.appendChild(document.createElement('th')).textContent = c;
      const body = table.createTBody();
      for (const row of result.rows) {
        const tr = body.insertRow();
        for (const c of result.columns) tr.insertCell().textContent = formatValue(row[c] ?? null);
      }
    }
    if (result.plan !== undefined) table.createCaption().textContent = result.plan;
    const rows = result.rows.length;
    status.textContent = `${rows} row${rows === 1 ? '' : 's'} · ${result.writes} write${result.writes === 1 ? '' : 's'} · ${ms} ms · ${graphSummary()}`;
    status.className = 'ok';
  } catch (err) {
    const { code, text: message } = describeError(err, text);
    table.replaceChildren();
    errorBox.hidden = false;
    errorBox.dataset['code'] = code;
    errorBox.textContent = message;
    status.textContent = `error ${code} · ${graphSummary()}`;
    status.className = 'failed';
  } finally {
    finishRun();
  }
}

runButton.addEventListener('click', () => void run(queryInput.value));
sampleButton.addEventListener('click', () => void run(SAMPLE));
queryInput.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    void run(queryInput.value);
  }
});
status.textContent = `ready · ${graphSummary()}`;
document.body.dataset['ready'] = 'true';
