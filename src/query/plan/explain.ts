/**
 * EXPLAIN rendering: a plan as indented text, one operator per line in execution order
 * (the source first), nested pipelines (OPTIONAL MATCH, MERGE, subqueries) indented below
 * their operator.
 */
import type { Pipeline } from './ops.ts';
import type { PlannedQuery } from './query.ts';

function render(ops: Pipeline, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  for (const o of ops) {
    out.push(`${pad}${o.kind}${o.detail === '' ? '' : ` ${o.detail}`}`);
    for (const child of o.children ?? []) render(child, depth + 1, out);
  }
}

/** The plan's lines. */
export function explainLines(q: PlannedQuery): string[] {
  const out: string[] = [];
  const multi = q.parts.length > 1;
  if (multi) out.push(q.unionAll ? 'UnionAll' : 'Union');
  q.parts.forEach((p) => {
    render(p.ops, multi ? 1 : 0, out);
  });
  out.push(`ProduceResults ${q.columns.join(', ')}`);
  return out;
}
