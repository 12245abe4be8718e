/**
 * `npm run bench -- soak`: hours of use compressed into a few minutes, to show that nothing
 * accumulates. Two processes under load, each reporting what it holds every window:
 *
 *   proxy host (soak-proxy-host.ts): the embedded proxy behind the admin API, as `faultline proxy`
 *     ◀── TCP connection churn and long-lived pings, UDP datagrams from churning sessions,
 *         toxics added/updated/removed, proxies created/deleted, /metrics scraped — all from here
 *   runner host (soak-runner-host.ts): `faultline run` again and again (builtin and command
 *     targets, TCP and UDP workloads, faults, every file reporter)
 *
 * Per window: the JavaScript heap in use after a full GC (the hosts run with --expose-gc), resident
 * memory, open file descriptors, event loop delay (p50, p99, max) of each host. After a warm-up
 * (JIT, pools, the first runs' caches) the figures must stay flat: for each, the median over the
 * last third of the windows within 10 % of the median over the first third (for the delay, or
 * both under 2 ms, where 10 % is scheduler noise). FAULTLINE_SOAK_SECONDS sets the budget
 * (default 180 s, --quick 45 s).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectTo, median, startEchoServer, startUdpEchoServer } from './loopback.js';
import { portOf } from './proxy-process.js';
import { startChild, type Child } from './ipc-child.js';
import type { ProcessUsage } from './process-usage.js';
import type { BenchContext, BenchFigure, BenchSuite, BenchSuiteResult } from './types.js';

const MiB = 1024 * 1024;
const SERVERS = fileURLToPath(new URL('../../fixtures/servers/', import.meta.url));

interface Window {
  atS: number;
  proxy: ProcessUsage;
  runner: ProcessUsage & { runs: number };
  connections: number;
  datagrams: number;
  toxicOps: number;
}

export const soakSuite: BenchSuite = {
  name: 'soak',
  onlyWhenNamed: true,
  async run(ctx: BenchContext): Promise<BenchSuiteResult> {
    const budgetS = Number(process.env.FAULTLINE_SOAK_SECONDS ?? (ctx.quick ? 45 : 180));
    const windowMs = ctx.quick ? 5_000 : 10_000;
    const warmupWindows = ctx.quick ? 2 : 3;
    const scratch = mkdtempSync(join(tmpdir(), 'faultline-soak-'));
    const echo = await startEchoServer();
    const udpEcho = await startUdpEchoServer();
    const proxyHost = await startChild(new URL('./soak-proxy-host.js', import.meta.url), {}, ['--expose-gc']);
    const runnerHost = await startChild(new URL('./soak-runner-host.js', import.meta.url), {}, ['--expose-gc']);
    const load = new Load(await proxyHost.call<string>('url'), echo.port, udpEcho.port);
    const windows: Window[] = [];
    try {
      await load.setUp();
      const scenario = join(scratch, 'soak.yaml');
      writeFileSync(scenario, SOAK_SCENARIO);
      await runnerHost.call('start', scenario, scratch);
      const started = performance.now();
      const stopAt = started + budgetS * 1000;
      const running = load.run(stopAt);
      while (performance.now() < stopAt) {
        await sleep(Math.min(windowMs, stopAt - performance.now()));
        const window = await sample(proxyHost, runnerHost, load, (performance.now() - started) / 1000);
        windows.push(window);
        ctx.log(
          `${window.atS.toFixed(0)} s: proxy ${mib(window.proxy.rssBytes)} MiB (heap after GC ${mib(window.proxy.heapAfterGcBytes)}) ${window.proxy.fds} fds loop p99 ${window.proxy.loopDelayP99Ms.toFixed(1)} ms · ` +
            `runner ${mib(window.runner.rssBytes)} MiB (heap after GC ${mib(window.runner.heapAfterGcBytes)}) ${window.runner.fds} fds loop p99 ${window.runner.loopDelayP99Ms.toFixed(1)} ms, ${window.runner.runs} runs · ` +
            `${window.connections} connections, ${window.datagrams} datagrams, ${window.toxicOps} toxic operations`,
        );
      }
      await running;
    } finally {
      await load.tearDown();
      await runnerHost.stop();
      await proxyHost.stop();
      await echo.close();
      udpEcho.close();
      rmSync(scratch, { recursive: true, force: true });
    }
    const runnerEnd = windows.at(-1)!.runner as Window['runner'] & { failures?: Record<string, number>; failedChecks?: string[] };
    return {
      suite: 'soak',
      figures: [...flatness('proxy', windows.map((w) => w.proxy), warmupWindows), ...flatness('runner', windows.map((w) => w.runner), warmupWindows), ...totals(windows, load)],
      notes: [
        `${budgetS} s budget in ${windows.length} windows of ${windowMs / 1000} s, the first ${warmupWindows} as warm-up; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
        `runner exit codes other than 0: ${JSON.stringify(runnerEnd.failures ?? {})} (130 is the run the end of the soak interrupted)${runnerEnd.failedChecks?.length ? `; failed checks: ${runnerEnd.failedChecks.join('; ')}` : ''}`,
        `unexpected errors on the data path: ${load.errors} (${JSON.stringify(load.errorCodes)})`,
        `per window (s: proxy heap after GC MiB/RSS MiB/fds/loop p99 ms | runner the same/runs): ${windows
          .map((w) => `${w.atS.toFixed(0)}: ${mib(w.proxy.heapAfterGcBytes)}/${mib(w.proxy.rssBytes)}/${w.proxy.fds}/${w.proxy.loopDelayP99Ms.toFixed(1)} | ${mib(w.runner.heapAfterGcBytes)}/${mib(w.runner.rssBytes)}/${w.runner.fds}/${w.runner.loopDelayP99Ms.toFixed(1)}/${w.runner.runs}`)
          .join('; ')}`,
      ],
    };
  },
};

/** The scenario the runner host repeats: builtin and command targets, TCP and UDP, faults. */
const SOAK_SCENARIO = `
name: soak
timeout: 20s
targets:
  echo: { builtin: echo }
  app: { command: [python3, ${JSON.stringify(join(SERVERS, 'target-fixture-server.py'))}, --port, '{tcp_port}'], tcp: auto }
proxies:
  tcp_path: { protocol: tcp, target: echo }
  udp_path: { protocol: udp, target: echo }
  app_path: { protocol: tcp, target: app }
workloads:
  tcp: { type: tcp-echo, via: tcp_path, messages: 50, connections: 4 }
  udp: { type: udp-echo, via: udp_path, messages: 400, rate: 2000/s, timeout: 300ms }
  app: { type: tcp-echo, via: app_path, messages: 20 }
faults:
  - proxy: tcp_path
    toxic: { type: latency, stream: downstream, attributes: { latency: 2, jitter: 1 } }
  - proxy: udp_path
    toxic: { type: loss, stream: upstream, attributes: { probability: 0.1 } }
    at: 50ms
    for: 100ms
assert:
  tcp: [delivered, in_order]
  app: [delivered]
`;

/** The traffic and API churn against the proxy host. */
class Load {
  connections = 0;
  datagrams = 0;
  toxicOps = 0;
  proxiesMade = 0;
  errors = 0;
  readonly errorCodes: Record<string, number> = {};
  private tcpPort = 0;
  private udpPort = 0;
  private readonly udpSockets: UdpSocket[] = [];
  private nextToxic = 0;
  private readonly liveToxics: Array<{ proxy: string; name: string }> = [];

  constructor(
    private readonly api: string,
    private readonly echoPort: number,
    private readonly udpEchoPort: number,
  ) {}

  async setUp(): Promise<void> {
    this.tcpPort = portOf((await this.call('POST', '/proxies', { name: 'tcp', listen: '127.0.0.1:0', upstream: `127.0.0.1:${this.echoPort}` })).listen);
    this.udpPort = portOf(
      (await this.call('POST', '/proxies', { name: 'udp', protocol: 'udp', listen: '127.0.0.1:0', upstream: `127.0.0.1:${this.udpEchoPort}`, session_idle_timeout: 2000 })).listen,
    );
  }

  async run(stopAt: number): Promise<void> {
    const until = () => performance.now() < stopAt;
    await Promise.all([
      // Short connections: 8 at a time, each one echo of 64 bytes. (The load is sized to leave the
      // two cores some room: what is measured is accumulation, not saturation.)
      ...Array.from({ length: 8 }, () => this.repeat(until, () => this.shortConnection())),
      // Long-lived connections pinging every 50 ms.
      ...Array.from({ length: 32 }, () => this.longConnection(until)),
      this.repeat(until, () => this.udpBurst()),
      this.repeat(until, async () => {
        await this.toxicChurn();
        await sleep(25);
      }),
      this.repeat(until, async () => {
        await this.proxyChurn();
        await this.call('GET', '/metrics');
        await sleep(200);
      }),
    ]);
  }

  async tearDown(): Promise<void> {
    for (const socket of this.udpSockets.splice(0)) socket.close();
  }

  private async repeat(until: () => boolean, step: () => Promise<void>): Promise<void> {
    while (until()) {
      try {
        await step();
      } catch (error) {
        this.error(error);
      }
    }
  }

  private error(error: unknown): void {
    this.errors++;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message.slice(0, 40);
    this.errorCodes[code] = (this.errorCodes[code] ?? 0) + 1;
  }

  private async shortConnection(): Promise<void> {
    const socket = await connectTo(this.tcpPort);
    try {
      await echoOnce(socket, 64);
      this.connections++;
    } finally {
      socket.destroy();
    }
  }

  private async longConnection(until: () => boolean): Promise<void> {
    const socket = await connectTo(this.tcpPort);
    this.connections++;
    try {
      while (until()) {
        await echoOnce(socket, 32);
        await sleep(50);
      }
    } catch (error) {
      this.error(error);
    } finally {
      socket.destroy();
    }
  }

  /** 64 datagrams from one of 16 client sockets (sessions); now and then a socket is replaced. */
  private async udpBurst(): Promise<void> {
    if (this.udpSockets.length < 16 || Math.random() < 0.05) {
      const socket = createSocket('udp4');
      socket.on('message', () => this.datagrams++);
      socket.on('error', (error) => this.error(error));
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      this.udpSockets.push(socket);
      if (this.udpSockets.length > 16) this.udpSockets.shift()!.close();
    }
    const socket = this.udpSockets[Math.floor(Math.random() * this.udpSockets.length)]!;
    const payload = Buffer.alloc(200, 0x75);
    for (let i = 0; i < 64; i++) socket.send(payload, this.udpPort, '127.0.0.1');
    await sleep(20);
  }

  /** Adds a toxic (at most 8 live), updates one, or removes the oldest; both protocols. */
  private async toxicChurn(): Promise<void> {
    const roll = Math.random();
    if (this.liveToxics.length < 8 && roll < 0.5) {
      const onTcp = Math.random() < 0.5;
      const name = `t${this.nextToxic++}`;
      const toxic = onTcp ? pick(TCP_TOXICS) : pick(UDP_TOXICS);
      await this.call('POST', `/proxies/${onTcp ? 'tcp' : 'udp'}/toxics`, { name, ...toxic });
      this.liveToxics.push({ proxy: onTcp ? 'tcp' : 'udp', name });
    } else if (this.liveToxics.length > 0 && roll < 0.7) {
      const { proxy, name } = this.liveToxics[Math.floor(Math.random() * this.liveToxics.length)]!;
      await this.call('PATCH', `/proxies/${proxy}/toxics/${name}`, { toxicity: Math.random() });
    } else if (this.liveToxics.length > 0) {
      const { proxy, name } = this.liveToxics.shift()!;
      await this.call('DELETE', `/proxies/${proxy}/toxics/${name}`);
    }
    this.toxicOps++;
  }

  private async proxyChurn(): Promise<void> {
    const name = `churn${this.proxiesMade++}`;
    const udp = this.proxiesMade % 2 === 0;
    await this.call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${udp ? this.udpEchoPort : this.echoPort}`, ...(udp ? { protocol: 'udp' } : {}) });
    await this.call('DELETE', `/proxies/${name}`);
  }

  private async call(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${this.api}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path} → ${response.status} ${text.slice(0, 100)}`);
    return text && response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text;
  }
}

/** Toxics that leave the short connections working: they delay, slice or pace, never cut. */
const TCP_TOXICS = [
  { type: 'latency', attributes: { latency: 2, jitter: 1 } },
  { type: 'slicer', attributes: { average_size: 16, size_variation: 8 } },
  { type: 'bandwidth', attributes: { rate: 100_000 } },
  { type: 'noop' },
];
const UDP_TOXICS = [
  { type: 'loss', attributes: { probability: 0.1 } },
  { type: 'duplicate', attributes: { probability: 0.1 } },
  { type: 'reorder', attributes: { probability: 0.1, delay: 5 } },
  { type: 'latency', attributes: { latency: 3, jitter: 2 } },
  { type: 'corrupt', attributes: { probability: 0.05 } },
];

async function sample(proxyHost: Child, runnerHost: Child, load: Load, atS: number): Promise<Window> {
  const [proxy, runner] = await Promise.all([proxyHost.call<ProcessUsage>('usage'), runnerHost.call<Window['runner']>('usage')]);
  return { atS, proxy, runner, connections: load.connections, datagrams: load.datagrams, toxicOps: load.toxicOps };
}

/**
 * RSS, descriptors and loop delay after warm-up: the median of the last third of the windows
 * against the median of the first third. Medians, because one window's RSS swings ±15 % with
 * garbage collection and one window's loop delay with whatever else the machine runs.
 */
function flatness(host: string, usage: ProcessUsage[], warmup: number): BenchFigure[] {
  const steady = usage.slice(warmup);
  if (steady.length < 3) return [{ name: `${host}: too few windows after warm-up to judge`, value: steady.length, unit: 'windows' }];
  const third = Math.max(1, Math.floor(steady.length / 3));
  const early = steady.slice(0, third);
  const late = steady.slice(-third);
  const judge = (name: string, unit: string, of: (u: ProcessUsage) => number, noiseFloor = 0): BenchFigure => {
    const before = median(early.map(of));
    const after = median(late.map(of));
    const ratio = after / before;
    return {
      name: `${host}: ${name}, last third / first third after warm-up`,
      value: ratio,
      unit: 'ratio',
      target: noiseFloor > 0 ? `<= 1.10 (or both < ${noiseFloor} ${unit})` : '<= 1.10',
      met: ratio <= 1.1 || (before < noiseFloor && after < noiseFloor),
      detail: { firstThird: before, lastThird: after, max: Math.max(...steady.map(of)), unit },
    };
  };
  return [
    judge('JS heap in use after a full GC', 'MiB', (u) => mib(u.heapAfterGcBytes)),
    judge('RSS', 'MiB', (u) => mib(u.rssBytes)),
    judge('open file descriptors', 'fds', (u) => u.fds),
    judge('event loop delay p99', 'ms', (u) => u.loopDelayP99Ms, 2),
  ];
}

function totals(windows: Window[], load: Load): BenchFigure[] {
  const last = windows.at(-1)!;
  return [
    { name: 'TCP connections through the proxy', value: last.connections, unit: 'connections' },
    { name: 'UDP datagrams echoed through the proxy', value: last.datagrams, unit: 'datagrams' },
    { name: 'toxics added, updated or removed over the API', value: last.toxicOps, unit: 'operations' },
    { name: 'proxies created and deleted', value: load.proxiesMade, unit: 'proxies' },
    { name: 'scenario runs (faultline run, in one process)', value: last.runner.runs, unit: 'runs' },
    { name: 'unexpected errors on the data path and the API', value: load.errors, unit: 'errors', target: '0', met: load.errors === 0 },
  ];
}

function echoOnce(socket: import('node:net').Socket, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got >= size) {
        cleanup();
        resolve();
      }
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onEnd = () => {
      cleanup();
      reject(Object.assign(new Error('connection ended before the echo'), { code: 'EOF_EARLY' }));
    };
    const timer = setTimeout(() => onError(Object.assign(new Error('no echo within 5 s'), { code: 'ETIMEDOUT' })), 5000);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData).off('error', onError).off('end', onEnd);
    };
    socket.on('data', onData).on('error', onError).on('end', onEnd);
    socket.write(Buffer.alloc(size, 0x70));
  });
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

function mib(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
