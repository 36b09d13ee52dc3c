/**
 * End to end: spawns the real `geode` launcher (bin/geode.mjs on this Node, through tsx) to import
 * a small generated LDBC-like folder into a temporary data directory, then queries it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'geode.mjs');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function geode(args: readonly string[], input?: string): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input: input ?? '',
    env: { ...process.env, GEODE_HISTORY: join(tmpdir(), 'geode-e2e-history'), NO_COLOR: '1' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function writeLdbc(root: string): void {
  mkdirSync(join(root, 'static'), { recursive: true });
  mkdirSync(join(root, 'dynamic'), { recursive: true });
  writeFileSync(join(root, 'static', 'tag_0_0.csv'), 'id|name|url\n1|Rumi|http://x/Rumi\n2|Bach|http://x/Bach\n');
  writeFileSync(join(root, 'static', 'place_0_0.csv'), 'id|name|url|type\n1|India|http://x/India|country\n');
  writeFileSync(
    join(root, 'dynamic', 'person_0_0.csv'),
    [
      'id|firstName|lastName|gender|birthday|creationDate|locationIP|browserUsed|language|email',
      '1|Ada|Lovelace|female|558921600000|1284620040602|1.2.3.4|Firefox|en;fr|ada@a.org;ada@b.org',
      '2|Alan|Turing|male|411868800000|1276431272690|1.2.3.5|Chrome|en|alan@a.org',
      '3|Grace|Hopper|female|411868800000|1276431272690|1.2.3.6|Chrome|en|',
      // Same id as a tag: ids are unique per entity only.
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(root, 'dynamic', 'person_knows_person_0_0.csv'),
    'Person.id|Person.id|creationDate\n1|2|1278777892244\n1|3|1278777892244\n2|3|1278777892244\n',
  );
  writeFileSync(join(root, 'dynamic', 'person_hasInterest_tag_0_0.csv'), 'Person.id|Tag.id\n1|2\n2|2\n3|1\n');
  writeFileSync(join(root, 'dynamic', 'person_isLocatedIn_place_0_0.csv'), 'Person.id|Place.id\n1|1\n');
}

describe('geode CLI end to end', () => {
  let dir = '';
  let data = '';
  let imported: Run;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'geode-cli-'));
    const ldbc = join(dir, 'ldbc');
    writeLdbc(ldbc);
    data = join(dir, 'data');
    imported = geode(['import', ldbc, '--data', data]);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports nodes by label and edges by type, and reports the totals', () => {
    expect(imported.stderr).toContain('dynamic/person_0_0.csv');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('Imported 6 nodes and 7 edges from 6 files');
  });

  it('queries the imported graph from the saved snapshot as a table', () => {
    const r = geode([
      'query',
      '--data',
      data,
      '-e',
      'MATCH (p:Person)-[:KNOWS]-(f) RETURN p.firstName AS name, count(f) AS friends ORDER BY friends DESC, name LIMIT 2',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/'Ada'\s+│\s+2/);
    expect(r.stdout).toContain('2 rows (');
  });

  it('keeps LDBC types: integer ids, date strings, string lists, per-entity ids', () => {
    const r = geode([
      'query',
      '--data',
      data,
      '--json',
      '--param',
      'id=1',
      '-e',
      'MATCH (p:Person {id: $id})-[:HAS_INTEREST]->(t:Tag) RETURN p.id AS id, p.birthday AS b, p.email AS email, t.name AS tag',
    ]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      columns: ['id', 'b', 'email', 'tag'],
      rows: [{ id: 1, b: '1987-09-18', email: ['ada@a.org', 'ada@b.org'], tag: 'Bach' }],
    });
  });

  it('persists a write made by a query for the next command', () => {
    const w = geode(['query', '--data', data, '-e', "CREATE (:Person {id: 99, firstName: 'Linus'})"]);
    expect(w.code).toBe(0);
    const r = geode(['query', '--data', data, '--json', '-e', 'MATCH (p:Person) RETURN count(*) AS n']);
    expect(JSON.parse(r.stdout)).toEqual({ columns: ['n'], rows: [{ n: 4 }] });
  });

  it('runs ;-separated statements piped to the prompt', () => {
    const r = geode(['query', '--data', data], 'MATCH (t:Tag)\nRETURN t.name AS name\nORDER BY name;\nRETURN 1 + 1 AS two;\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("'Bach'");
    expect(r.stdout).toMatch(/two[\s\S]*│ 2 /);
  });

  it('runs BEGIN ... COMMIT and ROLLBACK across piped statements, and rolls back one left open', () => {
    const script = [
      "BEGIN; CREATE (:Note {t: 'kept'}); COMMIT;",
      "START TRANSACTION; CREATE (:Note {t: 'undone'}); ROLLBACK;",
      "BEGIN; CREATE (:Note {t: 'unfinished'});",
    ].join('\n');
    const w = geode(['query', '--data', data], script);
    expect(w.stdout).toContain('Transaction committed');
    expect(w.stdout).toContain('Transaction rolled back');
    expect(w.stderr).toContain('The open transaction was rolled back');
    expect(w.code).toBe(1);
    const r = geode(['query', '--data', data, '--json', '-e', 'MATCH (n:Note) RETURN n.t AS t']);
    expect(JSON.parse(r.stdout)).toEqual({ columns: ['t'], rows: [{ t: 'kept' }] });
  });

  it('exits 1 with the error code and a caret on stderr for a bad query', () => {
    const r = geode(['query', '--data', data, '-e', 'MATCH (n RETURN n']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Error [GQL_SYNTAX]');
    expect(r.stderr).toContain('^');
  });

  it('refuses a malformed CSV line naming the file and line, and a missing folder', () => {
    const bad = join(dir, 'bad');
    mkdirSync(join(bad, 'dynamic'), { recursive: true });
    writeFileSync(join(bad, 'dynamic', 'person_0_0.csv'), 'id|firstName\n1|Ada\n2|Alan|extra\n');
    const r = geode(['import', bad, '--data', join(dir, 'bad-data')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('dynamic/person_0_0.csv:3');
    const missing = geode(['import', join(dir, 'nowhere'), '--data', join(dir, 'bad-data')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('import folder not found');
  });
});
