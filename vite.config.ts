import { defineConfig } from 'vite';
import { ldbcSamplePlugin } from './demo/vite-plugin-ldbc-sample.ts';

/**
 * The demo app (demo/) served by `npm run demo`; the library itself is plain ESM TypeScript.
 * The LDBC sample data is served (dev) or bundled (build) by the demo's own plugin.
 */
export default defineConfig({
  root: 'demo',
  plugins: [ldbcSamplePlugin()],
  server: { port: 5173, strictPort: false },
  build: { outDir: '../dist/demo', emptyOutDir: true, target: 'es2022' },
});
