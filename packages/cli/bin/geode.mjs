#!/usr/bin/env node
// The `geode` launcher. In a checkout it registers tsx's ESM loader (a devDependency) and runs
// the TypeScript source; in an installed package, which ships no source, it runs the compiled
// CLI (dist/lib, made by `npm run build`, which `npm pack` runs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/main.ts', import.meta.url);
let run;
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ run } = await import(source.href));
} else {
  ({ run } = await import(new URL('../../../dist/lib/packages/cli/src/main.js', import.meta.url).href));
}
process.exitCode = await run(process.argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
