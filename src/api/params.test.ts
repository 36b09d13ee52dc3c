import { describe, expect, it } from 'vitest';
import { openGeode } from '../index.ts';

describe('query parameters', () => {
  it('arrive as engine values: maps with a null prototype, integers as given, nested lists and maps', async () => {
    const db = await openGeode();
    const rows = [{ s: 1n, d: 2.5, tags: ['a', null], inner: { k: true } }];
    const { rows: out } = await db.query('UNWIND $rows AS r RETURN r.s AS s, r.d AS d, r.tags AS tags, r.inner.k AS k, r.toString AS missing', { rows });
    expect(out).toEqual([{ s: 1n, d: 2.5, tags: ['a', null], k: true, missing: null }]);
  });

  it("keep a '__proto__' key as an ordinary entry", async () => {
    const db = await openGeode();
    const m = JSON.parse('{"__proto__": 5, "a": 1}') as Record<string, unknown>;
    const { rows } = await db.query('RETURN keys($m) AS k, $m.a AS a', { m });
    expect(rows).toEqual([{ k: ['__proto__', 'a'], a: 1 }]);
  });

  it('name where an unsupported value is, however deep', async () => {
    const db = await openGeode();
    await expect(db.query('RETURN $rows', { rows: [{ a: 1 }, { a: [() => 1] }] })).rejects.toThrow(/rows\[1\]\.a\[0\]/);
    await expect(db.query('RETURN $x', { x: Symbol('s') })).rejects.toMatchObject({ code: 'GQL_TYPE' });
  });
});
