/**
 * A real Toxiproxy server in a process of its own: the binary named by FAULTLINE_TOXIPROXY_BIN or
 * found on PATH (../shared/anchors/toxiproxy-server on the reference machines, built from
 * Toxiproxy's source), started on a free loopback port and always stopped (killed on this
 * process's exit too, if its owner forgot). The tests that run faultline's Toxiproxy backend
 * against the real thing and the benchmarks that compare with it in the same run both start it
 * here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export type ToxiproxyLookup = { bin: string } | { bin?: undefined; reason: string };

/** The environment variable naming the binary. */
const TOXIPROXY_BIN_ENV = 'FAULTLINE_TOXIPROXY_BIN';

/** Where the binary is: FAULTLINE_TOXIPROXY_BIN (which must then be executable), else `toxiproxy-server` on PATH. */
export function findToxiproxy(env: NodeJS.ProcessEnv = process.env): ToxiproxyLookup {
  const named = env[TOXIPROXY_BIN_ENV];
  if (named) return executable(named) ? { bin: named } : { reason: `${TOXIPROXY_BIN_ENV}=${named} is not an executable file` };
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'toxiproxy-server');
    if (executable(candidate)) return { bin: candidate };
  }
  return { reason: `no toxiproxy-server: set ${TOXIPROXY_BIN_ENV} or put it on PATH` };
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ToxiproxyServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Its process id (for /proc/PID/stat). */
  readonly pid: number;
  /** Everything it logged so far (JSON lines, warnings and up). */
  log(): string;
  /** Stops it (SIGTERM, then SIGKILL) and waits for it to exit. Idempotent. */
  close(): Promise<void>;
}

const START_ATTEMPTS = 3;
const READY_WITHIN_MS = 5_000;

/**
 * Starts `bin -host 127.0.0.1 -port N` on a free port (another try if the port was taken in the
 * meantime) and resolves once its API answers.
 */
export async function startToxiproxy(bin: string): Promise<ToxiproxyServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const child = spawn(bin, ['-host', '127.0.0.1', '-port', String(port)], {
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = watch(child, `http://127.0.0.1:${port}`);
    try {
      await server.ready();
      return server;
    } catch (error) {
      lastError = error;
      await server.close();
    }
  }
  throw new Error(`toxiproxy-server did not start in ${START_ATTEMPTS} attempts: ${(lastError as Error).message}`);
}

function watch(child: ChildProcess, url: string): ToxiproxyServer & { ready(): Promise<void> } {
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => (running = false));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const close = async () => {
    process.off('exit', killOnExit);
    if (!running) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(killer);
  };
  const ready = async () => {
    const deadline = Date.now() + READY_WITHIN_MS;
    while (Date.now() < deadline) {
      if (!running) throw new Error(`it exited at start: ${output.trim().split('\n').pop() ?? ''}`);
      const answered = await fetch(`${url}/version`, { signal: AbortSignal.timeout(500) }).then(
        (response) => response.ok,
        () => false,
      );
      if (answered) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`its API did not answer at ${url} within ${READY_WITHIN_MS} ms`);
  };
  return { url, pid: child.pid ?? -1, log: () => output, close, ready };
}

/** A port nothing listens on right now (the server binds it a moment later: hence the retries). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
