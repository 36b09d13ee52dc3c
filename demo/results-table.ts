/**
 * The table of a result: one row per result row, values written as Cypher literals (format.ts)
 * with their parts coloured. A cell's text is exactly `formatValue` of its value.
 */
import { GeodeNode, GeodePath, GeodeRelationship, type QueryResult, type ResultValue } from '../src/index.ts';
import { formatFloat, formatString, formatValue, plural } from './format.ts';

/** Most rows drawn; the note under the table says how many more the result has. */
export const TABLE_ROWS_MAX = 1_000;

function span(parent: Node, cls: string, text: string): void {
  const s = parent.appendChild(document.createElement('span'));
  s.className = cls;
  s.textContent = text;
}

function appendProps(parent: Node, props: Readonly<Record<string, ResultValue>>): void {
  const entries = Object.entries(props);
  if (entries.length === 0) return;
  parent.appendChild(document.createTextNode(' {'));
  entries.forEach(([k, v], i) => {
    if (i > 0) parent.appendChild(document.createTextNode(', '));
    span(parent, 'v-key', k);
    parent.appendChild(document.createTextNode(': '));
    appendValue(parent, v);
  });
  parent.appendChild(document.createTextNode('}'));
}

/** Appends `v` to `parent` as coloured spans; the text is `formatValue(v)`. */
export function appendValue(parent: Node, v: ResultValue): void {
  if (v === null) return span(parent, 'v-null', 'null');
  if (typeof v === 'bigint') return span(parent, 'v-num', v.toString());
  if (typeof v === 'number') return span(parent, 'v-num', formatFloat(v));
  if (typeof v === 'string') return span(parent, 'v-str', formatString(v));
  if (typeof v === 'boolean') return span(parent, 'v-bool', String(v));
  if (v instanceof GeodeNode) {
    parent.appendChild(document.createTextNode('('));
    for (const l of v.labels) span(parent, 'v-label', ':' + l);
    appendProps(parent, v.properties);
    parent.appendChild(document.createTextNode(')'));
    return;
  }
  if (v instanceof GeodeRelationship) {
    parent.appendChild(document.createTextNode('['));
    span(parent, 'v-type', ':' + v.type);
    appendProps(parent, v.properties);
    parent.appendChild(document.createTextNode(']'));
    return;
  }
  if (v instanceof GeodePath || typeof v !== 'object') {
    parent.appendChild(document.createTextNode(formatValue(v)));
    return;
  }
  if (Array.isArray(v)) {
    parent.appendChild(document.createTextNode('['));
    v.forEach((x: ResultValue, i: number) => {
      if (i > 0) parent.appendChild(document.createTextNode(', '));
      appendValue(parent, x);
    });
    parent.appendChild(document.createTextNode(']'));
    return;
  }
  if (!(v.constructor === Object || Object.getPrototypeOf(v) === null)) {
    parent.appendChild(document.createTextNode(formatValue(v))); // temporal values and durations
    return;
  }
  parent.appendChild(document.createTextNode('{'));
  Object.entries(v as Readonly<Record<string, ResultValue>>).forEach(([k, x], i) => {
    if (i > 0) parent.appendChild(document.createTextNode(', '));
    span(parent, 'v-key', k);
    parent.appendChild(document.createTextNode(': '));
    appendValue(parent, x);
  });
  parent.appendChild(document.createTextNode('}'));
}

/** Fills `table` with `result`; returns the note to show under it (rows left out), or `''`. */
export function renderTable(table: HTMLTableElement, result: QueryResult): string {
  table.replaceChildren();
  if (result.columns.length === 0) return '';
  const head = table.createTHead().insertRow();
  for (const c of result.columns) head.appendChild(document.createElement('th')).textContent = c;
  const body = table.createTBody();
  const shown = Math.min(result.rows.length, TABLE_ROWS_MAX);
  for (let r = 0; r < shown; r++) {
    const row = result.rows[r]!;
    const tr = body.insertRow();
    for (const c of result.columns) appendValue(tr.insertCell(), row[c] ?? null);
  }
  return shown < result.rows.length ? `showing the first ${plural(shown, 'row')} of ${result.rows.length.toLocaleString('en-US')}` : '';
}
