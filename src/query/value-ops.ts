/**
 * Value semantics of openCypher: equality, comparison, the ORDER BY order, grouping keys,
 * arithmetic and three-valued logic over {@link Value}s.
 *
 * Everything here is pure and takes no query text: errors carry no position (the engine may
 * wrap them with one). Integers are `bigint` (int64, overflow is an error), floats are `number`.
 *
 * The references are the openCypher TCK scenarios (expressions/comparison, expressions/null,
 * clauses/return-orderby, expressions/aggregation, expressions/precedence).
 */
import { EdgeRecord, NodeRecord, PathValue } from '../graph/index.ts';
import {
  addDuration,
  addDurations,
  compareTemporals,
  DurationValue,
  durationsEqual,
  formatDuration,
  formatTemporal,
  TemporalValue,
  temporalsEqual,
} from '../graph/index.ts';
import type { Value, ValueMap } from '../graph/index.ts';
import { INT64_MAX, INT64_MIN } from '../graph/index.ts';
import { GeodeError } from '../util/errors.ts';
import { listItemsMax, stringLengthMax, valueDepthMax } from './functions/constants.ts';

// ---------------------------------------------------------------------------------------------
// Kinds
// ---------------------------------------------------------------------------------------------

/**
 * The kind of a value, numbered in ascending ORDER BY order (openCypher: map < node <
 * relationship < list < path < string < boolean < number < null).
 */
export const Kind = {
  Map: 0,
  Node: 1,
  Edge: 2,
  List: 3,
  Path: 4,
  String: 5,
  Boolean: 6,
  Integer: 7,
  Float: 8,
  Null: 9,
  Temporal: 10,
  Duration: 11,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** The {@link Kind} of `v`. Integers and floats are told apart (both sort as numbers). */
export function kindOf(v: Value): Kind {
  switch (typeof v) {
    case 'bigint':
      return Kind.Integer;
    case 'number':
      return Kind.Float;
    case 'string':
      return Kind.String;
    case 'boolean':
      return Kind.Boolean;
    default:
      if (v === null) return Kind.Null;
      if (Array.isArray(v)) return Kind.List;
      if (v instanceof NodeRecord) return Kind.Node;
      if (v instanceof EdgeRecord) return Kind.Edge;
      if (v instanceof PathValue) return Kind.Path;
      if (v instanceof TemporalValue) return Kind.Temporal;
      if (v instanceof DurationValue) return Kind.Duration;
      return Kind.Map;
  }
}

/** True when `v` is a list value. */
export function isList(v: Value): v is readonly Value[] {
  return Array.isArray(v);
}

/** True when `v` is a map value (not a list, node, edge or path). */
export function isMap(v: Value): v is ValueMap {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof NodeRecord) &&
    !(v instanceof EdgeRecord) &&
    !(v instanceof PathValue) &&
    !(v instanceof TemporalValue) &&
    !(v instanceof DurationValue)
  );
}

/** True for integers and floats. */
export function isNumber(v: Value): v is bigint | number {
  return typeof v === 'bigint' || typeof v === 'number';
}

/** The type name of `v` for messages: INTEGER, FLOAT, STRING, BOOLEAN, NULL, LIST, MAP, NODE, RELATIONSHIP, PATH. */
export function typeName(v: Value): string {
  switch (kindOf(v)) {
    case Kind.Map:
      return 'MAP';
    case Kind.Node:
      return 'NODE';
    case Kind.Edge:
      return 'RELATIONSHIP';
    case Kind.List:
      return 'LIST';
    case Kind.Path:
      return 'PATH';
    case Kind.String:
      return 'STRING';
    case Kind.Boolean:
      return 'BOOLEAN';
    case Kind.Integer:
      return 'INTEGER';
    case Kind.Float:
      return 'FLOAT';
    case Kind.Null:
      return 'NULL';
    case Kind.Temporal:
      return (v as TemporalValue).kind === 'localdatetime'
        ? 'LOCAL DATETIME'
        : (v as TemporalValue).kind === 'localtime'
          ? 'LOCAL TIME'
          : (v as TemporalValue).kind.toUpperCase();
    case Kind.Duration:
      return 'DURATION';
  }
}

/** WHERE / CASE truthiness: only `true` passes (null and false do not). */
export function isTruthy(v: Value): boolean {
  return v === true;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** A GQL_TYPE error with detail InvalidArgumentType. */
export function invalidArgumentType(message: string): GeodeError {
  return new GeodeError('GQL_TYPE', message, { detail: 'InvalidArgumentType' });
}

function integerOverflow(op: string, a: bigint, b: bigint | undefined): GeodeError {
  const what = b === undefined ? `${op}${a}` : `${a} ${op} ${b}`;
  return new GeodeError('GQL_OVERFLOW', `integer overflow: ${what} does not fit in 64 bits`, {
    detail: 'IntegerOverflow',
  });
}

function tooDeep(): GeodeError {
  return new GeodeError('LIMIT_EXCEEDED', `value nested deeper than ${valueDepthMax} levels`);
}

function checkInt64(r: bigint, op: string, a: bigint, b: bigint | undefined): bigint {
  if (r > INT64_MAX || r < INT64_MIN) throw integerOverflow(op, a, b);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------

/**
 * Compares strings by Unicode code point (not UTF-16 code unit, which differs for characters
 * past U+FFFF against U+E000..U+FFFF).
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // A surrogate (a code point past U+FFFF) sorts after every BMP character.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

/**
 * A float as openCypher prints it (Java's `Double.toString`): `1.0`, `0.1`, `1.0E20`, `1.0E-5`,
 * `NaN`, `Infinity`, `-0.0`.
 */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return 'Infinity';
  if (f === -Infinity) return '-Infinity';
  if (f === 0) return Object.is(f, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(f);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(f);
    return s.includes('.') ? s : `${s}.0`;
  }
  // Scientific: mantissa with at least one fractional digit, 'E', exponent without '+'.
  const [mant = '', exp = '0'] = f.toExponential().split('e');
  const m = mant.includes('.') ? mant : `${mant}.0`;
  return `${m}E${exp.startsWith('+') ? exp.slice(1) : exp}`;
}

/** A number as a string: integers in decimal, floats as {@link formatFloat}. */
export function formatNumber(v: bigint | number): string {
  return typeof v === 'bigint' ? v.toString() : formatFloat(v);
}

// ---------------------------------------------------------------------------------------------
// Equality
// ---------------------------------------------------------------------------------------------

/**
 * openCypher `=`: ternary. Null when either side is null (or, inside lists and maps, when a null
 * decides the outcome); `1 = 1.0` is true; NaN equals nothing; lists element-wise, maps by keys
 * then values, nodes and relationships by id, paths by their element sequence; different types
 * are false.
 */
export function cypherEquals(a: Value, b: Value): boolean | null {
  return equalsAt(a, b, 0);
}

function equalsAt(a: Value, b: Value, depth: number): boolean | null {
  if (a === null || b === null) return null;
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== 'object' || tb !== 'object') {
    if ((ta === 'bigint' || ta === 'number') && (tb === 'bigint' || tb === 'number')) {
      // Loose equality between bigint and number is exact; NaN == x is false.
      // eslint-disable-next-line eqeqeq
      return a == b;
    }
    return a === b;
  }
  if (depth > valueDepthMax) throw tooDeep();
  const ka = kindOf(a);
  if (ka !== kindOf(b)) return false;
  switch (ka) {
    case Kind.List:
      return listEquals(a as readonly Value[], b as readonly Value[], depth);
    case Kind.Map:
      return mapEquals(a as ValueMap, b as ValueMap, depth);
    case Kind.Node:
      return (a as NodeRecord).id === (b as NodeRecord).id;
    case Kind.Edge:
      return (a as EdgeRecord).id === (b as EdgeRecord).id;
    case Kind.Path:
      return pathEquals(a as PathValue, b as PathValue);
    case Kind.Temporal:
      return temporalsEqual(a as TemporalValue, b as TemporalValue);
    case Kind.Duration:
      return durationsEqual(a as DurationValue, b as DurationValue);
    default:
      return false;
  }
}

function listEquals(a: readonly Value[], b: readonly Value[], depth: number): boolean | null {
  if (a.length !== b.length) return false;
  let unknown = false;
  for (let i = 0; i < a.length; i++) {
    const r = equalsAt(a[i] as Value, b[i] as Value, depth + 1);
    if (r === false) return false;
    if (r === null) unknown = true;
  }
  return unknown ? null : true;
}

function mapEquals(a: ValueMap, b: ValueMap, depth: number): boolean | null {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (!Object.hasOwn(b, k)) return false;
  let unknown = false;
  for (const k of keys) {
    const r = equalsAt(a[k] as Value, b[k] as Value, depth + 1);
    if (r === false) return false;
    if (r === null) unknown = true;
  }
  return unknown ? null : true;
}

function pathEquals(a: PathValue, b: PathValue): boolean {
  if (a.edges.length !== b.edges.length) return false;
  for (let i = 0; i < a.nodes.length; i++) if (a.nodes[i]?.id !== b.nodes[i]?.id) return false;
  for (let i = 0; i < a.edges.length; i++) if (a.edges[i]?.id !== b.edges[i]?.id) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Comparison (<, <=, >, >=)
// ---------------------------------------------------------------------------------------------

/**
 * openCypher comparison for `<, <=, >, >=`: negative, zero or positive; null when either side is
 * null or the two are not comparable (different types other than int/float, maps, nodes,
 * relationships, paths). Numbers compare exactly across int and float; strings by code point;
 * false < true; lists lexicographically (a null element that decides the order makes it null,
 * a shorter prefix sorts first).
 *
 * When a NaN is compared with a number the result is `NaN`, so that every operator applied to
 * it (`c < 0`, `c >= 0`, ...) is false, as the TCK expects (`0.0/0.0 > 1` is false, not null).
 */
export function cypherCompare(a: Value, b: Value): number | null {
  return compareAt(a, b, 0);
}

function compareAt(a: Value, b: Value, depth: number): number | null {
  if (a === null || b === null) return null;
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'bigint' || ta === 'number') && (tb === 'bigint' || tb === 'number')) {
    return compareNumbers(a as bigint | number, b as bigint | number);
  }
  if (ta === 'string') return tb === 'string' ? compareStrings(a as string, b as string) : null;
  if (ta === 'boolean') return tb === 'boolean' ? (a === b ? 0 : a ? 1 : -1) : null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (depth > valueDepthMax) throw tooDeep();
    const la = a as readonly Value[];
    const lb = b as readonly Value[];
    const n = Math.min(la.length, lb.length);
    for (let i = 0; i < n; i++) {
      const c = compareAt(la[i] as Value, lb[i] as Value, depth + 1);
      if (c === null) return null;
      if (c !== 0) return c;
    }
    return la.length - lb.length;
  }
  if (a instanceof TemporalValue && b instanceof TemporalValue) return compareTemporals(a, b) ?? null;
  return null;
}

/** Numeric comparison, exact between bigint and number; NaN when either is NaN. */
function compareNumbers(a: bigint | number, b: bigint | number): number {
  if (typeof a === 'number' && Number.isNaN(a)) return NaN;
  if (typeof b === 'number' && Number.isNaN(b)) return NaN;
  // Relational operators between bigint and number compare mathematically exact values.
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// ORDER BY
// ---------------------------------------------------------------------------------------------

/**
 * The total order of ORDER BY (ascending): map < node < relationship < list < path < string <
 * boolean < number < null. Numbers compare by value across int and float (1 and 1.0 tie), NaN
 * after every other number; lists lexicographically with this order; maps by their sorted
 * (key, value) pairs; nodes and relationships by id; paths by their element ids.
 * Zero exactly when the two values are equivalent ({@link groupingKey} equal).
 */
export function orderCompare(a: Value, b: Value): number {
  return orderAt(a, b, 0);
}

function orderRank(k: Kind): number {
  // Integers and floats share one rank; null sorts right after numbers; temporal values and
  // durations sort between paths and strings.
  if (k === Kind.Temporal) return Kind.Path + 0.25;
  if (k === Kind.Duration) return Kind.Path + 0.5;
  return k === Kind.Float ? Kind.Integer : k === Kind.Null ? Kind.Null - 1 : k;
}

function orderAt(a: Value, b: Value, depth: number): number {
  // Fast paths for the common same-type primitives.
  const ta = typeof a;
  if (ta === typeof b) {
    if (ta === 'string') return compareStrings(a as string, b as string);
    if (ta === 'bigint') return (a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0;
  }
  const ka = kindOf(a);
  const kb = kindOf(b);
  const ra = orderRank(ka);
  const rb = orderRank(kb);
  if (ra !== rb) return ra - rb;
  if (depth > valueDepthMax) throw tooDeep();
  switch (ka) {
    case Kind.Null:
      return 0;
    case Kind.Integer:
    case Kind.Float: {
      const an = typeof a === 'number' && Number.isNaN(a);
      const bn = typeof b === 'number' && Number.isNaN(b);
      if (an || bn) return an === bn ? 0 : an ? 1 : -1;
      return compareNumbers(a as bigint | number, b as bigint | number);
    }
    case Kind.Boolean:
      return a === b ? 0 : a ? 1 : -1;
    case Kind.String:
      return compareStrings(a as string, b as string);
    case Kind.List: {
      const la = a as readonly Value[];
      const lb = b as readonly Value[];
      const n = Math.min(la.length, lb.length);
      for (let i = 0; i < n; i++) {
        const c = orderAt(la[i] as Value, lb[i] as Value, depth + 1);
        if (c !== 0) return c;
      }
      return la.length - lb.length;
    }
    case Kind.Map:
      return orderMaps(a as ValueMap, b as ValueMap, depth);
    case Kind.Node:
      return (a as NodeRecord).id - (b as NodeRecord).id;
    case Kind.Edge:
      return (a as EdgeRecord).id - (b as EdgeRecord).id;
    case Kind.Path:
      return orderPaths(a as PathValue, b as PathValue);
    case Kind.Temporal: {
      const x = a as TemporalValue;
      const y = b as TemporalValue;
      if (x.kind !== y.kind) return x.kind < y.kind ? -1 : 1;
      const c = compareTemporals(x, y) ?? 0;
      return c !== 0 ? c : x.offsetSeconds - y.offsetSeconds;
    }
    case Kind.Duration:
      return compareStrings(formatDuration(a as DurationValue), formatDuration(b as DurationValue));
  }
}

function sortedKeys(m: ValueMap): string[] {
  return Object.keys(m).sort(compareStrings);
}

function orderMaps(a: ValueMap, b: ValueMap, depth: number): number {
  const ka = sortedKeys(a);
  const kb = sortedKeys(b);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const x = ka[i] as string;
    const y = kb[i] as string;
    const c = compareStrings(x, y);
    if (c !== 0) return c;
    const v = orderAt(a[x] as Value, b[y] as Value, depth + 1);
    if (v !== 0) return v;
  }
  return ka.length - kb.length;
}

function orderPaths(a: PathValue, b: PathValue): number {
  const n = Math.min(a.edges.length, b.edges.length);
  for (let i = 0; i <= n; i++) {
    const c = (a.nodes[i] as NodeRecord).id - (b.nodes[i] as NodeRecord).id;
    if (c !== 0) return c;
    if (i < n) {
      const e = (a.edges[i] as EdgeRecord).id - (b.edges[i] as EdgeRecord).id;
      if (e !== 0) return e;
    }
  }
  return a.edges.length - b.edges.length;
}

// ---------------------------------------------------------------------------------------------
// Grouping keys (DISTINCT, grouping, UNION)
// ---------------------------------------------------------------------------------------------

const SAFE = 2 ** 53;
const SAFE_BIG = 2n ** 53n;
/** Prefix of every encoded (non-primitive) key; user strings starting with it are escaped. */
const MARK = '\u0000';

/**
 * A key such that `groupingKey(a) === groupingKey(b)` exactly when `a` and `b` are equivalent
 * (openCypher equivalence: equality, except that null is equivalent to null and NaN to NaN).
 * `1` and `1.0` are equivalent (as `1 = 1.0`); big integers stay exact. The key is a primitive
 * (null, boolean, number, bigint or string), usable in a `Map` or `Set`. Primitives mostly key
 * as themselves; composite values key as an encoded string starting with U+0000.
 */
export function groupingKey(v: Value): unknown {
  switch (typeof v) {
    case 'string':
      return v.length > 0 && v.charCodeAt(0) === 0 ? MARK + encodeKey(v, 0) : v;
    case 'boolean':
      return v;
    case 'number':
      if (Number.isNaN(v)) return `${MARK}N`;
      if (Number.isInteger(v) && (v > SAFE || v < -SAFE)) return BigInt(v);
      return v === 0 ? 0 : v; // -0 and 0 are one key
    case 'bigint':
      return v <= SAFE_BIG && v >= -SAFE_BIG ? Number(v) : v;
    default:
      if (v === null) return null;
      return MARK + encodeKey(v, 0);
  }
}

/** An unambiguous string encoding of `v` modulo equivalence. */
function encodeKey(v: Value, depth: number): string {
  if (depth > valueDepthMax) throw tooDeep();
  switch (kindOf(v)) {
    case Kind.Null:
      return 'z';
    case Kind.Boolean:
      return v ? 'T' : 'F';
    case Kind.Integer:
      return `i${(v as bigint).toString()};`;
    case Kind.Float: {
      const f = v as number;
      if (Number.isNaN(f)) return 'N';
      if (Number.isInteger(f)) return `i${BigInt(f).toString()};`;
      return `f${String(f)};`;
    }
    case Kind.String: {
      const s = v as string;
      return `s${s.length}:${s}`;
    }
    case Kind.List: {
      let out = '[';
      for (const x of v as readonly Value[]) out += encodeKey(x, depth + 1);
      return `${out}]`;
    }
    case Kind.Map: {
      const m = v as ValueMap;
      let out = '{';
      for (const k of sortedKeys(m)) out += `${k.length}:${k}${encodeKey(m[k] as Value, depth + 1)}`;
      return `${out}}`;
    }
    case Kind.Node:
      return `n${(v as NodeRecord).id};`;
    case Kind.Edge:
      return `e${(v as EdgeRecord).id};`;
    case Kind.Path: {
      const p = v as PathValue;
      let out = 'p';
      for (let i = 0; i < p.nodes.length; i++) {
        out += `${(p.nodes[i] as NodeRecord).id}`;
        if (i < p.edges.length) out += `,${(p.edges[i] as EdgeRecord).id},`;
      }
      return `${out};`;
    }
    case Kind.Temporal:
      return `t${(v as TemporalValue).kind}:${formatTemporal(v as TemporalValue)};`;
    case Kind.Duration:
      return `d${formatDuration(v as DurationValue)};`;
  }
}

/** True when `a` and `b` are equivalent (DISTINCT semantics): null ≡ null, NaN ≡ NaN, else `=`. */
export function equivalent(a: Value, b: Value): boolean {
  return groupingKey(a) === groupingKey(b);
}

// ---------------------------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------------------------

function badOperands(op: string, a: Value, b: Value): GeodeError {
  return invalidArgumentType(`cannot apply ${op} to ${typeName(a)} and ${typeName(b)}`);
}

function checkListSize(n: number): void {
  if (n > listItemsMax) {
    throw new GeodeError('LIMIT_EXCEEDED', `list of ${n} elements exceeds the limit of ${listItemsMax}`);
  }
}

function concatStrings(a: string, b: string): string {
  if (a.length + b.length > stringLengthMax) {
    throw new GeodeError('LIMIT_EXCEEDED', `string of ${a.length + b.length} characters exceeds the limit of ${stringLengthMax}`);
  }
  return a + b;
}

/**
 * `a + b`: int + int (int64, overflow is GQL_OVERFLOW), numbers mixing int and float give a
 * float, string + string or string + number concatenate, list + list concatenates, list +
 * element appends and element + list prepends; null propagates; anything else is GQL_TYPE.
 */
export function add(a: Value, b: Value): Value {
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'bigint' && tb === 'bigint') return checkInt64((a as bigint) + (b as bigint), '+', a as bigint, b as bigint);
  if (ta === 'number' && tb === 'number') return (a as number) + (b as number);
  if (a === null || b === null) return null;
  if (ta === 'string') {
    if (tb === 'string') return concatStrings(a as string, b as string);
    if (tb === 'bigint' || tb === 'number') return concatStrings(a as string, formatNumber(b as bigint | number));
  }
  if (tb === 'string' && (ta === 'bigint' || ta === 'number')) {
    return concatStrings(formatNumber(a as bigint | number), b as string);
  }
  if ((ta === 'bigint' || ta === 'number') && (tb === 'bigint' || tb === 'number')) return Number(a) + Number(b);
  if (Array.isArray(a)) {
    if (Array.isArray(b)) {
      checkListSize(a.length + b.length);
      return [...(a as readonly Value[]), ...(b as readonly Value[])];
    }
    checkListSize(a.length + 1);
    return [...(a as readonly Value[]), b];
  }
  if (Array.isArray(b)) {
    checkListSize(b.length + 1);
    return [a, ...(b as readonly Value[])];
  }
  if (b instanceof DurationValue) {
    if (a instanceof TemporalValue) return addDuration(a, b, 1);
    if (a instanceof DurationValue) return addDurations(a, b, 1);
  }
  if (a instanceof DurationValue && b instanceof TemporalValue) return addDuration(b, a, 1);
  throw badOperands('+', a, b);
}

/** `a - b` on numbers (int64 exact, overflow is GQL_OVERFLOW); null propagates. */
export function subtract(a: Value, b: Value): Value {
  if (typeof a === 'bigint' && typeof b === 'bigint') return checkInt64(a - b, '-', a, b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === null || b === null) return null;
  if (isNumber(a) && isNumber(b)) return Number(a) - Number(b);
  if (b instanceof DurationValue) {
    if (a instanceof TemporalValue) return addDuration(a, b, -1);
    if (a instanceof DurationValue) return addDurations(a, b, -1);
  }
  throw badOperands('-', a, b);
}

/** `a * b` on numbers (int64 exact, overflow is GQL_OVERFLOW); null propagates. */
export function multiply(a: Value, b: Value): Value {
  if (typeof a === 'bigint' && typeof b === 'bigint') return checkInt64(a * b, '*', a, b);
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === null || b === null) return null;
  if (isNumber(a) && isNumber(b)) return Number(a) * Number(b);
  throw badOperands('*', a, b);
}

function divisionByZero(op: string, a: bigint): GeodeError {
  return new GeodeError('GQL_ARGUMENT', `integer division by zero: ${a} ${op} 0`, { detail: 'DivisionByZero' });
}

/**
 * `a / b`: integers divide truncating toward zero (division by zero is GQL_ARGUMENT
 * DivisionByZero; `INT64_MIN / -1` overflows); with a float operand the result is a float
 * (x / 0.0 is ±Infinity or NaN). Null propagates.
 */
export function divide(a: Value, b: Value): Value {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    if (b === 0n) throw divisionByZero('/', a);
    return checkInt64(a / b, '/', a, b);
  }
  if (typeof a === 'number' && typeof b === 'number') return a / b;
  if (a === null || b === null) return null;
  if (isNumber(a) && isNumber(b)) return Number(a) / Number(b);
  throw badOperands('/', a, b);
}

/**
 * `a % b`: the remainder of truncating division, with the sign of `a` (as Java); integer modulo
 * by zero is GQL_ARGUMENT DivisionByZero, float modulo by zero is NaN. Null propagates.
 */
export function modulo(a: Value, b: Value): Value {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    if (b === 0n) throw divisionByZero('%', a);
    return a % b;
  }
  if (typeof a === 'number' && typeof b === 'number') return a % b;
  if (a === null || b === null) return null;
  if (isNumber(a) && isNumber(b)) return Number(a) % Number(b);
  throw badOperands('%', a, b);
}

/** `a ^ b`: always a float (`2 ^ 3` is 8.0). Null propagates. */
export function power(a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (isNumber(a) && isNumber(b)) return Number(a) ** Number(b);
  throw badOperands('^', a, b);
}

/** Unary `-a`: `-INT64_MIN` overflows; null propagates. */
export function negate(a: Value): Value {
  if (typeof a === 'bigint') return checkInt64(-a, '-', a, undefined);
  if (typeof a === 'number') return -a;
  if (a === null) return null;
  throw invalidArgumentType(`cannot negate ${typeName(a)}`);
}

// ---------------------------------------------------------------------------------------------
// Three-valued logic
// ---------------------------------------------------------------------------------------------

function checkLogical(op: string, v: Value): boolean | null {
  if (v === null || typeof v === 'boolean') return v;
  throw invalidArgumentType(`${op} expects BOOLEAN operands, got ${typeName(v)}`);
}

/** Ternary AND: false wins over null; null otherwise taints true. */
export function and3(a: Value, b: Value): boolean | null {
  const x = checkLogical('AND', a);
  const y = checkLogical('AND', b);
  if (x === false || y === false) return false;
  if (x === null || y === null) return null;
  return true;
}

/** Ternary OR: true wins over null; null otherwise taints false. */
export function or3(a: Value, b: Value): boolean | null {
  const x = checkLogical('OR', a);
  const y = checkLogical('OR', b);
  if (x === true || y === true) return true;
  if (x === null || y === null) return null;
  return false;
}

/** Ternary XOR: null if either side is null. */
export function xor3(a: Value, b: Value): boolean | null {
  const x = checkLogical('XOR', a);
  const y = checkLogical('XOR', b);
  if (x === null || y === null) return null;
  return x !== y;
}

/** Ternary NOT: null stays null. */
export function not3(a: Value): boolean | null {
  const x = checkLogical('NOT', a);
  return x === null ? null : !x;
}
