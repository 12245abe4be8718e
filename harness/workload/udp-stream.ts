/**
 * `udp-stream`: one-way datagrams to the built-in sink over `connections` flows (one socket each),
 * paced on an absolute schedule (send-schedule.ts). The sink measures each datagram: one-way delay,
 * loss, duplicates, reorder distance, RFC 3550 jitter, inter-arrival times.
 *
 *   schedule ──▶ due datagrams ──▶ socket.send ─── path ───▶ sink: decode, verify, account
 *   after the last send: wait ≤ timeoutMs for the tail (returns as soon as everything arrived)
 *   sink.collect(workloadId) + /proc/net/snmp deltas ──▶ result (+ notes on incidental loss)
 *
 * The sender and the built-in sink share one event loop, so the sender sends what is due and
 * sleeps until the next due time (never a flat-out loop unless asked for `rate: max`), and asks
 * for large socket buffers so short catch-up bursts do not overflow the receiver.
 */
import type dgram from 'node:dgram';
import type { WorkloadResult } from '../core/result.js';
import { assembleWorkloadResult } from '../metrics/assemble-workload-result.js';
import { classifyError } from './classify-error.js';
import { BASE_METRICS, COMMON_OPTIONS, defineWorkload, FRAMED_OPTIONS, SEQUENCE_METRICS, UDP_TIMING_METRICS } from './definition.js';
import type { WorkloadContext } from './context.js';
import { FRAME_HEADER_BYTES, writeFrameHeaderFields } from './frame.js';
import { createSizePicker, type PayloadSource } from './payload-source.js';
import { UDP_MAX_BURST } from './send-schedule.js';
import type { WorkloadReceiver } from './servers/flow-receiver.js';
import type { WorkloadCommon } from './spec.js';
import { goodputBytesPerSec, sumReceivedFlows } from './sink-flows.js';
import { closeUdp, openUdpFlow } from './udp-connect.js';
import { jitterOfFlows, udpNotes } from './udp-notes.js';
import { wireNowNs } from './wire-time.js';
import { WorkloadRun } from './workload-run.js';

export interface UdpStreamSpec extends WorkloadCommon {
  type: 'udp-stream';
}

const UDP_STREAM = { type: 'udp-stream', protocol: 'udp', shape: 'stream' } as const;

/** How often the sender checks whether the sink has the whole tail, ms. */
const TAIL_POLL_MS = 5;

interface Shared {
  run: WorkloadRun;
  spec: UdpStreamSpec;
  ctx: WorkloadContext;
  payloads: PayloadSource;
}

export async function runUdpStream(spec: UdpStreamSpec, ctx: WorkloadContext): Promise<WorkloadResult> {
  const run = new WorkloadRun(spec, ctx);
  const shared: Shared = { run, spec, ctx, payloads: run.payloads() };
  ctx.sink?.prepare(ctx.workloadId, { originMs: ctx.scenarioStartMs, bucketMs: run.bucketMs });
  const flows: StreamFlow[] = [];
  if (await run.waitForStart()) {
    run.watchKernelUdp();
    run.startProgress(() => ({ sent: run.totals.sent, received: arrivals(ctx.sink?.peek(ctx.workloadId)) }));
    for (let i = 0; i < spec.connections; i++) flows.push(new StreamFlow(shared, i));
    await Promise.all(flows.map((f) => f.open()));
    await Promise.all(flows.map((f) => f.send()));
    await waitForTail(shared, flows);
    await Promise.all(flows.map((f) => f.close()));
    run.stopProgress();
  }
  const kernelUdp = run.kernelUdpDelta();
  const receiver = await ctx.sink?.collect(ctx.workloadId);
  for (const f of flows) {
    const note = f.pacingNote();
    if (note) run.notes.push(note);
  }
  const paced = spec.rate === 'max' ? [] : flows.filter((f) => f.achievedRate() !== undefined);
  const sendRate =
    spec.rate === 'max' || paced.length === 0
      ? undefined
      : { askedPerSec: spec.rate * paced.length, achievedPerSec: paced.reduce((sum, f) => sum + f.achievedRate()!, 0) };
  run.notes.push(...udpNotes(kernelUdp, run.lateness, spec.rate));
  run.noteIfAborted('datagrams in flight were not waited for');
  if (receiver === undefined) {
    run.notes.push(`no built-in sink behind this workload: ${run.totals.sent} datagrams sent, receiver-side metrics are not available`);
  } else {
    run.series.merge(receiver.series);
  }
  const base = {
    ...run.resultBase(UDP_STREAM, spec.rate !== 'max', kernelUdp),
    bytesSent: flows.reduce((sum, f) => sum + f.bytesSent, 0),
    ...(sendRate ? { sendRate } : {}),
  };
  if (receiver === undefined) return assembleWorkloadResult({ ...base, bytesReceived: 0, histograms: {} });
  const received = sumReceivedFlows(
    receiver,
    flows.map((f) => ({ flowId: f.flowId, sent: f.sent })),
  );
  return assembleWorkloadResult({
    ...base,
    sequence: received.sequence,
    bytesReceived: received.bytesReceived,
    goodputBytesPerSec: goodputBytesPerSec(received, run.startedAt),
    jitterMs: jitterOfFlows(received.jitters),
    histograms: { one_way_delay_ms: received.oneWay, interarrival_ms: received.interarrival },
  });
}

/** Datagrams the sink has seen for the workload (unique or damaged), for progress and the tail wait. */
function arrivals(receiver: WorkloadReceiver | undefined): number {
  let count = 0;
  if (receiver) for (const flow of receiver.flows.values()) count += flow.sequence.counts(0).received;
  return count;
}

/** Waits until the sink has as many datagrams as were sent, or `timeoutMs` passes. */
async function waitForTail(s: Shared, flows: StreamFlow[]): Promise<void> {
  const { run, ctx, spec } = s;
  if (ctx.sink === undefined) return;
  const sent = flows.reduce((sum, f) => sum + f.sent, 0);
  const deadline = run.clock.now() + spec.timeoutMs;
  while (!ctx.signal.aborted && run.clock.now() < deadline) {
    if (arrivals(ctx.sink.peek(ctx.workloadId)) >= sent) return;
    await run.clock.sleep(Math.min(TAIL_POLL_MS, deadline - run.clock.now()), ctx.signal);
  }
}

class StreamFlow {
  sent = 0;
  bytesSent = 0;
  private socket: dgram.Socket | undefined;
  private firstSendMs = NaN;
  private lastSendMs = NaN;
  private readonly nextSize: () => number;
  private readonly onSent: (error: Error | null) => void;

  constructor(
    private readonly s: Shared,
    readonly flowId: number,
  ) {
    this.nextSize = createSizePicker(s.spec.size, s.ctx.rng.fork(`size:${flowId}`));
    this.onSent = (error) => {
      if (!error) return;
      // The datagram never left: it does not count as sent (the receiver could not miss it).
      this.sent--;
      this.s.run.totals.sent--;
      const { code, message } = classifyError(error);
      this.s.run.error(code, message);
    };
  }

  async open(): Promise<void> {
    const { run, ctx } = this.s;
    const opened = await openUdpFlow(ctx.endpoint, ctx.path?.client);
    if (!opened.ok) {
      run.error(opened.error.code, opened.error.message);
      return;
    }
    this.socket = opened.socket;
    this.socket.on('error', (error) => {
      const { code, message } = classifyError(error);
      run.error(code, message);
    });
    // Nothing should come back from a sink; drain anything that does.
    this.socket.on('message', () => {});
  }

  async send(): Promise<void> {
    const socket = this.socket;
    if (socket === undefined) return;
    const { run, spec, ctx, payloads } = this.s;
    const limit = spec.messages ?? (spec.durationMs === undefined ? 100 : Infinity);
    let seq = 0;
    const loop = run.sendLoop({
      maxBurst: UDP_MAX_BURST,
      sendNext: (dueAtMs) => {
        if (seq >= limit) return null;
        const size = this.nextSize();
        const datagram = Buffer.allocUnsafe(FRAME_HEADER_BYTES + size);
        const sentNs = wireNowNs();
        writeFrameHeaderFields(datagram, 0, ctx.workloadId, this.flowId, seq, sentNs, size, payloads.crc(seq, size));
        payloads.bytes(seq, size).copy(datagram, FRAME_HEADER_BYTES);
        seq++;
        this.sent++;
        this.s.run.totals.sent++;
        this.bytesSent += datagram.length;
        if (Number.isNaN(this.firstSendMs)) this.firstSendMs = dueAtMs;
        this.lastSendMs = run.clock.now();
        // Bucketed by the frame's own timestamp, exactly as the sink buckets it (the lost column).
        run.series.sent(run.anchor.toClockMs(sentNs));
        socket.send(datagram, this.onSent);
        return 1;
      },
    });
    await loop.done;
  }

  async close(): Promise<void> {
    if (this.socket) await closeUdp(this.socket);
  }

  /**
   * Datagrams per second from the first one's due time to the last one's send, or undefined with
   * fewer than two. Exactly the asked rate for a punctual sender.
   */
  achievedRate(): number | undefined {
    const spanMs = this.lastSendMs - this.firstSendMs;
    if (this.sent < 2 || !(spanMs > 0)) return undefined;
    return (this.sent - 1) / (spanMs / 1000);
  }

  /** A note when the achieved send rate fell more than 1% short of the asked one. */
  pacingNote(): string | undefined {
    const rate = this.s.spec.rate;
    const achieved = this.achievedRate();
    if (rate === 'max' || achieved === undefined || !(achieved < rate * 0.99)) return undefined;
    return `flow ${this.flowId} sent at ${achieved.toFixed(0)}/s, short of the asked ${rate}/s: the harness could not keep up`;
  }
}

export const udpStream = defineWorkload<UdpStreamSpec>({
  ...UDP_STREAM,
  summary: 'One-way datagrams to a builtin sink; measures one_way_delay_ms, loss, reordering, jitter.',
  options: [...COMMON_OPTIONS, ...FRAMED_OPTIONS],
  load: () => ({}),
  run: runUdpStream,
  metrics: [...BASE_METRICS, ...SEQUENCE_METRICS, ...UDP_TIMING_METRICS, 'one_way_delay_ms', 'goodput_bytes_per_sec', 'incidental_lost_total'],
  example: { messages: 5 },
});
