import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { tokenize } from './lexer.ts';

const kinds = (text: string): string[] => tokenize(text).map((t) => `${t.kind}:${t.value}`);

describe('tokenize', () => {
  it('gives each token its start and end offsets and ends with eof', () => {
    const toks = tokenize('MATCH (n)');
    expect(toks.map((t) => [t.kind, t.start, t.end])).toEqual([
      ['ident', 0, 5],
      ['punct', 6, 7],
      ['ident', 7, 8],
      ['punct', 8, 9],
      ['eof', 9, 9],
    ]);
  });

  it('keeps identifiers as written and upper-cases them for keyword checks', () => {
    const [t] = tokenize('mAtCh');
    expect(t).toMatchObject({ kind: 'ident', value: 'mAtCh', upper: 'MATCH' });
  });

  it('lexes arrows as single-character punctuation and ranges as ..', () => {
    expect(kinds('<-->')).toEqual(['punct:<', 'punct:-', 'punct:-', 'punct:>', 'eof:']);
    expect(kinds('*1..3')).toEqual(['punct:*', 'int:1', 'punct:..', 'int:3', 'eof:']);
    expect(kinds('a<>b!=c<=d>=e=~f+=g||h')).toEqual([
      'ident:a', 'punct:<>', 'ident:b', 'punct:!=', 'ident:c', 'punct:<=', 'ident:d', 'punct:>=', 'ident:e', 'punct:=~', 'ident:f',
      'punct:+=', 'ident:g', 'punct:||', 'ident:h', 'eof:',
    ]);
  });

  it('numbers: integers as bigint magnitudes, floats as numbers', () => {
    const toks = tokenize('12 0x1f 0o17 1.5 .5 1e3 2E-2');
    expect(toks.slice(0, 3).map((t) => t.int)).toEqual([12n, 31n, 15n]);
    expect(toks.slice(3, 7).map((t) => t.num)).toEqual([1.5, 0.5, 1000, 0.02]);
  });

  it('parameters, quoted names and unicode identifiers', () => {
    expect(kinds('$p $0 $`a b` `x``y` näme')).toEqual(['param:p', 'param:0', 'param:a b', 'quoted:x`y', 'ident:näme', 'eof:']);
  });

  it('skips comments and unicode whitespace', () => {
    expect(kinds('a // c\n/* d */\u00a0b')).toEqual(['ident:a', 'ident:b', 'eof:']);
  });

  it('rejects unknown characters with UnexpectedSyntax', () => {
    try {
      tokenize('RETURN #');
      expect.unreachable();
    } catch (err) {
      expect(isGeodeError(err, 'GQL_SYNTAX') && err.detail).toBe('UnexpectedSyntax');
    }
  });
});
