#!/usr/bin/env node
/**
 * Builds the optional native addon at install time (batched UDP I/O in udp_batch.c and
 * udp_timed.c, TCP forwarding without JavaScript in tcp_relay.c), and never fails the install: without it
 * the UDP proxy uses Node's dgram, which works everywhere and is about half as fast, and the TCP
 * proxy forwards every byte through JavaScript (docs/decisions.md #16 and #18). Set FAULTLINE_NATIVE=required to make a
 * failed build an error (CI uses it to notice a broken addon), or FAULTLINE_NATIVE=off to skip.
 *
 * Node's headers are taken from the running Node's own prefix when they are there, so the build
 * never downloads anything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const mode = process.env.FAULTLINE_NATIVE ?? 'auto';
const say = (message) => process.stderr.write(`faultline: ${message}\n`);

function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package: the npm-bundled copies above are the usual ones
  }
  return candidates.find((path) => existsSync(path));
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function build() {
  if (mode === 'off') return 'skipped (FAULTLINE_NATIVE=off)';
  if (process.platform !== 'linux') return `not built: it is Linux-only (this is ${process.platform})`;
  const gyp = nodeGyp();
  if (!gyp) return 'not built: node-gyp not found (it comes with npm)';
  const dir = nodeDir();
  const args = [gyp, 'rebuild', `--directory=${here}`, ...(dir ? [`--nodedir=${dir}`] : [])];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (result.status === 0) return null;
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n  ');
  return `not built: node-gyp exited with ${result.status ?? result.signal}\n  ${output}`;
}

const problem = build();
if (problem === null) {
  say('native UDP I/O built (recvmmsg/sendmmsg), and native TCP forwarding');
} else {
  say(`native UDP I/O ${problem}; the UDP proxy uses Node's dgram instead, and TCP forwards through JavaScript`);
  if (mode === 'required') process.exit(1);
}
