import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../../../src/util/errors.ts';
import { parseParams, parseParamValue } from './params.ts';

describe('--param values', () => {
  it('reads integers as bigint and decimals as float', () => {
    expect(parseParamValue('42')).toBe(42n);
    expect(parseParamValue('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(parseParamValue('4.2')).toBe(4.2);
    expect(parseParamValue('1e3')).toBe(1000);
  });

  it('reads booleans, null, quoted strings and bare text', () => {
    expect(parseParamValue('true')).toBe(true);
    expect(parseParamValue('null')).toBeNull();
    expect(parseParamValue("'42'")).toBe('42');
    expect(parseParamValue('"a\\"b"')).toBe('a"b');
    expect(parseParamValue('Ada Lovelace')).toBe('Ada Lovelace');
  });

  it('reads JSON lists and maps with exact integers', () => {
    expect(parseParamValue('[1, 2.5, "x", 9007199254740993]')).toEqual([1n, 2.5, 'x', 9007199254740993n]);
    expect(parseParamValue('{"a": {"b": [-1]}, "s": "12"}')).toEqual({ a: { b: [-1n] }, s: '12' });
  });

  it('collects key=value pairs and refuses malformed or repeated ones', () => {
    expect({ ...parseParams(['id=7', 'name=Ada=x']) }).toEqual({ id: 7n, name: 'Ada=x' });
    for (const bad of [['novalue'], ['=1'], ['a=1', 'a=2'], ['a=[1,']]) {
      let caught: unknown;
      try {
        parseParams(bad);
      } catch (err) {
        caught = err;
      }
      expect(isGeodeError(caught, 'INPUT_INVALID')).toBe(true);
    }
  });
});
