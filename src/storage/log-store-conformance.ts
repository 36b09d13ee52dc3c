/**
 * The behaviour every {@link LogStore} must have, as a vitest suite each store runs against itself
 * (`describeLogStoreConformance('file', harness)`), like libp2p's interface-compliance tests. The
 * reference is {@link applyStagedWrites} applied to what was synced.
 *
 * TEST-ONLY: imports vitest; never import it from library code.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConfState, Entry, HardState, LogIndex, NodeId, Snapshot, Term } from '../raft/index.ts';
import { isGeodeError } from '../util/errors.ts';
import { applyStagedWrites, emptyDurableState, type DurableImage } from './staged.ts';
import type { DurableState, LogStore, StagedWrites } from './types.ts';

/** How the suite makes, reopens and crashes stores of one kind. */
export interface LogStoreHarness {
  /** A fresh, empty place for a store (a temp directory, a database name, ...). */
  fresh(): Promise<string>;
  /** A store at `place`, not opened yet. Called again for the same place to reopen it. */
  at(place: string): LogStore;
  /** Drops `store` as a crashed process would: no close, staged writes lost, its lock freed. */
  crash(store: LogStore): Promise<void>;
}

const conf: ConfState = { voters: [1 as NodeId], learners: [] };

function entry(index: number, term: number, size = 8): Entry {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return { index: index as LogIndex, term: term as Term, type: 'normal', data };
}

function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

function hardState(term: number, commit: number, vote = 1): HardState {
  return { term: term as Term, vote: vote as NodeId, commit: commit as LogIndex };
}

function snapshot(index: number, term: number, size = 100): Snapshot {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index + i) & 0xff;
  return { metadata: { index: index as LogIndex, term: term as Term, conf }, data };
}

/** A comparable view of a durable state (entries' bytes as arrays). */
function view(s: DurableState | DurableImage): unknown {
  return {
    hardState: s.hardState,
    snapshot: s.snapshot === undefined ? undefined : { metadata: s.snapshot.metadata, data: Array.from(s.snapshot.data) },
    entries: s.entries.map((e) => ({ index: e.index, term: e.term, type: e.type, data: Array.from(e.data) })),
  };
}

/** Registers the conformance suite for one kind of store. */
export function describeLogStoreConformance(name: string, h: LogStoreHarness): void {
  async function reopen(store: LogStore, place: string): Promise<[LogStore, DurableState]> {
    await store.close();
    const next = h.at(place);
    return [next, await next.open()];
  }

  describe(`LogStore conformance: ${name}`, () => {
    it('a new store opens empty', async () => {
      const s = h.at(await h.fresh());
      const st = await s.open();
      expect(view(st)).toEqual(view(emptyDurableState()));
      expect(s.durable()).toEqual({ lastIndex: 0, snapshotIndex: 0 });
      await s.close();
    });

    it('synced entries and hard state are there after a reopen', async () => {
      const place = await h.fresh();
      const s = h.at(place);
      await s.open();
      s.stage({ entries: entries(1, 5, 1), hardState: hardState(1, 3) });
      s.stage({ entries: entries(6, 9, 2), hardState: hardState(2, 9) });
      await s.sync();
      expect(s.durable().lastIndex).toBe(9);
      const [s2, st] = await reopen(s, place);
      expect(view(st)).toEqual(view({ hardState: hardState(2, 9), snapshot: undefined, entries: [...entries(1, 5, 1), ...entries(6, 9, 2)] }));
      await s2.close();
    });

    it('entries overwrite a conflicting suffix, and the truncation is durable', async () => {
      const place = await h.fresh();
      const s = h.at(place);
      await s.open();
      s.stage({ entries: entries(1, 10, 1), hardState: hardState(1, 2) });
      await s.sync();
      s.stage({ entries: entries(4, 6, 2), hardState: hardState(2, 2) });
      await s.sync();
      const [s2, st] = await reopen(s, place);
      expect(view(st)).toEqual(view({ hardState: hardState(2, 2), snapshot: undefined, entries: [...entries(1, 3, 1), ...entries(4, 6, 2)] }));
      // Appending after the truncation continues from the new tail.
      s2.stage({ entries: entries(7, 8, 2) });
      await s2.sync();
      const [s3, st3] = await reopen(s2, place);
      expect(st3.entries.map((e) => [e.index, e.term])).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => [i, i <= 3 ? 1 : 2]));
      await s3.close();
    });

    it('saveSnapshot keeps the snapshot and drops the entries it covers', async () => {
      const place = await h.fresh();
      const s = h.at(place);
      await s.open();
      s.stage({ entries: entries(1, 20, 1), hardState: hardState(1, 20) });
      await s.sync();
      await s.saveSnapshot(snapshot(12, 1));
      expect(s.durable()).toEqual({ lastIndex: 20, snapshotIndex: 12 });
      const [s2, st] = await reopen(s, place);
      expect(view(st)).toEqual(view({ hardState: hardState(1, 20), snapshot: snapshot(12, 1), entries: entries(13, 20, 1) }));
      // A later snapshot replaces the earlier one.
      s2.stage({ entries: entries(21, 30, 1) });
      await s2.saveSnapshot(snapshot(25, 1, 3000));
      const [s3, st3] = await reopen(s2, place);
      expect(view(st3)).toEqual(view({ hardState: hardState(1, 20), snapshot: snapshot(25, 1, 3000), entries: entries(26, 30, 1) }));
      await s3.close();
    });

    it('a received snapshot replaces the whole log', async () => {
      const place = await h.fresh();
      const s = h.at(place);
      await s.open();
      s.stage({ entries: entries(1, 5, 1), hardState: hardState(1, 5) });
      await s.sync();
      s.stage({ snapshot: snapshot(50, 3), hardState: hardState(3, 50) });
      s.stage({ entries: entries(51, 52, 3) });
      await s.sync();
      const [s2, st] = await reopen(s, place);
      expect(view(st)).toEqual(view({ hardState: hardState(3, 50), snapshot: snapshot(50, 3), entries: entries(51, 52, 3) }));
      await s2.close();
    });

    it('a crash loses only what was not synced', async () => {
      const place = await h.fresh();
      const s = h.at(place);
      await s.open();
      s.stage({ entries: entries(1, 4, 1), hardState: hardState(1, 4) });
      await s.sync();
      s.stage({ entries: entries(5, 8, 1), hardState: hardState(1, 8) });
      await h.crash(s);
      const s2 = h.at(place);
      const st = await s2.open();
      expect(view(st)).toEqual(view({ hardState: hardState(1, 4), snapshot: undefined, entries: entries(1, 4, 1) }));
      await s2.close();
    });

    it('overlapping syncs all resolve and everything staged before them is durable', async () => {
      const place = await h.fresh();
      const s = h.at(place);
      await s.open();
      const waits: Promise<void>[] = [];
      for (let i = 1; i <= 50; i++) {
        s.stage({ entries: [entry(i, 1)], hardState: hardState(1, i) });
        waits.push(s.sync());
      }
      await Promise.all(waits);
      expect(s.durable().lastIndex).toBe(50);
      await h.crash(s);
      const s2 = h.at(place);
      const st = await s2.open();
      expect(st.entries.length).toBe(50);
      expect(st.hardState.commit).toBe(50);
      await s2.close();
    });

    it('a closed store refuses work with CLOSED', async () => {
      const s = h.at(await h.fresh());
      await s.open();
      await s.close();
      await s.close(); // idempotent
      expect(() => s.stage({ entries: [entry(1, 1)] })).toThrow(expect.objectContaining({ code: 'CLOSED' }) as Error);
      await expect(s.sync()).rejects.toSatisfy((e: unknown) => isGeodeError(e, 'CLOSED'));
    });

    it('after any sequence of writes, syncs, snapshots and crashes, a reopen holds exactly what was synced', async () => {
      type Op =
        | { k: 'append'; back: number; n: number; termUp: boolean }
        | { k: 'sync' }
        | { k: 'snapshot'; back: number }
        | { k: 'receive'; ahead: number }
        | { k: 'crash' }
        | { k: 'reopen' };
      const op: fc.Arbitrary<Op> = fc.oneof(
        { weight: 5, arbitrary: fc.record({ k: fc.constant('append' as const), back: fc.nat(3), n: fc.integer({ min: 1, max: 4 }), termUp: fc.boolean() }) },
        { weight: 3, arbitrary: fc.constant({ k: 'sync' as const }) },
        { weight: 1, arbitrary: fc.record({ k: fc.constant('snapshot' as const), back: fc.nat(4) }) },
        { weight: 1, arbitrary: fc.record({ k: fc.constant('receive' as const), ahead: fc.integer({ min: 1, max: 5 }) }) },
        { weight: 1, arbitrary: fc.constant({ k: 'crash' as const }) },
        { weight: 1, arbitrary: fc.constant({ k: 'reopen' as const }) },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
          const place = await h.fresh();
          let store = h.at(place);
          await store.open();
          const synced = emptyDurableState();
          let staged: StagedWrites[] = [];
          // The writer's own (volatile) view, to draw valid appends from.
          let volatile = emptyDurableState();
          let term = 1;
          const last = (img: DurableImage): number =>
            img.entries.length > 0 ? img.entries[img.entries.length - 1]!.index : (img.snapshot?.metadata.index ?? 0);
          for (const o of ops) {
            if (o.k === 'append') {
              const snapIndex = volatile.snapshot?.metadata.index ?? 0;
              const from = Math.max(snapIndex + 1, last(volatile) + 1 - o.back);
              if (o.termUp) term++;
              const w: StagedWrites = { entries: entries(from, from + o.n - 1, term), hardState: hardState(term, snapIndex) };
              store.stage(w);
              staged.push(w);
              applyStagedWrites(volatile, w);
            } else if (o.k === 'sync') {
              await store.sync();
              for (const w of staged) applyStagedWrites(synced, w);
              staged = [];
            } else if (o.k === 'snapshot') {
              await store.sync();
              for (const w of staged) applyStagedWrites(synced, w);
              staged = [];
              const snapIndex = synced.snapshot?.metadata.index ?? 0;
              const at = last(synced) - o.back;
              if (at <= snapIndex || at < 1) continue;
              const t = synced.entries.find((e) => e.index === at)!.term;
              const snap = snapshot(at, t);
              await store.saveSnapshot(snap);
              for (const img of [synced, volatile]) {
                img.snapshot = snap;
                img.entries = img.entries.filter((e) => e.index > at);
              }
            } else if (o.k === 'receive') {
              term++;
              const w: StagedWrites = { snapshot: snapshot(last(volatile) + o.ahead, term), hardState: hardState(term, last(volatile) + o.ahead) };
              store.stage(w);
              staged.push(w);
              applyStagedWrites(volatile, w);
            } else {
              if (o.k === 'crash') await h.crash(store);
              else {
                await store.close();
                for (const w of staged) applyStagedWrites(synced, w);
              }
              staged = [];
              store = h.at(place);
              const st = await store.open();
              expect(view(st)).toEqual(view(synced));
              volatile = { hardState: synced.hardState, snapshot: synced.snapshot, entries: synced.entries.slice() };
            }
          }
          await store.close();
          for (const w of staged) applyStagedWrites(synced, w);
          const again = h.at(place);
          expect(view(await again.open())).toEqual(view(synced));
          await again.close();
        }),
        { numRuns: 40 },
      );
    });
  });
}
