import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdTable } from './id-table.ts';

describe('IdTable', () => {
  it('agrees with a Map (dumb twin) and iterates in id order, for dense and far-apart ids', () => {
    const idArb = fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 2 ** 40 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), idArb), { maxLength: 200 }), (ops) => {
        const table = new IdTable<{ id: number }>();
        const twin = new Map<number, { id: number }>();
        for (const [add, id] of ops) {
          if (add && !twin.has(id)) {
            const rec = { id };
            table.add(rec);
            twin.set(id, rec);
          } else {
            expect(table.delete(id)).toBe(twin.delete(id));
          }
          expect(table.size).toBe(twin.size);
        }
        for (const [id, rec] of twin) expect(table.get(id)).toBe(rec);
        expect(Array.from(table.values(), (r) => r.id)).toEqual([...twin.keys()].sort((a, b) => a - b));
        expect(table.check('rec')).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('moves far ids into the dense range once the range reaches them', () => {
    const table = new IdTable<{ id: number }>();
    table.add({ id: 5000 });
    for (let id = 1; id <= 4999; id++) table.add({ id });
    expect(table.check('rec')).toEqual([]);
    expect(table.get(5000)?.id).toBe(5000);
    expect(Array.from(table.values()).length).toBe(5000);
  });
});
