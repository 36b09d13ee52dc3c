/**
 * The transaction control statements: every documented form parses to what it says, queries are
 * never taken for one, and malformed ones fail with GQL_SYNTAX at the offending word.
 */
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { isTransactionControl, parseTransactionControl } from './transaction-control.ts';

describe('transaction control statements', () => {
  it.each([
    ['START TRANSACTION', { kind: 'StartTransaction', isolation: undefined, readOnly: undefined }],
    ['start transaction read only', { kind: 'StartTransaction', isolation: undefined, readOnly: true }],
    ['START TRANSACTION READ WRITE, ISOLATION LEVEL SERIALIZABLE;', { kind: 'StartTransaction', isolation: 'serializable', readOnly: false }],
    ['START TRANSACTION ISOLATION LEVEL SNAPSHOT READ ONLY', { kind: 'StartTransaction', isolation: 'snapshot', readOnly: true }],
    ['BEGIN', { kind: 'StartTransaction', isolation: undefined, readOnly: undefined }],
    ['  begin work ; ', { kind: 'StartTransaction', isolation: undefined, readOnly: undefined }],
    ['BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE', { kind: 'StartTransaction', isolation: 'serializable', readOnly: undefined }],
    ['COMMIT', { kind: 'Commit' }],
    ['commit work;', { kind: 'Commit' }],
    ['ROLLBACK', { kind: 'Rollback' }],
    ['Rollback Transaction', { kind: 'Rollback' }],
  ])('parses %j', (text, expected) => {
    expect(isTransactionControl(text)).toBe(true);
    expect(parseTransactionControl(text)).toEqual(expected);
  });

  it.each(['MATCH (n) RETURN n', 'RETURN 1', 'CREATE (:Commit)', 'STARTS', 'BEGINNING', 'commits', '', '   '])('leaves %j to the query parser', (text) => {
    expect(isTransactionControl(text)).toBe(false);
    expect(parseTransactionControl(text)).toBeUndefined();
  });

  it.each([
    ['START', 'TRANSACTION', 1, 6],
    ['START TRANSACTION ISOLATION LEVEL READ COMMITTED', 'SNAPSHOT or SERIALIZABLE', 1, 35],
    ['START TRANSACTION READ ONLY, READ WRITE', 'given twice', 1, 30],
    ['START TRANSACTION ISOLATION LEVEL SNAPSHOT ISOLATION LEVEL SERIALIZABLE', 'given twice', 1, 44],
    ['START TRANSACTION READ', 'ONLY or WRITE', 1, 23],
    ['BEGIN\nNOW', 'READ ONLY, READ WRITE or ISOLATION LEVEL', 2, 1],
    ['COMMIT TRANSACTION 1', 'end of input', 1, 20],
    ['ROLLBACK; MATCH (n) RETURN n', 'end of input', 1, 11],
  ])('refuses %j at the offending word', (text, message, line, column) => {
    let caught: unknown;
    try {
      parseTransactionControl(text);
    } catch (err) {
      caught = err;
    }
    expect(isGeodeError(caught, 'GQL_SYNTAX')).toBe(true);
    expect((caught as Error).message).toContain(message);
    expect((caught as { position?: { line: number; column: number } }).position).toMatchObject({ line, column });
  });
});
