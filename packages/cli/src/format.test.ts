import { describe, expect, it } from 'vitest';
import { GeodeNode, GeodePath, GeodeRelationship } from '../../../src/api/result.ts';
import { GeodeError, queryError } from '../../../src/util/errors.ts';
import {
  cellCharsForWidth,
  formatError,
  formatFloat,
  formatFooter,
  formatJson,
  formatTable,
  formatValue,
  TABLE_CELL_CHARS_MAX,
  TABLE_CELL_CHARS_MIN,
  toJsonValue,
} from './format.ts';

const ada = new GeodeNode(1, ['Person'], { name: 'Ada', age: 36n });
const alan = new GeodeNode(2, ['Person', 'Admin'], { name: 'Alan' });
const knows = new GeodeRelationship(10, 'KNOWS', 1, 2, { since: 1843n });

describe('value formatting', () => {
  it('prints scalars the Cypher way: strings quoted, integers plain, floats with a decimal point', () => {
    expect(formatValue(null)).toBe('null');
    expect(formatValue(true)).toBe('true');
    expect(formatValue(42n)).toBe('42');
    expect(formatValue(9223372036854775807n)).toBe('9223372036854775807');
    expect(formatValue(1)).toBe('1.0');
    expect(formatValue(2.5)).toBe('2.5');
    expect(formatValue("it's")).toBe("'it\\'s'");
    expect(formatValue('')).toBe("''");
  });

  it('keeps floats recognisable at the edges', () => {
    expect(formatFloat(1e21)).toBe('1.0e+21');
    expect(formatFloat(1.5e-7)).toBe('1.5e-7');
    expect(formatFloat(NaN)).toBe('NaN');
    expect(formatFloat(-Infinity)).toBe('-Infinity');
    expect(formatFloat(-0)).toBe('-0.0');
  });

  it('prints lists and maps with formatted members', () => {
    expect(formatValue([1n, 'a', 2.0, null])).toBe("[1, 'a', 2.0, null]");
    expect(formatValue({ a: 1n, 'b c': [true] })).toBe('{a: 1, `b c`: [true]}');
  });

  it('prints a node as (:Label {k: v}) and a relationship as [:TYPE {k: v}]', () => {
    expect(formatValue(ada)).toBe("(:Person {name: 'Ada', age: 36})");
    expect(formatValue(new GeodeNode(3, [], {}))).toBe('()');
    expect(formatValue(new GeodeNode(3, ['A'], {}))).toBe('(:A)');
    expect(formatValue(knows)).toBe('[:KNOWS {since: 1843}]');
    expect(formatValue(new GeodeRelationship(11, 'T', 1, 2, {}))).toBe('[:T]');
  });

  it('prints a path with arrows that follow each relationship direction', () => {
    const back = new GeodeRelationship(12, 'LIKES', 3, 2, {});
    const carol = new GeodeNode(3, ['Person'], {});
    expect(formatValue(new GeodePath([ada, alan, carol], [knows, back]))).toBe(
      "<(:Person {name: 'Ada', age: 36})-[:KNOWS {since: 1843}]->(:Person:Admin {name: 'Alan'})<-[:LIKES]-(:Person)>",
    );
  });
});

describe('tables and JSON', () => {
  it('draws one row per result row under the column names, without colour codes', () => {
    const table = formatTable(['n', 'x'], [{ n: ada, x: 1.5 }]);
    expect(table).toContain('│ n');
    expect(table).toContain("(:Person {name: 'Ada', age: 36})");
    expect(table).toContain('1.5');
    expect(table).not.toContain('\u001b[');
    expect(formatTable([], [])).toBe('');
  });

  it('ends with a footer counting rows and milliseconds', () => {
    expect(formatFooter(1, 3.14159)).toBe('1 row (3.14 ms)');
    expect(formatFooter(5, 250.4)).toBe('5 rows (250 ms)');
  });

  it('emits JSON with safe bigints as numbers and large ones as strings', () => {
    expect(toJsonValue(42n)).toBe(42);
    expect(toJsonValue(2n ** 60n)).toBe('1152921504606846976');
    expect(toJsonValue(ada)).toEqual({ id: 1, labels: ['Person'], properties: { name: 'Ada', age: 36 } });
    expect(toJsonValue(knows)).toEqual({ id: 10, type: 'KNOWS', start: 1, end: 2, properties: { since: 1843 } });
    const doc = JSON.parse(formatJson(['a', 'b'], [{ a: 1n, b: [2.5, 'x'] }])) as unknown;
    expect(doc).toEqual({ columns: ['a', 'b'], rows: [{ a: 1, b: [2.5, 'x'] }] });
  });
});

describe('error formatting', () => {
  it('shows the code, the message with position and the caret excerpt', () => {
    const text = 'MATCH (n RETURN n';
    const out = formatError(queryError('GQL_SYNTAX', 'expected )', text, 9), text);
    expect(out).toBe('Error [GQL_SYNTAX]: expected ) (line 1, column 10)\nMATCH (n RETURN n\n         ^');
  });

  it('adds the caret when an error has a position its message lacks', () => {
    const err = new GeodeError('GQL_SEMANTIC', 'x not defined', { position: { offset: 7, line: 1, column: 8 } });
    expect(formatError(err, 'RETURN x')).toBe('Error [GQL_SEMANTIC]: x not defined (line 1, column 8)\nRETURN x\n       ^');
  });

  it('labels anything else as an internal error', () => {
    expect(formatError(new TypeError('boom'))).toBe('Internal error (TypeError): boom');
  });
});

describe('fitting tables to the terminal', () => {
  it('cuts long cells to fit the terminal width, within sane bounds', () => {
    expect(cellCharsForWidth(undefined, 3)).toBe(TABLE_CELL_CHARS_MAX);
    expect(cellCharsForWidth(81, 2)).toBe(37);
    expect(cellCharsForWidth(20, 10)).toBe(TABLE_CELL_CHARS_MIN);
    const table = formatTable(['s'], [{ s: 'x'.repeat(100) }], 20);
    expect(table).toContain(`'${'x'.repeat(18)}…`);
    expect(table).not.toContain('x'.repeat(20));
  });
});
