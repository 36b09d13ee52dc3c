import { describe, expect, it } from 'vitest';
import { GraphStore } from '../graph/index.ts';
import { QueryEngine } from '../query/index.ts';
import { HybridClock } from '../txn/hlc.ts';
import { explainWinner, holdsRecords, propertyRegister, recordsOfGraph } from './local-first.ts';
import { mergeRecords, stampLocalWrite } from './registers.ts';

/** A cluster reduced to its replicated graph, statements stamped as the leader does. */
function cluster(id: string, now: () => number) {
  const graph = new GraphStore();
  const engine = new QueryEngine(graph);
  const clock = new HybridClock(now, 10_000);
  return {
    id,
    graph,
    engine,
    write(text: string): void {
      const r = engine.run(text, {});
      for (const c of stampLocalWrite(graph, id, clock, r.commands)) graph.apply(c);
    },
    merge(from: GraphStore): void {
      mergeRecords(graph, id, recordsOfGraph(from), (c) => graph.apply(c));
    },
  };
}

describe('local-first forks', () => {
  it('a fork seeded from its cluster’s records holds the same graph under the same federated ids', () => {
    let t = 1_000;
    const us = cluster('us', () => t);
    us.write("CREATE (:P {k: 'a', v: 1})-[:R]->(:P {k: 'b'})");
    const fork = cluster('us~tab', () => t);
    fork.merge(us.graph);
    const view = (c: ReturnType<typeof cluster>) => JSON.stringify(c.engine.run('MATCH (a)-[r]->(b) RETURN a.k, a.v, type(r), b.k', {}).rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    expect(view(fork)).toBe(view(us));
    expect(holdsRecords(fork.graph, fork.id, recordsOfGraph(us.graph))).toBe(true);
    t++;
  });

  it('holdsRecords is false until the cluster merged the fork’s writes, true after', () => {
    let t = 1_000;
    const us = cluster('us', () => t);
    us.write("CREATE (:P {k: 'a'})");
    const fork = cluster('us~tab', () => t);
    fork.merge(us.graph);
    t += 10;
    fork.write("MATCH (p:P {k: 'a'}) SET p.v = 'offline'");
    fork.write("CREATE (:P {k: 'new'})");
    expect(holdsRecords(us.graph, us.id, recordsOfGraph(fork.graph))).toBe(false);
    us.merge(fork.graph);
    expect(holdsRecords(us.graph, us.id, recordsOfGraph(fork.graph))).toBe(true);
    // A later write in the cluster does not make it miss the fork's (its register is newer).
    t += 10;
    us.write("MATCH (p:P {k: 'a'}) SET p.v = 'later'");
    expect(holdsRecords(us.graph, us.id, recordsOfGraph(fork.graph))).toBe(true);
  });

  it('explains the winner of a conflict: the later hybrid timestamp, then the larger cluster id', () => {
    let t = 5_000;
    const us = cluster('us', () => t);
    us.write("CREATE (:P {k: 'c', colour: 'start'})");
    const eu = cluster('eu', () => t);
    eu.merge(us.graph);
    t += 1;
    eu.write("MATCH (p:P) SET p.colour = 'blue'");
    t += 1;
    us.write("MATCH (p:P) SET p.colour = 'red'");
    const id = (c: ReturnType<typeof cluster>) => Number(c.engine.run('MATCH (p:P) RETURN id(p)', {}).rows[0]![0]);
    const a = propertyRegister(us.graph, 'us', id(us), 'colour')!;
    const b = propertyRegister(eu.graph, 'eu', id(eu), 'colour')!;
    const why = explainWinner(b, a);
    expect(why.reason).toBe('later');
    expect(why.winner[3]).toBe('red');
    expect(why.text).toMatch(/^"red" from us wins: its hybrid timestamp .* is later/);
    const tie = explainWinner([7, 0, 'eu', 'x'], [7, 0, 'us', 'y']);
    expect(tie.reason).toBe('cluster-id');
    expect(tie.winner[2]).toBe('us');
  });
});
