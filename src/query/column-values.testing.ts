/**
 * TEST-ONLY fast-check arbitraries shared by the column scan and column count tests: property
 * values of every kind a column holds (exact int64 around 2^53, doubles, NaN, ±0, strings,
 * booleans, lists), comparison bounds, and operators.
 */
import fc from 'fast-check';

export const propertyValue = fc.oneof(
  fc.bigInt({ min: -5n, max: 5n }),
  fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }),
  fc.constantFrom(2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n),
  fc.double({ min: -6, max: 6 }),
  fc.constantFrom(Number.NaN, -0, 0, 2 ** 53, 3.0, Infinity, -Infinity),
  fc.constantFrom('a', 'b', '3', ''),
  fc.boolean(),
  fc.constant([1n, 2n]),
);

export const bound = fc.oneof(
  fc.bigInt({ min: -6n, max: 6n }),
  fc.constantFrom(2n ** 53n, 2n ** 53n + 1n, 2n ** 62n),
  fc.double({ min: -6, max: 6 }),
  fc.constantFrom(Number.NaN, 2 ** 53, 'b', null, true),
);

export const operator = fc.constantFrom('<', '<=', '>', '>=', '=');
