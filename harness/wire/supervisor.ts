/**
 * The supervisor: a tiny process, started with a process's first wire path, that outlives it if
 * it is killed outright (SIGKILL, the OOM killer, a crash in native code) and then removes what
 * its run record names. It costs a shell blocked on a pipe until then:
 *
 *   faultline ──pipe──▶ sh: read until end of file ──▶ run record still there?
 *                                                      └─ yes: node cleanup-main.js <record>
 *
 * The pipe's write end is faultline's only: whatever ends the process closes it. On a normal exit
 * the process has removed its record itself (close(), or the exit hook), so the shell ends
 * without starting Node. It runs in a session of its own, so a terminal's SIGINT to faultline's
 * process group does not reach it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const SCRIPT = 'while read -r _; do :; done; [ -e "$1" ] && exec "$2" "$3" "$1"';

/** The cleanup entry point, built (dist/wire/cleanup-main.js), also when running from sources. */
function cleanupEntry(): string | undefined {
  const beside = fileURLToPath(new URL('./cleanup-main.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = beside.replace(/\/harness\/wire\/cleanup-main\.js$/, '/dist/wire/cleanup-main.js');
  return existsSync(built) ? built : undefined;
}

/** Starts the supervisor for `runFile`; returns why not when it cannot (then only the other paths clean up). */
export function startSupervisor(runFile: string): { pid?: number; problem?: string } {
  const entry = cleanupEntry();
  if (!entry) return { problem: 'dist/wire/cleanup-main.js is missing (npm run build)' };
  const child = spawn('/bin/sh', ['-c', SCRIPT, 'faultline-wire-supervisor', runFile, process.execPath, entry], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.on('error', () => {
    // no shell: the exit hook, the next run and `wire cleanup` still clean up
  });
  child.unref();
  (child.stdin as unknown as Socket | null)?.unref();
  return { pid: child.pid };
}
