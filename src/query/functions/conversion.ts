/**
 * Type conversion functions: toInteger, toFloat, toBoolean, toString, their `OrNull` variants
 * (null instead of an error for a value of the wrong type) and the `...List` variants.
 *
 * A string that does not parse converts to null (`toInteger('foo')`); a value of a type that
 * can never convert (a list, a map, a node, ...) is GQL_TYPE InvalidArgumentValue, as the TCK
 * expects.
 */
import type { Value } from '../../graph/index.ts';
import { INT64_MAX, INT64_MIN } from '../../graph/index.ts';
import { arg, badArgument, badType, badValue, strict } from './args.ts';
import { scalarToString } from './string.ts';
import type { FunctionDefinition } from './types.ts';

const INTEGER_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_FLOATS: ReadonlyMap<string, number> = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['+Infinity', Infinity],
  ['-Infinity', -Infinity],
]);

/** Parses a float the way openCypher accepts it (`'1.5'`, `'1e3'`, `'.5'`, `'NaN'`); undefined if it does not parse. */
export function parseFloatText(s: string): number | undefined {
  const t = s.trim();
  if (FLOAT_TEXT.test(t)) return Number(t);
  return SPECIAL_FLOATS.get(t);
}

/** A float truncated toward zero, if it fits in int64; undefined otherwise (NaN, ±Infinity, too large). */
function truncToInt(f: number): bigint | undefined {
  if (!Number.isFinite(f)) return undefined;
  const i = BigInt(Math.trunc(f));
  return i > INT64_MAX || i < INT64_MIN ? undefined : i;
}

/** Parses an integer (`'42'`, or a float text truncated: `'2.9'` → 2); undefined if it does not parse or fit. */
export function parseIntegerText(s: string): bigint | undefined {
  const t = s.trim();
  if (INTEGER_TEXT.test(t)) {
    const i = BigInt(t);
    return i > INT64_MAX || i < INT64_MIN ? undefined : i;
  }
  const f = parseFloatText(t);
  return f === undefined ? undefined : truncToInt(f);
}

/**
 * The conversions, each given `orNull`: when true a value of an unconvertible type gives null,
 * when false it throws InvalidArgumentValue.
 */
export function toInteger(v: Value, orNull: boolean): Value {
  switch (typeof v) {
    case 'bigint':
      return v;
    case 'number': {
      const i = truncToInt(v);
      if (i === undefined && !orNull) {
        throw badArgument(`toInteger(): ${v} does not fit in a 64-bit integer`, 'NumberOutOfRange');
      }
      return i ?? null;
    }
    case 'string':
      return parseIntegerText(v) ?? null;
    case 'boolean':
      return v ? 1n : 0n;
    default:
      if (v === null || orNull) return null;
      throw badValue('toInteger', v, 'an INTEGER, FLOAT, STRING or BOOLEAN');
  }
}

export function toFloat(v: Value, orNull: boolean): Value {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'string':
      return parseFloatText(v) ?? null;
    default:
      if (v === null || orNull) return null;
      throw badValue('toFloat', v, 'an INTEGER, FLOAT or STRING');
  }
}

export function toBoolean(v: Value, orNull: boolean): Value {
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'string': {
      const t = v.toLowerCase();
      return t === 'true' ? true : t === 'false' ? false : null;
    }
    case 'bigint':
      return v !== 0n;
    default:
      if (v === null || orNull) return null;
      throw badValue('toBoolean', v, 'a BOOLEAN, STRING or INTEGER');
  }
}

export function toStringValue(v: Value, orNull: boolean): Value {
  if (v === null) return null;
  const s = scalarToString(v);
  if (s !== undefined) return s;
  if (orNull) return null;
  throw badValue('toString', v, 'an INTEGER, FLOAT, STRING or BOOLEAN');
}

type Conversion = (v: Value, orNull: boolean) => Value;

function conversionDefs(name: string, convert: Conversion): FunctionDefinition[] {
  return [
    strict(name, 1, 1, (args) => convert(arg(args, 0), false)),
    strict(`${name}OrNull`, 1, 1, (args) => convert(arg(args, 0), true)),
    strict(`${name}List`, 1, 1, (args) => {
      const l = arg(args, 0);
      if (!Array.isArray(l)) throw badType(`${name}List`, l, 'a LIST');
      return (l as readonly Value[]).map((x) => convert(x, true));
    }),
  ];
}

export const conversionFunctions: readonly FunctionDefinition[] = [
  ...conversionDefs('toInteger', toInteger),
  ...conversionDefs('toFloat', toFloat),
  ...conversionDefs('toBoolean', toBoolean),
  ...conversionDefs('toString', toStringValue),
];
