/**
 * `tcp-echo`: request/response over `connections` concurrent connections. Each connection sends
 * framed requests (`messages`, or for `durationMs`) at `rate` — or, with `rate: max`, the next one
 * when the previous reply arrived — and verifies every echo: the same workload and flow ids, a
 * sequence number it is waiting for, in order, with an intact payload.
 *
 *   connect (connect_ms) ──▶ send frame seq n ──▶ FrameReader on replies ──▶ RTT = arrival − send
 *                                 ▲                         │
 *                                 └── next (rate or reply) ◀┘
 *
 * A reply that does not come within `timeoutMs` is an ETIMEDOUT: the connection gives up (as a
 * real client would) and what was still outstanding counts as lost. A clean close by the peer
 * before every reply arrived is EOF_EARLY; resets and broken pipes keep the system's code.
 */
import type { Socket } from 'node:net';
import type { WorkloadResult } from '../core/result.js';
import { assembleWorkloadResult } from '../metrics/assemble-workload-result.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { addSequenceCounts, emptySequenceCounts, SequenceTracker, type SequenceCounts } from '../metrics/sequence-tracker.js';
import { classifyError, ErrorCodes } from './classify-error.js';
import { BASE_METRICS, COMMON_OPTIONS, CONNECTION_METRICS, defineWorkload, FRAMED_OPTIONS, SEQUENCE_METRICS, TCP_KERNEL_METRICS } from './definition.js';
import type { WorkloadContext } from './context.js';
import { encodeFrame, FRAME_HEADER_BYTES } from './frame.js';
import { FrameReader, type ReceivedFrame } from './frame-reader.js';
import { OutstandingRequests } from './outstanding-requests.js';
import { createSizePicker, type PayloadSource } from './payload-source.js';
import { SignalBox } from './signal-box.js';
import type { WorkloadCommon } from './spec.js';
import { wireNowNs } from './wire-time.js';
import { waitFor } from './wait-for.js';
import { sum, WorkloadRun } from './workload-run.js';

export interface TcpEchoSpec extends WorkloadCommon {
  type: 'tcp-echo';
}

const TCP_ECHO = { type: 'tcp-echo', protocol: 'tcp', shape: 'round-trip' } as const;

interface Shared {
  run: WorkloadRun;
  spec: TcpEchoSpec;
  ctx: WorkloadContext;
  payloads: PayloadSource;
  rtt: LatencyHistogram;
  connect: LatencyHistogram;
}

export async function runTcpEcho(spec: TcpEchoSpec, ctx: WorkloadContext): Promise<WorkloadResult> {
  const run = new WorkloadRun(spec, ctx);
  const shared: Shared = { run, spec, ctx, payloads: run.payloads(), rtt: new LatencyHistogram(), connect: new LatencyHistogram() };
  const connections: EchoConnection[] = [];
  if (await run.waitForStart()) {
    run.startProgress(() => run.totals);
    for (let i = 0; i < spec.connections; i++) connections.push(new EchoConnection(shared, i));
    await Promise.all(connections.map((c) => c.run()));
    run.stopProgress();
  }
  let sequence: SequenceCounts = emptySequenceCounts();
  for (const c of connections) sequence = addSequenceCounts(sequence, c.tracker.counts(c.sent));
  run.noteIfAborted('messages still awaiting a reply count as lost');
  return assembleWorkloadResult({
    ...run.resultBase(TCP_ECHO, spec.rate !== 'max'),
    sequence,
    bytesSent: sum(connections, (c) => c.bytesSent),
    bytesReceived: sum(connections, (c) => c.bytesReceived),
    bytesIntact: sum(connections, (c) => c.bytesIntact),
    connections: { attempted: connections.length, failed: connections.filter((c) => c.failed).length },
    histograms: { rtt_ms: shared.rtt, connect_ms: shared.connect },
  });
}

class EchoConnection {
  readonly tracker = new SequenceTracker();
  sent = 0;
  bytesSent = 0;
  bytesReceived = 0;
  bytesIntact = 0;
  failed = false;
  private socket: Socket | undefined;
  private readonly outstanding: OutstandingRequests;
  private stopLoop: (() => void) | undefined;
  private stopped = false;
  private closed = false;
  private readonly changed = new SignalBox();
  private readonly nextSize: () => number;
  private readonly limit: number;

  constructor(
    private readonly s: Shared,
    private readonly flowId: number,
  ) {
    this.nextSize = createSizePicker(s.spec.size, s.ctx.rng.fork(`size:${flowId}`));
    this.limit = s.spec.messages ?? (s.spec.durationMs === undefined ? 100 : Infinity);
    this.outstanding = new OutstandingRequests(s.run.clock, (seq) =>
      this.fail(ErrorCodes.timeout, `no reply to request ${seq} within ${s.spec.timeoutMs} ms`, true),
    );
  }

  async run(): Promise<void> {
    const { run, ctx } = this.s;
    const socket = await run.connect(this.s.connect);
    if (typeof socket === 'string') {
      this.failed = socket === 'failed';
      return;
    }
    this.socket = socket;
    const reader = new FrameReader({
      onFrame: (frame) => this.reply(frame),
      onGarbage: (bytes) => {
        this.tracker.recordUnidentified();
        this.fail(ErrorCodes.badFrame, `echo stream carried ${bytes} bytes that are not frames`, false);
      },
    });
    socket.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      reader.push(chunk);
    });
    socket.on('error', (error) => {
      const { code, message } = classifyError(error);
      this.fail(code, message, true);
    });
    socket.on('end', () => {
      if (!this.stopped || this.outstanding.size > 0) {
        this.fail(ErrorCodes.eofEarly, `server closed the connection with ${this.outstanding.size} replies outstanding after ${this.sent} requests`, true);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      this.stopped = true;
      this.stopLoop?.();
      this.outstanding.cancel();
      this.changed.notify();
    });

    await this.sendAll();
    // Wait for the last replies; the deadline timer ends the wait if they do not come.
    while (!this.closed && this.outstanding.size > 0 && !ctx.signal.aborted) await this.changed.wait(ctx.signal);
    this.stopped = true;
    this.outstanding.cancel();
    await this.close();
  }

  private async sendAll(): Promise<void> {
    const { run, spec, ctx } = this.s;
    const endAtMs = run.endAtMs;
    if (spec.rate === 'max') {
      while (!this.stopped && !ctx.signal.aborted && this.sent < this.limit) {
        if (endAtMs !== undefined && run.clock.now() >= endAtMs) break;
        this.sendOne();
        while (!this.stopped && this.outstanding.size > 0 && !ctx.signal.aborted) await this.changed.wait(ctx.signal);
      }
      return;
    }
    const loop = run.sendLoop({
      sendNext: () => {
        if (this.stopped || this.sent >= this.limit) return null;
        this.sendOne();
        return 1;
      },
      waitWritable: () => (this.socket?.writableNeedDrain && !this.stopped ? this.drainOrChange() : null),
    });
    this.stopLoop = loop.stop;
    await loop.done;
    this.stopLoop = undefined;
  }

  private drainOrChange(): Promise<unknown> {
    return Promise.race([new Promise((resolve) => this.socket!.once('drain', resolve)), this.changed.wait(this.s.ctx.signal)]);
  }

  private sendOne(): void {
    const { run, spec, ctx, payloads } = this.s;
    const seq = this.sent;
    const size = this.nextSize();
    const sentNs = wireNowNs();
    const frame = encodeFrame(
      { workloadId: ctx.workloadId, flowId: this.flowId, seq, sentNs },
      payloads.bytes(seq, size),
      payloads.crc(seq, size),
    );
    const now = run.clock.now();
    this.outstanding.add(seq, sentNs, now + spec.timeoutMs);
    this.sent++;
    this.s.run.totals.sent++;
    this.bytesSent += frame.length;
    run.series.sent(run.anchor.toClockMs(sentNs));
    this.socket!.write(frame);
  }

  private reply({ header, intact }: ReceivedFrame): void {
    const { run, ctx } = this.s;
    if (header.workloadId !== ctx.workloadId || header.flowId !== this.flowId) {
      this.tracker.recordUnidentified();
      this.fail(ErrorCodes.badFrame, `echo reply carries workload ${header.workloadId} flow ${header.flowId}, expected ${ctx.workloadId}/${this.flowId}`, false);
      return;
    }
    const arrivalNs = wireNowNs();
    const now = run.clock.now();
    const bytes = FRAME_HEADER_BYTES + header.payloadLength;
    const pending = this.outstanding.take(header.seq);
    if (pending === undefined) {
      if (this.tracker.has(header.seq)) {
        this.tracker.record(header.seq, intact);
        run.series.received(now, bytes);
      } else {
        this.tracker.recordUnidentified();
        this.fail(ErrorCodes.badFrame, `echo reply for sequence ${header.seq}, which was never sent`, false);
      }
      return;
    }
    this.tracker.record(header.seq, intact);
    if (intact) this.bytesIntact += bytes;
    const rttMs = (arrivalNs - pending.sentNs) / 1e6;
    this.s.rtt.record(rttMs);
    run.series.received(now, bytes, run.anchor.toClockMs(pending.sentNs));
    run.series.latency(now, rttMs);
    this.s.run.totals.received++;
    this.changed.notify();
  }

  /** Records an error; `fatal` ends the connection (what is outstanding counts as lost). */
  private fail(code: string, message: string, fatal: boolean): void {
    if (this.closed && fatal) return;
    if (fatal && this.stopped && this.outstanding.size === 0 && code !== ErrorCodes.eofEarly) {
      // The work was done; an error while closing (a reset on teardown) is not the workload's.
      if (code === 'ECONNRESET' || code === 'EPIPE') return;
    }
    this.s.run.error(code, message);
    if (fatal) {
      this.failed = true;
      this.stopped = true;
      this.stopLoop?.();
      this.outstanding.cancel();
      this.socket?.destroy();
      this.changed.notify();
    }
  }

  private async close(): Promise<void> {
    const socket = this.socket;
    if (socket === undefined || this.closed) return;
    socket.end();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await waitFor(closed, this.s.run.clock, this.s.spec.timeoutMs, this.s.ctx.signal);
    socket.destroy();
  }
}

export const tcpEcho = defineWorkload<TcpEchoSpec>({
  ...TCP_ECHO,
  summary: 'Request/response over TCP connections; measures rtt_ms, connect_ms and errors.',
  options: [...COMMON_OPTIONS, ...FRAMED_OPTIONS, 'connect_timeout'],
  load: () => ({}),
  run: runTcpEcho,
  metrics: [...BASE_METRICS, ...SEQUENCE_METRICS, ...CONNECTION_METRICS, ...TCP_KERNEL_METRICS, 'rtt_ms'],
  example: { messages: 5 },
});
