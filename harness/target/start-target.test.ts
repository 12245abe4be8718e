import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.js';
import { formatCommand, substitutePlaceholders } from './command-target.js';
import { proxyPlaceholders } from './spec.js';
import { allocateFreePort } from './free-port.js';
import { OutputTail } from './output-tail.js';
import type { CommandTargetSpec, RunningTarget } from './spec.js';
import { startTarget } from './start-target.js';
import { processAlive } from './target-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = join(ROOT, 'fixtures/servers/target-fixture-server.py');
const TREE = join(ROOT, 'fixtures/servers/target-fixture-tree.sh');

let dir: string;
let running: RunningTarget[] = [];
let pidsToReap: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-target-'));
});

afterEach(async () => {
  await Promise.all(running.map((t) => t.stop()));
  running = [];
  // Belt and braces: a failing test must not leave a process behind either.
  for (const pid of pidsToReap) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pidsToReap = [];
  rmSync(dir, { recursive: true, force: true });
});

function command(argv: string[], extra: Partial<CommandTargetSpec> = {}): CommandTargetSpec {
  return { name: 'app', kind: 'command', argv, cwd: dir, env: {}, ready: { kind: 'tcp' }, readyTimeoutMs: 10_000, ...extra };
}

async function start(spec: Parameters<typeof startTarget>[0], signal = new AbortController().signal): Promise<RunningTarget> {
  const target = await startTarget(spec, { signal });
  running.push(target);
  return target;
}

async function failure(promise: Promise<unknown>): Promise<FaultlineError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FaultlineError);
    return error as FaultlineError;
  }
  throw new Error('expected the start to fail');
}

async function echoOverTcp(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host, port }, () => socket.end('ping'));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('end', () => resolvePromise(data));
    socket.on('error', reject);
  });
}

/** The content of a file the target writes, once it is complete (ends with a newline). */
async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (text.endsWith('\n')) return text;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${path} was not written`);
}

function pidsIn(text: string): number[] {
  const pids = text.trim().split(/\s+/).map(Number);
  pidsToReap.push(...pids);
  return pids;
}

describe('command targets', () => {
  it('picks a free TCP port, substitutes it, and is ready when the port accepts', async () => {
    const target = await start(command(['python3', SERVER, '--port', '{tcp_port}'], { tcp: 'auto' }));
    expect(target.endpoints.host).toBe('127.0.0.1');
    expect(target.endpoints.tcp).toBeGreaterThan(0);
    expect(await echoOverTcp(target.endpoints.tcp!)).toBe('ping');
    const output = await target.stop();
    expect(output).toMatchObject({ name: 'app', kind: 'command', exitCode: null, signal: 'SIGTERM', truncated: false });
    expect(output.command).toBe(`python3 ${SERVER} --port ${target.endpoints.tcp}`);
    expect(await target.stop()).toBe(output); // idempotent
  });

  it('passes the port in $FAULTLINE_TCP_PORT too', async () => {
    const target = await start(command(['python3', SERVER], { tcp: 'auto' }));
    expect(await echoOverTcp(target.endpoints.tcp!)).toBe('ping');
  });

  it('is ready when stdout matches, and a port group sets the port', async () => {
    const target = await start(
      command(['python3', SERVER, '--port', '0', '--announce', 'listening on port {port}'], { ready: { kind: 'stdout', pattern: /listening on port (?<port>\d+)/ } }),
    );
    expect(target.endpoints.tcp).toBeGreaterThan(0);
    expect(await echoOverTcp(target.endpoints.tcp!)).toBe('ping');
    expect((await target.stop()).stdout).toContain(`listening on port ${target.endpoints.tcp}`);
  });

  it('sets the UDP port from the group for a UDP-only target', async () => {
    const target = await start(
      command(['python3', SERVER, '--udp-port', '{udp_port}', '--announce', 'udp on {port}'], { udp: 'auto', ready: { kind: 'stdout', pattern: /udp on (?<port>\d+)/ } }),
    );
    expect(target.endpoints.tcp).toBeUndefined();
    const socket = createSocket('udp4');
    try {
      const reply = await new Promise<string>((resolvePromise) => {
        socket.on('message', (msg) => resolvePromise(msg.toString()));
        socket.send('hello', target.endpoints.udp!, '127.0.0.1');
      });
      expect(reply).toBe('hello');
    } finally {
      socket.close();
    }
  });

  it('reports the exit code of a target that stopped on its own after it was ready', async () => {
    const target = await start(command(['sh', '-c', 'echo $$ > pid; echo ready; echo bye >&2; exec sleep 0.2'], { ready: { kind: 'stdout', pattern: /^ready$/ } }));
    const [pid] = pidsIn(await waitForFile(join(dir, 'pid')));
    for (let i = 0; i < 500 && processAlive(pid!); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await target.stop()).toMatchObject({ exitCode: 0, signal: null, stdout: 'ready\n', stderr: 'bye\n' });
  });

  it('fails with the output when the command exits before it is ready', async () => {
    const error = await failure(start(command(['python3', SERVER, '--exit', '3'], { tcp: 'auto' })));
    expect(error.code).toBe('TARGET_FAILED');
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(/^target "app" \(python3 .*target-fixture-server\.py --exit 3\) exited with code 3 before it was ready; its last output:\n/);
    expect(error.message).toContain('  stdout | starting up');
    expect(error.message).toContain('  stderr | fatal: cannot read config file /nonexistent.conf');
    expect(error.where).toEqual({ path: 'targets.app' });
  });

  it('fails after ready_timeout and leaves nothing behind', async () => {
    const started = performance.now(); // the monotonic clock: a wall-clock step must not move it
    const error = await failure(start(command(['python3', SERVER, '--never-listen', '--pid-file', 'pid'], { tcp: 'auto', readyTimeoutMs: 700 })));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(5000);
    expect(error.code).toBe('TARGET_FAILED');
    expect(error.message).toMatch(/was not ready after 700ms, waiting for 127\.0\.0\.1:\d+ \(or \[::1\]:\d+\) to accept TCP connections; last attempt: ECONNREFUSED/);
    expect(error.message).toContain('stdout | initialising (forever)');
    expect(error.hint).toContain('$FAULTLINE_TCP_PORT');
    const [pid] = pidsIn(readFileSync(join(dir, 'pid'), 'utf8'));
    expect(processAlive(pid!)).toBe(false);
  });

  it('explains a stdout pattern that never matches, and one that matches stderr only', async () => {
    const quiet = await failure(
      start(command(['python3', SERVER, '--port', '0', '--announce', 'up on {port}', '--announce-stderr'], { ready: { kind: 'stdout', pattern: /up on \d+/ }, readyTimeoutMs: 1500 })),
    );
    expect(quiet.message).toContain('waiting for a stdout line matching /up on \\d+/');
    expect(quiet.message).toMatch(/stderr \| up on \d+/);
    expect(quiet.hint).toBe("the pattern matches the program's stderr, but ready.stdout watches stdout only");
  });

  it('reports a program that does not exist', async () => {
    const error = await failure(start(command(['./no-such-server', '--port', '{tcp_port}'], { tcp: 'auto' })));
    expect(error.code).toBe('TARGET_FAILED');
    expect(error.message).toBe(`cannot start target "app": program "./no-such-server" not found (ENOENT); working directory ${dir}`);
    expect(error.hint).toContain('relative to the working directory');
    const bare = await failure(start(command(['no-such-server-xyz'], { tcp: 'auto' })));
    expect(bare.hint).toContain('looked up in PATH');
  });

  it('refuses a fixed port that something else already serves', async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as { port: number }).port;
      const error = await failure(start(command(['python3', SERVER, '--port', String(port)], { tcp: port })));
      expect(error.message).toContain(`something already accepts connections on 127.0.0.1:${port}`);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('stop() stops the whole process tree', async () => {
    const target = await start(command(['sh', TREE], { ready: { kind: 'stdout', pattern: /ready/ } }));
    const [leader, grandchild] = pidsIn(await waitForFile(join(dir, 'tree.pids')));
    expect(processAlive(leader!)).toBe(true);
    expect(processAlive(grandchild!)).toBe(true);
    const output = await target.stop();
    expect(output.stdout).toContain(`leader ${leader} ready, grandchild ${grandchild}`);
    expect(processAlive(leader!)).toBe(false);
    expect(processAlive(grandchild!)).toBe(false);
  });

  it('SIGKILLs what ignores SIGTERM after the grace period: a server, and an orphaned grandchild', async () => {
    const server = await start(command(['python3', SERVER, '--ignore-term', '--spawn-child', '--pid-file', 'pids'], { tcp: 'auto' }));
    const tree = await start(command(['sh', TREE, 'stubborn'], { name: 'tree', ready: { kind: 'stdout', pattern: /ready/ } }));
    const pids = [...pidsIn(await waitForFile(join(dir, 'pids'))), ...pidsIn(await waitForFile(join(dir, 'tree.pids')))];
    expect(pids.every(processAlive)).toBe(true);
    const started = performance.now();
    const [serverOutput] = await Promise.all([server.stop(), tree.stop()]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
    expect(serverOutput.signal).toBe('SIGKILL');
    expect(pids.filter(processAlive)).toEqual([]);
  });

  it('aborting during start stops the process and rejects promptly', async () => {
    const controller = new AbortController();
    const starting = startTarget(command(['python3', SERVER, '--never-listen', '--pid-file', 'pid'], { tcp: 'auto' }), { signal: controller.signal });
    const [pid] = pidsIn(await waitForFile(join(dir, 'pid')));
    expect(processAlive(pid!)).toBe(true);
    const abortedAt = performance.now();
    controller.abort();
    await expect(starting).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - abortedAt).toBeLessThan(1500);
    expect(processAlive(pid!)).toBe(false);

    const already = new AbortController();
    already.abort(new Error('interrupted'));
    await expect(startTarget(command(['python3', SERVER, '--pid-file', 'never'], { tcp: 'auto' }), { signal: already.signal })).rejects.toThrow('interrupted');
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

describe('address targets', () => {
  it('probes a TCP address and reports it unreachable by name', async () => {
    const server: Server = createServer((socket) => socket.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as { port: number }).port;
      const target = await start({ name: 'db', kind: 'address', host: 'localhost', tcp: port, udp: 5353 });
      expect(target.endpoints).toEqual({ host: '127.0.0.1', tcp: port, udp: 5353 });
      expect(await target.stop()).toEqual({ name: 'db', kind: 'address', stdout: '', stderr: '', truncated: false });
    } finally {
      await new Promise((r) => server.close(r));
    }
    const closed = await allocateFreePort('tcp');
    const error = await failure(start({ name: 'db', kind: 'address', host: '127.0.0.1', tcp: closed }));
    expect(error.code).toBe('UNREACHABLE');
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(`target "db" at 127.0.0.1:${closed} is not reachable: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:${closed})`);
  });

  it('validates the host and trusts UDP-only addresses', async () => {
    const bad = await failure(start({ name: 'db', kind: 'address', host: '127.0.0.1:6379', tcp: 6379 }));
    expect(bad.code).toBe('INVALID_INPUT');
    expect(bad.message).toContain('"127.0.0.1:6379" is not a host name or IP address');
    const udpOnly = await start({ name: 'dns', kind: 'address', host: '[::1]', udp: 53 });
    expect(udpOnly.endpoints).toEqual({ host: '::1', udp: 53 });
  });
});

describe('helpers', () => {
  it('substitutes ports and rejects a placeholder without a port', () => {
    const spec = command(['srv', '--listen', '127.0.0.1:{tcp_port}', '{udp_port}{udp_port}']);
    expect(substitutePlaceholders(spec, { tcp: 1, udp: 2 })).toEqual(['srv', '--listen', '127.0.0.1:1', '22']);
    expect(() => substitutePlaceholders(spec, { tcp: 1 })).toThrow('the command uses {udp_port}, but the target has no udp port');
    expect(formatCommand(['python3', 'a b.py', "it's", '', '--x=1'])).toBe(`python3 'a b.py' 'it'\\''s' '' --x=1`);
  });

  it("substitutes where a proxy listens, and names the proxy it was not given", () => {
    const spec = command(['client', '--upstream', '{proxy:db}', '--also={proxy:cache},{proxy:db}']);
    const proxies = new Map([
      ['db', '127.0.0.1:4001'],
      ['cache', '[::1]:4002'],
    ]);
    expect(substitutePlaceholders(spec, {}, proxies)).toEqual(['client', '--upstream', '127.0.0.1:4001', '--also=[::1]:4002,127.0.0.1:4001']);
    expect(proxyPlaceholders(spec.argv)).toEqual(['db', 'cache']);
    expect(() => substitutePlaceholders(spec, {}, new Map([['db', '127.0.0.1:4001']]))).toThrow('the command uses {proxy:cache}, but no proxy "cache" was created before it');
  });

  it('keeps a bounded tail of output', () => {
    const tail = new OutputTail(10);
    tail.push(Buffer.from('line one\n'));
    expect(tail.truncated).toBe(false);
    tail.push(Buffer.from('line two\nline three\n'));
    expect(tail.truncated).toBe(true);
    expect(tail.text()).toBe('ine three\n');
    expect(tail.lastLines(5)).toEqual(['ine three']);
    const utf8 = new OutputTail(4);
    utf8.push(Buffer.from('ééé'));
    expect(utf8.text()).toBe('éé');
  });

  it('allocates free UDP and TCP ports', async () => {
    const [tcp, udp] = await Promise.all([allocateFreePort('tcp'), allocateFreePort('udp')]);
    expect(tcp).toBeGreaterThan(0);
    expect(udp).toBeGreaterThan(0);
  });
});
