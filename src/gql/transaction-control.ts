/**
 * Transaction control statements of a GQL session: `START TRANSACTION` (ISO GQL), `BEGIN`,
 * `COMMIT`, `ROLLBACK`. They are not queries — they open and end the session's transaction — so
 * they have their own small parser, and `parse()` never sees them.
 *
 * ```
 * START TRANSACTION [characteristic [, characteristic]...]
 * BEGIN [TRANSACTION | WORK] [characteristic [, characteristic]...]
 * characteristic : READ ONLY | READ WRITE | ISOLATION LEVEL (SNAPSHOT | SERIALIZABLE)
 * COMMIT [WORK | TRANSACTION]
 * ROLLBACK [WORK | TRANSACTION]
 * ```
 *
 * Each statement may end with `;`. A characteristic given twice, or two that contradict each
 * other, is refused.
 */
import { queryError } from '../util/errors.ts';
import { tokenize, type Token } from './lexer.ts';

/** The isolation levels a transaction may ask for. */
export type TransactionIsolation = 'snapshot' | 'serializable';

/** A parsed transaction control statement. */
export type TransactionControl =
  | {
      readonly kind: 'StartTransaction';
      /** Undefined when the statement did not say (the database's default applies). */
      readonly isolation: TransactionIsolation | undefined;
      readonly readOnly: boolean | undefined;
    }
  | { readonly kind: 'Commit' }
  | { readonly kind: 'Rollback' };

const firstWords: ReadonlySet<string> = new Set(['START', 'BEGIN', 'COMMIT', 'ROLLBACK']);

/** The first word of `text` in upper case (cheap: no tokenizing), or '' when it does not start with a letter. */
function firstWord(text: string): string {
  let i = 0;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  let j = i;
  while (j < text.length && /\w/.test(text[j]!)) j++;
  return text.slice(i, j).toUpperCase();
}

/**
 * isTransactionControl: whether `text` starts with a transaction control keyword (START, BEGIN,
 * COMMIT, ROLLBACK). No query starts with one, so a caller can route on it before parsing.
 */
export function isTransactionControl(text: string): boolean {
  return firstWords.has(firstWord(text));
}

/**
 * parseTransactionControl: the transaction control statement `text` holds, or undefined when it
 * does not start with START, BEGIN, COMMIT or ROLLBACK. Throws GQL_SYNTAX (with line, column and
 * caret) for one that starts so but is malformed, e.g. `START TRANSACTION ISOLATION LEVEL READ
 * COMMITTED` (not a level this database offers).
 */
export function parseTransactionControl(text: string): TransactionControl | undefined {
  if (!isTransactionControl(text)) return undefined;
  const tokens = tokenize(text);
  let i = 0;
  const peek = (): Token => tokens[i]!;
  const isWord = (w: string): boolean => peek().kind === 'ident' && peek().upper === w;
  const accept = (w: string): boolean => {
    if (!isWord(w)) return false;
    i++;
    return true;
  };
  const describe = (t: Token): string => (t.kind === 'eof' ? 'end of input' : `'${text.slice(t.start, t.end)}'`);
  const fail = (expected: string, t: Token = peek()): never => {
    throw queryError('GQL_SYNTAX', `expected ${expected} but found ${describe(t)}`, text, t.start, 'UnexpectedSyntax');
  };
  const expect = (w: string): void => {
    if (!accept(w)) fail(w);
  };
  const end = (): void => {
    if (peek().kind === 'punct' && peek().value === ';') i++;
    if (peek().kind !== 'eof') fail('end of input');
  };

  if (accept('COMMIT') || accept('ROLLBACK')) {
    const kind = tokens[0]!.upper === 'COMMIT' ? 'Commit' : 'Rollback';
    if (!accept('WORK')) accept('TRANSACTION');
    end();
    return { kind };
  }
  if (accept('START')) expect('TRANSACTION');
  else if (accept('BEGIN')) {
    if (!accept('TRANSACTION')) accept('WORK');
  } else return fail('START, BEGIN, COMMIT or ROLLBACK');

  let isolation: TransactionIsolation | undefined;
  let readOnly: boolean | undefined;
  let first = true;
  while (peek().kind !== 'eof' && !(peek().kind === 'punct' && peek().value === ';')) {
    if (!first && peek().kind === 'punct' && peek().value === ',') i++;
    first = false;
    const at = peek();
    if (accept('READ')) {
      const mode = accept('ONLY') ? true : accept('WRITE') ? false : fail('ONLY or WRITE');
      if (readOnly !== undefined) throw queryError('GQL_SYNTAX', 'the access mode (READ ONLY / READ WRITE) is given twice', text, at.start, 'UnexpectedSyntax');
      readOnly = mode;
    } else if (accept('ISOLATION')) {
      expect('LEVEL');
      const levelAt = peek();
      const level = accept('SNAPSHOT') ? 'snapshot' : accept('SERIALIZABLE') ? 'serializable' : undefined;
      if (level === undefined) {
        throw queryError(
          'GQL_SYNTAX',
          `expected SNAPSHOT or SERIALIZABLE (the isolation levels this database offers) but found ${describe(levelAt)}`,
          text,
          levelAt.start,
          'UnexpectedSyntax',
        );
      }
      if (isolation !== undefined) throw queryError('GQL_SYNTAX', 'the isolation level is given twice', text, at.start, 'UnexpectedSyntax');
      isolation = level;
    } else fail('READ ONLY, READ WRITE or ISOLATION LEVEL');
  }
  end();
  return { kind: 'StartTransaction', isolation, readOnly };
}
