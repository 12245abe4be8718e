/**
 * `tcp-connect`: connections and nothing else — the cheapest probe for faults that act on the
 * handshake (a proxy that is down refuses, a blackholed path times out, latency delays the
 * SYN-ACK). Each of `connections` connectors opens `attempts` connections one after another (or
 * for `duration`), paced by `rate`, and for each records how long the connect took or how it
 * failed; it then closes the connection gracefully and waits for the peer's close, up to
 * `timeout`, so that a reset that follows the handshake (a proxy whose upstream refused) is
 * counted too.
 *
 *   pace ──▶ connect (connect_ms | ECONNREFUSED, ETIMEDOUT…) ──▶ FIN ──▶ peer's close (or ECONNRESET) ──▶ next
 *
 * Through a stream proxy the handshake is with the proxy, which accepts at once: what the target
 * does shows in the close (a reset), not in connect_ms.
 */
import type { Socket } from 'node:net';
import type { WorkloadResult } from '../core/result.js';
import { assembleWorkloadResult } from '../metrics/assemble-workload-result.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { classifyError } from './classify-error.js';
import { waitFor } from './wait-for.js';
import { COMMON_OPTIONS, defineWorkload, TCP_KERNEL_METRICS } from './definition.js';
import type { WorkloadContext } from './context.js';
import type { WorkloadCommon } from './spec.js';
import { WorkloadRun } from './workload-run.js';

export interface TcpConnectSpec extends WorkloadCommon {
  type: 'tcp-connect';
  /** Connections each connector opens; absent when `durationMs` bounds the run instead. */
  attempts?: number;
}

const TCP_CONNECT = { type: 'tcp-connect', protocol: 'tcp', shape: 'connect' } as const;

/** Connections per connector when neither `attempts` nor `duration` is given. */
const DEFAULT_ATTEMPTS = 100;

interface Tally {
  attempted: number;
  failed: number;
  connected: number;
}

export async function runTcpConnect(spec: TcpConnectSpec, ctx: WorkloadContext): Promise<WorkloadResult> {
  const run = new WorkloadRun(spec, ctx);
  const connect = new LatencyHistogram();
  const tally: Tally = { attempted: 0, failed: 0, connected: 0 };
  if (await run.waitForStart()) {
    run.startProgress(() => ({ sent: tally.attempted, received: tally.connected }));
    const connectors = Array.from({ length: spec.connections }, () => connector(run, spec, ctx, tally, connect));
    await Promise.all(connectors);
    run.stopProgress();
  }
  run.noteIfAborted('the connection in progress was abandoned');
  const seconds = run.durationMs() / 1000;
  return assembleWorkloadResult({
    ...run.resultBase(TCP_CONNECT, spec.rate !== 'max'),
    connections: { attempted: tally.attempted, failed: tally.failed },
    extraMetrics: [{ name: 'connections_per_sec', value: seconds > 0 ? tally.connected / seconds : 0 }],
    histograms: { connect_ms: connect },
  });
}

/** One connector: attempts in sequence until its count or the duration runs out. */
async function connector(run: WorkloadRun, spec: TcpConnectSpec, ctx: WorkloadContext, tally: Tally, connect: LatencyHistogram): Promise<void> {
  const startMs = run.clock.now();
  for (let k = 0; spec.attempts === undefined || k < spec.attempts; k++) {
    if (!(await run.paceRequest(k, startMs))) return;
    const attemptedAt = run.clock.now();
    let connectMs = 0;
    const socket = await run.connect(connect, (ms) => (connectMs = ms));
    if (socket === 'stopped') return; // the attempt does not count
    tally.attempted++;
    run.series.sent(attemptedAt);
    if (socket === 'failed') {
      tally.failed++;
      continue;
    }
    tally.connected++;
    const now = run.clock.now();
    run.series.received(now, 0);
    run.series.latency(now, connectMs);
    await closeGracefully(socket, run, spec.timeoutMs, ctx.signal);
  }
}

/**
 * Sends FIN and waits for the peer to close too (or `timeoutMs`, or the stop signal). An error in
 * the meantime — a reset from a proxy whose upstream refused — is recorded.
 */
async function closeGracefully(socket: Socket, run: WorkloadRun, timeoutMs: number, signal: AbortSignal): Promise<void> {
  socket.on('error', (error) => {
    const classified = classifyError(error);
    run.error(classified.code, classified.message);
  });
  socket.on('data', () => {}); // a server that greets or echoes: read and discard, so its FIN arrives
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.end();
  await waitFor(closed, run.clock, timeoutMs, signal);
  socket.destroy();
}

export const tcpConnect = defineWorkload<TcpConnectSpec>({
  ...TCP_CONNECT,
  summary: 'Opens and closes TCP connections, no payload; measures connect_ms, refusals and the connection rate.',
  options: [...COMMON_OPTIONS, 'attempts', 'connect_timeout'],
  amount: ['attempts', 'duration'],
  rejects: {
    messages: 'tcp-connect sends no messages: use attempts (connections per connector)',
    size: 'tcp-connect sends no payload: size does not apply',
  },
  load(options, common) {
    if (options.has('attempts')) {
      const attempts = options.count('attempts');
      return attempts === undefined ? undefined : { attempts };
    }
    return common.durationMs === undefined ? { attempts: DEFAULT_ATTEMPTS } : {};
  },
  run: runTcpConnect,
  metrics: ['connections_total', 'connections_failed_total', 'connect_ms', 'connections_per_sec', 'errors_total', 'send_lateness_ms', ...TCP_KERNEL_METRICS],
  example: { attempts: 5 },
});
