/**
 * The built-in sink: reads and verifies every frame, replies nothing.
 *
 *   sockets (sink-sockets.ts)                                accounting (this file, main thread)
 *   ─────────────────────────────────────────────────        ────────────────────────────────────
 *   TCP connection ─▶ FrameReader ──┐                         records ─▶ FlowReceiver per
 *   UDP datagram   ─▶ decodeDatagram ┴▶ records ─────────────────────▶  (workload id, flow id):
 *                    (CRC32C of every byte, arrival time)               order, duplicates, gaps,
 *                                                                       one-way delay, series, bytes
 *
 * Each protocol's socket is read either in the sink's worker thread (sink-worker.ts; records cross
 * in batches, sink-events.ts) or in the main thread (records applied at once): DEFAULT_SINK_THREADS
 * puts TCP in the worker and keeps UDP in the main thread, for the measured reasons given there.
 * Why a worker for TCP: reading and checksumming every byte costs as much as sending it, and in the
 * sender's thread it halved a tcp-stream's throughput; in its own thread it runs on the other core
 * (limits.md: a receiver must not share an event loop with a flat-out sender). What is measured is
 * the same in either thread: arrivals are stamped with wire time (one clock for the host, see
 * wire-time.ts) where the bytes are read, checksums are checked there, and the accounting
 * (flow-receiver.ts) runs here on the same numbers, with series aligned to the workload's
 * (`prepare`).
 *
 * TCP: a connection belongs to the flow of its first valid frame. UDP: a datagram belongs to the
 * flow named in its header; one whose header is damaged goes to the flow its source address
 * belongs to. A stream workload calls `prepare(workloadId, …)` before sending and `collect` after;
 * `collect` first has the worker post everything it has read, so nothing is in flight between the
 * threads when the results are taken.
 *
 * If the worker thread dies (a bug), `collect` rejects with the reason, `failure` resolves with it
 * and `close` still returns: an error, never a hang.
 */
import { closeSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { HostPort } from '../../core/address.js';
import { formatHostPort } from '../../core/address.js';
import { systemClock, type Clock, type Timer } from '../../core/clock.js';
import { FaultlineError, type ErrorCode } from '../../core/errors.js';
import type { Protocol } from '../../core/spec.js';
import { wireAnchor, type WireAnchor } from '../wire-time.js';
import type { BuiltinServerOptions } from './echo-server.js';
import { openServerSocket } from './listen.js';
import { FlowReceiver, WorkloadReceiver } from './flow-receiver.js';
import {
  EVENT_SLOTS,
  SinkEventKind as K,
  type ListenFailure,
  type SinkControlMessage,
  type SinkEventOutput,
  type SinkListenOptions,
  type SinkWorkerMessage,
} from './sink-events.js';
import { SinkSockets } from './sink-sockets.js';
import { startWorker } from './start-worker.js';

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
  /**
   * Default systemClock. Arrival times are wire time (CLOCK_MONOTONIC) converted onto this clock,
   * so it must be a real one: a manual clock would not advance with the traffic.
   */
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
  /**
   * Which thread reads each protocol's socket: `worker`, the sink's own thread, or `main`, the
   * event loop of the caller (and of the workloads' senders). Defaults: DEFAULT_SINK_THREADS.
   */
  threads?: Partial<SinkThreads>;
  /**
   * The worker thread's entry module. Default: sink-worker.ts. A replacement must behave like it
   * (the tests substitute one that can also crash on demand, as a bug in the worker would).
   */
  workerModule?: URL;
}

export type SinkThread = 'worker' | 'main';

export interface SinkThreads {
  tcp: SinkThread;
  udp: SinkThread;
}

/**
 * Measured (docs/workloads.md, "Built-in servers"): TCP is read in the worker, because reading and
 * checksumming every byte of a bulk transfer costs as much as sending it and belongs on the other
 * core. UDP stays in the main thread: a paced sender keeps that thread awake, so datagrams are
 * read within microseconds, while a worker asleep in the kernel has to be woken for each one — on
 * a shared 2-core machine that added 2–9 ms to the p99 one-way delay at 50 000 datagrams/s, and
 * the send rate is bounded by the sender (≈ 80 000/s), not by the receiver.
 */
export const DEFAULT_SINK_THREADS: SinkThreads = { tcp: 'worker', udp: 'main' };

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
  /**
   * Everything received for a workload so far, without forgetting it. For progress and polling:
   * it may lag the sockets by about a millisecond (records cross threads in batches).
   */
  peek(workloadId: number): WorkloadReceiver | undefined;
  /**
   * Resolves once everything the sink has read so far is accounted, so `peek` is current. Rejects
   * if the sink's worker thread has died.
   */
  settle(): Promise<void>;
  /**
   * Everything the sink has read for a workload, up to this call; the sink forgets it. Rejects if
   * the sink's worker thread has died.
   */
  collect(workloadId: number): Promise<WorkloadReceiver | undefined>;
  /** Bytes that arrived on connections that never carried a valid frame. */
  readonly unattributedGarbageBytes: number;
  /** Resolves with the reason if the sink's worker thread dies before `close`; otherwise never. */
  readonly failure: Promise<Error>;
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

/** Starts the sink (its worker thread and sockets); resolves once it listens. */
export async function createSinkServer(options: SinkServerOptions = {}): Promise<SinkServer> {
  const sink = new Sink(options);
  try {
    await sink.listen();
  } catch (error) {
    await sink.close();
    throw error;
  }
  return sink;
}

/** A TCP connection as the main thread knows it. */
interface Connection {
  remote: string;
  flow: FlowReceiver | undefined;
  /** Before the first valid frame names the flow. */
  bytesBeforeFlow: number;
  garbageBeforeFlow: number;
  /** Clock ms of the latest read(). */
  chunkArrivalMs: number;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

class Sink implements SinkServer {
  tcp?: HostPort;
  udp?: HostPort;
  unattributedGarbageBytes = 0;
  readonly failure: Promise<Error>;
  private readonly clock: Clock;
  private readonly anchor: WireAnchor;
  private readonly workloads = new Map<number, WorkloadReceiver>();
  private readonly connections = new Map<number, Connection>();
  /** UDP sender address (`host:port`) by the socket side's id for it. */
  private readonly remotes = new Map<number, string>();
  private readonly udpFlowsByRemote = new Map<number, FlowReceiver>();
  private lastUdpFlow: FlowReceiver | undefined;
  private idleTimer: Timer | undefined;
  private readonly udpLastSummarised = new Map<FlowReceiver, number>();
  /** Sockets read in the main thread (DEFAULT_SINK_THREADS says which). */
  private local: SinkSockets | undefined;
  private worker: Worker | undefined;
  private startup: Waiter | undefined;
  private reportFailure!: (error: Error) => void;
  private failedWith: Error | undefined;
  private readonly flushes = new Map<number, Waiter>();
  private nextFlushId = 1;
  /** The worker posted its last records and is ending (or never started). */
  private workerDone = true;
  private onWorkerDone: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: SinkServerOptions) {
    this.clock = options.clock ?? systemClock;
    this.anchor = wireAnchor(this.clock);
    this.failure = new Promise((resolve) => (this.reportFailure = resolve));
  }

  async listen(): Promise<void> {
    const { options } = this;
    const { place } = options;
    const host = options.host ?? place?.address ?? '127.0.0.1';
    const threads = { ...DEFAULT_SINK_THREADS, ...options.threads };
    const port = (protocol: Protocol, thread: SinkThread): number | false => {
      const wanted = options[protocol];
      return wanted === false || threads[protocol] !== thread ? false : (wanted ?? 0);
    };
    // On a wire path, the sockets are opened in the target side here and read wherever the
    // thread choice says: a socket stays in the namespace it was created in.
    const listenOptions = (thread: SinkThread): SinkListenOptions => {
      const tcp = port('tcp', thread);
      const udp = port('udp', thread);
      if (place === undefined) return { host, tcp, udp };
      const fds: NonNullable<SinkListenOptions['fds']> = {};
      opened.push(fds);
      if (tcp !== false) fds.tcp = openServerSocket(place, 'tcp', host, tcp, 'sink server (tcp)');
      if (udp !== false) fds.udp = openServerSocket(place, 'udp', host, udp, 'sink server (udp)');
      return { host, tcp, udp, fds };
    };
    const opened: Array<NonNullable<SinkListenOptions['fds']>> = [];
    let inWorker: SinkListenOptions;
    let inMain: SinkListenOptions;
    try {
      inWorker = listenOptions('worker');
      inMain = listenOptions('main');
    } catch (error) {
      for (const fds of opened) for (const fd of Object.values(fds)) closeSync(fd);
      throw error;
    }
    if (inWorker.tcp !== false || inWorker.udp !== false) await this.startWorker(inWorker);
    if (inMain.tcp !== false || inMain.udp !== false) {
      this.local = new SinkSockets(new ImmediateOutput((events, strings) => this.apply(events, strings)));
      await this.local.listen(inMain);
      if (this.local.tcp) this.tcp = this.local.tcp;
      if (this.local.udp) this.udp = this.local.udp;
    }
    if (this.udp && options.onFlowSummary) this.scheduleIdleSweep();
  }

  prepare(workloadId: number, options: PrepareOptions): void {
    if (!this.workloads.has(workloadId)) {
      this.workloads.set(workloadId, new WorkloadReceiver(workloadId, this.anchor, options.originMs, options.bucketMs));
    }
  }

  peek(workloadId: number): WorkloadReceiver | undefined {
    return this.workloads.get(workloadId);
  }

  settle(): Promise<void> {
    return this.sync();
  }

  async collect(workloadId: number): Promise<WorkloadReceiver | undefined> {
    await this.sync();
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

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private startWorker(data: SinkListenOptions): Promise<void> {
    const worker = startWorker(this.options.workerModule ?? new URL('./sink-worker.js', import.meta.url), { workerData: data });
    this.worker = worker;
    this.workerDone = false;
    worker.on('message', (message: SinkWorkerMessage) => this.onMessage(message));
    worker.on('error', (error) => this.fail(new Error(`the built-in sink's worker thread crashed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => {
      if (!this.workerDone) this.fail(new Error(`the built-in sink's worker thread exited unexpectedly (exit code ${code})`));
    });
    return new Promise((resolve, reject) => (this.startup = { resolve, reject }));
  }

  private async shutDown(): Promise<void> {
    this.idleTimer?.cancel();
    const worker = this.worker;
    const closed: Array<Promise<void>> = [];
    if (this.local) closed.push(this.local.close());
    if (worker && this.failedWith === undefined && !this.workerDone) {
      // The worker closes every socket (each connection's close is reported and summarised), posts
      // the last records and ends.
      closed.push(
        new Promise<void>((resolve) => {
          this.onWorkerDone = resolve;
          worker.postMessage({ type: 'close' } satisfies SinkControlMessage);
        }),
      );
    }
    await Promise.all(closed);
    this.workerDone = true;
    await worker?.terminate();
    if (this.options.onFlowSummary) {
      for (const flow of this.udpLastSummarised.keys()) this.summarise(flow);
    }
  }

  /** Resolves once every record the worker had when asked has been applied. */
  private sync(): Promise<void> {
    if (this.failedWith !== undefined) return Promise.reject(this.failedWith);
    const worker = this.worker;
    if (worker === undefined || this.workerDone) return Promise.resolve();
    const id = this.nextFlushId++;
    return new Promise((resolve, reject) => {
      this.flushes.set(id, { resolve, reject });
      worker.postMessage({ type: 'flush', id } satisfies SinkControlMessage);
    });
  }

  private onMessage(message: SinkWorkerMessage): void {
    switch (message.type) {
      case 'events':
        try {
          this.apply(message.events, message.strings);
        } catch (error) {
          // A bug in the accounting: report it like a crashed worker rather than lose the process.
          this.fail(new Error(`the built-in sink could not account for what it read: ${(error as Error).message}`, { cause: error }));
          void this.worker?.terminate();
        }
        return;
      case 'flushed':
        this.flushes.get(message.id)?.resolve();
        this.flushes.delete(message.id);
        return;
      case 'listening':
        if (message.tcp) this.tcp = message.tcp;
        if (message.udp) this.udp = message.udp;
        this.startup?.resolve();
        return;
      case 'listen-failed':
        this.workerDone = true;
        this.startup?.reject(listenError(message.failure));
        return;
      case 'closed':
        this.workerDone = true;
        this.onWorkerDone?.();
        return;
    }
  }

  private fail(error: Error): void {
    if (this.failedWith !== undefined) return;
    this.failedWith = error;
    this.startup?.reject(error);
    for (const waiter of this.flushes.values()) waiter.reject(error);
    this.flushes.clear();
    this.onWorkerDone?.();
    this.reportFailure(error);
  }

  /** Applies a batch of the worker's records, in order (sink-events.ts has the layout). */
  private apply(events: Float64Array, strings: string[]): void {
    const anchor = this.anchor;
    for (let i = 0; i < events.length; i += EVENT_SLOTS) {
      switch (events[i]) {
        case K.tcpOpen:
          this.connections.set(events[i + 1]!, { remote: strings[events[i + 2]!]!, flow: undefined, bytesBeforeFlow: 0, garbageBeforeFlow: 0, chunkArrivalMs: NaN });
          break;
        case K.tcpBytes: {
          const connection = this.connections.get(events[i + 1]!)!;
          const bytes = events[i + 2]!;
          connection.chunkArrivalMs = anchor.toClockMs(events[i + 3]!);
          if (connection.flow) connection.flow.tcpBytes(bytes, connection.chunkArrivalMs);
          else connection.bytesBeforeFlow += bytes;
          break;
        }
        case K.tcpFrame: {
          const connection = this.connections.get(events[i + 1]!)!;
          let flow = connection.flow;
          if (flow === undefined) {
            flow = this.receiver(events[i + 2]!, connection.chunkArrivalMs).flow(events[i + 3]!, 'tcp', connection.remote);
            connection.flow = flow;
            flow.tcpBytes(connection.bytesBeforeFlow, connection.chunkArrivalMs);
            if (connection.garbageBeforeFlow > 0) flow.tcpGarbage(connection.garbageBeforeFlow);
          }
          this.frame(flow, events, i);
          break;
        }
        case K.tcpGarbage: {
          const connection = this.connections.get(events[i + 1]!)!;
          if (connection.flow) connection.flow.tcpGarbage(events[i + 2]!);
          else connection.garbageBeforeFlow += events[i + 2]!;
          break;
        }
        case K.tcpError: {
          const flow = this.connections.get(events[i + 1]!)!.flow;
          if (flow) flow.error(strings[events[i + 2]!]!, strings[events[i + 3]!]!, anchor.toClockMs(events[i + 4]!));
          break;
        }
        case K.tcpEnd: {
          const flow = this.connections.get(events[i + 1]!)!.flow;
          if (flow) {
            flow.partialBytes += events[i + 2]!;
            flow.ended = true;
          }
          break;
        }
        case K.tcpClose: {
          const id = events[i + 1]!;
          const connection = this.connections.get(id)!;
          this.connections.delete(id);
          if (connection.flow) this.summarise(connection.flow);
          else this.unattributedGarbageBytes += connection.bytesBeforeFlow;
          break;
        }
        case K.udpRemote:
          this.remotes.set(events[i + 1]!, formatHostPort({ host: strings[events[i + 2]!]!, port: events[i + 3]! }));
          break;
        case K.udpFrame:
          this.udpFrame(events, i);
          break;
        case K.udpUnidentified: {
          const flow = this.udpFlowsByRemote.get(events[i + 1]!);
          if (flow) flow.unidentified(events[i + 2]!, anchor.toClockMs(events[i + 3]!));
          else this.unattributedGarbageBytes += events[i + 2]!;
          break;
        }
        default:
          throw new Error(`sink: unknown record kind ${events[i]} from the worker thread`);
      }
    }
  }

  /** Slots 4..7 of a tcpFrame/udpFrame record: seq, sent, length × 2 + intact, arrival. */
  private frame(flow: FlowReceiver, events: Float64Array, i: number): void {
    const packed = events[i + 6]!;
    const arrivalNs = events[i + 7]!;
    flow.frame(events[i + 4]!, events[i + 5]!, Math.floor(packed / 2), packed % 2 === 1, arrivalNs, this.anchor.toClockMs(arrivalNs));
  }

  private udpFrame(events: Float64Array, i: number): void {
    const workloadId = events[i + 2]!;
    const flowId = events[i + 3]!;
    let flow = this.lastUdpFlow;
    if (flow === undefined || flow.workloadId !== workloadId || flow.flowId !== flowId) {
      const receiver = this.receiver(workloadId, this.anchor.toClockMs(events[i + 7]!));
      flow = receiver.flows.get(flowId);
      if (flow === undefined) {
        const remoteId = events[i + 1]!;
        flow = receiver.flow(flowId, 'udp', this.remotes.get(remoteId) ?? '?');
        this.udpFlowsByRemote.set(remoteId, flow);
      }
      this.lastUdpFlow = flow;
    }
    this.frame(flow, events, i);
    if (this.options.onFlowSummary && !this.udpLastSummarised.has(flow)) this.udpLastSummarised.set(flow, -1);
  }

  private receiver(workloadId: number, arrivalMs: number): WorkloadReceiver {
    let receiver = this.workloads.get(workloadId);
    if (receiver === undefined) {
      // Nobody prepared it (a client of `faultline serve sink`): series start at the first arrival.
      receiver = new WorkloadReceiver(workloadId, this.anchor, arrivalMs);
      this.workloads.set(workloadId, receiver);
    }
    return receiver;
  }

  /** Summarises UDP flows that have gone quiet since their last summary. */
  private scheduleIdleSweep(): void {
    const idleMs = this.options.udpFlowIdleMs ?? 1000;
    this.idleTimer = this.clock.scheduleAt(this.clock.now() + idleMs / 2, () => {
      if (this.closing) return;
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

/** Main-thread sockets: each record is applied as soon as it is written. */
class ImmediateOutput implements SinkEventOutput {
  private readonly record = new Float64Array(EVENT_SLOTS);
  private strings: string[] = [];

  constructor(private readonly apply: (events: Float64Array, strings: string[]) => void) {}

  write(kind: number, a: number, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0): void {
    const record = this.record;
    record[0] = kind;
    record[1] = a;
    record[2] = b;
    record[3] = c;
    record[4] = d;
    record[5] = e;
    record[6] = f;
    record[7] = g;
    this.apply(record, this.strings);
    if (this.strings.length > 0) this.strings = [];
  }

  string(text: string): number {
    return this.strings.push(text) - 1;
  }
}

/** The worker's listen failure as the error the in-thread listen would have thrown. */
function listenError(failure: ListenFailure): Error {
  if (failure.faultlineCode === undefined) return new Error(failure.message);
  return new FaultlineError(failure.faultlineCode as ErrorCode, failure.message, failure.hint ? { hint: failure.hint } : {});
}
