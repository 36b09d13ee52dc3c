import { afterEach, describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeCommands, encodeSnapshot, GraphStore, type GraphCommand } from '../graph/index.ts';
import type { RequestHandler } from '../net/index.ts';
import { QueryEngine } from '../query/index.ts';
import { FederationAgent, FEDERATION_PROTOCOL, type FederationHost, type FederationNet } from './agent.ts';
import { validateFederationConfig } from './config.ts';

type WriteHook = (group: number, graph: GraphStore, commands: readonly GraphCommand[]) => readonly GraphCommand[];

/** A one-member cluster reduced to its graph and its log of entries (each entry's commands encoded as a Raft entry's data). */
class FakeCluster implements FederationHost {
  readonly store = new GraphStore();
  readonly engine = new QueryEngine(this.store);
  readonly log: Uint8Array[] = [];
  #hook: WriteHook | undefined;
  readonly #listeners = new Set<(group: number) => void>();

  isLeader(): boolean {
    return true;
  }
  readCommitted(_group: number, after: number, maxEntries: number): { applied: number; entries: { index: number; data: Uint8Array }[] } {
    const hi = Math.min(this.log.length, after + maxEntries);
    const entries: { index: number; data: Uint8Array }[] = [];
    for (let i = after; i < hi; i++) entries.push({ index: i + 1, data: this.log[i]! });
    return { applied: this.log.length, entries };
  }
  async applyBuilt(_group: number, build: (graph: GraphStore, apply: (c: GraphCommand) => void) => void): Promise<number> {
    const commands: GraphCommand[] = [];
    build(this.store, (c) => {
      this.store.apply(c);
      commands.push(c);
    });
    if (commands.length > 0) this.#append(commands);
    return this.log.length;
  }
  setWriteHook(hook: WriteHook | undefined): void {
    this.#hook = hook;
  }
  setLogRetention(): void {}
  onApplied(listener: (group: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  graph(): GraphStore {
    return this.store;
  }
  /** Runs a statement as the leader does: the write hook's commands applied and logged with it. */
  write(text: string): void {
    const r = this.engine.run(text, {});
    const extra = this.#hook?.(0, this.store, r.commands) ?? [];
    for (const c of extra) this.store.apply(c);
    this.#append([...r.commands, ...extra]);
  }
  #append(commands: readonly GraphCommand[]): void {
    this.log.push(encodeCommands(commands));
    for (const l of this.#listeners) l(0);
  }
}

/** An in-memory network: requests to an address go to the handler served there. */
class FakeNet implements FederationNet {
  static readonly handlers = new Map<string, RequestHandler>();
  constructor(
    readonly addr: string,
    readonly name: string,
  ) {}
  async serveRequests(_protocol: string, handler: RequestHandler): Promise<void> {
    FakeNet.handlers.set(this.addr, handler);
  }
  async sendRequest(addrs: readonly string[], _protocol: string, payload: Uint8Array): Promise<Uint8Array> {
    const h = FakeNet.handlers.get(addrs[0]!);
    if (h === undefined) throw new Error(`nothing at ${addrs[0]}`);
    return h(this.name, payload);
  }
}

const US_ADDR = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWLW4sUJtR7SS2xHMBAcnJ8L5bhhJyUb7cVcr6YBtBLtxN';
const agents: FederationAgent[] = [];
afterEach(() => {
  for (const a of agents.splice(0)) a.stop();
  FakeNet.handlers.clear();
});

async function startUs(): Promise<{ us: FakeCluster; serve: RequestHandler }> {
  const us = new FakeCluster();
  agents.push(await FederationAgent.start({ host: us, net: new FakeNet(US_ADDR, 'us-peer'), now: Date.now }, validateFederationConfig({ enabled: true, cluster_id: 'us' })));
  return { us, serve: FakeNet.handlers.get(US_ADDR)! };
}

describe('federation agent (in memory)', () => {
  it('a cluster pulling with version-3 requests merges the other cluster\'s records, record-free creations included', async () => {
    const { us } = await startUs();
    const eu = new FakeCluster();
    agents.push(await FederationAgent.start({ host: eu, net: new FakeNet('/memory/eu', 'eu-peer'), now: Date.now }, validateFederationConfig({ enabled: true, cluster_id: 'eu', peers: [{ address: US_ADDR, cluster_id: 'us', async: true }] })));
    us.write("CREATE (:P {k: 'a', n: 1})-[:R {w: 2}]->(:P {k: 'b'})");
    us.write("MATCH (n {k: 'a'}) SET n.n = 3, n:Q");
    const view = (): string => JSON.stringify(eu.engine.run("MATCH (a:P:Q {k: 'a'})-[r:R]->(b:P) RETURN a.n AS n, r.w AS w, b.k AS b", {}).rows, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
    const end = Date.now() + 5_000;
    while (view() !== '[[3,2,"b"]]' && Date.now() < end) await new Promise((ok) => setTimeout(ok, 20));
    expect(view()).toBe('[[3,2,"b"]]');
  });

  it('a request of version 1 or 2 (a cluster whose version cannot read record-free creations) is answered with an error naming both versions', async () => {
    const { us, serve } = await startUs();
    us.write("CREATE (:P {k: 'a'})");
    const ask = async (v: number | undefined): Promise<Record<string, unknown>> =>
      decodeSnapshot(await serve('old-peer', encodeSnapshot({ ...(v === undefined ? {} : { v }), from: 'old', cluster: 'us', after: 0, max: 10, waitMs: 0 }))) as Record<string, unknown>;
    const old = await ask(1);
    expect(old['kind']).toBe('error');
    expect(old['message']).toMatch(/version 3 \(records of format 2\); this request is of version 1: upgrade cluster old/);
    const v2 = await ask(2);
    expect(v2['kind']).toBe('error');
    expect(v2['message']).toMatch(/version 3 \(records of format 2\); this request is of version 2: upgrade cluster old/);
    expect((await ask(undefined))['kind']).toBe('error');
    const now = await ask(3);
    expect(now['kind']).toBe('tail');
    expect((now['entries'] as unknown[]).length).toBe(1);
    expect(FEDERATION_PROTOCOL).toBe('/geode/federation/1.0.0');
  });

  it('with record_free_creations off, a created node gets a record and its entry stays a batch of format 1 (peers of older versions apply it)', async () => {
    const log = async (recordFree: boolean | undefined): Promise<{ first: number; stamps: number; records: boolean }> => {
      const c = new FakeCluster();
      agents.push(await FederationAgent.start({ host: c, net: new FakeNet(`/memory/${String(recordFree)}`, 'p'), now: Date.now }, validateFederationConfig({ enabled: true, cluster_id: 'us', ...(recordFree === undefined ? {} : { record_free_creations: recordFree }) })));
      c.write("CREATE (:P {k: 'a'})");
      return { first: c.log[0]![0]!, stamps: c.store.creationStampCount, records: [...c.store.metaKeys('f/')].length > 0 };
    };
    expect(await log(false)).toEqual({ first: 1, stamps: 0, records: true });
    expect(await log(undefined)).toEqual({ first: 2, stamps: 1, records: false });
  });
});

