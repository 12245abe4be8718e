/**
 * The supervisor a target's command runs under, so that it dies with faultline however faultline
 * ends — SIGKILL included, of the process or of its whole process group, which is what CI runners
 * do to a job that timed out or was cancelled. (target-process.ts starts it; docs/decisions.md
 * #18 says why a pipe and not the kernel's parent-death signal.)
 *
 *   faultline ──spawn(detached: a session and group of its own)──▶ supervisor ──spawn──▶ target
 *       ├── fd 3: the lifeline, and what the supervisor reports (JSON lines) ──┘    (same group)
 *       └── fds 4, 5: the target's stdout and stderr, handed on ───────────────────────▶
 *
 * The kernel closes a process's descriptors however it dies, so end-of-file on fd 3 means
 * faultline is gone. The supervisor then sends SIGTERM to its group (the target and whatever it
 * started), waits for the target up to the grace period, and sends SIGKILL to the group, itself
 * included. Being in the target's group and not in faultline's, it outlives a kill of faultline's
 * group long enough to do that.
 *
 * While faultline lives the supervisor stays out of the way: it reports the target's pid
 * (`{"spawned": pid}`), a target that cannot be started (`{"spawnError": {code, message}}`) and
 * the target's end (`{"exit": {code, signal}}`), and stays alive after that end — something the
 * target started may still run in the group and must not be left without a lifeline — until
 * faultline stops the group (a signal to the group reaches the supervisor with the target).
 *
 * Plain CommonJS on purpose: it must start fast, and run the same from dist/ and from the sources.
 * Arguments: <grace ms> <NODE_OPTIONS for the target, or ''> -- <program> <args…>
 */
'use strict';
const { spawn } = require('node:child_process');
const { closeSync } = require('node:fs');
const { Socket } = require('node:net');

const [graceText, nodeOptions, separator, program, ...args] = process.argv.slice(2);
if (separator !== '--' || !program) {
  process.stderr.write('faultline supervisor: usage: supervisor.cjs <grace ms> <node options> -- <program> [args…]\n');
  process.exit(64);
}
const graceMs = Number(graceText) || 2000;

// The lifeline, opened before the target starts so that the target never inherits it.
const lifeline = new Socket({ fd: 3, readable: true, writable: true });
lifeline.on('error', () => orphaned());
lifeline.on('end', () => orphaned());
lifeline.resume();
const report = (message, then) => {
  if (lifeline.writable) lifeline.write(`${JSON.stringify(message)}\n`, then);
  else if (then) then();
};

/** Set by a stop signal: faultline is stopping the group, so leave once the target has. */
let stopping = false;
/** The target's end, once it came. */
let ended = false;
let orphan = false;
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    stopping = true;
    if (ended) process.exit(0);
  });
}

const env = { ...process.env };
if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
else delete env.NODE_OPTIONS;
const target = spawn(program, args, { stdio: ['ignore', 4, 5], env });
// The target holds its output pipes now; without our copies they end when the target's tree does.
closeSync(4);
closeSync(5);

target.once('spawn', () => report({ spawned: target.pid }));
target.once('error', (error) => {
  if (target.pid !== undefined) return;
  ended = true;
  report({ spawnError: { code: error.code, message: error.message } }, () => process.exit(0));
});
target.once('exit', (code, signal) => {
  ended = true;
  if (orphan) return killGroup('SIGKILL');
  report({ exit: { code, signal } }, () => {
    if (stopping) process.exit(0);
  });
});

function orphaned() {
  if (orphan) return;
  orphan = true;
  // faultline is gone: stop the group, the kind way first, then for sure.
  killGroup('SIGTERM');
  if (ended) return killGroup('SIGKILL');
  setTimeout(() => killGroup('SIGKILL'), graceMs);
}

function killGroup(signal) {
  try {
    process.kill(0, signal);
  } catch {
    // the group is gone already
  }
}
