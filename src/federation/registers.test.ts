import { describe, expect, it } from 'vitest';
import { decodeSnapshot, decodeValue, encodeSnapshot, encodeValue, GraphStore, type GraphCommand, type GraphSnapshot } from '../graph/index.ts';
import { QueryEngine } from '../query/index.ts';
import { Prng } from '../sim/prng.ts';
import { HybridClock } from '../txn/hlc.ts';
import { recordsOfGraph } from './local-first.ts';
import { encodeRecord, mergeRecords, RECORD_FORMAT, recordOf, recordsOfCommands, recordsOfSnapshotStamps, stampLocalWrite, type EntityRecord, type ReceivedRecord } from './registers.ts';

function assertSetMeta(c: GraphCommand): asserts c is Extract<GraphCommand, { op: 'setMeta' }> {
  expect(c.op).toBe('setMeta');
}

/** A cluster reduced to its replicated graph: statements stamped as the leader does, a log of entries. */
class MiniCluster {
  readonly graph = new GraphStore();
  readonly engine = new QueryEngine(this.graph);
  readonly log: GraphCommand[][] = [];
  readonly clock: HybridClock;
  constructor(
    readonly id: string,
    now: () => number,
    readonly recordFree = true,
  ) {
    this.clock = new HybridClock(now, 10_000);
  }

  write(text: string, params: Record<string, unknown> = {}): void {
    const r = this.engine.run(text, params as never);
    if (r.commands.length === 0) return;
    const extra = stampLocalWrite(this.graph, this.id, this.clock, r.commands, this.recordFree);
    for (const c of extra) this.graph.apply(c);
    this.log.push([...r.commands, ...extra]);
  }

  /** Merges another cluster's entries from position `from`; returns the new position. */
  pull(from: MiniCluster, after: number): number {
    const records: ReceivedRecord[] = [];
    for (const e of from.log.slice(after)) recordsOfCommands(e, records);
    const cmds: GraphCommand[] = [];
    mergeRecords(this.graph, this.id, records, (c) => {
      this.graph.apply(c);
      cmds.push(c);
    });
    if (cmds.length > 0) this.log.push(cmds);
    return from.log.length;
  }

  /** The visible graph, independent of local ids: nodes by their `k` property, edges by their ends' `k`. */
  view(): string {
    const nodes = this.engine.run('MATCH (n) RETURN n.k AS k, labels(n) AS l, properties(n) AS p ORDER BY k', {}).rows.map((r) => JSON.stringify([r[0], [...(r[1] as string[])].sort(), r[2]], (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
    const edges = this.engine
      .run('MATCH (a)-[r]->(b) RETURN a.k AS a, type(r) AS t, r.w AS w, b.k AS b ORDER BY a, t, b, w', {})
      .rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
    return [...nodes.sort(), '--', ...edges.sort()].join('\n');
  }
}

/** A snapshot through its bytes, as storage and Raft ship it. */
function decodeSnapshotOf(snap: GraphSnapshot): GraphSnapshot {
  return decodeSnapshot(encodeSnapshot(snap)) as GraphSnapshot;
}

/**
 * A seeded history of three clusters in a ring (us → eu → ap → us): nodes created (some later),
 * properties set, labels added and removed, edges made and changed, nodes deleted, pulls at
 * random; then healed. `recordFree` false: a record written for every created node (the twin).
 */
function ringHistory(seed: number, recordFree: boolean): MiniCluster[] {
  const rnd = new Prng(seed);
  let t = 1_000;
  const skew = { us: rnd.int(-50, 50), eu: rnd.int(-50, 50), ap: rnd.int(-50, 50) };
  const cs = (['us', 'eu', 'ap'] as const).map((id) => new MiniCluster(id, () => t + skew[id], recordFree));
  for (const c of cs) for (let i = 1; i <= 3; i++) c.write(`CREATE (:P {k: '${c.id}${i}'})`);
  const cursors = [0, 0, 0]; // cs[i] pulls from cs[i - 1]
  const keys = cs.flatMap((c) => [1, 2, 3].map((i) => `${c.id}${i}`));
  for (let step = 0; step < 60; step++) {
    t += rnd.int(0, 3);
    const c = rnd.pick(cs);
    const k = rnd.pick(keys);
    const roll = rnd.next();
    if (roll < 0.4) c.write('MATCH (n {k: $k}) SET n.v = $v', { k, v: `${c.id}${step}` });
    else if (roll < 0.5) c.write(`MATCH (n {k: $k}) SET n:${rnd.pick(['A', 'B'])}`, { k });
    else if (roll < 0.6) c.write(`MATCH (n {k: $k}) REMOVE n:${rnd.pick(['A', 'B'])}`, { k });
    else if (roll < 0.72) c.write('MATCH (a {k: $a}), (b {k: $b}) CREATE (a)-[:R {w: $w}]->(b)', { a: k, b: rnd.pick(keys), w: BigInt(step) });
    else if (roll < 0.8) c.write('MATCH (n {k: $k}) DETACH DELETE n', { k });
    else if (roll < 0.86) c.write('MATCH (n {k: $k})-[r]->() SET r.w = $w', { k, w: BigInt(-step) });
    else if (roll < 0.9) {
      const fresh = `${c.id}n${step}`;
      keys.push(fresh);
      c.write(`CREATE (:P:${rnd.pick(['A', 'B'])} {k: $k, v: $v})`, { k: fresh, v: step });
    } else if (roll < 0.94) {
      const fresh = `${c.id}s${step}`;
      keys.push(fresh);
      c.write('MERGE (n:P {k: $k}) SET n.by = $by', { k: fresh, by: c.id }); // created and changed by one statement
    } else {
      const fresh = `${c.id}m${step}`;
      keys.push(fresh);
      c.write('MATCH (a {k: $a}) CREATE (a)-[:R {w: 0}]->(:P {k: $k})', { a: k, k: fresh });
    }
    if (rnd.chance(0.3)) {
      const i = rnd.int(0, 2);
      cursors[i] = cs[i]!.pull(cs[(i + 2) % 3]!, cursors[i]!);
    }
  }
  // Heal: pull around the ring until nothing moves.
  for (let round = 0; round < 6; round++) for (let i = 0; i < 3; i++) cursors[i] = cs[i]!.pull(cs[(i + 2) % 3]!, cursors[i]!);
  return cs;
}

/** Every register of a graph (stored or derived records), by record key, registers sorted by key: comparable across the twin runs. */
function registersOf(graph: GraphStore): string {
  const out: string[] = [];
  for (const [key, r] of recordsOfGraph(graph)) {
    const regs: string[] = [`x=${JSON.stringify(r.x)}`];
    for (let i = 0; i < r.p.length; i += 2) regs.push(`p:${r.p[i] as string}=${JSON.stringify(r.p[i + 1], (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
    if (r.k === 'n') for (let i = 0; i < r.l.length; i += 2) regs.push(`l:${r.l[i] as string}=${JSON.stringify(r.l[i + 1])}`);
    else regs.push(`ends=${r.t},${r.s},${r.d}`);
    out.push(`${key} ${regs.sort().join(' ')}`);
  }
  return out.sort().join('\n');
}

describe('federation registers in the replicated graph', () => {
  it('a node, its labels, properties and edges made in one cluster appear in another under a local id of its own', () => {
    let t = 1_000;
    const us = new MiniCluster('us', () => t);
    const eu = new MiniCluster('eu', () => t);
    eu.write("CREATE (:Local {k: 'eu-only'})"); // eu's ids move on: us's node 1 will not be eu's node 1
    us.write("CREATE (a:P {k: 'a', name: 'Ada'})-[:KNOWS {w: 1}]->(b:P {k: 'b'})");
    t++;
    eu.pull(us, 0);
    expect(eu.view()).toContain('["a",["P"],{"k":"a","name":"Ada"}]');
    expect(eu.view()).toContain('["a","KNOWS","1n","b"]');
    const ada = eu.engine.run("MATCH (n {k: 'a'}) RETURN id(n) AS id", {}).rows[0]![0];
    expect(ada).not.toBe(1n);
  });

  it('concurrent writes to one property end with the later write everywhere; applying a change twice changes nothing', () => {
    let t = 1_000;
    const us = new MiniCluster('us', () => t);
    const eu = new MiniCluster('eu', () => t);
    us.write("CREATE (:P {k: 'x', v: 'base'})");
    eu.pull(us, 0);
    us.write("MATCH (n {k: 'x'}) SET n.v = 'us'");
    t += 5;
    eu.write("MATCH (n {k: 'x'}) SET n.v = 'eu'"); // later: wins
    const usAt = us.log.length;
    eu.pull(us, 1);
    us.pull(eu, 0);
    expect(us.view()).toBe(eu.view());
    expect(us.view()).toContain('"v":"eu"');
    const before = eu.view();
    const entries = eu.log.length;
    eu.pull(us, 0); // everything again
    expect(eu.view()).toBe(before);
    expect(eu.log.length).toBe(entries); // nothing won: no entry, nothing to forward
    expect(usAt).toBeGreaterThan(0);
  });

  it('a delete later than a concurrent update removes the node; an edge to a deleted node is hidden and returns with it', () => {
    let t = 1_000;
    const us = new MiniCluster('us', () => t);
    const eu = new MiniCluster('eu', () => t);
    us.write("CREATE (:P {k: 'a'}), (:P {k: 'b'})");
    eu.pull(us, 0);
    eu.write("MATCH (a {k: 'a'}), (b {k: 'b'}) CREATE (a)-[:R {w: 2}]->(b)");
    t += 1;
    us.write("MATCH (n {k: 'b'}) DETACH DELETE n"); // us has not seen the edge yet
    const u = us.log.length;
    us.pull(eu, 0);
    eu.pull(us, 0);
    expect(us.view()).toBe(eu.view());
    expect(us.view()).not.toContain('"k":"b"');
    expect(us.view()).not.toContain('"R"');
    expect(u).toBeGreaterThan(0);
  });

  it('three clusters in a ring with random conflicting writes converge to the same graph (200 seeds)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const cs = ringHistory(seed, true);
      const [a, b, c] = cs.map((x) => x.view());
      expect(b, `seed ${seed}`).toBe(a);
      expect(c, `seed ${seed}`).toBe(a);
      for (const x of cs) expect(x.graph.checkConsistency(), `seed ${seed}`).toEqual([]);
    }
  });

  it('record-free creations end with the same registers and winners as a record written for every node (200 seeds, twin)', () => {
    let stampedAtEnd = 0;
    let stampCommands = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const free = ringHistory(seed, true);
      const twin = ringHistory(seed, false);
      for (let i = 0; i < 3; i++) {
        expect(free[i]!.view(), `seed ${seed} ${free[i]!.id}`).toBe(twin[i]!.view());
        expect(registersOf(free[i]!.graph), `seed ${seed} ${free[i]!.id}`).toEqual(registersOf(twin[i]!.graph));
        expect(twin[i]!.graph.creationStampCount).toBe(0);
        stampedAtEnd += free[i]!.graph.creationStampCount;
        for (const e of free[i]!.log) for (const c of e) if (c.op === 'stampNodes') stampCommands++;
        // Never both: a stamped node has no stored record.
        for (const [id, stamp] of free[i]!.graph.creationStamps()) expect(free[i]!.graph.meta(`f/n/${stamp[2]}/${id}`)).toBeUndefined();
      }
    }
    expect(stampCommands).toBeGreaterThan(1_000); // the twin is not vacuous: many nodes went record-free...
    expect(stampedAtEnd).toBeGreaterThan(100); // ...and many stayed so to the end
  });

  it('a record in format 2 reads back register for register, stamps differing from the existence one included; format 1 is still read', () => {
    const node: EntityRecord = {
      k: 'n',
      x: [5_000, 2, 'us', true],
      l: ['A', [5_000, 2, 'us', true], 'B', [4_000, 0, 'eu', false]],
      p: ['k', [5_000, 2, 'us', 'a'], 'list', [6_000, 1, 'ap', [1n, 'x', null]], 'gone', [5_000, 2, 'eu', null]],
    };
    const edge: EntityRecord = { k: 'e', x: [7_000, 0, 'eu', false], t: 'R', s: 'us/1', d: 'eu/9', p: ['w', [7_000, 0, 'eu', -0], 'v', [8_000, 3, 'us', 'late']] };
    const sortRegs = (r: EntityRecord): unknown => {
      const pairs = (f: readonly unknown[]): unknown[][] => {
        const out: unknown[][] = [];
        for (let i = 0; i < f.length; i += 2) out.push([f[i], f[i + 1]]);
        return out.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      };
      return { ...r, p: pairs(r.p), ...(r.k === 'n' ? { l: pairs(r.l) } : {}) };
    };
    for (const r of [node, edge]) {
      const bytes = encodeRecord(r);
      expect(sortRegs(recordOf('f/n/us/1', bytes))).toEqual(sortRegs(r));
      expect(sortRegs(recordOf('f/n/us/1', encodeValue(r)))).toEqual(sortRegs(r)); // format 1, as bytes
      expect(sortRegs(recordOf('f/n/us/1', r as never))).toEqual(sortRegs(r)); // format 1, as plain data
    }
    expect(Object.is((recordOf('f/e/eu/3', encodeRecord(edge)).p[1] as readonly unknown[])[3], -0)).toBe(true);
    // A CREATE's record: one stamp, about half of format 1's bytes.
    const created: EntityRecord = { k: 'n', x: [1_764_800_000_000, 0, 'us', true], l: ['B', [1_764_800_000_000, 0, 'us', true]], p: ['k', [1_764_800_000_000, 0, 'us', 'k-12345']] };
    expect(encodeRecord(created).length * 1.8).toBeLessThan(encodeValue(created).length);
    expect(() => recordOf('f/n/us/1', encodeValue([RECORD_FORMAT + 1, 'n']))).toThrow(/format 3 is not supported/);
    expect(() => recordOf('f/n/us/1', encodeValue([RECORD_FORMAT, 'n', 1, 0, 'us', true, ['A'], [], [], []]))).toThrow(/not a record of format 2/);
  });

  it('a statement that only creates nodes writes no record, one stamp command, the same as the general path; its entry and its graph give the same records', () => {
    const texts = [
      "CREATE (:B {k: 'k1'})",
      "CREATE (:A:B {x: 1, y: 's', z: [1, 2]}), (:C), ({w: 2.5})",
      "CREATE (:A:A {k: 1})", // a repeated label: the general path (record-free too: one register per label)
      'CREATE (:A {k: null})', // a null property: not in the statement's commands, no register
      "UNWIND range(1, 20) AS i CREATE (:N {i: i, s: 'v' + toString(i)})",
      'CREATE (:L1:L2:L3:L4:L5:L6:L7:L8:L9 {p1: 1, p2: 2, p3: 3, p4: 4, p5: 5, p6: 6, p7: 7, p8: 8, p9: 9})',
      "CREATE (:T {a: 1, d: date('2020-01-02'), b: 'x'}), (:T {z: -0.0, s: 'é€😀'})",
      "CREATE (a:P {k: 1})-[:R {w: 2}]->(b:P {k: 2})", // nodes record-free, the edge a record
      "MERGE (w:W {k: 'a'}) SET w.by = 'us'", // changed after its createNode: a record (a receiver reads the createNode alone)
      "CREATE (n:A {k: 1}), (m:B) SET n.v = 2, n:C", // n a record, m record-free
      "CREATE (n:A {k: 1}) REMOVE n.k", // a record (k null)
    ];
    const norm = (rs: readonly ReceivedRecord[]): string => rs.map(([k, r]) => `${k} ${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : Object.is(v, -0) ? '-0' : v))}`).sort().join('\n');
    for (const text of texts) {
      const run = (extra: readonly GraphCommand[]): { graph: GraphStore; entry: GraphCommand[]; hook: GraphCommand[] } => {
        const graph = new GraphStore();
        graph.apply({ op: 'createNode', id: 1, labels: ['Old'], props: [] }); // ids above 1, as in a used graph
        const r = new QueryEngine(graph).run(text, {});
        // A schema command (not federated) sends the statement down the general path.
        const hook = stampLocalWrite(graph, 'us', new HybridClock(() => 1_764_800_000_000, 500), [...r.commands, ...extra]);
        for (const c of hook) graph.apply(c);
        return { graph, entry: [...r.commands, ...hook], hook };
      };
      const fast = run([]);
      const general = run([{ op: 'createIndex', name: 'ix', label: 'Z', keys: ['q'] }]);
      expect(fast.hook.length, text).toBeGreaterThan(0);
      expect(fast.hook, text).toEqual(general.hook);
      const stamps = fast.hook.filter((c) => c.op === 'stampNodes');
      expect(stamps.length, text).toBe(/SET|REMOVE/.test(text) && !text.includes('(m:B)') ? 0 : 1);
      for (const c of stamps) expect(c.op === 'stampNodes' && c.stamp, text).toEqual([1_764_800_000_000, 0, 'us']);
      // What a receiver reads out of the entry is what the origin's graph derives (and stores).
      const fromEntry: ReceivedRecord[] = [];
      recordsOfCommands(fast.entry, fromEntry);
      expect(fromEntry.length, text).toBeGreaterThan(0);
      expect(norm(fromEntry), text).toBe(norm(recordsOfGraph(fast.graph)));
      for (const [, rec] of fromEntry) expect(rec.x, text).toEqual([1_764_800_000_000, 0, 'us', true]);
      // And what it merges: a cluster that receives the entry holds the origin's node.
      const eu = new GraphStore();
      mergeRecords(eu, 'eu', fromEntry, (c) => eu.apply(c));
      const view = (g: GraphStore): string[] => [...g.nodes()].filter((n) => !n.labels.has('Old')).map((n) => JSON.stringify([[...n.labels].sort(), [...n.props].sort()], (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : Object.is(v, -0) ? '-0' : v))).sort();
      expect(view(eu), text).toEqual(view(fast.graph));
    }
  });

  it('a stamp command whose node was not created before it in its entry is refused, not read as a record', () => {
    expect(() => recordsOfCommands([{ op: 'stampNodes', ids: [7], stamp: [5, 0, 'us'] }], [])).toThrow(/stamps node 7, not created before it/);
    const clear: ReceivedRecord[] = [];
    recordsOfCommands([{ op: 'stampNodes', ids: [7], stamp: null }], clear);
    expect(clear).toEqual([]);
  });

  it('a record-free node changed later gets its record (untouched registers keep the creation stamp) and loses its stamp in the same entry', () => {
    let t = 1_000;
    const us = new MiniCluster('us', () => t);
    us.write("CREATE (:P:Q {k: 'x', v: 1})");
    expect(us.graph.meta('f/n/us/1')).toBeUndefined();
    expect(us.graph.creationStamp(1)).toEqual([1_000, 0, 'us']);
    t = 2_000;
    us.write("MATCH (n {k: 'x'}) SET n.v = 2 REMOVE n:Q");
    expect(us.graph.creationStamp(1)).toBeUndefined();
    expect(us.log[1]!.some((c) => c.op === 'stampNodes' && c.stamp === null)).toBe(true);
    const rec = recordOf('f/n/us/1', us.graph.meta('f/n/us/1')!);
    const reg = (regs: readonly unknown[], k: string): unknown => regs[regs.indexOf(k) + 1];
    expect(rec.k === 'n' && reg(rec.l, 'P')).toEqual([1_000, 0, 'us', true]);
    expect(rec.k === 'n' && reg(rec.l, 'Q')).toEqual([2_000, 0, 'us', false]);
    expect(reg(rec.p, 'k')).toEqual([1_000, 0, 'us', 'x']);
    expect(reg(rec.p, 'v')).toEqual([2_000, 0, 'us', 2n]);
  });

  it('a record-free node deleted gets a tombstone covering every label and property it had', () => {
    let t = 1_000;
    const us = new MiniCluster('us', () => t);
    us.write("CREATE (:P:Q {k: 'x', v: 1})");
    t = 2_000;
    us.write("MATCH (n {k: 'x'}) DELETE n");
    expect(us.graph.creationStamp(1)).toBeUndefined();
    expect(us.graph.stampedNode(1)).toBeUndefined(); // the store let go of the deleted node
    const rec = recordOf('f/n/us/1', us.graph.meta('f/n/us/1')!);
    expect(rec.x).toEqual([2_000, 0, 'us', false]);
    expect(rec.k === 'n' && rec.l.filter((x) => typeof x === 'string').sort()).toEqual(['P', 'Q']);
    for (let i = 1; rec.k === 'n' && i < rec.l.length; i += 2) expect(rec.l[i]).toEqual([2_000, 0, 'us', false]);
    expect(rec.p.filter((x) => typeof x === 'string').sort()).toEqual(['k', 'v']);
    for (let i = 1; i < rec.p.length; i += 2) expect(rec.p[i]).toEqual([2_000, 0, 'us', null]);
  });

  it('a snapshot keeps the creation stamps (graph snapshot version 2): the restored store and the snapshot give the same records as the graph', () => {
    let t = 1_000;
    const us = new MiniCluster('us', () => t++);
    for (let i = 0; i < 5_000; i++) us.write('CREATE (:B {k: $k})', { k: i }); // more than one chunk of stamps
    us.write("MATCH (n {k: 7}) SET n.v = 1");
    us.write("MATCH (n {k: 8}) DELETE n");
    const snap = us.graph.snapshot();
    expect(snap.version).toBe(2);
    expect(snap.created!.data.length).toBeLessThan(5 * 5_000); // about 4 bytes a stamp here
    const restored = GraphStore.restore(decodeSnapshotOf(snap));
    expect(restored.creationStampCount).toBe(4_998);
    const norm = (rs: readonly (readonly [string, EntityRecord, unknown?])[]): string[] => rs.map(([k, r]) => `${k} ${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`).sort();
    const want = norm(recordsOfGraph(us.graph));
    expect(norm(recordsOfGraph(restored))).toEqual(want);
    // A snapshot chunk served to a link: the stored records and the derived ones.
    const served: [string, EntityRecord][] = [];
    for (const [k, v] of snap.meta ?? []) if (k.startsWith('f/n/') || k.startsWith('f/e/')) served.push([k, recordOf(k, v)]);
    recordsOfSnapshotStamps(snap, served);
    expect(norm(served)).toEqual(want);
    expect(restored.snapshot()).toEqual(snap);
    // A graph without stamps still writes (and reads) version 1.
    const plain = new GraphStore();
    plain.apply({ op: 'createNode', id: 1, labels: [], props: [] });
    expect(plain.snapshot().version).toBe(1);
    expect(GraphStore.restore(plain.snapshot()).nodeCount).toBe(1);
  });

  it('a cluster that stored records in format 1 merges later writes in format 2 with the same winners', () => {
    let t = 1_000;
    const us = new MiniCluster('us', () => t);
    const eu = new MiniCluster('eu', () => t);
    us.write("CREATE (:P {k: 'x', v: 'base', w: 'base'})");
    // us's record rewritten in format 1, as an older version stored it.
    for (const c of us.log[0]!) if (c.op === 'setMeta' && c.key.startsWith('f/n/')) {
      const v1 = encodeValue(recordOf(c.key, c.value!));
      us.graph.apply({ op: 'setMeta', key: c.key, value: v1 });
      (c as { value: unknown }).value = v1;
    }
    eu.pull(us, 0);
    t += 5;
    us.write("MATCH (n {k: 'x'}) SET n.v = 'us'");
    t += 5;
    eu.write("MATCH (n {k: 'x'}) SET n.w = 'eu'");
    eu.pull(us, 1);
    us.pull(eu, 0);
    expect(us.view()).toBe(eu.view());
    expect(us.view()).toContain('"v":"us","w":"eu"');
  });

  it('a record written straight to bytes reads back as the codec would write it, for any property values (300 seeds)', () => {
    const values = (rnd: Prng, depth: number): unknown => {
      const roll = rnd.int(0, 13);
      const n = [0, 1, -1, 31, 32, 127, 128, 255, 256, 65_535, 65_536, -32, -33, -128, -129, -32_768, -32_769, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, -(2 ** 31) - 1, 1.5, -0, 1e300, 2 ** 53];
      switch (roll) {
        case 0:
          return rnd.pick(n);
        case 1:
          return BigInt(rnd.int(-1_000_000_000, 1_000_000_000)) * rnd.pick([1n, 1_000_003n, 1n << 31n, 1n << 33n]);
        case 2:
          return rnd.chance(0.5);
        case 3:
          return null;
        case 4:
          return 'x'.repeat(rnd.pick([0, 1, 31, 32, 255, 256, 70_000]));
        case 5:
          return rnd.pick(['é', 'ab€', '😀x', 'k-12', '\u0000', 'Ünïcödé'.repeat(rnd.int(1, 40))]);
        case 6:
          return depth > 2 ? 1 : Array.from({ length: rnd.pick([0, 1, 15, 16, 17]) }, () => values(rnd, depth + 1));
        case 7:
          return depth > 2 ? 2 : new Map([['a', values(rnd, depth + 1)]]); // not written straight: the codec's path
        case 8:
          return rnd.pick([(1n << 63n) - 1n, -(1n << 63n), Number.NaN, Infinity]);
        default:
          return rnd.int(-1_000_000, 1_000_000) / rnd.pick([1, 7, 1024]);
      }
    };
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = new Prng(seed);
      const w = rnd.pick([0, 1, 1_764_800_000_000, 2 ** 40 + 3]);
      const p: (string | [number, number, string, unknown])[] = [];
      for (let i = 0; i < rnd.int(0, 20); i++) p.push(`p${i}${rnd.pick(['', 'é', 'x'.repeat(40)])}`, [rnd.chance(0.7) ? w : w + 1, 0, 'us', values(rnd, 0)]);
      const rec: EntityRecord = rnd.chance(0.5) ? { k: 'n', x: [w, rnd.int(0, 300), 'us', true], l: ['A', [w, 0, 'us', false]], p } : { k: 'e', x: [w, 0, 'eu', rnd.chance(0.5)], t: 'R€', s: 'us/1', d: 'eu/2', p };
      // The codec's own round trip of the record (format 1), register for register.
      const byKey = (r: EntityRecord): Map<string, unknown> => {
        const m = new Map<string, unknown>([['x', r.x]]);
        for (let i = 0; i < r.p.length; i += 2) m.set(`p:${r.p[i] as string}`, r.p[i + 1]);
        if (r.k === 'n') for (let i = 0; i < r.l.length; i += 2) m.set(`l:${r.l[i] as string}`, r.l[i + 1]);
        else m.set('ends', [r.t, r.s, r.d]);
        return m;
      };
      expect(byKey(recordOf('k', encodeRecord(rec))), `seed ${seed}`).toEqual(byKey(recordOf('k', encodeValue(rec))));
    }
  });
});

describe('stamped records in memory', () => {
  it('shares buffers between the records of many stamped writes (not one each), and each reads back as its entity', () => {
    let t = 5_000;
    const us = new MiniCluster('us', () => t++);
    for (let i = 0; i < 300; i++) us.write('CREATE (:B)-[:R {k: $k}]->(:B)', { k: i });
    const buffers = new Set<ArrayBufferLike>();
    for (let id = 1; id <= 300; id++) {
      const stored = us.graph.meta(`f/e/us/${id}`) as Uint8Array;
      expect(stored).toBeInstanceOf(Uint8Array);
      buffers.add(stored.buffer);
      const rec = recordOf(`f/e/us/${id}`, stored);
      expect(rec.k === 'e' && rec.p).toEqual(['k', [rec.x[0], rec.x[1], 'us', id - 1]]);
    }
    expect(buffers.size).toBeLessThanOrEqual(10);
    expect(us.graph.metaKeys('f/n/').next().done).toBe(true); // the nodes: record-free
    expect(us.graph.creationStampCount).toBe(600);
  });
});
