/**
 * Test helpers for the value semantics tests: building records, maps and paths, and a
 * fast-check arbitrary over every kind of value. Used only by `*.test.ts` files.
 */
import fc from 'fast-check';
import { EdgeRecord, NodeRecord, PathValue } from '../../graph/index.ts';
import type { Value, ValueMap } from '../../graph/index.ts';
import { INT64_MAX, INT64_MIN } from '../../graph/index.ts';
import { isGeodeError } from '../../util/errors.ts';
import { lookupFunction } from './index.ts';
import type { FunctionContext } from './types.ts';

/** A live node with `labels` and `props` (no edges). */
export function node(id: number, labels: readonly string[] = [], props: Record<string, Value> = {}): NodeRecord {
  return new NodeRecord(id, new Set(labels), new Map(Object.entries(props)));
}

/** A live edge from `src` to `dst`. */
export function edge(id: number, type: string, src: NodeRecord, dst: NodeRecord, props: Record<string, Value> = {}): EdgeRecord {
  const e = new EdgeRecord(id, type, src, dst, new Map(Object.entries(props)));
  src.out.push(e);
  dst.in.push(e);
  return e;
}

/** A null-prototype map value from a plain object. */
export function map(entries: Record<string, Value>): ValueMap {
  return Object.assign(Object.create(null) as ValueMap, entries);
}

/** A small fixed graph: nodes n1..n3, edges r1 (n1→n2), r2 (n2→n3), paths p0 (n1), p1 (n1-r1-n2), p2. */
export function sampleGraph(): {
  n1: NodeRecord;
  n2: NodeRecord;
  n3: NodeRecord;
  r1: EdgeRecord;
  r2: EdgeRecord;
  p0: PathValue;
  p1: PathValue;
  p2: PathValue;
} {
  const n1 = node(1, ['A'], { name: 'a' });
  const n2 = node(2, ['B', 'C'], { name: 'b', num: 2n });
  const n3 = node(3);
  const r1 = edge(1, 'KNOWS', n1, n2, { since: 2020n });
  const r2 = edge(2, 'LIKES', n2, n3);
  return {
    n1,
    n2,
    n3,
    r1,
    r2,
    p0: new PathValue([n1], []),
    p1: new PathValue([n1, n2], [r1]),
    p2: new PathValue([n1, n2, n3], [r1, r2]),
  };
}

const g = sampleGraph();
const graphValues: Value[] = [g.n1, g.n2, g.n3, g.r1, g.r2, g.p0, g.p1, g.p2];

/** Random values of every kind: int64 edges, floats with NaN/±0/±Infinity, astral strings, nested lists and maps, records, paths. */
export const valueArb: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.oneof(
      fc.bigInt({ min: -5n, max: 5n }),
      fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
      fc.constantFrom(INT64_MIN, INT64_MAX, 2n ** 53n, 2n ** 53n + 1n),
    ),
    fc.oneof(
      fc.double(),
      fc.integer({ min: -5, max: 5 }).map((i) => i + 0.0),
      fc.constantFrom(NaN, -0, 0.5, 2 ** 53, 2 ** 60, Infinity, -Infinity),
    ),
    fc.oneof(fc.string({ maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 3 }), fc.constant('\u0000x')),
    fc.constantFrom(...graphValues),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('value'), { maxKeys: 3 }).map((o) => map(o as Record<string, Value>)),
  ),
})).value;

/**
 * A value equivalent to `v` but built differently: safe integers become floats and back,
 * lists and maps are rebuilt (maps with keys in another order).
 */
export function equivalentTwin(v: Value): Value {
  if (typeof v === 'bigint') return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v;
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) <= 2 ** 53 ? BigInt(v) : v;
  if (Array.isArray(v)) return (v as readonly Value[]).map(equivalentTwin);
  if (v !== null && typeof v === 'object' && !(v instanceof NodeRecord) && !(v instanceof EdgeRecord) && !(v instanceof PathValue)) {
    const m = v as ValueMap;
    const out = Object.create(null) as ValueMap;
    for (const k of Object.keys(m).reverse()) out[k] = equivalentTwin(m[k] as Value);
    return out;
  }
  if (v instanceof PathValue) return new PathValue([...v.nodes], [...v.edges]);
  return v;
}

/** A function context for tests: no graph reads, a seeded linear congruential `random`. */
export function testContext(seed = 1): FunctionContext {
  let s = seed >>> 0;
  return {
    get graph(): never {
      throw new Error('testContext has no graph');
    },
    random(): number {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    },
  };
}

/** Calls the built-in `name` with `args`, checking the arity the engine would check. */
export function callFn(name: string, ...args: Value[]): Value {
  const def = lookupFunction(name);
  if (def === undefined) throw new Error(`no function ${name}`);
  if (args.length < def.minArgs || args.length > def.maxArgs) throw new Error(`bad arity for ${name}`);
  return def.call(args, testContext());
}

/** The GeodeError `f` throws, as `code/detail`; fails if it does not throw one. */
export function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isGeodeError(e)) return e.detail === undefined ? e.code : `${e.code}/${e.detail}`;
    throw e;
  }
  throw new Error('expected a GeodeError, nothing was thrown');
}
