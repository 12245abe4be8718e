/**
 * Turns a workload's recorders into the saved WorkloadResult: counters and ratios as MetricValue[]
 * under the names of docs/scenarios.md ("Metrics"), histograms summarised in ms, the series and
 * the errors. One place decides every metric's definition and denominator:
 *
 *   lost_ratio        = messages_lost_total / messages_sent_total
 *   duplicated_ratio  = messages_duplicated_total / messages_received_total
 *   reordered_ratio   = messages_reordered_total / messages_received_total
 *   corrupted_ratio   = messages_corrupted_total / messages_received_total
 *   delivered_ratio   = UDP framed: intact unique received / sent;
 *                       TCP framed: bytes received intact / bytes sent;
 *                       raw: responses received / requests sent
 *
 * A ratio whose denominator is 0 is 0 (nothing sent: nothing lost, nothing delivered).
 * Histograms without samples are left out, so an assertion on them reports "not measured"
 * instead of passing on zeros.
 */
import type { MetricValue, StreamVerdict, TcpConnectionInfo, WorkloadResult } from '../core/result.js';
import type { ErrorRecorder } from './error-recorder.js';
import type { KernelUdpCounters } from './kernel-udp-counters.js';
import type { LatencyHistogram } from './latency-histogram.js';
import type { SequenceCounts } from './sequence-tracker.js';
import type { SeriesRecorder } from './series-recorder.js';
import { tcpKernelMetrics } from './tcp-connection-info.js';

/** The identity and timing fields come straight from WorkloadResult (startedAtMs: when sending started). */
export interface WorkloadMeasurements extends Pick<WorkloadResult, 'name' | 'kind' | 'protocol' | 'shape' | 'proxy' | 'startedAtMs' | 'durationMs'> {
  /** Framed workloads: sequence accounting summed over every flow. */
  sequence?: SequenceCounts;
  /** Framing and payload bytes handed to the network / received; absent for workloads without payload. */
  bytesSent?: number;
  bytesReceived?: number;
  /** TCP framed: bytes of intact, first-copy frames received (delivered_ratio's numerator). */
  bytesIntact?: number;
  /** Raw workloads: requests sent and responses read and checked. */
  requests?: { sent: number; received: number; matched: number; mismatched: number };
  /** TCP: connections attempted and failed. */
  connections?: { attempted: number; failed: number };
  /** Metrics particular to one workload type (its definition declares them), added as they are. */
  extraMetrics?: MetricValue[];
  /** Stream workloads. */
  goodputBytesPerSec?: number;
  /** UDP: RFC 3550 jitter, ms. */
  jitterMs?: number;
  /** By metric name (`rtt_ms`, `one_way_delay_ms`, …); empty or absent ones are left out. */
  histograms: Record<string, LatencyHistogram | undefined>;
  /** How late the sender was against its schedule; also reported as `send_lateness_ms`. */
  sendLateness?: LatencyHistogram;
  errors: ErrorRecorder;
  series: SeriesRecorder;
  stream?: StreamVerdict;
  mismatches?: WorkloadResult['mismatches'];
  kernelUdp?: KernelUdpCounters;
  /** Paced senders: asked and achieved message rates, per second (summed over flows). */
  sendRate?: { askedPerSec: number; achievedPerSec: number };
  /** TCP on a wire path: each connection's TCP_INFO at its end; adds the tcp_* kernel metrics. */
  tcpConnections?: TcpConnectionInfo[];
  notes?: string[];
}

export function assembleWorkloadResult(m: WorkloadMeasurements): WorkloadResult {
  const metrics: MetricValue[] = [];
  const add = (name: string, value: number, labels?: Record<string, string>) => {
    metrics.push(labels ? { name, labels, value: clean(value) } : { name, value: clean(value) });
  };

  const seq = m.sequence;
  if (seq) {
    add('messages_sent_total', seq.sent);
    add('messages_received_total', seq.received);
    add('messages_lost_total', seq.lost);
    add('lost_ratio', ratio(seq.lost, seq.sent));
    add('messages_duplicated_total', seq.duplicated);
    add('duplicated_ratio', ratio(seq.duplicated, seq.received));
    add('messages_reordered_total', seq.reordered);
    add('reordered_ratio', ratio(seq.reordered, seq.received));
    add('reorder_distance_max', seq.reorderDistanceMax);
    add('messages_corrupted_total', seq.corrupted);
    add('corrupted_ratio', ratio(seq.corrupted, seq.received));
    const inOrder = m.stream ? m.stream.inOrder : seq.reordered === 0;
    const intact = m.stream ? m.stream.intact : seq.lost === 0 && seq.duplicated === 0 && seq.corrupted === 0;
    add('in_order', inOrder ? 1 : 0);
    add('intact', intact ? 1 : 0);
  }
  if (m.requests) {
    add('messages_sent_total', m.requests.sent);
    add('messages_received_total', m.requests.received);
    add('responses_matched_total', m.requests.matched);
    add('responses_mismatched_total', m.requests.mismatched);
  }

  let delivered: number | undefined;
  if (m.requests) delivered = ratio(m.requests.received, m.requests.sent);
  else if (m.protocol === 'tcp' && m.bytesIntact !== undefined) delivered = ratio(m.bytesIntact, m.bytesSent ?? 0);
  else if (seq) delivered = ratio(seq.receivedIntact, seq.sent);
  if (delivered !== undefined) add('delivered_ratio', delivered);

  if (m.bytesSent !== undefined) add('bytes_sent_total', m.bytesSent);
  if (m.bytesReceived !== undefined) add('bytes_received_total', m.bytesReceived);
  if (m.goodputBytesPerSec !== undefined) add('goodput_bytes_per_sec', m.goodputBytesPerSec);
  if (m.jitterMs !== undefined) add('jitter_ms', m.jitterMs);

  const errorCounts = m.errors.toErrorCounts();
  // With no errors, one unlabelled 0 keeps `errors == 0` answerable; with errors, only labelled
  // counters, so a sum over labels never counts twice.
  if (errorCounts.length === 0) add('errors_total', 0);
  for (const e of errorCounts) add('errors_total', e.count, { code: e.code });

  if (m.connections) {
    add('connections_total', m.connections.attempted);
    add('connections_failed_total', m.connections.failed);
  }
  for (const extra of m.extraMetrics ?? []) add(extra.name, extra.value, extra.labels);
  for (const kernel of tcpKernelMetrics(m.tcpConnections ?? [])) add(kernel.name, kernel.value);

  const histograms: WorkloadResult['histograms'] = {};
  const named: Record<string, LatencyHistogram | undefined> = { ...m.histograms, send_lateness_ms: m.sendLateness };
  for (const [name, histogram] of Object.entries(named)) {
    if (histogram !== undefined && histogram.count > 0) histograms[name] = histogram.summarize();
  }

  const result: WorkloadResult = {
    name: m.name,
    kind: m.kind,
    protocol: m.protocol,
    shape: m.shape,
    startedAtMs: clean(m.startedAtMs),
    durationMs: clean(m.durationMs),
    metrics,
    histograms,
    errors: errorCounts,
    series: m.series.toTimeSeries(),
  };
  if (m.proxy !== undefined) result.proxy = m.proxy;
  if (m.stream) result.stream = m.stream;
  if (m.mismatches && m.mismatches.length > 0) result.mismatches = m.mismatches;
  if (m.tcpConnections) result.tcpConnections = m.tcpConnections;
  const harness: NonNullable<WorkloadResult['harness']> = {};
  if (histograms.send_lateness_ms) harness.sendLatenessMs = histograms.send_lateness_ms;
  if (m.kernelUdp) harness.kernelUdp = m.kernelUdp;
  if (m.sendRate) harness.sendRate = { askedPerSec: clean(m.sendRate.askedPerSec), achievedPerSec: clean(m.sendRate.achievedPerSec) };
  if (Object.keys(harness).length > 0) result.harness = harness;
  if (m.notes && m.notes.length > 0) result.notes = m.notes;
  return result;
}

function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : 0;
}

/** Results are plain JSON: no NaN or Infinity. */
function clean(value: number): number {
  return Number.isFinite(value) ? value : 0;
}
