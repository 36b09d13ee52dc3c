/**
 * The local-first policy (demo/local-first-policy.ts): when a tab forks, drains, rejoins and
 * retires its fork, and that it never ends a fork whose writes its cluster has not merged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOCAL_FIRST_POLICY, LOCAL_FIRST_START, stepLocalFirst, type LocalFirstAction, type LocalFirstObservation, type LocalFirstState } from '../../demo/local-first-policy.ts';

const P = LOCAL_FIRST_POLICY;
function run(obs: readonly LocalFirstObservation[], policy = P): { state: LocalFirstState; actions: LocalFirstAction[] } {
  let state = LOCAL_FIRST_START;
  const actions: LocalFirstAction[] = [];
  for (const o of obs) {
    const r = stepLocalFirst(state, o, policy);
    state = r.state;
    actions.push(r.action);
  }
  return { state, actions };
}
const o = (nowMs: number, online: boolean, leaderInSight: boolean, forkMerged = false): LocalFirstObservation => ({ nowMs, online, leaderInSight, forkMerged });

describe('local-first policy', () => {
  it('forks at once when the browser goes offline, and never while still joining', () => {
    expect(run([o(0, false, false), o(10_000, false, false)]).actions).toEqual(['none', 'none']);
    expect(run([o(0, true, true), o(500, false, true)]).actions).toEqual(['none', 'fork']);
  });

  it('forks after forkAfterMs without a leader in sight, not before', () => {
    const r = run([o(0, true, true), o(1_000, true, false), o(1_000 + P.forkAfterMs - 1, true, false), o(1_000 + P.forkAfterMs, true, false)]);
    expect(r.actions).toEqual(['none', 'none', 'none', 'fork']);
    const blip = run([o(0, true, true), o(1_000, true, false), o(2_000, true, true), o(1_000 + P.forkAfterMs, true, false)]);
    expect(blip.actions).not.toContain('fork');
  });

  it('never forks when turned off (&localfirst=off)', () => {
    expect(run([o(0, true, true), o(1, false, false), o(100_000, false, false)], { ...P, enabled: false }).actions).not.toContain('fork');
  });

  it('drains once back for rejoinAfterMs, and rejoins only when the fork is merged', () => {
    const back = 10_000;
    const r = run([o(0, true, true), o(1, false, false), o(back, true, true), o(back + P.rejoinAfterMs, true, true), o(back + P.rejoinAfterMs + 500, true, true), o(back + P.rejoinAfterMs + 1_000, true, true, true)]);
    expect(r.actions).toEqual(['none', 'fork', 'none', 'none', 'none', 'rejoin']);
    expect(r.state.mode).toBe('member');
  });

  it('switches to the cluster after drainMaxMs but keeps the fork until merged; lost again, the fork takes over', () => {
    const t = 10_000 + P.rejoinAfterMs;
    const r = run([o(0, true, true), o(1, false, false), o(10_000, true, true), o(t, true, true), o(t + P.drainMaxMs, true, true), o(t + P.drainMaxMs + 1, false, false), o(t + P.drainMaxMs + 2, true, true)]);
    expect(r.actions).toEqual(['none', 'fork', 'none', 'none', 'use-member', 'use-fork', 'none']);
    expect(r.state.mode).toBe('fork');
  });

  it('never ends a fork that is not merged, whatever it observes', () => {
    const obs = fc.array(fc.record({ dt: fc.integer({ min: 0, max: 30_000 }), online: fc.boolean(), leaderInSight: fc.boolean(), forkMerged: fc.boolean() }), { maxLength: 60 });
    let ends = 0;
    fc.assert(
      fc.property(obs, (steps) => {
        let state = LOCAL_FIRST_START;
        let now = 0;
        let forkOpen = false;
        for (const s of steps) {
          now += s.dt;
          const r = stepLocalFirst(state, { nowMs: now, online: s.online, leaderInSight: s.leaderInSight, forkMerged: s.forkMerged });
          if (r.action === 'rejoin' || r.action === 'retire') {
            if (!forkOpen || !s.forkMerged) return false;
            forkOpen = false;
            ends++;
          }
          if (r.action === 'fork') {
            if (forkOpen) return false;
            forkOpen = true;
          }
          state = r.state;
          if ((state.mode === 'member') === forkOpen) return false;
        }
        return true;
      }),
      { numRuns: 500 },
    );
    expect(ends).toBeGreaterThan(0); // the runs did end forks
  });
});
