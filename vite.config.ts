import { defineConfig } from 'vite';
import { ldbcSamplePlugin } from './demo/vite-plugin-ldbc-sample.ts';
import { federationDirectoryPlugin } from './demo/federation-directory.ts';
import { relayPlugin } from './demo/vite-plugin-relay.ts';

/**
 * The demo app (demo/) served by `npm run demo`; the library itself is plain ESM TypeScript.
 * The LDBC sample data is served (dev) or bundled (build) by the demo's own plugin; in dev, a
 * Geode relay runs beside the server for the tabs to find each other (demo/vite-plugin-relay.ts).
 */
export default defineConfig({
  root: 'demo',
  plugins: [ldbcSamplePlugin(), relayPlugin(), federationDirectoryPlugin()],
  server: { port: 5173, strictPort: false },
  build: { outDir: '../dist/demo', emptyOutDir: true, target: 'es2022' },
});
