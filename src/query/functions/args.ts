/**
 * Helpers shared by the function files: argument access and the errors the TCK names.
 */
import { EdgeRecord, NodeRecord, PathValue } from '../../graph/index.ts';
import type { Value, ValueMap } from '../../graph/index.ts';
import { GeodeError } from '../../util/errors.ts';
import { typeName } from '../value-ops.ts';
import { listItemsMax } from './constants.ts';
import type { FunctionContext, FunctionDefinition } from './types.ts';

/** Most arguments a variadic function (`coalesce`) accepts. */
export const variadicArgsMax = 65_536;

/** The i-th argument (the engine has checked the count; a missing optional one reads as undefined → null). */
export function arg(args: readonly Value[], i: number): Value {
  const v = args[i];
  return v === undefined ? null : v;
}

/** GQL_TYPE InvalidArgumentType: `fn` got an argument of a type it never accepts. */
export function badType(fn: string, v: Value, expected: string): GeodeError {
  return new GeodeError('GQL_TYPE', `${fn}() expects ${expected}, got ${typeName(v)}`, {
    detail: 'InvalidArgumentType',
  });
}

/** GQL_TYPE InvalidArgumentValue: a conversion function got a value it cannot convert. */
export function badValue(fn: string, v: Value, expected: string): GeodeError {
  return new GeodeError('GQL_TYPE', `${fn}() cannot convert ${typeName(v)}; expected ${expected}`, {
    detail: 'InvalidArgumentValue',
  });
}

/** GQL_ARGUMENT with a TCK detail (NumberOutOfRange, NegativeIntegerArgument, InvalidArgumentValue, ...). */
export function badArgument(message: string, detail: string): GeodeError {
  return new GeodeError('GQL_ARGUMENT', message, { detail });
}

/** LIMIT_EXCEEDED when a built list would pass `listItemsMax`. */
export function checkListItems(fn: string, n: number | bigint): void {
  if (n > listItemsMax) {
    throw new GeodeError('LIMIT_EXCEEDED', `${fn}() would build a list of ${n} elements; the limit is ${listItemsMax}`);
  }
}

/** ENTITY_NOT_FOUND DeletedEntityAccess when `r` was deleted. */
export function checkLive(fn: string, r: NodeRecord | EdgeRecord): void {
  if (r.deleted) {
    const what = r instanceof NodeRecord ? 'node' : 'relationship';
    throw new GeodeError('ENTITY_NOT_FOUND', `${fn}(): the ${what} with id ${r.id} has been deleted`, {
      detail: 'DeletedEntityAccess',
    });
  }
}

export function isNode(v: Value): v is NodeRecord {
  return v instanceof NodeRecord;
}
export function isEdge(v: Value): v is EdgeRecord {
  return v instanceof EdgeRecord;
}
export function isPath(v: Value): v is PathValue {
  return v instanceof PathValue;
}

/** A record's properties as a fresh map value. */
export function propsToMap(props: Map<string, Value>): ValueMap {
  const m = Object.create(null) as ValueMap;
  for (const [k, v] of props) m[k] = v;
  return m;
}

/** An integer argument as a JS number (for counts and positions); GQL_TYPE unless an integer. */
export function intArg(fn: string, v: Value, what: string): number {
  if (typeof v !== 'bigint') throw badType(fn, v, `an INTEGER ${what}`);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(v);
}

type Call = (args: readonly Value[], ctx: FunctionContext) => Value;

/** A deterministic function definition. */
export function fn(name: string, minArgs: number, maxArgs: number, call: Call): FunctionDefinition {
  return { name, minArgs, maxArgs, deterministic: true, call };
}

/**
 * A deterministic function that returns null when any argument is null (the usual openCypher
 * rule), so `call` sees only non-null arguments.
 */
export function strict(name: string, minArgs: number, maxArgs: number, call: Call): FunctionDefinition {
  return {
    name,
    minArgs,
    maxArgs,
    deterministic: true,
    call(args, ctx) {
      for (let i = 0; i < args.length; i++) if (args[i] === null) return null;
      return call(args, ctx);
    },
  };
}
