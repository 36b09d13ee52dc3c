/**
 * Randomized safety check over the in-test network: random drops, partitions, restarts and
 * proposals, many seeds. The simulator (src/sim) goes much further; this keeps the core honest on
 * its own. A failure prints the seed.
 */
import { describe, expect, it } from 'vitest';
import { isGeodeError } from '../util/errors.ts';
import { TestNetwork, seededRandom, text } from './test-network.ts';
import type { LogIndex } from './types.ts';

function runSeed(seed: number, size: number, steps: number): { applied: number } {
  const rng = seededRandom(seed * 7919 + 17);
  const ids = Array.from({ length: size }, (_, i) => i + 1);
  const net = new TestNetwork(ids, {}, seed);
  let dropRate = 0;
  net.filter = () => rng() >= dropRate;
  const leaderOfTerm = new Map<number, number>();
  let proposals = 0;
  const pick = (): number => ids[Math.floor(rng() * ids.length)]!;
  for (let step = 0; step < steps; step++) {
    const r = rng();
    if (r < 0.03) net.isolate(pick());
    else if (r < 0.06) net.recover();
    else if (r < 0.08) net.restart(pick());
    else if (r < 0.1) dropRate = rng() * 0.3;
    else if (r < 0.12) net.snapshotAndCompact(pick());
    else if (r < 0.4) {
      const l = net.leader();
      if (l !== undefined) {
        try {
          net.node(l).propose(new TextEncoder().encode(`s${seed}-${proposals++}`));
        } catch (e) {
          if (!isGeodeError(e, 'PROPOSAL_DROPPED')) throw e;
        }
      }
    }
    net.tick(1);
    for (const [id, p] of net.peers) {
      if (!p.node.isLeader()) continue;
      const t = p.node.status().hardState.term;
      const prev = leaderOfTerm.get(t);
      expect(prev === undefined || prev === id, `seed ${seed}: two leaders in term ${t}: ${prev} and ${id}`).toBe(true);
      leaderOfTerm.set(t, id);
    }
  }
  // Heal everything and let the group converge.
  net.recover();
  dropRate = 0;
  net.tick(200);
  const seqs = ids.map((id) => net.peer(id).applied);
  const longest = seqs.reduce((a, b) => (b.length > a.length ? b : a));
  for (const s of seqs) expect(longest.slice(0, s.length), `seed ${seed}: applied sequences diverge`).toEqual(s);
  // Log matching: entries at the same index and term carry the same data.
  const byIndex = new Map<string, string>();
  for (const id of ids) {
    const st = net.peer(id).storage;
    for (let i = st.firstIndex(); i <= st.lastIndex(); i++) {
      const [e] = st.entries(i as LogIndex, (i + 1) as LogIndex, Infinity);
      const key = `${i}/${e!.term}`;
      const prev = byIndex.get(key);
      expect(prev === undefined || prev === text(e!.data), `seed ${seed}: log matching broken at ${key}`).toBe(true);
      byIndex.set(key, text(e!.data));
    }
  }
  expect(net.leader(), `seed ${seed}: no leader after healing`).toBeDefined();
  return { applied: longest.length };
}

describe('randomized fault schedules', () => {
  it('keeps one leader per term, matching logs and identical applied sequences (3 nodes, 40 seeds)', () => {
    let applied = 0;
    for (let seed = 1; seed <= 40; seed++) applied += runSeed(seed, 3, 300).applied;
    expect(applied).toBeGreaterThan(100);
  });

  it('keeps one leader per term, matching logs and identical applied sequences (5 nodes, 20 seeds)', () => {
    let applied = 0;
    for (let seed = 100; seed < 120; seed++) applied += runSeed(seed, 5, 300).applied;
    expect(applied).toBeGreaterThan(50);
  });
});
