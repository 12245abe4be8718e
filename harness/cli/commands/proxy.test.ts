/**
 * `faultline proxy` end to end: the built CLI as a child process, driven over HTTP, stopped with
 * signals. Needs `npm run build` first (`npm test` runs it as `pretest`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, connectOutcome, startTcpEcho, startUdpEcho, tcpRoundTrip, udpRoundTrip, type Closable } from '../../test/admin-kit.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'faultline.js');

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }>;
}

const children: ChildProcess[] = [];
let echo: Closable;
let dir: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before this test');
  dir = await mkdtemp(join(tmpdir(), 'faultline-proxy-cli-'));
  echo = await startTcpEcho();
});

afterAll(async () => {
  await echo.close();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function run(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout!.resume();
  let signalledAt = 0;
  const kill = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number) => {
    signalledAt = performance.now();
    return kill(signal);
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, afterMs: performance.now() - signalledAt })),
  );
  return { child, stderr: () => stderr, exited };
}

/** Waits for the startup line and returns the API URL it prints. */
async function apiUrl(running: Running, timeoutMs = 15_000): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const match = /API listening on (http:\/\/\S+) \(seed (\d+),/.exec(running.stderr());
    if (match) return match[1]!;
    if (running.child.exitCode !== null) throw new Error(`faultline proxy exited ${running.child.exitCode}:\n${running.stderr()}`);
    if (performance.now() > deadline) throw new Error(`no startup line within ${timeoutMs} ms:\n${running.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('faultline proxy', () => {
  it('serves the API on --port 0, proxies bytes, logs events, and exits 0 promptly on SIGTERM with every port freed', async () => {
    const running = run(['proxy', '--port', '0', '--seed', '42']);
    const url = await apiUrl(running);
    expect(running.stderr()).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z faultline \S+ proxy: API listening on http:\/\/127\.0\.0\.1:\d+ \(seed 42, UDP (native|dgram) I\/O\)$/m);
    const created = await call(url, 'POST', '/proxies', { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` });
    expect(created.status).toBe(201);
    expect((await tcpRoundTrip(created.json.listen, Buffer.from('through the CLI'))).toString()).toBe('through the CLI');
    const toxic = await call(url, 'POST', '/proxies/db/toxics', { type: 'latency', attributes: { latency: 1 } });
    expect(toxic.status).toBe(200);
    expect(running.stderr()).toMatch(/Z api: created proxy db \(tcp, enabled\)/);
    expect(running.stderr()).toMatch(/Z api: proxy db: added toxic latency_downstream/);

    running.child.kill('SIGTERM');
    const exit = await running.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.afterMs).toBeLessThan(5_000);
    expect(running.stderr()).toMatch(/stopped\n$/);
    expect(await connectOutcome(new URL(url).host)).toBe('ECONNREFUSED');
    expect(await connectOutcome(created.json.listen)).toBe('ECONNREFUSED');
  });

  it('--config creates TCP and UDP proxies at start; SIGINT stops it cleanly too', async () => {
    const udpEcho = await startUdpEcho();
    try {
      const file = join(dir, 'proxies.json');
      await writeFile(
        file,
        JSON.stringify([
          { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` },
          { name: 'dns', listen: '127.0.0.1:0', upstream: `127.0.0.1:${udpEcho.port}`, protocol: 'udp' },
        ]),
      );
      const running = run(['proxy', '--port', '0', '--config', 'proxies.json']);
      const url = await apiUrl(running);
      expect(running.stderr()).toMatch(/created 2 proxies from proxies\.json/);
      const proxies = (await call(url, 'GET', '/proxies')).json;
      expect(Object.keys(proxies).sort()).toEqual(['db', 'dns']);
      expect(proxies.dns.protocol).toBe('udp');
      expect((await tcpRoundTrip(proxies.db.listen, Buffer.from('tcp'))).toString()).toBe('tcp');
      expect((await udpRoundTrip(proxies.dns.listen, Buffer.from('udp'))).toString()).toBe('udp');
      running.child.kill('SIGINT');
      expect(await running.exited).toMatchObject({ code: 0 });
    } finally {
      await udpEcho.close();
    }
  });

  it('an invalid --config exits 2 naming the file and the problem', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify([{ name: 'db', upstream: 'nowhere' }, { listen: '127.0.0.1:0' }]));
    const running = run(['proxy', '--port', '0', '--config', 'bad.json']);
    const exit = await running.exited;
    expect(exit.code).toBe(2);
    expect(running.stderr()).toContain('bad.json');
    expect(running.stderr()).toContain('missing required field: name at proxy 2');
    expect(running.stderr()).not.toContain('API listening');
  });

  it('a --busy-poll that is not a small non-negative number of ms exits 2', async () => {
    for (const value of ['-1', 'fast', '50']) {
      const running = run(['proxy', '--port', '0', '--busy-poll', value]);
      expect((await running.exited).code).toBe(2);
      expect(running.stderr()).toContain('--busy-poll: expected milliseconds from 0 to 10');
    }
  });

  it('a --backlog outside 1..65535 exits 2', async () => {
    for (const value of ['0', '65536', 'lots']) {
      const running = run(['proxy', '--port', '0', '--backlog', value]);
      expect((await running.exited).code).toBe(2);
      expect(running.stderr()).toContain('--backlog must be an integer from 1 to 65535');
    }
  });

  it('a --config that is not JSON, or missing, exits 2', async () => {
    await writeFile(join(dir, 'broken.json'), '[{"name": ');
    const broken = run(['proxy', '--port', '0', '--config', 'broken.json']);
    expect((await broken.exited).code).toBe(2);
    expect(broken.stderr()).toMatch(/PARSE_ERROR.*broken\.json is not valid JSON at line 1, column 11: expected a value/);
    const missing = run(['proxy', '--port', '0', '--config', 'missing.json']);
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr()).toMatch(/missing\.json does not exist/);
  });

  it('the admin port in use exits 3 with a clear message', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const running = run(['proxy', '--port', String(port)]);
      expect((await running.exited).code).toBe(3);
      expect(running.stderr()).toContain(`ADDRESS_IN_USE`);
      expect(running.stderr()).toContain(`127.0.0.1:${port} is already in use`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('FAULTLINE_UDP_IO picks the UDP socket I/O, and a bad value exits 2 before anything listens', async () => {
    const dgram = run(['proxy', '--port', '0'], { FAULTLINE_UDP_IO: 'dgram' });
    await apiUrl(dgram);
    expect(dgram.stderr()).toContain('UDP dgram I/O)');
    dgram.child.kill('SIGTERM');
    expect((await dgram.exited).code).toBe(0);
    const bad = run(['proxy', '--port', '0'], { FAULTLINE_UDP_IO: 'turbo' });
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toContain('FAULTLINE_UDP_IO="turbo" is not one of native, dgram, auto');
    expect(bad.stderr()).not.toContain('API listening');
  });

  it('a bad --port or --seed exits 2', async () => {
    const port = run(['proxy', '--port', 'eighty']);
    expect((await port.exited).code).toBe(2);
    expect(port.stderr()).toContain('--port must be an integer from 0 to 65535, got "eighty"');
    const seed = run(['proxy', '--port', '0', '--seed', '-1']);
    expect((await seed.exited).code).toBe(2);
  });
});
