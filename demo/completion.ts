/**
 * Completion for the console: labels, relationship types and property keys of the open database
 * (from `CALL db.labels()`, `db.relationshipTypes()`, `db.propertyKeys()`, refreshed after
 * writes), parameters from the parameters box, procedures after CALL, keywords and functions.
 */
import type { Completion, CompletionContext, CompletionResult, CompletionSource } from '@codemirror/autocomplete';
import type { Geode } from '../src/index.ts';
import { allFunctions } from '../src/query/functions/index.ts';
import { completionSite } from './completion-context.ts';
import { GQL_AGGREGATES, GQL_KEYWORDS, GQL_PHRASES, GQL_PROCEDURES } from './gql-words.ts';

/** Most schema names kept per kind: a graph with more labels than this completes the first ones. */
export const SCHEMA_NAMES_MAX = 5_000;

/** The names of the open database that completion offers. */
export interface SchemaNames {
  readonly labels: readonly string[];
  readonly relationshipTypes: readonly string[];
  readonly propertyKeys: readonly string[];
}

/** An empty schema, before the first refresh. */
export const EMPTY_SCHEMA: SchemaNames = { labels: [], relationshipTypes: [], propertyKeys: [] };

async function column(db: Pick<Geode, 'query'>, statement: string, name: string): Promise<string[]> {
  const { rows } = await db.query(statement);
  const out: string[] = [];
  for (const row of rows) {
    const v = row[name];
    if (typeof v === 'string') out.push(v);
    if (out.length >= SCHEMA_NAMES_MAX) break;
  }
  return out;
}

/** Reads the schema names through the built-in procedures (so a clustered database answers too). */
export async function readSchema(db: Pick<Geode, 'query'>): Promise<SchemaNames> {
  const [labels, relationshipTypes, propertyKeys] = await Promise.all([
    column(db, 'CALL db.labels() YIELD label RETURN label', 'label'),
    column(db, 'CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType', 'relationshipType'),
    column(db, 'CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey', 'propertyKey'),
  ]);
  return { labels, relationshipTypes, propertyKeys };
}

/** A name as GQL needs it written: backquoted unless it is a plain identifier. */
export function quoteName(name: string): string {
  return /^[\p{L}_][\p{L}\p{N}_]*$/u.test(name) ? name : `\`${name.replace(/`/g, '``')}\``;
}

const keywordOptions: readonly Completion[] = [
  ...GQL_KEYWORDS.map((k) => ({ label: k, type: 'keyword', boost: -1 })),
  ...GQL_PHRASES.map((k) => ({ label: k, type: 'keyword', boost: -1 })),
];

let functionOptions: readonly Completion[] | undefined;
function functionCompletions(): readonly Completion[] {
  functionOptions ??= [
    ...GQL_AGGREGATES.map((f) => ({ label: f, type: 'function', detail: 'aggregate', apply: `${f}(` })),
    ...allFunctions().map((f) => ({ label: f.name, type: 'function', apply: `${f.name}(` })),
  ];
  return functionOptions;
}

/** The completion source; `schema()` and `params()` are read on every completion, so refreshes apply at once. */
export function consoleCompletion(schema: () => SchemaNames, params: () => readonly string[]): CompletionSource {
  return (context: CompletionContext): CompletionResult | null => {
    const before = context.state.sliceDoc(Math.max(0, context.pos - 2_000), context.pos);
    const site = completionSite(before);
    const from = context.pos - (before.length - site.from);
    const s = schema();
    const named = (names: readonly string[], type: string, detail: string): Completion[] =>
      names.map((n) => ({ label: n, apply: quoteName(n), type, detail }));
    let options: readonly Completion[];
    switch (site.kind) {
      case 'label':
        options = named(s.labels, 'type', 'label');
        break;
      case 'relationshipType':
        options = named(s.relationshipTypes, 'type', 'relationship type');
        break;
      case 'propertyKey':
        options = named(s.propertyKeys, 'property', 'property key');
        break;
      case 'parameter':
        options = params().map((p) => ({ label: p, type: 'variable', detail: 'parameter' }));
        break;
      case 'procedure':
        options = GQL_PROCEDURES.map((p) => ({ label: p, type: 'function', detail: 'procedure', apply: `${p}()` }));
        break;
      case 'general':
        // Only once a word is started (or on an explicit Ctrl-Space): no popup on every space.
        if (site.prefix.length === 0 && !context.explicit) return null;
        options = [...keywordOptions, ...functionCompletions()];
        break;
    }
    if (options.length === 0) return null;
    return { from, options, validFor: /^[\p{L}\p{N}_.]*$/u };
  };
}
