/**
 * Starts a fixture server from fixtures/servers/*.py and waits for its "listening on port N"
 * line. `stop()` kills it and waits for it to exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/servers');

export interface PythonServer {
  port: number;
  udpPort?: number;
  /** The next line the server prints after its ready line(s), once it is complete. */
  nextLine(timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export function startPythonServer(file: string, args: string[] = []): Promise<PythonServer> {
  const child: ChildProcess = spawn('python3', ['-u', resolve(FIXTURES, file), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  let out = '';
  let consumed = 0;
  const nextLine = (timeoutMs = 5000) =>
    new Promise<string>((resolveLine, reject) => {
      const started = Date.now();
      const poll = () => {
        const end = out.indexOf('\n', consumed);
        if (end >= 0) {
          const line = out.slice(consumed, end);
          consumed = end + 1;
          resolveLine(line);
        } else if (Date.now() - started > timeoutMs) reject(new Error(`${file} printed no further line within ${timeoutMs} ms`));
        else setTimeout(poll, 5);
      };
      poll();
    });
  return new Promise((resolveServer, reject) => {
    let err = '';
    const wantUdp = args.includes('--udp-port');
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // Whole lines only: python -u writes a line's text and its newline separately, so a chunk
      // may end mid-line, and the next may carry the rest with a later line.
      const tcp = /listening on port (\d+)[^\n]*\n/.exec(out);
      const udp = /udp port (\d+)[^\n]*\n/.exec(out);
      if (tcp && (!wantUdp || udp) && consumed === 0) {
        consumed = Math.max(tcp.index + tcp[0].length, udp ? udp.index + udp[0].length : 0);
        resolveServer({ port: Number(tcp[1]), ...(udp ? { udpPort: Number(udp[1]) } : {}), nextLine, stop });
      }
    });
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before it was ready: ${err}`)));
  });
}
