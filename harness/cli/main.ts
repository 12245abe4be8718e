/**
 * Process entry point: wires real stdio, signals and exit codes to runCli. A second Ctrl-C while
 * cleanup runs exits immediately with 130.
 */
import { Socket } from 'node:net';
import { ExitCode } from '../core/errors.js';
import { flushStream } from './flush.js';
import { runCli } from './program.js';
import { USERNS_RERUN_ENV } from './rootless-rerun.js';

const controller = new AbortController();
let interrupts = 0;
/** Set by commands that end on an interrupt by design (see CliIo.interruptHandled). */
let interruptHandled = false;
const onSignal = (signal: NodeJS.Signals) => {
  interrupts++;
  if (interrupts > 1) {
    process.stderr.write(`faultline: second ${signal}, exiting without cleanup\n`);
    process.exit(ExitCode.interrupted);
  }
  controller.abort(signal);
};
// A reader that goes away (`faultline schema | head`) is not an error: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(controller.signal.aborted ? ExitCode.interrupted : ExitCode.ok);
    throw error;
  });
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// Started again in a user namespace (rootless-rerun.ts): when the process that started this one
// is gone, however it went, this one stops as on SIGTERM.
if (process.env[USERNS_RERUN_ENV] !== undefined) {
  try {
    const lifeline = new Socket({ fd: 3, readable: true, writable: false });
    lifeline.on('error', () => {});
    lifeline.once('close', () => onSignal('SIGTERM'));
    lifeline.resume();
    lifeline.unref();
  } catch {
    // No descriptor 3: started by hand with the variable set; there is no parent to watch.
  }
}

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  interrupt: controller.signal,
  argv: process.argv.slice(2),
  interruptHandled: () => {
    interruptHandled = true;
  },
});
const exitCode = controller.signal.aborted && code === ExitCode.ok && !interruptHandled ? ExitCode.interrupted : code;
// Exit explicitly once output is flushed: commands close what they opened, but a stray handle in
// a user's target must never keep CI waiting.
await Promise.all([flushStream(process.stdout), flushStream(process.stderr)]);
process.exit(exitCode);
