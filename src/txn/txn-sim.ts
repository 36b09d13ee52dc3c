/**
 * A seeded simulation of distributed transactions: five shard hosts in virtual time (memory
 * transport with delays, SimCluster), three participant groups and one transaction-record group,
 * each a Raft group of 3 voters and 2 learners; every host's clock skewed by up to ±100 ms; an
 * intent resolver on every host; coordinators on random hosts, that die with their host. Clients
 * run three workloads at once while hosts crash (losing unsynced writes) and restart, get cut off
 * and healed, and coordinators are killed between prepare and decision or between decision and
 * resolution:
 *
 * - **bank**: transfers between 8 accounts on the three groups; read-only snapshot audits;
 * - **list-append**: transactions of 1–4 appends and reads over 6 keys, at the run's isolation level;
 * - **pairs**: raw cross-shard writes (`commitAcrossShards`): a node on each of two groups.
 *
 * Checks: every audit (a snapshot read of every account, across the three groups) sees the total
 * of 800; the list-append history has no anomaly its level forbids (Elle-style checker: G0, G1a,
 * G1b, G1c, G-single under snapshot isolation; G2 as well under serializable); after the faults
 * stop and `timeout` passes, no group holds an intent (no lock outlives its coordinator), the final
 * total is 800, every pair is on both its groups or on neither, every acknowledged pair is on both,
 * and every group's replicas hold the same graph.
 */
import type { GraphStore } from '../graph/index.ts';
import type { ShardHost } from '../shard/host.ts';
import type { PeerId } from '../net/types.ts';
import { checkListAppend, type ListOp, type ListTxn } from '../sim/elle/list-append.ts';
import type { Prng } from '../sim/prng.ts';
import { isGeodeError } from '../util/errors.ts';
import { intents } from './intents.ts';
import { TXN_GROUPS, TXN_PEERS, TXN_RECORD, TxnSimEnv } from './testing.ts';
import { retryableTxnError, type CoordinatorFaults, type TxnCoordinator, type TxnIsolation } from './two-phase.ts';

export interface TxnSimReport {
  readonly seed: number;
  readonly committed: number;
  readonly aborted: number;
  readonly unknown: number;
  readonly audits: number;
  readonly pairs: number;
  readonly crashes: number;
  readonly partitions: number;
  readonly coordinatorKills: number;
  readonly recovered: number;
  readonly violations: readonly string[];
}

export interface TxnSimOptions {
  /** Isolation of the list-append and bank transactions. Default: by seed parity (odd: serializable). */
  readonly isolation?: TxnIsolation;
  /** Planted bugs the checks must catch (TEST-ONLY). */
  readonly plant?: 'skipRecord' | 'noWriteCheck';
}

const GROUPS = TXN_GROUPS;
const RECORD = TXN_RECORD;
const PEERS = TXN_PEERS;
const ACCOUNTS = 8;
const TOTAL = ACCOUNTS * 100;
const TIMEOUT_MS = 1_000;

/** runTxnSim: one seeded run with `durationMs` of virtual time under faults. */
export async function runTxnSim(seed: number, durationMs = 3_000, options: TxnSimOptions = {}): Promise<TxnSimReport> {
  const isolation: TxnIsolation = options.isolation ?? (seed % 2 === 1 ? 'serializable' : 'snapshot');
  const env = new TxnSimEnv({ seed, syncDelay: seed % 2 === 0, plantSkipWriteCheck: options.plant === 'noWriteCheck' });
  const { c, transport, rnd, sleep, isolated } = env;
  const s = c.scheduler;
  const violations: string[] = [];
  const fail = (m: string): void => void violations.push(`seed ${seed} (${isolation}): ${m}`);
  const startHost = (peer: string): Promise<ShardHost> => env.startHost(peer);

  // A coordinator lives on a host and dies with it (or when the nemesis kills it mid-commit).
  let coordinatorKills = 0;
  const coordinatorOn = (peer: string, my: Prng): TxnCoordinator => {
    const killed = { dead: false };
    const maybeKill = (): void => {
      if (!killed.dead && my.chance(0.03)) {
        killed.dead = true;
        coordinatorKills++;
      }
    };
    const faults: CoordinatorFaults = { skipRecord: options.plant === 'skipRecord', afterPrepare: maybeKill, afterDecide: maybeKill, beforeResolve: maybeKill };
    return env.coordinator(peer, `${peer}-${my.int(0, 1e9)}`, my.fn(), faults, killed);
  };

  const formed = await env.form();
  const empty = { seed, committed: 0, aborted: 0, unknown: 0, audits: 0, pairs: 0, crashes: 0, partitions: 0, coordinatorKills: 0, recovered: 0 };
  if (!formed) return { ...empty, violations: [`seed ${seed}: the groups did not form`] };

  {
    // Setup: every account at 100, in one cross-shard transaction.
    const setup = env.coordinator('p1', 'setup', rnd.fn());
    await c.value(
      setup.run(async (tx) => {
        for (let i = 0; i < ACCOUNTS; i++) tx.write(`acct${i}`, 100);
      }),
      30_000,
    );

    let committed = 0;
    let abortedN = 0;
    let unknown = 0;
    let audits = 0;
    let crashes = 0;
    let partitions = 0;
    const end = s.now + durationMs;
    const history: ListTxn[] = [];
    let nextValue = 1;
    let nextTxn = 1;
    const pairsAcked = new Set<number>();
    const pairsTried: { id: number; a: number; b: number }[] = [];
    let nextPairId = 1_000_000;

    const up = (): string[] => [...c.hosts.keys()].filter((p) => !isolated.has(p));
    const outcome = (err: unknown): 'fail' | 'info' => (retryableTxnError(err) ? 'fail' : 'info');
    const expected = (err: unknown): boolean =>
      isGeodeError(err) && (err.code === 'PROPOSAL_DROPPED' || err.code === 'LIMIT_EXCEEDED' || err.code === 'CLOSED' || err.code === 'IO' || err.code === 'NOT_FOUND');

    /** A client: `step` again and again, each time through a coordinator on a random reachable host. */
    async function client(pause: readonly [number, number], step: (coord: TxnCoordinator, my: Prng) => Promise<void>): Promise<void> {
      const my = c.prng.fork();
      while (s.now < end) {
        const peers = up();
        if (peers.length === 0) await sleep(20);
        else {
          await step(coordinatorOn(my.pick(peers), my), my);
          await sleep(my.int(pause[0], pause[1]));
        }
      }
    }
    /** Counts a failed transaction (a surely aborted one, or one of unknown outcome) and checks the error is one faults explain. */
    const failed = (what: string, err: unknown): 'fail' | 'info' => {
      if (!expected(err)) fail(`a ${what} failed with ${String(err)}`);
      const st = outcome(err);
      if (st === 'fail') abortedN++;
      else unknown++;
      return st;
    };

    const bank = (): Promise<void> =>
      client([1, 15], async (coord, my) => {
        try {
          if (my.chance(0.3)) {
            const seen = await coord.run(
              async (tx) => {
                let sum = 0;
                for (let i = 0; i < ACCOUNTS; i++) sum += (await tx.read(`acct${i}`)) as number;
                return sum;
              },
              { isolation, readOnly: true, timeoutMs: TIMEOUT_MS, retries: 2 },
            );
            audits++;
            if (seen !== TOTAL) fail(`an audit saw a total of ${seen}, not ${TOTAL}`);
          } else {
            const a = my.int(0, ACCOUNTS - 1);
            const b = (a + my.int(1, ACCOUNTS - 1)) % ACCOUNTS;
            const amount = my.int(1, 30);
            await coord.run(
              async (tx) => {
                const x = (await tx.read(`acct${a}`)) as number;
                const y = (await tx.read(`acct${b}`)) as number;
                if (x >= amount) {
                  tx.write(`acct${a}`, x - amount);
                  tx.write(`acct${b}`, y + amount);
                }
              },
              { isolation, timeoutMs: TIMEOUT_MS, retries: 2 },
            );
            committed++;
          }
        } catch (err) {
          failed('bank transaction', err);
        }
      });

    const lists = (): Promise<void> =>
      client([1, 15], async (coord, my) => {
        const id = nextTxn++;
        const ops: ListOp[] = [];
        try {
          const tx = await coord.begin({ isolation, timeoutMs: TIMEOUT_MS });
          for (let j = my.int(1, 4); j > 0; j--) {
            const key = `k${my.int(0, 5)}`;
            const list = ((await tx.read(key)) ?? []) as number[];
            if (my.chance(0.5)) {
              const v = nextValue++;
              tx.write(key, [...list, v]);
              ops.push({ f: 'append', key, value: v });
            } else ops.push({ f: 'read', key, value: list });
          }
          await tx.commit();
          committed++;
          history.push({ id, status: 'ok', ops });
        } catch (err) {
          history.push({ id, status: failed('list-append transaction', err), ops: ops.filter((o) => o.f === 'append') });
        }
      });

    const pairs = (): Promise<void> =>
      client([5, 30], async (coord, my) => {
        const ga = my.pick(GROUPS);
        const gb = GROUPS.filter((g) => g !== ga)[my.int(0, 1)]!;
        const pair = { id: pairsTried.length, a: ga, b: gb };
        pairsTried.push(pair);
        const na = nextPairId++;
        const nb = nextPairId++;
        const node = (id: number) => ({ op: 'createNode' as const, id, labels: ['Pair'], props: [['pair', BigInt(pair.id)] as [string, bigint]] });
        try {
          await coord.commitAcrossShards(
            new Map([
              [ga, [node(na)]],
              [gb, [node(nb)]],
            ]),
            { timeoutMs: TIMEOUT_MS },
          );
          pairsAcked.add(pair.id);
        } catch (err) {
          failed('cross-shard write', err);
        }
      });

    async function nemesis(): Promise<void> {
      const my = c.prng.fork();
      const restarting = new Set<string>();
      while (s.now < end) {
        await sleep(my.int(200, 600));
        const roll = my.next();
        const live = [...c.hosts.keys()];
        if (roll < 0.35 && live.length > 3) {
          const victim = my.pick(live);
          env.crash(victim);
          crashes++;
          restarting.add(victim);
          s.after(my.int(100, 500), () => void startHost(victim).then(() => restarting.delete(victim)));
        } else if (roll < 0.6) {
          env.isolate(my.pick(PEERS));
          partitions++;
        } else {
          env.healAll();
        }
      }
      await c.until(() => restarting.size === 0, 5_000);
    }

    let finished = false;
    void Promise.all([bank(), bank(), lists(), lists(), pairs(), nemesis()]).then(() => (finished = true));
    await c.until(() => finished, durationMs + 120_000);
    if (!finished) fail('the clients did not finish');

    // Heal; everyone up; intents resolve within the timeout (plus resolver periods).
    env.healAll();
    for (const p of PEERS) if (!c.hosts.has(p as PeerId)) await startHost(p);
    await c.run(TIMEOUT_MS + 1_500);
    const settled = await c.until(() => env.converged() && env.heldIntents().size === 0, 10_000);
    if (!settled) {
      for (const [g, held] of env.heldIntents()) fail(`group ${g} still holds ${held.length} intent(s) ${TIMEOUT_MS + 1_500} ms after the faults stopped: ${held.join(', ')}`);
      fail(`the groups did not converge after the faults stopped (${env.describe()})`);
    }

    // Final state through a fresh coordinator.
    const final = env.coordinator('p1', 'final', rnd.fn());
    const r = await c.settle(
      final.run(
        async (tx) => {
          const accts: number[] = [];
          for (let i = 0; i < ACCOUNTS; i++) accts.push((await tx.read(`acct${i}`)) as number);
          const ls: ListOp[] = [];
          for (let k = 0; k <= 5; k++) ls.push({ f: 'read', key: `k${k}`, value: ((await tx.read(`k${k}`)) ?? []) as number[] });
          return { accts, ls };
        },
        { readOnly: true, timeoutMs: 5_000 },
      ),
      30_000,
    );
    if (!r.ok) fail(`the final read failed: ${String(r.error)}`);
    else {
      const total = r.value.accts.reduce((a, b) => a + b, 0);
      if (total !== TOTAL) fail(`the final total is ${total}, not ${TOTAL} (${r.value.accts.join(', ')})`);
      history.push({ id: nextTxn++, status: 'ok', ops: r.value.ls });
      const level = isolation === 'serializable' ? 'serializable' : 'snapshot-isolation';
      const verdict = checkListAppend(history, level);
      for (const a of verdict.anomalies.slice(0, 3)) fail(`list-append ${a.type}: ${a.description}`);
    }

    // Pairs: on both groups or on neither; acknowledged ones on both. Replicas equal.
    for (const res of env.resolvers.values()) res.stop();
    const converged = settled && (await c.until(() => env.converged(), 10_000));
    if (settled && !converged) fail('the groups did not converge after the final read');
    if (converged) {
      const leaderGraph = (g: number) => env.leader(g)!.graph(g);
      const where = new Map<number, number[]>();
      for (const g of GROUPS) {
        for (const n of leaderGraph(g).nodesByLabel('Pair')) {
          const id = Number(n.props.get('pair') as bigint);
          where.set(id, [...(where.get(id) ?? []), g]);
        }
        if (intents(leaderGraph(g)).length > 0) fail(`group ${g} holds intents after settling`);
      }
      for (const p of pairsTried) {
        const on = where.get(p.id) ?? [];
        if (on.length === 1) fail(`cross-shard write ${p.id} is on group ${on[0]} only (of ${p.a}, ${p.b}): half applied`);
        if (pairsAcked.has(p.id) && on.length !== 2) fail(`acknowledged cross-shard write ${p.id} is on ${on.length} of its 2 groups`);
      }
      for (const g of [...GROUPS, RECORD]) {
        const states = [...c.hosts.values()].map((h) => JSON.stringify((h.graph(g) as GraphStore).snapshot(), (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)));
        if (!states.every((x) => x === states[0])) fail(`the replicas of group ${g} differ`);
      }
    }
    const recovered = env.recovered();
    await env.close();
    return { seed, committed, aborted: abortedN, unknown, audits, pairs: pairsAcked.size, crashes, partitions, coordinatorKills, recovered, violations };
  }
}
