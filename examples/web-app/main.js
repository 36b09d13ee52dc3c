// Geode in a web page: a database kept in this browser's IndexedDB, a live query rendered into
// the page, and a form that inserts a node. With `?relay=<multiaddr>&cluster=<id>&secret=<s>`
// the page joins that cluster through the relay (add `&bootstrap=1` in the first tab of a new
// cluster), and a change made in any member's tab shows up here through the same live query.
import { generatePeerKey, isGeodeError, openGeode } from 'geode-db';

const url = new URLSearchParams(location.search);
const relay = url.get('relay');
const clusterId = url.get('cluster') ?? 'geode-web-app';
// The IndexedDB database's name. Two tabs of one browser profile each need their own (`?db=`).
const dbName = url.get('db') ?? (relay === null ? 'geode-web-app' : `geode-web-app-${clusterId}`);

const $ = (id) => document.getElementById(id);
const showError = (err) => {
  $('error').textContent = isGeodeError(err) ? `${err.code}: ${err.message}` : String(err);
};

// A cluster member keeps its peer key with its data: the same IndexedDB name, the same key.
async function peerKey() {
  const slot = `geode-web-app-key:${dbName}`;
  const kept = localStorage.getItem(slot);
  if (kept !== null) return Uint8Array.from(atob(kept), (c) => c.charCodeAt(0));
  const key = await generatePeerKey();
  localStorage.setItem(slot, btoa(String.fromCharCode(...key)));
  return key;
}

async function open() {
  if (relay === null) return openGeode({ storage: `indexeddb:${dbName}` });
  return openGeode({
    storage: `indexeddb:${dbName}`,
    cluster: {
      id: clusterId,
      secret: url.get('secret') ?? '',
      relays: [relay],
      bootstrap: url.get('bootstrap') === '1',
      key: await peerKey(),
    },
  });
}

function showCluster(db) {
  if (db.cluster === undefined) {
    $('status').textContent = `embedded database, IndexedDB '${dbName}'`;
    return;
  }
  const peers = db.cluster.status();
  const leader = peers.find((p) => p.state === 'leader');
  const who = leader === undefined ? 'none yet' : leader.self ? 'this tab' : `${leader.peer.slice(-6)}`;
  $('status').textContent = `cluster '${db.cluster.id}', ${peers.length} peer${peers.length === 1 ? '' : 's'}, leader: ${who}`;
}

async function main() {
  const db = await open();
  showCluster(db);
  if (db.cluster !== undefined) setInterval(() => showCluster(db), 1000);

  // The live query: called now, and again after every committed change that alters its rows.
  db.subscribe('MATCH (p:Person) RETURN p.name AS name ORDER BY name', {}, ({ rows }) => {
    $('people').replaceChildren(...rows.map((r) => Object.assign(document.createElement('li'), { textContent: r.name })));
    $('count').textContent = String(rows.length);
  }, { onError: showError });

  $('add').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    $('error').textContent = '';
    try {
      await db.query('CREATE (:Person {name: $name})', { name: form.elements.name.value });
      form.reset();
    } catch (err) {
      showError(err);
    }
  });
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  $('status').textContent = 'the database did not open';
  showError(err);
});
