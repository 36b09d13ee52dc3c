/**
 * Local-first tabs (the shell around demo/local-first-policy.ts): a federated tab that loses its
 * cluster (the browser offline, or no leader in sight) continues as a cluster of its own, a
 * "fork": a one-member cluster `<cluster>~<tab>-<n>` with its own Raft group and IndexedDB
 * database, seeded with what the tab last held of its cluster (src/federation/local-first.ts),
 * and federation on. Statements go to the fork meanwhile. The fork registers in the federation
 * directory as a fork of its cluster, so once the tab is back the cluster's leader links to it
 * and merges its writes (last-write-wins); when the tab's own replica of the cluster holds every
 * record of the fork, the tab uses its cluster again and the fork ends (its database deleted).
 *
 * The tab's membership never ends: its member keeps running beside the fork and catches up with
 * its group by Raft when the network is back. The cluster panel keeps showing the member. An
 * open fork is remembered in the tab's sessionStorage: reloaded, the tab reopens it and drains it
 * as before. Every fork is also listed in localStorage (shared by the origin's tabs of one browser
 * profile) until it ends: a tab closed while forked leaves its fork's database behind, and the next
 * tab of that cluster in the profile that is online with a leader in sight adopts it (opens it —
 * the storage's Web Lock refuses a fork a live tab still holds —, lets its cluster merge it, then
 * deletes it). Statements never go to an adopted fork.
 *
 * {@link LocalFirstDatabase} is the {@link Geode} the console uses: every call goes to the member
 * or the fork, whichever is in use; live queries move over on a switch.
 *
 * Test hooks on `document.body.dataset`: `localFirst` (the mode: `member`, `forking` (opening
 * the fork), `fork`, `draining`, `retiring`, or `off`), `localFirstFork` (the fork's cluster id, or empty), `localFirstForks`
 * (forks this tab opened), `localFirstAdopted` (forks of closed tabs this tab merged and deleted).
 */
import { holdsRecords, recordsOfGraph } from '../src/federation/index.ts';
import type { GraphStore } from '../src/graph/index.ts';
import { generatePeerKey, openGeode, type Geode, type GeodeSession, type GeodeTransaction, type TransactionOptions, type ProcedureDefinition, type QueryOptions, type QueryParams, type QueryResult, type SubscribeOptions, type Unsubscribe } from '../src/index.ts';
import { mergeRecords } from '../src/federation/registers.ts';
import { LOCAL_FIRST_POLICY, LOCAL_FIRST_START, stepLocalFirst, type LocalFirstMode, type LocalFirstPolicy, type LocalFirstState } from './local-first-policy.ts';
import { DEMO_RAFT, DEMO_SECRET, type TabCluster } from './tab-cluster.ts';
import { startTabFederation, type TabFederation } from './tab-federation.ts';

/** How often the policy steps, ms. */
export const LOCAL_FIRST_STEP_MS = 500;
/** A leader last heard from longer ago than this is not "in sight", ms. */
export const LEADER_CONTACT_MAX_MS = 2_500;
/** How long a fork waits to lead its own one-member group, ms. */
const FORK_LEAD_TIMEOUT_MS = 10_000;

interface Sub {
  readonly query: string;
  readonly params: QueryParams | undefined;
  readonly onResult: (r: QueryResult) => void;
  readonly options: SubscribeOptions | undefined;
  stop: Unsubscribe;
  closed: boolean;
}

/** LocalFirstDatabase: a {@link Geode} whose calls go to the member or to its fork. */
export class LocalFirstDatabase implements Geode {
  readonly member: Geode;
  #current: Geode;
  readonly #subs = new Set<Sub>();
  readonly #procedures: ProcedureDefinition[] = [];
  readonly #onSwitch = new Set<() => void>();

  constructor(member: Geode) {
    this.member = member;
    this.#current = member;
  }

  /** The database statements go to now. */
  get current(): Geode {
    return this.#current;
  }

  /** use: sends every later call (and the live queries) to `db`. */
  use(db: Geode): void {
    if (db === this.#current) return;
    this.#current = db;
    for (const p of this.#procedures) {
      try {
        db.registerProcedure(p);
      } catch {
        // registered already (the member keeps its own)
      }
    }
    for (const s of this.#subs) {
      s.stop();
      s.stop = db.subscribe(s.query, s.params, s.onResult, s.options);
    }
    for (const f of this.#onSwitch) f();
  }

  /** onSwitch: called after every {@link use} that changed the database. */
  onSwitch(f: () => void): void {
    this.#onSwitch.add(f);
  }

  query(text: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult> {
    return this.#current.query(text, params, options);
  }

  get graph(): Geode['graph'] {
    return this.#current.graph;
  }

  subscribe(query: string, params: QueryParams | undefined, onResult: (result: QueryResult) => void, options?: SubscribeOptions): Unsubscribe {
    const sub: Sub = { query, params, onResult, options, stop: this.#current.subscribe(query, params, onResult, options), closed: false };
    this.#subs.add(sub);
    return () => {
      if (sub.closed) return;
      sub.closed = true;
      this.#subs.delete(sub);
      sub.stop();
    };
  }

  transaction<T>(fn: (tx: GeodeTransaction) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    return this.#current.transaction(fn, options);
  }

  /** A session on whichever database is in use when each statement runs (an open transaction stays where it began). */
  session(): GeodeSession {
    const sessions = new Map<Geode, GeodeSession>();
    let txOn: Geode | undefined;
    const on = (db: Geode): GeodeSession => {
      let s = sessions.get(db);
      if (s === undefined) sessions.set(db, (s = db.session()));
      return s;
    };
    return {
      query: async (text, params, options) => {
        const db = txOn ?? this.#current;
        const s = on(db);
        try {
          return await s.query(text, params, options);
        } finally {
          txOn = s.inTransaction ? db : undefined;
        }
      },
      get inTransaction() {
        return txOn !== undefined && (sessions.get(txOn)?.inTransaction ?? false);
      },
      close: async () => {
        await Promise.all([...sessions.values()].map((s) => s.close()));
      },
    };
  }

  registerProcedure(definition: ProcedureDefinition): void {
    this.#procedures.push(definition);
    this.#current.registerProcedure(definition);
  }

  async close(): Promise<void> {
    for (const s of this.#subs) s.stop();
    this.#subs.clear();
    if (this.#current !== this.member) await this.#current.close().catch(() => undefined);
    await this.member.close();
  }

  get cluster(): Geode['cluster'] {
    return this.member.cluster;
  }
}

/** A fork as sessionStorage keeps it: its cluster id, IndexedDB database and peer key (base64). */
interface KeptFork {
  readonly id: string;
  readonly dbName: string;
  readonly key: string;
}

const b64 = {
  encode: (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)),
  decode: (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0)),
};

function readKept(slot: string): KeptFork | undefined {
  try {
    const v = JSON.parse(sessionStorage.getItem(slot) ?? 'null') as Partial<KeptFork> | null;
    return v !== null && typeof v.id === 'string' && typeof v.dbName === 'string' && typeof v.key === 'string' ? (v as KeptFork) : undefined;
  } catch {
    return undefined;
  }
}

/** How often a member tab looks for forks left behind by closed tabs, ms. */
const ADOPT_EVERY_MS = 3_000;

/** The localStorage key listing the open forks of `clusterId` (every tab of the profile sees it). */
const forksKey = (clusterId: string): string => `geode-demo-forks:${clusterId}`;

/** listedForks: the forks of `clusterId` not ended yet, as localStorage lists them. */
export function listedForks(clusterId: string): KeptFork[] {
  try {
    const v = JSON.parse(localStorage.getItem(forksKey(clusterId)) ?? '[]') as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter((f): f is KeptFork => typeof f === 'object' && f !== null && typeof f.id === 'string' && typeof f.dbName === 'string' && typeof f.key === 'string');
  } catch {
    return [];
  }
}

function listFork(clusterId: string, fork: KeptFork): void {
  const others = listedForks(clusterId).filter((f) => f.id !== fork.id);
  localStorage.setItem(forksKey(clusterId), JSON.stringify([...others, fork]));
}

function unlistFork(clusterId: string, id: string): void {
  const left = listedForks(clusterId).filter((f) => f.id !== id);
  if (left.length === 0) localStorage.removeItem(forksKey(clusterId));
  else localStorage.setItem(forksKey(clusterId), JSON.stringify(left));
}

/** A tab's local-first controller. */
export interface LocalFirst {
  readonly db: LocalFirstDatabase;
  mode(): LocalFirstMode;
  /** The fork's cluster id while one is open. */
  forkId(): string | undefined;
  /** The fork's federation (directory registration) while one is open. */
  forkFederation(): TabFederation | undefined;
  /** What the tab last did or saw, for the panel. */
  note(): string;
}

function leaderInSight(member: Geode): boolean {
  const handle = member.cluster;
  if (handle === undefined) return false;
  try {
    const rows = handle.status();
    const me = rows.find((r) => r.self);
    if (me === undefined || me.leader === undefined) return false;
    if (me.leader === handle.self) return me.state === 'leader';
    const l = rows.find((r) => r.peer === me.leader);
    return l?.lastContactMs !== undefined && l.lastContactMs <= LEADER_CONTACT_MAX_MS;
  } catch {
    return false;
  }
}

async function waitLeading(db: Geode): Promise<void> {
  const end = Date.now() + FORK_LEAD_TIMEOUT_MS;
  while (!db.cluster!.isLeader()) {
    if (Date.now() > end) throw new Error('the fork did not elect itself');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * startLocalFirst: watches the member of `tab` (federation on) and forks, drains and rejoins as
 * the policy says. `policy.enabled` false (`&localfirst=off`): never forks.
 */
export function startLocalFirst(tab: TabCluster, policy: LocalFirstPolicy = LOCAL_FIRST_POLICY): LocalFirst {
  const db = new LocalFirstDatabase(tab.db);
  let state: LocalFirstState = LOCAL_FIRST_START;
  let fork: { db: Geode; id: string; dbName: string; federation: TabFederation } | undefined;
  // An open fork is remembered in sessionStorage (per tab, across reloads): a reloaded tab reopens it and drains it.
  const slot = `geode-demo-fork:${tab.dbName}`;
  let busy = false;
  let note = policy.enabled ? `if cut off from ${tab.clusterId}, this tab goes on as a cluster of its own` : 'local-first off';
  const b = document.body.dataset;
  const publish = (): void => {
    b['localFirst'] = policy.enabled ? state.mode : 'off';
    b['localFirstFork'] = fork?.id ?? '';
    b['localFirstForks'] = String(state.forks);
  };
  const memberGraph = (): GraphStore | undefined => tab.db.cluster?.host?.graph(0) as GraphStore | undefined;

  const openFork = async (kept?: KeptFork): Promise<void> => {
    const id = kept?.id ?? `${tab.clusterId}~${tab.db.cluster!.self.slice(-6)}-${Date.now().toString(36)}${state.forks}`;
    const dbName = kept?.dbName ?? `geode-demo-fork-${id}`;
    const key = kept === undefined ? await generatePeerKey() : b64.decode(kept.key);
    const seed = kept === undefined ? memberGraph() : undefined; // a reopened fork holds its seed already
    const records = seed === undefined ? [] : recordsOfGraph(seed);
    if (kept === undefined) {
      const entry = { id, dbName, key: b64.encode(key) } satisfies KeptFork;
      sessionStorage.setItem(slot, JSON.stringify(entry));
      listFork(tab.clusterId, entry); // found by the next tab if this one is closed while forked
    }
    const f = await openGeode({
      storage: `indexeddb:${dbName}`,
      cluster: {
        id,
        key,
        secret: DEMO_SECRET,
        relays: [...tab.relays],
        bootstrap: true,
        config: { request_timeout_ms: 5_000, replication: { factor: 1 }, raft: { ...DEMO_RAFT, election_timeout_ms: [...DEMO_RAFT.election_timeout_ms] }, federation: { enabled: true } },
      },
    });
    await waitLeading(f);
    if (records.length > 0) await f.cluster!.host!.applyBuilt(0, (graph, apply) => void mergeRecords(graph, id, records, apply));
    fork = { db: f, id, dbName, federation: startTabFederation(f, id, [], tab.clusterId) };
    db.use(f);
    note = kept === undefined ? `offline copy ${id}: ${records.length} records from ${tab.clusterId}` : `reopened ${id} after a reload: it drains once ${tab.clusterId} is in sight`;
  };

  const endFork = async (): Promise<void> => {
    const f = fork;
    if (f === undefined) return;
    fork = undefined;
    db.use(tab.db);
    await f.federation.stop();
    await f.db.close().catch(() => undefined);
    sessionStorage.removeItem(slot);
    unlistFork(tab.clusterId, f.id);
    indexedDB.deleteDatabase(f.dbName);
    note = `back in ${tab.clusterId}: it holds every write of ${f.id}`;
  };

  // Forks left behind by closed tabs: opened (one at a time) only to be merged and deleted.
  let adopted: { db: Geode; id: string; dbName: string; federation: TabFederation } | undefined;
  let adoptAt = 0;
  const adoptLeftBehind = async (): Promise<void> => {
    const now = Date.now();
    if (adopted !== undefined) {
      const g = memberGraph();
      const forkGraph = adopted.db.cluster?.host?.graph(0) as GraphStore | undefined;
      if (g === undefined || forkGraph === undefined || !holdsRecords(g, tab.clusterId, recordsOfGraph(forkGraph))) return;
      const a = adopted;
      adopted = undefined;
      await a.federation.stop();
      await a.db.close().catch(() => undefined);
      unlistFork(tab.clusterId, a.id);
      indexedDB.deleteDatabase(a.dbName);
      b['localFirstAdopted'] = String(Number(b['localFirstAdopted'] ?? '0') + 1);
      note = `merged ${a.id}, left behind by a closed tab, into ${tab.clusterId}`;
      return;
    }
    if (now < adoptAt || state.mode !== 'member' || fork !== undefined || !navigator.onLine || !leaderInSight(tab.db)) return;
    adoptAt = now + ADOPT_EVERY_MS;
    const mine = readKept(slot)?.id;
    for (const k of listedForks(tab.clusterId)) {
      if (k.id === mine) continue;
      let f: Geode;
      try {
        f = await openGeode({
          storage: `indexeddb:${k.dbName}`,
          cluster: {
            id: k.id,
            key: b64.decode(k.key),
            secret: DEMO_SECRET,
            relays: [...tab.relays],
            bootstrap: true,
            config: { request_timeout_ms: 5_000, replication: { factor: 1 }, raft: { ...DEMO_RAFT, election_timeout_ms: [...DEMO_RAFT.election_timeout_ms] }, federation: { enabled: true } },
          },
        });
      } catch {
        continue; // a live tab holds it (its Web Lock), or it cannot be opened now: tried again later
      }
      try {
        await waitLeading(f);
      } catch {
        await f.close().catch(() => undefined);
        continue;
      }
      adopted = { db: f, id: k.id, dbName: k.dbName, federation: startTabFederation(f, k.id, [], tab.clusterId) };
      note = `adopted ${k.id}, left behind by a closed tab: ${tab.clusterId} merges it`;
      return;
    }
  };

  const step = async (): Promise<void> => {
    const g = memberGraph();
    const forkGraph = fork?.db.cluster?.host?.graph(0) as GraphStore | undefined;
    let merged = false;
    if (fork !== undefined && g !== undefined && forkGraph !== undefined && state.mode !== 'fork') merged = holdsRecords(g, tab.clusterId, recordsOfGraph(forkGraph));
    const r = stepLocalFirst(state, { nowMs: Date.now(), online: navigator.onLine, leaderInSight: leaderInSight(tab.db), forkMerged: merged }, policy);
    const before = state.mode;
    state = r.state;
    switch (r.action) {
      case 'fork':
        note = navigator.onLine ? 'no leader in sight: forking' : 'offline: forking';
        publish();
        b['localFirst'] = 'forking'; // 'fork' once statements go to it
        try {
          await openFork();
        } catch (err) {
          // Tried again at the next step that finds the cluster lost.
          sessionStorage.removeItem(slot);
          note = `could not fork: ${err instanceof Error ? err.message : String(err)}`;
          state = { ...state, mode: 'member', forks: state.forks - 1 };
        }
        break;
      case 'use-member':
        db.use(tab.db);
        note = `draining ${fork?.id ?? ''} (writes go to ${tab.clusterId} again)`;
        break;
      case 'use-fork':
        if (fork !== undefined) db.use(fork.db);
        note = `cluster lost again: back to ${fork?.id ?? ''}`;
        break;
      case 'rejoin':
      case 'retire':
        await endFork();
        break;
      case 'none':
        if (before !== 'draining' && state.mode === 'draining') note = `back online: ${tab.clusterId} merges the writes of ${fork?.id ?? ''}`;
        break;
    }
    publish();
  };

  publish();
  const kept = readKept(slot);
  if (kept !== undefined && policy.enabled) {
    busy = true;
    state = { ...state, mode: 'fork', forks: 1 };
    b['localFirst'] = 'forking';
    void openFork(kept)
      .catch((err: unknown) => {
        sessionStorage.removeItem(slot);
        note = `could not reopen fork ${kept.id}: ${err instanceof Error ? err.message : String(err)}`;
        state = { ...state, mode: 'member', forks: 0 };
      })
      .finally(() => {
        publish();
        busy = false;
      });
  }
  setInterval(() => {
    if (busy) return;
    busy = true;
    void step()
      .then(() => (policy.enabled ? adoptLeftBehind().catch(() => undefined) : undefined)) // tried again at the next step
      .finally(() => (busy = false));
  }, LOCAL_FIRST_STEP_MS);

  return { db, mode: () => state.mode, forkId: () => fork?.id, forkFederation: () => fork?.federation, note: () => note };
}
