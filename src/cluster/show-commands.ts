/**
 * `SHOW CLUSTER STATUS`: until the GQL parser knows it (src/gql parses no `SHOW` statement), the
 * API layer rewrites it to the procedure call it stands for before running a statement:
 *
 * ```ts
 * const text = rewriteShowCommand(input) ?? input;
 * ```
 *
 * Matched case-insensitively, with any whitespace between the words and an optional trailing
 * `;`; anything else (other words, a YIELD, a comment) is not matched and goes to the parser.
 */

/** The statements a SHOW command stands for. */
export const SHOW_COMMANDS: Readonly<Record<string, string>> = {
  'SHOW CLUSTER STATUS': 'CALL db.cluster.status()',
};

const SHOW = /^\s*SHOW\s+CLUSTER\s+STATUS\s*;?\s*$/i;

/** rewriteShowCommand: the CALL statement `text` stands for, or undefined when it is no SHOW command. */
export function rewriteShowCommand(text: string): string | undefined {
  if (text.length > 256 || !SHOW.test(text)) return undefined;
  return SHOW_COMMANDS['SHOW CLUSTER STATUS'];
}
