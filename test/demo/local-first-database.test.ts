/**
 * The local-first tab's database (demo/local-first.ts, `LocalFirstDatabase`): statements go to
 * the database in use, a live query moves to the new one on a switch, and an open transaction
 * stays on the database it began in.
 */
import { describe, expect, it } from 'vitest';
import { LocalFirstDatabase } from '../../demo/local-first.ts';
import { openGeode } from '../../src/index.ts';

describe('LocalFirstDatabase', () => {
  it('runs statements on the database in use and moves live queries over on a switch', async () => {
    const member = await openGeode({ storage: 'memory' });
    const fork = await openGeode({ storage: 'memory' });
    const db = new LocalFirstDatabase(member);
    await db.query("CREATE (:W {k: 'member'})");
    const seen: unknown[] = [];
    const stop = db.subscribe('MATCH (w:W) RETURN w.k AS k ORDER BY k', undefined, (r) => seen.push(r.rows.map((x) => x['k'])));
    await new Promise((r) => setTimeout(r, 50));
    db.use(fork);
    await db.query("CREATE (:W {k: 'fork'})");
    await new Promise((r) => setTimeout(r, 50));
    expect(seen[0]).toEqual(['member']);
    expect(seen[seen.length - 1]).toEqual(['fork']);
    expect(db.graph.nodeCount).toBe(1);
    expect((await member.query('MATCH (w:W) RETURN w.k AS k')).rows).toEqual([{ k: 'member' }]);
    stop();
    await db.close();
  });

  it('keeps an open transaction on the database it began in', async () => {
    const member = await openGeode({ storage: 'memory' });
    const fork = await openGeode({ storage: 'memory' });
    const db = new LocalFirstDatabase(member);
    const s = db.session();
    await s.query('BEGIN');
    await s.query("CREATE (:W {k: 'in tx'})");
    db.use(fork);
    await s.query('COMMIT');
    expect(s.inTransaction).toBe(false);
    expect((await member.query('MATCH (w:W) RETURN count(w) AS n')).rows[0]!['n']).toBe(1n);
    expect((await fork.query('MATCH (w:W) RETURN count(w) AS n')).rows[0]!['n']).toBe(0n);
    await s.query("CREATE (:W {k: 'after'})"); // no transaction: the database in use
    expect((await fork.query('MATCH (w:W) RETURN count(w) AS n')).rows[0]!['n']).toBe(1n);
    await s.close();
    await db.close();
  });
});
