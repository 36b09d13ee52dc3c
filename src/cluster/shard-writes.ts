/**
 * What a write statement on a sharded graph needs, decided from its text alone (pure):
 *
 * - `insert`: it only creates (CREATE / INSERT with UNWIND, WITH, RETURN around them; no MATCH,
 *   MERGE, SET, REMOVE, DELETE, CALL): it runs on an empty scratch graph with ids from a lease,
 *   each new node is placed by its label's spread, and the commands are split by shard;
 * - `shard`: it matches single nodes (no relationship in its MATCH patterns) that all prune to one
 *   shard by their shard keys, and then only sets or removes properties other than a spread's key
 *   and creates relationships between matched nodes: it runs on that shard's leader as it is;
 * - `refuse`: anything else may touch several shards (a traversal, a DELETE whose reverse entries
 *   live elsewhere, a MERGE, a node moved by its key): refused until cross-shard commits exist.
 */
import type { Clause, NodePattern, PathPattern, Statement } from '../gql/ast.ts';
import type { Value } from '../graph/index.ts';
import type { ShardId } from './hash-ring.ts';
import type { ShardMapState } from './shard-map.ts';
import { pruneShards } from './shard-pruning.ts';

/** The write path a statement takes. */
export type WritePlan = { readonly kind: 'insert' } | { readonly kind: 'shard'; readonly shard: ShardId } | { readonly kind: 'refuse'; readonly why: string };

const insertClauses: ReadonlySet<Clause['kind']> = new Set(['Create', 'Unwind', 'With', 'Return', 'Finish']);

function keysOfSpreads(map: ShardMapState): Set<string> {
  const keys = new Set<string>();
  if (map.defaultSharding.key !== undefined) keys.add(map.defaultSharding.key);
  for (const s of map.labels.values()) if (s.key !== undefined) keys.add(s.key);
  return keys;
}

function isNode(e: PathPattern['elements'][number]): e is NodePattern {
  return e.kind === 'NodePattern';
}

/** planWrite: how a write statement runs on the sharded graph of `map`. */
export function planWrite(stmt: Statement, params: Readonly<Record<string, Value>>, map: ShardMapState): WritePlan {
  if (stmt.body.kind !== 'Query') return { kind: 'refuse', why: 'a schema command on a sharded graph' };
  const parts = stmt.body.parts;
  const clauses = parts.flatMap((p) => p.clauses);
  if (parts.length === 1 && clauses.every((c) => insertClauses.has(c.kind))) return { kind: 'insert' };
  if (parts.length > 1) return { kind: 'refuse', why: 'a UNION that writes' };
  const matched = new Set<string>();
  const keys = keysOfSpreads(map);
  for (const c of clauses) {
    switch (c.kind) {
      case 'Match':
        if (c.optional) return { kind: 'refuse', why: 'an OPTIONAL MATCH in a write' };
        for (const p of c.patterns) {
          if (p.elements.length !== 1 || p.variable !== undefined) return { kind: 'refuse', why: 'a write that follows relationships (they may cross shards)' };
          const n = p.elements[0]!;
          if (!isNode(n) || n.variable === undefined) return { kind: 'refuse', why: 'a write over an anonymous node pattern' };
          matched.add(n.variable);
        }
        break;
      case 'Set':
        for (const it of c.items) {
          if (it.kind !== 'SetProperty') return { kind: 'refuse', why: 'SET of labels or of all properties (it may move a node to another shard)' };
          if (keys.has(it.target.key)) return { kind: 'refuse', why: `SET of ${it.target.key}, a shard key (the node would move to another shard)` };
        }
        break;
      case 'Remove':
        for (const it of c.items) {
          if (it.kind !== 'RemoveProperty') return { kind: 'refuse', why: 'REMOVE of labels (it may move a node to another shard)' };
          if (keys.has(it.target.key)) return { kind: 'refuse', why: `REMOVE of ${it.target.key}, a shard key` };
        }
        break;
      case 'Create':
        for (const p of c.patterns) {
          for (const e of p.elements) {
            if (isNode(e) && (e.variable === undefined || !matched.has(e.variable) || e.labels !== undefined || e.properties !== undefined)) {
              return { kind: 'refuse', why: 'a MATCH ... CREATE of new nodes (they are placed by their own keys)' };
            }
          }
        }
        break;
      case 'Unwind':
      case 'With':
      case 'Return':
      case 'Finish':
        break;
      case 'Delete':
        return { kind: 'refuse', why: 'DELETE (a node or relationship also has reverse entries on other shards)' };
      case 'Merge':
        return { kind: 'refuse', why: 'MERGE (its match may be on any shard)' };
      default:
        return { kind: 'refuse', why: `${c.kind} in a write` };
    }
  }
  const pruned = pruneShards(stmt, params, map);
  const shards = new Set(pruned.nodes.flatMap((n) => n.shards));
  if (pruned.nodes.length === 0 || shards.size !== 1 || pruned.nodes.some((n) => n.shards.length !== 1)) {
    return { kind: 'refuse', why: `a write whose nodes may be on ${shards.size} shards (match each by its shard key to write on one shard)` };
  }
  return { kind: 'shard', shard: [...shards][0]! };
}
