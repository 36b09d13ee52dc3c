import { defineConfig } from 'vite';

/** The demo app (demo/) served by `npm run demo`; the library itself is plain ESM TypeScript. */
export default defineConfig({
  root: 'demo',
  server: { port: 5173, strictPort: false },
  build: { outDir: '../dist/demo', emptyOutDir: true, target: 'es2022' },
});
