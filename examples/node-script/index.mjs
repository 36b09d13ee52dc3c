// A Node script using Geode from its installed package: a durable file database (given as the
// first argument, default ./data), a live query that prints the number of people each time it
// changes, and a few writes. Run it twice: the second run starts from the first run's people.
import { openGeode, isGeodeError } from 'geode-db';

const dir = process.argv[2] ?? './data';
const db = await openGeode({ storage: `file:${dir}` });

const { rows: before } = await db.query('MATCH (p:Person) RETURN count(p) AS n');
console.log(`opened ${dir}: ${before[0].n} people`);

let latest = -1n;
const stop = db.subscribe('MATCH (p:Person) RETURN count(p) AS n', {}, ({ rows }) => {
  latest = rows[0].n;
  console.log(`live: ${latest} people`);
});

const run = Number(before[0].n) / 2;
await db.query('CREATE (a:Person {name: $a, run: $run})-[:KNOWS]->(b:Person {name: $b, run: $run})', { a: `Ada ${run}`, b: `Alan ${run}`, run: BigInt(run) });

try {
  await db.query('MATCH (p:Person) RETURN p.name +');
} catch (err) {
  if (!isGeodeError(err)) throw err;
  console.log(`a bad query is refused: ${err.code} at line ${err.position?.line}, column ${err.position?.column}`);
}

// Wait for the live query to see the write, then leave cleanly.
const want = before[0].n + 2n;
while (latest !== want) await new Promise((r) => setTimeout(r, 5));
stop();
const { rows } = await db.query('MATCH (a:Person)-[:KNOWS]->(b) RETURN a.name AS a, b.name AS b ORDER BY a');
console.log(JSON.stringify({ people: Number(want), knows: rows.map((r) => `${r.a} -> ${r.b}`) }));
await db.close();
