/**
 * `udp-echo`: ping/pong datagrams over `connections` flows, each its own connected socket.
 * Every datagram is one frame; the echo must come back as the same frame.
 *
 *   send seq n (rate, or with 'max' the next once n is answered or lost)
 *   reply ──▶ decodeDatagram ──▶ ids match? waiting for n? ──▶ RTT, jitter (RFC 3550 on RTT),
 *                                                              order, duplicates, integrity
 *   no reply within timeoutMs ──▶ lost (loss is data, not an error); a reply after that is "late"
 *
 * ICMP errors (ECONNREFUSED when nothing listens) arrive on the connected socket and are
 * recorded as errors; the flow keeps sending, as UDP would.
 */
import type dgram from 'node:dgram';
import type { WorkloadResult } from '../core/result.js';
import { assembleWorkloadResult } from '../metrics/assemble-workload-result.js';
import { InterarrivalJitter } from '../metrics/interarrival-jitter.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { addSequenceCounts, emptySequenceCounts, SequenceTracker, type SequenceCounts } from '../metrics/sequence-tracker.js';
import { classifyError } from './classify-error.js';
import { BASE_METRICS, COMMON_OPTIONS, defineWorkload, FRAMED_OPTIONS, SEQUENCE_METRICS, UDP_TIMING_METRICS } from './definition.js';
import type { WorkloadContext } from './context.js';
import { decodeDatagram, encodeFrame } from './frame.js';
import { OutstandingRequests } from './outstanding-requests.js';
import { createSizePicker, type PayloadSource } from './payload-source.js';
import { UDP_MAX_BURST } from './send-schedule.js';
import { SignalBox } from './signal-box.js';
import type { WorkloadCommon } from './spec.js';
import { closeUdp, openUdpFlow } from './udp-connect.js';
import { jitterOfFlows, udpNotes } from './udp-notes.js';
import { wireNowNs } from './wire-time.js';
import { sum, WorkloadRun } from './workload-run.js';

export interface UdpEchoSpec extends WorkloadCommon {
  type: 'udp-echo';
}

const UDP_ECHO = { type: 'udp-echo', protocol: 'udp', shape: 'round-trip' } as const;

interface Shared {
  run: WorkloadRun;
  spec: UdpEchoSpec;
  ctx: WorkloadContext;
  payloads: PayloadSource;
  rtt: LatencyHistogram;
}

export async function runUdpEcho(spec: UdpEchoSpec, ctx: WorkloadContext): Promise<WorkloadResult> {
  const run = new WorkloadRun(spec, ctx);
  const shared: Shared = { run, spec, ctx, payloads: run.payloads(), rtt: new LatencyHistogram() };
  const flows: EchoFlow[] = [];
  if (await run.waitForStart()) {
    run.watchKernelUdp();
    run.startProgress(() => run.totals);
    for (let i = 0; i < spec.connections; i++) flows.push(new EchoFlow(shared, i));
    await Promise.all(flows.map((f) => f.run()));
    run.stopProgress();
  }
  const kernelUdp = run.kernelUdpDelta();
  let sequence: SequenceCounts = emptySequenceCounts();
  const interarrival = new LatencyHistogram();
  for (const f of flows) {
    sequence = addSequenceCounts(sequence, f.tracker.counts(f.sent));
    interarrival.merge(f.jitter.interarrival);
  }
  const late = sum(flows, (f) => f.late);
  if (late > 0) run.notes.push(`${late} replies arrived after the ${spec.timeoutMs} ms timeout and were counted as lost`);
  run.notes.push(...udpNotes(kernelUdp, run.lateness, spec.rate));
  run.noteIfAborted('datagrams still awaiting a reply count as lost');
  return assembleWorkloadResult({
    ...run.resultBase(UDP_ECHO, spec.rate !== 'max', kernelUdp),
    sequence,
    bytesSent: sum(flows, (f) => f.bytesSent),
    bytesReceived: sum(flows, (f) => f.bytesReceived),
    jitterMs: jitterOfFlows(flows.map((f) => f.jitter)),
    histograms: { rtt_ms: shared.rtt, interarrival_ms: interarrival },
  });
}

class EchoFlow {
  readonly tracker = new SequenceTracker();
  readonly jitter = new InterarrivalJitter();
  sent = 0;
  bytesSent = 0;
  bytesReceived = 0;
  late = 0;
  private socket: dgram.Socket | undefined;
  private readonly outstanding: OutstandingRequests;
  private readonly changed = new SignalBox();
  private readonly nextSize: () => number;
  private readonly limit: number;
  private readonly onSent: (error: Error | null) => void;

  constructor(
    private readonly s: Shared,
    private readonly flowId: number,
  ) {
    this.nextSize = createSizePicker(s.spec.size, s.ctx.rng.fork(`size:${flowId}`));
    this.limit = s.spec.messages ?? (s.spec.durationMs === undefined ? 100 : Infinity);
    // An expired request is lost; `tracker` never saw it, so `sent − received` counts it.
    this.outstanding = new OutstandingRequests(s.run.clock, () => this.changed.notify());
    this.onSent = (error) => {
      if (error) this.sendFailed(error);
    };
  }

  async run(): Promise<void> {
    const { run, ctx, spec } = this.s;
    const opened = await openUdpFlow(ctx.endpoint, ctx.path?.client);
    if (!opened.ok) {
      run.error(opened.error.code, opened.error.message);
      return;
    }
    const socket = opened.socket;
    this.socket = socket;
    socket.on('message', (message: Buffer) => this.reply(message));
    socket.on('error', (error) => {
      const { code, message } = classifyError(error);
      run.error(code, message);
    });

    const endAtMs = run.endAtMs;
    if (spec.rate === 'max') {
      while (!ctx.signal.aborted && this.sent < this.limit) {
        if (endAtMs !== undefined && run.clock.now() >= endAtMs) break;
        this.sendOne();
        while (this.outstanding.size > 0 && !ctx.signal.aborted) await this.changed.wait(ctx.signal);
      }
    } else {
      const loop = run.sendLoop({
        maxBurst: UDP_MAX_BURST,
        sendNext: () => {
          if (this.sent >= this.limit) return null;
          this.sendOne();
          return 1;
        },
      });
      await loop.done;
    }
    while (this.outstanding.size > 0 && !ctx.signal.aborted) await this.changed.wait(ctx.signal);
    this.outstanding.cancel();
    await closeUdp(socket);
  }

  private sendOne(): void {
    const { run, spec, ctx, payloads } = this.s;
    const seq = this.sent;
    const size = this.nextSize();
    const sentNs = wireNowNs();
    const datagram = encodeFrame({ workloadId: ctx.workloadId, flowId: this.flowId, seq, sentNs }, payloads.bytes(seq, size), payloads.crc(seq, size));
    const now = run.clock.now();
    this.outstanding.add(seq, sentNs, now + spec.timeoutMs);
    this.sent++;
    this.s.run.totals.sent++;
    this.bytesSent += datagram.length;
    run.series.sent(run.anchor.toClockMs(sentNs));
    this.socket!.send(datagram, this.onSent);
  }

  /**
   * The send failed (an ICMP error was pending, a buffer was full, the datagram was too big). It
   * stays counted as sent, and so as lost when no reply comes; the error says why.
   */
  private sendFailed(error: Error): void {
    const { code, message } = classifyError(error);
    this.s.run.error(code, message);
  }

  private reply(message: Buffer): void {
    const { run, ctx } = this.s;
    const arrivalNs = wireNowNs();
    const now = run.clock.now();
    this.bytesReceived += message.length;
    run.series.bytes(now, message.length);
    const decoded = decodeDatagram(message);
    if (!decoded.ok || decoded.header.workloadId !== ctx.workloadId || decoded.header.flowId !== this.flowId) {
      this.tracker.recordUnidentified();
      return;
    }
    const { header, intact } = decoded;
    const pending = this.outstanding.take(header.seq);
    if (pending === undefined) {
      if (this.tracker.has(header.seq)) {
        this.tracker.record(header.seq, intact);
        this.jitter.record(header.sentNs / 1e6, arrivalNs / 1e6);
      } else if (header.seq < this.sent) {
        this.late++;
      } else {
        this.tracker.recordUnidentified();
      }
      return;
    }
    this.tracker.record(header.seq, intact);
    this.jitter.record(pending.sentNs / 1e6, arrivalNs / 1e6);
    const rttMs = (arrivalNs - pending.sentNs) / 1e6;
    this.s.rtt.record(rttMs);
    run.series.received(now, 0, run.anchor.toClockMs(pending.sentNs));
    run.series.latency(now, rttMs);
    this.s.run.totals.received++;
    this.changed.notify();
  }
}

export const udpEcho = defineWorkload<UdpEchoSpec>({
  ...UDP_ECHO,
  summary: 'Ping/pong datagrams; measures rtt_ms, loss, duplicates, reordering, jitter.',
  options: [...COMMON_OPTIONS, ...FRAMED_OPTIONS],
  load: () => ({}),
  run: runUdpEcho,
  metrics: [...BASE_METRICS, ...SEQUENCE_METRICS, ...UDP_TIMING_METRICS, 'rtt_ms', 'incidental_lost_total'],
  example: { messages: 5 },
});
