/**
 * The demo console's pure modules, in Node: parameters, history, completion sites, plans, error
 * ranges, the graph of a result, value formatting, and the LDBC sample loader (checked against
 * the CLI's importer, its dumb twin). The page itself is tested in demo-console.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importLdbcFolder } from '../packages/cli/src/import/importer.ts';
import { completionSite, openBracket } from '../demo/completion-context.ts';
import { describeError, errorRange } from '../demo/error-view.ts';
import { ElectionCounter } from '../demo/election-counter.ts';
import { LAG_SAMPLES_MAX, LagHistory, niceTop } from '../demo/lag-chart.ts';
import { formatValue } from '../demo/format.ts';
import { collectGraph, GRAPH_NODES_MAX, nodeCaption } from '../demo/graph-data.ts';
import { HISTORY_ENTRIES_MAX, HISTORY_STORAGE_KEY, QueryHistory, type HistoryStorage } from '../demo/history.ts';
import { paramNames, parseParams } from '../demo/params.ts';
import { parsePlan } from '../demo/plan-tree.ts';
import { loadLdbcSample, planSampleLoad, type SampleProgress } from '../demo/sample-loader.ts';
import { defaultLdbcSampleDir, readLdbcSampleManifest } from '../demo/vite-plugin-ldbc-sample.ts';
import { GeodeNode, GeodePath, GeodeRelationship, isGeodeError, openGeode } from '../src/index.ts';

function memoryStorage(): HistoryStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('demo parameters box', () => {
  it('reads integers as bigint, exactly past 2^53, and other numbers as floats', () => {
    const p = parseParams('{"big": 9007199254740993, "n": 3, "f": 1.0, "e": 1e3, "list": [1, 2.5], "m": {"k": -7}}');
    expect(p).toEqual({ big: 9007199254740993n, n: 3n, f: 1, e: 1000, list: [1n, 2.5], m: { k: -7n } });
    expect(typeof p['f']).toBe('number');
  });

  it('treats blank text as no parameters and refuses non-objects and bad JSON with INPUT_INVALID', () => {
    expect(parseParams('  \n')).toEqual({});
    for (const bad of ['[1]', '3', '"x"', 'null', '{"a": }']) {
      expect(() => parseParams(bad)).toThrow(expect.objectContaining({ name: 'GeodeError', code: 'INPUT_INVALID' }));
    }
    expect(paramNames('{"a": 1, "b": 2}')).toEqual(['a', 'b']);
    expect(paramNames('{"a": ')).toEqual([]);
  });
});

describe('demo query history', () => {
  it('keeps statements across instances (reloads), newest last, skipping blanks and repeats', () => {
    const storage = memoryStorage();
    const h = new QueryHistory(storage);
    h.add('RETURN 1');
    h.add('RETURN 1');
    h.add('   ');
    h.add('RETURN 2');
    expect(new QueryHistory(storage).entries).toEqual(['RETURN 1', 'RETURN 2']);
  });

  it('walks back and forth like a shell, skipping the statement still in the editor, and gives the draft back', () => {
    const h = new QueryHistory(memoryStorage());
    for (const q of ['A', 'B', 'C']) h.add(q);
    expect(h.previous('C')).toBe('B'); // C was just run and is still in the editor
    expect(h.previous('B')).toBe('A');
    expect(h.previous('A')).toBeUndefined();
    expect(h.next()).toBe('B');
    expect(h.next()).toBe('C');
    expect(h.next()).toBe('C'); // past the newest: the draft the walk started from
    expect(h.next()).toBeUndefined();
    expect(h.previous('draft')).toBe('C');
    expect(h.next()).toBe('draft');
  });

  it(`holds at most ${HISTORY_ENTRIES_MAX} statements, dropping the oldest, and survives damaged storage`, () => {
    const storage = memoryStorage();
    const h = new QueryHistory(storage);
    for (let i = 0; i < HISTORY_ENTRIES_MAX + 5; i++) h.add(`RETURN ${i}`);
    expect(h.entries.length).toBe(HISTORY_ENTRIES_MAX);
    expect(h.entries[0]).toBe('RETURN 5');
    storage.data.set(HISTORY_STORAGE_KEY, '{not json');
    expect(new QueryHistory(storage).entries).toEqual([]);
  });
});

describe('demo completion sites', () => {
  it('tells labels, relationship types, property keys, parameters and procedures apart', () => {
    expect(completionSite('MATCH (n:Per')).toMatchObject({ kind: 'label', prefix: 'Per', from: 9 });
    expect(completionSite('MATCH (n)-[r:KN')).toMatchObject({ kind: 'relationshipType', prefix: 'KN' });
    expect(completionSite('MATCH (n)-[:A|')).toMatchObject({ kind: 'relationshipType', prefix: '' });
    expect(completionSite('MATCH (n) WHERE n.na')).toMatchObject({ kind: 'propertyKey', prefix: 'na' });
    expect(completionSite('MATCH (n {fir')).toMatchObject({ kind: 'propertyKey', prefix: 'fir' });
    expect(completionSite('MATCH (n {name: x')).toMatchObject({ kind: 'general' });
    expect(completionSite('MATCH (n {name: $na')).toMatchObject({ kind: 'parameter', prefix: 'na' });
    expect(completionSite('CALL db.la')).toMatchObject({ kind: 'procedure', prefix: 'db.la', from: 5 });
    expect(completionSite('MATCH (n) RET')).toMatchObject({ kind: 'general', prefix: 'RET' });
  });

  it('ignores brackets inside strings when finding the open one', () => {
    expect(openBracket("MATCH (n {name: '(['")).toBe('{');
    expect(openBracket('MATCH (n) RETURN n')).toBeUndefined();
  });
});

describe('demo plan tree', () => {
  it('nests indented operators under the operator above them, in execution order', () => {
    const plan = parsePlan('NodeByLabelScan (p:Person)\nOptional\n  Expand (p)-[:KNOWS]->(f)\n    Filter f.age > 3\n  Argument\nProduceResults p, f');
    expect(plan.map((n) => n.operator)).toEqual(['NodeByLabelScan', 'Optional', 'ProduceResults']);
    expect(plan[0]!.detail).toBe('(p:Person)');
    expect(plan[1]!.children.map((n) => n.operator)).toEqual(['Expand', 'Argument']);
    expect(plan[1]!.children[0]!.children[0]).toEqual({ operator: 'Filter', detail: 'f.age > 3', children: [] });
  });
});

describe('demo error view', () => {
  it('marks the word, string or symbol at the error offset', () => {
    expect(errorRange('MATCH (n RETURN n', 9)).toEqual({ from: 9, to: 15 });
    expect(errorRange("RETURN 'abc' + 1", 7)).toEqual({ from: 7, to: 12 });
    expect(errorRange('RETURN 1 +', 9)).toEqual({ from: 9, to: 10 });
    expect(errorRange('RETURN', 6)).toEqual({ from: 6, to: 6 });
  });

  it('gives code, line, column and a caret excerpt that agree with the text', async () => {
    const db = await openGeode();
    const text = 'MATCH (p)\nRETURN q';
    const err = await db.query(text).catch((e: unknown) => e);
    expect(isGeodeError(err)).toBe(true);
    const report = describeError(err, text);
    expect(report).toMatchObject({ code: 'GQL_SEMANTIC', at: { line: 2, column: 8, from: 17, to: 18 }, excerpt: 'RETURN q\n       ^' });
    expect(report.message).not.toContain('\n');
    expect(describeError(new TypeError('boom'), text)).toMatchObject({ code: 'INTERNAL', at: undefined });
  });
});

describe('demo graph of a result', () => {
  const ada = new GeodeNode(1, ['Person'], { name: 'Ada' });
  const alan = new GeodeNode(2, ['Person'], { firstName: 'Alan', lastName: 'Turing' });
  const knows = new GeodeRelationship(10, 'KNOWS', 1, 2, {});
  const likes = new GeodeRelationship(11, 'LIKES', 1, 3, {});

  it('finds nodes and relationships in columns, lists, maps and paths, each once', () => {
    const g = collectGraph(['a', 'x'], [
      { a: ada, x: [{ k: knows }] },
      { a: new GeodePath([ada, alan], [knows]), x: null },
    ]);
    expect(g.nodes.map((n) => n.id)).toEqual([1, 2]);
    expect(g.relationships.map((r) => r.id)).toEqual([10]);
    expect(g.missingNodeIds).toEqual([]);
  });

  it('names endpoints the result does not hold, and stops at the node limit', () => {
    expect(collectGraph(['r'], [{ r: likes }]).missingNodeIds).toEqual([1, 3]);
    const many = Array.from({ length: GRAPH_NODES_MAX + 7 }, (_, i) => ({ n: new GeodeNode(i, ['N'], {}) }));
    const g = collectGraph(['n'], many);
    expect(g.nodes.length).toBe(GRAPH_NODES_MAX);
    expect(g.nodesOmitted).toBe(7);
  });

  it('captions a node by name, full name, or label', () => {
    expect(nodeCaption(ada)).toBe('Ada');
    expect(nodeCaption(alan)).toBe('Alan Turing');
    expect(nodeCaption(new GeodeNode(5, ['Tag'], {}))).toBe('Tag');
  });

  it('formats values as Cypher literals, integers and floats told apart', () => {
    expect(formatValue([1n, 1, 0.5, 'it\'s', null, true])).toBe("[1, 1.0, 0.5, 'it\\'s', null, true]");
    expect(formatValue(new GeodePath([ada, alan], [new GeodeRelationship(12, 'KNOWS', 2, 1, {})]))).toBe(
      "<(:Person {name: 'Ada'})<-[:KNOWS]-(:Person {firstName: 'Alan', lastName: 'Turing'})>",
    );
  });
});

describe('demo LDBC sample loader', () => {
  const dir = defaultLdbcSampleDir();

  it('loads node files before edge files', () => {
    const order = planSampleLoad(readLdbcSampleManifest(dir));
    const firstEdge = order.findIndex((f) => f.what.kind === 'edges');
    expect(firstEdge).toBeGreaterThan(0);
    expect(order.slice(firstEdge).every((f) => f.what.kind === 'edges')).toBe(true);
  });

  it('builds the same graph as the CLI importer, with progress rising to 100%', async () => {
    const manifest = readLdbcSampleManifest(dir);
    expect(manifest.available, `no sample data in ${dir}`).toBe(true);
    const demo = await openGeode();
    const seen: SampleProgress[] = [];
    const summary = await loadLdbcSample(demo, manifest, (path) => readFile(join(dir, path), 'utf8'), (p) => seen.push(p));
    const cli = await openGeode();
    const quiet = { fileStarted() {}, fileProgress() {}, fileFinished() {} };
    const twin = await importLdbcFolder(cli, dir, quiet);
    expect(summary).toEqual({ files: twin.files, nodes: twin.nodes, edges: twin.edges });
    expect(demo.graph.nodeCount).toBe(cli.graph.nodeCount);
    expect(demo.graph.edgeCount).toBe(cli.graph.edgeCount);
    const q = 'MATCH (p:Person)-[:KNOWS]->(f:Person) RETURN p.id AS p, f.id AS f, p.birthday AS b ORDER BY p, f';
    expect((await demo.query(q)).rows).toEqual((await cli.query(q)).rows);
    const done = seen.map((p) => p.bytesDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(seen[seen.length - 1]).toEqual({ bytesDone: seen[0]!.bytesTotal, bytesTotal: seen[0]!.bytesTotal, file: '' });
  });

  it('names the file and line of a malformed row', async () => {
    const db = await openGeode();
    const manifest = { available: true, source: 'test', files: [{ path: 'dynamic/person_0_0.csv', bytes: 40 }] };
    const text = 'id|firstName\n1|Ada\n2|Alan|extra\n';
    const err = await loadLdbcSample(db, manifest, () => Promise.resolve(text), () => {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'GeodeError', code: 'INPUT_INVALID' });
    expect((err as Error).message).toContain('dynamic/person_0_0.csv:3');
  });
});

describe('demo cluster dashboard', () => {
  it('counts each new leader once, from the second sample on, and ignores samples without a leader or from an older term', () => {
    const c = new ElectionCounter();
    expect(c.observe(2, 'a')).toBe(false); // the baseline: a tab joining an established cluster starts at 0
    expect(c.observe(2, 'a')).toBe(false);
    expect(c.observe(3, '')).toBe(false); // an election under way
    expect(c.observe(3, 'b')).toBe(true);
    expect(c.observe(2, 'a')).toBe(false); // a stale sample
    expect(c.observe(5, 'b')).toBe(true); // re-elected in a later term: an election all the same
    expect(c.count).toBe(2);
  });

  it('keeps the last LAG_SAMPLES_MAX lag samples, newest at the right edge, with gaps splitting a line', () => {
    const h = new LagHistory();
    for (let i = 0; i < LAG_SAMPLES_MAX + 5; i++) h.add(new Map([['p1', i % 3 === 0 ? 4 : 0]]));
    expect(h.length).toBe(LAG_SAMPLES_MAX);
    expect(h.max()).toBe(4);
    const [line] = h.points('p1', 590, 100, 4);
    const pts = line!.split(' ');
    expect(pts).toHaveLength(LAG_SAMPLES_MAX);
    expect(pts[pts.length - 1]!.startsWith('590.0,')).toBe(true);
    h.add(new Map([['p2', 1]]));
    h.add(new Map([['p1', 2]]));
    expect(h.points('p1', 590, 100, 4)).toHaveLength(2);
    expect(h.peers()).toEqual(['p1', 'p2']);
    expect(h.latest('p1')).toBe(2);
  });

  it('rounds the chart top up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 1.5, 3, 7, 10, 11, 240].map(niceTop)).toEqual([1, 1, 2, 5, 10, 10, 20, 500]);
  });
});
