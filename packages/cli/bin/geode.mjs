#!/usr/bin/env node
// The `geode` launcher: registers tsx's ESM loader on the running Node, then runs the TypeScript CLI.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/main.ts');
process.exitCode = await run(process.argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
