/**
 * Every metric an assertion can name (docs/scenarios.md, "Metrics"), with its type, unit and the
 * workload kinds that measure it. One list, shared by the assertion parser (did-you-mean hints,
 * which aggregates and values a metric takes), the scenario loader and docs/assertions.md.
 */
import type { WorkloadKind } from '../core/result.js';

/**
 * - `counter`: a count that only grows (`_total`), may carry labels;
 * - `ratio`: a proportion 0..1 of messages (`_ratio`), the only metrics `~` applies to;
 * - `flag`: 1 or 0 (`in_order`, `intact`);
 * - `gauge`: one measured number (`jitter_ms`, `goodput_bytes_per_sec`);
 * - `histogram`: a distribution, judged through an aggregate (`p(99)`, `avg`, …).
 */
export type MetricType = 'counter' | 'ratio' | 'flag' | 'gauge' | 'histogram';

export interface MetricInfo {
  name: string;
  type: MetricType;
  /** Unit of the value, for messages and value parsing: `ms` metrics accept durations. */
  unit: 'count' | 'ratio' | 'flag' | 'ms' | 'bytes' | 'bytes/s' | 'messages';
  /** Workload kinds that record it. */
  workloads: readonly WorkloadKind[];
  /** One line for docs and error messages. */
  summary: string;
}

const ALL: readonly WorkloadKind[] = ['tcp-echo', 'tcp-stream', 'udp-echo', 'udp-stream', 'tcp-raw', 'udp-raw'];
const FRAMED: readonly WorkloadKind[] = ['tcp-echo', 'tcp-stream', 'udp-echo', 'udp-stream'];
const STREAM: readonly WorkloadKind[] = ['tcp-stream', 'udp-stream'];
const UDP: readonly WorkloadKind[] = ['udp-echo', 'udp-stream', 'udp-raw'];
const UDP_FRAMED: readonly WorkloadKind[] = ['udp-echo', 'udp-stream'];
const TCP: readonly WorkloadKind[] = ['tcp-echo', 'tcp-stream', 'tcp-raw'];
const RAW: readonly WorkloadKind[] = ['tcp-raw', 'udp-raw'];
const ROUND_TRIP: readonly WorkloadKind[] = ['tcp-echo', 'udp-echo', 'tcp-raw', 'udp-raw'];

function m(name: string, type: MetricType, unit: MetricInfo['unit'], workloads: readonly WorkloadKind[], summary: string): MetricInfo {
  return { name, type, unit, workloads, summary };
}

/** The metric catalog, in the order docs list it. */
export const METRIC_CATALOG: readonly MetricInfo[] = [
  m('messages_sent_total', 'counter', 'messages', ALL, 'Messages (raw: requests) sent.'),
  m('messages_received_total', 'counter', 'messages', ALL, 'Unique messages (raw: responses) received.'),
  m('messages_lost_total', 'counter', 'messages', FRAMED, 'Messages never received (echo: no reply within `timeout`).'),
  m('lost_ratio', 'ratio', 'ratio', FRAMED, 'messages_lost_total / messages_sent_total.'),
  m('messages_duplicated_total', 'counter', 'messages', FRAMED, 'Extra copies received.'),
  m('duplicated_ratio', 'ratio', 'ratio', FRAMED, 'messages_duplicated_total / messages_received_total.'),
  m('messages_reordered_total', 'counter', 'messages', FRAMED, 'Messages that arrived after a higher sequence number.'),
  m('reordered_ratio', 'ratio', 'ratio', FRAMED, 'messages_reordered_total / messages_received_total.'),
  m('reorder_distance_max', 'gauge', 'messages', FRAMED, 'Largest reorder distance, in sequence numbers.'),
  m('messages_corrupted_total', 'counter', 'messages', FRAMED, 'Messages whose checksum did not match.'),
  m('corrupted_ratio', 'ratio', 'ratio', FRAMED, 'messages_corrupted_total / messages_received_total.'),
  m('delivered_ratio', 'ratio', 'ratio', ALL, 'Unique messages received / sent; TCP: bytes received intact / bytes sent.'),
  m('in_order', 'flag', 'flag', FRAMED, '1 when no message overtook another, else 0.'),
  m('intact', 'flag', 'flag', FRAMED, '1 when nothing was corrupted, duplicated or missing, else 0.'),
  m('bytes_sent_total', 'counter', 'bytes', ALL, 'Payload and framing bytes sent.'),
  m('bytes_received_total', 'counter', 'bytes', ALL, 'Payload and framing bytes received.'),
  m('goodput_bytes_per_sec', 'gauge', 'bytes/s', STREAM, 'Intact bytes received per second.'),
  m('jitter_ms', 'gauge', 'ms', UDP, 'RFC 3550 interarrival jitter, as iperf3 computes it.'),
  m('errors_total', 'counter', 'count', ALL, 'Classified errors, labelled by `code` (ECONNRESET, ETIMEDOUT, …).'),
  m('connections_total', 'counter', 'count', TCP, 'TCP connections attempted.'),
  m('connections_failed_total', 'counter', 'count', TCP, 'TCP connections that failed.'),
  m('responses_matched_total', 'counter', 'count', RAW, 'Responses that matched the expectation.'),
  m('responses_mismatched_total', 'counter', 'count', RAW, 'Responses that did not match the expectation.'),
  m('incidental_lost_total', 'counter', 'messages', UDP_FRAMED, 'Lost datagrams that no fault in the proxy ledger dropped.'),
  m('rtt_ms', 'histogram', 'ms', ROUND_TRIP, 'Round-trip time of each request.'),
  m('one_way_delay_ms', 'histogram', 'ms', STREAM, 'Send-to-receive delay of each message.'),
  m('connect_ms', 'histogram', 'ms', TCP, 'TCP connect time.'),
  m('interarrival_ms', 'histogram', 'ms', UDP, 'Time between consecutive arrivals.'),
  m('send_lateness_ms', 'histogram', 'ms', ALL, 'How late the sender was against its own schedule.'),
];

/** Every canonical metric name. */
export const METRIC_NAMES: readonly string[] = METRIC_CATALOG.map((info) => info.name);

/** Short names users may write instead of the canonical one. */
export const METRIC_ALIASES: Readonly<Record<string, string>> = {
  errors: 'errors_total',
  delivered: 'delivered_ratio',
};

/** Bare checks that need no operator. */
export const GUARANTEES = ['in_order', 'intact', 'delivered'] as const;

const BY_NAME = new Map(METRIC_CATALOG.map((info) => [info.name, info]));

/** The catalog entry for a canonical name or alias, or undefined. */
export function metricInfo(name: string): MetricInfo | undefined {
  return BY_NAME.get(METRIC_ALIASES[name] ?? name);
}
