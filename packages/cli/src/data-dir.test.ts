import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeOf } from '../../../src/api/database.ts';
import { isGeodeError } from '../../../src/util/errors.ts';
import { openDataDir, saveDataDir, snapshotPath } from './data-dir.ts';

describe('data directory', () => {
  it('starts empty, then restores exactly what was saved', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'geode-data-')), 'nested', 'data');
    const first = openDataDir(dir);
    expect(first.restored).toBe(false);
    const store = storeOf(first.db);
    store.apply({ op: 'createIndex', name: 'person_id', label: 'Person', keys: ['id'] });
    store.apply({ op: 'createNode', id: store.peekNextNodeId(), labels: ['Person'], props: [['id', 2n ** 62n + 1n], ['w', 0.5]] });
    store.apply({ op: 'createNode', id: store.peekNextNodeId(), labels: ['Person'], props: [['id', 2n]] });
    store.apply({ op: 'createEdge', id: store.peekNextEdgeId(), type: 'KNOWS', src: 1, dst: 2, props: [] });
    saveDataDir(dir, first.db);
    expect(readdirSync(dir)).toEqual(['graph.snapshot']);

    const second = openDataDir(dir);
    expect(second.restored).toBe(true);
    expect(storeOf(second.db).snapshot()).toEqual(store.snapshot());
    expect(second.db.graph.hasIndex('Person', 'id')).toBe(true);
    expect([...(second.db.graph.lookupIndex('Person', 'id', 2n ** 62n + 1n) ?? [])].map((n) => n.id)).toEqual([1]);
  });

  it('refuses a snapshot file that is not one, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'geode-data-'));
    writeFileSync(snapshotPath(dir), 'hello');
    let caught: unknown;
    try {
      openDataDir(dir);
    } catch (err) {
      caught = err;
    }
    expect(isGeodeError(caught, 'INPUT_INVALID')).toBe(true);
    expect((caught as Error).message).toContain('graph.snapshot');
    expect(existsSync(snapshotPath(dir))).toBe(true);
  });
});
