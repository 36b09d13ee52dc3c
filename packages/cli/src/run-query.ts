/**
 * Running one statement for the CLI: strips the closing `;`, times the query, formats the result
 * as a table or JSON, and saves the data directory when the statement wrote something.
 */
import type { Geode, QueryParams } from '../../../src/api/database.ts';
import { parseTransactionControl } from '../../../src/gql/index.ts';
import { cellCharsForWidth, formatError, formatFooter, formatJson, formatTable } from './format.ts';

/** What one statement printed. */
export interface StatementOutput {
  readonly ok: boolean;
  /** For stdout (table + footer, or the JSON line); empty on error. */
  readonly stdout: string;
  /** For stderr: the error, formatted; empty on success. */
  readonly stderr: string;
  /** Write commands the statement applied (0 on error). */
  readonly writes: number;
}

/** The statement without surrounding blanks and closing semicolons. */
export function stripStatement(text: string): string {
  let t = text.trim();
  while (t.endsWith(';')) t = t.slice(0, -1).trimEnd();
  return t;
}

/**
 * Runs `text` on `db` and formats its result; never throws for a query error. `terminalColumns`
 * (stdout's width on a terminal) narrows wide cells so the table fits.
 */
export async function runStatement(
  db: Pick<Geode, 'query'>,
  text: string,
  params: QueryParams,
  json: boolean,
  terminalColumns?: number,
): Promise<StatementOutput> {
  const statement = stripStatement(text);
  const started = performance.now();
  try {
    const result = await db.query(statement, params);
    const ms = performance.now() - started;
    const control = parseTransactionControl(statement);
    if (control !== undefined && !json) {
      const said = control.kind === 'StartTransaction' ? 'Transaction started' : control.kind === 'Commit' ? 'Transaction committed' : 'Transaction rolled back';
      return { ok: true, stdout: `${said} (${ms.toFixed(1)} ms)`, stderr: '', writes: 0 };
    }
    if (json) return { ok: true, stdout: formatJson(result.columns, result.rows), stderr: '', writes: result.writes };
    const table = formatTable(result.columns, result.rows, cellCharsForWidth(terminalColumns, result.columns.length));
    const parts: string[] = [];
    if (table.length > 0) parts.push(table);
    if (result.plan !== undefined) parts.push(result.plan);
    if (result.writes > 0) parts.push(`${result.writes} ${result.writes === 1 ? 'change' : 'changes'} written`);
    parts.push(formatFooter(result.rows.length, ms));
    return { ok: true, stdout: parts.join('\n'), stderr: '', writes: result.writes };
  } catch (err) {
    return { ok: false, stdout: '', stderr: formatError(err, statement), writes: 0 };
  }
}
