import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../../../../src/util/errors.ts';
import { columnKind, convertField, edgeRow, nodeProperties, parseHeader, splitLine } from './ldbc-values.ts';

const at = { file: 'dynamic/person_0_0.csv', line: 7 };

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('LDBC value conversion', () => {
  it('types ids, endpoint ids and counts as integers, dates as dates, lists as lists, the rest as strings', () => {
    expect(columnKind('id', 'Person')).toBe('integer');
    expect(columnKind('Person.id', undefined)).toBe('integer');
    expect(columnKind('length', 'Post')).toBe('integer');
    expect(columnKind('classYear', undefined)).toBe('integer');
    expect(columnKind('birthday', 'Person')).toBe('date');
    expect(columnKind('creationDate', 'Post')).toBe('datetime');
    expect(columnKind('email', 'Person')).toBe('stringList');
    expect(columnKind('language', 'Person')).toBe('stringList');
    expect(columnKind('language', 'Post')).toBe('string');
    expect(columnKind('locationIP', 'Person')).toBe('string');
    expect(columnKind('type', 'Place')).toBe('string');
  });

  it('converts integers to exact bigints, past 2^53 too', () => {
    expect(convertField('8796093022220', { name: 'id', kind: 'integer' }, at)).toBe(8796093022220n);
    expect(convertField('9223372036854775807', { name: 'id', kind: 'integer' }, at)).toBe(9223372036854775807n);
    expect(convertField('-3', { name: 'length', kind: 'integer' }, at)).toBe(-3n);
  });

  it('turns epoch milliseconds into ISO date and date-time strings, and keeps date text as is', () => {
    expect(convertField('558921600000', { name: 'birthday', kind: 'date' }, at)).toBe('1987-09-18');
    expect(convertField('1284620040602', { name: 'creationDate', kind: 'datetime' }, at)).toBe('2010-09-16T06:54:00.602Z');
    expect(convertField('2010-03-13T02:10:23.099+0000', { name: 'creationDate', kind: 'datetime' }, at)).toBe(
      '2010-03-13T02:10:23.099+0000',
    );
    expect(convertField('1989-12-03', { name: 'birthday', kind: 'date' }, at)).toBe('1989-12-03');
  });

  it('splits ;-separated fields into lists of strings', () => {
    expect(convertField('es;en', { name: 'language', kind: 'stringList' }, at)).toEqual(['es', 'en']);
    expect(convertField('a@x.com', { name: 'email', kind: 'stringList' }, at)).toEqual(['a@x.com']);
  });

  it('builds a node property map without the empty fields, ready for SET n = r', () => {
    const specs = parseHeader('id|firstName|imageFile|email|birthday', 'Person', at, false);
    const props = nodeProperties(splitLine('42|Jose||j@a.com;j@b.com|558921600000', specs.length, at), specs, at);
    expect(Object.getPrototypeOf(props)).toBeNull();
    expect({ ...props }).toEqual({ id: 42n, firstName: 'Jose', email: ['j@a.com', 'j@b.com'], birthday: '1987-09-18' });
    expect('imageFile' in props).toBe(false);
  });

  it('keeps the type column of places and organisations as a property', () => {
    const specs = parseHeader('id|name|url|type', 'Place', at, false);
    const props = nodeProperties(['0', 'India', 'http://x', 'country'], specs, at);
    expect(props['type']).toBe('country');
  });

  it('reads an edge line as endpoints plus the other columns as properties', () => {
    const specs = parseHeader('Person.id|Person.id|creationDate', undefined, at, true);
    const row = edgeRow(['4398046511192', '4398046511325', '1278777892244'], specs, at);
    expect(row.src).toBe(4398046511192n);
    expect(row.dst).toBe(4398046511325n);
    expect({ ...row.props }).toEqual({ creationDate: '2010-07-10T16:04:52.244Z' });
    const plain = parseHeader('Post.id|Tag.id', undefined, at, true);
    expect(Object.keys(edgeRow(['1', '2'], plain, at).props)).toEqual([]);
  });

  it('names the file and line of a malformed line', () => {
    const err = errorOf(() => splitLine('1|2|3', 2, at));
    expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain('dynamic/person_0_0.csv:7');
    expect((err as Error).message).toContain('expected 2 fields');
  });

  it('refuses a non-integer id, an empty id and a header without id', () => {
    const specs = parseHeader('id|name', 'Tag', at, false);
    expect((errorOf(() => nodeProperties(['x1', 'a'], specs, at)) as Error).message).toMatch(/person_0_0\.csv:7: column 'id': 'x1' is not an integer/);
    expect(isGeodeError(errorOf(() => nodeProperties(['', 'a'], specs, at)), 'INPUT_INVALID')).toBe(true);
    expect(isGeodeError(errorOf(() => parseHeader('name|url', 'Tag', at, false)), 'INPUT_INVALID')).toBe(true);
    expect(isGeodeError(errorOf(() => parseHeader('id|name|name', 'Tag', at, false)), 'INPUT_INVALID')).toBe(true);
  });
});
