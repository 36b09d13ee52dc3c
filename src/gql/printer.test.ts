import { describe, expect, it } from 'vitest';
import type { Expression, ReturnClause } from './ast.ts';
import { parse } from './parser.ts';
import { printExpression } from './printer.ts';

/** The tree without positions, for comparing two parses. */
function shape(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(shape);
  if (x !== null && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (k !== 'pos' && k !== 'text') out[k] = shape(v);
    return out;
  }
  return x;
}

function firstReturnItem(text: string): Expression {
  const stmt = parse(text);
  if (stmt.body.kind !== 'Query') throw new Error('not a query');
  const clauses = stmt.body.parts[0]!.clauses;
  return (clauses[clauses.length - 1] as ReturnClause).projection.items[0]!.expression;
}

const EXPRESSIONS = [
  '1 + 2 * 3',
  '(1 + 2) * 3',
  '-2 ^ 2',
  'NOT a AND b OR c XOR d',
  'a.b.c[0][1..2]',
  "'it\\'s' + \"x\\ny\"",
  '1.5e3 <= x.age < 3.0',
  'x IS NOT NULL AND y IS NULL',
  'n:A:B',
  "x STARTS WITH 'a' OR x ENDS WITH 'b' OR x CONTAINS 'c' OR x =~ 'a.*'",
  'x IN [1, 2, null]',
  '{a: 1, `b c`: [true, false]}',
  'count(DISTINCT x)',
  'count(*)',
  'CASE x WHEN 1 THEN 2 ELSE 3 END',
  'CASE WHEN x > 1 THEN 2 END',
  '[x IN range(1, 10) WHERE x % 2 = 0 | x * x]',
  'all(x IN l WHERE x > 0)',
  'reduce(acc = 0, x IN l | acc + x)',
  'n {.name, .*, k: 1, m}',
  '$param + $0',
  '9223372036854775807',
];

describe('printExpression', () => {
  for (const text of EXPRESSIONS) {
    it(`prints text that parses back to the same tree: ${text}`, () => {
      const e = firstReturnItem(`WITH 1 AS a, 2 AS b, 3 AS c, 4 AS d, 5 AS x, 6 AS y, [1] AS l, null AS n, null AS m RETURN ${text}`);
      const printed = printExpression(e);
      const again = firstReturnItem(`WITH 1 AS a, 2 AS b, 3 AS c, 4 AS d, 5 AS x, 6 AS y, [1] AS l, null AS n, null AS m RETURN ${printed}`);
      expect(shape(again)).toEqual(shape(e));
    });
  }
});
