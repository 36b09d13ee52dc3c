/**
 * The GQL front end: `parse(text)` turns one GQL / openCypher statement into the AST of
 * `ast.ts`. Pure: no I/O, no clock, no randomness. Every failure is a GeodeError
 * (`GQL_SYNTAX` with a TCK detail name and a position, or `LIMIT_EXCEEDED`).
 *
 * @example
 * ```ts
 * import { parse } from './gql/index.ts';
 * const stmt = parse('MATCH (n:Person) WHERE n.age > 30 RETURN n.name');
 * ```
 */
export type * from './ast.ts';
export { parse } from './parser.ts';
export { tokenize, Token, type TokenKind } from './lexer.ts';
export { gqlDepthMax, gqlLookaheadTokensMax, gqlTextCharsMax, gqlTokensMax } from './constants.ts';
export { printExpression, printLabels, printPattern } from './printer.ts';
export { isTransactionControl, parseTransactionControl, type TransactionControl, type TransactionIsolation } from './transaction-control.ts';
