/**
 * What every workload does around its traffic: wait for its start time, record errors against
 * the scenario clock, tick progress, keep notes, and know whether it was stopped early.
 */
import type { Socket } from 'node:net';
import type { Clock, Timer } from '../core/clock.js';
import { formatHostPort } from '../core/address.js';
import type { TcpConnectionInfo, WorkloadResult } from '../core/result.js';
import { socketFd } from '../core/socket-fd.js';
import type { WorkloadMeasurements } from '../metrics/assemble-workload-result.js';
import { ErrorRecorder } from '../metrics/error-recorder.js';
import { diffKernelUdpCounters, parseSnmpUdp, readKernelUdpCounters, type KernelUdpCounters } from '../metrics/kernel-udp-counters.js';
import { tcpConnectionInfo } from '../metrics/tcp-connection-info.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { DEFAULT_BUCKET_MS, SeriesRecorder } from '../metrics/series-recorder.js';
import type { WorkloadContext, WorkloadProgress } from './context.js';
import { maxSizeOf, PayloadSource } from './payload-source.js';
import { runSendLoop, type SendLoop, type SendLoopEnd } from './send-schedule.js';
import type { WorkloadCommon } from './spec.js';
import { connectTcp } from './connect-tcp.js';
import { wireAnchor, type WireAnchor } from './wire-time.js';

/** The parts of a result every workload fills the same way. */
export type ResultBase = Pick<
  WorkloadMeasurements,
  'name' | 'kind' | 'protocol' | 'shape' | 'proxy' | 'startedAtMs' | 'durationMs' | 'errors' | 'series' | 'notes' | 'sendLateness' | 'kernelUdp' | 'tcpConnections'
>;

/** What a workload type's result says it is (its definition's first three fields). */
export interface WorkloadIdentity {
  type: string;
  protocol: WorkloadResult['protocol'];
  shape: WorkloadResult['shape'];
}

const PROGRESS_EVERY_MS = 250;

export class WorkloadRun {
  readonly errors = new ErrorRecorder();
  readonly series: SeriesRecorder;
  readonly anchor: WireAnchor;
  readonly notes: string[] = [];
  readonly clock: Clock;
  readonly bucketMs: number;
  /** How late paced sends were against their schedule. */
  readonly lateness = new LatencyHistogram();
  /** Running totals for progress. */
  readonly totals = { sent: 0, received: 0 };
  private kernelBefore: KernelUdpCounters | undefined;
  /** On a wire path: TCP_INFO of each connection as it closed, and the connections still open. */
  private readonly tcpConnections: TcpConnectionInfo[] = [];
  private readonly openSockets = new Map<Socket, () => void>();
  /** Clock ms when sending started (after the start delay). */
  startedAt = NaN;
  private progressTimer: Timer | undefined;

  constructor(
    readonly spec: WorkloadCommon,
    readonly ctx: WorkloadContext,
  ) {
    this.clock = ctx.clock;
    this.bucketMs = ctx.seriesBucketMs ?? DEFAULT_BUCKET_MS;
    this.series = new SeriesRecorder({ originMs: ctx.scenarioStartMs, bucketMs: this.bucketMs });
    this.anchor = wireAnchor(ctx.clock);
  }

  /** The seeded payloads of this workload's framed messages. */
  payloads(): PayloadSource {
    return new PayloadSource(this.ctx.rng.fork('payload'), maxSizeOf(this.spec.size));
  }

  /** Snapshots the kernel's UDP counters; `resultBase` reports the difference. */
  watchKernelUdp(): void {
    this.kernelBefore = this.readKernelUdp();
  }

  /** Kernel UDP counter deltas since `watchKernelUdp`, or undefined (not watched, not Linux). */
  kernelUdpDelta(): KernelUdpCounters | undefined {
    return this.kernelBefore === undefined ? undefined : diffKernelUdpCounters(this.kernelBefore, this.readKernelUdp());
  }

  /** The host's counters; on a wire path, its two namespaces' together (the whole path, as the host is). */
  private readKernelUdp(): KernelUdpCounters | undefined {
    const path = this.ctx.path;
    if (path === undefined) return readKernelUdpCounters();
    const sides = [path.client, path.target].map((place) => parseSnmpUdp(place.readProcNet('snmp')));
    if (sides.some((c) => c === undefined)) return undefined;
    const sum: KernelUdpCounters = {};
    for (const counters of sides) for (const [name, value] of Object.entries(counters!)) sum[name] = (sum[name] ?? 0) + value;
    return sum;
  }

  /**
   * Name, type, timing, errors, series, notes and (when paced) lateness, for assembleWorkloadResult.
   * Call once, at the end.
   */
  resultBase(identity: WorkloadIdentity, paced: boolean, kernelUdp?: KernelUdpCounters): ResultBase {
    return {
      name: this.spec.name,
      kind: identity.type,
      protocol: identity.protocol,
      shape: identity.shape,
      ...(this.ctx.proxy !== undefined ? { proxy: this.ctx.proxy } : {}),
      startedAtMs: this.startedAtRel(),
      durationMs: this.durationMs(),
      errors: this.errors,
      series: this.series,
      notes: this.notes,
      ...(paced ? { sendLateness: this.lateness } : {}),
      ...(kernelUdp ? { kernelUdp } : {}),
      ...(this.ctx.path && identity.protocol === 'tcp' ? { tcpConnections: this.endedTcpConnections() } : {}),
    };
  }

  /** Every connection's TCP_INFO, reading those still open now (in the order they closed, then opened). */
  private endedTcpConnections(): TcpConnectionInfo[] {
    for (const read of [...this.openSockets.values()]) read();
    return this.tcpConnections;
  }

  /**
   * On a wire path, takes the kernel's TCP_INFO of `socket` just before it closes, whichever way
   * it closes (destroyed by the workload, by an error, or ended by both sides): `_destroy` is the
   * stream's last step while the descriptor is still open.
   */
  private watchTcpInfo(socket: Socket): void {
    const place = this.ctx.path?.client;
    if (place === undefined) return;
    const connection = `${formatHostPort({ host: socket.localAddress ?? '?', port: socket.localPort ?? 0 })} → ${formatHostPort(this.ctx.endpoint)}`;
    const read = () => {
      if (!this.openSockets.delete(socket)) return;
      const fd = socketFd(socket);
      const info = fd !== undefined ? tcpConnectionInfo(connection, place.tcpInfo(fd)) : undefined;
      if (info) this.tcpConnections.push(info);
    };
    this.openSockets.set(socket, read);
    const destroy = socket._destroy;
    socket._destroy = function (this: Socket, error, callback) {
      read();
      destroy.call(this, error, callback);
    };
  }

  /**
   * Connects to the endpoint: the socket, with its connect time recorded in `histogram` (and
   * given to `onConnected`), or 'failed' (the classified error is recorded) or 'stopped' (the
   * workload was stopped).
   */
  async connect(histogram: LatencyHistogram, onConnected?: (connectMs: number) => void): Promise<Socket | 'failed' | 'stopped'> {
    const outcome = await connectTcp(this.ctx.endpoint, this.spec.connectTimeoutMs, this.clock, this.ctx.signal, this.ctx.path?.client);
    if (outcome.ok) {
      histogram.record(outcome.connectMs);
      onConnected?.(outcome.connectMs);
      this.watchTcpInfo(outcome.socket);
      return outcome.socket;
    }
    if (outcome.error === null) return 'stopped';
    this.error(outcome.error.code, outcome.error.message);
    return 'failed';
  }

  /**
   * A send loop on this workload's clock, signal, rate (unless given), end time and lateness
   * histogram, starting now.
   */
  sendLoop(options: Pick<SendLoop, 'sendNext' | 'flush' | 'blocked' | 'waitWritable' | 'maxBurst'> & { rate?: number | 'max' }): {
    done: Promise<SendLoopEnd>;
    stop(): void;
  } {
    const endAtMs = this.endAtMs;
    return runSendLoop({
      clock: this.clock,
      signal: this.ctx.signal,
      startMs: this.clock.now(),
      rate: this.spec.rate,
      ...(endAtMs !== undefined ? { endAtMs } : {}),
      lateness: this.lateness,
      ...options,
    });
  }

  /**
   * Request-at-a-time pacing: waits until request `k` (0-based, counted from `startMs`) is due and
   * records how late it is; false when the workload should stop (duration over, or stopped).
   */
  async paceRequest(k: number, startMs: number): Promise<boolean> {
    const { rate } = this.spec;
    const endAtMs = this.endAtMs;
    if (this.ctx.signal.aborted) return false;
    if (rate === 'max') return endAtMs === undefined || this.clock.now() < endAtMs;
    const due = startMs + (k / rate) * 1000;
    if (endAtMs !== undefined && due >= endAtMs) return false;
    if ((await this.clock.sleepUntil(due, this.ctx.signal)) === 'aborted') return false;
    this.lateness.record(this.clock.now() - due);
    return true;
  }

  /** Waits until the workload's start time; false when stopped before it. */
  async waitForStart(): Promise<boolean> {
    const at = this.ctx.scenarioStartMs + this.spec.startMs;
    if (this.clock.now() < at && (await this.clock.sleepUntil(at, this.ctx.signal)) === 'aborted') return false;
    this.startedAt = this.clock.now();
    return !this.ctx.signal.aborted;
  }

  /** Clock ms → ms after the scenario start. */
  rel(clockMs: number): number {
    return clockMs - this.ctx.scenarioStartMs;
  }

  /** Records a classified error now. */
  error(code: string, message: string): void {
    const now = this.clock.now();
    this.errors.record(code, this.rel(now), message);
    this.series.error(now);
  }

  /** Where sending ends for a `duration` workload (clock ms), else undefined. */
  get endAtMs(): number | undefined {
    return this.spec.durationMs === undefined ? undefined : this.startedAt + this.spec.durationMs;
  }

  startProgress(read: () => Omit<WorkloadProgress, 'errors'>): void {
    const report = this.ctx.onProgress;
    if (report === undefined) return;
    const tick = () => {
      report({ ...read(), errors: this.errors.total });
      this.progressTimer = this.clock.scheduleAt(this.clock.now() + PROGRESS_EVERY_MS, tick);
    };
    this.progressTimer = this.clock.scheduleAt(this.clock.now() + PROGRESS_EVERY_MS, tick);
    this.finalProgress = () => report({ ...read(), errors: this.errors.total });
  }

  private finalProgress: (() => void) | undefined;

  /** Stops the progress ticker and reports the final totals. */
  stopProgress(): void {
    this.progressTimer?.cancel();
    this.progressTimer = undefined;
    this.finalProgress?.();
    this.finalProgress = undefined;
  }

  /** Adds the "stopped early" note when the signal aborted the run. */
  noteIfAborted(what: string): void {
    if (this.ctx.signal.aborted) this.notes.push(`stopped early (deadline or interrupt): ${what}`);
  }

  /** How long the workload ran, ms; 0 if it never started. */
  durationMs(): number {
    return Number.isNaN(this.startedAt) ? 0 : this.clock.now() - this.startedAt;
  }

  /** When sending started, ms after the scenario start (the start time if it never did). */
  startedAtRel(): number {
    return Number.isNaN(this.startedAt) ? this.spec.startMs : this.rel(this.startedAt);
  }
}

/** Sums `value` over `items`. */
export function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}
