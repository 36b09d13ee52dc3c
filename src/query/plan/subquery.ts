/**
 * Subqueries (EXISTS { query }, COUNT { query }, CALL { query }): planned on top of the
 * enclosing scope, so the outer variables are visible inside.
 */
import type { Query } from '../../gql/index.ts';
import { PlanState, Scope } from '../semantic/scope.ts';
import { planQuery, type PlannedQuery } from './query.ts';
import type { Pipeline } from './ops.ts';

export interface PlannedSubquery extends PlannedQuery {
  /** The first part's pipeline (EXISTS / COUNT run a single part). */
  readonly ops: Pipeline;
}

/** Plans `query` inside `scope`. `isCall`: a CALL { } body (must end in RETURN or be a unit subquery). */
export function planSubquery(query: Query, scope: Scope, st: PlanState, isCall: boolean): PlannedSubquery {
  const planned = planQuery(query, scope, st, isCall ? 'call' : 'subquery');
  return { ...planned, ops: planned.parts[0]?.ops ?? [] };
}
