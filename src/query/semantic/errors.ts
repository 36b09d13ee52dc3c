/**
 * Compile-time errors: GQL_SEMANTIC with the openCypher TCK detail names and a position.
 */
import { GeodeError, queryError, type GeodeErrorCode } from '../../util/errors.ts';

/** A GQL_SEMANTIC error at `pos` of `text` with a TCK `detail`. */
export function semanticError(text: string, pos: number, detail: string, message: string): GeodeError {
  return queryError('GQL_SEMANTIC', message, text, pos, detail);
}

/** Another compile-time error (GQL_TYPE, GQL_ARGUMENT, NOT_FOUND, ...) at `pos`. */
export function compileError(code: GeodeErrorCode, text: string, pos: number, detail: string, message: string): GeodeError {
  return queryError(code, message, text, pos, detail);
}
