/**
 * TCP forwarding without toxics, faultline against a direct connection and against a real
 * Toxiproxy server, all in the same run (issue "TCP forwarding at twice Toxiproxy's speed"):
 *
 *   one connection, 1 GiB in 256 KiB writes   faultline / Toxiproxy ≥ 2.0, faultline / direct ≥ 0.6
 *     (server to client: the proxy's downstream direction, see tcp-peer.ts for why)
 *   CPU seconds per GiB forwarded              faultline / Toxiproxy ≤ 0.5
 *   100 connections × 10 MiB at once           aggregate faultline / Toxiproxy ≥ 2.0
 *   64-byte ping-pong, RTT added               p50 and p99 ≤ Toxiproxy's
 *   latency toxic added and removed every 100 ms on one 1 GiB connection: every byte arrives, and
 *   the rate while no toxic is present is within 10 % of the toxic-free rate (≥ 0.9)
 *
 *   bench process ──IPC──▶ peer process (client, source, echo: tcp-peer.ts)
 *        │                    │ direct ──────────────────────────────▶ source / echo
 *        │                    │ ──▶ faultline proxy process ──────────▶ source / echo
 *        │                    │ ──▶ toxiproxy-server process ─────────▶ source / echo
 *        └── drives both proxies, reads their CPU time from /proc/PID/stat
 *
 * Rounds interleave the paths (the order rotates each round) so that a slow minute on this
 * shared machine hits all of them; each figure is the median of per-round ratios, with the range.
 * The faultline proxy runs as `faultline proxy` does (proxy-host.ts: busy polling on). Without a
 * Toxiproxy binary (admin/toxiproxy-server.ts says where it looks) the comparison is skipped, and said.
 */
import { startChild, type Child } from './ipc-child.js';
import { hrtimeMs, median, percentile } from './loopback.js';
import { portOf, startProxyProcess, type ProxyProcess } from './proxy-process.js';
import type { BulkResult } from './tcp-peer.js';
import { createHttpBackend } from '../admin/http-backend.js';
import { findToxiproxy, startToxiproxy, type ToxiproxyServer } from '../admin/toxiproxy-server.js';
import { cpuSeconds } from './cpu-seconds.js';
import type { BenchContext, BenchFigure, BenchSuite, BenchSuiteResult } from './types.js';

const PEER = new URL('./tcp-peer.js', import.meta.url);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const WRITE = 256 * 1024;

/** One way from the peer's client to its source and echo: direct, or through a proxy process. */
interface Path {
  name: 'direct' | 'faultline' | 'toxiproxy';
  sourcePort: number;
  echoPort: number;
  /** The proxy's process, whose CPU time is read; none for direct. */
  pid?: number;
}

interface Round {
  /** Per path: one connection's rate, bytes/s. */
  rate: Record<string, number>;
  /** Per proxy: CPU seconds per GiB in that transfer. */
  cpuPerGiB: Record<string, number>;
  /** Per path: 100 connections' aggregate rate, bytes/s. */
  aggregate: Record<string, number>;
  rttP50: Record<string, number>;
  rttP99: Record<string, number>;
}

export const tcpForwardingSuite: BenchSuite = {
  name: 'tcp-forwarding',
  async run(ctx: BenchContext): Promise<BenchSuiteResult> {
    const notes: string[] = [];
    const found = findToxiproxy();
    const bin = found.bin;
    if ('reason' in found) {
      const why = `Toxiproxy comparison skipped: ${found.reason}`;
      ctx.log(why);
      notes.push(why);
    }
    const peer = await startChild(PEER);
    let faultline: ProxyProcess | undefined;
    let toxiproxy: ToxiproxyServer | undefined;
    try {
      faultline = await startProxyProcess();
      toxiproxy = bin ? await startToxiproxy(bin) : undefined;
      const { sourcePort, echoPort } = await peer.call<{ sourcePort: number; echoPort: number }>('start');
      const paths: Path[] = [{ name: 'direct', sourcePort, echoPort }];
      const upstreams = { source: `127.0.0.1:${sourcePort}`, echo: `127.0.0.1:${echoPort}` };
      const f = await proxiesFor(faultline, upstreams);
      paths.push({ name: 'faultline', ...f, pid: faultline.pid });
      if (toxiproxy) paths.push({ name: 'toxiproxy', ...(await proxiesFor(createHttpBackend({ url: toxiproxy.url, flavor: 'toxiproxy' }), upstreams)), pid: toxiproxy.pid });
      if (bin) notes.push(`Toxiproxy: ${bin}`);

      const rounds = await measureRounds(ctx, peer, paths);
      const figures = judge(rounds, toxiproxy !== undefined);
      figures.push(...(await latencyToggling(ctx, peer, faultline, f.sourcePort)));
      notes.push(
        `${rounds.length} interleaved rounds; client, source and echo in one process, each proxy in its own; bulk data flows server to client (downstream); ratios are medians of per-round ratios, [min–max] in the JSON detail`,
      );
      return { suite: 'tcp-forwarding', figures, notes };
    } finally {
      await toxiproxy?.close();
      await faultline?.stop();
      await peer.stop();
    }
  },
};

/** A source proxy and an echo proxy on `backend`; their listen ports. */
async function proxiesFor(
  backend: Pick<ProxyProcess, 'createProxy'>,
  upstreams: { source: string; echo: string },
): Promise<{ sourcePort: number; echoPort: number }> {
  const source = await backend.createProxy({ name: 'fwd-source', listen: '127.0.0.1:0', upstream: upstreams.source });
  const echo = await backend.createProxy({ name: 'fwd-echo', listen: '127.0.0.1:0', upstream: upstreams.echo });
  return { sourcePort: portOf(source.listen), echoPort: portOf(echo.listen) };
}

async function measureRounds(ctx: BenchContext, peer: Child, paths: Path[]): Promise<Round[]> {
  const roundCount = ctx.quick ? 2 : 7;
  const bytes = (ctx.quick ? 256 : 1024) * MiB;
  const connections = 100;
  const bytesEach = (ctx.quick ? 2 : 10) * MiB;
  const samples = ctx.quick ? 2000 : 5000;
  // Warm-up: JIT, TCP autotuning.
  for (const path of paths) await peer.call('bulk', { port: path.sourcePort, bytes: 64 * MiB, writeSize: WRITE });

  const rounds: Round[] = [];
  for (let r = 0; r < roundCount; r++) {
    const order = paths.map((_, i) => paths[(i + r) % paths.length]!);
    const round: Round = { rate: {}, cpuPerGiB: {}, aggregate: {}, rttP50: {}, rttP99: {} };
    for (const path of order) {
      const cpu = cpuMeter(path);
      const { seconds } = await peer.call<BulkResult>('bulk', { port: path.sourcePort, bytes, writeSize: WRITE });
      round.rate[path.name] = bytes / seconds;
      if (path.pid) round.cpuPerGiB[path.name] = cpu() / (bytes / GiB);
    }
    for (const path of order) {
      const { seconds } = await peer.call<{ seconds: number }>('concurrent', { port: path.sourcePort, connections, bytesEach, writeSize: WRITE });
      round.aggregate[path.name] = (connections * bytesEach) / seconds;
    }
    for (const path of order) {
      const { rtts } = await peer.call<{ rtts: number[] }>('pingPong', { port: path.echoPort, samples, warmup: 500 });
      round.rttP50[path.name] = median(rtts);
      round.rttP99[path.name] = percentile(rtts, 99);
    }
    rounds.push(round);
    const line = paths.map((p) => `${p.name} ${gbps(round.rate[p.name]!)} GB/s, ×100 ${gbps(round.aggregate[p.name]!)} GB/s, rtt p50 ${us(round.rttP50[p.name]!)} µs`);
    ctx.log(`round ${r + 1}: ${line.join('; ')}; CPU s/GiB ${JSON.stringify(mapValues(round.cpuPerGiB, (v) => round2(v)))}`);
  }
  return rounds;
}

/** Reads a proxy's CPU time now; the returned function gives the seconds used since. */
function cpuMeter(path: Path): () => number {
  if (!path.pid) return () => 0;
  const pid = path.pid;
  const before = cpuSeconds(pid);
  return () => cpuSeconds(pid) - before;
}

function judge(rounds: Round[], withToxiproxy: boolean): BenchFigure[] {
  const figures: BenchFigure[] = [];
  const ratio = (pick: (r: Round) => number) => summarize(rounds.map(pick));
  const vsDirect = ratio((r) => r.rate.faultline! / r.rate.direct!);
  figures.push({
    name: 'throughput, 1 connection, faultline / direct',
    value: vsDirect.median,
    unit: 'ratio',
    target: '>= 0.6',
    met: vsDirect.median >= 0.6,
    detail: { ...vsDirect.detail, faultlineMBps: mbps(median(rounds.map((r) => r.rate.faultline!))), directMBps: mbps(median(rounds.map((r) => r.rate.direct!))) },
  });
  const addedP50 = summarize(rounds.map((r) => (r.rttP50.faultline! - r.rttP50.direct!) * 1000));
  const addedP99 = summarize(rounds.map((r) => (r.rttP99.faultline! - r.rttP99.direct!) * 1000));
  if (!withToxiproxy) {
    figures.push({ name: 'RTT added by faultline, p50 (64 B ping-pong)', value: addedP50.median, unit: 'µs', detail: addedP50.detail });
    figures.push({ name: 'RTT added by faultline, p99', value: addedP99.median, unit: 'µs', detail: addedP99.detail });
    return figures;
  }
  const vsToxiproxy = ratio((r) => r.rate.faultline! / r.rate.toxiproxy!);
  figures.push({
    name: 'throughput, 1 connection, faultline / Toxiproxy',
    value: vsToxiproxy.median,
    unit: 'ratio',
    target: '>= 2.0',
    met: vsToxiproxy.median >= 2,
    detail: { ...vsToxiproxy.detail, toxiproxyMBps: mbps(median(rounds.map((r) => r.rate.toxiproxy!))) },
  });
  const cpu = ratio((r) => r.cpuPerGiB.faultline! / r.cpuPerGiB.toxiproxy!);
  figures.push({
    name: 'CPU seconds per GiB forwarded, faultline / Toxiproxy',
    value: cpu.median,
    unit: 'ratio',
    target: '<= 0.5',
    met: cpu.median <= 0.5,
    detail: {
      ...cpu.detail,
      faultlineCpuSecondsPerGiB: round2(median(rounds.map((r) => r.cpuPerGiB.faultline!))),
      toxiproxyCpuSecondsPerGiB: round2(median(rounds.map((r) => r.cpuPerGiB.toxiproxy!))),
    },
  });
  const aggregate = ratio((r) => r.aggregate.faultline! / r.aggregate.toxiproxy!);
  figures.push({
    name: '100 connections × 10 MiB, aggregate, faultline / Toxiproxy',
    value: aggregate.median,
    unit: 'ratio',
    target: '>= 2.0',
    met: aggregate.median >= 2,
    detail: {
      ...aggregate.detail,
      faultlineMBps: mbps(median(rounds.map((r) => r.aggregate.faultline!))),
      toxiproxyMBps: mbps(median(rounds.map((r) => r.aggregate.toxiproxy!))),
      directMBps: mbps(median(rounds.map((r) => r.aggregate.direct!))),
    },
  });
  const toxiproxyP50 = summarize(rounds.map((r) => (r.rttP50.toxiproxy! - r.rttP50.direct!) * 1000));
  const toxiproxyP99 = summarize(rounds.map((r) => (r.rttP99.toxiproxy! - r.rttP99.direct!) * 1000));
  figures.push({
    name: `RTT added, p50 (64 B ping-pong): faultline (Toxiproxy ${toxiproxyP50.median.toFixed(1)} µs)`,
    value: addedP50.median,
    unit: 'µs',
    target: "<= Toxiproxy's",
    met: addedP50.median <= toxiproxyP50.median,
    detail: { ...addedP50.detail, toxiproxyMedian: toxiproxyP50.median, toxiproxyRange: toxiproxyP50.detail.range! },
  });
  figures.push({
    name: `RTT added, p99: faultline (Toxiproxy ${toxiproxyP99.median.toFixed(1)} µs)`,
    value: addedP99.median,
    unit: 'µs',
    target: "<= Toxiproxy's",
    met: addedP99.median <= toxiproxyP99.median,
    detail: { ...addedP99.detail, toxiproxyMedian: toxiproxyP99.median, toxiproxyRange: toxiproxyP99.detail.range! },
  });
  return figures;
}

/**
 * One connection moves 1 GiB while a 10 ms latency toxic is added and removed every 100 ms; a
 * toxic-free transfer of the same size is measured alongside, round by round. Judged: every byte
 * arrived (the client checks each one), and the rate in the toxic-free windows against the
 * toxic-free transfer's. A window starts when the removal returned, plus 20 ms: the data the
 * toxic held leaves in a burst at removal, which would flatter the window; it ends when the next
 * add was sent. The first 100 ms (connection set-up, TCP's slow start) count in no window.
 * Arrival times and toggle times are both process.hrtime, one clock.
 */
async function latencyToggling(ctx: BenchContext, peer: Child, proxy: ProxyProcess, port: number): Promise<BenchFigure[]> {
  const bytes = (ctx.quick ? 256 : 1024) * MiB;
  const roundCount = ctx.quick ? 1 : 3;
  const settleMs = 20;
  const ratios: number[] = [];
  let intact = true;
  let toggles = 0;
  for (let r = 0; r < roundCount; r++) {
    const plain = await peer.call<BulkResult>('bulk', { port, bytes, writeSize: WRITE, verify: true });
    intact &&= plain.intact === true;
    const windows: Array<[number, number]> = [];
    let transferring = true;
    const transfer = peer.call<BulkResult>('bulk', { port, bytes, writeSize: WRITE, verify: true }).finally(() => {
      transferring = false;
    });
    let freeFrom: number | undefined;
    while (transferring) {
      await sleep(100);
      if (!transferring) break;
      if (freeFrom !== undefined) windows.push([freeFrom + settleMs, hrtimeMs()]);
      await proxy.addToxic('fwd-source', { name: 'toggled', type: 'latency', stream: 'downstream', attributes: { latency: 10 } });
      toggles++;
      await sleep(100);
      await proxy.removeToxic('fwd-source', 'toggled');
      freeFrom = hrtimeMs();
    }
    const toggled = await transfer;
    intact &&= toggled.intact === true;
    if (freeFrom !== undefined) windows.push([freeFrom + settleMs, Infinity]);
    const free = rateWithin(toggled.arrivals!, windows);
    const reference = bytes / plain.seconds;
    ratios.push(free / reference);
    ctx.log(`toggling round ${r + 1}: toxic-free ${gbps(reference)} GB/s, toggled ${gbps(bytes / toggled.seconds)} GB/s overall, ${gbps(free)} GB/s in the toxic-free windows`);
  }
  const summary = summarize(ratios);
  return [
    { name: 'latency toxic toggled every 100 ms on 1 GiB: every byte arrived', value: intact ? 1 : 0, unit: 'bool', target: '1', met: intact, detail: { toggles } },
    {
      name: 'same: rate while no toxic is present / toxic-free rate',
      value: summary.median,
      unit: 'ratio',
      target: '>= 0.9',
      met: summary.median >= 0.9,
      detail: { ...summary.detail, settleMs },
    },
  ];
}

/** Bytes per second that arrived inside `windows` ([from, to] in hrtime ms), from [time, bytes so far] pairs. */
function rateWithin(arrivals: number[], windows: Array<[number, number]>): number {
  let bytes = 0;
  let ms = 0;
  const end = arrivals[arrivals.length - 2]!;
  for (const [from, rawTo] of windows) {
    const to = Math.min(rawTo, end);
    if (to <= from) continue;
    bytes += bytesAt(arrivals, to) - bytesAt(arrivals, from);
    ms += to - from;
  }
  return ms > 0 ? bytes / (ms / 1000) : NaN;
}

/** Bytes received by time `t`: the last arrival at or before it. */
function bytesAt(arrivals: number[], t: number): number {
  let lo = 0;
  let hi = arrivals.length / 2 - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (arrivals[mid * 2]! <= t) {
      found = arrivals[mid * 2 + 1]!;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Median and range of per-round values. */
function summarize(values: number[]): { median: number; detail: { range: string; rounds: number } } {
  const finite = values.filter(Number.isFinite);
  return { median: median(finite), detail: { range: `${round2(Math.min(...finite))}–${round2(Math.max(...finite))}`, rounds: finite.length } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round2 = (value: number) => Math.round(value * 100) / 100;
const gbps = (bytesPerSec: number) => (bytesPerSec / 1e9).toFixed(2);
const mbps = (bytesPerSec: number) => Math.round(bytesPerSec / 1e6);
const us = (ms: number) => (ms * 1000).toFixed(1);
const mapValues = <T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
