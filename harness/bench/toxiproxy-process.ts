/**
 * A real Toxiproxy server in a process of its own, for benchmarks that compare against it in the
 * same run: the `toxiproxy-server` binary named by FAULTLINE_TOXIPROXY_BIN, or the first on PATH
 * (../shared/anchors/toxiproxy-server on the reference machines, built from Toxiproxy's source).
 * It is driven over its HTTP API with the same client the `--backend` option uses.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { createHttpBackend, probeAdminApi } from '../admin/http-backend.js';
import type { ProxyBackend } from '../core/backend.js';

export const TOXIPROXY_BIN_ENV = 'FAULTLINE_TOXIPROXY_BIN';

export interface ToxiproxyProcess {
  pid: number;
  backend: ProxyBackend;
  stop(): Promise<void>;
}

/** The binary to run: FAULTLINE_TOXIPROXY_BIN, else `toxiproxy-server` on PATH; undefined if neither. */
export function findToxiproxy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env[TOXIPROXY_BIN_ENV];
  if (named) return named;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'toxiproxy-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Starts `bin` on a free loopback port, quiet (LOG_LEVEL=error), and waits for its API. */
export async function startToxiproxy(bin: string): Promise<ToxiproxyProcess> {
  const port = await freePort();
  const child = spawn(bin, ['-host', '127.0.0.1', '-port', String(port)], { env: { ...process.env, LOG_LEVEL: 'error' }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', reject);
    void exited.then(() => reject(new Error(`${bin} exited before its API answered`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await Promise.race([failed, waitForApi(url)]);
  } catch (error) {
    await stop();
    throw error;
  }
  void failed.catch(() => {}); // exits later, when stopped
  return { pid: child.pid!, backend: createHttpBackend({ url, flavor: 'toxiproxy' }), stop };
}

async function waitForApi(url: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    try {
      await probeAdminApi(url, 1000);
      return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/PID/stat: the same measure
 * for every proxy, whatever it is written in. Fields 14 and 15 count clock ticks of 1/100 s
 * (USER_HZ, fixed at 100 on Linux).
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
