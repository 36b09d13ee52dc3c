/**
 * The seam between the statements of a clustered database and the transaction they run in: a
 * {@link GroupView} gives a statement each group's graph as the transaction sees it (the snapshot
 * it read plus its own writes) and takes the writes it makes, to commit them with the rest
 * (src/txn/graph-transaction.ts implements it). {@link runInView} runs one statement on one group
 * that way: the router's single-shard statements and an unsharded cluster's every statement.
 */
import type { GraphCommand, GraphStore } from '../graph/index.ts';
import { QueryEngine } from '../query/index.ts';
import { toResultValue, type ResultRow } from '../api/result.ts';
import type { ShardQueryResult } from '../shard/index.ts';
import type { Value } from '../graph/index.ts';
import { GeodeError } from '../util/errors.ts';

/** A transaction's view of the cluster's groups. */
export interface GroupView {
  /** A READ ONLY transaction: statements that write are refused (INPUT_INVALID `ReadOnlyTransaction`). */
  readonly readOnly: boolean;
  /**
   * view: runs `fn` synchronously on `group`'s graph as the transaction sees it — the snapshot it
   * read the group at, plus its own writes — and undoes those writes after, leaving the graph as it
   * was. `fn` must leave the graph as it found it. Rejects PROPOSAL_DROPPED (`WriteConflict`,
   * `Locked`: retry the transaction) when the group changed since the transaction first read it,
   * LIMIT_EXCEEDED `TransactionTimeout` past the transaction's time limit.
   */
  view<T>(group: number, fn: (graph: GraphStore, engine: QueryEngine) => T): Promise<T>;
  /** write: adds `commands` (made on the view) to the transaction's writes on `group`, applied at its commit. */
  write(group: number, commands: readonly GraphCommand[]): void;
  /** writeFresh: as `write`, for commands that read nothing (an insert with fresh ids), on a group the transaction may not have read yet. */
  writeFresh(group: number, commands: readonly GraphCommand[]): Promise<void>;
}

const schemaOps: ReadonlySet<GraphCommand['op']> = new Set(['createIndex', 'dropIndex', 'createConstraint', 'dropConstraint']);

/** detachRows: engine rows as result rows (values copied out of the graph). */
export function detachRows(columns: readonly string[], cells: readonly (readonly Value[])[]): ResultRow[] {
  const rows: ResultRow[] = new Array<ResultRow>(cells.length);
  for (let r = 0; r < cells.length; r++) {
    const row: ResultRow = {};
    for (let c = 0; c < columns.length; c++) row[columns[c]!] = toResultValue(cells[r]![c] ?? null);
    rows[r] = row;
  }
  return rows;
}

/**
 * runInView: runs one statement on `group` as `tx` sees it; its writes join the transaction's.
 * Schema statements are refused (INPUT_INVALID `SchemaInTransaction`: run them outside).
 */
export async function runInView(tx: GroupView, group: number, text: string, params: Record<string, Value>): Promise<ShardQueryResult> {
  const { result, commands } = await tx.view(group, (_graph, engine) => {
    const r = engine.run(text, params, tx.readOnly ? { readOnly: true } : {});
    try {
      if (r.commands.some((c) => schemaOps.has(c.op))) {
        throw new GeodeError('INPUT_INVALID', 'a transaction in a cluster cannot change the schema: run CREATE / DROP INDEX or CONSTRAINT outside it', {
          source: 'transaction',
          detail: 'SchemaInTransaction',
        });
      }
      return { result: { columns: r.columns, rows: detachRows(r.columns, r.rows), writes: r.commands.length }, commands: [...r.commands] };
    } finally {
      r.rollback();
    }
  });
  if (commands.length > 0) tx.write(group, commands);
  return result;
}
