/**
 * The local-first policy of a demo tab (pure: time and observations passed in; the shell is
 * demo/local-first.ts). A tab that loses its cluster continues as a cluster of its own, a
 * "fork", and returns once its cluster has merged what it wrote meanwhile:
 *
 * - `member`: the tab is a member of its cluster and its statements go there. It forks at once
 *   when the browser says it is offline, and after {@link LocalFirstPolicy.forkAfterMs} without a
 *   leader it has heard from (cut off from the majority, or the others gone), but only once it
 *   had joined: a tab still joining its cluster does not fork.
 * - `fork`: statements go to the fork (its own Raft group and IndexedDB database, seeded with
 *   what the tab last held of its cluster). When online with a leader in sight again for
 *   {@link LocalFirstPolicy.rejoinAfterMs}, it drains.
 * - `draining`: statements still go to the fork while its cluster pulls the fork's writes
 *   (federation, last-write-wins); once the cluster's graph holds all of them, `rejoin`: the tab
 *   uses its cluster again and the fork ends. Losing the cluster again goes back to `fork`.
 *   Draining longer than {@link LocalFirstPolicy.drainMaxMs} (writes keep coming) switches to the
 *   cluster anyway and keeps the fork open until merged (`retiring`): no write is dropped.
 * - `retiring`: statements go to the cluster; the fork ends once merged (`retire`), or takes
 *   over again if the cluster is lost.
 *
 * Turned off (`&localfirst=off`), a tab never forks: cut off, its statements wait or fail as in
 * any cluster.
 */

/** Where a tab's statements go, and whether a fork is open. */
export type LocalFirstMode = 'member' | 'fork' | 'draining' | 'retiring';

/** What the shell does after a step. */
export type LocalFirstAction =
  | 'none'
  /** open a fork seeded from the member's graph; statements go to it */
  | 'fork'
  /** statements go to the member again; the fork stays open */
  | 'use-member'
  /** statements go to the (still open) fork again */
  | 'use-fork'
  /** statements go to the member, and the fork ends (its writes are merged) */
  | 'rejoin'
  /** the fork ends (its writes are merged; statements already go to the member) */
  | 'retire';

/** What the shell sees, every step. */
export interface LocalFirstObservation {
  readonly nowMs: number;
  /** `navigator.onLine`. */
  readonly online: boolean;
  /** The member sees a leader it heard from recently (or leads). */
  readonly leaderInSight: boolean;
  /** With a fork open: the member's graph holds every record of the fork. */
  readonly forkMerged: boolean;
}

export interface LocalFirstPolicy {
  readonly enabled: boolean;
  readonly forkAfterMs: number;
  readonly rejoinAfterMs: number;
  readonly drainMaxMs: number;
}

/** The demo's policy: fork after 4 s without a leader, return after 1.5 s with one, drain at most 20 s. */
export const LOCAL_FIRST_POLICY: LocalFirstPolicy = { enabled: true, forkAfterMs: 4_000, rejoinAfterMs: 1_500, drainMaxMs: 20_000 };

export interface LocalFirstState {
  readonly mode: LocalFirstMode;
  /** The member has had a leader in sight since the tab opened. */
  readonly joined: boolean;
  /** Since when the cluster is lost (member) or back (fork), ms; undefined when not. */
  readonly since: number | undefined;
  /** When draining started, ms. */
  readonly drainingSince: number | undefined;
  /** How many forks this tab opened. */
  readonly forks: number;
}

export const LOCAL_FIRST_START: LocalFirstState = { mode: 'member', joined: false, since: undefined, drainingSince: undefined, forks: 0 };

/** stepLocalFirst: the next state and the shell's action for one observation. */
export function stepLocalFirst(s: LocalFirstState, o: LocalFirstObservation, p: LocalFirstPolicy = LOCAL_FIRST_POLICY): { readonly state: LocalFirstState; readonly action: LocalFirstAction } {
  const joined = s.joined || o.leaderInSight;
  const back = o.online && o.leaderInSight;
  const at = (mode: LocalFirstMode, action: LocalFirstAction, extra: Partial<LocalFirstState> = {}) => ({ state: { ...s, joined, mode, ...extra }, action });
  switch (s.mode) {
    case 'member': {
      if (!p.enabled || !joined || back) return at('member', 'none', { since: undefined });
      const since = s.since ?? o.nowMs;
      if (!o.online || o.nowMs - since >= p.forkAfterMs) return at('fork', 'fork', { since: undefined, forks: s.forks + 1 });
      return at('member', 'none', { since });
    }
    case 'fork': {
      if (!back) return at('fork', 'none', { since: undefined });
      const since = s.since ?? o.nowMs;
      if (o.nowMs - since >= p.rejoinAfterMs) return at('draining', 'none', { since: undefined, drainingSince: o.nowMs });
      return at('fork', 'none', { since });
    }
    case 'draining': {
      if (!back) return at('fork', 'none', { since: undefined, drainingSince: undefined });
      if (o.forkMerged) return at('member', 'rejoin', { since: undefined, drainingSince: undefined });
      if (o.nowMs - (s.drainingSince ?? o.nowMs) >= p.drainMaxMs) return at('retiring', 'use-member', { drainingSince: undefined });
      return at('draining', 'none');
    }
    case 'retiring': {
      if (!back) return at('fork', 'use-fork', { since: undefined });
      if (o.forkMerged) return at('member', 'retire', { since: undefined });
      return at('retiring', 'none');
    }
  }
}
