/**
 * Comparing what the public API returned with what a TCK table expects.
 *
 * Rules (the TCK's): integers and floats are distinct (`1` never matches `1.0`); a float matches
 * exactly, or within a tiny tolerance when the expected text has fewer digits than the actual
 * value's shortest form; NaN matches NaN; nodes and relationships match by labels/type and
 * properties, never by id; a path matches node by node and relationship by relationship, with
 * each relationship's direction; lists are order-sensitive unless the step says "ignoring
 * element order for lists" (then lists compare as multisets, at every depth); maps need the same
 * keys.
 *
 * Actual values are recognized structurally: `GeodeNode`, `GeodeRelationship` and `GeodePath`
 * by their class name, so this works with any engine module that follows the public API.
 */
import { DurationValue, TemporalValue } from '../src/index.ts';
import type { TckEntries, TckNode, TckRelationship, TckValue } from './tck-values.ts';
import { formatTckValue, parseTckValue } from './tck-values.ts';

/** A node as the public API hands it out. */
export interface ActualNode {
  readonly id: number;
  readonly labels: readonly string[];
  readonly properties: Readonly<Record<string, unknown>>;
}

/** A relationship as the public API hands it out. */
export interface ActualRelationship {
  readonly id: number;
  readonly type: string;
  readonly startNodeId: number;
  readonly endNodeId: number;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface ActualPath {
  readonly nodes: readonly ActualNode[];
  readonly relationships: readonly ActualRelationship[];
}

export interface CompareOptions {
  readonly ignoreListOrder: boolean;
}

/** Relative error always accepted between an expected and an actual float (a few ulps). */
export const FLOAT_RELATIVE_TOLERANCE = 1e-14;
/** Relative error accepted when the expected text is a rounded form of the actual value. */
export const FLOAT_ROUNDED_TOLERANCE = 1e-9;
/** Most rows matched pairwise (after exact matches) before giving up on a bag comparison. */
export const MAX_PAIRWISE_ROWS = 5_000;

type Kind = 'node' | 'relationship' | 'path' | 'list' | 'map' | 'scalar';

function kindOf(v: unknown): Kind {
  if (v === null || typeof v !== 'object') return 'scalar';
  if (Array.isArray(v)) return 'list';
  const name = (v as { constructor?: { name?: string } }).constructor?.name;
  if (name === 'GeodeNode') return 'node';
  if (name === 'GeodeRelationship') return 'relationship';
  if (name === 'GeodePath') return 'path';
  return 'map';
}

/** Number of significant digits in a float literal's mantissa (`1.50e3` → 3). */
function significantDigits(text: string): number {
  const mantissa = text.replace(/^[-+]/, '').split(/[eE]/)[0] ?? '';
  const digits = mantissa.replace('.', '').replace(/^0+/, '');
  return Math.max(digits.length, 1);
}

/** Float comparison as described in the module comment. */
export function floatMatches(expected: number, expectedText: string, actual: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (expected === actual) return true;
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return false;
  const scale = Math.max(Math.abs(expected), Math.abs(actual));
  const rel = Math.abs(expected - actual) / scale;
  if (rel <= FLOAT_RELATIVE_TOLERANCE) return true;
  const d = significantDigits(expectedText);
  const actualDigits = significantDigits(String(actual));
  if (d >= actualDigits || d > 17) return false;
  return rel <= FLOAT_ROUNDED_TOLERANCE && Number(actual.toPrecision(d)) === expected;
}

function propsMatch(expected: TckEntries, actual: Readonly<Record<string, unknown>>, opts: CompareOptions): boolean {
  const keys = Object.keys(actual);
  if (keys.length !== expected.length) return false;
  for (const [k, v] of expected) {
    if (!Object.prototype.hasOwnProperty.call(actual, k)) return false;
    if (!matchValue(v, actual[k], opts)) return false;
  }
  return true;
}

function nodeMatches(expected: TckNode, actual: unknown, opts: CompareOptions): boolean {
  if (kindOf(actual) !== 'node') return false;
  const n = actual as ActualNode;
  if (n.labels.length !== new Set(expected.labels).size) return false;
  for (const l of expected.labels) if (!n.labels.includes(l)) return false;
  return propsMatch(expected.props, n.properties, opts);
}

function relMatches(expected: TckRelationship, actual: unknown, opts: CompareOptions): boolean {
  if (kindOf(actual) !== 'relationship') return false;
  const r = actual as ActualRelationship;
  if (expected.type !== undefined && r.type !== expected.type) return false;
  return propsMatch(expected.props, r.properties, opts);
}

/** Multiset match of lists: every expected item pairs with a distinct actual item. */
function unorderedMatch(expected: readonly TckValue[], actual: readonly unknown[], opts: CompareOptions): boolean {
  if (expected.length !== actual.length) return false;
  return bagMatch(
    expected.length,
    (i, j) => matchValue(expected[i]!, actual[j], opts),
    expected.map((e) => expectedKey(e, opts)),
    actual.map((a) => actualKey(a, opts)),
  );
}

/** True when `actual` (a public-API result value) is what `expected` describes. */
/**
 * The TCK writes temporal values as their ISO strings (`'1984-10-11'`, `'12:31:14.645876123'`),
 * so a temporal or duration result is compared, keyed and printed as that string.
 */
function temporalAsText(v: unknown): unknown {
  return v instanceof TemporalValue || v instanceof DurationValue ? v.toString() : v;
}

export function matchValue(expected: TckValue, actualValue: unknown, opts: CompareOptions): boolean {
  const actual = temporalAsText(actualValue);
  switch (expected.kind) {
    case 'null':
      return actual === null || actual === undefined;
    case 'boolean':
    case 'string':
      return actual === expected.value;
    case 'integer':
      return typeof actual === 'bigint' && actual === expected.value;
    case 'float':
      return typeof actual === 'number' && floatMatches(expected.value, expected.text, actual);
    case 'list': {
      if (!Array.isArray(actual)) return false;
      if (opts.ignoreListOrder) return unorderedMatch(expected.items, actual, opts);
      if (actual.length !== expected.items.length) return false;
      for (let i = 0; i < actual.length; i++) if (!matchValue(expected.items[i]!, actual[i], opts)) return false;
      return true;
    }
    case 'map':
      return kindOf(actual) === 'map' && propsMatch(expected.entries, actual as Record<string, unknown>, opts);
    case 'node':
      return nodeMatches(expected, actual, opts);
    case 'relationship':
      return relMatches(expected, actual, opts);
    case 'path': {
      if (kindOf(actual) !== 'path') return false;
      const p = actual as ActualPath;
      if (p.nodes.length !== expected.steps.length + 1 || p.relationships.length !== expected.steps.length) return false;
      if (!nodeMatches(expected.start, p.nodes[0], opts)) return false;
      for (let i = 0; i < expected.steps.length; i++) {
        const step = expected.steps[i]!;
        const rel = p.relationships[i]!;
        const from = p.nodes[i]!;
        const to = p.nodes[i + 1]!;
        if (!relMatches(step.rel, rel, opts) || !nodeMatches(step.node, to, opts)) return false;
        const forward = rel.startNodeId === from.id && rel.endNodeId === to.id;
        const backward = rel.startNodeId === to.id && rel.endNodeId === from.id;
        if (step.direction === 'out' ? !forward : !backward) return false;
      }
      return true;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Canonical keys: equal keys ⇒ the values match exactly (used to pair rows quickly; pairs left
// over after key matching are compared with matchValue, which also applies float tolerance).

function floatKey(n: number): string {
  return Object.is(n, -0) ? 'f:0' : `f:${String(n)}`;
}

function entriesKey(parts: string[]): string {
  return parts.sort().join(',');
}

/** Key of an expected value. */
export function expectedKey(v: TckValue, opts: CompareOptions): string {
  switch (v.kind) {
    case 'null':
      return 'n';
    case 'boolean':
      return `b:${v.value}`;
    case 'integer':
      return `i:${v.value}`;
    case 'float':
      return floatKey(v.value);
    case 'string':
      return `s:${JSON.stringify(v.value)}`;
    case 'list': {
      const items = v.items.map((i) => expectedKey(i, opts));
      if (opts.ignoreListOrder) items.sort();
      return `[${items.join(',')}]`;
    }
    case 'map':
      return `{${entriesKey(v.entries.map(([k, i]) => `${JSON.stringify(k)}:${expectedKey(i, opts)}`))}}`;
    case 'node':
      return nodeKeyOf([...new Set(v.labels)], v.props.map(([k, i]) => `${JSON.stringify(k)}:${expectedKey(i, opts)}`));
    case 'relationship':
      return `R${v.type ?? ''}{${entriesKey(v.props.map(([k, i]) => `${JSON.stringify(k)}:${expectedKey(i, opts)}`))}}`;
    case 'path':
      return `<${expectedKey(v.start, opts)}${v.steps
        .map((s) => `${s.direction}${expectedKey(s.rel, opts)}${expectedKey(s.node, opts)}`)
        .join('')}>`;
  }
}

function nodeKeyOf(labels: string[], props: string[]): string {
  return `N${labels.sort().join(':')}{${entriesKey(props)}}`;
}

/** Key of an actual value (same scheme as {@link expectedKey}). */
export function actualKey(value: unknown, opts: CompareOptions): string {
  const v = temporalAsText(value);
  if (v === null || v === undefined) return 'n';
  switch (typeof v) {
    case 'boolean':
      return `b:${v}`;
    case 'bigint':
      return `i:${v}`;
    case 'number':
      return floatKey(v);
    case 'string':
      return `s:${JSON.stringify(v)}`;
    case 'object':
      break;
    default:
      return `?${typeof v}`;
  }
  const propsKey = (p: Readonly<Record<string, unknown>>): string[] =>
    Object.keys(p).map((k) => `${JSON.stringify(k)}:${actualKey(p[k], opts)}`);
  switch (kindOf(v)) {
    case 'list': {
      const items = (v as unknown[]).map((i) => actualKey(i, opts));
      if (opts.ignoreListOrder) items.sort();
      return `[${items.join(',')}]`;
    }
    case 'node': {
      const n = v as ActualNode;
      return nodeKeyOf([...n.labels], propsKey(n.properties));
    }
    case 'relationship': {
      const r = v as ActualRelationship;
      return `R${r.type}{${entriesKey(propsKey(r.properties))}}`;
    }
    case 'path': {
      const p = v as ActualPath;
      let out = `<${actualKey(p.nodes[0], opts)}`;
      for (let i = 0; i < p.relationships.length; i++) {
        const r = p.relationships[i]!;
        const from = p.nodes[i];
        const dir = from !== undefined && r.startNodeId === from.id ? 'out' : 'in';
        out += `${dir}${actualKey(r, opts)}${actualKey(p.nodes[i + 1], opts)}`;
      }
      return `${out}>`;
    }
    default:
      return `{${entriesKey(propsKey(v as Record<string, unknown>))}}`;
  }
}

/**
 * Perfect matching of n expected items to n actual items: first pairs with equal keys, then
 * greedy pairwise matching, then augmenting paths (Kuhn) for what greedy could not place.
 */
function bagMatch(n: number, matches: (i: number, j: number) => boolean, eKeys: string[], aKeys: string[]): boolean {
  const actualOf = new Array<number>(n).fill(-1); // expected i -> actual j
  const expectedOf = new Array<number>(n).fill(-1); // actual j -> expected i
  const byKey = new Map<string, number[]>();
  for (let j = 0; j < n; j++) {
    const list = byKey.get(aKeys[j]!);
    if (list === undefined) byKey.set(aKeys[j]!, [j]);
    else list.push(j);
  }
  const left: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = byKey.get(eKeys[i]!)?.pop();
    if (j !== undefined && matches(i, j)) {
      actualOf[i] = j;
      expectedOf[j] = i;
    } else left.push(i);
  }
  if (left.length === 0) return true;
  if (left.length > MAX_PAIRWISE_ROWS) return false;
  const freeActual: number[] = [];
  for (let j = 0; j < n; j++) if (expectedOf[j] === -1) freeActual.push(j);
  // Greedy over the leftovers.
  const hard: number[] = [];
  for (const i of left) {
    const idx = freeActual.findIndex((j) => expectedOf[j] === -1 && matches(i, j));
    if (idx >= 0) {
      const j = freeActual[idx]!;
      actualOf[i] = j;
      expectedOf[j] = i;
    } else hard.push(i);
  }
  // Augmenting paths among the leftovers only (key-matched pairs are exact and final).
  for (const i of hard) {
    const visited = new Set<number>();
    const tryAssign = (e: number): boolean => {
      for (const j of freeActual) {
        if (visited.has(j) || !matches(e, j)) continue;
        visited.add(j);
        const owner = expectedOf[j]!;
        if (owner === -1 || tryAssign(owner)) {
          actualOf[e] = j;
          expectedOf[j] = e;
          return true;
        }
      }
      return false;
    };
    if (!tryAssign(i)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Result tables.

/** A query result as the public API returns it. */
export interface ActualResult {
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, unknown>>[];
}

export interface TableExpectation {
  /** True for "in order". */
  readonly ordered: boolean;
  readonly ignoreListOrder: boolean;
}

/** Longest failure reason handed back (a huge result must not flood the report). */
export const MAX_REASON_CHARS = 600;

function clip(s: string): string {
  return s.length <= MAX_REASON_CHARS ? s : `${s.slice(0, MAX_REASON_CHARS)}…`;
}

/**
 * Compares a result with an expected table (first row: the header). Returns undefined when they
 * match, else a short reason.
 */
export function compareTable(
  table: readonly (readonly string[])[],
  actual: ActualResult,
  expectation: TableExpectation,
): string | undefined {
  const header = table[0] ?? [];
  if (header.length !== actual.columns.length || header.some((h, i) => h !== actual.columns[i])) {
    return clip(`columns differ: expected [${header.join(', ')}], got [${actual.columns.join(', ')}]`);
  }
  const opts: CompareOptions = { ignoreListOrder: expectation.ignoreListOrder };
  const expectedRows = table.slice(1).map((row) => row.map((cell) => parseTckValue(cell)));
  const actualRows = actual.rows.map((row) => header.map((h) => row[h]));
  const showExpected = (i: number): string => `| ${expectedRows[i]!.map(formatTckValue).join(' | ')} |`;
  const showActual = (j: number): string => `| ${actualRows[j]!.map(formatActual).join(' | ')} |`;
  const rowMatches = (i: number, j: number): boolean => {
    const e = expectedRows[i]!;
    const a = actualRows[j]!;
    for (let c = 0; c < e.length; c++) if (!matchValue(e[c]!, a[c], opts)) return false;
    return true;
  };
  if (expectedRows.length !== actualRows.length) {
    const got = actualRows.slice(0, 5).map((_, j) => showActual(j));
    return clip(`expected ${expectedRows.length} rows, got ${actualRows.length}${got.length > 0 ? `: ${got.join(' ')}` : ''}`);
  }
  if (expectation.ordered) {
    for (let i = 0; i < expectedRows.length; i++) {
      if (!rowMatches(i, i)) return clip(`row ${i + 1}: expected ${showExpected(i)}, got ${showActual(i)}`);
    }
    return undefined;
  }
  const rowKey = (keys: string[]): string => keys.join('\u0001');
  const ok = bagMatch(
    expectedRows.length,
    rowMatches,
    expectedRows.map((r) => rowKey(r.map((v) => expectedKey(v, opts)))),
    actualRows.map((r) => rowKey(r.map((v) => actualKey(v, opts)))),
  );
  if (ok) return undefined;
  // Say which expected row found no partner (a simple greedy pass is enough for the message).
  const used = new Set<number>();
  const missing: string[] = [];
  for (let i = 0; i < expectedRows.length; i++) {
    let found = -1;
    for (let j = 0; j < actualRows.length && found < 0; j++) if (!used.has(j) && rowMatches(i, j)) found = j;
    if (found >= 0) used.add(found);
    else missing.push(showExpected(i));
  }
  const extra: string[] = [];
  for (let j = 0; j < actualRows.length; j++) if (!used.has(j)) extra.push(showActual(j));
  return clip(`rows differ: missing ${missing.slice(0, 3).join(' ')}; unexpected ${extra.slice(0, 3).join(' ')}`);
}

/** Prints an actual value in TCK syntax, for failure messages. */
export function formatActual(value: unknown): string {
  const v = temporalAsText(value);
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'boolean':
      return String(v);
    case 'bigint':
      return v.toString();
    case 'number':
      if (Number.isNaN(v)) return 'NaN';
      if (!Number.isFinite(v)) return v > 0 ? 'Inf' : '-Inf';
      return Number.isInteger(v) && !/e/.test(String(v)) ? `${v}.0` : String(v);
    case 'string':
      return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    case 'object':
      break;
    default:
      return `<${typeof v}>`;
  }
  const props = (p: Readonly<Record<string, unknown>>): string => {
    const keys = Object.keys(p);
    return keys.length === 0 ? '' : `{${keys.map((k) => `${k}: ${formatActual(p[k])}`).join(', ')}}`;
  };
  const node = (n: ActualNode): string => {
    const pr = props(n.properties);
    return `(${n.labels.map((l) => `:${l}`).join('')}${n.labels.length > 0 && pr !== '' ? ' ' : ''}${pr})`;
  };
  const rel = (r: ActualRelationship): string => {
    const pr = props(r.properties);
    return `[:${r.type}${pr !== '' ? ' ' : ''}${pr}]`;
  };
  switch (kindOf(v)) {
    case 'list':
      return `[${(v as unknown[]).map(formatActual).join(', ')}]`;
    case 'node':
      return node(v as ActualNode);
    case 'relationship':
      return rel(v as ActualRelationship);
    case 'path': {
      const p = v as ActualPath;
      let out = `<${p.nodes[0] === undefined ? '?' : node(p.nodes[0])}`;
      for (let i = 0; i < p.relationships.length; i++) {
        const r = p.relationships[i]!;
        const forward = p.nodes[i] !== undefined && r.startNodeId === p.nodes[i]!.id;
        const next = p.nodes[i + 1];
        out += `${forward ? '-' : '<-'}${rel(r)}${forward ? '->' : '-'}${next === undefined ? '?' : node(next)}`;
      }
      return `${out}>`;
    }
    default: {
      const s = props(v as Record<string, unknown>);
      return s === '' ? '{}' : s;
    }
  }
}
