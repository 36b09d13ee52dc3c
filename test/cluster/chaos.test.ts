/**
 * Issue 5's chaos test on real processes: a relay and five Node peers (file storage, all five
 * voters) on loopback. Seeded: every 2–5 s a random peer is SIGKILLed (never more than two down
 * at once, so a majority always survives) and restarted on its data 1–4 s later, while clients
 * write and read registers through random live peers:
 *
 *   write  MERGE (k:K {id: $k}) SET k.v = $v CREATE (:A {v: $v})
 *   read   MATCH (k:K {id: $k}) RETURN k.v AS v
 *
 * (the `:A` node of each write lets the test find every acknowledged write afterwards, even one a
 * later write to the same register overwrote). The history is recorded with invoke / return times
 * in this process. Afterwards every peer is up, they converge, and the test checks: every
 * acknowledged write is on every peer (0 lost), every peer holds the same registers, and the
 * history — final linearizable reads through every peer included — is linearizable under the
 * register model of src/sim/linearizability.
 *
 * Outcomes for the checker: an acknowledged write or read is complete; a write surely not applied
 * (not sent: the peer was down; PROPOSAL_DROPPED `LeaderChanged` / `NotLeader` / `NoLeader` /
 * `LeaderTransfer`; a statement error) is left out; anything else (the peer died under it, a
 * timeout, `OutcomeUnknown`, `MemberGone`) is pending: it may or may not have taken effect. Failed
 * reads are left out.
 *
 * `CHAOS_SEED` replays a schedule (the processes' own timing still varies), `CHAOS_MS` sets how
 * long the faults last (default 45 s).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { checkOperations, dropPendingReads, kvModel, type KvOperation } from '../../src/sim/linearizability/index.ts';
import { Prng } from '../../src/sim/prng.ts';
import { PeerProc, RelayProc, removeDir, tempDir, until, type PeerArgs, type QueryAnswer } from './harness.ts';

const SEED = Number(process.env['CHAOS_SEED'] ?? 20260501);
const CHAOS_MS = Number(process.env['CHAOS_MS'] ?? 45_000);
const PEERS = 5;
const CLIENTS = 4;
const KEYS = ['a', 'b', 'c', 'd', 'e', 'f'];
/** Never more peers down at once than this (a majority of five stays up). */
const DOWN_MAX = 2;
const REQUEST_TIMEOUT_MS = 3_000;
const config = { replication: { factor: PEERS }, raft: { snapshot_threshold: 500 }, request_timeout_ms: REQUEST_TIMEOUT_MS };

const WRITE = 'MERGE (k:K {id: $k}) SET k.v = $v CREATE (:A {v: $v})';
const READ = 'MATCH (k:K {id: $k}) RETURN k.v AS v';
const notApplied = new Set(['LeaderChanged', 'NotLeader', 'NoLeader', 'LeaderTransfer']);

/** definitelyNotApplied: the failed write surely did not take effect (see the file comment). */
function definitelyNotApplied(a: Extract<QueryAnswer, { ok: false }>): boolean {
  if (a.code === 'EXITED') return a.message.endsWith('is not running'); // never sent
  if (a.code === 'PROPOSAL_DROPPED') return a.detail !== null && notApplied.has(a.detail);
  return a.code.startsWith('GQL_') || a.code === 'CONSTRAINT_VIOLATION' || a.code === 'INPUT_INVALID';
}

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

describe('chaos: five peer processes under random SIGKILL and restart', () => {
  const dirs: string[] = [];
  const slots: PeerProc[] = [];
  let relay: RelayProc | undefined;

  afterAll(async () => {
    await Promise.all(slots.map((p) => p.sigkill()));
    relay?.child.kill('SIGKILL');
    await relay?.child.exited;
    for (const d of dirs) removeDir(d);
  });

  it('loses no acknowledged write and keeps the history linearizable', async () => {
    const rnd = new Prng(SEED);
    relay = await RelayProc.start();
    const base = { relays: [relay.tcp()], cluster: 'it-chaos', secret: 'it-chaos-secret', config };
    const args: PeerArgs[] = [];
    for (let i = 0; i < PEERS; i++) {
      const data = tempDir(`geode-chaos-p${i}-`);
      dirs.push(data);
      args.push({ ...base, data, bootstrap: i === 0 });
    }
    slots.push(await PeerProc.start('p0', args[0]!));
    slots.push(...(await Promise.all(args.slice(1).map((a, i) => PeerProc.start(`p${i + 1}`, a)))));
    await until(async () => ((await slots[0]!.status()).voters === PEERS ? true : undefined), 60_000, `${PEERS} voters`);

    const history: KvOperation[] = [];
    const acked = new Map<string, string>(); // v -> key
    const t0 = performance.now();
    const end = t0 + CHAOS_MS;
    const now = (): number => performance.now() - t0;
    /** Slots whose process is up (started and not killed). */
    const up = new Set<number>(slots.map((_, i) => i));
    const restarts: Promise<void>[] = [];
    const counts = { writes: 0, acked: 0, pendingWrites: 0, reads: 0, okReads: 0, kills: 0, restarts: 0 };
    const events: string[] = [];

    async function client(id: number): Promise<void> {
      const my = rnd.fork();
      let seq = 0;
      while (performance.now() < end) {
        const live = [...up];
        if (live.length === 0) {
          await sleep(20);
          continue;
        }
        const p = slots[my.pick(live)]!;
        const key = my.pick(KEYS);
        const call = now();
        if (my.chance(0.5)) {
          const v = `${id}-${seq++}`;
          counts.writes++;
          const r = await p.query(WRITE, { k: key, v }, { timeoutMs: REQUEST_TIMEOUT_MS });
          if (r.ok) {
            counts.acked++;
            acked.set(v, key);
            history.push({ clientId: id, input: { op: 'put', key, value: v }, output: {}, call, ret: now() });
          } else if (!definitelyNotApplied(r)) {
            counts.pendingWrites++;
            history.push({ clientId: id, input: { op: 'put', key, value: v }, output: undefined, call, ret: Infinity });
          }
        } else {
          counts.reads++;
          const r = await p.query(READ, { k: key }, { timeoutMs: REQUEST_TIMEOUT_MS });
          if (r.ok) {
            counts.okReads++;
            const got = r.rows.length === 0 ? '' : String(r.rows[0]!['v']);
            history.push({ clientId: id, input: { op: 'get', key }, output: { value: got }, call, ret: now() });
          }
        }
        await sleep(my.int(0, 8));
      }
    }

    async function restart(i: number, afterMs: number): Promise<void> {
      await sleep(afterMs);
      const name = `p${i}`;
      slots[i] = await PeerProc.start(name, args[i]!);
      up.add(i);
      counts.restarts++;
      events.push(`${Math.round(now())} ms: restarted ${name}`);
    }

    async function nemesis(): Promise<void> {
      const my = rnd.fork();
      for (;;) {
        await sleep(my.int(2_000, 5_000));
        if (performance.now() >= end) return;
        if (PEERS - up.size >= DOWN_MAX) continue;
        const i = my.pick([...up]);
        up.delete(i);
        await slots[i]!.sigkill();
        counts.kills++;
        events.push(`${Math.round(now())} ms: SIGKILL p${i}`);
        restarts.push(restart(i, my.int(1_000, 4_000)));
      }
    }

    await Promise.all([nemesis(), ...Array.from({ length: CLIENTS }, (_, i) => client(i + 1))]);
    await Promise.all(restarts);
    expect(slots.every((p) => p.alive()), 'every peer is up again').toBe(true);

    // Converge: every peer applied the leader's whole log. On a timeout the message says where
    // each peer stood at the last look (role, term, applied / commit / last index, leader).
    let lastLook = '';
    await until(
      async () => {
        const st = await Promise.all(slots.map((p) => p.status()));
        lastLook = st
          .map((s, i) => `p${i}${s.isLeader ? ' (leader)' : ''} term ${s.term} applied ${s.applied} commit ${s.commit} last ${s.lastIndex} voters ${s.voters} sees leader ${s.leader ?? 'none'}`)
          .join('; ');
        const leader = st.find((s) => s.isLeader);
        if (leader === undefined) return undefined;
        return st.every((s) => s.applied === leader.lastIndex) ? true : undefined;
      },
      30_000,
      'the peers to converge',
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; last look: ${lastLook}; events: ${events.join(', ')}`);
    });

    // Final linearizable reads through every peer join the history.
    for (const key of KEYS) {
      for (const p of slots) {
        const call = now();
        const r = await p.query(READ, { k: key });
        expect(r.ok, `final read of ${key} on ${p.name}: ${r.ok ? '' : `${r.code} ${r.message}`}`).toBe(true);
        if (r.ok) history.push({ clientId: 0, input: { op: 'get', key }, output: { value: r.rows.length === 0 ? '' : String(r.rows[0]!['v']) }, call, ret: now() });
      }
    }

    // 0 acknowledged writes lost, on every peer; every peer holds the same registers.
    const registers: string[] = [];
    for (const p of slots) {
      const a = await p.query('MATCH (a:A) RETURN a.v AS v', {}, { readQuorum: 1 });
      expect(a.ok, `${p.name}: ${a.ok ? '' : a.message}`).toBe(true);
      const have = new Set(a.ok ? a.rows.map((r) => String(r['v'])) : []);
      const lost = [...acked.keys()].filter((v) => !have.has(v));
      expect(lost, `acknowledged writes missing on ${p.name}`).toEqual([]);
      const k = await p.query('MATCH (k:K) RETURN k.id AS id, k.v AS v ORDER BY id', {}, { readQuorum: 1 });
      registers.push(JSON.stringify(k.ok ? k.rows : k.message));
    }
    expect(new Set(registers).size, `registers differ between peers:\n${registers.join('\n')}`).toBe(1);

    const verdict = checkOperations(kvModel, dropPendingReads(history), { timeBudgetMs: 30_000 });
    const summary = { seed: SEED, chaos_ms: CHAOS_MS, ...counts, operations: history.length, verdict: verdict.outcome };
    console.log(JSON.stringify(summary));
    if (process.env['CLUSTER_TEST_VERBOSE'] === '1') console.log(events.join('\n'));
    expect(verdict.outcome, verdict.counterexample?.description ?? JSON.stringify(summary)).toBe('ok');
    expect(counts.kills).toBeGreaterThan(0);
    expect(counts.acked).toBeGreaterThan(0);
  }, 180_000);
});
