import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EdgeRecord, EMPTY_PROPS, NodeRecord, PathValue } from './records.ts';
import { isNaNKeyed, valueKey } from './value-key.ts';
import type { PropertyValue, Value } from './values.ts';
import { newValueMap } from './values.ts';

/** Dumb twin of Cypher equality on storable values (true / false; null never stored). */
function cypherEqual(a: PropertyValue, b: PropertyValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!cypherEqual(a[i] as PropertyValue, b[i] as PropertyValue)) return false;
    return true;
  }
  if (typeof a === 'bigint' && typeof b === 'number') return Number.isInteger(b) && BigInt(b) === a;
  if (typeof a === 'number' && typeof b === 'bigint') return Number.isInteger(a) && BigInt(a) === b;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  return typeof a === typeof b && a === b;
}

const scalarArb: fc.Arbitrary<PropertyValue> = fc.oneof(
  fc.boolean(),
  fc.bigInt({ min: -5n, max: 5n }),
  fc.integer({ min: -5, max: 5 }).map((n) => n * 1.0),
  fc.constantFrom(0.5, -0.0, 1e300, Infinity, -Infinity, NaN, 2 ** 53),
  fc.constant(2n ** 53n + 1n),
  fc.constantFrom('', 'a', 'b', '1', '\u0000', '\u0000\u0001s1:a', 's1:a', 'true'),
);
const propertyArb: fc.Arbitrary<PropertyValue> = fc.oneof(scalarArb, fc.array(scalarArb, { maxLength: 3 }));

describe('valueKey', () => {
  it('gives integers and integral floats the same key (1 = 1.0)', () => {
    expect(valueKey(1n)).toBe(valueKey(1.0));
    expect(valueKey(-7n)).toBe(valueKey(-7));
    expect(valueKey(0n)).toBe(valueKey(-0));
    expect(valueKey([1n, 2n])).toBe(valueKey([1.0, 2.0]));
  });

  it('keeps integers exact beyond 2^53 (2^53 + 1 <> 2.0^53)', () => {
    expect(valueKey(2n ** 53n + 1n)).not.toBe(valueKey(2 ** 53));
    expect(valueKey(2n ** 53n)).toBe(valueKey(2 ** 53));
  });

  it('never confuses strings with numbers, booleans or lists', () => {
    const values: Value[] = ['1', 1n, 1.5, '1.5', 'true', true, '', [], ['a'], 'a', '\u0000', '\u0000\u0001l0[]', null];
    const keys = values.map(valueKey);
    expect(new Set(keys).size).toBe(values.length);
  });

  it('keys lists by content', () => {
    expect(valueKey(['a', 'b'])).toBe(valueKey(['a', 'b']));
    expect(valueKey(['a', 'b'])).not.toBe(valueKey(['ab']));
    expect(valueKey(['a,b'])).not.toBe(valueKey(['a', 'b']));
    expect(valueKey([[1n], 2n])).not.toBe(valueKey([1n, [2n]]));
  });

  it('keys maps by sorted keys and records by id', () => {
    const m1 = newValueMap();
    m1.a = 1n;
    m1.b = 'x';
    const m2 = newValueMap();
    m2.b = 'x';
    m2.a = 1.0;
    expect(valueKey(m1)).toBe(valueKey(m2));
    const n1 = new NodeRecord(1, new Set(), EMPTY_PROPS);
    const n2 = new NodeRecord(2, new Set(), EMPTY_PROPS);
    const e = new EdgeRecord(1, 'T', n1, n2, EMPTY_PROPS);
    expect(valueKey(n1)).not.toBe(valueKey(e));
    expect(valueKey(new PathValue([n1, n2], [e]))).toBe(valueKey(new PathValue([n1, n2], [e])));
  });

  it('flags NaN, alone or inside a list, as matching nothing', () => {
    expect(isNaNKeyed(NaN)).toBe(true);
    expect(isNaNKeyed([1n, NaN])).toBe(true);
    expect(isNaNKeyed(1.5)).toBe(false);
  });

  it('gives equal keys exactly to Cypher-equal storable values (dumb twin)', () => {
    fc.assert(
      fc.property(propertyArb, propertyArb, (a, b) => {
        if (isNaNKeyed(a) || isNaNKeyed(b)) return;
        expect(valueKey(a) === valueKey(b)).toBe(cypherEqual(a, b));
      }),
      { numRuns: 3000 },
    );
  });
});
