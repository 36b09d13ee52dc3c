/**
 * The GQL lexer: query text → an array of {@link Token}s, each with its start and end offsets.
 *
 * Keywords are not told apart from identifiers here: the parser compares `upper` (the
 * identifier upper-cased) where a keyword may appear, which is what lets keywords double as
 * names (`n.count`, `{end: 1}`, `:End`). Numbers keep their magnitude only (a leading `-` is
 * the parser's), so `-9223372036854775808` can be folded there.
 */
import { GeodeError, queryError } from '../util/errors.ts';
import { gqlTextCharsMax, gqlTokensMax } from './constants.ts';

/**
 * - `ident`: a bare identifier (maybe a keyword); `value` as written, `upper` upper-cased.
 * - `quoted`: a backtick-quoted identifier; `value` unescaped (never a keyword).
 * - `int`: an integer literal's magnitude in `int` (not range-checked: the parser checks int64).
 * - `float`: a float literal in `num`.
 * - `string`: a string literal, `value` unescaped.
 * - `param`: `$name` or `$0`, `value` is the name.
 * - `punct`: an operator or punctuation mark, `value` is its text.
 * - `eof`: the end of the text; always the last token.
 */
export type TokenKind = 'ident' | 'quoted' | 'int' | 'float' | 'string' | 'param' | 'punct' | 'eof';

/** One token; `start`/`end` are offsets into the query text (`end` exclusive). */
export class Token {
  constructor(
    readonly kind: TokenKind,
    readonly value: string,
    readonly upper: string,
    readonly start: number,
    readonly end: number,
    readonly int: bigint,
    readonly num: number,
  ) {}
}

const punct2 = new Set(['..', '<=', '>=', '<>', '!=', '=~', '+=', '||']);
const punct1 = new Set(['(', ')', '[', ']', '{', '}', ',', '.', ':', ';', '|', '&', '!', '%', '=', '+', '-', '*', '/', '^', '<', '>']);

const idStartRe = /[\p{ID_Start}\p{Pc}]/u;
const idContinueRe = /[\p{ID_Continue}\p{Pc}]/u;
const spaceRe = /\s/u;

function isAsciiIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** The full code point starting at `i` (surrogate pairs joined). */
function codePointAt(text: string, i: number): string {
  const cp = text.codePointAt(i) ?? 0;
  return String.fromCodePoint(cp);
}

/** True when the character at `i` can start an identifier; non-ASCII uses Unicode ID_Start. */
function identStartAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return isAsciiIdStart(c);
  return idStartRe.test(codePointAt(text, i));
}

/** True when the character at `i` can continue an identifier. */
function identContinueAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return isAsciiIdStart(c) || isDigit(c);
  return idContinueRe.test(codePointAt(text, i));
}

/**
 * Splits `text` into tokens ending with one `eof` token.
 * Throws GeodeError `GQL_SYNTAX` for malformed input (detail `InvalidNumberLiteral`,
 * `IntegerOverflow` is left to the parser, `InvalidUnicodeLiteral`, `InvalidUnicodeCharacter`,
 * `FloatingPointOverflow`, or `UnexpectedSyntax`) and `LIMIT_EXCEEDED` past
 * {@link gqlTextCharsMax} characters or {@link gqlTokensMax} tokens.
 */
export function tokenize(text: string): Token[] {
  if (text.length > gqlTextCharsMax) {
    throw queryError(
      'LIMIT_EXCEEDED',
      `query text is ${text.length} characters, more than the limit of ${gqlTextCharsMax}`,
      text.slice(0, 1000),
      0,
    );
  }
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  const push = (t: Token): void => {
    if (tokens.length >= gqlTokensMax) {
      throw queryError('LIMIT_EXCEEDED', `query has more than ${gqlTokensMax} tokens`, text, t.start);
    }
    tokens.push(t);
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    // whitespace
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    // comments
    if (c === 47 /* / */) {
      const d = text.charCodeAt(i + 1);
      if (d === 47) {
        i += 2;
        while (i < n && text.charCodeAt(i) !== 10) i++;
        continue;
      }
      if (d === 42 /* * */) {
        const close = text.indexOf('*/', i + 2);
        if (close < 0) throw syntax(text, i, "unterminated comment: expected '*/'");
        i = close + 2;
        continue;
      }
    }
    if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      i = lexNumber(text, i, push);
      continue;
    }
    if (c === 39 || c === 34) {
      i = lexString(text, i, push);
      continue;
    }
    if (c === 96 /* ` */) {
      const [name, end] = lexQuotedName(text, i);
      push(new Token('quoted', name, '', i, end, 0n, 0));
      i = end;
      continue;
    }
    if (c === 36 /* $ */) {
      const start = i;
      i++;
      if (text.charCodeAt(i) === 96) {
        const [name, end] = lexQuotedName(text, i);
        push(new Token('param', name, '', start, end, 0n, 0));
        i = end;
        continue;
      }
      if (i < n && (identStartAt(text, i) || isDigit(text.charCodeAt(i)))) {
        while (i < n && identContinueAt(text, i)) i += text.charCodeAt(i) >= 0xd800 && text.charCodeAt(i) < 0xdc00 ? 2 : 1;
        push(new Token('param', text.slice(start + 1, i), '', start, i, 0n, 0));
        continue;
      }
      throw syntax(text, start, "expected a parameter name after '$'");
    }
    if (c < 128 ? isAsciiIdStart(c) : identStartAt(text, i)) {
      const start = i;
      while (i < n && identContinueAt(text, i)) i += text.charCodeAt(i) >= 0xd800 && text.charCodeAt(i) < 0xdc00 ? 2 : 1;
      const value = text.slice(start, i);
      push(new Token('ident', value, value.toUpperCase(), start, i, 0n, 0));
      continue;
    }
    if (c >= 128) {
      const ch = codePointAt(text, i);
      if (spaceRe.test(ch)) {
        i += ch.length;
        continue;
      }
      throw queryError('GQL_SYNTAX', `unexpected character '${ch}' (U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')})`, text, i, 'InvalidUnicodeCharacter');
    }
    const two = text.slice(i, i + 2);
    if (punct2.has(two)) {
      push(new Token('punct', two, '', i, i + 2, 0n, 0));
      i += 2;
      continue;
    }
    const one = text[i] ?? '';
    if (punct1.has(one)) {
      push(new Token('punct', one, '', i, i + 1, 0n, 0));
      i++;
      continue;
    }
    throw syntax(text, i, `unexpected character '${one}'`);
  }
  push(new Token('eof', '', '', n, n, 0n, 0));
  return tokens;
}

function syntax(text: string, offset: number, message: string, detail = 'UnexpectedSyntax'): GeodeError {
  return queryError('GQL_SYNTAX', message, text, offset, detail);
}

/** Lexes a number at `start`; returns the offset after it. */
function lexNumber(text: string, start: number, push: (t: Token) => void): number {
  const n = text.length;
  let i = start;
  const c0 = text.charCodeAt(i);
  const c1 = text.charCodeAt(i + 1);
  if (c0 === 48 && (c1 === 120 || c1 === 88 || c1 === 111 || c1 === 79)) {
    // 0x... or 0o...
    const hex = c1 === 120 || c1 === 88;
    i += 2;
    const digitsStart = i;
    while (i < n && (hex ? isHexDigit(text.charCodeAt(i)) : text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 55)) i++;
    if (i === digitsStart || (i < n && identContinueAt(text, i))) {
      throw invalidNumber(text, start, i);
    }
    const value = BigInt((hex ? '0x' : '0o') + text.slice(digitsStart, i));
    push(new Token('int', text.slice(start, i), '', start, i, value, 0));
    return i;
  }
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  let isFloat = false;
  if (text.charCodeAt(i) === 46 && isDigit(text.charCodeAt(i + 1))) {
    isFloat = true;
    i++;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
  }
  const e = text.charCodeAt(i);
  if (e === 101 || e === 69) {
    let j = i + 1;
    const s = text.charCodeAt(j);
    if (s === 43 || s === 45) j++;
    if (isDigit(text.charCodeAt(j))) {
      isFloat = true;
      i = j;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
  }
  if (i < n && identContinueAt(text, i)) throw invalidNumber(text, start, i);
  const raw = text.slice(start, i);
  if (isFloat) {
    const num = Number(raw);
    if (!Number.isFinite(num)) {
      throw queryError('GQL_SYNTAX', `float literal ${raw} is too large for a 64-bit float`, text, start, 'FloatingPointOverflow');
    }
    push(new Token('float', raw, '', start, i, 0n, num));
  } else {
    push(new Token('int', raw, '', start, i, BigInt(raw), 0));
  }
  return i;
}

function invalidNumber(text: string, start: number, bad: number): GeodeError {
  let end = bad;
  while (end < text.length && identContinueAt(text, end)) end++;
  return queryError('GQL_SYNTAX', `invalid number literal '${text.slice(start, end)}'`, text, start, 'InvalidNumberLiteral');
}

/** Lexes a string literal at `start` (quote at `start`); returns the offset after it. */
function lexString(text: string, start: number, push: (t: Token) => void): number {
  const quote = text.charCodeAt(start);
  const n = text.length;
  let i = start + 1;
  let out = '';
  let chunk = i;
  while (true) {
    if (i >= n) throw syntax(text, start, 'unterminated string literal');
    const c = text.charCodeAt(i);
    if (c === quote) {
      out += text.slice(chunk, i);
      i++;
      break;
    }
    if (c !== 92 /* \ */) {
      i++;
      continue;
    }
    out += text.slice(chunk, i);
    const e = text[i + 1];
    switch (e) {
      case '\\':
        out += '\\';
        i += 2;
        break;
      case "'":
        out += "'";
        i += 2;
        break;
      case '"':
        out += '"';
        i += 2;
        break;
      case 'n':
        out += '\n';
        i += 2;
        break;
      case 't':
        out += '\t';
        i += 2;
        break;
      case 'r':
        out += '\r';
        i += 2;
        break;
      case 'b':
        out += '\b';
        i += 2;
        break;
      case 'f':
        out += '\f';
        i += 2;
        break;
      case 'u':
      case 'U': {
        const len = e === 'u' ? 4 : 8;
        const hex = text.slice(i + 2, i + 2 + len);
        if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) {
          throw queryError('GQL_SYNTAX', `invalid unicode escape '\\${e}${hex.replace(/[^0-9a-zA-Z].*$/s, '')}': expected ${len} hex digits`, text, i, 'InvalidUnicodeLiteral');
        }
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) {
          throw queryError('GQL_SYNTAX', `invalid unicode escape '\\${e}${hex}': past U+10FFFF`, text, i, 'InvalidUnicodeLiteral');
        }
        out += String.fromCodePoint(cp);
        i += 2 + len;
        break;
      }
      case undefined:
        throw syntax(text, start, 'unterminated string literal');
      default:
        // Unknown escapes keep the backslash, as openCypher implementations do.
        out += '\\' + e;
        i += 2;
    }
    chunk = i;
  }
  push(new Token('string', out, '', start, i, 0n, 0));
  return i;
}

/** Lexes a backtick-quoted name at `start`; returns the unescaped name and the offset after it. */
function lexQuotedName(text: string, start: number): [string, number] {
  let i = start + 1;
  let out = '';
  while (true) {
    const close = text.indexOf('`', i);
    if (close < 0) throw syntax(text, start, "unterminated quoted name: expected '`'");
    out += text.slice(i, close);
    if (text.charCodeAt(close + 1) === 96) {
      out += '`';
      i = close + 2;
      continue;
    }
    return [out, close + 1];
  }
}
