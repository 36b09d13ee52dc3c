/**
 * The console's parameters box: a JSON object whose integers become bigint (GQL integers, exact
 * past 2^53) and whose other numbers stay floats. Pure: no DOM.
 */
import { GeodeError } from '../src/util/errors.ts';

/** Longest parameters text accepted, in characters (the box is for hand-written values). */
export const PARAMS_TEXT_CHARS_MAX = 1_000_000;

const INTEGER_SOURCE = /^-?\d+$/;

/** The third argument V8 passes to a JSON.parse reviver (source text access, ES2025). */
interface ReviverContext {
  readonly source?: string;
}

type Reviver = (this: unknown, key: string, value: unknown, context?: ReviverContext) => unknown;

/**
 * Parses the parameters box. Empty (or blank) text is no parameters. Integer literals become
 * bigint from their source text (so `9007199254740993` stays exact); `1.0` and `1e3` are floats.
 * Refuses, with INPUT_INVALID, text that is not JSON or not a JSON object.
 */
export function parseParams(text: string): Record<string, unknown> {
  if (text.trim().length === 0) return {};
  if (text.length > PARAMS_TEXT_CHARS_MAX) {
    throw new GeodeError('INPUT_INVALID', `parameters: ${text.length} characters, more than ${PARAMS_TEXT_CHARS_MAX}`, { source: 'params' });
  }
  const reviver: Reviver = (_key, value, context) => {
    if (typeof value !== 'number') return value;
    const source = context?.source;
    if (source !== undefined) return INTEGER_SOURCE.test(source) ? BigInt(source) : value;
    // A runtime without source text access: integral and exact means integer.
    return Number.isSafeInteger(value) ? BigInt(value) : value;
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
  } catch (err) {
    throw new GeodeError('INPUT_INVALID', `parameters are not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { source: 'params' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GeodeError('INPUT_INVALID', 'parameters must be a JSON object, like {"name": "Ada", "limit": 10}', { source: 'params' });
  }
  return parsed as Record<string, unknown>;
}

/** The parameter names of the box's text, for completion after `$`; none when it does not parse. */
export function paramNames(text: string): string[] {
  try {
    return Object.keys(parseParams(text));
  } catch {
    return [];
  }
}
