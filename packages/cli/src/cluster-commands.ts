/**
 * `geode relay` and `geode peer`: long-running cluster processes (docs/operations.md).
 *
 * - relay: a libp2p relay with the peer directory; prints its multiaddrs (one a line, for
 *   `--join`), serves `/metrics` and `/health` over HTTP when `--http-port` is given.
 * - peer: a Node peer holding the shard in file storage (`--data`), its identity key in
 *   `<data>/peer.key`; prints its id and addresses; the same HTTP endpoints.
 *
 * Both stop cleanly on SIGINT / SIGTERM (a leader hands off first, stores are closed, the
 * directory lock is released) and exit 0.
 */
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { createRelay } from '../../../src/net/node.ts';
import { openGeode, type Geode } from '../../../src/node.ts';
import { GeodeError } from '../../../src/util/errors.ts';
import { readConfigFile } from './config-file.ts';
import { clusterMetricsText, relayMetrics } from './metrics.ts';
import type { CliIo } from './main.ts';

/** Options of `geode relay`. */
export interface RelayOptions {
  readonly listen: string[];
  readonly httpPort?: number;
  readonly httpHost: string;
  /** A key file (`peer.key` format) so the relay keeps its id and multiaddr across restarts. */
  readonly keyFile?: string;
}

/** Options of `geode peer`. */
export interface PeerOptions {
  readonly cluster: string;
  readonly secret?: string;
  readonly data: string;
  readonly join: string[];
  readonly bootstrap?: boolean;
  readonly config?: string;
  readonly listen: string[];
  readonly httpPort?: number;
  readonly httpHost: string;
}

/** The environment variable read when `--secret` is not given (keeps the secret out of `ps`). */
export const SECRET_ENV = 'GEODE_CLUSTER_SECRET';

/** clusterSecret: `--secret`, else $GEODE_CLUSTER_SECRET; CONFIG_INVALID when neither. */
export function clusterSecret(secret: string | undefined): string {
  const s = secret ?? process.env[SECRET_ENV];
  if (s === undefined || s.length === 0) throw new GeodeError('CONFIG_INVALID', `cluster.secret: pass --secret <s> or set ${SECRET_ENV}`, { source: 'config', detail: 'cluster.secret' });
  return s;
}

/** untilSignal: resolves with the name of the first SIGINT / SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      done(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** serveHttp: `/metrics` and `/health` on host:port; resolves once listening. */
async function serveHttp(host: string, port: number, metrics: () => string, health: () => { ok: boolean; [k: string]: unknown }, io: CliIo): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    try {
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics());
      } else if (path === '/health') {
        const h = health();
        res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(h)}\n`);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n');
      }
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`);
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  const a = server.address();
  io.stderr.write(`http http://${host}:${typeof a === 'object' && a !== null ? a.port : port} (/metrics, /health)\n`);
  return server;
}

function closeServer(server: Server | undefined): Promise<void> {
  if (server === undefined) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((ok) => server.close(() => ok()));
}

/** relayCommand: runs a relay until SIGINT / SIGTERM. */
export async function relayCommand(opts: RelayOptions, io: CliIo): Promise<number> {
  const privateKey = opts.keyFile === undefined ? undefined : await loadKeyFile(opts.keyFile);
  const relay = await createRelay({ ...(opts.listen.length === 0 ? {} : { listen: opts.listen }), ...(privateKey === undefined ? {} : { privateKey }) });
  let server: Server | undefined;
  try {
    io.stderr.write(`relay ${relay.id}\n`);
    for (const a of relay.addrs()) io.stdout.write(`${a}\n`);
    if (opts.httpPort !== undefined) {
      server = await serveHttp(opts.httpHost, opts.httpPort, () => relayMetrics(relay), () => ({ ok: true, role: 'relay', id: relay.id, ...relay.stats() }), io);
    }
    // The handlers first: once `ready` is out, a SIGTERM is a clean stop (a supervisor or test
    // may send one the moment it reads the line).
    const signal = untilSignal();
    io.stderr.write('ready\n');
    const sig = await signal;
    io.stderr.write(`${sig}: stopping\n`);
  } finally {
    await closeServer(server);
    await relay.close();
  }
  return 0;
}

/** A relay key: the file at `path` (`peer.key` format, e.g. a data directory's), created with a new key when missing. */
async function loadKeyFile(path: string): Promise<Uint8Array> {
  const { loadOrCreateKeyFile } = await import('../../../src/api/node-cluster.ts');
  return loadOrCreateKeyFile(resolve(path));
}

/** openPeer: the peer's database as `geode peer` opens it. */
export async function openPeer(opts: PeerOptions, io: CliIo): Promise<Geode> {
  const config = opts.config === undefined ? {} : await readConfigFile(opts.config);
  return openGeode({
    storage: `file:${opts.data}`,
    onWarning: (m) => io.stderr.write(`warning: ${m}\n`),
    cluster: {
      id: opts.cluster,
      secret: clusterSecret(opts.secret),
      relays: opts.join,
      bootstrap: opts.bootstrap === true,
      config,
      ...(opts.listen.length === 0 ? {} : { listen: opts.listen }),
    },
  });
}

/** peerCommand: runs a Node peer until SIGINT / SIGTERM. */
export async function peerCommand(opts: PeerOptions, io: CliIo): Promise<number> {
  const db = await openPeer(opts, io);
  const cluster = db.cluster!;
  let server: Server | undefined;
  try {
    io.stderr.write(`peer ${cluster.self} of cluster ${cluster.id}, data ${opts.data}\n`);
    for (const a of cluster.addrs()) io.stdout.write(`${a}\n`);
    if (opts.httpPort !== undefined) {
      server = await serveHttp(
        opts.httpHost,
        opts.httpPort,
        () => clusterMetricsText(cluster),
        () => {
          const me = cluster.status().find((r) => r.self);
          return { ok: true, role: 'peer', id: cluster.self, state: me?.state ?? 'unknown', leader: me?.leader ?? null, term: me?.term ?? 0 };
        },
        io,
      );
    }
    // The handlers first: once `ready` is out, a SIGTERM is a clean stop (a supervisor or test
    // may send one the moment it reads the line).
    const signal = untilSignal();
    io.stderr.write('ready\n');
    const sig = await signal;
    io.stderr.write(`${sig}: leaving\n`);
  } finally {
    await closeServer(server);
    await db.close();
  }
  return 0;
}
