/**
 * List functions (and the ones shared with strings: size, reverse, isEmpty).
 */
import type { Value } from '../../graph/index.ts';
import { isMap, typeName } from '../value-ops.ts';
import { arg, badArgument, badType, checkListItems, fn, isPath, strict, variadicArgsMax } from './args.ts';
import type { FunctionDefinition } from './types.ts';
import { codePointLength } from './string.ts';

function list(name: string, v: Value): readonly Value[] {
  if (!Array.isArray(v)) throw badType(name, v, 'a LIST');
  return v as readonly Value[];
}

/** range() arguments must be integers: ArgumentError InvalidArgumentType per the TCK. */
function rangeInt(v: Value, what: string): bigint {
  if (typeof v !== 'bigint') {
    throw badArgument(`range() expects an INTEGER ${what}, got ${typeName(v)}`, 'InvalidArgumentType');
  }
  return v;
}

/** `range(start, end, step = 1)`: start, start+step, ... up to and including end. */
export function range(start: bigint, end: bigint, step: bigint): bigint[] {
  if (step === 0n) throw badArgument('range(): step must not be zero', 'NumberOutOfRange');
  const span = end - start;
  if ((span > 0n && step < 0n) || (span < 0n && step > 0n)) return [];
  const count = span / step + 1n;
  checkListItems('range', count);
  const n = Number(count);
  const out = new Array<bigint>(n);
  let x = start;
  for (let i = 0; i < n; i++) {
    out[i] = x;
    x += step;
  }
  return out;
}

export const listFunctions: readonly FunctionDefinition[] = [
  strict('size', 1, 1, (args) => {
    const v = arg(args, 0);
    if (typeof v === 'string') return BigInt(codePointLength(v));
    if (Array.isArray(v)) return BigInt(v.length);
    throw badType('size', v, 'a STRING or a LIST');
  }),
  strict('head', 1, 1, (args) => {
    const l = list('head', arg(args, 0));
    return l.length === 0 ? null : (l[0] as Value);
  }),
  strict('last', 1, 1, (args) => {
    const l = list('last', arg(args, 0));
    return l.length === 0 ? null : (l[l.length - 1] as Value);
  }),
  strict('tail', 1, 1, (args) => list('tail', arg(args, 0)).slice(1)),
  strict('reverse', 1, 1, (args) => {
    const v = arg(args, 0);
    if (typeof v === 'string') return Array.from(v).reverse().join('');
    if (Array.isArray(v)) return (v as readonly Value[]).slice().reverse();
    throw badType('reverse', v, 'a STRING or a LIST');
  }),
  strict('range', 2, 3, (args) => {
    const start = rangeInt(arg(args, 0), 'start');
    const end = rangeInt(arg(args, 1), 'end');
    const step = args.length > 2 ? rangeInt(arg(args, 2), 'step') : 1n;
    return range(start, end, step);
  }),
  fn('coalesce', 1, variadicArgsMax, (args) => {
    for (const a of args) if (a !== null) return a;
    return null;
  }),
  strict('isEmpty', 1, 1, (args) => {
    const v = arg(args, 0);
    if (typeof v === 'string') return v.length === 0;
    if (Array.isArray(v)) return v.length === 0;
    if (isMap(v)) return Object.keys(v).length === 0;
    throw badType('isEmpty', v, 'a STRING, LIST or MAP');
  }),
  strict('nodes', 1, 1, (args) => {
    const p = arg(args, 0);
    if (!isPath(p)) throw badType('nodes', p, 'a PATH');
    return p.nodes.slice();
  }),
  strict('relationships', 1, 1, (args) => {
    const p = arg(args, 0);
    if (!isPath(p)) throw badType('relationships', p, 'a PATH');
    return p.edges.slice();
  }),
];
