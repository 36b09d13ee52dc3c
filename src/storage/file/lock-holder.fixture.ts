/**
 * TEST-ONLY child process for lock.test.ts: opens a file store on the directory given as the
 * first argument, prints `locked <pid>` and waits until it is killed.
 */
import { openFileLogStore } from './index.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: lock-holder.fixture.ts <dir>');
const store = openFileLogStore(dir);
await store.open();
process.stdout.write(`locked ${process.pid}\n`);
setInterval(() => store.durable(), 60_000);
