import fc from 'fast-check'; import { openGeode, isGeodeError } from '../../src/index.ts';
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
const qs = fc.sample(validishQueryArb, { seed: 7, numRuns: 3000 });
const db = await openGeode(); await db.query(SETUP);
const tally = new Map<string, number>(); let ok = 0;
const ex = new Map<string, string>();
for (const q of qs) { try { await db.query(q, { p: 1n, s: 'Ada', l: [1n], m: {} }); ok++; } catch (e: any) { const k = `${e.code} ${e.detail} ${String(e.message).split('(line')[0].replace(/'[^']*'/g, "'…'").slice(0, 70)}`; tally.set(k, (tally.get(k) ?? 0) + 1); if (!ex.has(k)) ex.set(k, q); } }
console.log('ok', ok);
for (const [k, n] of [...tally].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(n, k, '\n    ', ex.get(k)!.slice(0, 160));
