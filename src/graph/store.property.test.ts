/**
 * Property tests of the store against random command sequences: undo restores exactly, refused
 * commands change nothing, index lookups agree with a full scan (the dumb twin), the store stays
 * consistent, and snapshots round-trip.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { inByType, outByType } from './adjacency.ts';
import { GraphStore } from './store.ts';
import type { GraphCommand, GraphSnapshot } from './types.ts';
import { isNaNKeyed, valueKey } from './value-key.ts';
import type { PropertyValue } from './values.ts';

const LABELS = ['A', 'B', 'C'] as const;
const KEYS = ['k', 'm', 'name'] as const;
const TYPES = ['R', 'S'] as const;

const scalarArb: fc.Arbitrary<PropertyValue> = fc.oneof(
  fc.bigInt({ min: 0n, max: 3n }),
  fc.constantFrom(1.0, 2.0, 0.5, NaN),
  fc.constantFrom('x', 'y', ''),
  fc.boolean(),
);
const valueArb: fc.Arbitrary<PropertyValue | null> = fc.oneof(
  { weight: 6, arbitrary: scalarArb },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(fc.bigInt({ min: 0n, max: 2n }), { maxLength: 2 }) },
  // Not storable: a map. Must be refused with nothing changed.
  { weight: 1, arbitrary: fc.constant({ a: 1n } as unknown as PropertyValue) },
);

const nodeId = fc.integer({ min: 1, max: 7 });
const edgeId = fc.integer({ min: 1, max: 10 });
const label = fc.constantFrom(...LABELS);
const key = fc.constantFrom(...KEYS);
const props = fc.uniqueArray(fc.tuple(key, scalarArb), { maxLength: 3, selector: (e) => e[0] });

const commandArb: fc.Arbitrary<GraphCommand> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('createNode' as const), id: nodeId, labels: fc.uniqueArray(label, { maxLength: 2 }), props }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteNode' as const), id: nodeId }) },
  {
    weight: 8,
    arbitrary: fc.record({ op: fc.constant('createEdge' as const), id: edgeId, type: fc.constantFrom(...TYPES), src: nodeId, dst: nodeId, props }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteEdge' as const), id: edgeId }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('setNodeProperty' as const), id: nodeId, key, value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('setEdgeProperty' as const), id: edgeId, key, value: valueArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('addLabel' as const), id: nodeId, label }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('removeLabel' as const), id: nodeId, label }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('createIndex' as const), name: fc.constantFrom('i1', 'i2', 'c1'), label, keys: fc.uniqueArray(key, { minLength: 1, maxLength: 2 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dropIndex' as const), name: fc.constantFrom('i1', 'i2', 'c1') }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('createConstraint' as const),
      name: fc.constantFrom('c1', 'c2', 'i1'),
      label,
      keys: fc.uniqueArray(key, { minLength: 1, maxLength: 2 }),
      kind: fc.constant('unique' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dropConstraint' as const), name: fc.constantFrom('c1', 'c2', 'i1') }) },
);

const createNodeArb = fc.record({ op: fc.constant('createNode' as const), id: nodeId, labels: fc.uniqueArray(label, { maxLength: 2 }), props });

/** A scenario: a few nodes first (so later commands mostly find their targets), then anything. */
function scenarioArb(maxLength: number): fc.Arbitrary<GraphCommand[]> {
  return fc
    .tuple(fc.uniqueArray(createNodeArb, { minLength: 3, maxLength: 6, selector: (c) => c.id }), fc.array(commandArb, { minLength: 5, maxLength, size: 'max' }))
    .map(([nodes, rest]) => [...nodes, ...rest]);
}

const REFUSAL_CODES = new Set(['ENTITY_NOT_FOUND', 'CONSTRAINT_VIOLATION', 'INPUT_INVALID', 'NOT_FOUND', 'GQL_TYPE']);

/** Applies the sequence; refused commands must leave the snapshot untouched. Returns the undo log. */
function run(store: GraphStore, commands: readonly GraphCommand[]): { undo: GraphCommand[][]; states: GraphSnapshot[] } {
  const undo: GraphCommand[][] = [];
  const states: GraphSnapshot[] = [];
  for (const c of commands) {
    const before = store.snapshot();
    try {
      const u = store.apply(c);
      undo.push(u);
      states.push(before);
    } catch (err) {
      if (!isGeodeError(err)) throw err;
      expect(REFUSAL_CODES.has(err.code), `${err.code}: ${err.message}`).toBe(true);
      expect(store.snapshot()).toEqual(before);
    }
  }
  return { undo, states };
}

/** The dumb twin of an index lookup: scan the label, compare with Cypher equality. */
function scanLookup(store: GraphStore, label: string, key: string, value: PropertyValue): number[] {
  const out: number[] = [];
  if (value === null || isNaNKeyed(value)) return out;
  const want = valueKey(value);
  for (const n of store.nodes()) {
    if (!n.labels.has(label)) continue;
    const v = n.props.get(key);
    if (v === undefined || isNaNKeyed(v)) continue;
    if (valueKey(v) === want) out.push(n.id);
  }
  return out;
}

describe('GraphStore under random command sequences', () => {
  it('undoing every applied command in reverse restores each earlier snapshot exactly', () => {
    fc.assert(
      fc.property(scenarioArb(60), (commands) => {
        const store = new GraphStore();
        const { undo, states } = run(store, commands);
        expect(store.checkConsistency()).toEqual([]);
        for (let i = undo.length - 1; i >= 0; i--) {
          for (const u of undo[i]!) store.apply(u);
          expect(store.snapshot()).toEqual(states[i]);
        }
        expect(store.checkConsistency()).toEqual([]);
        expect(store.nodeCount).toBe(0);
        expect(store.peekNextNodeId()).toBe(1);
        expect(store.peekNextEdgeId()).toBe(1);
      }),
      { numRuns: 300 },
    );
  });

  it('stays consistent and answers index lookups exactly as a full scan does', () => {
    fc.assert(
      fc.property(scenarioArb(80), (commands) => {
        const store = new GraphStore();
        run(store, commands);
        expect(store.checkConsistency()).toEqual([]);
        const probes: PropertyValue[] = [0n, 1n, 1.0, 2.0, 2n, 0.5, NaN, 'x', 'y', '', true, false, [], [1n], [0n, 1n]];
        for (const l of LABELS) {
          for (const k of KEYS) {
            const hit = store.lookupIndex(l, k, 1n);
            expect(hit !== undefined).toBe(store.hasIndex(l, k));
            if (hit === undefined) continue;
            for (const v of probes) {
              const got = store.lookupIndex(l, k, v)!.map((n) => n.id).sort((a, b) => a - b);
              expect(got, `lookup ${l}.${k} = ${String(v)}`).toEqual(scanLookup(store, l, k, v));
            }
          }
          expect(store.labelCount(l)).toBe(scanLookup.length >= 0 ? [...store.nodes()].filter((n) => n.labels.has(l)).length : 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps adjacency, typed adjacency and the vocabulary lists in agreement with the edges', () => {
    fc.assert(
      fc.property(scenarioArb(80), (commands) => {
        const store = new GraphStore();
        run(store, commands);
        const edges = [...store.edges()];
        const types = new Set<string>();
        const keys = new Set<string>();
        for (const e of edges) {
          types.add(e.type);
          for (const k of e.props.keys()) keys.add(k);
        }
        for (const n of store.nodes()) {
          for (const k of n.props.keys()) keys.add(k);
          expect(n.out.map((e) => e.id)).toEqual(edges.filter((e) => e.src === n).map((e) => e.id));
          expect(n.in.map((e) => e.id)).toEqual(edges.filter((e) => e.dst === n).map((e) => e.id));
          for (const t of TYPES) {
            expect(outByType(n, t).map((e) => e.id)).toEqual(edges.filter((e) => e.src === n && e.type === t).map((e) => e.id));
            expect(inByType(n, t).map((e) => e.id)).toEqual(edges.filter((e) => e.dst === n && e.type === t).map((e) => e.id));
          }
        }
        expect(store.relationshipTypes()).toEqual([...types].sort());
        expect(store.propertyKeys()).toEqual([...keys].sort());
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips through snapshot and restore, and the restored store behaves the same', () => {
    fc.assert(
      fc.property(scenarioArb(60), fc.array(commandArb, { maxLength: 20, size: 'max' }), (first, then) => {
        const store = new GraphStore();
        run(store, first);
        const snap = store.snapshot();
        const copy = GraphStore.restore(structuredClone(snap));
        expect(copy.snapshot()).toEqual(snap);
        expect(copy.checkConsistency()).toEqual([]);
        // The same later commands succeed or fail the same way on both.
        for (const c of then) {
          let a: unknown;
          let b: unknown;
          try {
            store.apply(c);
          } catch (err) {
            a = isGeodeError(err) ? err.code : err;
          }
          try {
            copy.apply(c);
          } catch (err) {
            b = isGeodeError(err) ? err.code : err;
          }
          expect(b).toBe(a);
        }
        expect(copy.snapshot()).toEqual(store.snapshot());
      }),
      { numRuns: 200 },
    );
  });

  it('applyBatch reaches the same state as apply, command by command', () => {
    fc.assert(
      fc.property(scenarioArb(60), (commands) => {
        const one = new GraphStore();
        const valid: GraphCommand[] = [];
        for (const c of commands) {
          try {
            one.apply(c);
            valid.push(c);
          } catch (err) {
            if (!isGeodeError(err)) throw err;
          }
        }
        const batch = new GraphStore();
        expect(batch.applyBatch(valid)).toBe(valid.length);
        expect(batch.snapshot()).toEqual(one.snapshot());
        expect(batch.checkConsistency()).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
