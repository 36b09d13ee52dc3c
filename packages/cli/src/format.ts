/**
 * How the CLI prints results: Cypher-like text for table cells, and plain JSON for `--json`.
 * Pure functions over the public result values.
 */
import Table from 'cli-table3';
import { GeodeNode, GeodePath, GeodeRelationship, type ResultRow, type ResultValue } from '../../../src/api/result.ts';
import { DurationValue, TemporalValue } from '../../../src/graph/index.ts';
import { caretExcerpt, isGeodeError } from '../../../src/util/errors.ts';

/** Longest cell text printed in a table; longer values are cut with `…`. */
export const TABLE_CELL_CHARS_MAX = 200;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A label, type or key as written in Cypher: bare when it is an identifier, else backquoted. */
export function formatName(name: string): string {
  return IDENTIFIER.test(name) ? name : `\`${name.replace(/`/g, '``')}\``;
}

/** A string literal in single quotes, with `\` and `'` escaped. */
export function formatString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;
}

/** A float always shows it is a float: `1.0`, `2.5`, `1.0e+21`, `NaN`, `Infinity`. */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (Object.is(x, -0)) return '-0.0';
  const text = String(x);
  const e = text.indexOf('e');
  if (e < 0) return text.includes('.') ? text : `${text}.0`;
  const mantissa = text.slice(0, e);
  return mantissa.includes('.') ? text : `${mantissa}.0${text.slice(e)}`;
}

function formatProperties(props: Readonly<Record<string, ResultValue>>): string {
  const keys = Object.keys(props);
  if (keys.length === 0) return '';
  const parts = keys.map((k) => `${formatName(k)}: ${formatValue(props[k] ?? null)}`);
  return `{${parts.join(', ')}}`;
}

/** A node as `(:Label:Other {k: v})`. */
export function formatNode(node: GeodeNode): string {
  const labels = node.labels.map((l) => `:${formatName(l)}`).join('');
  const props = formatProperties(node.properties);
  return `(${labels}${labels.length > 0 && props.length > 0 ? ' ' : ''}${props})`;
}

/** A relationship as `[:TYPE {k: v}]`. */
export function formatRelationship(rel: GeodeRelationship): string {
  const props = formatProperties(rel.properties);
  return `[:${formatName(rel.type)}${props.length > 0 ? ' ' : ''}${props}]`;
}

/** A path as `<(:A)-[:T]->(:B)<-[:U]-(:C)>`, arrows following each relationship's direction. */
export function formatPath(path: GeodePath): string {
  let out = `<${formatNode(path.nodes[0]!)}`;
  for (let i = 0; i < path.relationships.length; i++) {
    const rel = path.relationships[i]!;
    const from = path.nodes[i]!;
    const forward = rel.startNodeId === from.id;
    out += forward ? `-${formatRelationship(rel)}->` : `<-${formatRelationship(rel)}-`;
    out += formatNode(path.nodes[i + 1]!);
  }
  return `${out}>`;
}

/** Any result value as Cypher-like text: strings quoted, integers plain, floats with a decimal point. */
export function formatValue(value: ResultValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      return formatFloat(value);
    case 'string':
      return formatString(value);
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map((v: ResultValue) => formatValue(v)).join(', ')}]`;
  if (value instanceof GeodeNode) return formatNode(value);
  if (value instanceof GeodeRelationship) return formatRelationship(value);
  if (value instanceof GeodePath) return formatPath(value);
  if (value instanceof TemporalValue || value instanceof DurationValue) return formatString(value.toString());
  const map = value as Readonly<Record<string, ResultValue>>;
  return `{${Object.keys(map)
    .map((k) => `${formatName(k)}: ${formatValue(map[k] ?? null)}`)
    .join(', ')}}`;
}

/** Shortest cell width kept when fitting a table to a terminal. */
export const TABLE_CELL_CHARS_MIN = 12;

function cellText(value: ResultValue, maxChars: number): string {
  const text = formatValue(value);
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

/**
 * The longest cell text that lets `columnCount` columns fit in `terminalColumns` (each cell costs
 * 3 characters of border and padding), between {@link TABLE_CELL_CHARS_MIN} and {@link TABLE_CELL_CHARS_MAX}.
 */
export function cellCharsForWidth(terminalColumns: number | undefined, columnCount: number): number {
  if (terminalColumns === undefined || columnCount === 0) return TABLE_CELL_CHARS_MAX;
  const fit = Math.floor((terminalColumns - 1) / columnCount) - 3;
  return Math.min(TABLE_CELL_CHARS_MAX, Math.max(TABLE_CELL_CHARS_MIN, fit));
}

/** `N rows (X ms)`, singular for one row. */
export function formatFooter(rowCount: number, ms: number): string {
  const time = ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms).toString();
  return `${rowCount} ${rowCount === 1 ? 'row' : 'rows'} (${time} ms)`;
}

/**
 * The result as a boxed table (no colours, so it reads the same in a pipe); cells longer than
 * `maxCellChars` are cut with `…`. Empty string when there are no columns.
 */
export function formatTable(columns: readonly string[], rows: readonly ResultRow[], maxCellChars = TABLE_CELL_CHARS_MAX): string {
  if (columns.length === 0) return '';
  const table = new Table({ head: [...columns], style: { head: [], border: [] } });
  for (const row of rows) table.push(columns.map((c) => cellText(row[c] ?? null, maxCellChars)));
  return table.toString();
}

/** The JSON form of one value: bigint → number when safe else string; nodes, relationships, paths as objects. */
export function toJsonValue(value: ResultValue): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
    case 'number':
      return Number.isFinite(value) ? value : formatFloat(value);
    case 'boolean':
    case 'string':
      return value;
    default:
      break;
  }
  if (Array.isArray(value)) return value.map((v: ResultValue) => toJsonValue(v));
  if (value instanceof GeodeNode) return { id: value.id, labels: [...value.labels], properties: toJsonMap(value.properties) };
  if (value instanceof GeodeRelationship) {
    return { id: value.id, type: value.type, start: value.startNodeId, end: value.endNodeId, properties: toJsonMap(value.properties) };
  }
  if (value instanceof TemporalValue || value instanceof DurationValue) return value.toString();
  if (value instanceof GeodePath) {
    return { nodes: value.nodes.map((n) => toJsonValue(n)), relationships: value.relationships.map((r) => toJsonValue(r)) };
  }
  return toJsonMap(value as Readonly<Record<string, ResultValue>>);
}

function toJsonMap(map: Readonly<Record<string, ResultValue>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(map)) {
    Object.defineProperty(out, k, { value: toJsonValue(map[k] ?? null), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The `--json` document: `{"columns": [...], "rows": [{column: value}, ...]}` on one line. */
export function formatJson(columns: readonly string[], rows: readonly ResultRow[]): string {
  return JSON.stringify({ columns, rows: rows.map((row) => toJsonMap(row)) });
}

/**
 * An error as the CLI prints it: `Error [CODE]: message`, with the caret excerpt under the query
 * text when the error has a position its message does not show yet. Other errors are bugs and say so.
 */
export function formatError(err: unknown, queryText?: string): string {
  if (isGeodeError(err)) {
    let out = `Error [${err.code}]: ${err.message}`;
    if (err.position !== undefined && queryText !== undefined && !err.message.includes('\n')) {
      out += ` (line ${err.position.line}, column ${err.position.column})\n${caretExcerpt(queryText, err.position)}`;
    }
    return out;
  }
  if (err instanceof Error) return `Internal error (${err.name}): ${err.message}`;
  return `Internal error: ${String(err)}`;
}
