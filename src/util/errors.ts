/**
 * GeodeError: the one error type the database throws for anything the world did wrong
 * (bad query text, bad parameters, a violated constraint, a missing entity, a bad config).
 * Programmer errors are assertions (see `assert.ts`), never a GeodeError.
 *
 * Errors cross the wire (CLI, federation, demo), so they carry a string `code` from a closed
 * union rather than being told apart by class. Test them with {@link isGeodeError}.
 */

/** Every code a GeodeError can carry. */
export type GeodeErrorCode =
  /** The query text does not parse. */
  | 'GQL_SYNTAX'
  /** The query parses but is not meaningful (undefined variable, variable bound twice, ...). */
  | 'GQL_SEMANTIC'
  /** A value has the wrong type for an operation (`1 + true`, a property of a list, ...). */
  | 'GQL_TYPE'
  /** A value has the right type but a bad value (negative LIMIT at run time, `range(0, 5, 0)`, ...). */
  | 'GQL_ARGUMENT'
  /** A parameter the query uses was not given. */
  | 'GQL_PARAMETER_MISSING'
  /** An integer result does not fit in 64 bits. */
  | 'GQL_OVERFLOW'
  /** A uniqueness constraint (or another schema rule) would be broken by a write. */
  | 'CONSTRAINT_VIOLATION'
  /** A node or edge that was deleted is read, or a node with edges is deleted without DETACH. */
  | 'ENTITY_NOT_FOUND'
  /** A named thing (procedure, index, constraint, function) does not exist. */
  | 'NOT_FOUND'
  /** A procedure failed while running. */
  | 'PROCEDURE_FAILED'
  /** A configured or built-in limit was passed (query too long, too deep, too many rows). */
  | 'LIMIT_EXCEEDED'
  /** A configuration key or value is refused. */
  | 'CONFIG_INVALID'
  /** Input data (an import file, a snapshot, a command) is malformed. */
  | 'INPUT_INVALID'
  /** The database was closed. */
  | 'CLOSED'
  /** An I/O operation failed. */
  | 'IO'
  /** A Raft proposal was refused (no leader known, leadership transfer, limit); `detail` says why. */
  | 'PROPOSAL_DROPPED'
  /** The operation exists but not in this configuration (e.g. `subscribe` on a cluster client, a call of a service a peer does not serve). */
  | 'UNSUPPORTED';

/** Where in a source text an error was found; line and column start at 1. */
export interface SourcePosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

export interface GeodeErrorOptions {
  /** A finer-grained reason, named as the openCypher TCK names it (e.g. `VariableAlreadyBound`). */
  readonly detail?: string;
  readonly position?: SourcePosition;
  /** Where the bad input came from: a file name, a peer id, `query`, `config`. */
  readonly source?: string;
  readonly cause?: unknown;
}

/** The error type of the database; `code` says what went wrong. */
export class GeodeError extends Error {
  override readonly name = 'GeodeError';
  readonly code: GeodeErrorCode;
  readonly detail: string | undefined;
  readonly position: SourcePosition | undefined;
  readonly source: string | undefined;

  constructor(code: GeodeErrorCode, message: string, options: GeodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options.detail;
    this.position = options.position;
    this.source = options.source;
  }
}

/** True when `err` is a GeodeError, optionally with the given code. Checks `name`, not `instanceof`, so it works across bundles. */
export function isGeodeError(err: unknown, code?: GeodeErrorCode): err is GeodeError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown };
  if (e.name !== 'GeodeError' || typeof e.code !== 'string') return false;
  return code === undefined || e.code === code;
}

/** Line and column (1-based) of `offset` in `text`. */
export function positionAt(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset: end, line, column: end - lineStart + 1 };
}

/** The line of `text` holding `position`, with a caret under the column, for error messages. */
export function caretExcerpt(text: string, position: SourcePosition): string {
  const lines = text.split('\n');
  const lineText = lines[position.line - 1] ?? '';
  return `${lineText}\n${' '.repeat(Math.max(position.column - 1, 0))}^`;
}

/** A GeodeError about a place in query text: the message gets "(line L, column C)" and a caret excerpt. */
export function queryError(
  code: GeodeErrorCode,
  message: string,
  text: string,
  offset: number,
  detail?: string,
): GeodeError {
  const position = positionAt(text, offset);
  const full = `${message} (line ${position.line}, column ${position.column})\n${caretExcerpt(text, position)}`;
  return new GeodeError(code, full, { position, source: 'query', ...(detail === undefined ? {} : { detail }) });
}

/**
 * StoreInterrupt: what a store the engine reads may throw to stop a statement midway (the sharded
 * view when data is not fetched yet). It is not an error for users: the engine rolls the statement
 * back and lets it through unchanged, and procedures do not wrap it in PROCEDURE_FAILED.
 */
export class StoreInterrupt extends Error {}
