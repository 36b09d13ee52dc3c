/**
 * isReadOnlyStatement: whether a parsed statement can change the graph. EXPLAIN never does;
 * schema commands and the write clauses (CREATE/INSERT, MERGE, SET, REMOVE, DELETE), at any depth
 * of `CALL { ... }`, do. Procedures are taken as readers (the registry's procedures read).
 */
import type { Clause, Query, Statement } from '../gql/index.ts';

const writeClauses: ReadonlySet<Clause['kind']> = new Set(['Create', 'Merge', 'Set', 'Remove', 'Delete']);

function queryWrites(q: Query): boolean {
  for (const part of q.parts) {
    for (const c of part.clauses) {
      if (writeClauses.has(c.kind)) return true;
      if (c.kind === 'CallSubquery' && queryWrites(c.query)) return true;
    }
  }
  return false;
}

export function isReadOnlyStatement(s: Statement): boolean {
  if (s.explain) return true;
  if (s.body.kind !== 'Query') return false;
  return !queryWrites(s.body);
}
