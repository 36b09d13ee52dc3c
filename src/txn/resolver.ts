/**
 * IntentResolver: the recovery half of two-phase commit, run on every peer. Every `periodMs` it
 * looks at the groups this peer leads:
 *
 * - a participant group's intents past their deadline (their coordinator died or is cut off): it
 *   asks the record group to record `aborted` unless a decision is recorded (first writer wins, so
 *   a late commit cannot win afterwards), then resolves the intent by what is recorded;
 * - on the record group, records older than `recordRetentionMs`: once no participant holds an
 *   intent of the transaction, the record goes (coordinators forget their own records as soon as
 *   they resolved; this collects those of coordinators that died).
 *
 * With `periodMs` ≤ the transaction timeout, no lock outlives a dead coordinator by more than the
 * timeout plus one period plus the time of three log entries.
 */
import type { ShardHost } from '../shard/host.ts';
import { intents } from './intents.ts';
import { records } from './intents.ts';
import type { TxnTransport } from './two-phase.ts';

/** Most intents one resolver pass recovers per group (the rest wait for the next pass). */
export const recoveriesPerPassMax = 256;

export interface IntentResolverOptions {
  readonly host: ShardHost;
  /** The groups this peer runs whose intents it recovers (a function: asked each pass, as groups come and go). */
  readonly groups: readonly number[] | (() => readonly number[]);
  readonly recordGroup: number;
  readonly transport: TxnTransport;
  readonly now: () => number;
  /** Schedules `fn` after `ms` (host clock); returns a cancel function. */
  readonly after: (ms: number, fn: () => void) => () => void;
  /** Default 250 ms. */
  readonly periodMs?: number;
  /** Default 60,000 ms. */
  readonly recordRetentionMs?: number;
  /** Time limit of one request, ms (default 2,000). */
  readonly requestMs?: number;
}

export class IntentResolver {
  readonly #o: IntentResolverOptions;
  #cancel: (() => void) | undefined;
  #stopped = false;
  #running = false;
  /** Intents recovered (resolved by this resolver), records collected. */
  readonly stats = { recovered: 0, forgotten: 0 };

  constructor(options: IntentResolverOptions) {
    this.#o = options;
  }

  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancel?.();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#cancel = this.#o.after(this.#o.periodMs ?? 250, () => {
      if (this.#running) return this.#schedule();
      this.#running = true;
      void this.pass()
        .catch(() => {})
        .finally(() => {
          this.#running = false;
          this.#schedule();
        });
    });
  }

  /** pass: one look at the groups this peer leads (exposed for tests). */
  async pass(): Promise<void> {
    const { host, transport, recordGroup } = this.#o;
    const requestMs = this.#o.requestMs ?? 2_000;
    const groups = typeof this.#o.groups === 'function' ? this.#o.groups() : this.#o.groups;
    for (const g of groups) {
      if (this.#stopped || !host.groups().includes(g) || !host.isLeader(g)) continue;
      const now = this.#o.now();
      const due = intents(host.graph(g))
        .filter((i) => i.deadline < now)
        .slice(0, recoveriesPerPassMax);
      for (const it of due) {
        const deadline = this.#o.now() + requestMs;
        try {
          const decision = await transport.send(recordGroup, { op: 'decide', txn: it.txn, want: 'abort', participants: it.participants, deadline: it.deadline }, deadline);
          await transport.send(g, { op: 'resolve', txn: it.txn, decision }, deadline);
          this.stats.recovered++;
        } catch {
          // Next pass.
        }
      }
    }
    if (this.#stopped || !host.isLeader(recordGroup)) return;
    const old = this.#o.now() - (this.#o.recordRetentionMs ?? 60_000);
    for (const r of records(host.graph(recordGroup)).filter((x) => x.at < old).slice(0, recoveriesPerPassMax)) {
      const deadline = this.#o.now() + requestMs;
      try {
        const held = await Promise.all(r.participants.map((g) => transport.send(g, { op: 'holds', txn: r.txn }, deadline)));
        if (held.some(Boolean)) continue;
        if (await transport.send(recordGroup, { op: 'forget', txn: r.txn }, deadline)) this.stats.forgotten++;
      } catch {
        // Next pass.
      }
    }
  }
}
