import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Geode, QueryParams, QueryResult } from '../../../../src/api/database.ts';
import type { GraphReader } from '../../../../src/graph/types.ts';
import { isGeodeError } from '../../../../src/util/errors.ts';
import { findLdbcFiles, importLdbcFolder, type ImportReporter } from './importer.ts';
import { IMPORT_BATCH_ROWS } from './ldbc-queries.ts';

interface Call {
  readonly text: string;
  readonly rows: readonly unknown[];
}

/** A database stand-in that records statements and reports every row as created. */
function recordingDb(calls: Call[], missingEdgeEvery = 0): Geode {
  return {
    query(text: string, params?: QueryParams): Promise<QueryResult> {
      const rows = (params?.['rows'] as unknown[] | undefined) ?? [];
      calls.push({ text, rows });
      const skipped = missingEdgeEvery > 0 && text.includes('MATCH') ? Math.floor(rows.length / missingEdgeEvery) : 0;
      return Promise.resolve({ columns: ['created'], rows: [{ created: BigInt(rows.length - skipped) }], plan: undefined, writes: rows.length });
    },
    graph: { hasIndex: () => false } as unknown as GraphReader,
    cluster: undefined,
    registerProcedure() {},
    subscribe: () => () => {},
    transaction: () => Promise.reject(new Error('not used by the importer')),
    session: () => {
      throw new Error('not used by the importer');
    },
    close: () => Promise.resolve(),
  };
}

const quiet: ImportReporter = { fileStarted() {}, fileProgress() {}, fileFinished() {} };

function folder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'geode-ldbc-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

describe('LDBC importer', () => {
  it('creates the id indexes first, then all nodes, then all edges', async () => {
    const root = folder({
      'dynamic/person_knows_person_0_0.csv': 'Person.id|Person.id|creationDate\n1|2|0\n',
      'dynamic/person_0_0.csv': 'id|firstName\n1|Ada\n2|Alan\n',
      'static/tag_0_0.csv': 'id|name\n1|Rumi\n',
      'README.md': 'not data',
    });
    const calls: Call[] = [];
    const summary = await importLdbcFolder(recordingDb(calls), root, quiet);
    expect(calls.map((c) => c.text.slice(0, 40))).toEqual([
      'CREATE INDEX FOR (n:`Tag`) ON (n.id)',
      'CREATE INDEX FOR (n:`Person`) ON (n.id)',
      'UNWIND $rows AS r CREATE (n:`Tag`) SET n',
      'UNWIND $rows AS r CREATE (n:`Person`) SE',
      'UNWIND $rows AS r MATCH (a:`Person` {id:',
    ]);
    expect(summary).toMatchObject({ files: 3, nodes: 3, edges: 1, edgesSkipped: 0 });
    expect(calls[4]!.rows).toEqual([{ src: 1n, dst: 2n, props: expect.objectContaining({ creationDate: '1970-01-01T00:00:00.000Z' }) }]);
  });

  it('loads big files in bounded batches and counts edges whose endpoints are missing', async () => {
    const n = IMPORT_BATCH_ROWS * 2 + 7;
    const lines = ['Post.id|Tag.id'];
    for (let i = 0; i < n; i++) lines.push(`${i}|${i % 10}`);
    const root = folder({ 'post_hasTag_tag_0_0.csv': `${lines.join('\n')}\n` });
    const calls: Call[] = [];
    const progress: number[] = [];
    const summary = await importLdbcFolder(recordingDb(calls, 1000), root, { ...quiet, fileProgress: (_f, _b, rows) => progress.push(rows) });
    expect(calls.map((c) => c.rows.length)).toEqual([IMPORT_BATCH_ROWS, IMPORT_BATCH_ROWS, 7]);
    expect(progress).toEqual([IMPORT_BATCH_ROWS, 2 * IMPORT_BATCH_ROWS, n]);
    expect(summary.edges + summary.edgesSkipped).toBe(n);
    expect(summary.edgesSkipped).toBe(10);
  });

  it('stops at a malformed line naming the file and line', async () => {
    const root = folder({ 'dynamic/person_0_0.csv': 'id|firstName\n1|Ada\n\n2|Alan|x\n' });
    const err = await importLdbcFolder(recordingDb([]), root, quiet).catch((e: unknown) => e);
    expect(isGeodeError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain(join('dynamic', 'person_0_0.csv') + ':4');
  });

  it('refuses a missing folder, a folder without LDBC files and an empty file', async () => {
    expect(() => findLdbcFiles(join(tmpdir(), 'no-such-geode-folder'))).toThrow(/import folder not found/);
    expect(() => findLdbcFiles(folder({ 'notes.txt': 'x' }))).toThrow(/no LDBC CSV files/);
    const err = await importLdbcFolder(recordingDb([]), folder({ 'tag_0_0.csv': '' }), quiet).catch((e: unknown) => e);
    expect((err as Error).message).toContain('tag_0_0.csv:1: the file is empty');
  });
});
