import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { harness } from './testing/harness.ts';

function social() {
  const h = harness();
  h.run(`CREATE (a:Person {name: 'Ada', age: 36})-[:KNOWS {since: 2000}]->(b:Person {name: 'Bob', age: 25}),
                (b)-[:KNOWS]->(c:Person {name: 'Cy', age: 40}), (c)-[:LIVES_IN]->(:City {name: 'Oslo'})`);
  return h;
}

function errorOf(f: () => unknown): { code: string; detail: string | undefined } {
  try {
    f();
  } catch (err) {
    if (isGeodeError(err)) return { code: err.code, detail: err.detail };
    throw err;
  }
  throw new Error('expected an error');
}

describe('reading clauses', () => {
  it('MATCH with WHERE filters by property and returns columns named as written', () => {
    const h = social();
    const r = h.run('MATCH (p:Person) WHERE p.age > 30 RETURN p.name ORDER BY p.name');
    expect(r.columns).toEqual(['p.name']);
    expect(r.rows).toEqual([['Ada'], ['Cy']]);
  });

  it('expands relationships in the written direction, from either end', () => {
    const h = social();
    expect(h.rows("MATCH (a)-[:KNOWS]->(b {name: 'Cy'}) RETURN a.name AS n")).toEqual([{ n: 'Bob' }]);
    expect(h.rows("MATCH (b {name: 'Cy'})<-[:KNOWS]-(a) RETURN a.name AS n")).toEqual([{ n: 'Bob' }]);
    expect(h.rows("MATCH ({name: 'Bob'})--(x) RETURN x.name AS n ORDER BY n")).toEqual([{ n: 'Ada' }, { n: 'Cy' }]);
  });

  it('variable-length expansion respects bounds and returns edge lists', () => {
    const h = social();
    expect(h.rows("MATCH ({name: 'Ada'})-[r:KNOWS*1..2]->(x) RETURN x.name AS n, size(r) AS k ORDER BY k")).toEqual([
      { n: 'Bob', k: 1n },
      { n: 'Cy', k: 2n },
    ]);
    expect(h.rows("MATCH ({name: 'Ada'})-[*0..]->(x) RETURN count(x) AS c")).toEqual([{ c: 4n }]);
  });

  it('named paths and shortestPath build path values', () => {
    const h = social();
    expect(h.rows("MATCH p = ({name: 'Ada'})-[*]->(:City) RETURN length(p) AS l")).toEqual([{ l: 3n }]);
    expect(h.rows("MATCH (a {name: 'Ada'}), (c:City), p = shortestPath((a)-[*]-(c)) RETURN length(p) AS l")).toEqual([{ l: 3n }]);
  });

  it('OPTIONAL MATCH yields nulls when nothing matches', () => {
    const h = social();
    expect(h.rows('MATCH (p:Person) OPTIONAL MATCH (p)-[:LIVES_IN]->(c) RETURN p.name AS p, c.name AS c ORDER BY p')).toEqual([
      { p: 'Ada', c: null },
      { p: 'Bob', c: null },
      { p: 'Cy', c: 'Oslo' },
    ]);
  });

  it('relationship isomorphism: one MATCH never uses an edge twice', () => {
    const h = harness();
    h.run('CREATE (a)-[:R]->(b)');
    expect(h.rows('MATCH (x)-[r1]-(y)-[r2]-(z) RETURN count(*) AS c')).toEqual([{ c: 0n }]);
  });

  it('disconnected patterns form a cartesian product', () => {
    const h = social();
    expect(h.rows('MATCH (a:Person), (c:City) RETURN count(*) AS n')).toEqual([{ n: 3n }]);
  });
});

describe('projection and aggregation', () => {
  it('groups by the non-aggregate items', () => {
    const h = harness();
    h.run("UNWIND [['a', 1], ['a', 2], ['b', 5]] AS x CREATE (:T {k: x[0], v: x[1]})");
    expect(h.rows('MATCH (t:T) RETURN t.k AS k, sum(t.v) AS s, collect(t.v) AS l ORDER BY k')).toEqual([
      { k: 'a', s: 3n, l: [1n, 2n] },
      { k: 'b', s: 5n, l: [5n] },
    ]);
  });

  it('aggregates over no rows give one row without keys', () => {
    const h = harness();
    expect(h.rows('MATCH (n) RETURN count(*) AS c, sum(n.x) AS s')).toEqual([{ c: 0n, s: 0n }]);
  });

  it('DISTINCT, ORDER BY, SKIP and LIMIT compose', () => {
    const h = harness();
    expect(h.rows('UNWIND [3, 1, 2, 3, 1] AS x RETURN DISTINCT x ORDER BY x DESC SKIP 1 LIMIT 1')).toEqual([{ x: 2n }]);
  });

  it('WITH WHERE filters after projecting and sees earlier variables', () => {
    const h = social();
    expect(h.rows('MATCH (p:Person) WITH p.name AS n, p WHERE p.age < 30 RETURN n')).toEqual([{ n: 'Bob' }]);
  });

  it('UNION removes duplicates, UNION ALL keeps them', () => {
    const h = harness();
    expect(h.run('RETURN 1 AS x UNION RETURN 1 AS x').rows).toEqual([[1n]]);
    expect(h.run('RETURN 1 AS x UNION ALL RETURN 1 AS x').rows).toEqual([[1n], [1n]]);
  });

  it('list comprehension, reduce, quantifiers, CASE and map projection evaluate', () => {
    const h = social();
    expect(
      h.rows(`RETURN [x IN range(1, 5) WHERE x % 2 = 1 | x * 10] AS l, reduce(a = 0, x IN [1, 2, 3] | a + x) AS s,
              all(x IN [1, 2] WHERE x > 0) AS q, CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END AS c`),
    ).toEqual([{ l: [10n, 30n, 50n], s: 6n, q: true, c: 'two' }]);
    const [row] = h.rows("MATCH (p {name: 'Ada'}) RETURN p {.name, .age} AS m");
    expect({ ...(row!['m'] as object) }).toEqual({ name: 'Ada', age: 36n });
  });

  it('pattern predicates, EXISTS, COUNT and pattern comprehensions see the row', () => {
    const h = social();
    expect(
      h.rows(`MATCH (a:Person) RETURN a.name AS n, [(a)-[:KNOWS]->(b) | b.name] AS out,
              EXISTS { (a)-[:LIVES_IN]->() } AS lives, COUNT { (a)--() } AS deg ORDER BY n`),
    ).toEqual([
      { n: 'Ada', out: ['Bob'], lives: false, deg: 1n },
      { n: 'Bob', out: ['Cy'], lives: false, deg: 2n },
      { n: 'Cy', out: [], lives: true, deg: 2n },
    ]);
  });
});

describe('writes', () => {
  it('CREATE returns created entities and later clauses see them', () => {
    const h = harness();
    const r = h.run('CREATE (a:A {x: 1}) WITH a MATCH (n:A) RETURN n.x AS x');
    expect(r.rows).toEqual([[1n]]);
    expect(r.commands.map((c) => c.op)).toEqual(['createNode']);
  });

  it('MERGE matches or creates the whole pattern and runs ON CREATE / ON MATCH', () => {
    const h = harness();
    expect(h.rows("MERGE (c:City {name: 'Paris'}) ON CREATE SET c.n = 1 ON MATCH SET c.n = c.n + 1 RETURN c.n AS n")).toEqual([{ n: 1n }]);
    expect(h.rows("MERGE (c:City {name: 'Paris'}) ON CREATE SET c.n = 1 ON MATCH SET c.n = c.n + 1 RETURN c.n AS n")).toEqual([{ n: 2n }]);
    expect(h.rows('UNWIND [1, 1, 2] AS k MERGE (n:K {k: k}) RETURN count(*) AS c')).toEqual([{ c: 3n }]);
    expect(h.store.labelCount('K')).toBe(2);
  });

  it('SET and REMOVE change properties and labels', () => {
    const h = harness();
    h.run('CREATE (:P {a: 1, b: 2})');
    h.run('MATCH (n:P) SET n += {c: 3}, n:Q REMOVE n.a');
    expect(h.rows('MATCH (n:Q) RETURN n.a AS a, n.b AS b, n.c AS c')).toEqual([{ a: null, b: 2n, c: 3n }]);
    h.run('MATCH (n:P) SET n = {z: 9}');
    expect(h.rows('MATCH (n:P) RETURN keys(n) AS k')).toEqual([{ k: ['z'] }]);
  });

  it('DELETE of a connected node fails at the end unless DETACH, and changes nothing', () => {
    const h = social();
    const before = h.store.nodeCount;
    expect(errorOf(() => h.run("MATCH (n {name: 'Bob'}) DELETE n")).detail).toBe('DeleteConnectedNode');
    expect(h.store.nodeCount).toBe(before);
    h.run("MATCH (n {name: 'Bob'}) DETACH DELETE n");
    expect(h.store.nodeCount).toBe(before - 1);
  });

  it('deleting a node and its edges in one clause succeeds', () => {
    const h = harness();
    h.run('CREATE (:X)-[:R]->(:Y)');
    h.run('MATCH (a)-[r]->(b) DELETE r, a, b');
    expect(h.store.nodeCount).toBe(0);
  });

  it('reading a property of a deleted node is DeletedEntityAccess', () => {
    const h = harness();
    h.run('CREATE (:X {v: 1})');
    expect(errorOf(() => h.run('MATCH (n:X) DELETE n RETURN n.v'))).toEqual({ code: 'ENTITY_NOT_FOUND', detail: 'DeletedEntityAccess' });
  });

  it('a failing statement rolls back every write it made', () => {
    const h = harness();
    h.run('CREATE (:A {v: 1})');
    expect(() => h.run("UNWIND [1, 2, 0] AS x CREATE (:A {v: x}) WITH x RETURN 1 / x")).toThrow();
    expect(h.rows('MATCH (n:A) RETURN count(*) AS c')).toEqual([{ c: 1n }]);
  });

  it('schema commands create indexes used by the planner', () => {
    const h = harness();
    h.run('CREATE INDEX FOR (p:Person) ON (p.id)');
    expect(h.rows('CALL db.indexes() YIELD label, properties RETURN label, properties')).toEqual([{ label: 'Person', properties: ['id'] }]);
  });
});

describe('semantic errors', () => {
  const cases: [string, string][] = [
    ['MATCH (n) RETURN m', 'UndefinedVariable'],
    ['MATCH (a)-[a]->() RETURN a', 'VariableTypeConflict'],
    ['CREATE (a)-[:A|B]->(b)', 'NoSingleRelationshipType'],
    ['CREATE (a)-[:R]-(b)', 'RequiresDirectedRelationship'],
    ['CREATE (a)-[:R*2]->(b)', 'CreatingVarLength'],
    ['MATCH (n) RETURN count(count(n))', 'NestedAggregation'],
    ['MATCH (n) WHERE count(n) > 1 RETURN n', 'InvalidAggregation'],
    ['MATCH (n) RETURN n LIMIT n.x', 'NonConstantExpression'],
    ['RETURN 1 LIMIT -1', 'NegativeIntegerArgument'],
    ['RETURN 1 AS a UNION RETURN 2 AS b', 'DifferentColumnsInUnion'],
    ['MATCH () RETURN *', 'NoVariablesInScope'],
    ['RETURN nope(1)', 'UnknownFunction'],
    ['RETURN abs(1, 2)', 'InvalidNumberOfArguments'],
    ['RETURN 1 AS a, 2 AS a', 'ColumnNameConflict'],
    ['MATCH (n) RETURN n.x + count(*)', 'AmbiguousAggregationExpression'],
    ['UNWIND [1] AS x UNWIND [2] AS x RETURN x', 'VariableAlreadyBound'],
    ['MATCH (n)', 'InvalidClauseComposition'],
  ];
  for (const [q, detail] of cases) {
    it(`rejects ${q} with ${detail}`, () => {
      const h = harness();
      const e = errorOf(() => h.run(q));
      expect(e.detail).toBe(detail);
    });
  }

  it('a missing parameter is GQL_PARAMETER_MISSING', () => {
    expect(errorOf(() => harness().run('RETURN $p')).code).toBe('GQL_PARAMETER_MISSING');
  });

  it('an unknown procedure is NOT_FOUND', () => {
    expect(errorOf(() => harness().run('CALL no.such()'))).toEqual({ code: 'NOT_FOUND', detail: 'ProcedureNotFound' });
  });
});

describe('procedures', () => {
  it('built-ins list labels, types and keys; registered procedures are callable', () => {
    const h = social();
    expect(h.run('CALL db.labels()').rows).toEqual([['City'], ['Person']]);
    expect(h.run('CALL DB.RELATIONSHIPTYPES()').rows).toEqual([['KNOWS'], ['LIVES_IN']]);
    h.engine.registerProcedure({
      name: 'test.echo',
      description: 'echo',
      inputs: [{ name: 'x', type: 'INTEGER' }],
      outputs: [{ name: 'y', type: 'INTEGER' }],
      run: (args) => [[args[0]!], [args[0]!]],
    });
    expect(h.rows('UNWIND [1, 2] AS i CALL test.echo(i) YIELD y RETURN sum(y) AS s')).toEqual([{ s: 6n }]);
    expect(h.run('CALL test.echo', { x: 7n }).rows).toEqual([[7n], [7n]]);
    expect(errorOf(() => h.run("CALL test.echo('a')")).detail).toBe('InvalidArgumentType');
  });
});

describe('EXPLAIN and the plan cache', () => {
  it('EXPLAIN shows the chosen operators without executing', () => {
    const h = harness();
    h.run('CREATE INDEX FOR (p:Person) ON (p.id)');
    const r = h.run('EXPLAIN MATCH (p:Person {id: $id})-[:KNOWS]->(f) CREATE (:Log) RETURN count(f)');
    expect(r.plan).toContain('NodeIndexSeek');
    expect(r.plan).toContain('Expand');
    expect(r.columns).toEqual(['plan']);
    expect(r.rows.length).toBe(r.plan!.split('\n').length);
    expect(h.store.labelCount('Log')).toBe(0);
  });

  it('without an index the planner scans the smallest label', () => {
    const h = harness();
    h.run('UNWIND range(1, 10) AS i CREATE (:Big {i: i})');
    h.run('CREATE (:Small {i: 1})');
    const plan = h.run('EXPLAIN MATCH (a:Big), (b:Small) WHERE a.i = b.i RETURN a').plan!;
    expect(plan.split('\n')[0]).toContain('(b:Small)');
  });

  it('a cached plan sees new parameters and an index created later', () => {
    const h = harness();
    h.run('UNWIND range(1, 5) AS i CREATE (:P {id: i})');
    const q = 'MATCH (p:P {id: $id}) RETURN p.id AS id';
    expect(h.rows(q, { id: 2n })).toEqual([{ id: 2n }]);
    expect(h.rows(q, { id: 4n })).toEqual([{ id: 4n }]);
    h.run('CREATE INDEX FOR (p:P) ON (p.id)');
    expect(h.run(`EXPLAIN ${q}`).plan).toContain('NodeIndexSeek');
    expect(h.rows(q, { id: 5n })).toEqual([{ id: 5n }]);
  });

  it('LIMIT stops the scan early', () => {
    const h = harness();
    h.run('UNWIND range(1, 1000) AS i CREATE (:N {i: i})');
    expect(h.run('MATCH (n:N) RETURN n.i LIMIT 2').rows.length).toBe(2);
  });
});
