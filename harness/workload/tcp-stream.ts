/**
 * `tcp-stream`: one-way bulk transfer of framed messages to the built-in sink, over
 * `connections` connections. Each sends `messages` frames, `bytes` bytes (framing included; the
 * last frame is cut to fit, so the total is exact to within one 40-byte header) or for
 * `durationMs`, at a message rate, a byte rate, or as fast as the socket drains ('max').
 *
 *   frames ──▶ [batch ≤ 256 KiB, frame-batch.ts] ──▶ one corked write (backpressure: wait for 'drain')
 *                                         │ write callback: bytes/frames the kernel took
 *   end() ──▶ wait ≤ timeoutMs for the sink to close its side (it has read everything by then)
 *   sink.collect(workloadId) ──▶ per-frame verdict: order, checksum, duplicates, gaps, delay
 *
 * Frames are batched into large writes because a `socket.write` per 64-byte frame would measure
 * the JavaScript call overhead, not the path; large payloads are not even copied (frame-batch.ts). The sender counts a frame as sent once the kernel
 * accepted the write that carried it: frames still in Node's buffer when the connection died
 * were never "finished writing" (StreamVerdict).
 */
import type { Socket } from 'node:net';
import type { StreamVerdict, WorkloadResult } from '../core/result.js';
import { assembleWorkloadResult } from '../metrics/assemble-workload-result.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { addSequenceCounts, emptySequenceCounts, type SequenceCounts } from '../metrics/sequence-tracker.js';
import { classifyError, ErrorCodes } from './classify-error.js';
import type { WorkloadContext } from './context.js';
import { FRAME_HEADER_BYTES } from './frame.js';
import { BATCH_BYTES, FrameBatch, ZERO_COPY_MIN_PAYLOAD_BYTES } from './frame-batch.js';
import { createSizePicker, maxSizeOf, PayloadSource } from './payload-source.js';
import { runSendLoop } from './send-schedule.js';
import type { FlowReceiver } from './servers/flow-receiver.js';
import type { TcpStreamSpec } from './spec.js';
import { connectTcp } from './tcp-connect.js';
import { waitFor } from './wait-for.js';
import { WorkloadRun } from './workload-run.js';

const MAX_SPARE_BATCHES = 4;

interface Shared {
  run: WorkloadRun;
  spec: TcpStreamSpec;
  ctx: WorkloadContext;
  payloads: PayloadSource;
  connect: LatencyHistogram;
  lateness: LatencyHistogram;
  totals: { sent: number; received: number };
}

export async function runTcpStream(spec: TcpStreamSpec, ctx: WorkloadContext): Promise<WorkloadResult> {
  const run = new WorkloadRun(spec, ctx);
  const shared: Shared = {
    run,
    spec,
    ctx,
    payloads: new PayloadSource(ctx.rng.fork('payload'), maxSizeOf(spec.size)),
    connect: new LatencyHistogram(),
    lateness: new LatencyHistogram(),
    totals: { sent: 0, received: 0 },
  };
  ctx.sink?.prepare(ctx.workloadId, { originMs: ctx.scenarioStartMs, bucketMs: run.bucketMs });
  const connections: StreamConnection[] = [];
  if (await run.waitForStart()) {
    run.startProgress(() => ({ sent: shared.totals.sent, received: receivedSoFar(ctx) }));
    for (let i = 0; i < spec.connections; i++) connections.push(new StreamConnection(shared, i));
    await Promise.all(connections.map((c) => c.run()));
    run.stopProgress();
  }
  run.noteIfAborted('frames still in flight were not waited for');
  const receiver = ctx.sink?.collect(ctx.workloadId);
  const bytesSent = connections.reduce((sum, c) => sum + c.bytesSent, 0);
  const framesSent = connections.reduce((sum, c) => sum + c.framesSent, 0);
  const common = {
    name: spec.name,
    kind: 'tcp-stream' as const,
    protocol: 'tcp' as const,
    ...(ctx.proxy !== undefined ? { proxy: ctx.proxy } : {}),
    startedAtMs: run.startedAtRel(),
    durationMs: run.durationMs(),
    bytesSent,
    connections: { attempted: connections.length, failed: connections.filter((c) => c.failed).length },
    ...(spec.rate !== 'max' || spec.rateBytesPerSec !== undefined ? { sendLateness: shared.lateness } : {}),
    errors: run.errors,
    series: run.series,
    notes: run.notes,
  };
  if (receiver === undefined) {
    run.notes.push('no built-in sink behind this workload: receiver-side metrics (delivery, order, integrity, delay) are not available');
    return assembleWorkloadResult({ ...common, bytesReceived: 0, histograms: { connect_ms: shared.connect } });
  }

  let sequence: SequenceCounts = emptySequenceCounts();
  let bytesReceived = 0;
  let bytesIntact = 0;
  let lastArrivalMs = NaN;
  const oneWay = new LatencyHistogram();
  for (const c of connections) {
    const flow: FlowReceiver | undefined = receiver.flows.get(c.flowId);
    if (flow === undefined) {
      sequence = addSequenceCounts(sequence, { ...emptySequenceCounts(), sent: c.framesSent, lost: c.framesSent });
      continue;
    }
    sequence = addSequenceCounts(sequence, flow.sequence.counts(c.framesSent));
    bytesReceived += flow.bytesReceived;
    bytesIntact += flow.bytesIntact;
    oneWay.merge(flow.oneWayDelay);
    if (!(flow.lastArrivalMs <= lastArrivalMs)) lastArrivalMs = flow.lastArrivalMs;
    if (flow.partialBytes > 0 && !c.failed) {
      run.errors.record(ErrorCodes.eofEarly, run.rel(flow.lastArrivalMs), `connection ${c.flowId}: the sink's stream ended ${flow.partialBytes} bytes into a frame`);
      c.failed = true;
    }
  }
  run.series.merge(receiver.series);
  const missing = sequence.lost;
  const stream: StreamVerdict = {
    bytesSent,
    bytesReceived,
    framesSent,
    framesReceived: sequence.received,
    inOrder: sequence.reordered === 0,
    intact: missing === 0 && sequence.duplicated === 0 && sequence.corrupted === 0,
    missingFrames: missing,
    duplicatedFrames: sequence.duplicated,
    corruptedFrames: sequence.corrupted,
  };
  const elapsedSec = (lastArrivalMs - run.startedAt) / 1000;
  return assembleWorkloadResult({
    ...common,
    sequence,
    bytesReceived,
    bytesIntact,
    goodputBytesPerSec: elapsedSec > 0 ? bytesIntact / elapsedSec : 0,
    histograms: { connect_ms: shared.connect, one_way_delay_ms: oneWay },
    stream,
  });
}

function receivedSoFar(ctx: WorkloadContext): number {
  const receiver = ctx.sink?.peek(ctx.workloadId);
  let received = 0;
  if (receiver) for (const flow of receiver.flows.values()) received += flow.sequence.uniqueReceived;
  return received;
}

class StreamConnection {
  /** Frames and bytes the kernel accepted. */
  framesSent = 0;
  bytesSent = 0;
  failed = false;
  private socket: Socket | undefined;
  private seq = 0;
  private bytesQueued = 0;
  private batch: FrameBatch | null = null;
  /** Batch buffers whose write completed, reused: a fresh 256 KiB buffer per write costs an mmap. */
  private readonly spare: Buffer[] = [];
  private stopped = false;
  private closed = false;
  private stopLoop: (() => void) | undefined;
  private readonly nextSize: () => number;

  constructor(
    private readonly s: Shared,
    readonly flowId: number,
  ) {
    this.nextSize = createSizePicker(s.spec.size, s.ctx.rng.fork(`size:${flowId}`));
  }

  async run(): Promise<void> {
    const { run, spec, ctx } = this.s;
    const outcome = await connectTcp(ctx.endpoint, spec.connectTimeoutMs, run.clock, ctx.signal);
    if (!outcome.ok) {
      if (outcome.error) {
        this.failed = true;
        run.error(outcome.error.code, outcome.error.message);
      }
      return;
    }
    this.s.connect.record(outcome.connectMs);
    const socket = outcome.socket;
    this.socket = socket;
    const closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.stop();
        resolve();
      }),
    );
    socket.on('error', (error) => this.fail(classifyError(error).code, error.message));
    // The sink never writes; reading keeps the socket flowing so its FIN is seen.
    socket.on('data', () => {});
    socket.on('end', () => {
      if (!this.stopped) this.fail(ErrorCodes.eofEarly, `the receiver closed the connection after ${this.framesSent} frames, before the sender finished`);
    });

    await this.sendAll();
    this.stopped = true;
    if (!this.closed && !ctx.signal.aborted) {
      socket.end();
      const waited = await waitFor(closed, run.clock, spec.timeoutMs, ctx.signal);
      if (waited === 'timeout' && !this.closed) {
        this.fail(ErrorCodes.timeout, `the receiver did not finish reading within ${spec.timeoutMs} ms after the sender finished`);
      }
    }
    socket.destroy();
    await closed;
  }

  private async sendAll(): Promise<void> {
    const { run, spec, ctx } = this.s;
    const endAtMs = run.endAtMs;
    const byteRate = spec.rateBytesPerSec !== undefined;
    const loop = runSendLoop({
      clock: run.clock,
      signal: ctx.signal,
      startMs: run.clock.now(),
      rate: byteRate ? spec.rateBytesPerSec! : spec.rate,
      ...(endAtMs !== undefined ? { endAtMs } : {}),
      lateness: this.s.lateness,
      sendNext: () => this.queueFrame(byteRate),
      flush: () => this.flush(),
      blocked: () => this.socket!.writableNeedDrain,
      waitWritable: () => (this.socket!.writableNeedDrain && !this.stopped ? this.drained() : null),
    });
    this.stopLoop = loop.stop;
    await loop.done;
    this.stopLoop = undefined;
    this.flush();
  }

  /** Encodes the next frame into the batch; returns its units (1, or bytes for a byte rate). */
  private queueFrame(byteRate: boolean): number | null {
    if (this.stopped) return null;
    const { spec, ctx, payloads } = this.s;
    let size = this.nextSize();
    if (spec.bytes !== undefined) {
      const remaining = spec.bytes - this.bytesQueued;
      if (remaining <= 0) return null;
      size = Math.max(0, Math.min(size, remaining - FRAME_HEADER_BYTES));
    } else if (spec.messages !== undefined && this.seq >= spec.messages) {
      return null;
    } else if (spec.messages === undefined && spec.durationMs === undefined && this.seq >= 100) {
      return null;
    }
    const frameBytes = FRAME_HEADER_BYTES + size;
    if (this.batch !== null && !this.batch.fits(size)) this.flush();
    if (this.batch === null) {
      const copied = size >= ZERO_COPY_MIN_PAYLOAD_BYTES ? FRAME_HEADER_BYTES : frameBytes;
      this.batch = new FrameBatch(copied <= BATCH_BYTES ? (this.spare.pop() ?? Buffer.allocUnsafe(BATCH_BYTES)) : Buffer.allocUnsafe(copied));
    }
    const seq = this.seq++;
    this.batch.add(ctx.workloadId, this.flowId, seq, this.batch.sentNs, payloads.bytes(seq, size), payloads.crc(seq, size));
    this.bytesQueued += frameBytes;
    this.s.totals.sent++;
    return byteRate ? frameBytes : 1;
  }

  /** Writes the batch as one corked write; its frames count as sent once the kernel took them. */
  private flush(): void {
    const batch = this.batch;
    if (batch === null || batch.frames === 0) return;
    this.batch = null;
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return;
    this.s.run.series.sent(this.s.run.clock.now(), batch.frames);
    const chunks = batch.finish();
    socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) socket.write(chunks[i]!);
    socket.write(chunks[chunks.length - 1]!, (error) => {
      // Written (or failed): the buffer can carry frames again.
      if (batch.buffer.length === BATCH_BYTES && this.spare.length < MAX_SPARE_BATCHES) this.spare.push(batch.buffer);
      if (error) return;
      this.framesSent += batch.frames;
      this.bytesSent += batch.bytes;
    });
    socket.uncork();
  }

  private drained(): Promise<void> {
    const socket = this.socket!;
    return new Promise((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.once('drain', done);
      socket.once('close', done);
    });
  }

  private stop(): void {
    this.stopped = true;
    this.stopLoop?.();
  }

  private fail(code: string, message: string): void {
    if (this.closed) return;
    this.failed = true;
    this.s.run.error(code, message);
    this.stop();
    this.socket?.destroy();
  }
}
