import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHelp, escapeLabelValue, formatFamilies, formatValue, isLabelName, isMetricName } from './prometheus-text.ts';

/** Undoes the exposition format's escapes (what a scraper does), as a dumb twin of the writer. */
function unescape(s: string, quotes: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[++i];
    if (n === 'n') out += '\n';
    else if (n === '\\') out += '\\';
    else if (n === '"' && quotes) out += '"';
    else throw new Error(`bad escape \\${String(n)}`);
  }
  return out;
}

/** Reads the label values of a sample line `name{a="...",b="..."} v` (a small scraper). */
function readLabels(line: string): Record<string, string> {
  const open = line.indexOf('{');
  const labels: Record<string, string> = {};
  if (open < 0) return labels;
  let i = open + 1;
  while (line[i] !== '}') {
    const eq = line.indexOf('=', i);
    const name = line.slice(i, eq);
    i = eq + 2; // past ="
    let raw = '';
    while (line[i] !== '"') {
      if (line[i] === '\\') raw += line[i++];
      raw += line[i++];
    }
    labels[name] = unescape(raw, true);
    i++; // past the closing quote
    if (line[i] === ',') i++;
  }
  return labels;
}

describe('Prometheus text format', () => {
  it('writes HELP and TYPE once per family, then one line per sample, ending with a line feed', () => {
    const text = formatFamilies([
      { name: 'cluster_nodes_total', type: 'gauge', help: 'Peers.', samples: [{ value: 4 }] },
      { name: 'replication_lag_ms', type: 'gauge', help: 'Lag.', samples: [{ labels: { peer: 'b', group: '0' }, value: 12.5 }, { labels: { peer: 'a', group: '0' }, value: 0 }] },
    ]);
    expect(text).toBe(
      [
        '# HELP cluster_nodes_total Peers.',
        '# TYPE cluster_nodes_total gauge',
        'cluster_nodes_total 4',
        '# HELP replication_lag_ms Lag.',
        '# TYPE replication_lag_ms gauge',
        'replication_lag_ms{group="0",peer="b"} 12.5',
        'replication_lag_ms{group="0",peer="a"} 0',
        '',
      ].join('\n'),
    );
  });

  it('writes special float values as the format spells them', () => {
    expect([NaN, Infinity, -Infinity, -0, 1e21, 0.1].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '0', '1e+21', '0.1']);
  });

  it('escapes backslash, quote and line feed in label values so a scraper reads back the exact value', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    fc.assert(
      fc.property(fc.string({ maxLength: 64, unit: 'binary' }), (v) => {
        const line = formatFamilies([{ name: 'm', type: 'gauge', help: 'h', samples: [{ labels: { peer: v }, value: 1 }] }]).split('\n')[2]!;
        expect(readLabels(line)).toEqual({ peer: v });
      }),
      { numRuns: 200 },
    );
  });

  it('escapes backslash and line feed in HELP text (and keeps quotes) so a HELP line never spans two lines', () => {
    expect(escapeHelp('a\\b"c\nd')).toBe('a\\\\b"c\\nd');
    fc.assert(
      fc.property(fc.string({ maxLength: 64, unit: 'binary' }), (help) => {
        const lines = formatFamilies([{ name: 'm', type: 'counter', help, samples: [] }]).split('\n');
        expect(lines.length).toBe(3);
        expect(unescape(lines[0]!.slice('# HELP m '.length), false)).toBe(help);
      }),
      { numRuns: 200 },
    );
  });

  it('accepts only valid metric and label names', () => {
    expect(['a', 'raft_term', 'ns:sub_x1', '_x'].every(isMetricName)).toBe(true);
    expect(['', '1a', 'a-b', 'a b', 'é'].some(isMetricName)).toBe(false);
    expect(['peer', 'group', '_a'].every(isLabelName)).toBe(true);
    expect(['__name', 'a:b', '1x', ''].some(isLabelName)).toBe(false);
    expect(() => formatFamilies([{ name: 'bad-name', type: 'gauge', help: '', samples: [] }])).toThrow(/invalid metric name/);
    expect(() => formatFamilies([{ name: 'm', type: 'gauge', help: '', samples: [{ labels: { 'x-y': '1' }, value: 1 }] }])).toThrow(/invalid label name/);
  });

  it('refuses a family written twice and a label set repeated within a family', () => {
    const f = { name: 'm', type: 'gauge' as const, help: '', samples: [] };
    expect(() => formatFamilies([f, f])).toThrow(/twice/);
    expect(() => formatFamilies([{ ...f, samples: [{ labels: { a: '1', b: '2' }, value: 1 }, { labels: { b: '2', a: '1' }, value: 2 }] }])).toThrow(/twice/);
  });
});
