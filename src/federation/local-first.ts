/**
 * Local-first helpers: what a browser tab that lost its cluster needs to continue as a cluster of
 * its own (a "fork") and to know when that fork's writes are back in its cluster. Pure: reads
 * {@link GraphStore}s, never writes one.
 *
 * - {@link recordsOfGraph}: every federation record of a replicated graph: the state a fork
 *   starts from (merged into its fresh graph, as a snapshot from a link would be), so the fork
 *   holds what the tab last saw of its cluster, under the same federated ids.
 * - {@link holdsRecords}: whether merging records into a graph would change nothing: every
 *   register is there already, or a later one. A tab whose cluster's graph holds all its fork's
 *   records may end the fork: the cluster has merged every write made in it.
 * - {@link propertyRegister} and {@link explainWinner}: which write of a property won, and why
 *   (the later hybrid timestamp; on a tie, the larger cluster id), for the demo's conflict view.
 */
import type { GraphStore } from '../graph/index.ts';
import { compareRegisters, derivedNodeRecord, derivedRecordsOfGraph, EDGE_PREFIX, fidOf, mergeRecords, NODE_PREFIX, recordOf, type ReceivedRecord, type Register } from './registers.ts';

export type { Register } from './registers.ts';

/** recordsOfGraph: the federation records of `graph` (nodes — stored, then derived from creation stamps — then edges), decoded. */
export function recordsOfGraph(graph: GraphStore): ReceivedRecord[] {
  const out: ReceivedRecord[] = [];
  for (const key of graph.metaKeys(NODE_PREFIX)) out.push([key, recordOf(key, graph.meta(key)!)]);
  derivedRecordsOfGraph(graph, out);
  for (const key of graph.metaKeys(EDGE_PREFIX)) out.push([key, recordOf(key, graph.meta(key)!)]);
  return out;
}

/** Thrown by the apply of {@link holdsRecords} at the first command a merge would write. */
const wouldChange = new Error('would change');

/** holdsRecords: true when merging `records` into `graph` (cluster `self`) would change nothing. */
export function holdsRecords(graph: GraphStore, self: string, records: readonly ReceivedRecord[]): boolean {
  try {
    mergeRecords(graph, self, records, () => {
      throw wouldChange;
    });
  } catch (err) {
    if (err === wouldChange) return false;
    throw err;
  }
  return true;
}

/** propertyRegister: the register of property `key` of local node `id` (cluster `self`): [wall ms, logical, origin cluster, value]. */
export function propertyRegister(graph: GraphStore, self: string, id: number, key: string): Register | undefined {
  const rkey = NODE_PREFIX + fidOf(graph, self, 'n', id);
  const stored = graph.meta(rkey);
  const stamp = stored === undefined ? graph.creationStamp(id) : undefined;
  const node = graph.node(id);
  if (stored === undefined && (stamp === undefined || node === undefined || node.deleted)) return undefined;
  const rec = stored !== undefined ? recordOf(rkey, stored) : derivedNodeRecord(node!, stamp!);
  for (let i = 0; i + 1 < rec.p.length; i += 2) if (rec.p[i] === key) return rec.p[i + 1] as Register;
  return undefined;
}

/** What {@link explainWinner} says. */
export interface WinnerExplanation {
  readonly winner: Register;
  readonly loser: Register;
  /** `later`: the winner's hybrid timestamp is later; `cluster-id`: same timestamp, larger cluster id; `same`: one write. */
  readonly reason: 'later' | 'cluster-id' | 'same';
  readonly text: string;
}

/** formatStamp: a register's stamp as `hh:mm:ss.mmm+logical @cluster` (UTC). */
export function formatStamp(r: Register): string {
  return `${new Date(r[0]).toISOString().slice(11, 23)}+${r[1]} @${r[2]}`;
}

/** explainWinner: which of two writes of one register last-write-wins keeps, and why. */
export function explainWinner(a: Register, b: Register): WinnerExplanation {
  const c = compareRegisters(a, b);
  const [winner, loser] = c >= 0 ? [a, b] : [b, a];
  const same = winner[0] === loser[0] && winner[1] === loser[1];
  const reason = c === 0 ? 'same' : same ? 'cluster-id' : 'later';
  const v = (r: Register): string => JSON.stringify(r[3], (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
  const text =
    reason === 'same'
      ? `one write: ${v(winner)} (${formatStamp(winner)})`
      : reason === 'later'
        ? `${v(winner)} from ${winner[2]} wins: its hybrid timestamp ${formatStamp(winner)} is later than ${formatStamp(loser)} (${v(loser)} from ${loser[2]})`
        : `${v(winner)} from ${winner[2]} wins: both writes have the hybrid timestamp ${formatStamp(winner).split(' @')[0]}, and cluster id ${winner[2]} > ${loser[2]}`;
  return { winner, loser, reason, text };
}
