/**
 * Test helper: an engine on a fresh in-memory store, and a runner that returns rows as plain
 * objects (nodes as `(id)` references are left as records).
 */
import { GraphStore } from '../../graph/index.ts';
import type { Value } from '../../graph/index.ts';
import { QueryEngine } from '../engine.ts';
import type { EngineResult } from '../types.ts';

export interface Harness {
  readonly store: GraphStore;
  readonly engine: QueryEngine;
  run(text: string, params?: Record<string, Value>): EngineResult;
  /** Rows as objects keyed by column. */
  rows(text: string, params?: Record<string, Value>): Record<string, Value>[];
}

export function harness(): Harness {
  const store = new GraphStore();
  const engine = new QueryEngine(store);
  const run = (text: string, params: Record<string, Value> = {}): EngineResult => engine.run(text, params);
  return {
    store,
    engine,
    run,
    rows(text, params) {
      const r = run(text, params);
      return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]!])));
    },
  };
}
