/**
 * The sharded simulation's write checks on hand-made histories: each check refuses what it exists
 * to catch and accepts what cross-shard reads may legitimately see.
 */
import { describe, expect, it } from 'vitest';
import { GraphStore, type Value } from '../../graph/index.ts';
import { applyShardMapChange, emptyShardMap, type ShardMapChange } from '../shard-map.ts';
import { buildWrite, checkWriteAnswer, itemSharding, partState, WRITE_QUERIES, type SimWrite, type WriteOutcome } from './sharded-sim-writes.ts';

const SHARDS = [0, 1, 2];
const map = ([...SHARDS.map((i): ShardMapChange => ({ op: 'addShard', shard: i, group: i + 1 })), itemSharding(SHARDS)] as ShardMapChange[]).reduce(applyShardMapChange, emptyShardMap());

function write(w: number, shards: number[], outcome: WriteOutcome, issued: number, settled: number): SimWrite {
  const x = buildWrite(w, shards, 1_000 + w * 10, map, issued);
  x.outcome = outcome;
  x.settled = settled;
  return x;
}

const rows = (...r: [number, number][]): Value[][] => r.map(([w, n]) => [BigInt(w), BigInt(n)]);
const answer = (q: string, from: number, to: number, r: Value[][]) => ({ q, via: 'p1', from, to, rows: r });

describe('the sharded simulation write checks', () => {
  it('places each node of a write on the shard it asks for, the edge on its source shard and its reverse entry on the target', () => {
    const x = buildWrite(1, [2, 0], 100, map, 0);
    expect([...x.home.values()]).toEqual([2, 0]);
    expect(x.shards).toEqual([0, 2]);
    const edgesOn = (s: number) => x.parts.get(s)!.filter((c) => c.op === 'createEdge').length;
    expect([edgesOn(0), edgesOn(2)]).toEqual([1, 1]);
  });

  it('refuses an answer showing a write that failed, one never issued, or more nodes than a write has', () => {
    const writes = new Map([[1, write(1, [0, 1], 'failed', 0, 10)]]);
    expect(checkWriteAnswer(answer(WRITE_QUERIES.nodes, 20, 30, rows([1, 1])), writes, 0)).toMatch(/failed/);
    expect(checkWriteAnswer(answer(WRITE_QUERIES.nodes, 20, 30, rows([2, 1])), writes, 0)).toMatch(/never issued/);
    writes.set(1, write(1, [0, 1], 'acked', 0, 10));
    expect(checkWriteAnswer(answer(WRITE_QUERIES.nodes, 20, 30, rows([1, 3])), writes, 0)).toMatch(/has 2/);
  });

  it('accepts a cross-shard write seen on one of its shards, but not a single-shard write acknowledged before the read seen half', () => {
    const writes = new Map([
      [1, write(1, [0, 1], 'acked', 0, 10)],
      [2, write(2, [2, 2], 'acked', 0, 10)],
    ]);
    expect(checkWriteAnswer(answer(WRITE_QUERIES.nodes, 20, 30, rows([1, 1], [2, 2])), writes, 0)).toBeUndefined();
    expect(checkWriteAnswer(answer(WRITE_QUERIES.nodes, 20, 30, rows([1, 2], [2, 1])), writes, 0)).toMatch(/single-shard write acknowledged/);
    // Acknowledged after the read started: it may not show yet.
    expect(checkWriteAnswer(answer(WRITE_QUERIES.nodes, 5, 30, rows([1, 2])), writes, 0)).toBeUndefined();
  });

  it('bounds the edge count by the writes that must and may show', () => {
    const writes = new Map([
      [1, write(1, [0, 0], 'acked', 0, 10)], // one edge, must show after 10
      [2, write(2, [0, 1, 2], 'unknown', 0, 10)], // two edges, may show
    ]);
    const edges = (n: number, from = 20) => checkWriteAnswer(answer(WRITE_QUERIES.edges, from, 30, [[BigInt(n)]]), writes, 100);
    expect([edges(100), edges(101), edges(103), edges(104), edges(100, 5)]).toEqual([expect.stringMatching(/not in \[101, 103\]/), undefined, undefined, expect.stringMatching(/not in/), undefined]);
  });

  it('tells a shard holding all of a write part, none of it, or some', () => {
    const x = buildWrite(1, [0, 1], 100, map, 0);
    const g = new GraphStore();
    expect(partState(g, x, 0)).toBe('none');
    const [first, ...rest] = x.parts.get(0)!;
    g.apply(first!);
    expect(partState(g, x, 0)).toBe('partial');
    for (const c of rest) g.apply(c);
    expect(partState(g, x, 0)).toBe('all');
  });
});
