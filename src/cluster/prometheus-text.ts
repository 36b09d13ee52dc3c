/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: the well-kept client
 * (`prom-client`) needs Node's `cluster`, `process` and `perf_hooks`, and a browser tab is a peer
 * too, so this small writer serves both runtimes.
 *
 * Per family: `# HELP name text`, `# TYPE name type`, then one line per sample,
 * `name{label="value",...} value`. Escaping follows the format's rules: in HELP text a backslash
 * becomes `\\` and a line feed `\n`; in a label value a backslash, a double quote and a line feed
 * become `\\`, `\"` and `\n`. Values are Go-style floats: `NaN`, `+Inf`, `-Inf`, or a decimal.
 * The text ends with a line feed.
 */
import { assert } from '../util/assert.ts';
import { helpCharsMax, labelsPerSampleMax, labelValueCharsMax } from './constants.ts';

/** The metric types this layer writes. */
export type MetricType = 'counter' | 'gauge';

/** Label name → value of one sample. */
export type Labels = Readonly<Record<string, string>>;

/** One sample of a family. */
export interface Sample {
  readonly labels?: Labels;
  readonly value: number;
}

/** A metric family: one name, type and help, and its samples (label sets distinct). */
export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** isMetricName: `name` is a valid Prometheus metric name. */
export function isMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

/** isLabelName: `name` is a valid label name (names starting with `__` are reserved). */
export function isLabelName(name: string): boolean {
  return LABEL_NAME.test(name) && !name.startsWith('__');
}

/** escapeHelp: HELP text with `\` and line feeds escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** escapeLabelValue: a label value with `\`, `"` and line feeds escaped (cut to `labelValueCharsMax` first). */
export function escapeLabelValue(value: string): string {
  const v = value.length > labelValueCharsMax ? value.slice(0, labelValueCharsMax) : value;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** formatValue: a sample value as the format writes floats. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return Object.is(v, -0) ? '0' : String(v);
}

function formatLabels(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  assert(names.length <= labelsPerSampleMax, `a sample has ${names.length} labels, more than ${labelsPerSampleMax}`);
  names.sort();
  let out = '{';
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    assert(isLabelName(n), `invalid label name '${n}'`);
    out += `${i === 0 ? '' : ','}${n}="${escapeLabelValue(labels[n]!)}"`;
  }
  return `${out}}`;
}

/** labelKey: a canonical key of a label set (sorted names), to tell label sets apart. */
export function labelKey(labels: Labels | undefined): string {
  return formatLabels(labels);
}

/**
 * formatFamilies: the families as Prometheus text. Names must be valid and distinct, and each
 * family's label sets distinct (asserted: both come from code, not from the world).
 */
export function formatFamilies(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  const names = new Set<string>();
  for (const f of families) {
    assert(isMetricName(f.name), `invalid metric name '${f.name}'`);
    assert(!names.has(f.name), `metric family '${f.name}' written twice`);
    names.add(f.name);
    const help = f.help.length > helpCharsMax ? f.help.slice(0, helpCharsMax) : f.help;
    lines.push(`# HELP ${f.name} ${escapeHelp(help)}`, `# TYPE ${f.name} ${f.type}`);
    const seen = new Set<string>();
    for (const s of f.samples) {
      const l = formatLabels(s.labels);
      assert(!seen.has(l), `metric '${f.name}' has the label set ${l === '' ? '{}' : l} twice`);
      seen.add(l);
      lines.push(`${f.name}${l} ${formatValue(s.value)}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
