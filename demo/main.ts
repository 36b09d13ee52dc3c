/**
 * The demo's query console: an embedded, in-memory Geode running in this tab.
 * (Clustering across tabs comes with the networking layer.)
 */
import { GeodeNode, GeodePath, GeodeRelationship, isGeodeError, openGeode, type ResultValue } from '../src/index.ts';

const db = await openGeode({ storage: 'memory' });
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
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(1) : String(v);
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (v instanceof GeodeNode) return `(${v.labels.map((l) => ':' + l).join('')}${formatProps(v.properties)})`;
  if (v instanceof GeodeRelationship) return `[:${v.type}${formatProps(v.properties)}]`;
  if (v instanceof GeodePath) return `<${v.nodes.map((n) => formatValue(n)).join('-…-')}>`;
  return `{${Object.entries(v as Record<string, ResultValue>).map(([k, x]) => `${k}: ${formatValue(x)}`).join(', ')}}`;
}

function formatProps(props: Readonly<Record<string, ResultValue>>): string {
  const entries = Object.entries(props);
  return entries.length === 0 ? '' : ` {${entries.map(([k, x]) => `${k}: ${formatValue(x)}`).join(', ')}}`;
}

async function run(text: string): Promise<void> {
  errorBox.hidden = true;
  const started = performance.now();
  try {
    const result = await db.query(text);
    const ms = (performance.now() - started).toFixed(1);
    table.replaceChildren();
    const head = table.createTHead().insertRow();
    for (const c of result.columns) head.appendChild(document.createElement('th')).textContent = c;
    const body = table.createTBody();
    for (const row of result.rows) {
      const tr = body.insertRow();
      for (const c of result.columns) tr.insertCell().textContent = formatValue(row[c] ?? null);
    }
    status.textContent = `${result.rows.length} rows, ${result.writes} writes, ${ms} ms`;
  } catch (err) {
    errorBox.hidden = false;
    errorBox.textContent = isGeodeError(err) ? `${err.code}: ${err.message}` : String(err);
    status.textContent = 'error';
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
document.body.dataset['ready'] = 'true';
