import { describe, expect, it } from 'vitest';
import type { Value } from '../../graph/index.ts';
import { callFn, errorOf, map } from './test-values.ts';

describe('string functions return what openCypher specifies', () => {
  it.each<[string, Value[], Value]>([
    ['toUpper', ['abc'], 'ABC'],
    ['toLower', ['AbC'], 'abc'],
    ['upper', ['abc'], 'ABC'],
    ['lower', ['ABC'], 'abc'],
    ['trim', ['  a b \t\n'], 'a b'],
    ['ltrim', ['  ab  '], 'ab  '],
    ['rtrim', ['  ab  '], '  ab'],
    ['btrim', ['xxabxx', 'x'], 'ab'],
    ['ltrim', ['xxabxx', 'x'], 'abxx'],
    ['rtrim', ['xyabyx', 'xy'], 'xyab'],
    ['replace', ['hello world', 'o', '0'], 'hell0 w0rld'],
    ['replace', ['abc', '', '-'], '-a-b-c-'],
    ['substring', ['0123456789', 1n], '123456789'],
    ['substring', ['0123456789', 1n, 3n], '123'],
    ['substring', ['abc', 10n], ''],
    ['substring', ['a\u{1F600}b', 1n, 1n], '\u{1F600}'],
    ['left', ['hello', 3n], 'hel'],
    ['left', ['hi', 10n], 'hi'],
    ['right', ['hello', 3n], 'llo'],
    ['right', ['hello', 0n], ''],
    ['split', ['a,b,,c', ','], ['a', 'b', '', 'c']],
    ['split', ['abc', ''], ['a', 'b', 'c']],
    ['split', ['a,b;c', [',', ';']], ['a', 'b', 'c']],
    ['reverse', ['raksO'], 'Oskar'],
    ['reverse', ['a\u{1F600}b'], 'b\u{1F600}a'],
    ['size', ['abc'], 3n],
    ['size', ['\u{1F600}'], 1n],
    ['char_length', ['héllo'], 5n],
    ['character_length', [''], 0n],
    ['normalize', ['e\u0301'], '\u00e9'],
    ['normalize', ['\u00e9', 'NFD'], 'e\u0301'],
    ['toString', [42n], '42'],
    ['toString', [1.0], '1.0'],
    ['toString', [true], 'true'],
    ['toString', ['s'], 's'],
  ])('%s(%o) = %o', (name, args, expected) => {
    expect(callFn(name, ...args)).toEqual(expected);
  });

  it.each(['toUpper', 'toLower', 'trim', 'ltrim', 'rtrim', 'reverse', 'size', 'char_length', 'toString', 'normalize'])(
    '%s(null) is null',
    (name) => {
      expect(callFn(name, null)).toBe(null);
    },
  );

  it.each<[string, Value[]]>([
    ['replace', [null, 'a', 'b']],
    ['replace', ['a', null, 'b']],
    ['substring', [null, 1n]],
    ['substring', ['abc', null]],
    ['left', [null, 1n]],
    ['right', ['abc', null]],
    ['split', [null, ',']],
    ['split', ['a,b', null]],
  ])('%s with a null argument %o is null', (name, args) => {
    expect(callFn(name, ...args)).toBe(null);
  });

  it.each<[string, Value[], string]>([
    ['toUpper', [1n], 'GQL_TYPE/InvalidArgumentType'],
    ['trim', [[]], 'GQL_TYPE/InvalidArgumentType'],
    ['replace', ['a', 1n, 'b'], 'GQL_TYPE/InvalidArgumentType'],
    ['substring', ['abc', 1.5], 'GQL_TYPE/InvalidArgumentType'],
    ['substring', ['abc', -1n], 'GQL_ARGUMENT/NegativeIntegerArgument'],
    ['substring', ['abc', 0n, -1n], 'GQL_ARGUMENT/NegativeIntegerArgument'],
    ['left', ['abc', -1n], 'GQL_ARGUMENT/NegativeIntegerArgument'],
    ['right', ['abc', -2n], 'GQL_ARGUMENT/NegativeIntegerArgument'],
    ['split', ['abc', 1n], 'GQL_TYPE/InvalidArgumentType'],
    ['size', [true], 'GQL_TYPE/InvalidArgumentType'],
    ['normalize', ['a', 'XYZ'], 'GQL_ARGUMENT/InvalidArgumentValue'],
    ['toString', [[1n]], 'GQL_TYPE/InvalidArgumentValue'],
    ['toString', [map({})], 'GQL_TYPE/InvalidArgumentValue'],
  ])('%s(%o) fails with %s', (name, args, expected) => {
    expect(errorOf(() => callFn(name, ...args))).toBe(expected);
  });

  it('toStringOrNull gives null for values that cannot convert', () => {
    expect(callFn('toStringOrNull', [1n])).toBe(null);
    expect(callFn('toStringOrNull', 2.5)).toBe('2.5');
  });
});
