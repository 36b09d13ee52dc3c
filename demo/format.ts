/**
 * How the console writes result values: as Cypher literals, the way the TCK and the CLI print
 * them (`'text'`, `1` for an integer, `1.0` for a float, `(:Person {name: 'Ada'})`), so a value
 * reads the same wherever Geode shows it. Pure: no DOM.
 */
import { DurationValue, GeodeNode, GeodePath, GeodeRelationship, TemporalValue, type ResultValue } from '../src/index.ts';

/** A string value as a quoted literal: `'it\'s'`. */
export function formatString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A float keeps a `.0` when integral, so floats and integers (bigint) never look alike. */
export function formatFloat(v: number): string {
  return Number.isInteger(v) && Math.abs(v) < 1e21 ? v.toFixed(1) : String(v);
}

/** Formats any result value as a Cypher literal. */
export function formatValue(v: ResultValue): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatFloat(v);
  if (typeof v === 'string') return formatString(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (v instanceof GeodeNode) return formatNode(v);
  if (v instanceof GeodeRelationship) return formatRelationship(v);
  if (v instanceof GeodePath) return formatPath(v);
  if (v instanceof TemporalValue || v instanceof DurationValue) return v.toString();
  return formatMap(v as Readonly<Record<string, ResultValue>>);
}

/** `{a: 1, b: 'x'}` */
export function formatMap(m: Readonly<Record<string, ResultValue>>): string {
  return `{${Object.entries(m).map(([k, x]) => `${k}: ${formatValue(x)}`).join(', ')}}`;
}

/** `(:Person:Admin {name: 'Ada'})` */
export function formatNode(n: GeodeNode): string {
  return `(${n.labels.map((l) => ':' + l).join('')}${formatProps(n.properties)})`;
}

/** `[:KNOWS {since: 2020}]` */
export function formatRelationship(r: GeodeRelationship): string {
  return `[:${r.type}${formatProps(r.properties)}]`;
}

/** `<(a)-[:T]->(b)<-[:U]-(c)>`: arrows follow each relationship's own direction. */
export function formatPath(p: GeodePath): string {
  let out = '<' + (p.nodes[0] === undefined ? '' : formatNode(p.nodes[0]));
  for (let i = 0; i < p.relationships.length; i++) {
    const rel = p.relationships[i]!;
    const next = p.nodes[i + 1];
    const forward = next === undefined || rel.endNodeId === next.id;
    out += forward ? `-${formatRelationship(rel)}->` : `<-${formatRelationship(rel)}-`;
    if (next !== undefined) out += formatNode(next);
  }
  return out + '>';
}

/** ` {k: v, ...}` or `''` for no properties. */
export function formatProps(props: Readonly<Record<string, ResultValue>>): string {
  const entries = Object.entries(props);
  return entries.length === 0 ? '' : ` {${entries.map(([k, x]) => `${k}: ${formatValue(x)}`).join(', ')}}`;
}

/** `1 row`, `2 rows`: a count with its noun, singular for one. */
export function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
