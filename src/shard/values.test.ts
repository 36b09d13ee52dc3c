/**
 * Parameters and results on the wire (src/shard/values.ts): the compact forms for scalar
 * parameters and scalar rows keep every value and its type (INTEGER as bigint, FLOAT as number,
 * -0.0), anything else goes through the graph codec as before, and bytes from a peer that are not
 * a valid form of either are refused with INPUT_INVALID naming the peer.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildDuration, type Value } from '../graph/index.ts';
import { GeodeNode, type ResultRow } from '../api/result.ts';
import { isGeodeError } from '../util/errors.ts';
import { decodeParams, decodeResult, encodeParams, encodeResult, type WireResult } from './values.ts';

const seed = Number(process.env['FC_SEED'] ?? 20261206);

const scalar: fc.Arbitrary<Value> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.string(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.double(),
  fc.integer().map((x) => x), // integral numbers stay FLOAT
);
const key = fc.string({ maxLength: 12 });
const value: fc.Arbitrary<Value> = fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant(buildDuration({ days: 2 })) });

/** Same value and same type: bigint vs number, -0.0 vs 0.0, NaN. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a === 'number') return Object.is(a, b);
  return JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) === JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

function sameMap(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue(a[k], b[k]));
}

function rejected(run: () => unknown): boolean {
  try {
    run();
    return false;
  } catch (err) {
    return isGeodeError(err, 'INPUT_INVALID') && err.message.includes('peerX');
  }
}

describe('parameters on the wire', () => {
  it('keep every key, value and type, in the compact form when all are scalars', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (params) => {
        const bytes = encodeParams(params);
        const back = decodeParams(bytes, 'peerX');
        expect(sameMap(back, params)).toBe(true);
        const allScalar = Object.entries(params).every(([k, v]) => k !== '__proto__' && (v === null || typeof v !== 'object') && !Object.is(v, -0));
        expect(bytes[0] === 0x01).toBe(allScalar);
      }),
      { seed, numRuns: 500 },
    );
  });

  it('keep -0.0 as a FLOAT -0.0 (msgpack alone would make it 0)', () => {
    const back = decodeParams(encodeParams({ z: -0, k: 5n }), 'peerX');
    expect(Object.is(back['z'], -0)).toBe(true);
    expect(back['k']).toBe(5n);
  });

  it('are refused with INPUT_INVALID naming the peer when the bytes are not parameters', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(0x01, 0x02), (body, marker) => {
        const bytes = new Uint8Array([marker, ...body]);
        try {
          const p = decodeParams(bytes, 'peerX');
          // Whatever decoded is a map of scalars.
          expect(Object.values(p).every((v) => v === null || typeof v !== 'object')).toBe(true);
        } catch (err) {
          expect(isGeodeError(err, 'INPUT_INVALID') && err.message.includes('peerX')).toBe(true);
        }
      }),
      { seed, numRuns: 500 },
    );
    expect(rejected(() => decodeParams(new Uint8Array([0x01, 0x93, 1, 2, 3]), 'peerX'))).toBe(true); // a list, not a map
    expect(rejected(() => decodeParams(new Uint8Array([0x01, 0x81, 0xa1, 0x6b, 0x91, 0x01]), 'peerX'))).toBe(true); // {k: [1]}: not a scalar
  });
});

describe('results on the wire', () => {
  const rowsOf = (columns: readonly string[]): fc.Arbitrary<ResultRow[]> =>
    fc.array(
      fc.tuple(...columns.map(() => value)).map((vals) => Object.fromEntries(columns.map((c, i) => [c, vals[i]])) as ResultRow),
      { maxLength: 5 },
    );
  const result: fc.Arbitrary<WireResult> = fc
    .uniqueArray(fc.string({ minLength: 1, maxLength: 8 }).filter((c) => c !== '__proto__' && !/^\d+$/.test(c)), { maxLength: 4 })
    .chain((columns) => fc.record({ columns: fc.constant(columns), rows: rowsOf(columns), writes: fc.nat(1000) }));

  it('keep columns, rows (values and types) and the write count, compact when every row value is a scalar', () => {
    fc.assert(
      fc.property(result, (r) => {
        const bytes = encodeResult(r);
        const back = decodeResult(bytes, 'peerX');
        expect(back.columns).toEqual(r.columns);
        expect(back.writes).toBe(r.writes);
        expect(back.rows.length).toBe(r.rows.length);
        back.rows.forEach((row, i) => expect(sameMap(row, r.rows[i]!)).toBe(true));
        const allScalar = r.rows.every((row) => Object.values(row).every((v) => (v === null || typeof v !== 'object') && !Object.is(v, -0)));
        expect(bytes[0] === 0x02).toBe(allScalar);
      }),
      { seed, numRuns: 500 },
    );
  });

  it('still carry nodes through the graph codec', () => {
    const r: WireResult = { columns: ['n'], rows: [{ n: new GeodeNode(3, ['Person'], { name: 'Ada', born: 1815n }) }], writes: 0 };
    const back = decodeResult(encodeResult(r), 'peerX');
    expect(back.rows[0]!['n']).toEqual(r.rows[0]!['n']);
  });

  it('are refused with INPUT_INVALID naming the peer when a compact result is malformed', () => {
    // [columns, writes, rows] with a row of the wrong width, duplicate columns, a negative write count.
    expect(rejected(() => decodeResult(new Uint8Array([0x02, 0x93, 0x91, 0xa1, 0x61, 0x00, 0x91, 0x92, 1, 2]), 'peerX'))).toBe(true);
    expect(rejected(() => decodeResult(new Uint8Array([0x02, 0x93, 0x92, 0xa1, 0x61, 0xa1, 0x61, 0x00, 0x90]), 'peerX'))).toBe(true);
    expect(rejected(() => decodeResult(new Uint8Array([0x02, 0x93, 0x90, 0xff, 0x90]), 'peerX'))).toBe(true);
    expect(rejected(() => decodeResult(new Uint8Array([0x02, 0xc1]), 'peerX'))).toBe(true);
  });
});
