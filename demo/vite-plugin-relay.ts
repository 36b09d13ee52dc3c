/**
 * relayPlugin: `npm run demo` runs a Geode relay beside Vite's dev server, so that the tabs the
 * demo is opened in can find each other (the relay keeps the directory of each cluster's peers
 * and carries WebRTC signalling; it holds no data and sees only encrypted traffic).
 *
 * - The relay starts with the dev server (loopback, free ports) and stops when it closes (Ctrl-C).
 *   Its multiaddrs are printed, so a Node peer can join the same cluster:
 *   `npm run geode -- peer --cluster <id> --join <multiaddr>`.
 * - `GET /__geode/relay?cluster=<id>` answers `{ relays, all, founder }`: `relays` are the
 *   addresses a tab can dial (WebSockets), `all` every address, and `founder` is true for the first
 *   request naming that cluster since the relay started: that tab founds the cluster (bootstraps)
 *   when its own storage is empty; every later tab joins it.
 * - The page learns the endpoint from `<meta name="geode-relay">`, which this plugin adds to the
 *   dev server's index.html (a static build has neither, and its tabs stay on their own).
 * - `GEODE_DEMO_RELAY=0` turns it off (the endpoint then answers 503).
 *
 * This module runs in Node (Vite's config), never in the page.
 */
import type { Plugin, ViteDevServer } from 'vite';
import type { Relay } from '../src/net/node.ts';

/** The endpoint the page asks for the relay's addresses. */
export const RELAY_ENDPOINT = '/__geode/relay';
/** Most cluster ids remembered for the founder answer (a demo relay, not a registry). */
export const FOUNDED_CLUSTERS_MAX = 10_000;
/** Longest cluster id accepted in the query string. */
export const CLUSTER_ID_CHARS_MAX = 256;

/** What {@link RELAY_ENDPOINT} answers. */
export interface RelayInfo {
  readonly relays: readonly string[];
  readonly all: readonly string[];
  readonly founder: boolean;
}

export function relayPlugin(): Plugin {
  let relay: Relay | undefined;
  let starting: Promise<Relay> | undefined;
  const founded = new Set<string>();

  const start = (server: ViteDevServer): Promise<Relay> => {
    starting ??= (async () => {
      const { createRelay } = await import('../src/net/node.ts');
      const r = await createRelay();
      relay = r;
      server.config.logger.info(`  geode relay: ${r.addrs().join('  ')}`);
      return r;
    })();
    return starting;
  };

  return {
    name: 'geode-demo-relay',
    apply: 'serve',
    configureServer(server) {
      if (process.env['GEODE_DEMO_RELAY'] === '0') {
        server.middlewares.use(RELAY_ENDPOINT, (_req, res) => {
          res.statusCode = 503;
          res.end('the demo relay is off (GEODE_DEMO_RELAY=0)');
        });
        return;
      }
      const ready = start(server);
      ready.catch((err: unknown) => server.config.logger.error(`geode relay did not start: ${err instanceof Error ? err.message : String(err)}`));
      server.httpServer?.once('close', () => {
        void relay?.close();
      });
      server.middlewares.use(RELAY_ENDPOINT, (req, res) => {
        ready.then(
          (r) => {
            const cluster = new URL(req.url ?? '', 'http://demo').searchParams.get('cluster') ?? '';
            if (cluster.length === 0 || cluster.length > CLUSTER_ID_CHARS_MAX) {
              res.statusCode = 400;
              res.end(`cluster must be given, 1..${CLUSTER_ID_CHARS_MAX} characters`);
              return;
            }
            let founder = false;
            if (!founded.has(cluster)) {
              if (founded.size >= FOUNDED_CLUSTERS_MAX) founded.clear();
              founded.add(cluster);
              founder = true;
            }
            const all = r.addrs();
            const info: RelayInfo = { relays: all.filter((a) => a.includes('/ws')), all, founder };
            res.setHeader('content-type', 'application/json');
            res.setHeader('cache-control', 'no-store');
            res.end(JSON.stringify(info));
          },
          (err: unknown) => {
            res.statusCode = 503;
            res.end(`the demo relay did not start: ${err instanceof Error ? err.message : String(err)}`);
          },
        );
      });
    },
    // Tells the page where to ask (only the dev server serves the endpoint).
    transformIndexHtml() {
      if (process.env['GEODE_DEMO_RELAY'] === '0') return [];
      return [{ tag: 'meta', attrs: { name: 'geode-relay', content: RELAY_ENDPOINT }, injectTo: 'head' }];
    },
    async closeBundle() {
      await relay?.close();
    },
  };
}
