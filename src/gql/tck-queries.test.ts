/**
 * Every query of the openCypher TCK that is not expected to fail with a syntax error detected by
 * the parser must parse; every query expected to fail with a parser-level detail must fail with
 * that detail. Scenario Outlines are expanded through Gherkin pickles, so `<placeholders>` are
 * substituted exactly as the TCK runner sees them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AstBuilder, GherkinClassicTokenMatcher, Parser, compile } from '@cucumber/gherkin';
import { IdGenerator } from '@cucumber/messages';
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { parse } from './index.ts';

const featuresDir = new URL('../../../shared/tck/features', import.meta.url).pathname;

/** The details the parser owns; other SyntaxError details are semantic (src/query). */
const parserDetails = new Set([
  'UnexpectedSyntax',
  'InvalidNumberLiteral',
  'IntegerOverflow',
  'InvalidUnicodeLiteral',
  'InvalidUnicodeCharacter',
  'FloatingPointOverflow',
]);

/** Scenarios whose UnexpectedSyntax is decided after parsing; none so far. */
const semanticUnexpectedSyntax = new Set<string>([]);

interface TckQuery {
  readonly scenario: string;
  readonly query: string;
  /** The parser-level detail expected, or undefined when the query must parse. */
  readonly expectedDetail: string | undefined;
}

function featureFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...featureFiles(full));
    else if (entry.endsWith('.feature')) out.push(full);
  }
  return out.sort();
}

function loadQueries(): TckQuery[] {
  const out: TckQuery[] = [];
  for (const file of featureFiles(featuresDir)) {
    const uri = relative(featuresDir, file);
    const newId = IdGenerator.incrementing();
    const doc = new Parser(new AstBuilder(newId), new GherkinClassicTokenMatcher()).parse(readFileSync(file, 'utf8'));
    for (const pickle of compile({ ...doc, uri }, uri, newId)) {
      const errorStep = pickle.steps.find((s) => /SyntaxError should be raised at compile time/.test(s.text));
      const detail = errorStep?.text.match(/: (\w+)$/)?.[1];
      const scenario = `${uri}: ${pickle.name}`;
      for (const step of pickle.steps) {
        const query = step.argument?.docString?.content;
        if (query === undefined || !/executing query|having executed|executing control query/.test(step.text)) continue;
        const isTested = /^executing query/.test(step.text);
        const expectedDetail =
          isTested && detail !== undefined && parserDetails.has(detail) && !semanticUnexpectedSyntax.has(scenario) ? detail : undefined;
        out.push({ scenario, query, expectedDetail });
      }
    }
  }
  return out;
}

describe('TCK queries', () => {
  const queries = loadQueries();

  it('finds the TCK queries', () => {
    expect(queries.length).toBeGreaterThan(1000);
  });

  it('every TCK query without a parser-level syntax error parses', () => {
    const failures: string[] = [];
    for (const q of queries.filter((x) => x.expectedDetail === undefined)) {
      try {
        parse(q.query);
      } catch (err) {
        failures.push(`${q.scenario}\n${q.query}\n${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('every TCK query with a parser-level syntax error fails with its detail', () => {
    const failures: string[] = [];
    for (const q of queries.filter((x) => x.expectedDetail !== undefined)) {
      try {
        parse(q.query);
        failures.push(`${q.scenario}: parsed, expected ${q.expectedDetail}\n${q.query}`);
      } catch (err) {
        if (!isGeodeError(err, 'GQL_SYNTAX') || err.detail !== q.expectedDetail) {
          failures.push(`${q.scenario}: expected ${q.expectedDetail}, got ${isGeodeError(err) ? err.detail : String(err)}\n${q.query}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
