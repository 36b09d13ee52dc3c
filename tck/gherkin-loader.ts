/**
 * Loads TCK `.feature` files into flat scenarios: backgrounds prepended, Scenario Outlines
 * expanded (one scenario per Examples row, placeholders `<name>` substituted in step text,
 * doc strings and table cells).
 *
 * A scenario's id is `<path relative to the features folder>: <scenario name>`, with ` [k]`
 * appended for the k-th example row (1-based, counted across all Examples tables of the outline),
 * e.g. `clauses/match/Match1.feature: [1] Match non-existent nodes returns empty [2]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { AstBuilder, GherkinClassicTokenMatcher, Parser } from '@cucumber/gherkin';
import { IdGenerator } from '@cucumber/messages';
import type { Scenario, Step, TableRow } from '@cucumber/messages';

/** Most feature files a folder may hold (a guard against pointing the runner at `/`). */
export const MAX_FEATURE_FILES = 10_000;

/** One step, ready to run. */
export interface TckStep {
  /** `Given`, `When`, `Then`, `And`, `But` (trimmed). */
  readonly keyword: string;
  readonly text: string;
  readonly docString: string | undefined;
  /** Table rows of cell texts (Gherkin escapes already undone), or undefined. */
  readonly table: readonly (readonly string[])[] | undefined;
  /** 1-based line in the feature file. */
  readonly line: number;
}

export interface TckScenario {
  readonly id: string;
  /** Path of the feature file relative to the features folder, with `/` separators. */
  readonly file: string;
  readonly name: string;
  readonly steps: readonly TckStep[];
}

/** Every `.feature` file under `folder`, recursively, sorted by relative path. */
export function findFeatureFiles(folder: string): string[] {
  const out: string[] = [];
  const stack = [folder];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      const st = statSync(full);
      if (st.isDirectory()) stack.push(full);
      else if (entry.endsWith('.feature')) {
        out.push(full);
        if (out.length > MAX_FEATURE_FILES) throw new Error(`more than ${MAX_FEATURE_FILES} feature files under ${folder}`);
      }
    }
  }
  return out.sort((a, b) => (relative(folder, a) < relative(folder, b) ? -1 : 1));
}

/** Loads and expands every scenario under `folder`. */
export function loadFeatures(folder: string): TckScenario[] {
  const out: TckScenario[] = [];
  for (const file of findFeatureFiles(folder)) {
    const rel = relative(folder, file).split(sep).join('/');
    out.push(...parseFeature(readFileSync(file, 'utf8'), rel));
  }
  return out;
}

function convertStep(step: Step, subst: (s: string) => string): TckStep {
  return {
    keyword: step.keyword.trim(),
    text: subst(step.text),
    docString: step.docString === undefined ? undefined : subst(step.docString.content),
    table: step.dataTable === undefined ? undefined : step.dataTable.rows.map((r) => r.cells.map((c) => subst(c.value))),
    line: step.location.line,
  };
}

function substituter(header: TableRow | undefined, row: TableRow | undefined): (s: string) => string {
  if (header === undefined || row === undefined) return (s) => s;
  const names = header.cells.map((c) => c.value);
  const values = row.cells.map((c) => c.value);
  return (s) => s.replace(/<([^<>\n]+)>/g, (whole, name: string) => {
    const i = names.indexOf(name);
    return i < 0 ? whole : (values[i] ?? '');
  });
}

/** Parses one feature file's text; `file` names it in ids and errors. */
export function parseFeature(text: string, file: string): TckScenario[] {
  const parser = new Parser(new AstBuilder(IdGenerator.incrementing()), new GherkinClassicTokenMatcher());
  let doc;
  try {
    doc = parser.parse(text);
  } catch (err) {
    throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const out: TckScenario[] = [];
  const seen = new Map<string, number>();
  const feature = doc.feature;
  if (feature === undefined) return out;

  const emit = (name: string, steps: TckStep[]): void => {
    let id = `${file}: ${name}`;
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    if (n > 1) id = `${id} #${n}`;
    out.push({ id, file, name, steps });
  };

  const visitScenario = (scenario: Scenario, background: readonly Step[]): void => {
    const examples = scenario.examples.filter((e) => e.tableHeader !== undefined);
    if (examples.length === 0) {
      const id = (s: string): string => s;
      emit(scenario.name, [...background, ...scenario.steps].map((s) => convertStep(s, id)));
      return;
    }
    let k = 0;
    for (const ex of examples) {
      for (const row of ex.tableBody) {
        k++;
        const subst = substituter(ex.tableHeader, row);
        const steps = [...background.map((s) => convertStep(s, (x) => x)), ...scenario.steps.map((s) => convertStep(s, subst))];
        emit(`${subst(scenario.name)} [${k}]`, steps);
      }
    }
  };

  let featureBackground: Step[] = [];
  for (const child of feature.children) {
    if (child.background !== undefined) featureBackground = [...child.background.steps];
    else if (child.scenario !== undefined) visitScenario(child.scenario, featureBackground);
    else if (child.rule !== undefined) {
      let ruleBackground: Step[] = [...featureBackground];
      for (const rc of child.rule.children) {
        if (rc.background !== undefined) ruleBackground = [...featureBackground, ...rc.background.steps];
        else if (rc.scenario !== undefined) visitScenario(rc.scenario, ruleBackground);
      }
    }
  }
  return out;
}
