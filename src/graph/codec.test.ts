import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { GraphStore } from './index.ts';
import { buildDuration, buildTemporal } from './index.ts';
import { isGeodeError } from '../util/errors.ts';
import { concatCommandBatches, decodeCommands, decodeSnapshot, encodeCommands, encodeSnapshot } from './codec.ts';
import type { GraphCommand } from './types.ts';

describe('snapshot codec', () => {
  it('keeps integers as bigint and floats as number, int64 extremes included', () => {
    const data = { ints: [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n)], floats: [0, -0, 1, 1.5, 2 ** 60, -3, Number.MAX_VALUE] };
    expect(decodeSnapshot(encodeSnapshot(data))).toEqual(data);
    expect(Object.is((decodeSnapshot(encodeSnapshot(data)) as typeof data).floats[1], -0)).toBe(true);
    const back = decodeSnapshot(encodeSnapshot(data)) as typeof data;
    expect(typeof back.ints[1]).toBe('bigint');
    expect(typeof back.floats[1]).toBe('number');
  });

  it('keeps Maps, Sets, null-prototype objects and awkward keys', () => {
    const nullProto = Object.create(null) as Record<string, unknown>;
    nullProto['__proto__'] = 1n;
    nullProto['a'] = 'x';
    const data = { m: new Map<unknown, unknown>([['k', 1n], [2n, [1.5]]]), s: new Set(['a', 'b']), o: nullProto };
    const back = decodeSnapshot(encodeSnapshot(data)) as typeof data;
    expect(back.m).toEqual(data.m);
    expect(back.s).toEqual(data.s);
    expect(Object.getPrototypeOf(back.o)).toBeNull();
    expect(Object.keys(back.o)).toEqual(['__proto__', 'a']);
    expect(back.o['__proto__']).toBe(1n);
  });

  it('round-trips any JSON-like tree of storable values, leaving the encoded tree as it was (property)', () => {
    const leaf = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.double({ noNaN: true }), fc.string(), fc.boolean(), fc.constant(null));
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(tree, (value) => {
        const before = structuredClone(value);
        const bytes = encodeSnapshot(value);
        expect(value).toEqual(before); // tagging copies what it changes (-0, awkward keys), never the input
        expect(decodeSnapshot(bytes)).toEqual(value);
      }),
      { numRuns: 200, seed: 20261125 },
    );
  });

  it('round-trips temporal values and durations', () => {
    const data = [
      buildTemporal('date', { year: 1984, month: 10, day: 11 }),
      buildTemporal('datetime', { year: 2024, month: 2, day: 29, hour: 23, nanosecond: 5, timezone: '-08:00' }),
      buildDuration({ months: 14, days: -2, seconds: 7 }),
    ];
    const back = decodeSnapshot(encodeSnapshot(data)) as typeof data;
    expect(back).toEqual(data);
    expect(back.map(String)).toEqual(data.map(String));
  });

  it('round-trips a graph store snapshot exactly', () => {
    const store = new GraphStore();
    store.apply({ op: 'createIndex', name: 'ix', label: 'Person', keys: ['id'] });
    store.apply({ op: 'createNode', id: 1, labels: ['Person'], props: [['id', 2n ** 62n], ['name', 'Ada'], ['langs', ['en', 'fr']], ['score', 1.0]] });
    store.apply({ op: 'createNode', id: 2, labels: ['Person', 'Admin'], props: [['id', 7n]] });
    store.apply({ op: 'createEdge', id: 1, type: 'KNOWS', src: 1, dst: 2, props: [['since', '2010-01-01']] });
    const snapshot = store.snapshot();
    const restored = GraphStore.restore(decodeSnapshot(encodeSnapshot(snapshot)) as typeof snapshot);
    expect(restored.snapshot()).toEqual(snapshot);
    expect(restored.node(1)?.props.get('id')).toBe(2n ** 62n);
    expect(restored.node(1)?.props.get('score')).toBe(1);
    expect(restored.hasIndex('Person', 'id')).toBe(true);
  });

  it('refuses bytes that are not a snapshot, or a truncated one', () => {
    const bytes = encodeSnapshot({ a: [1n, 2n, 3n] });
    for (const bad of [new Uint8Array([1, 2, 3]), bytes.subarray(0, bytes.length - 3)]) {
      let caught: unknown;
      try {
        decodeSnapshot(bad, 'x.snapshot');
      } catch (err) {
        caught = err;
      }
      expect(isGeodeError(caught, 'INPUT_INVALID')).toBe(true);
    }
  });
});

describe('command batches', () => {
  it('a batch holding a stampNodes command is of format 2 (a format-1 decoder refuses it naming the byte); one without stays format 1', () => {
    const create: GraphCommand = { op: 'createNode', id: 3, labels: ['B'], props: [['k', 'x']] };
    const stamp: GraphCommand = { op: 'stampNodes', ids: [3], stamp: [1_764_800_000_000, 2, 'us'] };
    const plain = encodeCommands([create]);
    const stamped = encodeCommands([create, stamp]);
    expect(plain[0]).toBe(1);
    expect(stamped[0]).toBe(2);
    expect(decodeCommands(stamped)).toEqual([create, stamp]);
    // Older code checks for byte 1 only: the batch is refused, not misread.
    expect(stamped[0]).not.toBe(plain[0]);
    // Joined with batches of format 1 (one log entry of many statements): format 2, the same commands.
    const joined = concatCommandBatches([plain, stamped, plain]);
    expect(joined[0]).toBe(2);
    expect(decodeCommands(joined)).toEqual([create, create, stamp, create]);
    expect(concatCommandBatches([plain, plain])[0]).toBe(1);
    // With records written by hand after it (the general path of federation's hook).
    const meta: GraphCommand = { op: 'setMeta', key: 'f/e/us/1', value: new Uint8Array([1, 2, 3]) };
    const mixed = encodeCommands([create, stamp, meta]);
    expect(mixed[0]).toBe(2);
    expect(decodeCommands(mixed)).toEqual([create, stamp, meta]);
    let caught: unknown;
    try {
      decodeCommands(new Uint8Array([3, 0x90]), 'entry 9');
    } catch (e) {
      caught = e;
    }
    expect(isGeodeError(caught, 'INPUT_INVALID') && caught.message).toMatch(/entry 9: not a command batch of format 1 or 2 \(first byte 3\)/);
  });

  const command = fc.oneof(
    fc.record({ op: fc.constant('createNode' as const), id: fc.nat(), labels: fc.array(fc.string(), { maxLength: 3 }), props: fc.array(fc.tuple(fc.string(), fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.string(), fc.double()))) }),
    fc.record({ op: fc.constant('deleteNode' as const), id: fc.nat() }),
  ) as fc.Arbitrary<GraphCommand>;

  it('concatenated batches decode as the concatenation of their commands, whatever the batches’ sizes', () => {
    // Sizes around msgpack's array header forms: fixarray (< 16), array16 (< 65,536).
    const batch = fc.oneof(fc.array(command, { maxLength: 20 }), fc.array(command, { minLength: 14, maxLength: 18 }));
    fc.assert(
      fc.property(fc.array(batch, { minLength: 1, maxLength: 6 }), (batches) => {
        const joined = concatCommandBatches(batches.map((b) => encodeCommands(b)));
        expect(decodeCommands(joined)).toEqual(decodeCommands(encodeCommands(batches.flat())));
      }),
      { numRuns: 300 },
    );
  });

  it('writes trailing setMeta commands with byte values (federation records) as msgpackr writes them', () => {
    // The fast path writes these by hand; the bytes must be msgpackr's with the codec's options
    // (old peers decode them, and concatCommandBatches splices them), at every header size.
    const packr = new Packr({ useRecords: false, int64AsType: 'bigint', moreTypes: false, useToJSON: false, variableMapSize: true });
    const key = fc.oneof(fc.string({ unit: fc.constantFrom('f', '/', 'n', 'u', 's', '1', '9'), minLength: 1, maxLength: 40 }), fc.constantFrom('k'.repeat(31), 'k'.repeat(32), 'k'.repeat(255), 'k'.repeat(256)));
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(255, 256).map((n) => new Uint8Array(n).fill(7)));
    const meta = fc.record({ op: fc.constant('setMeta' as const), key, value: bytes }).map((c) => ({ ...c })) as fc.Arbitrary<GraphCommand>;
    // Commands the codec's tagging leaves as they are (no -0, no Map), so msgpackr alone writes them alike.
    const untagged = fc.oneof(
      fc.record({ op: fc.constant('createNode' as const), id: fc.nat(), labels: fc.array(fc.string(), { maxLength: 3 }), props: fc.array(fc.tuple(fc.string(), fc.oneof(fc.string(), fc.integer({ min: 1 })))) }),
      fc.record({ op: fc.constant('setMeta' as const), key: fc.constant('f/cur/eu'), value: fc.integer({ min: 0 }) }),
    ).map((c) => ({ ...c })) as fc.Arbitrary<GraphCommand>; // fast-check may make null-prototype objects, which the codec tags
    fc.assert(
      fc.property(fc.array(untagged, { maxLength: 18 }), fc.array(meta, { minLength: 1, maxLength: 18 }), (first, metas) => {
        const all = [...first, ...metas];
        const got = encodeCommands(all);
        const want = packr.pack(all);
        expect(got[0]).toBe(1);
        expect(Buffer.from(got.subarray(1)).equals(Buffer.from(want))).toBe(true);
        expect(decodeCommands(got)).toEqual(all);
      }),
      { numRuns: 200 },
    );
    // The 16- and 32-bit headers of str and bin.
    for (const [k, n] of [[65_535, 65_535], [65_536, 65_536], [70_000, 3]] as const) {
      const all: GraphCommand[] = [{ op: 'deleteNode', id: 1 }, { op: 'setMeta', key: 'k'.repeat(k), value: new Uint8Array(n).fill(9) }];
      expect(Buffer.from(encodeCommands(all).subarray(1)).equals(Buffer.from(packr.pack(all)))).toBe(true);
    }
  });

  it('writes a trailing stampNodes command (record-free creations) as msgpackr writes it, format 2', () => {
    const packr = new Packr({ useRecords: false, int64AsType: 'bigint', moreTypes: false, useToJSON: false, variableMapSize: true });
    const uint = fc.oneof(fc.constantFrom(0, 127, 128, 255, 256, 65_535, 65_536, 0xffff_ffff), fc.nat());
    const wall = fc.oneof(fc.constantFrom(1, 0xffff_ffff, 2 ** 32, 1_764_800_000_000, Number.MAX_SAFE_INTEGER), fc.nat());
    const origin = fc.oneof(fc.string({ unit: fc.constantFrom('u', 's', '~', '-', '1'), minLength: 1, maxLength: 40 }), fc.constantFrom('k'.repeat(31), 'k'.repeat(32), 'k'.repeat(256)));
    const stamp = fc.record({ op: fc.constant('stampNodes' as const), ids: fc.array(uint, { maxLength: 20 }), stamp: fc.oneof(fc.constant(null), fc.tuple(wall, uint, origin)) }).map((c) => ({ ...c })) as fc.Arbitrary<GraphCommand>;
    const create = fc.record({ op: fc.constant('createNode' as const), id: fc.nat(), labels: fc.array(fc.string(), { maxLength: 3 }), props: fc.array(fc.tuple(fc.string(), fc.string())) }).map((c) => ({ ...c })) as fc.Arbitrary<GraphCommand>;
    const meta = fc.record({ op: fc.constant('setMeta' as const), key: fc.constant('f/e/us/1'), value: fc.uint8Array({ maxLength: 40 }) }).map((c) => ({ ...c })) as fc.Arbitrary<GraphCommand>;
    fc.assert(
      fc.property(fc.array(create, { maxLength: 5 }), fc.array(fc.oneof(stamp, meta), { minLength: 1, maxLength: 5 }), (first, last) => {
        const all = [...first, ...last];
        const got = encodeCommands(all);
        expect(got[0]).toBe(last.some((c) => c.op === 'stampNodes') ? 2 : 1);
        expect(Buffer.from(got.subarray(1)).equals(Buffer.from(packr.pack(all)))).toBe(true);
        expect(decodeCommands(got)).toEqual(all);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps setMeta commands with byte values in order when they are not last (the general path)', () => {
    const all: GraphCommand[] = [{ op: 'setMeta', key: 'f/n/us/1', value: new Uint8Array([1, 2]) }, { op: 'deleteNode', id: 3 }, { op: 'setMeta', key: 'f/n/ü', value: new Uint8Array([4]) }];
    expect(decodeCommands(encodeCommands(all))).toEqual(all);
    expect(decodeCommands(concatCommandBatches([encodeCommands(all.slice(0, 1)), encodeCommands(all.slice(1))]))).toEqual(all);
  });

  it('joins batches past 65,535 commands in all (the 32-bit array header)', () => {
    const one: GraphCommand[] = Array.from({ length: 40_000 }, (_, id) => ({ op: 'deleteNode', id }) as GraphCommand);
    const joined = decodeCommands(concatCommandBatches([encodeCommands(one), encodeCommands(one)]));
    expect(joined.length).toBe(80_000);
    expect(joined[40_001]).toEqual({ op: 'deleteNode', id: 1 });
  });
});
