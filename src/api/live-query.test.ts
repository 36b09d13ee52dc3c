/**
 * Live queries (`db.subscribe`): the first result at once, a new one after each committed change
 * that changes it, none for changes that leave it as it was, none after unsubscribing; writes
 * cannot be subscribed; bursts of writes are coalesced and the last result is always delivered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openGeode, type Geode, type QueryResult } from '../node.ts';
import { isGeodeError } from '../util/errors.ts';
import { subscriptionsMax } from './live-query.ts';

const waitFor = async (what: string, cond: () => boolean, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
/** Lets pending re-runs finish. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

const counts = (seen: QueryResult[]): bigint[] => seen.map((r) => r.rows[0]!['n'] as bigint);

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

for (const storage of ['memory', 'file'] as const) {
  describe(`db.subscribe on an embedded database (${storage})`, () => {
    const open = async (): Promise<Geode> => {
      if (storage === 'memory') return openGeode({ storage: 'memory' });
      const dir = mkdtempSync(join(tmpdir(), 'geode-live-'));
      dirs.push(dir);
      return openGeode({ storage: `file:${dir}` });
    };

    it('delivers the result at once, then after each change that alters it, and never after unsubscribing', async () => {
      const db = await open();
      const seen: QueryResult[] = [];
      const stop = db.subscribe('MATCH (p:Person) RETURN count(p) AS n', {}, (r) => seen.push(r));
      await waitFor('the first result', () => seen.length === 1);
      expect(counts(seen)).toEqual([0n]);

      await db.query("CREATE (:Person {name: 'Ada'})");
      await waitFor('the second result', () => seen.length === 2);
      expect(counts(seen)).toEqual([0n, 1n]);

      // A change that leaves the result as it was calls nobody.
      await db.query("CREATE (:City {name: 'Paris'})");
      await settle();
      expect(seen.length).toBe(2);

      stop();
      await db.query("CREATE (:Person {name: 'Alan'})");
      await settle();
      expect(seen.length).toBe(2);
      await db.close();
    });

    it('coalesces a burst of writes and always ends on the latest result', async () => {
      const db = await open();
      const seen: QueryResult[] = [];
      db.subscribe('MATCH (p:Person) RETURN count(p) AS n', {}, (r) => seen.push(r));
      const writes = 40;
      await Promise.all(Array.from({ length: writes }, (_, i) => db.query('CREATE (:Person {i: $i})', { i: BigInt(i) })));
      await waitFor('the final count', () => seen.at(-1)?.rows[0]!['n'] === BigInt(writes));
      await settle();
      const n = counts(seen);
      expect(n.at(-1)).toBe(BigInt(writes));
      expect(seen.length).toBeLessThanOrEqual(writes + 1);
      // Results arrive in commit order: counts never go down.
      for (let i = 1; i < n.length; i++) expect(n[i]! > n[i - 1]!).toBe(true);
      await db.close();
    });

    it('passes parameters and reports a failing run to onError, keeping the subscription', async () => {
      const db = await open();
      const seen: QueryResult[] = [];
      const errors: Error[] = [];
      db.subscribe('MATCH (p:Person) RETURN $ten / p.d AS x', { ten: 10n }, (r) => seen.push(r), { onError: (e) => errors.push(e) });
      await waitFor('the first result', () => seen.length === 1);
      expect(seen[0]!.rows).toEqual([]);
      await db.query('CREATE (:Person {d: 0})'); // 10 / 0: the run fails
      await waitFor('the division error', () => errors.length === 1);
      expect(isGeodeError(errors[0]) ? errors[0].code : String(errors[0])).toMatch(/^GQL_/);
      await db.query('MATCH (p:Person) SET p.d = 2');
      await waitFor('the result after the fix', () => seen.length === 2);
      expect(seen[1]!.rows).toEqual([{ x: 5n }]);
      expect(errors.length).toBe(1);
      await db.close();
    });
  });
}

describe('db.subscribe refuses what it cannot watch', () => {
  it('refuses writes and schema commands with INPUT_INVALID, bad text with GQL_SYNTAX, and runs none of them', async () => {
    const db = await openGeode();
    const code = (f: () => unknown): string => {
      try {
        f();
        return 'none';
      } catch (err) {
        return isGeodeError(err) ? err.code : String(err);
      }
    };
    expect(code(() => db.subscribe("CREATE (:X) RETURN 1 AS one", {}, () => {}))).toBe('INPUT_INVALID');
    expect(code(() => db.subscribe('MATCH (n) CALL { WITH n SET n.x = 1 } RETURN count(*) AS c', {}, () => {}))).toBe('INPUT_INVALID');
    expect(code(() => db.subscribe('CREATE INDEX FOR (n:X) ON (n.k)', {}, () => {}))).toBe('INPUT_INVALID');
    expect(code(() => db.subscribe('MATCH (n RETURN n', {}, () => {}))).toBe('GQL_SYNTAX');
    expect((await db.query('MATCH (n) RETURN count(n) AS n')).rows[0]!['n']).toBe(0n);
    await db.close();
    expect(code(() => db.subscribe('RETURN 1 AS one', {}, () => {}))).toBe('CLOSED');
  });

  it(`holds at most ${subscriptionsMax} live queries per database (LIMIT_EXCEEDED past it)`, async () => {
    const db = await openGeode();
    const stops = Array.from({ length: subscriptionsMax }, () => db.subscribe('RETURN 1 AS one', {}, () => {}));
    let code = 'none';
    try {
      db.subscribe('RETURN 1 AS one', {}, () => {});
    } catch (err) {
      code = isGeodeError(err) ? err.code : String(err);
    }
    expect(code).toBe('LIMIT_EXCEEDED');
    stops[0]!();
    expect(() => db.subscribe('RETURN 1 AS one', {}, () => {})).not.toThrow();
    await db.close();
  });
});
