/**
 * The built-in sink: reads and verifies every frame, replies nothing.
 *
 *   TCP connection ──▶ FrameReader ──▶ FlowReceiver (by workload id, flow id of the first frame)
 *   UDP datagram   ──▶ decodeDatagram ─▶ FlowReceiver (by the header's ids; a datagram whose
 *                                         header is damaged goes to the flow its source address
 *                                         belongs to)
 *
 * Per flow it keeps sequence accounting, one-way delay, jitter, inter-arrival times and bytes
 * (flow-receiver.ts). A stream workload calls `prepare(workloadId, …)` before sending, so the
 * sink's series buckets line up with the workload's, and `collect(workloadId)` after, to take the
 * receiver's side of the story.
 *
 * The UDP path is the hot one (tens of thousands of datagrams a second in the same event loop as
 * the sender): no per-datagram allocation beyond what dgram does, and the last flow is cached.
 */
import type dgram from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { HostPort } from '../../core/address.js';
import { formatHostPort } from '../../core/address.js';
import { systemClock, type Clock, type Timer } from '../../core/clock.js';
import type { Protocol } from '../../core/spec.js';
import { classifyError } from '../classify-error.js';
import { decodeDatagram } from '../frame.js';
import { FrameReader } from '../frame-reader.js';
import { wireAnchor, wireNowNs, type WireAnchor } from '../wire-time.js';
import type { BuiltinServerOptions } from './echo-server.js';
import { FlowReceiver, WorkloadReceiver } from './flow-receiver.js';
import { bindUdp, listenTcp } from './listen.js';

/** One flow's story in one line's worth of numbers, for `faultline serve sink`. */
export interface FlowSummary {
  protocol: Protocol;
  workloadId: number;
  flowId: number;
  remote: string;
  frames: number;
  bytes: number;
  /** Sequence numbers skipped so far (the sink cannot know what was sent after the highest). */
  gaps: number;
  duplicates: number;
  reordered: number;
  corrupted: number;
  garbageBytes: number;
  partialBytes: number;
  oneWayDelayP50Ms: number | null;
  oneWayDelayP99Ms: number | null;
  jitterMs: number;
}

export interface SinkServerOptions extends BuiltinServerOptions {
  /** Default systemClock. */
  clock?: Clock;
  /** Called when a TCP connection closes, and when a UDP flow has been idle for `udpFlowIdleMs`. */
  onFlowSummary?: (summary: FlowSummary) => void;
  /** With onFlowSummary: idle time after which a UDP flow is summarised, ms. Default 1000. */
  udpFlowIdleMs?: number;
  /**
   * Keep flows after summarising them, for `collect`. Default true; a long-running
   * `faultline serve sink` sets false so memory does not grow with every client.
   */
  retainFlows?: boolean;
}

export interface PrepareOptions {
  /** Clock ms of the scenario's t=0 (the series origin). */
  originMs: number;
  /** Series bucket width, ms. */
  bucketMs?: number;
}

export interface SinkServer {
  readonly tcp?: HostPort;
  readonly udp?: HostPort;
  /** Starts accounting for a workload with its series aligned to `originMs`. Idempotent. */
  prepare(workloadId: number, options: PrepareOptions): void;
  /** Everything received for a workload so far, without forgetting it. */
  peek(workloadId: number): WorkloadReceiver | undefined;
  /** Everything received for a workload; the sink forgets it. */
  collect(workloadId: number): WorkloadReceiver | undefined;
  /** Bytes that arrived on connections that never carried a valid frame. */
  readonly unattributedGarbageBytes: number;
  close(): Promise<void>;
}

export function summarizeFlow(flow: FlowReceiver): FlowSummary {
  const seen = flow.sequence.counts(0);
  const uniqueIdentified = seen.received - seen.unidentified;
  return {
    protocol: flow.protocol,
    workloadId: flow.workloadId,
    flowId: flow.flowId,
    remote: flow.remote,
    frames: flow.framesReceived,
    bytes: flow.bytesReceived,
    gaps: Math.max(0, flow.sequence.highestSeq + 1 - uniqueIdentified),
    duplicates: seen.duplicated,
    reordered: seen.reordered,
    corrupted: seen.corrupted,
    garbageBytes: flow.garbageBytes,
    partialBytes: flow.partialBytes,
    oneWayDelayP50Ms: flow.oneWayDelay.percentileMs(50),
    oneWayDelayP99Ms: flow.oneWayDelay.percentileMs(99),
    jitterMs: flow.jitter.jitterMs,
  };
}

export async function createSinkServer(options: SinkServerOptions = {}): Promise<SinkServer> {
  const sink = new Sink(options);
  try {
    await sink.listen(options);
  } catch (error) {
    await sink.close();
    throw error;
  }
  return sink;
}

class Sink implements SinkServer {
  tcp?: HostPort;
  udp?: HostPort;
  unattributedGarbageBytes = 0;
  private readonly clock: Clock;
  private readonly anchor: WireAnchor;
  private readonly workloads = new Map<number, WorkloadReceiver>();
  private readonly connections = new Set<Socket>();
  private readonly udpFlowsByRemote = new Map<string, FlowReceiver>();
  private server: Server | undefined;
  private udpSocket: dgram.Socket | undefined;
  private lastUdpFlow: FlowReceiver | undefined;
  private idleTimer: Timer | undefined;
  private readonly udpLastSummarised = new Map<FlowReceiver, number>();
  private closed = false;

  constructor(private readonly options: SinkServerOptions) {
    this.clock = options.clock ?? systemClock;
    this.anchor = wireAnchor(this.clock);
  }

  async listen(options: BuiltinServerOptions): Promise<void> {
    const host = options.host ?? '127.0.0.1';
    if (options.tcp !== false) {
      this.server = createServer({ noDelay: true }, (socket) => this.acceptTcp(socket));
      this.tcp = await listenTcp(this.server, host, options.tcp ?? 0, 'sink server (tcp)');
    }
    if (options.udp !== false) {
      const bound = await bindUdp(host, options.udp ?? 0, 'sink server (udp)');
      this.udpSocket = bound.socket;
      this.udp = bound.address;
      this.udpSocket.on('error', () => {});
      this.udpSocket.on('message', (message, remote) => this.datagram(message, remote));
      if (this.options.onFlowSummary) this.scheduleIdleSweep();
    }
  }

  prepare(workloadId: number, options: PrepareOptions): void {
    if (!this.workloads.has(workloadId)) {
      this.workloads.set(workloadId, new WorkloadReceiver(workloadId, this.anchor, options.originMs, options.bucketMs));
    }
  }

  peek(workloadId: number): WorkloadReceiver | undefined {
    return this.workloads.get(workloadId);
  }

  collect(workloadId: number): WorkloadReceiver | undefined {
    const receiver = this.workloads.get(workloadId);
    if (receiver === undefined) return undefined;
    this.workloads.delete(workloadId);
    for (const flow of receiver.flows.values()) {
      if (this.lastUdpFlow === flow) this.lastUdpFlow = undefined;
      this.udpLastSummarised.delete(flow);
    }
    for (const [remote, flow] of this.udpFlowsByRemote) if (flow.workloadId === workloadId) this.udpFlowsByRemote.delete(remote);
    return receiver;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.idleTimer?.cancel();
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    const pending: Array<Promise<void>> = [];
    const server = this.server;
    if (server?.listening) pending.push(new Promise((resolve) => server.close(() => resolve())));
    const udp = this.udpSocket;
    this.udpSocket = undefined;
    if (udp) pending.push(new Promise((resolve) => udp.close(() => resolve())));
    await Promise.all(pending);
    if (this.options.onFlowSummary) {
      for (const flow of this.udpLastSummarised.keys()) this.summarise(flow);
    }
  }

  private receiver(workloadId: number): WorkloadReceiver {
    let receiver = this.workloads.get(workloadId);
    if (receiver === undefined) {
      // Nobody prepared it (a client of `faultline serve sink`): series start at the first arrival.
      receiver = new WorkloadReceiver(workloadId, this.anchor, this.clock.now());
      this.workloads.set(workloadId, receiver);
    }
    return receiver;
  }

  private acceptTcp(socket: Socket): void {
    this.connections.add(socket);
    const remote = formatHostPort({ host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 });
    let flow: FlowReceiver | undefined;
    let bytesBeforeFlow = 0;
    let garbageBeforeFlow = 0;
    let chunkArrivalNs = 0;
    let chunkArrivalMs = 0;
    const reader = new FrameReader({
      onFrame: ({ header, intact }) => {
        if (flow === undefined) {
          flow = this.receiver(header.workloadId).flow(header.flowId, 'tcp', remote);
          flow.tcpBytes(bytesBeforeFlow, chunkArrivalMs);
          if (garbageBeforeFlow > 0) flow.tcpGarbage(garbageBeforeFlow);
        }
        flow.frame(header, intact, chunkArrivalNs, chunkArrivalMs);
      },
      onGarbage: (bytes) => {
        if (flow) flow.tcpGarbage(bytes);
        else garbageBeforeFlow += bytes;
      },
    });
    socket.on('data', (chunk: Buffer) => {
      chunkArrivalNs = wireNowNs();
      chunkArrivalMs = this.clock.now();
      if (flow) flow.tcpBytes(chunk.length, chunkArrivalMs);
      else bytesBeforeFlow += chunk.length;
      reader.push(chunk);
    });
    socket.on('error', (error) => {
      if (flow) flow.error(classifyError(error).code, error.message, this.clock.now());
    });
    socket.on('close', () => {
      this.connections.delete(socket);
      const { partialBytes } = reader.end();
      if (flow === undefined) {
        this.unattributedGarbageBytes += bytesBeforeFlow;
        return;
      }
      flow.partialBytes += partialBytes;
      flow.ended = true;
      this.summarise(flow);
    });
  }

  private datagram(message: Buffer, remote: dgram.RemoteInfo): void {
    const arrivalNs = wireNowNs();
    const arrivalMs = this.clock.now();
    const decoded = decodeDatagram(message);
    if (!decoded.ok) {
      const flow = this.udpFlowsByRemote.get(`${remote.address}|${remote.port}`);
      if (flow) flow.unidentified(message.length, arrivalMs);
      else this.unattributedGarbageBytes += message.length;
      return;
    }
    const { header } = decoded;
    let flow = this.lastUdpFlow;
    if (flow === undefined || flow.workloadId !== header.workloadId || flow.flowId !== header.flowId) {
      const receiver = this.receiver(header.workloadId);
      flow = receiver.flows.get(header.flowId);
      if (flow === undefined) {
        const key = `${remote.address}|${remote.port}`;
        flow = receiver.flow(header.flowId, 'udp', formatHostPort({ host: remote.address, port: remote.port }));
        this.udpFlowsByRemote.set(key, flow);
      }
      this.lastUdpFlow = flow;
    }
    flow.frame(header, decoded.intact, arrivalNs, arrivalMs);
    if (this.options.onFlowSummary && !this.udpLastSummarised.has(flow)) this.udpLastSummarised.set(flow, -1);
  }

  /** Summarises UDP flows that have gone quiet since their last summary. */
  private scheduleIdleSweep(): void {
    const idleMs = this.options.udpFlowIdleMs ?? 1000;
    this.idleTimer = this.clock.scheduleAt(this.clock.now() + idleMs / 2, () => {
      if (this.closed) return;
      const now = this.clock.now();
      for (const [flow, summarisedAt] of this.udpLastSummarised) {
        if (flow.lastArrivalMs > summarisedAt && now - flow.lastArrivalMs >= idleMs) {
          this.summarise(flow);
        }
      }
      this.scheduleIdleSweep();
    });
  }

  private summarise(flow: FlowReceiver): void {
    const report = this.options.onFlowSummary;
    if (report === undefined) return;
    if (flow.protocol === 'udp') {
      if (this.udpLastSummarised.get(flow) === flow.lastArrivalMs) return;
      this.udpLastSummarised.set(flow, flow.lastArrivalMs);
    }
    report(summarizeFlow(flow));
    if (this.options.retainFlows === false && flow.protocol === 'tcp') {
      const receiver = this.workloads.get(flow.workloadId);
      receiver?.flows.delete(flow.flowId);
      if (receiver && receiver.flows.size === 0) this.workloads.delete(flow.workloadId);
    }
  }
}
