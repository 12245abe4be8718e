#!/usr/bin/env node
// The installed command. It runs the compiled CLI from dist/, which `npm ci` builds through the
// package's `prepare` script.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('faultline: not built yet (dist/ is missing). Run `npm run build` in the faultline folder.\n');
  process.exit(70);
}
await import(entry.href);
