/**
 * The crash test's writer: opens a file-backed database and writes as fast as it can, printing
 * `ack <seq>` once each write is acknowledged (durable), until it is killed.
 *
 * argv: <data dir> <first seq> <writers in flight>
 * Each write creates a node (:W {seq, lane, pad}) linked by :NEXT to the previous one of its lane,
 * and clears that one's `last` flag, so adjacency, indexes and updates are all exercised.
 */
import { openGeode } from '../../src/node.ts';

const [dir, firstText, inFlightText] = process.argv.slice(2);
if (dir === undefined || firstText === undefined || inFlightText === undefined) {
  process.stderr.write('usage: writer <dir> <first seq> <in flight>\n');
  process.exit(2);
}
const db = await openGeode({ storage: `file:${dir}`, snapshotThreshold: 200 });
await db.query('CREATE INDEX w_seq IF NOT EXISTS FOR (w:W) ON (w.seq)');
let next = Number(firstText);
const inFlight = Number(inFlightText);
const pad = 'p'.repeat(64);
process.stdout.write('ready\n');

async function writer(lane: number): Promise<void> {
  let prev: number | undefined;
  for (;;) {
    const seq = next++;
    const params = { seq: BigInt(seq), lane: BigInt(lane), pad, prev: prev === undefined ? null : BigInt(prev) };
    await db.query(
      prev === undefined
        ? 'CREATE (:W {seq: $seq, lane: $lane, last: true, pad: $pad})'
        : 'MATCH (p:W {seq: $prev}) SET p.last = false CREATE (p)-[:NEXT]->(:W {seq: $seq, lane: $lane, last: true, pad: $pad})',
      params,
    );
    prev = seq;
    process.stdout.write(`ack ${seq}\n`);
  }
}

await Promise.all(Array.from({ length: inFlight }, (_, lane) => writer(lane)));
