/**
 * How the console shows a failed statement: code, message, and the source line with a caret
 * under the position; plus the range the editor marks. Pure: text in, text out.
 */
import { isGeodeError } from '../src/index.ts';
import { caretExcerpt, positionAt } from '../src/util/errors.ts';

/** A failed statement, ready to show. */
export interface ErrorReport {
  readonly code: string;
  /** The message without the excerpt the engine appends (the view draws its own). */
  readonly message: string;
  readonly detail: string | undefined;
  /** Where in the statement, when known: line and column (1-based) and the range to mark. */
  readonly at: { readonly line: number; readonly column: number; readonly from: number; readonly to: number } | undefined;
  /** The statement's line at the position, with a caret under the column. */
  readonly excerpt: string | undefined;
}

/** Longest range marked, in characters: the token at the position, capped. */
export const ERROR_RANGE_CHARS_MAX = 80;

/** The range to mark for an error at `offset`: the word, number, string or symbol starting there. */
export function errorRange(text: string, offset: number): { from: number; to: number } {
  const from = Math.max(0, Math.min(offset, text.length));
  if (from === text.length) return { from, to: from };
  const rest = text.slice(from, from + ERROR_RANGE_CHARS_MAX);
  const match =
    /^[\p{L}\p{N}_$]+/u.exec(rest) ??
    /^'(?:[^'\\\n]|\\.)*'?/.exec(rest) ??
    /^"(?:[^"\\\n]|\\.)*"?/.exec(rest) ??
    /^`[^`\n]*`?/.exec(rest) ??
    /^\S/u.exec(rest);
  return { from, to: from + (match === null ? 1 : match[0].length) };
}

/** The engine appends ` (line L, column C)\n<excerpt>` to positioned messages: cut it off. */
function stripExcerpt(message: string): string {
  const nl = message.indexOf('\n');
  const head = nl < 0 ? message : message.slice(0, nl);
  return head.replace(/ \(line \d+, column \d+\)$/, '');
}

/** What to show for `err`, thrown by running `text`. Anything not a GeodeError is INTERNAL (a bug). */
export function describeError(err: unknown, text: string): ErrorReport {
  if (!isGeodeError(err)) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { code: 'INTERNAL', message, detail: undefined, at: undefined, excerpt: undefined };
  }
  const message = stripExcerpt(err.message);
  if (err.position === undefined || err.source === 'params') {
    return { code: err.code, message, detail: err.detail, at: undefined, excerpt: undefined };
  }
  // Recompute from the offset, so line, column and excerpt agree with the text in the editor.
  const pos = positionAt(text, err.position.offset);
  const range = errorRange(text, pos.offset);
  return {
    code: err.code,
    message,
    detail: err.detail,
    at: { line: pos.line, column: pos.column, from: range.from, to: range.to },
    excerpt: caretExcerpt(text, pos),
  };
}
