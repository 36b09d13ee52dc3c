import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkOperations } from './checker.ts';
import { dropPendingReads, kvModel } from './kv-model.ts';
import type { KvInput, KvOperation, KvOutput } from './kv-model.ts';
import { Prng } from '../prng.ts';

function op(clientId: number, input: KvInput, output: KvOutput | undefined, call: number, ret: number): KvOperation {
  return { clientId, input, output, call, ret };
}
const get = (c: number, key: string, value: string, call: number, ret: number): KvOperation => op(c, { op: 'get', key }, { value }, call, ret);
const put = (c: number, key: string, value: string, call: number, ret: number): KvOperation => op(c, { op: 'put', key, value }, {}, call, ret);

/** A sequential execution of random operations: each op returns before the next is called. */
function sequentialHistory(seed: number, n: number, keys: string[]): KvOperation[] {
  const rng = new Prng(seed);
  const state = new Map<string, string>();
  const out: KvOperation[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    const key = rng.pick(keys);
    const cur = state.get(key) ?? '';
    const call = t + rng.int(0, 3);
    const ret = call + rng.int(0, 5);
    t = ret + 1;
    const kind = rng.int(0, 3);
    if (kind === 0) {
      out.push(get(rng.int(1, 4), key, cur, call, ret));
    } else if (kind === 1) {
      const v = `v${i}`;
      state.set(key, v);
      out.push(put(rng.int(1, 4), key, v, call, ret));
    } else if (kind === 2) {
      const v = `a${i}`;
      state.set(key, cur + v);
      out.push(op(rng.int(1, 4), { op: 'append', key, value: v }, {}, call, ret));
    } else {
      const expected = rng.chance(0.5) ? cur : 'nope';
      const ok = expected === cur;
      if (ok) state.set(key, `c${i}`);
      out.push(op(rng.int(1, 4), { op: 'cas', key, expected, value: `c${i}` }, { ok }, call, ret));
    }
  }
  return out;
}

/**
 * A concurrent history that is linearizable by construction: each op takes effect at a point
 * drawn inside its [call, ret] interval, outputs computed in the order of those points.
 */
function concurrentLinearizableHistory(seed: number, n: number, keys: string[]): KvOperation[] {
  const rng = new Prng(seed);
  const raw = [];
  for (let i = 0; i < n; i++) {
    const call = rng.int(0, 200);
    const ret = call + rng.int(0, 40);
    const point = rng.float(call, ret);
    const key = rng.pick(keys);
    raw.push({ i, call, ret, point, key, kind: rng.int(0, 2) });
  }
  const state = new Map<string, string>();
  const outs = new Map<number, KvOperation>();
  for (const r of [...raw].sort((a, b) => a.point - b.point)) {
    const cur = state.get(r.key) ?? '';
    if (r.kind === 0) outs.set(r.i, get(r.i % 5, r.key, cur, r.call, r.ret));
    else if (r.kind === 1) {
      state.set(r.key, `v${r.i}`);
      outs.set(r.i, put(r.i % 5, r.key, `v${r.i}`, r.call, r.ret));
    } else {
      state.set(r.key, cur + `a${r.i}`);
      outs.set(r.i, op(r.i % 5, { op: 'append', key: r.key, value: `a${r.i}` }, {}, r.call, r.ret));
    }
  }
  return raw.map((r) => outs.get(r.i)!);
}

describe('linearizability checker (kv model)', () => {
  it('accepts an empty history', () => {
    expect(checkOperations(kvModel, []).outcome).toBe('ok');
  });

  it('accepts a read concurrent with a write seeing either value', () => {
    expect(checkOperations(kvModel, [put(1, 'x', '1', 0, 10), get(2, 'x', '1', 5, 15)]).outcome).toBe('ok');
    expect(checkOperations(kvModel, [put(1, 'x', '1', 0, 10), get(2, 'x', '', 5, 15)]).outcome).toBe('ok');
  });

  it('rejects a stale read after a completed write', () => {
    const r = checkOperations(kvModel, [put(1, 'x', '1', 0, 10), get(2, 'x', '', 20, 30)]);
    expect(r.outcome).toBe('illegal');
    expect(r.counterexample?.partition).toBe('key=x');
    expect(r.counterexample?.description).toContain('get(x) -> ""');
  });

  it('rejects a value that flips back (new then old) while one write is in flight', () => {
    const h = [put(1, 'x', '1', 0, 100), get(2, 'x', '1', 10, 20), get(3, 'x', '', 30, 40)];
    expect(checkOperations(kvModel, h).outcome).toBe('illegal');
  });

  it('rejects a read of a value that was never written', () => {
    expect(checkOperations(kvModel, [put(1, 'x', '1', 0, 10), get(2, 'x', '2', 5, 15)]).outcome).toBe('illegal');
  });

  it('treats touching intervals as concurrent', () => {
    // The get is called at the instant the put returns: either order is allowed.
    expect(checkOperations(kvModel, [put(1, 'x', '1', 0, 10), get(2, 'x', '', 10, 20)]).outcome).toBe('ok');
  });

  it('lets a pending write take effect late, or never', () => {
    const pending = op(1, { op: 'put', key: 'x', value: '1' }, undefined, 0, Infinity);
    expect(checkOperations(kvModel, [pending, get(2, 'x', '', 10, 20), get(2, 'x', '1', 30, 40)]).outcome).toBe('ok');
    expect(checkOperations(kvModel, [pending, get(2, 'x', '', 10, 20)]).outcome).toBe('ok');
    expect(checkOperations(kvModel, [pending, get(2, 'x', '1', 10, 20), get(2, 'x', '', 30, 40)]).outcome).toBe('illegal');
  });

  it('checks compare-and-set outcomes', () => {
    const h = [
      put(1, 'x', 'a', 0, 5),
      op(2, { op: 'cas', key: 'x', expected: 'a', value: 'b' }, { ok: true }, 10, 15),
      op(3, { op: 'cas', key: 'x', expected: 'a', value: 'c' }, { ok: true }, 20, 25),
    ];
    expect(checkOperations(kvModel, h).outcome).toBe('illegal');
    const h2 = [h[0]!, h[1]!, op(3, { op: 'cas', key: 'x', expected: 'a', value: 'c' }, { ok: false }, 20, 25), get(1, 'x', 'b', 30, 31)];
    expect(checkOperations(kvModel, h2).outcome).toBe('ok');
  });

  it('checks appends as concatenation in linearization order', () => {
    const app = (c: number, v: string, call: number, ret: number): KvOperation => op(c, { op: 'append', key: 'l', value: v }, {}, call, ret);
    expect(checkOperations(kvModel, [app(1, 'a', 0, 10), app(2, 'b', 0, 10), get(3, 'l', 'ba', 20, 30)]).outcome).toBe('ok');
    expect(checkOperations(kvModel, [app(1, 'a', 0, 10), app(2, 'b', 11, 20), get(3, 'l', 'ba', 30, 40)]).outcome).toBe('illegal');
  });

  it('checks keys independently: a violation on one key is reported with its key', () => {
    const h = [put(1, 'a', '1', 0, 10), get(2, 'a', '1', 20, 30), put(1, 'b', '1', 0, 10), get(2, 'b', '', 20, 30)];
    const r = checkOperations(kvModel, h);
    expect(r.outcome).toBe('illegal');
    expect(r.partitions).toBe(2);
    expect(r.counterexample?.partition).toBe('key=b');
  });

  it('accepts every sequential history (generated)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 60 }), (seed, n) => {
        expect(checkOperations(kvModel, sequentialHistory(seed, n, ['a', 'b', 'c'])).outcome).toBe('ok');
      }),
      { numRuns: 200 },
    );
  });

  it('rejects every sequential history with one read changed to a wrong value (generated)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 2, max: 60 }), (seed, n) => {
        const h = sequentialHistory(seed, n, ['a', 'b']);
        const gi = h.findIndex((o) => o.input.op === 'get');
        if (gi < 0) return;
        const g = h[gi]!;
        h[gi] = { ...g, output: { value: `${g.output!.value ?? ''}#stale` } };
        expect(checkOperations(kvModel, h).outcome).toBe('illegal');
      }),
      { numRuns: 200 },
    );
  });

  it('accepts concurrent histories that are linearizable by construction (generated)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seed) => {
        const h = concurrentLinearizableHistory(seed, 40, ['a', 'b']);
        expect(checkOperations(kvModel, h).outcome).toBe('ok');
      }),
      { numRuns: 100 },
    );
  });

  it('rejects a stale read placed after a completed overwrite in a generated history', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seed) => {
        const h = concurrentLinearizableHistory(seed, 30, ['a']);
        const end = Math.max(...h.map((o) => o.ret));
        // Two completed writes after everything, then a read of the older one.
        h.push(put(7, 'a', 'old', end + 1, end + 2), put(7, 'a', 'new', end + 3, end + 4), get(8, 'a', 'old', end + 5, end + 6));
        expect(checkOperations(kvModel, h).outcome).toBe('illegal');
      }),
      { numRuns: 50 },
    );
  });

  it('answers unknown when the time budget runs out', () => {
    // Many concurrent appends make the search space huge; a clock that jumps ends it at once.
    const h: KvOperation[] = [];
    for (let i = 0; i < 40; i++) h.push(op(i, { op: 'append', key: 'k', value: String.fromCharCode(65 + i) }, {}, 0, 100));
    h.push(get(99, 'k', 'impossible', 200, 300));
    let t = 0;
    const r = checkOperations(kvModel, h, { timeBudgetMs: 5, now: () => (t += 10) });
    expect(r.outcome).toBe('unknown');
  });

  it('drops pending reads without changing the verdict', () => {
    const h = [put(1, 'x', '1', 0, 10), op(2, { op: 'get', key: 'x' }, undefined, 5, Infinity), get(3, 'x', '1', 20, 30)];
    expect(dropPendingReads(h)).toHaveLength(2);
    expect(checkOperations(kvModel, dropPendingReads(h)).outcome).toBe('ok');
  });
});
