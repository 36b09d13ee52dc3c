/**
 * The interactive prompt of `geode query`: statements end with `;` and may span lines; `:help`
 * and `:quit`; history kept in `~/.geode_history` (or `$GEODE_HISTORY`), bounded. A failing
 * statement prints its error (code, position, caret) and the prompt goes on. The prompt is one
 * session: `BEGIN` / `START TRANSACTION`, `COMMIT` and `ROLLBACK` work across its statements, and
 * a transaction left open at the end is rolled back (and said so).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Geode, QueryParams } from '../../../src/api/database.ts';
import { runStatement } from './run-query.ts';

/** Lines of history kept on disk and in memory. */
export const HISTORY_LINES_MAX = 1_000;
/** Characters one statement may reach while being typed; past this the buffer is dropped. */
export const STATEMENT_CHARS_MAX = 1_000_000;

export const REPL_HELP = [
  'Type a GQL / openCypher statement ending with ";" (it may span several lines).',
  '  :help    this help',
  '  :quit    leave (also :exit, Ctrl-D)',
  '  :clear   drop the statement being typed',
  'Example: MATCH (p:Person) RETURN p.firstName LIMIT 5;',
].join('\n');

/** The history file: `$GEODE_HISTORY` when set, else `~/.geode_history`. */
export function historyPath(): string {
  return process.env['GEODE_HISTORY'] ?? join(homedir(), '.geode_history');
}

/** History lines from the file, oldest first, at most {@link HISTORY_LINES_MAX}; missing or unreadable → empty. */
export function loadHistory(path: string): string[] {
  try {
    if (!existsSync(path)) return [];
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim().length > 0);
    return lines.slice(-HISTORY_LINES_MAX);
  } catch {
    return [];
  }
}

/** Writes history (oldest first), keeping the newest {@link HISTORY_LINES_MAX} lines; failures are ignored. */
export function saveHistory(path: string, linesOldestFirst: readonly string[]): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${linesOldestFirst.slice(-HISTORY_LINES_MAX).join('\n')}\n`, { mode: 0o600 });
  } catch {
    // History is a convenience: a read-only home must not stop the prompt.
  }
}

/**
 * Splits typed text into complete statements (each ended by `;` outside quotes and comments) and
 * the unfinished rest.
 */
export function splitStatements(buffer: string): { statements: string[]; rest: string } {
  const statements: string[] = [];
  let start = 0;
  let quote: string | undefined;
  let lineComment = false;
  let blockComment = false;
  for (let i = 0; i < buffer.length; i++) {
    const ch = buffer[i]!;
    const next = buffer[i + 1];
    if (lineComment) {
      if (ch === '\n') lineComment = false;
    } else if (blockComment) {
      if (ch === '*' && next === '/') {
        blockComment = false;
        i++;
      }
    } else if (quote !== undefined) {
      if (ch === '\\' && quote !== '`') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '/' && next === '/') lineComment = true;
    else if (ch === '/' && next === '*') blockComment = true;
    else if (ch === ';') {
      const statement = buffer.slice(start, i).trim();
      if (statement.length > 0) statements.push(statement);
      start = i + 1;
    }
  }
  return { statements, rest: buffer.slice(start) };
}

export interface ReplOptions {
  readonly db: Geode;
  readonly params: QueryParams;
  readonly json: boolean;
  /** Called after a statement that wrote something (the CLI saves its snapshot). */
  readonly afterWrite: () => void;
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly errorOutput: NodeJS.WritableStream;
  /** Width of the output terminal, to fit tables; undefined for a pipe. */
  readonly terminalColumns?: number;
  /** Show prompts and keep history (true on a terminal). */
  readonly interactive: boolean;
}

/** Runs the prompt until `:quit` or end of input. Resolves with the number of failed statements. */
export async function runRepl(options: ReplOptions): Promise<number> {
  const { db, params, json, afterWrite, output, errorOutput, interactive } = options;
  const session = db.session();
  const histPath = historyPath();
  const history = interactive ? loadHistory(histPath) : [];
  const rl = createInterface({
    input: options.input,
    output: interactive ? output : undefined,
    terminal: interactive,
    history: [...history].reverse(),
    historySize: HISTORY_LINES_MAX,
    removeHistoryDuplicates: true,
    prompt: 'geode> ',
  });
  const say = (text: string): void => void output.write(`${text}\n`);
  if (interactive) say('Geode query console. Statements end with ";". Type :help for help, :quit to leave.');
  let buffer = '';
  let failures = 0;
  const prompt = (): void => {
    if (!interactive) return;
    const name = session.inTransaction ? 'geode(tx)' : 'geode';
    rl.setPrompt(buffer.trim().length > 0 ? `${' '.repeat(name.length - 3)}...> ` : `${name}> `);
    rl.prompt();
  };
  rl.on('SIGINT', () => {
    // Ctrl-C drops the statement being typed; on an empty prompt it leaves.
    if (buffer.trim().length > 0) {
      buffer = '';
      output.write('\n');
      prompt();
    } else rl.close();
  });
  prompt();
  for await (const line of rl) {
    if (interactive && line.trim().length > 0) history.push(line);
    const command = line.trim();
    if (buffer.trim().length === 0 && command.startsWith(':')) {
      if (command === ':quit' || command === ':exit' || command === ':q') break;
      if (command === ':help' || command === ':h') say(REPL_HELP);
      else if (command === ':clear') buffer = '';
      else errorOutput.write(`Unknown command ${command}; type :help\n`);
      prompt();
      continue;
    }
    buffer += `${line}\n`;
    if (buffer.length > STATEMENT_CHARS_MAX) {
      errorOutput.write(`Error [LIMIT_EXCEEDED]: a statement may be at most ${STATEMENT_CHARS_MAX} characters; input dropped\n`);
      buffer = '';
      failures++;
    }
    const { statements, rest } = splitStatements(buffer);
    buffer = rest;
    for (const statement of statements) {
      const out = await runStatement(session, statement, params, json, options.terminalColumns);
      if (out.ok) {
        say(out.stdout);
        if (out.writes > 0) afterWrite();
      } else {
        failures++;
        errorOutput.write(`${out.stderr}\n`);
      }
    }
    prompt();
  }
  if (buffer.trim().length > 0) {
    // End of input with an unfinished statement: run it, as a piped script expects.
    const out = await runStatement(session, buffer, params, json, options.terminalColumns);
    if (out.ok) {
      say(out.stdout);
      if (out.writes > 0) afterWrite();
    } else {
      failures++;
      errorOutput.write(`${out.stderr}\n`);
    }
  }
  rl.close();
  if (session.inTransaction) {
    errorOutput.write('The open transaction was rolled back (end of input before COMMIT)\n');
    failures++;
  }
  await session.close();
  if (interactive) saveHistory(histPath, history);
  return failures;
}
