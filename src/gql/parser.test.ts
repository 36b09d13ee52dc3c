import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import type { Clause, Expression, Query, Statement } from './index.ts';
import { parse } from './index.ts';

function query(text: string): Query {
  const s = parse(text);
  if (s.body.kind !== 'Query') throw new Error(`not a query: ${s.body.kind}`);
  return s.body;
}
function clauses(text: string): readonly Clause[] {
  const q = query(text);
  const part = q.parts[0];
  if (part === undefined) throw new Error('no part');
  return part.clauses;
}
function clause(text: string, index = 0): Clause {
  const c = clauses(text)[index];
  if (c === undefined) throw new Error(`no clause ${index}`);
  return c;
}
/** The expression of `RETURN <text>`. */
function expr(text: string): Expression {
  const c = clause(`RETURN ${text}`);
  if (c.kind !== 'Return') throw new Error('not RETURN');
  const item = c.projection.items[0];
  if (item === undefined) throw new Error('no item');
  return item.expression;
}
/** The WHERE expression of `MATCH (n) WHERE <text> RETURN n`. */
function where(text: string): Expression {
  const c = clause(`MATCH (n) WHERE ${text} RETURN n`);
  if (c.kind !== 'Match' || c.where === undefined) throw new Error('no WHERE');
  return c.where;
}
function syntaxError(text: string): { detail: string | undefined; message: string; line: number; column: number } {
  try {
    parse(text);
  } catch (err) {
    if (!isGeodeError(err, 'GQL_SYNTAX')) throw err;
    return { detail: err.detail, message: err.message, line: err.position?.line ?? 0, column: err.position?.column ?? 0 };
  }
  throw new Error(`parsed: ${text}`);
}

const lit = (value: unknown): object => ({ kind: 'Literal', value });
const v = (name: string): object => ({ kind: 'Variable', name });

describe('statements', () => {
  it('EXPLAIN and PROFILE set their flags and a trailing semicolon is accepted', () => {
    expect(parse('EXPLAIN MATCH (n) RETURN n;')).toMatchObject({ kind: 'Statement', explain: true, profile: false });
    expect(parse('profile RETURN 1')).toMatchObject({ explain: false, profile: true });
  });

  it('keywords are case-insensitive and identifiers keep their case', () => {
    expect(clause('match (Person:Person) return Person')).toMatchObject({
      kind: 'Match',
      patterns: [{ elements: [{ variable: 'Person', labels: { kind: 'LabelName', name: 'Person' } }] }],
    });
  });

  it('UNION and UNION ALL join single queries with a flag per join', () => {
    expect(query('RETURN 1 AS a UNION ALL RETURN 2 AS a UNION RETURN 3 AS a')).toMatchObject({
      parts: [{ clauses: [{ kind: 'Return' }] }, { clauses: [{ kind: 'Return' }] }, { clauses: [{ kind: 'Return' }] }],
      unionAll: [true, false],
    });
  });

  it('comments are ignored', () => {
    expect(clauses('MATCH (n) // the nodes\n/* and\nmore */ RETURN n')).toHaveLength(2);
  });
});

describe('clauses', () => {
  it('MATCH takes comma-separated patterns, OPTIONAL and WHERE', () => {
    expect(clause('OPTIONAL MATCH (a), (b) WHERE a.x = b.x RETURN a')).toMatchObject({
      kind: 'Match',
      optional: true,
      patterns: [{ elements: [{ variable: 'a' }] }, { elements: [{ variable: 'b' }] }],
      where: { kind: 'Comparison', operators: ['='] },
    });
  });

  it('RETURN items keep their exact source text as column name', () => {
    const c = clause('RETURN count(*), n.name,a  +  b , x AS y');
    expect(c).toMatchObject({
      projection: {
        items: [
          { text: 'count(*)', alias: undefined },
          { text: 'n.name' },
          { text: 'a  +  b' },
          { text: 'x', alias: 'y' },
        ],
      },
    });
  });

  it('RETURN supports DISTINCT, *, ORDER BY in every direction spelling, SKIP/OFFSET and LIMIT', () => {
    expect(clause('RETURN DISTINCT *, 1 AS one ORDER BY a, b ASC, c DESC, d DESCENDING, e ASCENDING SKIP 1 LIMIT 2')).toMatchObject({
      projection: {
        distinct: true,
        star: true,
        items: [{ alias: 'one' }],
        orderBy: [
          { descending: false },
          { descending: false },
          { descending: true },
          { descending: true },
          { descending: false },
        ],
        skip: lit(1n),
        limit: lit(2n),
      },
    });
    expect(clause('RETURN n OFFSET 3')).toMatchObject({ projection: { skip: lit(3n) } });
  });

  it('WITH is a projection followed by an optional WHERE', () => {
    expect(clause('WITH a, count(*) AS c ORDER BY c LIMIT 3 WHERE c > 1 RETURN a')).toMatchObject({
      kind: 'With',
      projection: { items: [{ text: 'a' }, { alias: 'c' }], limit: lit(3n) },
      where: { kind: 'Comparison' },
    });
  });

  it('UNWIND and GQL FOR both give an Unwind clause', () => {
    expect(clause('UNWIND [1, 2] AS x RETURN x')).toMatchObject({ kind: 'Unwind', variable: 'x', expression: { kind: 'ListLiteral' } });
    expect(clause('FOR x IN [1, 2] RETURN x')).toMatchObject({ kind: 'Unwind', variable: 'x', expression: { kind: 'ListLiteral' } });
  });

  it('CREATE and INSERT both give a Create clause', () => {
    expect(clause('CREATE (a:A {k: 1})-[:T]->(b), (c)')).toMatchObject({ kind: 'Create', patterns: [{ elements: [{}, {}, {}] }, {}] });
    expect(clause('INSERT (a:A)')).toMatchObject({ kind: 'Create' });
  });

  it('MERGE collects ON CREATE SET and ON MATCH SET in any order, repeated', () => {
    expect(clause('MERGE (n:A {k: 1}) ON MATCH SET n.m = 1 ON CREATE SET n.c = 1, n:B ON MATCH SET n += {x: 1}')).toMatchObject({
      kind: 'Merge',
      pattern: { elements: [{ variable: 'n' }] },
      onCreate: [{ kind: 'SetProperty' }, { kind: 'SetLabels', labels: ['B'] }],
      onMatch: [{ kind: 'SetProperty' }, { kind: 'SetAllProperties', merge: true }],
    });
  });

  it('SET accepts property, replace, merge, labels and parenthesized targets', () => {
    expect(clause('SET n.k = 1, n = {a: 1}, n += $m, n:A:B, (n).x = 2, n.a.b = 3')).toMatchObject({
      kind: 'Set',
      items: [
        { kind: 'SetProperty', target: { kind: 'PropertyAccess', object: v('n'), key: 'k' }, value: lit(1n) },
        { kind: 'SetAllProperties', variable: 'n', merge: false, value: { kind: 'MapLiteral' } },
        { kind: 'SetAllProperties', variable: 'n', merge: true, value: { kind: 'Parameter', name: 'm' } },
        { kind: 'SetLabels', variable: 'n', labels: ['A', 'B'] },
        { kind: 'SetProperty', target: { object: v('n'), key: 'x' } },
        { kind: 'SetProperty', target: { object: { kind: 'PropertyAccess', key: 'a' }, key: 'b' } },
      ],
    });
  });

  it('REMOVE accepts properties and labels', () => {
    expect(clause('REMOVE n.k, n:A:B')).toMatchObject({
      kind: 'Remove',
      items: [
        { kind: 'RemoveProperty', target: { key: 'k' } },
        { kind: 'RemoveLabels', variable: 'n', labels: ['A', 'B'] },
      ],
    });
  });

  it('DELETE, DETACH DELETE and NODETACH DELETE', () => {
    expect(clause('DELETE a, b')).toMatchObject({ kind: 'Delete', detach: false, expressions: [v('a'), v('b')] });
    expect(clause('DETACH DELETE n')).toMatchObject({ kind: 'Delete', detach: true });
    expect(clause('NODETACH DELETE n')).toMatchObject({ kind: 'Delete', detach: false });
  });

  it('CALL with arguments, YIELD with aliases and WHERE; without parentheses; YIELD *', () => {
    expect(clause('CALL db.labels() YIELD label AS l, count WHERE l <> "A" RETURN l')).toMatchObject({
      kind: 'Call',
      procedure: 'db.labels',
      args: [],
      yield: [
        { name: 'label', alias: 'l' },
        { name: 'count', alias: undefined },
      ],
      where: { kind: 'Comparison', operators: ['<>'] },
    });
    expect(clause('CALL test.my.proc')).toMatchObject({ kind: 'Call', procedure: 'test.my.proc', args: undefined, yield: undefined });
    expect(clause("CALL test.proc('a', 1) YIELD *")).toMatchObject({ args: [lit('a'), lit(1n)], yield: '*' });
  });

  it('YIELD * is refused when the CALL is not standalone', () => {
    expect(syntaxError('CALL p() YIELD * RETURN a').detail).toBe('UnexpectedSyntax');
  });

  it('CALL { subquery } holds a whole query, UNION included', () => {
    expect(clause('CALL { MATCH (n) RETURN n UNION RETURN 1 AS n } RETURN n')).toMatchObject({
      kind: 'CallSubquery',
      query: { parts: [{}, {}], unionAll: [false] },
    });
  });

  it('FINISH ends a query', () => {
    expect(clauses('MATCH (n) FINISH')).toMatchObject([{ kind: 'Match' }, { kind: 'Finish' }]);
  });
});

describe('patterns', () => {
  function pattern(text: string): object {
    const c = clause(`MATCH ${text} RETURN 1`);
    if (c.kind !== 'Match') throw new Error('not MATCH');
    return c.patterns[0] as object;
  }

  it('node patterns hold variable, labels, properties and WHERE', () => {
    expect(pattern('(n:A:B {k: 1, `q k`: 2} WHERE n.x > 1)')).toMatchObject({
      elements: [
        {
          kind: 'NodePattern',
          variable: 'n',
          labels: { kind: 'LabelAnd', left: { name: 'A' }, right: { name: 'B' } },
          properties: { kind: 'MapLiteral', entries: [{ key: 'k' }, { key: 'q k' }] },
          where: { kind: 'Comparison' },
        },
      ],
    });
    expect(pattern('($p)')).toMatchObject({ elements: [{ variable: undefined, properties: { kind: 'Parameter', name: 'p' } }] });
    expect(pattern('(n $p)')).toMatchObject({ elements: [{ variable: 'n', properties: { kind: 'Parameter' } }] });
  });

  it('label expressions: & | ! % parentheses and IS', () => {
    expect(pattern('(n:A&B|!C)')).toMatchObject({
      elements: [
        {
          labels: {
            kind: 'LabelOr',
            left: { kind: 'LabelAnd', left: { name: 'A' }, right: { name: 'B' } },
            right: { kind: 'LabelNot', operand: { name: 'C' } },
          },
        },
      ],
    });
    expect(pattern('(n:%)')).toMatchObject({ elements: [{ labels: { kind: 'LabelWildcard' } }] });
    expect(pattern('(n:(A|B)&C)')).toMatchObject({ elements: [{ labels: { kind: 'LabelAnd', left: { kind: 'LabelOr' } } }] });
    expect(pattern('(n IS A)')).toMatchObject({ elements: [{ variable: 'n', labels: { name: 'A' } }] });
  });

  it('relationship directions', () => {
    const dirs = (text: string): unknown[] =>
      (pattern(text) as { elements: { direction?: string }[] }).elements.filter((_, i) => i % 2 === 1).map((e) => e.direction);
    expect(dirs('(a)-->(b)<--(c)--(d)<-->(e)')).toEqual(['out', 'in', 'both', 'both']);
    expect(dirs('(a)-[]->(b)<-[]-(c)-[]-(d)<-[]->(e)')).toEqual(['out', 'in', 'both', 'both']);
  });

  it('relationship detail: variable, type alternatives, properties and WHERE', () => {
    expect(pattern('(a)-[r:T|U|:V {k: 1} WHERE r.w > 0]->(b)')).toMatchObject({
      elements: [
        {},
        {
          kind: 'RelationshipPattern',
          variable: 'r',
          types: { kind: 'LabelOr', left: { kind: 'LabelOr' }, right: { name: 'V' } },
          properties: { kind: 'MapLiteral' },
          where: { kind: 'Comparison' },
          length: undefined,
        },
        {},
      ],
    });
  });

  it('variable length ranges map to min/max', () => {
    const len = (r: string): unknown => (pattern(`(a)-[${r}]->(b)`) as { elements: { length?: unknown }[] }).elements[1]?.length;
    expect(len('*')).toEqual({ min: undefined, max: undefined });
    expect(len('*2')).toEqual({ min: 2, max: 2 });
    expect(len('r:T*1..3')).toEqual({ min: 1, max: 3 });
    expect(len('*..3')).toEqual({ min: undefined, max: 3 });
    expect(len('*2..')).toEqual({ min: 2, max: undefined });
    expect(len('* 0 .. 1')).toEqual({ min: 0, max: 1 });
  });

  it('GQL quantifiers after an edge map to min/max', () => {
    const len = (q: string): unknown => (pattern(`(a)-[:T]->${q}(b)`) as { elements: { length?: unknown }[] }).elements[1]?.length;
    expect(len('{1,3}')).toEqual({ min: 1, max: 3 });
    expect(len('{2}')).toEqual({ min: 2, max: 2 });
    expect(len('{2,}')).toEqual({ min: 2, max: undefined });
    expect(len('{,4}')).toEqual({ min: 0, max: 4 });
    expect(len('+')).toEqual({ min: 1, max: undefined });
    expect(len('*')).toEqual({ min: 0, max: undefined });
  });

  it('path variables and shortest path forms', () => {
    expect(pattern('p = (a)-->(b)')).toMatchObject({ variable: 'p', shortest: undefined, elements: [{}, {}, {}] });
    expect(pattern('p = shortestPath((a)-[*]-(b))')).toMatchObject({ variable: 'p', shortest: 'shortest' });
    expect(pattern('allShortestPaths((a)-[*]-(b))')).toMatchObject({ variable: undefined, shortest: 'allShortest' });
    expect(pattern('p = ANY SHORTEST (a)-[*]-(b)')).toMatchObject({ shortest: 'shortest' });
    expect(pattern('p = ALL SHORTEST (a)-[*]-(b)')).toMatchObject({ shortest: 'allShortest' });
  });

  it('keywords may be labels, types, property keys and map keys', () => {
    expect(pattern('(n:End {end: 1, match: 2})-[:RETURN]->(m:Match)')).toMatchObject({
      elements: [{ labels: { name: 'End' }, properties: { entries: [{ key: 'end' }, { key: 'match' }] } }, { types: { name: 'RETURN' } }, { labels: { name: 'Match' } }],
    });
    expect(expr('n.count + n.end')).toMatchObject({ left: { key: 'count' }, right: { key: 'end' } });
  });
});

describe('expressions', () => {
  it('literals: null, booleans, integers as bigint, floats as number, strings', () => {
    expect(expr('null')).toEqual({ kind: 'Literal', pos: 7, value: null });
    expect(expr('TRUE')).toMatchObject(lit(true));
    expect(expr('false')).toMatchObject(lit(false));
    expect(expr('42')).toMatchObject(lit(42n));
    expect(expr('0x1F')).toMatchObject(lit(31n));
    expect(expr('0o17')).toMatchObject(lit(15n));
    expect(expr('1.5')).toMatchObject(lit(1.5));
    expect(expr('.5')).toMatchObject(lit(0.5));
    expect(expr('1e10')).toMatchObject(lit(1e10));
    expect(expr('1.5e-3')).toMatchObject(lit(1.5e-3));
    expect(expr('1.0')).toMatchObject(lit(1));
    expect(typeof (expr('1.0') as { value: unknown }).value).toBe('number');
  });

  it('int64 bounds: -9223372036854775808 is representable, one past either end overflows', () => {
    expect(expr('-9223372036854775808')).toMatchObject(lit(-9223372036854775808n));
    expect(expr('9223372036854775807')).toMatchObject(lit(9223372036854775807n));
    expect(expr('-0x8000000000000000')).toMatchObject(lit(-(2n ** 63n)));
    expect(syntaxError('RETURN 9223372036854775808').detail).toBe('IntegerOverflow');
    expect(syntaxError('RETURN -9223372036854775809').detail).toBe('IntegerOverflow');
    expect(syntaxError('RETURN 0x8000000000000000').detail).toBe('IntegerOverflow');
  });

  it('malformed numbers are InvalidNumberLiteral', () => {
    for (const q of ['RETURN 1a', 'RETURN 0x', 'RETURN 0x1G', 'RETURN 0o8', 'RETURN 1.5x', 'RETURN 1e']) {
      expect(syntaxError(q).detail, q).toBe('InvalidNumberLiteral');
    }
  });

  it('float literals past the double range are FloatingPointOverflow', () => {
    expect(syntaxError('RETURN 1.34E999').detail).toBe('FloatingPointOverflow');
  });

  it('string escapes are decoded, in single and double quotes', () => {
    expect(expr(String.raw`'a\\b\'c\"d\ne\tf\rg\bh\fi'`)).toMatchObject(lit('a\\b\'c"d\ne\tf\rg\bh\fi'));
    expect(expr(String.raw`"\u00e9\U0001F600"`)).toMatchObject(lit('é😀'));
    expect(expr(`"it's"`)).toMatchObject(lit("it's"));
    expect(syntaxError(String.raw`RETURN '\uH'`).detail).toBe('InvalidUnicodeLiteral');
    expect(syntaxError(String.raw`RETURN '\u12'`).detail).toBe('InvalidUnicodeLiteral');
  });

  it('parameters by name and by number', () => {
    expect(expr('$name')).toMatchObject({ kind: 'Parameter', name: 'name' });
    expect(expr('$0')).toMatchObject({ kind: 'Parameter', name: '0' });
  });

  it('backtick-quoted names with doubled backticks', () => {
    expect(expr('`a``b`')).toMatchObject(v('a`b'));
    expect(expr('`my var`.`my key`')).toMatchObject({ kind: 'PropertyAccess', object: v('my var'), key: 'my key' });
  });

  it('lists, maps and map keys written as strings', () => {
    expect(expr('[1, [2], []]')).toMatchObject({ kind: 'ListLiteral', items: [lit(1n), { kind: 'ListLiteral' }, { kind: 'ListLiteral', items: [] }] });
    expect(expr("{a: 1, 'b c': 2, `d`: 3, null: 4}")).toMatchObject({
      kind: 'MapLiteral',
      entries: [{ key: 'a' }, { key: 'b c' }, { key: 'd' }, { key: 'null' }],
    });
  });

  it('postfix: property, index and slice with either bound', () => {
    expect(expr('a.b[0]')).toMatchObject({ kind: 'IndexAccess', object: { kind: 'PropertyAccess' }, index: lit(0n) });
    expect(expr('l[1..3]')).toMatchObject({ kind: 'SliceAccess', from: lit(1n), to: lit(3n) });
    expect(expr('l[..3]')).toMatchObject({ kind: 'SliceAccess', from: undefined, to: lit(3n) });
    expect(expr('l[1..]')).toMatchObject({ kind: 'SliceAccess', from: lit(1n), to: undefined });
  });

  it('map projection selectors', () => {
    expect(expr('n {.name, .*, k: 1 + 1, other}')).toMatchObject({
      kind: 'MapProjection',
      variable: 'n',
      items: [
        { kind: 'PropertySelector', key: 'name' },
        { kind: 'AllPropertiesSelector' },
        { kind: 'LiteralEntry', key: 'k', value: { kind: 'BinaryOp' } },
        { kind: 'VariableSelector', name: 'other' },
      ],
    });
  });

  it('function calls: count(*), DISTINCT, dotted names keep their case, exists(n.prop)', () => {
    expect(expr('count(*)')).toMatchObject({ kind: 'CountStar' });
    expect(expr('COUNT(DISTINCT n.x)')).toMatchObject({ kind: 'FunctionCall', name: 'COUNT', distinct: true, args: [{ kind: 'PropertyAccess' }] });
    expect(expr('my.ns.Fn(1, 2)')).toMatchObject({ kind: 'FunctionCall', name: 'my.ns.Fn', args: [lit(1n), lit(2n)] });
    expect(expr('exists(n.prop)')).toMatchObject({ kind: 'FunctionCall', name: 'exists' });
    expect(expr('f()')).toMatchObject({ kind: 'FunctionCall', args: [] });
  });

  it('CASE simple and searched', () => {
    expect(expr('CASE x WHEN 1 THEN "a" WHEN 2 THEN "b" ELSE "c" END')).toMatchObject({
      kind: 'Case',
      test: v('x'),
      whens: [{ when: lit(1n), then: lit('a') }, { when: lit(2n) }],
      else: lit('c'),
    });
    expect(expr('CASE WHEN x > 1 THEN 1 END')).toMatchObject({ kind: 'Case', test: undefined, else: undefined, whens: [{ when: { kind: 'Comparison' } }] });
  });

  it('list comprehensions with and without WHERE and |', () => {
    expect(expr('[x IN l WHERE x > 1 | x * 2]')).toMatchObject({ kind: 'ListComprehension', variable: 'x', list: v('l'), where: {}, map: {} });
    expect(expr('[x IN l | x]')).toMatchObject({ kind: 'ListComprehension', where: undefined, map: v('x') });
    expect(expr('[x IN l]')).toMatchObject({ kind: 'ListComprehension', where: undefined, map: undefined });
    expect(expr('[x IN l, 2]')).toMatchObject({ kind: 'ListLiteral', items: [{ kind: 'BinaryOp', op: 'IN' }, lit(2n)] });
    expect(expr('[x IN l WHERE x:A | x]')).toMatchObject({ kind: 'ListComprehension', where: { kind: 'LabelCheck' }, map: v('x') });
    expect(expr('[x IN l WHERE (x)-[:A|B]->(:C|D) | x]')).toMatchObject({
      kind: 'ListComprehension',
      where: { kind: 'PatternPredicate', pattern: { elements: [{}, { types: { kind: 'LabelOr' } }, { labels: { kind: 'LabelOr' } }] } },
      map: v('x'),
    });
  });

  it('pattern comprehensions with a path variable and WHERE', () => {
    expect(expr('[p = (a)-[:T]->(b) WHERE b.x > 1 | b.name]')).toMatchObject({
      kind: 'PatternComprehension',
      pattern: { variable: 'p', elements: [{ variable: 'a' }, { types: { name: 'T' } }, { variable: 'b' }] },
      where: { kind: 'Comparison' },
      map: { kind: 'PropertyAccess' },
    });
    expect(expr('[(a)-->() | 1]')).toMatchObject({ kind: 'PatternComprehension', where: undefined });
  });

  it('quantifiers and reduce', () => {
    expect(expr('all(x IN l WHERE x > 0)')).toMatchObject({ kind: 'Quantifier', quantifier: 'all', variable: 'x', list: v('l') });
    expect(expr('ANY(x IN l WHERE x)')).toMatchObject({ quantifier: 'any' });
    expect(expr('none(x IN l WHERE x)')).toMatchObject({ quantifier: 'none' });
    expect(expr('single(x IN l WHERE x)')).toMatchObject({ quantifier: 'single' });
    expect(expr('reduce(acc = 0, x IN [1, 2] | acc + x)')).toMatchObject({
      kind: 'Reduce',
      accumulator: 'acc',
      init: lit(0n),
      variable: 'x',
      list: { kind: 'ListLiteral' },
      expression: { kind: 'BinaryOp', op: '+' },
    });
  });

  it('pattern predicates in WHERE, under NOT/AND/OR and in exists()', () => {
    expect(where('(n)-[:T]->()')).toMatchObject({ kind: 'PatternPredicate', pattern: { elements: [v('n') && {}, {}, {}] } });
    expect(where('NOT (n)-->() AND (n)<--(:A)')).toMatchObject({
      kind: 'BinaryOp',
      op: 'AND',
      left: { kind: 'UnaryOp', op: 'NOT', operand: { kind: 'PatternPredicate' } },
      right: { kind: 'PatternPredicate' },
    });
    expect(expr('exists((n)-->())')).toMatchObject({ kind: 'FunctionCall', args: [{ kind: 'PatternPredicate' }] });
  });

  it('a parenthesized expression is not mistaken for a pattern', () => {
    expect(expr('(a) - (b)')).toMatchObject({ kind: 'BinaryOp', op: '-', left: v('a'), right: v('b') });
    expect(expr('(a) < -1')).toMatchObject({ kind: 'Comparison', operators: ['<'], operands: [v('a'), lit(-1n)] });
    expect(expr('(n:A)')).toMatchObject({ kind: 'LabelCheck', operand: v('n') });
    expect(expr('(1 + 2) * 3')).toMatchObject({ kind: 'BinaryOp', op: '*', left: { op: '+' } });
  });

  it('a pattern used as a value (outside a predicate position) is UnexpectedSyntax', () => {
    expect(syntaxError('MATCH (n) RETURN (n)-[]->()').detail).toBe('UnexpectedSyntax');
    expect(syntaxError('MATCH (n) RETURN size((n)-->())').detail).toBe('UnexpectedSyntax');
  });

  it('EXISTS and COUNT subqueries, with patterns or a full query', () => {
    expect(where('EXISTS { (n)-->(m) WHERE m.x = 1 }')).toMatchObject({
      kind: 'ExistsSubquery',
      patterns: [{ elements: [{}, {}, {}] }],
      where: { kind: 'Comparison' },
      query: undefined,
    });
    expect(where('EXISTS { MATCH (n)-->(m) RETURN m }')).toMatchObject({ kind: 'ExistsSubquery', patterns: undefined, query: { kind: 'Query' } });
    expect(expr('COUNT { (n)-->() }')).toMatchObject({ kind: 'CountSubquery', patterns: [{}] });
  });

  it('label checks and IS NULL / IS NOT NULL', () => {
    expect(where('n:A:B')).toMatchObject({ kind: 'LabelCheck', operand: v('n'), labels: { kind: 'LabelAnd' } });
    expect(where('n IS A')).toMatchObject({ kind: 'LabelCheck', labels: { name: 'A' } });
    expect(expr('x IS NULL')).toMatchObject({ kind: 'IsNull', negated: false });
    expect(expr('x IS NOT NULL')).toMatchObject({ kind: 'IsNull', negated: true });
  });

  it('string and list predicates', () => {
    expect(expr("a STARTS WITH 'x'")).toMatchObject({ kind: 'BinaryOp', op: 'STARTS WITH' });
    expect(expr("a ENDS WITH 'x'")).toMatchObject({ op: 'ENDS WITH' });
    expect(expr("a CONTAINS 'x'")).toMatchObject({ op: 'CONTAINS' });
    expect(expr("a =~ 'x.*'")).toMatchObject({ op: '=~' });
    expect(expr('a IN [1]')).toMatchObject({ op: 'IN' });
    expect(expr("'a' || 'b'")).toMatchObject({ op: '||' });
  });
});

describe('precedence', () => {
  it('OR < XOR < AND < NOT', () => {
    expect(expr('a OR b XOR c AND d')).toMatchObject({ op: 'OR', right: { op: 'XOR', right: { op: 'AND' } } });
    expect(expr('NOT a AND b')).toMatchObject({ op: 'AND', left: { kind: 'UnaryOp', op: 'NOT' } });
    expect(expr('NOT NOT a')).toMatchObject({ kind: 'UnaryOp', operand: { kind: 'UnaryOp', operand: v('a') } });
  });

  it('NOT binds looser than comparison; comparison chains become one node', () => {
    expect(expr('NOT a = b')).toMatchObject({ kind: 'UnaryOp', op: 'NOT', operand: { kind: 'Comparison' } });
    expect(expr('a < b <= c <> d != e')).toMatchObject({
      kind: 'Comparison',
      operators: ['<', '<=', '<>', '<>'],
      operands: [v('a'), v('b'), v('c'), v('d'), v('e')],
    });
  });

  it('IS NULL and IN bind tighter than comparison, looser than arithmetic', () => {
    expect(expr('false = true IS NULL')).toMatchObject({ kind: 'Comparison', operands: [lit(false), { kind: 'IsNull' }] });
    expect(expr('NOT false IS NULL')).toMatchObject({ kind: 'UnaryOp', operand: { kind: 'IsNull' } });
    expect(expr('[1]+2 IN [3]+4')).toMatchObject({ op: 'IN', left: { op: '+' }, right: { op: '+' } });
    expect(expr('a = b IN c')).toMatchObject({ kind: 'Comparison', operands: [v('a'), { op: 'IN' }] });
  });

  it('+ - < * / % < ^, left-associative', () => {
    expect(expr('1 + 2 * 3')).toMatchObject({ op: '+', right: { op: '*' } });
    expect(expr('1 - 2 - 3')).toMatchObject({ op: '-', left: { op: '-' }, right: lit(3n) });
    expect(expr('2 * 3 ^ 2')).toMatchObject({ op: '*', right: { op: '^' } });
    expect(expr('2 ^ 3 ^ 2')).toMatchObject({ op: '^', left: { op: '^' } });
    expect(expr('6 / 2 % 4')).toMatchObject({ op: '%', left: { op: '/' } });
  });

  it('unary minus binds tighter than ^ (-3 ^ 2 is 9)', () => {
    expect(expr('-3 ^ 2')).toMatchObject({ op: '^', left: lit(-3n), right: lit(2n) });
    expect(expr('-x ^ 2')).toMatchObject({ op: '^', left: { kind: 'UnaryOp', op: '-', operand: v('x') } });
    expect(expr('-(3 ^ 2)')).toMatchObject({ kind: 'UnaryOp', op: '-', operand: { op: '^' } });
  });

  it('postfix binds tighter than unary minus', () => {
    expect(expr('-n.x')).toMatchObject({ kind: 'UnaryOp', op: '-', operand: { kind: 'PropertyAccess' } });
    expect(expr('-[1, 2][0]')).toMatchObject({ kind: 'UnaryOp', operand: { kind: 'IndexAccess' } });
  });

  it('list indexing applies to the list literal it follows', () => {
    expect(expr('[[1], [2, 3]] + [5, [6, 7]][1]')).toMatchObject({ op: '+', right: { kind: 'IndexAccess' } });
  });
});

describe('schema commands', () => {
  const body = (text: string): Statement['body'] => parse(text).body;

  it('CREATE INDEX in the FOR ... ON form, with name and IF NOT EXISTS', () => {
    expect(body('CREATE INDEX person_name IF NOT EXISTS FOR (p:Person) ON (p.name, p.age)')).toMatchObject({
      kind: 'CreateIndex',
      name: 'person_name',
      ifNotExists: true,
      label: 'Person',
      keys: ['name', 'age'],
    });
    expect(body('CREATE INDEX FOR (p:Person) ON (p.name)')).toMatchObject({ name: undefined, ifNotExists: false, keys: ['name'] });
  });

  it('CREATE INDEX ON :Label(key) and DROP INDEX both forms', () => {
    expect(body('CREATE INDEX ON :Person(name)')).toMatchObject({ kind: 'CreateIndex', label: 'Person', keys: ['name'] });
    expect(body('DROP INDEX ON :Person(name)')).toMatchObject({ kind: 'DropIndex', name: undefined, label: 'Person', keys: ['name'] });
    expect(body('DROP INDEX person_name IF EXISTS')).toMatchObject({ kind: 'DropIndex', name: 'person_name', ifExists: true, label: undefined });
  });

  it('CREATE CONSTRAINT in REQUIRE and ASSERT forms, DROP CONSTRAINT', () => {
    expect(body('CREATE CONSTRAINT uniq IF NOT EXISTS FOR (p:Person) REQUIRE p.email IS UNIQUE')).toMatchObject({
      kind: 'CreateConstraint',
      name: 'uniq',
      ifNotExists: true,
      label: 'Person',
      keys: ['email'],
      constraint: 'unique',
    });
    expect(body('CREATE CONSTRAINT ON (p:Person) ASSERT p.email IS UNIQUE')).toMatchObject({ name: undefined, keys: ['email'] });
    expect(body('CREATE CONSTRAINT FOR (p:P) REQUIRE (p.a, p.b) IS UNIQUE')).toMatchObject({ keys: ['a', 'b'] });
    expect(body('DROP CONSTRAINT uniq IF EXISTS')).toMatchObject({ kind: 'DropConstraint', name: 'uniq', ifExists: true });
  });

  it('a schema key must use the pattern variable', () => {
    expect(syntaxError('CREATE INDEX FOR (p:Person) ON (q.name)').message).toContain("expected the variable 'p'");
  });
});

describe('syntax errors', () => {
  it('name what was expected and what was found, with line, column and a caret', () => {
    const e = syntaxError('MATCH (n\nRETURN n');
    expect(e.detail).toBe('UnexpectedSyntax');
    expect(e.message).toContain("expected ')' but found 'RETURN'");
    expect(e.line).toBe(2);
    expect(e.column).toBe(1);
    expect(e.message).toContain('RETURN n\n^');
  });

  it('points at the unexpected token', () => {
    const e = syntaxError('RETURN 1 +');
    expect(e.message).toContain('expected an expression but found end of input');
    expect(e.column).toBe(11);
    expect(syntaxError('MATCH (n) RETRN n')).toMatchObject({ column: 11 });
    expect(syntaxError('RETURN [, ] AS literal').detail).toBe('UnexpectedSyntax');
    expect(syntaxError('RETURN [[[]] AS literal').detail).toBe('UnexpectedSyntax');
  });

  it('an empty query, a lone keyword, and trailing garbage are errors', () => {
    expect(syntaxError('').message).toContain('expected a clause');
    expect(syntaxError('   // nothing').message).toContain('expected a clause');
    expect(syntaxError('RETURN 1 1').message).toContain("expected a clause (MATCH, RETURN, CREATE, ...) but found '1'");
    expect(syntaxError('RETURN 1 )').message).toContain("but found ')'");
    expect(syntaxError('RETURN 9223372#54775808').detail).toBe('UnexpectedSyntax');
  });

  it('unterminated strings, comments and quoted names point at their start', () => {
    expect(syntaxError("RETURN 'abc")).toMatchObject({ column: 8 });
    expect(syntaxError('RETURN 1 /* x')).toMatchObject({ column: 10 });
    expect(syntaxError('RETURN `abc')).toMatchObject({ column: 8 });
  });

  it('a non-ASCII character outside a string or name is InvalidUnicodeCharacter', () => {
    expect(syntaxError('RETURN 42 — 41').detail).toBe('InvalidUnicodeCharacter');
  });

  it('reserved words cannot be variables where an expression is expected', () => {
    expect(syntaxError('RETURN WHERE').message).toContain("expected an expression but found 'WHERE'");
  });
});
