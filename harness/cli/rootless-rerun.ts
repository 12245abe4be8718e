/**
 * A user without root who runs wire scenarios, on a machine where the rootless mode works (user
 * namespaces enabled, /dev/net/tun open to users): the command starts itself again inside a user
 * namespace of its own — `unshare --user --map-root-user`, exactly what docs/wire.md tells such a
 * user to type — and this process only waits for it and relays its exit code. Decided once,
 * before anything starts; `FAULTLINE_USERNS=off` turns it off (docs/decisions.md #51).
 *
 *   this process ──spawn (own process group)──▶ unshare --user --map-root-user -- node faultline …
 *     │  SIGINT/SIGTERM: forwarded, once each             │ the same command, as root of its
 *     └── fd 3: the lifeline ─────────────────────────────┘ namespace; stdio shared
 *
 * The child gets a process group of its own, so a terminal's Ctrl-C (sent to the foreground
 * group) reaches it once, through this process, and never twice (a second interrupt means "exit
 * without cleanup"). A process group of its own would outlive a SIGKILL of this one's group, as
 * a CI runner sends it: the lifeline, a pipe the child watches (main.ts), closes when this
 * process dies however it dies, and the child then stops as on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { ExitCode } from '../core/errors.js';
import { commandOnPath } from '../core/shell.js';
import type { WireSupport } from '../wire/probe.js';
import type { CliIo } from './command.js';

/** Set in the child's environment: it is the re-run (it never re-runs itself) and fd 3 is its lifeline. */
export const USERNS_RERUN_ENV = 'FAULTLINE_USERNS_RERUN';
/** `off`: never re-run; a wire scenario then skips or stops as it would without the layer. */
export const USERNS_ENV = 'FAULTLINE_USERNS';

/** Whether this command should start itself again in a user namespace, from the wire probe's answer. */
export function shouldRerunRootless(support: WireSupport, env: NodeJS.ProcessEnv): boolean {
  return (
    !support.available &&
    support.mode === 'none' &&
    support.rootless.possible &&
    env[USERNS_ENV] !== 'off' &&
    env[USERNS_RERUN_ENV] === undefined &&
    process.argv[1] !== undefined &&
    commandOnPath('unshare')
  );
}

/** Runs this process's command again in a user namespace of its own; resolves to its exit code. */
export function rerunInUserNamespace(io: CliIo): Promise<ExitCode> {
  io.stderr.write('faultline: the wire layer needs privileges this user lacks; running again in a user namespace of its own (unshare --user --map-root-user; FAULTLINE_USERNS=off turns this off)\n');
  const passThrough = (stream: NodeJS.WritableStream) => (stream === process.stdout || stream === process.stderr ? 'inherit' : 'pipe');
  const command = [process.execPath, ...process.execArgv, process.argv[1]!, ...(io.argv ?? process.argv.slice(2))];
  const child = spawn('unshare', ['--user', '--map-root-user', '--', ...command], {
    cwd: io.cwd,
    env: { ...io.env, [USERNS_RERUN_ENV]: '1' },
    stdio: ['inherit', passThrough(io.stdout), passThrough(io.stderr), 'pipe'],
    detached: true,
  });
  child.stdout?.pipe(io.stdout, { end: false });
  child.stderr?.pipe(io.stderr, { end: false });
  const forward = () => {
    const signal = io.interrupt.reason;
    child.kill(signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  };
  io.interrupt.addEventListener('abort', forward, { once: true });
  return new Promise((resolve) => {
    child.once('error', (error) => {
      io.interrupt.removeEventListener('abort', forward);
      io.stderr.write(`faultline: could not start unshare: ${error.message}\n`);
      resolve(ExitCode.environment);
    });
    child.once('close', (code, signal) => {
      io.interrupt.removeEventListener('abort', forward);
      // A command that ended on its interrupt by design (`proxy`) exits 0 in the child: so here.
      if (code === ExitCode.ok) io.interruptHandled?.();
      resolve((code as ExitCode | null) ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? ExitCode.interrupted : ExitCode.internal));
    });
  });
}
