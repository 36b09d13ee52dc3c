/**
 * The parser only ever throws GeodeError, on any input, in bounded time: limits on text length,
 * token count and nesting depth hold, and random or mutated queries never crash it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { gqlDepthMax, gqlTextCharsMax, gqlTokensMax, parse } from './index.ts';

function limitError(text: string): { code: string; offset: number | undefined } {
  try {
    parse(text);
  } catch (err) {
    if (!isGeodeError(err)) throw err;
    return { code: err.code, offset: err.position?.offset };
  }
  throw new Error('parsed');
}

/** Parses `text`; true when it parsed, false for a GeodeError; anything else fails the test. */
function parsesOrGeodeError(text: string): boolean {
  try {
    parse(text);
    return true;
  } catch (err) {
    if (!isGeodeError(err)) throw new Error(`non-GeodeError for ${JSON.stringify(text)}: ${String(err)}`);
    if (err.code !== 'GQL_SYNTAX' && err.code !== 'LIMIT_EXCEEDED') throw new Error(`unexpected code ${err.code}`);
    return false;
  }
}

describe('limits', () => {
  it('text longer than gqlTextCharsMax is LIMIT_EXCEEDED', () => {
    const text = 'RETURN ' + "'" + 'x'.repeat(gqlTextCharsMax) + "'";
    expect(limitError(text).code).toBe('LIMIT_EXCEEDED');
  });

  it('more than gqlTokensMax tokens is LIMIT_EXCEEDED at the token past the limit', () => {
    const text = 'RETURN [' + '1,'.repeat(gqlTokensMax / 2) + '1]';
    const e = limitError(text);
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.offset).toBeGreaterThan(0);
  });

  it('nesting within gqlDepthMax parses', () => {
    const n = gqlDepthMax - 10;
    expect(() => parse('RETURN ' + '('.repeat(n) + '1' + ')'.repeat(n))).not.toThrow();
    expect(() => parse('RETURN ' + '['.repeat(n) + ']'.repeat(n))).not.toThrow();
  });

  it.each([
    ['parentheses', 'RETURN ' + '('.repeat(5000) + '1' + ')'.repeat(5000)],
    ['lists', 'RETURN ' + '['.repeat(5000) + ']'.repeat(5000)],
    ['maps', 'RETURN ' + '{a: '.repeat(5000) + '1' + '}'.repeat(5000)],
    ['NOT', 'RETURN ' + 'NOT '.repeat(5000) + 'true'],
    ['unary minus', 'RETURN ' + '- '.repeat(5000) + '1'],
    ['operator chains', 'RETURN 1' + ' + 1'.repeat(5000)],
    ['index chains', 'RETURN a' + '[0]'.repeat(5000)],
    ['CALL subqueries', 'CALL { '.repeat(3000) + 'RETURN 1' + ' }'.repeat(3000)],
    ['label negations', 'MATCH (n:' + '!'.repeat(5000) + 'A) RETURN n'],
    ['label parentheses', 'MATCH (n:' + '('.repeat(5000) + 'A' + ')'.repeat(5000) + ') RETURN n'],
    ['unclosed parentheses', 'RETURN ' + '('.repeat(20000)],
    ['node properties', 'RETURN ' + '(a {k: '.repeat(3000) + '1' + '})'.repeat(3000)],
  ])('deep %s give LIMIT_EXCEEDED, not a stack overflow', (_name, text) => {
    expect(limitError(text).code).toBe('LIMIT_EXCEEDED');
  });

  it('ambiguous brackets nested to the limit parse in bounded time', () => {
    const n = 60;
    const t0 = performance.now();
    parse('RETURN ' + '[x IN '.repeat(n) + '[1]' + ', 1]'.repeat(n));
    parse('RETURN ' + '(a {k: '.repeat(n) + '1' + '})'.repeat(n) + ' - (b)');
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

function tckQueries(): string[] {
  const dir = new URL('../../../shared/tck/features', import.meta.url).pathname;
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const full = join(d, e);
      if (statSync(full).isDirectory()) walk(full);
      else if (e.endsWith('.feature')) {
        const text = readFileSync(full, 'utf8');
        for (const m of text.matchAll(/(?:executing query|having executed):\s*\n\s*"""\n([\s\S]*?)\n\s*"""/g)) out.push(m[1] ?? '');
      }
    }
  };
  walk(dir);
  return out;
}

describe('fuzzing', () => {
  const fragments = [
    'MATCH', 'OPTIONAL', 'RETURN', 'WITH', 'WHERE', 'CREATE', 'MERGE', 'ON', 'SET', 'DELETE', 'CALL', 'YIELD', 'UNWIND',
    'AS', 'UNION', 'ALL', 'ORDER BY', 'SKIP', 'LIMIT', 'AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'CASE', 'WHEN', 'THEN',
    'END', 'EXISTS', 'COUNT', 'reduce', 'all', '(', ')', '[', ']', '{', '}', '-', '->', '<-', '--', ':', '|', '&', '!',
    '%', '*', '..', '.', ',', '=', '<>', '+', '+=', '^', '/', 'n', 'm', 'x', '`q`', "'s'", '"t"', '1', '0x1F', '1.5',
    '$p', '9223372036854775808', '\\u', ';', '//', '/*', '*/', 'é', '\n', ' ',
  ];

  it('random token soups only ever throw GeodeError', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 40 }), (parts) => {
        parsesOrGeodeError(parts.join(' '));
        parsesOrGeodeError(parts.join(''));
      }),
      { seed: 42, numRuns: 3000 },
    );
  });

  it('random strings only ever throw GeodeError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60, unit: 'binary' }), (s) => {
        parsesOrGeodeError(s);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('mutated TCK queries only ever throw GeodeError', () => {
    const queries = tckQueries();
    expect(queries.length).toBeGreaterThan(1000);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: queries.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('delete', 'insert', 'swap', 'duplicate')), { minLength: 1, maxLength: 4 }),
        (qi, edits) => {
          let q = queries[qi] ?? '';
          for (const [a, b, op] of edits) {
            if (q.length === 0) break;
            const i = a % q.length;
            const j = b % q.length;
            if (op === 'delete') q = q.slice(0, Math.min(i, j)) + q.slice(Math.max(i, j));
            else if (op === 'insert') q = q.slice(0, i) + (fragments[j % fragments.length] ?? '') + q.slice(i);
            else if (op === 'swap') q = q.slice(0, i) + q.slice(j) + q.slice(i, j);
            else q = q.slice(0, j) + q.slice(i, j) + q.slice(i);
          }
          parsesOrGeodeError(q);
        },
      ),
      { seed: 1234, numRuns: 5000 },
    );
  });
});
