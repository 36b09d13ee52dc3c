import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFeature } from './gherkin-loader.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const STUB_ENGINE = join(ROOT, 'tck', 'fixtures', 'stub-engine.mjs');

interface CliRun {
  code: number;
  stdout: string;
}

/** Runs `tsx tck/run.ts <args>` against the stub engine. */
function runCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['tck/run.ts', ...args, '--engine', STUB_ENGINE, '--timeout', '3000'],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout });
      },
    );
  });
}

const lastLine = (s: string): string => s.trimEnd().split('\n').at(-1) ?? '';

const FEATURE = `Feature: Tiny

  Scenario: [1] passes
    Given an empty graph
    When executing query:
      """
      RETURN 1 AS x
      """
    Then the result should be, in any order:
      | x |
      | 1 |
    And no side effects

  Scenario: [2] fails because 1.0 is not 1
    Given an empty graph
    When executing query:
      """
      RETURN 1.0 AS x
      """
    Then the result should be, in order:
      | x |
      | 1 |

  Scenario Outline: [3] outline
    Given any graph
    When executing query:
      """
      RETURN <lit> AS x
      """
    Then the result should be, in any order:
      | x     |
      | <lit> |

    Examples:
      | lit |
      | 2   |
      | 2.5 |
`;

const MORE = `Feature: More

  Scenario: graph, setup, side effects and a control query
    Given the tiny graph
    And having executed:
      """
      CREATE (:A {name: 'a'})
      """
    When executing query:
      """
      MATCH (n) DETACH DELETE n
      """
    Then the result should be empty
    And the side effects should be:
      | -nodes      | 2 |
      | -labels     | 2 |
      | -properties | 2 |
    When executing control query:
      """
      MATCH (n) RETURN n
      """
    Then the result should be, in any order:
      | n |

  Scenario: expected error
    Given an empty graph
    When executing query:
      """
      RETURN $p AS p
      """
    Then a ParameterMissing should be raised at compile time: MissingParameter

  Scenario: procedure rows filtered by the arguments
    Given an empty graph
    And there exists a procedure test.my.proc(name :: STRING?, id :: INTEGER?) :: (city :: STRING?, country_code :: INTEGER?):
      | name     | id | city      | country_code |
      | 'Stefan' | 1  | 'Berlin'  | 49           |
      | 'Stefan' | 2  | 'München' | 49           |
    When executing query:
      """
      CALL test.my.proc('Stefan', 1)
      """
    Then the result should be, in order:
      | city     | country_code |
      | 'Berlin' | 49           |
    And no side effects

  Scenario: a crash that is not a GeodeError fails
    Given an empty graph
    When executing query:
      """
      CRASH
      """
    Then the result should be empty

  Scenario: a hanging query is killed at the time limit
    Given an empty graph
    When executing query:
      """
      HANG
      """
    Then the result should be empty
`;

describe('tck/run.ts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'geode-tck-'));
    mkdirSync(join(dir, 'features', 'clauses'), { recursive: true });
    mkdirSync(join(dir, 'graphs', 'tiny'), { recursive: true });
    writeFileSync(join(dir, 'features', 'clauses', 'Tiny.feature'), FEATURE);
    writeFileSync(join(dir, 'graphs', 'tiny', 'tiny.cypher'), "CREATE (:T {name: 'x'})\n");
    mkdirSync(join(dir, 'more', 'features'), { recursive: true });
    writeFileSync(join(dir, 'more', 'features', 'More.feature'), MORE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts expanded scenarios and exits 1 when one fails', async () => {
    const report = join(dir, 'report.json');
    const run = await runCli([join(dir, 'features'), '--report', report]);
    expect(lastLine(run.stdout)).toBe('3 passed, 1 failed');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('clauses/Tiny.feature: [2] fails because 1.0 is not 1');
    const json = JSON.parse(readFileSync(report, 'utf8')) as { passed: number; failed: number; scenarios: { id: string; status: string }[] };
    expect(json.passed).toBe(3);
    expect(json.failed).toBe(1);
    expect(json.scenarios.map((s) => `${s.id} ${s.status}`)).toEqual([
      'clauses/Tiny.feature: [1] passes passed',
      'clauses/Tiny.feature: [2] fails because 1.0 is not 1 failed',
      'clauses/Tiny.feature: [3] outline [1] passed',
      'clauses/Tiny.feature: [3] outline [2] passed',
    ]);
  });

  it('exits 0 when every failure is a known failure, and writes that list', async () => {
    const list = join(dir, 'known.txt');
    await runCli([join(dir, 'features'), '--write-known-failures', list]);
    expect(readFileSync(list, 'utf8')).toContain('clauses/Tiny.feature: [2] fails because 1.0 is not 1\n');
    const run = await runCli([join(dir, 'features'), '--known-failures', list]);
    expect(run.code).toBe(0);
    expect(lastLine(run.stdout)).toBe('3 passed, 1 failed');
  });

  it('exits 1 on a failure missing from the list, and on a listed scenario that now passes', async () => {
    const list = join(dir, 'stale.txt');
    writeFileSync(list, '# comment\nclauses/Tiny.feature: [1] passes\n');
    const run = await runCli([join(dir, 'features'), '--known-failures', list]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('NEW FAILURE clauses/Tiny.feature: [2] fails because 1.0 is not 1');
    expect(run.stdout).toContain('NOW PASSING — remove from the known-failures list: clauses/Tiny.feature: [1] passes');
    expect(lastLine(run.stdout)).toBe('3 passed, 1 failed');
  });

  it('filters scenarios by id substring', async () => {
    const run = await runCli([join(dir, 'features'), '--filter', 'outline']);
    expect(run.code).toBe(0);
    expect(lastLine(run.stdout)).toBe('2 passed, 0 failed');
  });

  it('runs graphs, setup, side effects, errors and procedures, and survives crashes and hangs', async () => {
    const run = await runCli([join(dir, 'more', 'features')]);
    expect(lastLine(run.stdout)).toBe('3 passed, 2 failed');
    expect(run.stdout).toMatch(/a crash that is not a GeodeError fails: .*crash \(not a GeodeError\): TypeError/);
    expect(run.stdout).toMatch(/a hanging query is killed at the time limit: timed out after 3000 ms/);
  });

  it('refuses a missing folder with a usage message', async () => {
    const run = await runCli([join(dir, 'nope')]);
    expect(run.code).toBe(2);
  });
});

describe('parseFeature', () => {
  it('expands outlines row by row across Examples tables and substitutes placeholders everywhere', () => {
    const text = `Feature: F
  Background:
    Given an empty graph

  Scenario Outline: [1] o
    When executing query:
      """
      RETURN <v> AS v
      """
    Then the result should be, in any order:
      | v   |
      | <v> |

    Examples:
      | v |
      | 1 |
    Examples:
      | v   |
      | 'a' |
`;
    const scenarios = parseFeature(text, 'x/F.feature');
    expect(scenarios.map((s) => s.id)).toEqual(['x/F.feature: [1] o [1]', 'x/F.feature: [1] o [2]']);
    const second = scenarios[1]!;
    expect(second.steps.map((s) => s.text)).toEqual(['an empty graph', 'executing query:', 'the result should be, in any order:']);
    expect(second.steps[1]!.docString).toBe("RETURN 'a' AS v");
    expect(second.steps[2]!.table).toEqual([['v'], ["'a'"]]);
  });
});
