/**
 * The scalar function contract: what the engine calls for `name(args)` in an expression.
 */
import type { GraphReader } from '../../graph/index.ts';
import type { Value } from '../../graph/index.ts';

/** What a function can see besides its arguments. */
export interface FunctionContext {
  readonly graph: GraphReader;
  /** A float in [0, 1); the engine decides the source (seeded in tests). */
  random(): number;
}

/**
 * A scalar function. The engine checks the argument count against `minArgs..maxArgs` before
 * calling (UnknownFunction / InvalidNumberOfArguments are the engine's errors), then calls
 * `call` with evaluated arguments. `call` may throw GeodeError (GQL_TYPE, GQL_ARGUMENT,
 * GQL_OVERFLOW, ENTITY_NOT_FOUND, LIMIT_EXCEEDED); it never mutates its arguments.
 */
export interface FunctionDefinition {
  /** Canonical spelling, e.g. `toUpper`; lookups ignore case. */
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** False for functions whose result may differ between calls with the same arguments (`rand`). */
  readonly deterministic: boolean;
  call(args: readonly Value[], ctx: FunctionContext): Value;
}
