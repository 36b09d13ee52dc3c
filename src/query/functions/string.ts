/**
 * String functions. Positions and lengths count Unicode code points (so a character past U+FFFF
 * counts once); strings without surrogates take the native fast path.
 */
import type { Value } from '../../graph/index.ts';
import { GeodeError } from '../../util/errors.ts';
import { formatFloat } from '../value-ops.ts';
import { arg, badArgument, badType, checkListItems, intArg, strict } from './args.ts';
import { stringLengthMax } from './constants.ts';
import type { FunctionDefinition } from './types.ts';

const SURROGATE = /[\uD800-\uDFFF]/;

/** The code points of `s` (only called when `s` holds surrogates). */
function codePoints(s: string): string[] {
  return Array.from(s);
}

/** Number of code points in `s`. */
export function codePointLength(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function sliceCodePoints(s: string, start: number, end: number): string {
  if (!SURROGATE.test(s)) return s.slice(start, end);
  return codePoints(s).slice(start, end).join('');
}

function str(name: string, v: Value): string {
  if (typeof v !== 'string') throw badType(name, v, 'a STRING');
  return v;
}

function checkLength(name: string, n: number): void {
  if (n > stringLengthMax) {
    throw new GeodeError('LIMIT_EXCEEDED', `${name}() would build a string of ${n} characters; the limit is ${stringLengthMax}`);
  }
}

function nonNegative(name: string, v: Value, what: string): number {
  const n = intArg(name, v, what);
  if (n < 0) throw badArgument(`${name}(): ${what} must not be negative, got ${n}`, 'NegativeIntegerArgument');
  return n;
}

/** Trims the characters of `chars` (default: whitespace) from the chosen ends of `s`. */
function trimWith(s: string, chars: string | undefined, left: boolean, right: boolean): string {
  if (chars === undefined) return left && right ? s.trim() : left ? s.trimStart() : s.trimEnd();
  const set = new Set(codePoints(chars));
  const cps = SURROGATE.test(s) ? codePoints(s) : s.split('');
  let a = 0;
  let b = cps.length;
  if (left) while (a < b && set.has(cps[a] as string)) a++;
  if (right) while (b > a && set.has(cps[b - 1] as string)) b--;
  return cps.slice(a, b).join('');
}

function trimDef(name: string, left: boolean, right: boolean): FunctionDefinition {
  return strict(name, 1, 2, (args) => {
    const s = str(name, arg(args, 0));
    const chars = args.length > 1 ? str(name, arg(args, 1)) : undefined;
    return trimWith(s, chars, left, right);
  });
}

/** A scalar as a string, the way `toString` prints it; undefined for other types. */
export function scalarToString(v: Value): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'bigint':
      return v.toString();
    case 'number':
      return formatFloat(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return undefined;
  }
}

const NORMAL_FORMS = new Set(['NFC', 'NFD', 'NFKC', 'NFKD']);

export const stringFunctions: readonly FunctionDefinition[] = [
  strict('toUpper', 1, 1, (args) => str('toUpper', arg(args, 0)).toUpperCase()),
  strict('toLower', 1, 1, (args) => str('toLower', arg(args, 0)).toLowerCase()),
  strict('upper', 1, 1, (args) => str('upper', arg(args, 0)).toUpperCase()),
  strict('lower', 1, 1, (args) => str('lower', arg(args, 0)).toLowerCase()),
  trimDef('trim', true, true),
  trimDef('btrim', true, true),
  trimDef('ltrim', true, false),
  trimDef('rtrim', false, true),
  strict('replace', 3, 3, (args) => {
    const s = str('replace', arg(args, 0));
    const search = str('replace', arg(args, 1));
    const repl = str('replace', arg(args, 2));
    // Bound the result before building it: each match grows the string by repl - search.
    if (repl.length > search.length) {
      const matches = search === '' ? s.length + 1 : s.split(search).length - 1;
      checkLength('replace', s.length + matches * (repl.length - search.length));
    }
    return s.replaceAll(search, repl);
  }),
  strict('substring', 2, 3, (args) => {
    const name = 'substring';
    const s = str(name, arg(args, 0));
    const start = nonNegative(name, arg(args, 1), 'start');
    if (args.length < 3) return sliceCodePoints(s, start, Infinity);
    const len = nonNegative(name, arg(args, 2), 'length');
    return sliceCodePoints(s, start, start + len);
  }),
  strict('left', 2, 2, (args) => {
    const s = str('left', arg(args, 0));
    const n = nonNegative('left', arg(args, 1), 'length');
    return sliceCodePoints(s, 0, n);
  }),
  strict('right', 2, 2, (args) => {
    const s = str('right', arg(args, 0));
    const n = nonNegative('right', arg(args, 1), 'length');
    if (n === 0) return '';
    const len = codePointLength(s);
    return sliceCodePoints(s, Math.max(len - n, 0), len);
  }),
  strict('split', 2, 2, (args) => {
    const s = str('split', arg(args, 0));
    const d = arg(args, 1);
    let parts: string[];
    if (typeof d === 'string') {
      parts = d === '' ? codePoints(s) : s.split(d);
    } else if (Array.isArray(d)) {
      const delims = d.map((x) => str('split', x)).filter((x) => x !== '');
      parts = delims.length === 0 ? [s] : splitMany(s, delims);
    } else {
      throw badType('split', d, 'a STRING or LIST<STRING> delimiter');
    }
    checkListItems('split', parts.length);
    return parts;
  }),
  strict('char_length', 1, 1, (args) => BigInt(codePointLength(str('char_length', arg(args, 0))))),
  strict('character_length', 1, 1, (args) => BigInt(codePointLength(str('character_length', arg(args, 0))))),
  strict('normalize', 1, 2, (args) => {
    const s = str('normalize', arg(args, 0));
    const form = args.length > 1 ? str('normalize', arg(args, 1)).toUpperCase() : 'NFC';
    if (!NORMAL_FORMS.has(form)) {
      throw badArgument(`normalize(): unknown normal form '${form}' (NFC, NFD, NFKC or NFKD)`, 'InvalidArgumentValue');
    }
    return s.normalize(form);
  }),
];

/** Splits `s` at every occurrence of any of `delims` (non-empty), leftmost-longest first. */
function splitMany(s: string, delims: readonly string[]): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < s.length) {
    let hit = 0;
    for (const d of delims) if (d.length > hit && s.startsWith(d, i)) hit = d.length;
    if (hit > 0) {
      out.push(s.slice(start, i));
      i += hit;
      start = i;
    } else {
      i++;
    }
  }
  out.push(s.slice(start));
  return out;
}
