/**
 * Fuzzing the query path end to end: every query text either runs or is refused with a
 * GeodeError — never another exception (TypeError, RangeError from a blown stack, an assertion),
 * and never a hang.
 *
 * Queries come from fast-check, seeded: valid-ish queries from a small grammar of clauses,
 * patterns and expressions, and mutations of them (deleted, inserted and swapped tokens and
 * characters, truncations, random unicode, deeply nested parentheses, huge numbers). The seed is
 * printed; set GEODE_FUZZ_SEED to replay a run.
 *
 * The queries run in a worker thread against one `openGeode()` database holding a small graph
 * (reset now and then so writes do not pile up). The worker publishes the index and start time of
 * the query it is running in shared memory; a watchdog here kills it when one query runs longer
 * than {@link QUERY_TIME_LIMIT_MS}, reports that query's text, and carries on after it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** Queries generated from the loose grammar (variables and types at random). */
const GRAMMAR_QUERIES = 3_000;
/** Queries generated from the scope-aware grammar (mostly valid). */
const VALIDISH_QUERIES = 4_000;
/** Mutated queries. */
const MUTATED_QUERIES = 4_000;
/** Longest one query may take. */
const QUERY_TIME_LIMIT_MS = 2_000;
/** Budget for the whole run: past it, the run stops and fails (it must stay fast on a 2-core machine). */
const TOTAL_TIME_LIMIT_MS = 60_000;
/** Hung queries tolerated before the run stops (each costs a worker restart). */
const MAX_HANGS = 5;
/** Queries between two fresh databases. */
const RESET_EVERY = 400;
/**
 * Nodes past which the database is reset early: writes like `MATCH (n) CREATE (:X)` double the
 * graph, and a cross product over a grown graph is slow for a good reason, not an engine fault.
 */
const MAX_NODES = 200;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The engine module (`openGeode`, `isGeodeError`); GEODE_FUZZ_ENGINE can point at another, to test this harness. */
const ENGINE = process.env['GEODE_FUZZ_ENGINE'] ?? join(ROOT, 'src', 'index.ts');

const SEED = process.env['GEODE_FUZZ_SEED'] !== undefined ? Number(process.env['GEODE_FUZZ_SEED']) : Date.now() % 2 ** 31;

/** The small graph every database starts with: a dozen nodes and edges. */
const SETUP = `CREATE (a:Person {name: 'Ada', age: 36, tags: ['x', 'y']}),
  (b:Person {name: 'Alan', age: 41}),
  (c:Person:Admin {name: 'Grace', age: 85, score: 1.5}),
  (d:City {name: 'London', pop: 8900000}),
  (e:City {name: 'Paris'}),
  (f:Thing),
  (g:Thing {v: -1}),
  (h {name: 'nolabel'}),
  (i:A:B:C {k: true}),
  (j:A {k: false, f: 0.0}),
  (k:B {s: ''}),
  (l:C {big: 9223372036854775807}),
  (a)-[:KNOWS {since: 2001}]->(b),
  (b)-[:KNOWS]->(c),
  (c)-[:KNOWS {w: 0.5}]->(a),
  (a)-[:LIVES_IN]->(d),
  (b)-[:LIVES_IN]->(e),
  (c)-[:LIVES_IN]->(d),
  (f)-[:R]->(g),
  (g)-[:R]->(f),
  (i)-[:T]->(i),
  (j)-[:T]->(k),
  (k)-[:T {n: 1}]->(l),
  (l)-[:R]->(a)`;

// ---------------------------------------------------------------------------------------------
// The grammar.

const labelArb = fc.constantFrom('Person', 'City', 'Admin', 'A', 'B', 'C', 'Thing', 'Missing', '`odd label`');
const relTypeArb = fc.constantFrom('KNOWS', 'LIVES_IN', 'R', 'T', 'NONE');
const keyArb = fc.constantFrom('name', 'age', 'k', 'v', 'tags', 'score', 'big', 'missing', '`a b`');
const varArb = fc.constantFrom('n', 'm', 'r', 'p', 'x', 'a', 'b');

const stringLitArb = fc.oneof(
  fc.constantFrom("'Ada'", "''", "'it\\'s'", "'\\u00e9\\n\\t'", '"dq"', "'London'"),
  fc.string({ maxLength: 8 }).map((s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`),
);
const numberLitArb = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.constantFrom(
    '0',
    '9223372036854775807',
    '-9223372036854775808',
    '9223372036854775808',
    '0x7FFFFFFFFFFFFFFF',
    '0o17',
    '1.5',
    '-0.0',
    '1e308',
    '1e309',
    '.5',
    '3.14159',
    '2E-3',
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (/[.e]/.test(String(d)) ? String(d) : `${String(d)}.0`)),
);
const atomArb = fc.oneof(
  { weight: 3, arbitrary: numberLitArb },
  { weight: 2, arbitrary: stringLitArb },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null', '$p', '$s', '$l', '$missing', '[]', '{}') },
  { weight: 3, arbitrary: varArb },
  { weight: 3, arbitrary: fc.tuple(varArb, keyArb).map(([v, k]) => `${v}.${k}`) },
);

const binOps = ['+', '-', '*', '/', '%', '^', '=', '<>', '<', '>', '<=', '>=', 'AND', 'OR', 'XOR', 'IN', 'STARTS WITH', 'ENDS WITH', 'CONTAINS', '=~'];
const functions1 = ['size', 'toUpper', 'toLower', 'abs', 'head', 'last', 'tail', 'keys', 'labels', 'type', 'id', 'properties', 'toString', 'toInteger', 'toFloat', 'toBoolean', 'sqrt', 'sign', 'reverse', 'nodes', 'relationships', 'length', 'trim', 'exists'];
const aggregates = ['count', 'sum', 'avg', 'min', 'max', 'collect', 'stDev', 'percentileDisc'];

const { expr: exprArb } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'xsmall', withCrossShrink: true },
    { weight: 6, arbitrary: atomArb },
    { weight: 3, arbitrary: fc.tuple(tie('expr'), fc.constantFrom(...binOps), tie('expr')).map(([a, op, b]) => `${a} ${op} ${b}`) },
    { weight: 1, arbitrary: tie('expr').map((e) => `(${e})`) },
    { weight: 1, arbitrary: tie('expr').map((e) => `-${e}`) },
    { weight: 1, arbitrary: tie('expr').map((e) => `NOT ${e}`) },
    { weight: 1, arbitrary: tie('expr').map((e) => `${e} IS NULL`) },
    { weight: 1, arbitrary: tie('expr').map((e) => `${e} IS NOT NULL`) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...functions1), tie('expr')).map(([f, e]) => `${f}(${e})`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...aggregates), fc.boolean(), tie('expr')).map(([f, d, e]) => `${f}(${d ? 'DISTINCT ' : ''}${e})`) },
    { weight: 1, arbitrary: fc.constant('count(*)') },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `coalesce(${a}, ${b})`) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: -5, max: 20 }), fc.integer({ min: -5, max: 20 }), fc.integer({ min: -3, max: 3 })).map(([a, b, s]) => `range(${a}, ${b}, ${s})`) },
    { weight: 2, arbitrary: fc.array(tie('expr'), { maxLength: 4 }).map((items) => `[${items.join(', ')}]`) },
    { weight: 1, arbitrary: fc.array(fc.tuple(keyArb, tie('expr')), { maxLength: 3 }).map((es) => `{${es.map(([k, v]) => `${k}: ${v}`).join(', ')}}`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr')).map(([l, i]) => `${l}[${i}]`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), fc.option(tie('expr')), fc.option(tie('expr'))).map(([l, a, b]) => `${l}[${a ?? ''}..${b ?? ''}]`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, a, b]) => `CASE WHEN ${c} THEN ${a} ELSE ${b} END`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([s, w, t]) => `CASE ${s} WHEN ${w} THEN ${t} END`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([l, w, m]) => `[x IN ${l} WHERE ${w} | ${m}]`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('all', 'any', 'none', 'single'), tie('expr'), tie('expr')).map(([q, l, w]) => `${q}(x IN ${l} WHERE ${w})`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr')).map(([l, e]) => `reduce(acc = 0, x IN ${l} | acc + ${e})`) },
    { weight: 1, arbitrary: fc.tuple(varArb, keyArb).map(([v, k]) => `${v}{.${k}, .*}`) },
    { weight: 1, arbitrary: fc.tuple(varArb, labelArb).map(([v, l]) => `${v}:${l}`) },
  ),
}));

const nodePatArb = fc
  .tuple(fc.option(varArb), fc.array(labelArb, { maxLength: 2 }), fc.option(fc.tuple(keyArb, atomArb)))
  .map(([v, ls, p]) => `(${v ?? ''}${ls.map((l) => `:${l}`).join('')}${p === null ? '' : ` {${p[0]}: ${p[1]}}`})`);
const relPatArb = fc
  .tuple(
    fc.option(varArb),
    fc.array(relTypeArb, { maxLength: 2 }),
    fc.option(fc.constantFrom('*', '*1..2', '*0..1', '*2', '*..3', '*3..1')),
    fc.constantFrom('-', '->', '<-'),
  )
  .map(([v, ts, len, dir]) => {
    const body = `[${v ?? ''}${ts.length > 0 ? `:${ts.join('|')}` : ''}${len ?? ''}]`;
    return dir === '->' ? `-${body}->` : dir === '<-' ? `<-${body}-` : `-${body}-`;
  });
const patternArb = fc
  .tuple(fc.option(fc.constant('p = ')), nodePatArb, fc.array(fc.tuple(relPatArb, nodePatArb), { maxLength: 2 }))
  .map(([pv, first, rest]) => `${pv ?? ''}${first}${rest.map(([r, n]) => `${r}${n}`).join('')}`);

const returnItemsArb = fc
  .array(fc.tuple(exprArb, fc.option(varArb)), { minLength: 1, maxLength: 3 })
  .map((items) => items.map(([e, alias]) => (alias === null ? e : `${e} AS ${alias}`)).join(', '));
const orderSkipLimitArb = fc
  .tuple(fc.option(exprArb), fc.option(fc.constantFrom('0', '1', '2', '-1', '$p', '1.5', "'x'")), fc.option(fc.constantFrom('0', '3', '-1', '$p', 'null')))
  .map(([o, s, l]) => `${o === null ? '' : ` ORDER BY ${o} DESC`}${s === null ? '' : ` SKIP ${s}`}${l === null ? '' : ` LIMIT ${l}`}`);

const readingClauseArb = fc.oneof(
  fc.tuple(fc.boolean(), patternArb, fc.option(exprArb)).map(([opt, p, w]) => `${opt ? 'OPTIONAL ' : ''}MATCH ${p}${w === null ? '' : ` WHERE ${w}`}`),
  fc.tuple(exprArb, varArb).map(([e, v]) => `UNWIND ${e} AS ${v}`),
  fc.tuple(fc.boolean(), returnItemsArb, orderSkipLimitArb, fc.option(exprArb)).map(([d, items, osl, w]) => `WITH ${d ? 'DISTINCT ' : ''}${items}${osl}${w === null ? '' : ` WHERE ${w}`}`),
  fc.constantFrom('CALL db.labels() YIELD label', 'CALL db.relationshipTypes()', 'CALL nope.nothing()', 'WITH *'),
);
const writingClauseArb = fc.oneof(
  patternArb.map((p) => `CREATE ${p}`),
  fc.tuple(patternArb, fc.option(fc.tuple(varArb, keyArb, exprArb))).map(([p, s]) => `MERGE ${p}${s === null ? '' : ` ON CREATE SET ${s[0]}.${s[1]} = ${s[2]}`}`),
  fc.tuple(varArb, keyArb, exprArb).map(([v, k, e]) => `SET ${v}.${k} = ${e}`),
  fc.tuple(varArb, exprArb).map(([v, e]) => `SET ${v} += ${e}`),
  fc.tuple(varArb, labelArb).map(([v, l]) => `SET ${v}:${l}`),
  fc.tuple(varArb, keyArb).map(([v, k]) => `REMOVE ${v}.${k}`),
  fc.tuple(fc.boolean(), varArb).map(([d, v]) => `${d ? 'DETACH ' : ''}DELETE ${v}`),
);
/** Clauses that bind the grammar's variables, so that many generated queries get past semantic checks. */
const bindingArb = fc.constantFrom(
  'MATCH (n)',
  'MATCH (n:Person)',
  'MATCH (n)-[r]->(m)',
  'MATCH (a:Person)-[r:KNOWS]->(b)',
  'MATCH p = (a)-[r]->(b)',
  'MATCH (n), (m)',
  'OPTIONAL MATCH (n:Missing)',
  'UNWIND [1, 2.5, null, \'s\', [1], {k: 1}] AS x',
  'MATCH (n) WITH n, n.age AS x',
  'MATCH p = (a)-[r*1..2]->(b) WITH a, b, p, r, a AS n, b AS m, 1 AS x',
);
const singleQueryArb = fc
  .tuple(
    fc.option(bindingArb, { freq: 3 }),
    fc.array(fc.oneof({ weight: 3, arbitrary: readingClauseArb }, { weight: 1, arbitrary: writingClauseArb }), { minLength: 0, maxLength: 3 }),
    fc.option(fc.tuple(fc.boolean(), returnItemsArb, orderSkipLimitArb), { freq: 8 }),
  )
  .map(([binding, clauses, ret]) => [...(binding === null ? [] : [binding]), ...clauses, ...(ret === null ? [] : [`RETURN ${ret[0] ? 'DISTINCT ' : ''}${ret[1]}${ret[2]}`])].join(' '));
const grammarQueryArb = fc.oneof(
  { weight: 8, arbitrary: singleQueryArb },
  { weight: 1, arbitrary: fc.tuple(singleQueryArb, fc.boolean(), singleQueryArb).map(([a, all, b]) => `${a} UNION ${all ? 'ALL ' : ''}${b}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('EXPLAIN ', 'PROFILE ', ''), singleQueryArb).map(([p, q]) => `${p}${q}`) },
);

// ---------------------------------------------------------------------------------------------
// A scope-aware grammar: variables are bound before use and expressions are mostly well typed, so
// that a good share of these queries get past the checks and exercise the executor.

/** What a binding prefix puts in scope. */
interface Scope {
  readonly nodes: readonly string[];
  readonly rels: readonly string[];
  readonly nums: readonly string[];
}

const SCOPES: readonly (readonly [string, Scope])[] = [
  ['', { nodes: [], rels: [], nums: [] }],
  ['MATCH (n)', { nodes: ['n'], rels: [], nums: [] }],
  ['MATCH (n:Person)', { nodes: ['n'], rels: [], nums: [] }],
  ['MATCH (n)-[r]->(m)', { nodes: ['n', 'm'], rels: ['r'], nums: [] }],
  ['MATCH (n:Person)-[r:KNOWS]-(m)', { nodes: ['n', 'm'], rels: ['r'], nums: [] }],
  ['MATCH (n) OPTIONAL MATCH (n)-[r:LIVES_IN]->(m)', { nodes: ['n', 'm'], rels: ['r'], nums: [] }],
  ['MATCH (n)-[:KNOWS*1..2]->(m)', { nodes: ['n', 'm'], rels: [], nums: [] }],
  ['UNWIND range(1, 5) AS x', { nodes: [], rels: [], nums: ['x'] }],
  ['MATCH (n) UNWIND [1, 2] AS x', { nodes: ['n'], rels: [], nums: ['x'] }],
  ['MATCH (n) WITH n, coalesce(n.age, 0) AS x', { nodes: ['n'], rels: [], nums: ['x'] }],
];

function typedQueryArb(prefix: string, scope: Scope): fc.Arbitrary<string> {
  const props = fc.constantFrom('name', 'age', 'k', 'v', 'score', 'missing');
  const nodeVar = scope.nodes.length > 0 ? fc.constantFrom(...scope.nodes) : undefined;
  const entity = scope.nodes.length + scope.rels.length > 0 ? fc.constantFrom(...scope.nodes, ...scope.rels) : undefined;
  const numAtoms: fc.Arbitrary<string>[] = [
    fc.integer({ min: -20, max: 20 }).map(String),
    fc.constantFrom('0.5', '-1.5', '1e3', '$p', '9223372036854775807'),
  ];
  if (scope.nums.length > 0) numAtoms.push(fc.constantFrom(...scope.nums));
  if (entity !== undefined) numAtoms.push(fc.tuple(entity, fc.constantFrom('age', 'v', 'score', 'since')).map(([v, k]) => `${v}.${k}`));
  const strAtoms: fc.Arbitrary<string>[] = [fc.constantFrom("'a'", "'Ada'", "''", '$s', "'é'")];
  if (entity !== undefined) strAtoms.push(fc.tuple(entity, fc.constant('name')).map(([v, k]) => `${v}.${k}`));
  const { num, str, bool, list, any } = fc.letrec<{ num: string; str: string; bool: string; list: string; any: string }>((tie) => ({
    num: fc.oneof(
      { depthSize: 'xsmall' },
      { weight: 5, arbitrary: fc.oneof(...numAtoms) },
      { weight: 2, arbitrary: fc.tuple(tie('num'), fc.constantFrom('+', '-', '*', '/', '%', '^'), tie('num')).map(([a, op, b]) => `(${a} ${op} ${b})`) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('abs', 'toInteger', 'toFloat', 'sign', 'round', 'floor'), tie('num')).map(([f, a]) => `${f}(${a})`) },
      { weight: 1, arbitrary: tie('list').map((l) => `size(${l})`) },
      { weight: 1, arbitrary: tie('str').map((x) => `size(${x})`) },
      { weight: 1, arbitrary: fc.tuple(tie('bool'), tie('num'), tie('num')).map(([c, a, b]) => `CASE WHEN ${c} THEN ${a} ELSE ${b} END`) },
      { weight: 1, arbitrary: fc.tuple(tie('list'), tie('num')).map(([l, i]) => `${l}[${i}]`) },
      { weight: 1, arbitrary: tie('list').map((l) => `reduce(acc = 0, y IN ${l} | acc + y)`) },
    ),
    str: fc.oneof(
      { depthSize: 'xsmall' },
      { weight: 5, arbitrary: fc.oneof(...strAtoms) },
      { weight: 1, arbitrary: fc.tuple(tie('str'), tie('str')).map(([a, b]) => `${a} + ${b}`) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('toUpper', 'toLower', 'trim', 'reverse', 'toString'), tie('str')).map(([f, a]) => `${f}(${a})`) },
      { weight: 1, arbitrary: fc.tuple(tie('str'), tie('num')).map(([a, n]) => `substring(${a}, 0, ${n})`) },
      { weight: 1, arbitrary: tie('num').map((n) => `toString(${n})`) },
    ),
    bool: fc.oneof(
      { depthSize: 'xsmall' },
      { weight: 3, arbitrary: fc.tuple(tie('num'), fc.constantFrom('<', '<=', '=', '<>', '>', '>='), tie('num')).map(([a, op, b]) => `${a} ${op} ${b}`) },
      { weight: 1, arbitrary: fc.tuple(tie('str'), fc.constantFrom('STARTS WITH', 'ENDS WITH', 'CONTAINS', '=', '<'), tie('str')).map(([a, op, b]) => `${a} ${op} ${b}`) },
      { weight: 1, arbitrary: fc.tuple(tie('bool'), fc.constantFrom('AND', 'OR', 'XOR'), tie('bool')).map(([a, op, b]) => `(${a} ${op} ${b})`) },
      { weight: 1, arbitrary: tie('bool').map((b) => `NOT ${b}`) },
      { weight: 1, arbitrary: tie('any').map((a) => `${a} IS NULL`) },
      { weight: 1, arbitrary: fc.tuple(tie('num'), tie('list')).map(([a, l]) => `${a} IN ${l}`) },
      { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null') },
      ...(nodeVar === undefined ? [] : [{ weight: 1, arbitrary: fc.tuple(nodeVar, labelArb).map(([v, l]) => `${v}:${l}`) }]),
    ),
    list: fc.oneof(
      { depthSize: 'xsmall' },
      { weight: 3, arbitrary: fc.array(tie('num'), { maxLength: 4 }).map((xs) => `[${xs.join(', ')}]`) },
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: -3, max: 6 }), fc.integer({ min: -3, max: 6 })).map(([a, b]) => `range(${a}, ${b})`) },
      { weight: 1, arbitrary: fc.tuple(tie('list'), tie('bool')).map(([l, w]) => `[y IN ${l} WHERE ${w.replace(/\bx\b/g, 'y')} | y * 2]`) },
      { weight: 1, arbitrary: fc.tuple(tie('list'), tie('num'), tie('num')).map(([l, a, b]) => `${l}[${a}..${b}]`) },
      { weight: 1, arbitrary: fc.tuple(tie('list'), tie('list')).map(([a, b]) => `${a} + ${b}`) },
      { weight: 1, arbitrary: fc.constantFrom('$l', '[]', "['a', 'b']", '[[1], [2, 3]]') },
      ...(nodeVar === undefined ? [] : [{ weight: 1, arbitrary: nodeVar.map((v) => `keys(${v})`) }, { weight: 1, arbitrary: nodeVar.map((v) => `labels(${v})`) }]),
    ),
    any: fc.oneof(
      { depthSize: 'xsmall' },
      tie('num'),
      tie('str'),
      tie('bool'),
      tie('list'),
      fc.tuple(tie('num'), tie('str')).map(([a, b]) => `{a: ${a}, b: ${b}}`),
      ...(entity === undefined ? [] : [entity, entity.map((v) => `properties(${v})`)]),
    ),
  }));
  const aggregate = fc.tuple(fc.constantFrom('count', 'sum', 'avg', 'min', 'max', 'collect'), fc.boolean(), num).map(([f, d, e]) => `${f}(${d ? 'DISTINCT ' : ''}${e})`);
  const item = fc.oneof({ weight: 4, arbitrary: any }, { weight: 1, arbitrary: aggregate }, { weight: 1, arbitrary: fc.constant('count(*)') });
  const items = fc.array(item, { minLength: 1, maxLength: 3 }).map((xs) => xs.map((e, i) => `${e} AS c${i}`));
  const writes: fc.Arbitrary<string>[] = [fc.tuple(props, num).map(([k, v]) => `CREATE (:Fuzz {${k}: ${v}})`)];
  if (nodeVar !== undefined) {
    writes.push(fc.tuple(nodeVar, props, any).map(([v, k, e]) => `SET ${v}.${k} = ${e}`));
    writes.push(fc.tuple(nodeVar, labelArb).map(([v, l]) => `SET ${v}:${l}`));
    writes.push(fc.tuple(nodeVar, props).map(([v, k]) => `REMOVE ${v}.${k}`));
    writes.push(fc.tuple(nodeVar, relTypeArb, nodeVar).map(([a, t, b]) => `CREATE (${a})-[:${t} {w: 1}]->(${b})`));
    writes.push(fc.tuple(nodeVar, props, num).map(([v, k, e]) => `MERGE (:Fuzz {${k}: ${e}})`));
    writes.push(nodeVar.map((v) => `DETACH DELETE ${v}`));
  }
  return fc
    .tuple(
      fc.option(bool, { freq: 2 }),
      fc.option(fc.oneof(...writes), { freq: 3 }),
      fc.boolean(),
      items,
      fc.option(fc.integer({ min: 0, max: 3 })),
      fc.option(fc.integer({ min: 0, max: 5 })),
    )
    .map(([where, write, distinct, its, skip, limit]) => {
      const parts: string[] = prefix === '' ? [] : [prefix];
      if (where !== null) parts.push(prefix === '' ? `WITH 1 AS one WHERE ${where}` : `WITH * WHERE ${where}`);
      if (write !== null) parts.push(write);
      const orderBy = its.length > 0 && skip !== null ? ' ORDER BY c0' : '';
      parts.push(`RETURN ${distinct ? 'DISTINCT ' : ''}${its.join(', ')}${orderBy}${skip === null ? '' : ` SKIP ${skip}`}${limit === null ? '' : ` LIMIT ${limit}`}`);
      return parts.join(' ');
    });
}

const validishQueryArb = fc.constantFrom(...SCOPES).chain(([prefix, scope]) => typedQueryArb(prefix, scope));

// ---------------------------------------------------------------------------------------------
// Mutations.

const TOKENS = ['(', ')', '[', ']', '{', '}', ',', ':', '.', '..', '-', '->', '<-', '*', '|', '=', '$', '`', "'", '"', 'MATCH', 'RETURN', 'WITH', 'WHERE', 'CREATE', 'DELETE', 'UNWIND', 'AS', 'NOT', 'NULL', 'CASE', 'END', 'ORDER BY', 'LIMIT', '/*', '//', '\\', '\n', '\u0000'];

function tokenize(q: string): string[] {
  return q.match(/\s+|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|'(?:[^'\\]|\\.)*'|./gsu) ?? [];
}

type Mutation =
  | { kind: 'deleteChars'; at: number; len: number }
  | { kind: 'insertText'; at: number; text: string }
  | { kind: 'deleteToken'; at: number }
  | { kind: 'insertToken'; at: number; token: string }
  | { kind: 'swapTokens'; a: number; b: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'nest'; depth: number }
  | { kind: 'hugeNumber'; at: number; digits: number };

const fractionArb = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deleteChars' as const), at: fractionArb, len: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 3, arbitrary: fc.record({
    kind: fc.constant('insertText' as const),
    at: fractionArb,
    text: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 4 }), fc.string({ maxLength: 4 })),
  }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deleteToken' as const), at: fractionArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('insertToken' as const), at: fractionArb, token: fc.constantFrom(...TOKENS) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('swapTokens' as const), a: fractionArb, b: fractionArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fractionArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nest' as const), depth: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constantFrom(1_000, 5_000, 20_000)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hugeNumber' as const), at: fractionArb, digits: fc.oneof(fc.integer({ min: 19, max: 40 }), fc.constant(400)) }) },
);

function applyMutation(q: string, m: Mutation): string {
  const pos = (f: number, n: number): number => Math.min(Math.floor(f * (n + 1)), n);
  switch (m.kind) {
    case 'deleteChars': {
      const at = pos(m.at, q.length);
      return q.slice(0, at) + q.slice(at + m.len);
    }
    case 'insertText': {
      const at = pos(m.at, q.length);
      return q.slice(0, at) + m.text + q.slice(at);
    }
    case 'truncate':
      return q.slice(0, pos(m.at, q.length));
    case 'nest': {
      // Wrap an expression in deep parentheses (or a deep list), inside a RETURN.
      const inner = m.depth % 2 === 0 ? `${'('.repeat(m.depth)}1${')'.repeat(m.depth)}` : `${'['.repeat(m.depth)}${']'.repeat(m.depth)}`;
      return /RETURN /.test(q) ? q.replace(/RETURN /, `RETURN ${inner} AS deep, `) : `RETURN ${inner}`;
    }
    case 'hugeNumber': {
      const at = pos(m.at, q.length);
      return `${q.slice(0, at)} ${'9'.repeat(m.digits)} ${q.slice(at)}`;
    }
    default:
      break;
  }
  const tokens = tokenize(q);
  switch (m.kind) {
    case 'deleteToken':
      tokens.splice(pos(m.at, tokens.length - 1), 1);
      break;
    case 'insertToken':
      tokens.splice(pos(m.at, tokens.length), 0, ` ${m.token} `);
      break;
    case 'swapTokens': {
      const a = pos(m.a, tokens.length - 1);
      const b = pos(m.b, tokens.length - 1);
      const t = tokens[a]!;
      tokens[a] = tokens[b]!;
      tokens[b] = t;
      break;
    }
  }
  return tokens.join('');
}

const mutatedQueryArb = fc
  .tuple(fc.oneof(grammarQueryArb, validishQueryArb), fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
  .map(([q, ms]) => ms.reduce(applyMutation, q));

// ---------------------------------------------------------------------------------------------
// The worker and its watchdog.

/**
 * Worker source (an ES module written to a temporary file: tsx's loader, which the engine's
 * TypeScript needs, does not reach `eval` workers).
 */
const WORKER_SOURCE = `
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
const describe = (e) => {
  if (e instanceof Error) return { name: e.name, code: e.code, message: String(e.message).slice(0, 300), stack: String(e.stack || '').split('\\n').slice(0, 6).join('\\n') };
  return { name: typeof e, message: String(e).slice(0, 300), stack: '' };
};
await (async () => {
  let engine;
  try {
    engine = await import(pathToFileURL(workerData.engine).href);
  } catch (e) {
    parentPort.postMessage({ type: 'fatal', what: 'engine failed to load', error: describe(e) });
    return;
  }
  const { openGeode, isGeodeError } = engine;
  const current = new Int32Array(workerData.shared, 0, 1);
  const started = new Float64Array(workerData.shared, 8, 1);
  const params = { p: 1n, s: 'Ada', l: [1n, 2n, 3n], m: { k: 'v' } };
  let db;
  const fresh = async () => {
    db = await openGeode({ storage: 'memory' });
    await db.query(workerData.setup);
  };
  try {
    await fresh();
  } catch (e) {
    parentPort.postMessage({ type: 'fatal', what: 'setup query failed', error: describe(e) });
    return;
  }
  const queries = workerData.queries;
  let ok = 0, refused = 0, since = 0, maxMs = 0;
  for (let i = workerData.from; i < queries.length; i++) {
    if (++since > workerData.resetEvery || db.graph.nodeCount > workerData.maxNodes || db.graph.edgeCount > 2 * workerData.maxNodes) {
      since = 0;
      try { await fresh(); } catch (e) {
        parentPort.postMessage({ type: 'fatal', what: 'setup query failed', error: describe(e) });
        return;
      }
    }
    Atomics.store(current, 0, i);
    started[0] = Date.now();
    const t0 = performance.now();
    try {
      await db.query(queries[i], params);
      ok++;
    } catch (e) {
      if (isGeodeError(e)) refused++;
      else parentPort.postMessage({ type: 'failure', index: i, error: describe(e) });
    }
    const ms = performance.now() - t0;
    if (ms > maxMs) maxMs = ms;
    if (ms > workerData.limitMs) parentPort.postMessage({ type: 'slow', index: i, ms });
  }
  started[0] = 0;
  parentPort.postMessage({ type: 'done', ok, refused, maxMs });
})();
`;

interface ErrorInfo {
  name: string;
  code?: string;
  message: string;
  stack: string;
}

type WorkerMessage =
  | { type: 'fatal'; what: string; error: ErrorInfo }
  | { type: 'failure'; index: number; error: ErrorInfo }
  | { type: 'slow'; index: number; ms: number }
  | { type: 'done'; ok: number; refused: number; maxMs: number };

interface FuzzFailure {
  readonly index: number;
  readonly category: string;
  readonly detail: string;
}

interface FuzzOutcome {
  readonly failures: FuzzFailure[];
  readonly fatal: string | undefined;
  readonly ok: number;
  readonly refused: number;
  readonly maxMs: number;
}

/** Runs queries[from..] in a worker; resolves when it finishes, dies, or a query overruns. */
function runWorker(
  workerFile: string,
  queries: readonly string[],
  from: number,
  deadline: number,
): Promise<{ messages: WorkerMessage[]; stoppedAt: number | undefined; reason: string | undefined }> {
  const shared = new SharedArrayBuffer(16);
  const current = new Int32Array(shared, 0, 1);
  const started = new Float64Array(shared, 8, 1);
  current[0] = from;
  const worker = new Worker(workerFile, {
    execArgv: ['--import', 'tsx'],
    workerData: { engine: ENGINE, setup: SETUP, queries, from, shared, limitMs: QUERY_TIME_LIMIT_MS, resetEvery: RESET_EVERY, maxNodes: MAX_NODES },
    resourceLimits: { maxOldGenerationSizeMb: 1024 },
  });
  const messages: WorkerMessage[] = [];
  return new Promise((resolve) => {
    let settled = false;
    const finish = (stoppedAt: number | undefined, reason: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      void worker.terminate();
      resolve({ messages, stoppedAt, reason });
    };
    const watchdog = setInterval(() => {
      const t = started[0]!;
      const now = Date.now();
      if (t > 0 && now - t > QUERY_TIME_LIMIT_MS) finish(Atomics.load(current, 0), `still running after ${now - t} ms`);
      else if (now > deadline) finish(Atomics.load(current, 0), 'total time budget exhausted');
    }, 50);
    worker.on('message', (msg: WorkerMessage) => {
      messages.push(msg);
      if (msg.type === 'done' || msg.type === 'fatal') finish(undefined, undefined);
    });
    worker.on('error', (err) => finish(Atomics.load(current, 0), `worker died: ${err.name}: ${err.message}`));
    worker.on('exit', (code) => finish(Atomics.load(current, 0), `worker exited (${code})`));
  });
}

function categoryOf(e: ErrorInfo): string {
  const message = e.message
    .replace(/'[^']*'|"[^"]*"|`[^`]*`/g, '…')
    .replace(/\d+/g, 'N')
    .slice(0, 80);
  return `${e.name}: ${message}`;
}

async function fuzz(queries: readonly string[]): Promise<FuzzOutcome> {
  const deadline = Date.now() + TOTAL_TIME_LIMIT_MS;
  const dir = mkdtempSync(join(tmpdir(), 'geode-fuzz-'));
  const workerFile = join(dir, 'fuzz-worker.mjs');
  writeFileSync(workerFile, WORKER_SOURCE);
  try {
    return await fuzzIn(workerFile, queries, deadline);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fuzzIn(workerFile: string, queries: readonly string[], deadline: number): Promise<FuzzOutcome> {
  const failures: FuzzFailure[] = [];
  let ok = 0;
  let refused = 0;
  let maxMs = 0;
  let from = 0;
  let hangs = 0;
  while (from < queries.length) {
    const run = await runWorker(workerFile, queries, from, deadline);
    for (const msg of run.messages) {
      if (msg.type === 'fatal') return { failures, fatal: `${msg.what}: ${msg.error.stack || msg.error.message}`, ok, refused, maxMs };
      if (msg.type === 'failure') failures.push({ index: msg.index, category: categoryOf(msg.error), detail: msg.error.stack || msg.error.message });
      if (msg.type === 'slow') failures.push({ index: msg.index, category: `slow query (> ${QUERY_TIME_LIMIT_MS} ms)`, detail: `${Math.round(msg.ms)} ms` });
      if (msg.type === 'done') {
        ok += msg.ok;
        refused += msg.refused;
        maxMs = Math.max(maxMs, msg.maxMs);
      }
    }
    if (run.stoppedAt === undefined) break;
    const hang = run.reason?.startsWith('still running') === true;
    failures.push({ index: run.stoppedAt, category: hang ? 'hang / slow query' : (run.reason ?? 'stopped'), detail: run.reason ?? '' });
    if (hang) hangs++;
    if (Date.now() > deadline) break;
    if (hangs >= MAX_HANGS) {
      failures.push({ index: run.stoppedAt, category: `stopped after ${MAX_HANGS} hung queries`, detail: `${queries.length - run.stoppedAt - 1} queries not run` });
      break;
    }
    from = run.stoppedAt + 1;
  }
  return { failures, fatal: undefined, ok, refused, maxMs };
}

function clipQuery(q: string): string {
  return q.length <= 300 ? JSON.stringify(q) : `${JSON.stringify(q.slice(0, 300))}… (${q.length} chars)`;
}

describe('fuzzing queries', () => {
  it(
    'every generated or mutated query either succeeds or rejects with a GeodeError, within 2 s',
    async () => {
      console.log(`fuzz seed: ${SEED} (replay with GEODE_FUZZ_SEED=${SEED})`);
      const queries = [
        ...fc.sample(grammarQueryArb, { seed: SEED, numRuns: GRAMMAR_QUERIES }),
        ...fc.sample(validishQueryArb, { seed: SEED + 1, numRuns: VALIDISH_QUERIES }),
        ...fc.sample(mutatedQueryArb, { seed: SEED + 2, numRuns: MUTATED_QUERIES }),
      ];
      expect(queries.length).toBeGreaterThanOrEqual(10_000);
      const started = Date.now();
      const outcome = await fuzz(queries);
      const elapsed = Date.now() - started;
      console.log(
        `fuzz: ${queries.length} queries in ${elapsed} ms; ${outcome.ok} ran, ${outcome.refused} refused with a GeodeError, ` +
          `${outcome.failures.length} failures; slowest ${Math.round(outcome.maxMs)} ms`,
      );
      if (outcome.fatal !== undefined) throw new Error(`fuzz could not run (seed ${SEED}): ${outcome.fatal}`);
      if (outcome.failures.length > 0) {
        const byCategory = new Map<string, FuzzFailure[]>();
        for (const f of outcome.failures) byCategory.set(f.category, [...(byCategory.get(f.category) ?? []), f]);
        const lines = [`${outcome.failures.length} queries failed (seed ${SEED}), ${byCategory.size} categories:`];
        for (const [category, list] of [...byCategory].sort((a, b) => b[1].length - a[1].length)) {
          const first = list[0]!;
          lines.push(`\n[${list.length}×] ${category}\n  query: ${clipQuery(queries[first.index]!)}\n  ${first.detail.split('\n').join('\n  ')}`);
        }
        const text = lines.join('\n');
        console.log(text);
        expect.fail(text);
      }
      expect(elapsed).toBeLessThan(TOTAL_TIME_LIMIT_MS);
    },
    TOTAL_TIME_LIMIT_MS + 20_000,
  );
});
