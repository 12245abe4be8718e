/**
 * `faultline serve` end to end: spawns the built CLI, talks to the server it prints, stops it with
 * SIGINT and checks the exit code. Needs `npm run build` first (`npm test` runs it as `pretest`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../workload/frame.js';
import { wireNowNs } from '../../workload/wire-time.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = join(ROOT, 'bin', 'faultline.js');

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

let running: Running | undefined;
afterEach(() => {
  if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
  running = undefined;
});

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before this test');
});

function serve(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitFor<T>(read: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function portOf(text: string, protocol: string): number | undefined {
  const match = new RegExp(`listening on ${protocol} 127\\.0\\.0\\.1:(\\d+)`).exec(text);
  return match ? Number(match[1]) : undefined;
}

describe('faultline serve', () => {
  it('echo: serves TCP and UDP on the printed ports and exits 0 on SIGINT', async () => {
    running = serve(['echo', '--tcp', '0', '--udp', '0']);
    const r = running;
    const tcpPort = await waitFor(() => portOf(r.stdout(), 'tcp'), 'the tcp line');
    const udpPort = await waitFor(() => portOf(r.stdout(), 'udp'), 'the udp line');

    const socket = connect({ host: '127.0.0.1', port: tcpPort });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.end('hello faultline');
    await new Promise((done) => socket.once('close', done));
    expect(Buffer.concat(chunks).toString()).toBe('hello faultline');

    const udp = dgram.createSocket('udp4');
    const reply = new Promise<Buffer>((done) => udp.once('message', done));
    udp.send('ping', udpPort, '127.0.0.1');
    expect((await reply).toString()).toBe('ping');
    udp.close();

    r.child.kill('SIGINT');
    expect(await r.exit).toBe(0);
    expect(r.stderr()).toContain('echo server stopped');
  });

  it('sink: prints one summary line per TCP connection on stderr', async () => {
    running = serve(['sink', '--tcp', '0']);
    const r = running;
    const tcpPort = await waitFor(() => portOf(r.stdout(), 'tcp'), 'the tcp line');
    expect(portOf(r.stdout(), 'udp')).toBeUndefined();
    const socket = connect({ host: '127.0.0.1', port: tcpPort });
    const frames = [0, 1, 3].map((seq) => encodeFrame({ workloadId: 5, flowId: 2, seq, sentNs: wireNowNs() }, Buffer.alloc(100, seq)));
    socket.end(Buffer.concat(frames));
    const line = await waitFor(() => /tcp \S+ workload 5 flow 2: .*/.exec(r.stderr())?.[0], 'the summary line');
    expect(line).toContain('3 frames');
    expect(line).toContain('gaps 1');
    expect(line).toMatch(/one-way p50 \d+\.\d+ ms/);
    r.child.kill('SIGINT');
    expect(await r.exit).toBe(0);
  });

  it('rejects an unknown server kind with exit 2', async () => {
    running = serve(['teapot']);
    expect(await running.exit).toBe(2);
    expect(running.stderr()).toContain('unknown server "teapot"');
  });
});
