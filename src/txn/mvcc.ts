/**
 * Multi-version concurrency control on one replica: a versioned register store and the
 * transactions that run on it, with snapshot isolation or serializability. The distributed form
 * (intents in each shard's Raft log, a transaction record group, 2PC) builds on these rules; this
 * module is their single-replica core and what the isolation tests check.
 *
 * - Every committed write is a new version of its key stamped with the transaction's commit
 *   timestamp (a hybrid timestamp); a transaction reads, for every key, the latest version at or
 *   before its start timestamp, plus its own writes.
 * - Snapshot isolation: at commit, a key it writes that got a version after its start aborts it
 *   (first committer wins): no lost update, no dirty write; write skew is possible.
 * - Serializable: besides, a key it read that got a version after its start aborts it (its reads
 *   are validated at commit, as optimistic concurrency control does): no write skew.
 * - An aborted transaction fails with PROPOSAL_DROPPED (`WriteConflict` / `ReadConflict`): it did
 *   not happen and may be retried ({@link runTransaction} retries with backoff).
 * - `collect(oldest)` drops versions no snapshot at or after `oldest` can read.
 */
import { GeodeError } from '../util/errors.ts';
import { compareHlc, formatHlc, type HlcTimestamp, type HybridClock } from './hlc.ts';

/** The isolation levels of a transaction. */
export type IsolationLevel = 'snapshot' | 'serializable';

interface Version<V> {
  readonly commitTs: HlcTimestamp;
  /** undefined: deleted. */
  readonly value: V | undefined;
}

/** MvccStore: versions of each key, oldest first. */
export class MvccStore<V> {
  readonly #versions = new Map<string, Version<V>[]>();

  /** read: the key's value at `snapshot` (the latest version at or before it). */
  read(key: string, snapshot: HlcTimestamp): V | undefined {
    const list = this.#versions.get(key);
    if (list === undefined) return undefined;
    for (let i = list.length - 1; i >= 0; i--) if (compareHlc(list[i]!.commitTs, snapshot) <= 0) return list[i]!.value;
    return undefined;
  }

  /** latest: the commit timestamp of the key's newest version, if any. */
  latest(key: string): HlcTimestamp | undefined {
    const list = this.#versions.get(key);
    return list === undefined || list.length === 0 ? undefined : list[list.length - 1]!.commitTs;
  }

  /** install: a new version; its timestamp must be after the key's newest (commits are ordered). */
  install(key: string, value: V | undefined, commitTs: HlcTimestamp): void {
    const last = this.latest(key);
    if (last !== undefined && compareHlc(commitTs, last) <= 0) {
      throw new GeodeError('INPUT_INVALID', `a version of ${key} at ${formatHlc(commitTs)} is not after its newest at ${formatHlc(last)}`, { source: 'mvcc' });
    }
    let list = this.#versions.get(key);
    if (list === undefined) this.#versions.set(key, (list = []));
    list.push({ commitTs, value });
  }

  /** collect: drops versions shadowed before `oldest` (the oldest live snapshot); returns how many. */
  collect(oldest: HlcTimestamp): number {
    let n = 0;
    for (const [key, list] of this.#versions) {
      // Keep the newest version at or before `oldest` (what that snapshot reads) and everything after.
      let keepFrom = 0;
      for (let i = 0; i < list.length; i++) if (compareHlc(list[i]!.commitTs, oldest) <= 0) keepFrom = i;
      if (keepFrom > 0) {
        list.splice(0, keepFrom);
        n += keepFrom;
      }
      if (list.length === 1 && list[0]!.value === undefined && compareHlc(list[0]!.commitTs, oldest) <= 0) {
        this.#versions.delete(key);
        n++;
      }
    }
    return n;
  }

  /** versionCount: versions kept (for tests and metrics). */
  get versionCount(): number {
    let n = 0;
    for (const l of this.#versions.values()) n += l.length;
    return n;
  }
}

/** One transaction: reads at its start timestamp, buffers its writes, validates at commit. */
export class Transaction<V> {
  readonly startTs: HlcTimestamp;
  readonly isolation: IsolationLevel;
  readonly readOnly: boolean;
  readonly #store: MvccStore<V>;
  readonly #manager: TransactionManager<V>;
  readonly #writes = new Map<string, V | undefined>();
  readonly #reads = new Set<string>();
  #state: 'open' | 'committed' | 'aborted' = 'open';

  /** @internal made by {@link TransactionManager.begin}. */
  constructor(manager: TransactionManager<V>, store: MvccStore<V>, startTs: HlcTimestamp, isolation: IsolationLevel, readOnly: boolean) {
    this.#manager = manager;
    this.#store = store;
    this.startTs = startTs;
    this.isolation = isolation;
    this.readOnly = readOnly;
  }

  #open(): void {
    if (this.#state !== 'open') throw new GeodeError('CLOSED', `the transaction is ${this.#state}`, { source: 'transaction' });
  }

  read(key: string): V | undefined {
    this.#open();
    if (this.#writes.has(key)) return this.#writes.get(key);
    this.#reads.add(key);
    return this.#store.read(key, this.startTs);
  }

  /** write: `value` (undefined deletes) becomes the key's value if the transaction commits. */
  write(key: string, value: V | undefined): void {
    this.#open();
    if (this.readOnly) throw new GeodeError('INPUT_INVALID', 'a READ ONLY transaction cannot write', { source: 'transaction', detail: 'ReadOnlyTransaction' });
    this.#writes.set(key, value);
  }

  /** commit: validates and installs the writes at a new commit timestamp; PROPOSAL_DROPPED on a conflict. */
  commit(): HlcTimestamp {
    this.#open();
    try {
      return this.#manager.commit(this.startTs, this.isolation, this.#reads, this.#writes);
    } catch (err) {
      this.#state = 'aborted';
      throw err;
    } finally {
      if (this.#state === 'open') this.#state = 'committed';
      this.#manager.finished(this);
    }
  }

  abort(): void {
    if (this.#state !== 'open') return;
    this.#state = 'aborted';
    this.#manager.finished(this);
  }
}

/** TransactionManager: begins transactions and commits them one at a time against one store. */
export class TransactionManager<V> {
  readonly store = new MvccStore<V>();
  readonly #clock: HybridClock;
  readonly #live = new Set<Transaction<V>>();
  /** Commits refused, by reason (for metrics and tests). */
  readonly aborts = { write: 0, read: 0 };

  constructor(clock: HybridClock) {
    this.#clock = clock;
  }

  begin(isolation: IsolationLevel = 'snapshot', options: { readonly readOnly?: boolean } = {}): Transaction<V> {
    const t = new Transaction<V>(this, this.store, this.#clock.now(), isolation, options.readOnly === true);
    this.#live.add(t);
    return t;
  }

  /** @internal called by Transaction.commit. */
  commit(startTs: HlcTimestamp, isolation: IsolationLevel, reads: ReadonlySet<string>, writes: ReadonlyMap<string, unknown>): HlcTimestamp {
    for (const key of writes.keys()) {
      const last = this.store.latest(key);
      if (last !== undefined && compareHlc(last, startTs) > 0) {
        this.aborts.write++;
        throw new GeodeError('PROPOSAL_DROPPED', `write conflict on ${key}: another transaction committed it after this one started (retry)`, { detail: 'WriteConflict', source: 'transaction' });
      }
    }
    if (isolation === 'serializable') {
      for (const key of reads) {
        const last = this.store.latest(key);
        if (last !== undefined && compareHlc(last, startTs) > 0) {
          this.aborts.read++;
          throw new GeodeError('PROPOSAL_DROPPED', `read conflict on ${key}: it changed after this transaction read it (retry)`, { detail: 'ReadConflict', source: 'transaction' });
        }
      }
    }
    const commitTs = this.#clock.now();
    for (const [key, value] of writes) this.store.install(key, value as never, commitTs);
    return commitTs;
  }

  /** @internal */
  finished(t: Transaction<V>): void {
    this.#live.delete(t);
  }

  /** oldestSnapshot: the start of the oldest open transaction (versions before it may go), or now. */
  oldestSnapshot(): HlcTimestamp {
    let oldest: HlcTimestamp | undefined;
    for (const t of this.#live) if (oldest === undefined || compareHlc(t.startTs, oldest) < 0) oldest = t.startTs;
    return oldest ?? this.#clock.last();
  }

  /** collect: drops versions no open or future transaction can read. */
  collect(): number {
    return this.store.collect(this.oldestSnapshot());
  }
}

/** What {@link runTransaction} retries with. */
export interface RetryOptions {
  readonly isolation?: IsolationLevel;
  readonly readOnly?: boolean;
  /** Attempts after the first (transactions.retry_count). Default 5. */
  readonly retries?: number;
  /** Waits `backoffMs × 2^attempt` (capped at 100× it) between attempts; default 1. */
  readonly backoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * runTransaction: runs `body` in a transaction and commits it; on a conflict (PROPOSAL_DROPPED
 * `WriteConflict` / `ReadConflict`) runs it again, up to `retries` more times; any other error
 * aborts and is thrown. Resolves with what `body` returned.
 */
export async function runTransaction<V, T>(manager: TransactionManager<V>, body: (tx: Transaction<V>) => Promise<T> | T, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 5;
  const backoff = options.backoffMs ?? 1;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 0; ; attempt++) {
    const tx = manager.begin(options.isolation ?? 'snapshot', { readOnly: options.readOnly ?? false });
    try {
      const out = await body(tx);
      tx.commit();
      return out;
    } catch (err) {
      tx.abort();
      const conflict = err instanceof GeodeError && err.code === 'PROPOSAL_DROPPED' && (err.detail === 'WriteConflict' || err.detail === 'ReadConflict');
      if (!conflict || attempt >= retries) throw err;
      await sleep(Math.min(backoff * 100, backoff * 2 ** attempt));
    }
  }
}
