import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findGraphScript, parseProcedureSignature, tableProcedure } from './steps.ts';

describe('procedures from TCK tables', () => {
  it('parses signatures, dropping the nullable marks', () => {
    expect(parseProcedureSignature('test.my.proc(name :: STRING?, id :: INTEGER?) :: (city :: STRING?, country_code :: INTEGER?)')).toEqual({
      name: 'test.my.proc',
      inputs: [
        { name: 'name', type: 'STRING' },
        { name: 'id', type: 'INTEGER' },
      ],
      outputs: [
        { name: 'city', type: 'STRING' },
        { name: 'country_code', type: 'INTEGER' },
      ],
    });
    expect(parseProcedureSignature('test.doNothing() :: ()')).toEqual({ name: 'test.doNothing', inputs: [], outputs: [] });
  });

  it('yields the output columns of the rows whose inputs equal the arguments', () => {
    const proc = tableProcedure('test.my.proc(name :: STRING?, id :: INTEGER?) :: (city :: STRING?, country_code :: INTEGER?)', [
      ['name', 'id', 'city', 'country_code'],
      ["'Andres'", '1', "'Malmö'", '46'],
      ["'Stefan'", '1', "'Berlin'", '49'],
      ["'Stefan'", '2', "'München'", '49'],
    ]);
    expect([...proc.run(['Stefan', 1n], {})]).toEqual([['Berlin', 49n]]);
    expect([...proc.run(['Nobody', 1n], {})]).toEqual([]);
  });

  it('matches numeric inputs across integer and float, as Cypher equality does', () => {
    const proc = tableProcedure('test.my.proc(in :: FLOAT?) :: (out :: STRING?)', [['in', 'out'], ['42.0', "'close enough'"]]);
    expect([...proc.run([42n], {})]).toEqual([['close enough']]);
  });

  it('yields nothing for a procedure without outputs', () => {
    const proc = tableProcedure('test.doNothing() :: ()', [[]]);
    expect(proc.outputs).toEqual([]);
    expect([...proc.run([], {})]).toEqual([]);
  });

  it('refuses a table missing a signature column', () => {
    expect(() => tableProcedure('test.p(in :: INTEGER?) :: (out :: INTEGER?)', [['in']])).toThrow(/no column 'out'/);
  });
});

describe('findGraphScript', () => {
  it('finds graphs beside the features folder or in an ancestor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'geode-graphs-'));
    try {
      mkdirSync(join(dir, 'graphs', 'g1'), { recursive: true });
      mkdirSync(join(dir, 'a', 'features', 'deep'), { recursive: true });
      writeFileSync(join(dir, 'graphs', 'g1', 'g1.cypher'), 'CREATE ()');
      expect(findGraphScript(join(dir, 'a', 'features', 'deep'), 'g1')).toBe(join(dir, 'graphs', 'g1', 'g1.cypher'));
      expect(findGraphScript(join(dir, 'a', 'features'), 'nope')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
