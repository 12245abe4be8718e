/**
 * Workload benchmarks: can the measuring side keep up, so what it reports is the path and not
 * the harness?
 *
 * - udp-stream pacing: 50 000 datagrams/s to the built-in sink in the same process; achieved /
 *   asked rate (target within 1%), with loss and lateness alongside.
 * - tcp-stream throughput: framed, checksummed and verified at the sink, against a plain socket
 *   writing the same number of bytes to a byte-counting server in the same run (target ≥ 0.8).
 *   Runs alternate (plain, framed, plain, …) and the medians are compared, so a noisy neighbour
 *   hits both sides.
 */
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../core/clock.js';
import { createRng } from '../core/rng.js';
import type { WorkloadResult } from '../core/result.js';
import type { WorkloadContext } from '../workload/context.js';
import { createSinkServer, type SinkServer } from '../workload/servers/sink-server.js';
import type { WorkloadCommon } from '../workload/spec.js';
import { runTcpStream } from '../workload/tcp-stream.js';
import { runUdpStream } from '../workload/udp-stream.js';
import type { BenchContext, BenchFigure, BenchSuite, BenchSuiteResult } from './types.js';

const PACING_RATE = 50_000;
const DATAGRAM_BYTES = 64;
/** Frame payload sizes for the throughput figure: a typical bulk frame and a large one. */
const FRAME_PAYLOAD_SIZES = [16 * 1024, 64 * 1024];
const PLAIN_CHUNK_BYTES = 256 * 1024;

let workloadIds = 1_000_000;

export const workloadsSuite: BenchSuite = {
  name: 'workloads',
  async run(ctx: BenchContext): Promise<BenchSuiteResult> {
    const sink = await createSinkServer();
    try {
      const parts = [await udpPacing(ctx, sink)];
      for (const size of FRAME_PAYLOAD_SIZES) parts.push(await tcpThroughput(ctx, sink, size));
      parts.push(await tcpThroughputSinkElsewhere(ctx));
      return {
        suite: 'workloads',
        figures: parts.flatMap((p) => p.figures),
        notes: [
          ...parts.flatMap((p) => p.notes),
          'the sink verifies every frame (CRC32C of every payload byte) in the same thread as the sender; the plain baseline only counts bytes',
        ],
      };
    } finally {
      await sink.close();
    }
  },
};

function context(sink: SinkServer | undefined, protocol: 'tcp' | 'udp'): WorkloadContext {
  return {
    clock: systemClock,
    rng: createRng(7).fork('bench'),
    signal: new AbortController().signal,
    endpoint: (protocol === 'tcp' ? sink?.tcp : sink?.udp) ?? { host: '127.0.0.1', port: 0 },
    scenarioStartMs: systemClock.now(),
    workloadId: workloadIds++,
    ...(sink ? { sink } : {}),
  };
}

function common(overrides: Partial<WorkloadCommon>): WorkloadCommon {
  return { name: 'bench', startMs: 0, size: 64, rate: 'max', connections: 1, timeoutMs: 2000, connectTimeoutMs: 2000, ...overrides };
}

function metric(result: WorkloadResult, name: string): number {
  return result.metrics.filter((m) => m.name === name).reduce((sum, m) => sum + m.value, 0);
}

async function udpPacing(ctx: BenchContext, sink: SinkServer): Promise<{ figures: BenchFigure[]; notes: string[] }> {
  const seconds = ctx.quick ? 1 : 3;
  const messages = PACING_RATE * seconds;
  ctx.log(`udp-stream: ${messages} datagrams of ${DATAGRAM_BYTES} B at ${PACING_RATE}/s`);
  const result = await runUdpStream(
    { ...common({ messages, rate: PACING_RATE, size: DATAGRAM_BYTES, timeoutMs: 500 }), type: 'udp-stream' },
    context(sink, 'udp'),
  );
  const achieved = result.harness?.sendRate?.achievedPerSec ?? 0;
  const ratio = achieved / PACING_RATE;
  const lateness = result.harness?.sendLatenessMs;
  const lost = metric(result, 'messages_lost_total');
  return {
    figures: [
      {
        name: `udp-stream pacing at ${PACING_RATE}/s: achieved / asked`,
        value: ratio,
        unit: 'ratio',
        target: '0.99 .. 1.01',
        met: ratio >= 0.99 && ratio <= 1.01,
        detail: {
          askedPerSec: PACING_RATE,
          achievedPerSec: achieved,
          datagrams: messages,
          lost,
          latenessP50Ms: lateness?.p50 ?? NaN,
          latenessP99Ms: lateness?.p99 ?? NaN,
          latenessMaxMs: lateness?.max ?? NaN,
          rcvbufErrors: result.harness?.kernelUdp?.RcvbufErrors ?? NaN,
        },
      },
      { name: 'udp-stream at 50k/s: datagrams lost at the same-process sink', value: lost, unit: 'datagrams', detail: { of: messages } },
      { name: 'udp-stream at 50k/s: send lateness p99', value: lateness?.p99 ?? NaN, unit: 'ms' },
    ],
    notes: (result.notes ?? []).map((n) => `udp-stream: ${n}`),
  };
}

async function tcpThroughput(ctx: BenchContext, sink: SinkServer, frameBytes: number): Promise<{ figures: BenchFigure[]; notes: string[] }> {
  const bytes = (ctx.quick ? 64 : 256) * 1024 * 1024;
  const rounds = ctx.quick ? 2 : 3;
  const plain: number[] = [];
  const framed: number[] = [];
  const notes: string[] = [];
  for (let round = 0; round < rounds; round++) {
    plain.push(await plainSocketThroughput(bytes));
    const result = await runTcpStream(
      { ...common({ size: frameBytes, timeoutMs: 10_000 }), bytes, type: 'tcp-stream' },
      context(sink, 'tcp'),
    );
    if (!result.stream?.intact) notes.push(`tcp-stream round ${round}: the stream was not intact (${JSON.stringify(result.stream)})`);
    framed.push(metric(result, 'goodput_bytes_per_sec'));
    ctx.log(`${frameBytes / 1024} KiB frames, round ${round + 1}/${rounds}: plain ${(plain.at(-1)! / 1e9).toFixed(2)} GB/s, tcp-stream ${(framed.at(-1)! / 1e9).toFixed(2)} GB/s`);
  }
  const ratio = median(framed) / median(plain);
  return {
    figures: [
      {
        name: `tcp-stream goodput / plain socket (${bytes / 1024 / 1024} MiB, ${frameBytes / 1024} KiB frames)`,
        value: ratio,
        unit: 'ratio',
        target: '>= 0.8',
        met: ratio >= 0.8,
        detail: { plainBytesPerSec: median(plain), framedBytesPerSec: median(framed), rounds, bytes, frameBytes },
      },
    ],
    notes,
  };
}

/**
 * Where the ceiling is: the same transfer (16 KiB frames) to `faultline serve sink` in its own
 * process, so the sink's per-byte checksum runs on the other core. Sender-side only: throughput is
 * bytes over the time until the sink had read everything (the workload waits for its close).
 */
async function tcpThroughputSinkElsewhere(ctx: BenchContext): Promise<{ figures: BenchFigure[]; notes: string[] }> {
  const bytes = (ctx.quick ? 64 : 256) * 1024 * 1024;
  const child = spawn(process.execPath, [fileURLToPath(new URL('../cli/main.js', import.meta.url)), 'serve', 'sink', '--tcp', '0'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on tcp [^\s]+:(\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`faultline serve sink exited (${code})`)));
    });
    const plain: number[] = [];
    const framed: number[] = [];
    for (let round = 0; round < (ctx.quick ? 2 : 3); round++) {
      plain.push(await plainSocketThroughput(bytes));
      const result = await runTcpStream(
        { ...common({ size: 16 * 1024, timeoutMs: 10_000 }), bytes, type: 'tcp-stream' },
        { ...context(undefined, 'tcp'), endpoint: { host: '127.0.0.1', port } },
      );
      framed.push(bytes / (result.durationMs / 1000));
    }
    return {
      figures: [
        {
          name: 'tcp-stream to a sink in another process / plain socket (16 KiB frames)',
          value: median(framed) / median(plain),
          unit: 'ratio',
          detail: { plainBytesPerSec: median(plain), framedBytesPerSec: median(framed), bytes },
        },
      ],
      notes: [],
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
  }
}

/**
 * The baseline: one connection writing `bytes` in 256 KiB chunks (respecting backpressure) to a
 * server that only counts; bytes per second from the first write to the last byte read.
 */
async function plainSocketThroughput(bytes: number): Promise<number> {
  let received = 0;
  let doneAt = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= bytes) {
        doneAt = performance.now();
        resolveDone();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port, noDelay: true });
  await new Promise((resolve) => client.once('connect', resolve));
  const chunk = Buffer.alloc(PLAIN_CHUNK_BYTES, 0x5a);
  const startedAt = performance.now();
  let written = 0;
  while (written < bytes) {
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - written));
    written += piece.length;
    if (!client.write(piece)) await new Promise((resolve) => client.once('drain', resolve));
  }
  await done;
  client.destroy();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return bytes / ((doneAt - startedAt) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
