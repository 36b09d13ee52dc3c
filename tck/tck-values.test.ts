import { describe, expect, it } from 'vitest';
import { formatTckValue, parseTckValue, tckToPlain, TckValueSyntaxError } from './tck-values.ts';

describe('parseTckValue', () => {
  it('keeps integers exact as bigint, even past 2^53', () => {
    expect(parseTckValue('9223372036854775807')).toEqual({ kind: 'integer', value: 9223372036854775807n });
    expect(parseTckValue('-9223372036854775808')).toEqual({ kind: 'integer', value: -9223372036854775808n });
  });

  it('reads floats in every TCK spelling and keeps their text', () => {
    expect(parseTckValue('1.0')).toEqual({ kind: 'float', value: 1, text: '1.0' });
    expect(parseTckValue('-0.5')).toMatchObject({ kind: 'float', value: -0.5 });
    expect(parseTckValue('1e3')).toMatchObject({ kind: 'float', value: 1000 });
    expect(parseTckValue('1.2635418652381264e305')).toMatchObject({ kind: 'float', value: 1.2635418652381264e305 });
    expect(parseTckValue('Inf')).toMatchObject({ kind: 'float', value: Infinity });
    expect(parseTckValue('-Inf')).toMatchObject({ kind: 'float', value: -Infinity });
    const nan = parseTckValue('NaN');
    expect(nan.kind === 'float' && Number.isNaN(nan.value)).toBe(true);
  });

  it('distinguishes 1 from 1.0', () => {
    expect(parseTckValue('1').kind).toBe('integer');
    expect(parseTckValue('1.0').kind).toBe('float');
  });

  it('unescapes strings', () => {
    expect(parseTckValue("'\\''")).toEqual({ kind: 'string', value: "'" });
    expect(parseTckValue("'a\\\\b\\'\"'")).toEqual({ kind: 'string', value: 'a\\b\'"' });
    expect(parseTckValue("'\\u00e9\\n'")).toEqual({ kind: 'string', value: 'é\n' });
    expect(parseTckValue("''")).toEqual({ kind: 'string', value: '' });
  });

  it('reads null, booleans, nested lists and maps', () => {
    expect(tckToPlain(parseTckValue("[1, [2.0, 'x'], null, true, {a: {b: []}}]"))).toEqual([
      1n,
      [2, 'x'],
      null,
      true,
      { a: { b: [] } },
    ]);
    expect(parseTckValue('{`a b`: 1, c: false}')).toEqual({
      kind: 'map',
      entries: [
        ['a b', { kind: 'integer', value: 1n }],
        ['c', { kind: 'boolean', value: false }],
      ],
    });
  });

  it('gives maps a null prototype when converted to parameter values', () => {
    const m = tckToPlain(parseTckValue('{__proto__: 1}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(m)).toBe(null);
    expect(m['__proto__']).toBe(1n);
  });

  it('reads nodes with labels and properties', () => {
    expect(parseTckValue('(:A:B {k: 1})')).toEqual({
      kind: 'node',
      labels: ['A', 'B'],
      props: [['k', { kind: 'integer', value: 1n }]],
    });
    expect(parseTckValue('()')).toEqual({ kind: 'node', labels: [], props: [] });
  });

  it('tells a relationship from a list by the colon', () => {
    expect(parseTckValue('[:T {k: 1}]')).toMatchObject({ kind: 'relationship', type: 'T' });
    expect(parseTckValue('[ :T]')).toMatchObject({ kind: 'relationship', type: 'T' });
    expect(parseTckValue('[]')).toEqual({ kind: 'list', items: [] });
    expect(parseTckValue('[[:T]]')).toMatchObject({ kind: 'list', items: [{ kind: 'relationship' }] });
  });

  it('reads paths with both directions', () => {
    const p = parseTckValue('<(:A)-[:T]->(:B)<-[:U {w: 2}]-()>');
    expect(p.kind).toBe('path');
    if (p.kind !== 'path') return;
    expect(p.start.labels).toEqual(['A']);
    expect(p.steps.map((s) => [s.direction, s.rel.type, s.node.labels])).toEqual([
      ['out', 'T', ['B']],
      ['in', 'U', []],
    ]);
    expect(parseTckValue('<()>')).toMatchObject({ kind: 'path', steps: [] });
  });

  it('prints values back in TCK syntax', () => {
    for (const text of ["[1, 2.5, 'it\\'s', null]", '(:A:B {k: 1})', '<(:A)-[:T]->(:B)<-[:U]-()>', '{a: [:T {w: 1.0}]}']) {
      expect(formatTckValue(parseTckValue(text))).toBe(text);
    }
  });

  it('refuses malformed cells with the offset', () => {
    for (const bad of ['', '[1, 2', "'open", '{a 1}', 'nope', '(:A', '1 2', '<(:A)-[:T]-(:B)>']) {
      expect(() => parseTckValue(bad), bad).toThrow(TckValueSyntaxError);
    }
  });

  it('refuses nesting deeper than the limit instead of overflowing the stack', () => {
    expect(() => parseTckValue('['.repeat(100_000))).toThrow(TckValueSyntaxError);
  });
});
