/**
 * `tcp-raw`: for servers that do not speak faultline's framing. Each of `connections` connections
 * sends the `requests` list `repeat` times (or for `durationMs`), one request at a time, and reads
 * one response per request with the framing rule (newline, length prefix, fixed length, or
 * "until the line is quiet for N ms"), checking it against the request's expectation.
 *
 *   write request ──▶ bytes ──▶ ResponseCutter ──▶ response ──▶ exact | prefix | regex ──▶ match / MISMATCH
 *
 * This is how faultline shows that a server which assumes one recv() is one message breaks when
 * a slicer toxic splits requests: its responses stop matching. A missing response within
 * `timeoutMs` is ETIMEDOUT and ends the connection; a close before the response is EOF_EARLY.
 */
import type { Socket } from 'node:net';
import type { Timer } from '../core/clock.js';
import type { WorkloadResult } from '../core/result.js';
import { assembleWorkloadResult } from '../metrics/assemble-workload-result.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { classifyError, ErrorCodes } from './classify-error.js';
import { BASE_METRICS, COMMON_OPTIONS, CONNECTION_METRICS, DEFAULT_REPEAT, defineWorkload, RAW_METRICS, RAW_OPTIONS, RAW_REJECTS, TCP_KERNEL_METRICS } from './definition.js';
import type { WorkloadContext } from './context.js';
import { escapeBytes, ResponseCutter } from './raw-response.js';
import { RawTally } from './raw-tally.js';
import { SignalBox } from './signal-box.js';
import type { Framing, RawRequest, WorkloadCommon } from './spec.js';
import { waitFor } from './wait-for.js';
import { WorkloadRun } from './workload-run.js';

export interface TcpRawSpec extends WorkloadCommon {
  type: 'tcp-raw';
  requests: RawRequest[];
  /** Times the request list is sent per connection. */
  repeat: number;
  framing: Framing;
}

const TCP_RAW = { type: 'tcp-raw', protocol: 'tcp', shape: 'raw' } as const;

export async function runTcpRaw(spec: TcpRawSpec, ctx: WorkloadContext): Promise<WorkloadResult> {
  const run = new WorkloadRun(spec, ctx);
  const tally = new RawTally(run);
  const connect = new LatencyHistogram();
  const connections: RawConnection[] = [];
  if (await run.waitForStart()) {
    run.startProgress(() => ({ sent: tally.sent, received: tally.received }));
    for (let i = 0; i < spec.connections; i++) connections.push(new RawConnection(run, spec, ctx, tally, connect, i));
    await Promise.all(connections.map((c) => c.run()));
    run.stopProgress();
  }
  run.noteIfAborted('the request in flight was not waited for');
  return assembleWorkloadResult({
    ...run.resultBase(TCP_RAW, spec.rate !== 'max'),
    ...tally.measurements(),
    connections: { attempted: connections.length, failed: connections.filter((c) => c.failed).length },
    histograms: { rtt_ms: tally.rtt, connect_ms: connect },
  });
}

type Awaited = { kind: 'response'; bytes: Buffer } | { kind: 'timeout' } | { kind: 'closed' };

class RawConnection {
  failed = false;
  private socket: Socket | undefined;
  private readonly cutter: ResponseCutter;
  private readonly changed = new SignalBox();
  private ended = false;
  private closed = false;
  private lastDataMs = 0;

  constructor(
    private readonly workload: WorkloadRun,
    private readonly spec: TcpRawSpec,
    private readonly ctx: WorkloadContext,
    private readonly tally: RawTally,
    private readonly connect: LatencyHistogram,
    private readonly index: number,
  ) {
    this.cutter = new ResponseCutter(spec.framing);
  }

  async run(): Promise<void> {
    const { workload: run, spec, ctx } = this;
    const socket = await run.connect(this.connect);
    if (typeof socket === 'string') {
      this.failed = socket === 'failed';
      return;
    }
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.tally.bytesReceived += chunk.length;
      this.lastDataMs = run.clock.now();
      this.cutter.push(chunk);
      this.changed.notify();
    });
    socket.on('error', (error) => {
      const { code, message } = classifyError(error);
      this.fail(code, message);
    });
    socket.on('end', () => {
      this.ended = true;
      this.changed.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.changed.notify();
    });

    await this.exchangeAll();
    if (!this.closed) {
      socket.end();
      if (!this.closed) await waitFor(new Promise((resolve) => socket.once('close', resolve)), run.clock, spec.timeoutMs, ctx.signal);
    }
    socket.destroy();
  }

  private async exchangeAll(): Promise<void> {
    const { workload: run, spec } = this;
    const label = `connection ${this.index}`;
    const startMs = run.clock.now();
    const endAtMs = run.endAtMs;
    let k = 0;
    for (let round = 0; endAtMs !== undefined || round < spec.repeat; round++) {
      for (const request of spec.requests) {
        if (this.failed || this.closed || !(await run.paceRequest(k, startMs))) return;
        const sentAtMs = run.clock.now();
        this.tally.requestSent(request.send.length, sentAtMs);
        this.socket!.write(request.send);
        const outcome = await this.awaitResponse(sentAtMs + spec.timeoutMs);
        if (outcome.kind === 'response') {
          this.tally.response(request, outcome.bytes, k, label, sentAtMs);
        } else if (outcome.kind === 'timeout') {
          this.fail(ErrorCodes.timeout, `${label}: no response to request ${k} (${request.source}) within ${spec.timeoutMs} ms`);
        } else if (!this.failed) {
          const pending = this.cutter.pendingBytes;
          const partial = pending > 0 ? ` after a partial response ${escapeBytes(this.cutter.takeAll())}` : '';
          this.fail(ErrorCodes.eofEarly, `${label}: the server closed the connection before responding to request ${k} (${request.source})${partial}`);
        }
        k++;
      }
    }
  }

  /** The next response, or why there is none. */
  private async awaitResponse(deadlineMs: number): Promise<Awaited> {
    const { workload: run, ctx, spec } = this;
    const idleMs = spec.framing.kind === 'idle' ? spec.framing.ms : undefined;
    for (;;) {
      const response = this.cutter.next();
      if (response !== undefined) return { kind: 'response', bytes: response };
      const now = run.clock.now();
      if (idleMs !== undefined && this.cutter.pendingBytes > 0 && (this.ended || now - this.lastDataMs >= idleMs)) {
        return { kind: 'response', bytes: this.cutter.takeAll() };
      }
      if (this.ended || this.closed || this.failed || ctx.signal.aborted) return { kind: 'closed' };
      if (now >= deadlineMs) return { kind: 'timeout' };
      let wakeAt = deadlineMs;
      if (idleMs !== undefined && this.cutter.pendingBytes > 0) wakeAt = Math.min(wakeAt, this.lastDataMs + idleMs);
      const timer: Timer = run.clock.scheduleAt(wakeAt, () => this.changed.notify());
      await this.changed.wait(ctx.signal);
      timer.cancel();
    }
  }

  private fail(code: string, message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.workload.error(code, message);
    this.socket?.destroy();
    this.changed.notify();
  }
}

export const tcpRaw = defineWorkload<TcpRawSpec>({
  ...TCP_RAW,
  summary: 'Requests and expected responses for a TCP server that does not speak faultline framing.',
  options: [...COMMON_OPTIONS, ...RAW_OPTIONS, 'framing', 'connect_timeout'],
  amount: ['repeat', 'duration'],
  rejects: RAW_REJECTS,
  load(options) {
    const requests = options.requests();
    const repeat = options.has('repeat') ? options.count('repeat') : DEFAULT_REPEAT;
    const framing = options.framing();
    return requests && repeat !== undefined && framing ? { requests, repeat, framing } : undefined;
  },
  run: runTcpRaw,
  metrics: [...BASE_METRICS, ...RAW_METRICS, ...CONNECTION_METRICS, ...TCP_KERNEL_METRICS],
  example: { requests: [{ send: 'PING\n', expect: 'PING\n' }] },
});
