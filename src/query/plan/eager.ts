/**
 * When a write clause may stream without an Eager barrier before it. The clause planner puts an
 * Eager between reads and a later write so every read finishes first (clause-at-a-time
 * semantics); that barrier copies and holds every row, which is most of the cost of a bulk edge
 * load (`UNWIND $rows AS r MATCH (a:L {k: r.s}), (b:L {k: r.d}) CREATE (a)-[:T]->(b)`).
 *
 * The barrier is needed only when the write can change what the reads see for later rows.
 * A CREATE that makes only relationships between already bound nodes changes no node, label or
 * property; reads that match only single nodes (no relationship in any pattern, no expression
 * that could look at relationships) see exactly the same whether it ran before them or not.
 * The check is syntactic and conservative: anything it does not recognise keeps the barrier.
 */
import type { Clause, CreateClause, Expression, MatchClause } from '../../gql/index.ts';
import type { Scope } from '../semantic/scope.ts';

/**
 * True when `create` may run streaming after `reads` (the read clauses since the last barrier,
 * in order): it creates no node, and each read is a MATCH of single-node patterns whose
 * expressions cannot reach relationships (see the file header).
 */
export function createSkipsEager(create: CreateClause, reads: readonly Clause[], scope: Scope): boolean {
  if (!createsOnlyRelationships(create, scope)) return false;
  for (const c of reads) if (c.kind !== 'Match' || !readsOnlyNodes(c)) return false;
  return true;
}

/** Every node in the CREATE patterns is a variable bound before it, written bare. */
function createsOnlyRelationships(create: CreateClause, scope: Scope): boolean {
  for (const p of create.patterns) {
    if (p.shortest !== undefined) return false;
    for (const el of p.elements) {
      if (el.kind !== 'NodePattern') continue;
      if (el.variable === undefined || !scope.has(el.variable)) return false;
      if (el.labels !== undefined || el.properties !== undefined || el.where !== undefined) return false;
    }
  }
  return true;
}

function readsOnlyNodes(m: MatchClause): boolean {
  if (m.optional) return false;
  if (m.where !== undefined && !nodeLocal(m.where)) return false;
  for (const p of m.patterns) {
    if (p.shortest !== undefined || p.elements.length !== 1) return false;
    const n = p.elements[0]!;
    if (n.kind !== 'NodePattern') return false;
    if (n.properties !== undefined && !nodeLocal(n.properties)) return false;
    if (n.where !== undefined && !nodeLocal(n.where)) return false;
  }
  return true;
}

/**
 * True for expressions built only from literals, parameters, variables, property and label
 * reads, list and map literals, comparisons, null tests and boolean connectives: none of them
 * can look at a relationship that is not already bound.
 */
function nodeLocal(e: Expression): boolean {
  switch (e.kind) {
    case 'Literal':
    case 'Parameter':
    case 'Variable':
      return true;
    case 'PropertyAccess':
      return nodeLocal(e.object);
    case 'LabelCheck':
    case 'IsNull':
      return nodeLocal(e.operand);
    case 'UnaryOp':
      return e.op === 'NOT' && nodeLocal(e.operand);
    case 'BinaryOp':
      return (e.op === 'AND' || e.op === 'OR' || e.op === 'XOR') && nodeLocal(e.left) && nodeLocal(e.right);
    case 'Comparison':
      return e.operands.every(nodeLocal);
    case 'ListLiteral':
      return e.items.every(nodeLocal);
    case 'MapLiteral':
      return e.entries.every((x) => nodeLocal(x.value));
    default:
      return false;
  }
}
