import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HISTORY_LINES_MAX, loadHistory, saveHistory, splitStatements } from './repl.ts';

describe('prompt input', () => {
  it('waits for ; before running, across lines', () => {
    expect(splitStatements('MATCH (n)\nRETURN n')).toEqual({ statements: [], rest: 'MATCH (n)\nRETURN n' });
    expect(splitStatements('MATCH (n)\nRETURN n;\nRETURN 1; RET')).toEqual({
      statements: ['MATCH (n)\nRETURN n', 'RETURN 1'],
      rest: ' RET',
    });
  });

  it('does not end a statement at a ; inside strings, quoted names or comments', () => {
    expect(splitStatements("RETURN 'a;b', `x;y`, \"c\\\";\" // no;\n /* ; */ AS z;").statements).toEqual([
      "RETURN 'a;b', `x;y`, \"c\\\";\" // no;\n /* ; */ AS z",
    ]);
  });

  it('keeps at most the newest HISTORY_LINES_MAX history lines on disk', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'geode-hist-')), 'history');
    const lines = Array.from({ length: HISTORY_LINES_MAX + 50 }, (_, i) => `RETURN ${i};`);
    saveHistory(path, lines);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(HISTORY_LINES_MAX);
    const loaded = loadHistory(path);
    expect(loaded[0]).toBe('RETURN 50;');
    expect(loaded.at(-1)).toBe(`RETURN ${HISTORY_LINES_MAX + 49};`);
    expect(loadHistory(join(path, 'missing'))).toEqual([]);
  });
});
