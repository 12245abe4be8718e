/**
 * What the sink knows about one flow (a workload's TCP connection or UDP socket), and about all
 * flows of one workload. Frames are checked as they arrive: sequence (order, duplicates, gaps),
 * payload checksum, one-way delay (send timestamp vs arrival, both wire time), jitter and
 * inter-arrival times, bytes. The stream workloads collect this after their run.
 *
 * It lives in the main thread, fed by the sink's worker thread (sink-server.ts), which has read
 * the bytes and checked the checksums.
 */
import type { Protocol } from '../../core/spec.js';
import { ErrorRecorder } from '../../metrics/error-recorder.js';
import { InterarrivalJitter } from '../../metrics/interarrival-jitter.js';
import { LatencyHistogram } from '../../metrics/latency-histogram.js';
import { SequenceTracker } from '../../metrics/sequence-tracker.js';
import { SeriesRecorder } from '../../metrics/series-recorder.js';
import { FRAME_HEADER_BYTES } from '../frame.js';
import type { WireAnchor } from '../wire-time.js';

export class FlowReceiver {
  readonly sequence = new SequenceTracker();
  readonly oneWayDelay = new LatencyHistogram();
  /** UDP only. */
  readonly jitter = new InterarrivalJitter();
  /** Every byte that arrived on the flow, frames and garbage. */
  bytesReceived = 0;
  /** Wire bytes (header + payload) of intact first copies. */
  bytesIntact = 0;
  /** Frames with a valid header, copies and damaged ones included. */
  framesReceived = 0;
  garbageBytes = 0;
  /** TCP: bytes of a frame cut off when the connection ended. */
  partialBytes = 0;
  /** TCP: the connection ended (FIN, reset or close) at least once. */
  ended = false;
  /** Clock ms of the first and last arrival; NaN before any. */
  firstArrivalMs = NaN;
  lastArrivalMs = NaN;
  /** Errors the sink's side saw (a reset connection), atMs relative to the series origin. */
  readonly errors = new ErrorRecorder();

  constructor(
    readonly workloadId: number,
    readonly flowId: number,
    readonly protocol: Protocol,
    /** `host:port` of the sender as the sink saw it. */
    readonly remote: string,
    private readonly owner: WorkloadReceiver,
  ) {}

  /**
   * One frame with a valid header arrived at `arrivalNs` (wire time) / `arrivalMs` (clock): its
   * header's sequence number, send timestamp (wire ns) and payload length, and whether its
   * payload matched its checksum.
   */
  frame(seq: number, sentNs: number, payloadLength: number, intact: boolean, arrivalNs: number, arrivalMs: number): void {
    const bytes = FRAME_HEADER_BYTES + payloadLength;
    this.framesReceived++;
    this.arrived(arrivalMs);
    if (this.protocol === 'udp') this.bytesReceived += bytes;
    const verdict = this.sequence.record(seq, intact);
    const delayMs = (arrivalNs - sentNs) / 1e6;
    // Jitter and inter-arrival times describe datagrams; on TCP they would describe read() chunking.
    if (this.protocol === 'udp') this.jitter.record(sentNs / 1e6, arrivalNs / 1e6);
    const series = this.owner.series;
    if (verdict === 'new') {
      if (intact) this.bytesIntact += bytes;
      this.oneWayDelay.record(delayMs);
      series.received(arrivalMs, bytes, this.owner.anchor.toClockMs(sentNs));
      series.latency(arrivalMs, delayMs);
    } else {
      series.received(arrivalMs, bytes);
    }
  }

  /** UDP: a datagram too damaged to identify, attributed to this flow by its source address. */
  unidentified(bytes: number, arrivalMs: number): void {
    this.arrived(arrivalMs);
    this.bytesReceived += bytes;
    this.garbageBytes += bytes;
    this.sequence.recordUnidentified();
    this.owner.series.bytes(arrivalMs, bytes);
  }

  /** TCP: `bytes` arrived on the connection (counted before framing). */
  tcpBytes(bytes: number, arrivalMs: number): void {
    this.bytesReceived += bytes;
    this.arrived(arrivalMs);
  }

  /** TCP: a run of bytes that were not frames; one damaged frame as far as counts go. */
  tcpGarbage(bytes: number): void {
    this.garbageBytes += bytes;
    this.sequence.recordUnidentified();
  }

  /** An error on the sink's side of the flow at clock time `atMs`. */
  error(code: string, message: string, atMs: number): void {
    this.errors.record(code, atMs - this.owner.series.originMs, message);
  }

  private arrived(arrivalMs: number): void {
    if (Number.isNaN(this.firstArrivalMs)) this.firstArrivalMs = arrivalMs;
    this.lastArrivalMs = arrivalMs;
  }
}

/** Every flow of one workload, with one series aligned to the scenario start. */
export class WorkloadReceiver {
  readonly flows = new Map<number, FlowReceiver>();
  readonly series: SeriesRecorder;

  constructor(
    readonly workloadId: number,
    readonly anchor: WireAnchor,
    originMs: number,
    bucketMs?: number,
  ) {
    this.series = new SeriesRecorder(bucketMs === undefined ? { originMs } : { originMs, bucketMs });
  }

  flow(flowId: number, protocol: Protocol, remote: string): FlowReceiver {
    let flow = this.flows.get(flowId);
    if (flow === undefined) {
      flow = new FlowReceiver(this.workloadId, flowId, protocol, remote, this);
      this.flows.set(flowId, flow);
    }
    return flow;
  }
}
