/**
 * TEST-ONLY child process for crash.test.ts: opens a file store on the directory given as the
 * first argument and appends batches of entries as fast as it can, printing `ack <last index>`
 * after each `sync()` resolved, until it is killed.
 */
import type { LogIndex, NodeId, Term } from '../../raft/index.ts';
import { openFileLogStore } from './index.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: crash-writer.fixture.ts <dir>');
const store = openFileLogStore(dir, { segmentBytes: 64 * 1024 });
const state = await store.open();
let last = state.entries.length > 0 ? state.entries[state.entries.length - 1]!.index : (state.snapshot?.metadata.index ?? 0);
for (;;) {
  const batch = [];
  for (let i = 0; i < 10; i++) {
    last++;
    batch.push({ index: last as LogIndex, term: 1 as Term, type: 'normal' as const, data: new Uint8Array(100).fill(last & 0xff) });
  }
  store.stage({ entries: batch, hardState: { term: 1 as Term, vote: 1 as NodeId, commit: last as LogIndex } });
  await store.sync();
  if (last % 2000 === 0) await store.saveSnapshot({ metadata: { index: (last - 500) as LogIndex, term: 1 as Term, conf: { voters: [1 as NodeId], learners: [] } }, data: new Uint8Array(64) });
  process.stdout.write(`ack ${last}\n`);
}
