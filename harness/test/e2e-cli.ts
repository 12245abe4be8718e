/**
 * Helpers for the end-to-end tests of `faultline run`: spawn the built CLI (bin/faultline.js,
 * which needs a fresh dist/ — `npm test` builds it in `pretest`), write tiny scenario files into
 * a scratch folder, and read the results.json a run wrote.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult, ScenarioResult } from '../core/result.js';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'faultline.js');
/** Fixture servers, absolute (scenario files in a scratch folder name them by this path). */
export const SERVERS = join(ROOT, 'fixtures', 'servers');

export interface CliOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI: its process, its output so far, and its outcome once it exits. */
export interface CliProcess {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  done: Promise<CliOutcome>;
}

/** Throws unless dist/ was built (the CLI runs the compiled code). */
export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before this test');
}

/** Starts `faultline ARGS…` in `cwd`; killed with SIGKILL after `timeoutMs` so a hang fails the test instead of the suite. */
export interface CliOptions {
  cwd?: string;
  timeoutMs?: number;
  /** Added to the environment. */
  env?: Record<string, string>;
  /** Its own process group (pgid = its pid), as a CI runner starts a job's shell. */
  detached?: boolean;
}

export function startFaultline(args: readonly string[], options: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<CliOutcome>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, output: () => ({ stdout, stderr }), done };
}

/** Runs `faultline ARGS…` to its end. */
export function faultline(args: readonly string[], options: CliOptions = {}): Promise<CliOutcome> {
  return startFaultline(args, options).done;
}

/** A scratch folder removed by `remove()`. */
export function scratchDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `faultline-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes a scenario file (YAML text) into `dir`; returns its path. */
export function writeScenario(dir: string, fileName: string, yaml: string): string {
  const path = join(dir, fileName);
  writeFileSync(path, yaml);
  return path;
}

/** The results.json a run wrote into `outDir`. */
export function readResults(outDir: string): RunResult {
  return JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as RunResult;
}

/** The one scenario called `name` in a result. */
export function scenarioNamed(result: RunResult, name: string): ScenarioResult {
  const found = result.scenarios.find((s) => s.name === name);
  if (!found) throw new Error(`no scenario "${name}" in the result (has: ${result.scenarios.map((s) => s.name).join(', ')})`);
  return found;
}

/**
 * True while a process with this pid runs. A zombie (exited, not yet reaped by its parent — for
 * an orphan, by init) does not count: it holds no socket and runs no code.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) state …"; comm may contain spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux'; // no /proc: signal 0 is all we know
  }
}

/** A fast scenario that passes: UDP and TCP echo through proxies with loss and latency. */
export const PASSING = `
name: tiny-pass
tags: [tiny]
timeout: 10s
targets: { echo: { builtin: echo } }
proxies:
  tcp_path: { protocol: tcp, target: echo }
  udp_path: { protocol: udp, target: echo }
workloads:
  tcp: { type: tcp-echo, via: tcp_path, messages: 20 }
  udp: { type: udp-echo, via: udp_path, messages: 200, rate: 2000/s, timeout: 300ms }
faults:
  - proxy: tcp_path
    toxic: { type: latency, stream: upstream, attributes: { latency: 2 } }
  - proxy: udp_path
    toxic: { type: loss, stream: upstream, attributes: { probability: 0.3 } }
assert:
  tcp: [delivered, in_order, rtt_ms min >= 2ms]
  udp: [lost_ratio > 0, lost_ratio < 100%]
compare: [tcp, udp]
`;

/**
 * A TCP port that was free a moment ago on 127.0.0.1, below the kernel's ephemeral range: a test
 * that checks the port is free again after its target died must not see another test's socket,
 * bound to port 0, land on it meanwhile.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralRangeStart();
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * Math.max(1, low - 10_000));
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
}

function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 20 ms; fails if the CLI exits first or after 15 s. */
export async function until(condition: () => boolean | Promise<boolean>, cli: { done: Promise<unknown>; output(): { stdout: string; stderr: string } }): Promise<void> {
  let exited = false;
  void cli.done.then(() => (exited = true));
  for (const started = Date.now(); Date.now() - started < 15_000; ) {
    if (await condition()) return;
    if (exited) throw new Error(`faultline exited early:\n${cli.output().stdout}${cli.output().stderr}`);
    await sleep(20);
  }
  throw new Error(`timed out waiting; output so far:\n${cli.output().stdout}${cli.output().stderr}`);
}

/**
 * A scenario that runs for 30 s against a command target on `port`: the fixture server, which
 * starts a child of its own and writes both pids to `pidFile` (for tests that interrupt or kill
 * a run and then look for what is left).
 */
function longRunWithCommandTarget(name: string, port: number, pidFile: string): string {
  return `
name: ${name}
timeout: 60s
targets:
  app:
    command: [python3, ${JSON.stringify(join(SERVERS, 'target-fixture-server.py'))}, --port, '{tcp_port}', --spawn-child, --pid-file, ${JSON.stringify(pidFile)}]
    tcp: ${port}
proxies: { path: { protocol: tcp, target: app } }
workloads: { ping: { type: tcp-echo, via: path, duration: 30s, rate: 50/s } }
`;
}

/**
 * `faultline run` of that scenario in `dir`, once its target serves: both pids written, the port
 * accepting, and `settleMs` more so that its traffic flows. `out` is where the run reports.
 */
export async function startLongRun(
  dir: string,
  name: string,
  options: { seed: string; settleMs: number; detached?: boolean },
): Promise<{ cli: CliProcess; port: number; pids: number[]; out: string }> {
  const port = await freePort();
  const pidFile = join(dir, `${name}.pids`);
  const file = writeScenario(dir, `${name}.yaml`, longRunWithCommandTarget(name, port, pidFile));
  const out = join(dir, `out-${name}`);
  const cli = startFaultline(['run', file, '--out', out, '--seed', options.seed], { detached: options.detached ?? false });
  await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim().split('\n').length === 2, cli);
  const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
  await until(() => accepts(port), cli);
  await sleep(options.settleMs);
  return { cli, port, pids, out };
}

/**
 * Whether anything still listens on `port`, asked for up to 2 s. A dying process's leader is a
 * zombie (gone, to isAlive) as soon as its own thread has exited, while its other threads, which
 * share its descriptors, may still be on their way out: its listening socket closes a moment
 * later. A listener left behind would still be there at the end.
 */
export async function stillListening(port: number): Promise<boolean> {
  for (let i = 0; i < 100 && (await accepts(port)); i++) await sleep(20);
  return accepts(port);
}
