/**
 * Assertions catch programmer errors: a broken invariant means the code is wrong, not the input.
 * They stay on in production. Never turn an AssertionError into a GeodeError.
 */

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** Throws AssertionError when `condition` is false. Put the numbers involved in `message`. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a branch the type system proves unreachable, e.g. the default of an exhaustive switch. */
export function unreachable(value: never, message = 'unreachable case'): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}
