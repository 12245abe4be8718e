/**
 * `tcp-stream`: one-way bulk transfer of framed messages to the built-in sink, over
 * `connections` connections. Each sends `messages` frames, `bytes` bytes (framing included; the
 * last frame is cut to fit, so the total is exact to within one 40-byte header) or for
 * `durationMs`, at a message rate, a byte rate, or as fast as the socket drains ('max').
 *
 *   frames ──▶ [batch ≤ 256 KiB, frame-batch.ts] ──▶ one corked write (backpressure: wait for 'drain')
 *                                         │ write callback: bytes/frames the kernel took
 *   end() ──▶ wait ≤ timeoutMs for the sink to close its side (it has read everything by then)
 *   wait ≤ timeoutMs until the sink saw each cleanly closed connection end (a cut path can close ours first)
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
import { classifyError, ErrorCodes } from './classify-error.js';
import { BASE_METRICS, COMMON_OPTIONS, CONNECTION_METRICS, defineWorkload, FRAMED_OPTIONS, SEQUENCE_METRICS, TCP_KERNEL_METRICS } from './definition.js';
import type { WorkloadContext } from './context.js';
import { FRAME_HEADER_BYTES } from './frame.js';
import { BATCH_BYTES, FrameBatch, ZERO_COPY_MIN_PAYLOAD_BYTES } from './frame-batch.js';
import { createSizePicker, type PayloadSource } from './payload-source.js';
import type { WorkloadCommon } from './spec.js';
import { goodputBytesPerSec, sumReceivedFlows } from './sink-flows.js';
import { waitFor } from './wait-for.js';
import { WorkloadRun } from './workload-run.js';

export interface TcpStreamSpec extends WorkloadCommon {
  type: 'tcp-stream';
  /** Total bytes per connection instead of `messages`. */
  bytes?: number;
  /** Byte-rate pacing instead of a message rate, bytes per second. */
  rateBytesPerSec?: number;
}

const TCP_STREAM = { type: 'tcp-stream', protocol: 'tcp', shape: 'stream' } as const;

/**
 * tcp-stream is a bulk transfer: 16 KiB frames keep per-frame work small (64-byte frames would
 * make the harness, not the path, the bottleneck); measured no slower than 64 KiB frames.
 */
const STREAM_FRAME_BYTES = 16 * 1024;

const MAX_SPARE_BATCHES = 4;

interface Shared {
  run: WorkloadRun;
  spec: TcpStreamSpec;
  ctx: WorkloadContext;
  payloads: PayloadSource;
  connect: LatencyHistogram;
}

export async function runTcpStream(spec: TcpStreamSpec, ctx: WorkloadContext): Promise<WorkloadResult> {
  const run = new WorkloadRun(spec, ctx);
  const shared: Shared = { run, spec, ctx, payloads: run.payloads(), connect: new LatencyHistogram() };
  ctx.sink?.prepare(ctx.workloadId, { originMs: ctx.scenarioStartMs, bucketMs: run.bucketMs });
  const connections: StreamConnection[] = [];
  if (await run.waitForStart()) {
    run.startProgress(() => ({ sent: run.totals.sent, received: receivedSoFar(ctx) }));
    for (let i = 0; i < spec.connections; i++) connections.push(new StreamConnection(shared, i));
    await Promise.all(connections.map((c) => c.run()));
    await waitForSinkEnds(shared, connections);
    run.stopProgress();
  }
  run.noteIfAborted('frames still in flight were not waited for');
  const receiver = await ctx.sink?.collect(ctx.workloadId);
  const bytesSent = connections.reduce((sum, c) => sum + c.bytesSent, 0);
  const framesSent = connections.reduce((sum, c) => sum + c.framesSent, 0);
  if (receiver === undefined) {
    run.notes.push('no built-in sink behind this workload: receiver-side metrics (delivery, order, integrity, delay) are not available');
  } else {
    for (const c of connections) {
      const partial = receiver.flows.get(c.flowId)?.partialBytes ?? 0;
      if (partial > 0 && !c.failed) {
        run.errors.record(ErrorCodes.eofEarly, run.rel(receiver.flows.get(c.flowId)!.lastArrivalMs), `connection ${c.flowId}: the sink's stream ended ${partial} bytes into a frame`);
        c.failed = true;
      }
    }
    run.series.merge(receiver.series);
  }
  const base = {
    ...run.resultBase(TCP_STREAM, spec.rate !== 'max' || spec.rateBytesPerSec !== undefined),
    bytesSent,
    connections: { attempted: connections.length, failed: connections.filter((c) => c.failed).length },
  };
  if (receiver === undefined) return assembleWorkloadResult({ ...base, bytesReceived: 0, histograms: { connect_ms: shared.connect } });

  const received = sumReceivedFlows(
    receiver,
    connections.map((c) => ({ flowId: c.flowId, sent: c.framesSent })),
  );
  const { sequence } = received;
  const stream: StreamVerdict = {
    bytesSent,
    bytesReceived: received.bytesReceived,
    framesSent,
    framesReceived: sequence.received,
    inOrder: sequence.reordered === 0,
    intact: sequence.lost === 0 && sequence.duplicated === 0 && sequence.corrupted === 0,
    missingFrames: sequence.lost,
    duplicatedFrames: sequence.duplicated,
    corruptedFrames: sequence.corrupted,
  };
  return assembleWorkloadResult({
    ...base,
    sequence,
    bytesReceived: received.bytesReceived,
    bytesIntact: received.bytesIntact,
    goodputBytesPerSec: goodputBytesPerSec(received, run.startedAt),
    histograms: { connect_ms: shared.connect, one_way_delay_ms: received.oneWay },
    stream,
  });
}

/** How often the sender checks whether the sink has seen every connection end, ms. */
const SINK_END_POLL_MS = 5;

/**
 * Waits until the sink has seen the stream of each connection that ended without an error end
 * too, or `timeoutMs` passes. Normally that is already so: a sender's connection closes only after
 * the sink closed its side, having read everything. But a path that cuts the connection (a reset
 * right after the sender's FIN reads as a clean close) can close the sender's side while the sink,
 * on its own thread, still has bytes to read: collecting then would miss the tail of the stream,
 * and a frame cut in half would not show.
 */
async function waitForSinkEnds(s: Shared, connections: StreamConnection[]): Promise<void> {
  const { run, ctx, spec } = s;
  const sink = ctx.sink;
  if (sink === undefined) return;
  const clean = connections.filter((c) => c.connected && !c.failed);
  const deadline = run.clock.now() + spec.timeoutMs;
  for (;;) {
    await sink.settle();
    const receiver = sink.peek(ctx.workloadId);
    if (clean.every((c) => receiver?.flows.get(c.flowId)?.ended === true)) return;
    if (ctx.signal.aborted || run.clock.now() >= deadline) return;
    await run.clock.sleep(Math.min(SINK_END_POLL_MS, deadline - run.clock.now()), ctx.signal);
  }
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
  connected = false;
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
    const socket = await run.connect(this.s.connect);
    if (typeof socket === 'string') {
      this.failed = socket === 'failed';
      return;
    }
    this.socket = socket;
    this.connected = true;
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
    const { run, spec } = this.s;
    const byteRate = spec.rateBytesPerSec !== undefined;
    const loop = run.sendLoop({
      rate: byteRate ? spec.rateBytesPerSec! : spec.rate,
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
    this.s.run.totals.sent++;
    return byteRate ? frameBytes : 1;
  }

  /** Writes the batch as one corked write; its frames count as sent once the kernel took them. */
  private flush(): void {
    const batch = this.batch;
    if (batch === null || batch.frames === 0) return;
    this.batch = null;
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return;
    this.s.run.series.sent(this.s.run.anchor.toClockMs(batch.sentNs), batch.frames);
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

export const tcpStream = defineWorkload<TcpStreamSpec>({
  ...TCP_STREAM,
  summary: 'One-way bulk transfer of framed messages to a builtin sink, which checks every frame.',
  options: [...COMMON_OPTIONS, ...FRAMED_OPTIONS, 'bytes', 'connect_timeout'],
  amount: ['messages', 'duration', 'bytes'],
  defaultSizeBytes: STREAM_FRAME_BYTES,
  byteRate: true,
  load(options, common) {
    const bytes = options.byteSize('bytes');
    if (options.has('bytes') && bytes === undefined) return undefined;
    return {
      ...(bytes !== undefined ? { bytes } : {}),
      ...(common.rateBytesPerSec !== undefined ? { rateBytesPerSec: common.rateBytesPerSec } : {}),
    };
  },
  run: runTcpStream,
  metrics: [...BASE_METRICS, ...SEQUENCE_METRICS, ...CONNECTION_METRICS, ...TCP_KERNEL_METRICS, 'one_way_delay_ms', 'goodput_bytes_per_sec'],
  example: { messages: 5, size: '1KiB' },
});
