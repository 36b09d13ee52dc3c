import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../../../src/util/errors.ts';
import { clearDataDir, LEGACY_SNAPSHOT_FILE, openDataDir } from './data-dir.ts';

describe('data directory', () => {
  it('starts empty, then holds every acknowledged write when opened again', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'geode-data-')), 'nested', 'data');
    const first = await openDataDir(dir);
    expect(first.restored).toBe(false);
    await first.db.query('CREATE INDEX person_id FOR (p:Person) ON (p.id)');
    await first.db.query('CREATE (:Person {id: $big, w: 0.5})-[:KNOWS]->(:Person {id: 2})', { big: 2n ** 62n + 1n });
    await first.db.close();

    const second = await openDataDir(dir);
    expect(second.restored).toBe(true);
    expect(second.db.graph.hasIndex('Person', 'id')).toBe(true);
    const { rows } = await second.db.query('MATCH (a:Person)-[:KNOWS]->(b) RETURN a.id AS a, a.w AS w, b.id AS b');
    expect(rows).toEqual([{ a: 2n ** 62n + 1n, w: 0.5, b: 2n }]);
    await second.db.close();
  });

  it('refuses a second process-local open of a directory in use, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geode-data-'));
    const first = await openDataDir(dir);
    // The lock names this process as the owner, and it is alive: refused, not shared.
    await expect(openDataDir(dir)).rejects.toSatisfy((e: unknown) => isGeodeError(e, 'IO') && (e as Error).message.includes(dir));
    await first.db.close();
  });

  it('clearDataDir removes the graph and only the store files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geode-data-'));
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const { db } = await openDataDir(dir);
    await db.query('CREATE (:N)');
    await db.close();
    await clearDataDir(dir);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    const again = await openDataDir(dir);
    expect(again.restored).toBe(false);
    await again.db.close();
  });

  it('refuses a data directory of an earlier version (one graph.snapshot), naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geode-data-'));
    writeFileSync(join(dir, LEGACY_SNAPSHOT_FILE), 'GEODESNP...');
    await expect(openDataDir(dir)).rejects.toSatisfy(
      (e: unknown) => isGeodeError(e, 'INPUT_INVALID') && (e as Error).message.includes(LEGACY_SNAPSHOT_FILE),
    );
    expect(existsSync(join(dir, LEGACY_SNAPSHOT_FILE))).toBe(true);
  });
});
