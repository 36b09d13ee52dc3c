import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkListAppend, type ListOp, type ListTxn } from './list-append.ts';

const ap = (key: string, value: number): ListOp => ({ f: 'append', key, value });
const rd = (key: string, ...value: number[]): ListOp => ({ f: 'read', key, value });
const ok = (id: number, ...ops: ListOp[]): ListTxn => ({ id, status: 'ok', ops });
const types = (h: ListTxn[]): string[] => checkListAppend(h, 'serializable').found.map((a) => a.type);

describe('the list-append checker', () => {
  it('finds nothing in a serial history, at every level', () => {
    const h = [ok(1, ap('x', 1), rd('x', 1)), ok(2, rd('x', 1), ap('x', 2)), ok(3, rd('x', 1, 2), ap('y', 3)), ok(4, rd('y', 3), rd('x', 1, 2))];
    for (const level of ['read-committed', 'snapshot-isolation', 'serializable'] as const) expect(checkListAppend(h, level)).toMatchObject({ valid: true, found: [] });
  });

  it('finds a dirty write (G0): two writers interleaved on two keys', () => {
    const h = [ok(1, ap('x', 1), ap('y', 1)), ok(2, ap('x', 2), ap('y', 2)), ok(3, rd('x', 1, 2), rd('y', 2, 1))];
    expect(types(h)).toEqual(['G0']);
    expect(checkListAppend(h, 'read-committed').valid).toBe(false);
  });

  it('finds an aborted read (G1a) and an intermediate read (G1b)', () => {
    const aborted = [{ id: 1, status: 'fail', ops: [ap('x', 1)] } as ListTxn, ok(2, rd('x', 1))];
    expect(types(aborted)).toContain('G1a');
    const intermediate = [ok(1, ap('x', 1), ap('x', 2)), ok(2, rd('x', 1))];
    expect(types(intermediate)).toContain('G1b');
  });

  it('finds circular information flow (G1c): each saw the other', () => {
    const h = [ok(1, ap('x', 1), rd('y', 2)), ok(2, ap('y', 2), rd('x', 1))];
    expect(types(h)).toEqual(['G1c']);
  });

  it('finds a lost update (G-single): both read the empty list and appended; refused under snapshot isolation', () => {
    const h = [ok(1, rd('x'), ap('x', 1)), ok(2, rd('x'), ap('x', 2)), ok(3, rd('x', 1, 2))];
    expect(types(h)).toEqual(['G-single']);
    expect(checkListAppend(h, 'read-committed').valid).toBe(true);
    expect(checkListAppend(h, 'snapshot-isolation').valid).toBe(false);
  });

  it('finds write skew (G2): allowed under snapshot isolation, refused under serializable', () => {
    const h = [ok(1, rd('x'), rd('y'), ap('x', 1)), ok(2, rd('x'), rd('y'), ap('y', 2)), ok(3, rd('x', 1), rd('y', 2))];
    expect(types(h)).toEqual(['G2']);
    expect(checkListAppend(h, 'snapshot-isolation').valid).toBe(true);
    const s = checkListAppend(h, 'serializable');
    expect(s.valid).toBe(false);
    expect(s.anomalies[0]!.description).toMatch(/T1 -rw y-> T2|T2 -rw x-> T1/);
  });

  it('finds impossible observations: garbage, duplicates, orders that disagree', () => {
    expect(types([ok(1, rd('x', 9))])).toEqual(['garbage']);
    expect(types([ok(1, ap('x', 1)), ok(2, rd('x', 1, 1))])).toContain('duplicate');
    expect(types([ok(1, ap('x', 1)), ok(2, ap('x', 2)), ok(3, rd('x', 1, 2)), ok(4, rd('x', 2, 1))])).toContain('incompatible-order');
  });

  it('counts a transaction of unknown outcome as committed only when a read saw it', () => {
    const unseen = [{ id: 1, status: 'info', ops: [rd('x'), ap('x', 1)] } as ListTxn, ok(2, rd('x'), ap('x', 2)), ok(3, rd('x', 2))];
    expect(types(unseen)).toEqual([]);
    const seen = [{ id: 1, status: 'info', ops: [rd('x'), ap('x', 1)] } as ListTxn, ok(2, rd('x'), ap('x', 2)), ok(3, rd('x', 1, 2))];
    expect(types(seen)).toEqual(['G-single']);
  });
});

describe('the list-append checker on generated histories', () => {
  it('never reports an anomaly for transactions run one at a time (no false positives)', () => {
    const opArb = fc.record({ append: fc.boolean(), key: fc.constantFrom('a', 'b', 'c') });
    fc.assert(
      fc.property(fc.array(fc.array(opArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 30 }), fc.array(fc.boolean()), (txns, fails) => {
        const lists = new Map<string, number[]>();
        const history: ListTxn[] = [];
        let next = 1;
        txns.forEach((shape, i) => {
          const failed = fails[i] === true;
          const local = new Map([...lists].map(([k, v]) => [k, [...v]]));
          const ops: ListOp[] = shape.map((o) => {
            const l = local.get(o.key) ?? [];
            if (o.append) {
              const v = next++;
              local.set(o.key, [...l, v]);
              return ap(o.key, v);
            }
            return rd(o.key, ...l);
          });
          if (!failed) for (const [k, v] of local) lists.set(k, v);
          history.push({ id: i + 1, status: failed ? 'fail' : 'ok', ops: failed ? ops.filter((o) => o.f === 'append') : ops });
        });
        history.push(ok(txns.length + 1, ...['a', 'b', 'c'].map((k) => rd(k, ...(lists.get(k) ?? [])))));
        expect(checkListAppend(history, 'serializable').found).toEqual([]);
      }),
    );
  });
});
