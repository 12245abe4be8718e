/** The CLI in-process (runCli), its output captured: for command tests that need no child process. */
import { Writable } from 'node:stream';
import { runCli } from '../program.js';

class Sink extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

/** `faultline ARGS…` in `cwd` with exactly `env`: its exit code and what it wrote. */
export async function runCliCaptured(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await runCli(args, { stdout, stderr, env: options.env ?? {}, cwd: options.cwd, interrupt: new AbortController().signal });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
