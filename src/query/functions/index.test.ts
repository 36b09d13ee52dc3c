import { describe, expect, it } from 'vitest';
import { allFunctions, lookupFunction } from './index.ts';

describe('lookupFunction', () => {
  it('finds functions ignoring case', () => {
    expect(lookupFunction('toUpper')?.name).toBe('toUpper');
    expect(lookupFunction('TOUPPER')?.name).toBe('toUpper');
    expect(lookupFunction('tointeger')?.name).toBe('toInteger');
  });

  it('knows nothing of unknown functions, aggregates or exists', () => {
    expect(lookupFunction('foo')).toBeUndefined();
    expect(lookupFunction('count')).toBeUndefined();
    expect(lookupFunction('collect')).toBeUndefined();
    expect(lookupFunction('exists')).toBeUndefined();
  });

  it('declares consistent arities and only rand() as non-deterministic', () => {
    for (const def of allFunctions()) {
      expect(def.minArgs).toBeGreaterThanOrEqual(0);
      expect(def.maxArgs).toBeGreaterThanOrEqual(def.minArgs);
      expect(def.deterministic).toBe(def.name !== 'rand');
    }
  });

  it('covers every function the TCK calls', () => {
    const used = ['size', 'rand', 'reverse', 'labels', 'range', 'toInteger', 'keys', 'properties', 'toFloat', 'relationships',
      'nodes', 'length', 'toBoolean', 'tail', 'type', 'coalesce', 'abs', 'sqrt', 'substring', 'sign', 'head', 'toString',
      'startNode', 'split', 'last', 'endNode', 'ceil'];
    for (const name of used) expect(lookupFunction(name), name).toBeDefined();
  });
});
