/**
 * The wire layer's benchmark (`npm run bench -- wire`), each figure against a baseline measured
 * in the same run:
 *
 *   setup + teardown of one wire path        mean time                        aim < 100 ms
 *   one TCP connection, no faults            goodput / a veth pair between    >= 0.5
 *                                            two namespaces, offloads off
 *                                            (the same per-packet work done by the kernel alone)
 *   50 ms latency, one way, UDP              error vs the kernel's receive    mean <= 0.2 ms, p99 <= 1 ms, never early
 *                                            time
 *   loss 10 %, 100k UDP packets at half      drop ratio in the 99.9 % Wilson  in it; 0 unaccounted
 *   the forwarding ceiling                   interval of 10 %; packets lost
 *                                            that the ledger does not account for
 *
 * Needs root (or a user namespace of one's own) and, for the veth baseline's offloads, ethtool.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { wilsonInterval } from '../assert/statistics.js';
import { commandOnPath } from '../core/shell.js';
import { createRng } from '../core/rng.js';
import { sumCounter } from '../wire/engine.js';
import { wireAddon } from '../wire/native.js';
import { probeWire } from '../wire/probe.js';
import { runTask } from '../wire/run-side-task.js';
import { createWirePath, type WirePath, type WireSide } from '../wire/topology.js';
import { startWorker } from '../workload/servers/start-worker.js';
import { mean } from './loopback.js';
import type { BenchContext, BenchFigure, BenchSuite, BenchSuiteResult } from './types.js';

const LATENCY_MS = 50;

export const wireSuite: BenchSuite = {
  name: 'wire',
  async run(ctx): Promise<BenchSuiteResult> {
    const support = probeWire();
    if (!support.available) return { suite: 'wire', figures: [], notes: [`skipped: ${support.missing.join('; ')}`] };
    const notes: string[] = [];
    const figures = [
      ...setupTeardown(ctx),
      ...(await goodput(ctx, notes)),
      ...(await latencyAccuracy(ctx)),
      ...(await lossAccuracy(ctx)),
    ];
    return { suite: 'wire', figures, notes };
  },
};

function setupTeardown(ctx: BenchContext): BenchFigure[] {
  const rounds = ctx.quick ? 5 : 20;
  const times: number[] = [];
  const setups: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const path = createWirePath({ rng: createRng(i) });
    setups.push(path.setupMs);
    path.close();
    times.push(performance.now() - started);
  }
  const meanMs = mean(times);
  ctx.log(`setup + teardown: ${meanMs.toFixed(2)} ms mean over ${rounds}`);
  return [
    {
      name: 'wire path setup + teardown',
      value: meanMs,
      unit: 'ms',
      target: '< 100 ms',
      met: meanMs < 100,
      detail: { rounds, setupMeanMs: mean(setups), maxMs: Math.max(...times) },
    },
  ];
}

/** A side of the veth baseline: a namespace without TUN, named for `ip -n`. */
function bareSide(name: string, address: string): WireSide & { close(): void } {
  const addon = wireAddon();
  const { nsFd, inode } = addon.createSide(null);
  const published = `/run/netns/${name}`;
  mkdirSync('/run/netns', { recursive: true });
  writeFileSync(published, '');
  addon.bindMount(`/proc/self/fd/${nsFd}`, published);
  const side = {
    description: `the veth baseline's namespace ${name}`,
    role: 'client',
    namespace: name,
    published: true,
    nsPath: published,
    nsFd,
    inode,
    device: '',
    address,
    peer: '',
    spawn: () => {
      throw new Error('not in the baseline');
    },
    startWorker: (moduleUrl: URL, data?: unknown) => startWorker(new URL('../wire/side-worker.js', import.meta.url), { workerData: { nsFd, moduleUrl: moduleUrl.href, data } }),
    openSocket: (protocol, bind) => addon.openSocket(nsFd, protocol, bind?.host ?? null, bind?.port ?? 0),
    readProcNet: (file) => addon.readNetFile(nsFd, file),
    tcpInfo: (fd) => addon.tcpInfo(fd),
    kernelCounters: () => ({}),
    deviceCounters: () => undefined,
    close() {
      addon.unmount(published);
      rmSync(published, { force: true });
      closeSync(nsFd);
    },
  } satisfies WireSide & { close(): void };
  return side;
}

/** One TCP transfer of `bytes`, timed by the sender from connected to the receiver's close. */
async function transfer(client: WireSide, target: WireSide, bytes: number): Promise<{ mbps: number; seconds: number }> {
  // The receiver only counts: hashing 100 MB would compete with the engine for the two cores.
  const sink = runTask<{ bytes: number }>(target, { task: 'tcp-sink', host: target.address, count: true });
  const port = await sink.ready;
  const received = sink.result();
  const sent = await runTask<{ error?: string; elapsedMs?: number }>(client, { task: 'tcp-send', host: target.address, port, bytes }).result();
  if (sent.error || sent.elapsedMs === undefined || (await received).bytes !== bytes) throw new Error(`wire bench: transfer failed (${sent.error ?? 'short'})`);
  await sink.worker.terminate();
  const seconds = sent.elapsedMs / 1000;
  return { mbps: (bytes * 8) / seconds / 1e6, seconds };
}

async function goodput(ctx: BenchContext, notes: string[]): Promise<BenchFigure[]> {
  const bytes = ctx.quick ? 20e6 : 100e6;
  const rounds = ctx.quick ? 1 : 3;
  const haveEthtool = commandOnPath('ethtool');
  if (!haveEthtool) notes.push('ethtool is missing (Debian package ethtool): the veth baseline keeps its offloads, which flatters it');
  const tag = `flb${process.pid}`;
  const a = bareSide(`${tag}-a`, '198.19.254.1');
  const b = bareSide(`${tag}-b`, '198.19.254.2');
  let veth = 0;
  try {
    const ip = (...args: string[]) => execFileSync('ip', args);
    ip('-n', a.namespace, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.namespace);
    ip('-n', a.namespace, 'addr', 'add', '198.19.254.1/30', 'dev', 'va');
    ip('-n', b.namespace, 'addr', 'add', '198.19.254.2/30', 'dev', 'vb');
    for (const [ns, dev] of [[a.namespace, 'va'], [b.namespace, 'vb']] as const) {
      if (haveEthtool) execFileSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off', 'rx', 'off'], { stdio: 'ignore' });
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    for (let i = 0; i < rounds; i++) veth = Math.max(veth, (await transfer(a, b, bytes)).mbps);
  } finally {
    a.close();
    b.close();
  }
  let wire = 0;
  let packetsPerSec = 0;
  await withPath(1, async (path) => {
    for (let i = 0; i < rounds; i++) {
      const before = path.engine.ledger();
      const { mbps, seconds } = await transfer(path.client, path.target, bytes);
      const after = path.engine.ledger();
      const forwarded = (['upstream', 'downstream'] as const).reduce(
        (n, d) => n + sumCounter(after.directions[d], 'forwarded') - sumCounter(before.directions[d], 'forwarded'),
        0,
      );
      if (mbps > wire) {
        wire = mbps;
        packetsPerSec = forwarded / seconds;
      }
    }
  });
  const ratio = wire / veth;
  ctx.log(`goodput: wire ${wire.toFixed(0)} Mbit/s, veth ${veth.toFixed(0)} Mbit/s (${ratio.toFixed(2)}×), ${packetsPerSec.toFixed(0)} packets/s`);
  return [
    { name: 'TCP goodput, one connection: wire path / veth (offloads off)', value: ratio, unit: 'ratio', target: '>= 0.5', met: ratio >= 0.5, detail: { wireMbps: wire, vethMbps: veth, bytes, rounds } },
    { name: 'TCP goodput through the engine: packets forwarded per second', value: packetsPerSec, unit: 'packets/s', detail: { bothDirections: 'yes' } },
  ];
}

async function withPath<T>(seed: number, body: (path: WirePath) => Promise<T>): Promise<T> {
  const path = createWirePath({ rng: createRng(seed) });
  try {
    return await body(path);
  } finally {
    path.close();
  }
}

async function latencyAccuracy(ctx: BenchContext): Promise<BenchFigure[]> {
  const count = ctx.quick ? 500 : 3000;
  return withPath(2, async ({ client, target, engine }): Promise<BenchFigure[]> => {
    engine.addFault({ type: 'latency', stream: 'upstream', attributes: { latency: LATENCY_MS } });
    const sink = runTask<{ delays: number[] }>(target, { task: 'udp-timed-sink', host: target.address });
    const port = await sink.ready;
    await runTask(client, { task: 'udp-send', host: target.address, port, count, size: 64, burst: 1, intervalMs: 1 }).result();
    await new Promise((resolve) => setTimeout(resolve, LATENCY_MS * 3));
    const errors = (await sink.report()).delays.map((d) => d - LATENCY_MS).sort((x, y) => x - y);
    if (errors.length < count) ctx.log(`latency: ${count - errors.length} of ${count} datagrams did not arrive`);
    const meanError = mean(errors);
    const p99 = errors[Math.min(errors.length - 1, Math.floor(errors.length * 0.99))]!;
    const min = errors[0]!;
    ctx.log(`latency 50 ms one way: mean error ${meanError.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms, min ${min.toFixed(3)} ms`);
    return [
      { name: 'latency 50 ms, one way: mean error', value: meanError, unit: 'ms', target: '<= 0.2 ms', met: meanError <= 0.2, detail: { samples: errors.length } },
      { name: 'latency 50 ms, one way: p99 error', value: p99, unit: 'ms', target: '<= 1 ms', met: p99 <= 1, detail: { max: errors[errors.length - 1]! } },
      { name: 'latency 50 ms, one way: min error (never early)', value: min, unit: 'ms', target: '>= 0', met: min >= 0 },
    ];
  });
}

async function lossAccuracy(ctx: BenchContext): Promise<BenchFigure[]> {
  const count = ctx.quick ? 20_000 : 100_000;
  // The ceiling: UDP through the engine as fast as one sender goes, no faults.
  const ceiling = await withPath(3, async ({ client, target }) => {
    const sink = runTask<{ counts: Array<[number, number]> }>(target, { task: 'udp-sink', host: target.address });
    const port = await sink.ready;
    const sent = await runTask<{ elapsedMs: number }>(client, { task: 'udp-send', host: target.address, port, count: 50_000, size: 200, burst: 64, intervalMs: 0 }).result();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const received = (await sink.report()).counts.length;
    return received / (sent.elapsedMs / 1000);
  });
  const rate = Math.floor(ceiling / 2);
  return withPath(4, async ({ client, target, engine }): Promise<BenchFigure[]> => {
    engine.addFault({ name: 'loss10', type: 'loss', stream: 'upstream', attributes: { probability: 0.1 } });
    const sink = runTask<{ counts: Array<[number, number]> }>(target, { task: 'udp-sink', host: target.address });
    const port = await sink.ready;
    const before = target.kernelCounters();
    await runTask(client, { task: 'udp-send', host: target.address, port, count, size: 200, burst: 64, intervalMs: 0, ratePerSec: rate }).result();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const received = (await sink.report()).counts.length;
    const ledger = engine.ledger();
    const fault = ledger.faults.find((f) => f.name === 'loss10')!;
    const dropped = sumCounter(fault.counters, 'dropped_loss');
    const seen = fault.counters.udp.seen ?? 0;
    const ratio = dropped / seen;
    const { low: lo, high: hi } = wilsonInterval(dropped, seen, 0.999);
    const unaccounted = count - received - dropped;
    const rcvbuf = (target.kernelCounters().Udp?.RcvbufErrors ?? 0) - (before.Udp?.RcvbufErrors ?? 0);
    ctx.log(`loss 10 %: ${dropped}/${seen} = ${(ratio * 100).toFixed(3)} % [${(lo * 100).toFixed(2)}, ${(hi * 100).toFixed(2)}], unaccounted ${unaccounted} at ${rate}/s (ceiling ${ceiling.toFixed(0)}/s)`);
    return [
      { name: 'loss 10 %: drop ratio', value: ratio, unit: 'ratio', target: '0.1 in its 99.9 % Wilson interval', met: lo <= 0.1 && 0.1 <= hi, detail: { dropped, seen, wilsonLow: lo, wilsonHigh: hi } },
      {
        name: 'loss 10 % at half the ceiling: packets lost outside the ledger',
        value: unaccounted,
        unit: 'packets',
        target: '0',
        met: unaccounted === 0,
        detail: { sent: count, received, ratePerSec: rate, ceilingPerSec: ceiling, receiverRcvbufErrors: rcvbuf, tunTxDropped: client.deviceCounters()?.txDropped ?? -1 },
      },
    ];
  });
}
