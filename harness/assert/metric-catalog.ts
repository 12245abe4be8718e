/**
 * Every metric an assertion can name (docs/assertions.md, "Metrics"), with its type and unit. One
 * list, shared by the assertion parser (did-you-mean hints, which aggregates and values a metric
 * takes), the scenario loader and docs/assertions.md. Which workload types record which metric
 * is each type's own declaration (workload/definition.ts), handed to evaluation as a
 * MetricCoverage.
 */

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
  unit: 'count' | 'ratio' | 'flag' | 'ms' | 'bytes' | 'bytes/s' | 'messages' | '/s';
  /** One line for docs and error messages. */
  summary: string;
}

function m(name: string, type: MetricType, unit: MetricInfo['unit'], summary: string): MetricInfo {
  return { name, type, unit, summary };
}

/** The metric catalog, in the order docs list it. */
export const METRIC_CATALOG: readonly MetricInfo[] = [
  m('messages_sent_total', 'counter', 'messages', 'Messages (raw: requests) sent.'),
  m('messages_received_total', 'counter', 'messages', 'Unique messages (raw: responses) received.'),
  m('messages_lost_total', 'counter', 'messages', 'Messages never received (echo: no reply within `timeout`).'),
  m('lost_ratio', 'ratio', 'ratio', 'messages_lost_total / messages_sent_total.'),
  m('messages_duplicated_total', 'counter', 'messages', 'Extra copies received.'),
  m('duplicated_ratio', 'ratio', 'ratio', 'messages_duplicated_total / messages_received_total.'),
  m('messages_reordered_total', 'counter', 'messages', 'Messages that arrived after a higher sequence number.'),
  m('reordered_ratio', 'ratio', 'ratio', 'messages_reordered_total / messages_received_total.'),
  m('reorder_distance_max', 'gauge', 'messages', 'Largest reorder distance, in sequence numbers.'),
  m('messages_corrupted_total', 'counter', 'messages', 'Messages whose checksum did not match.'),
  m('corrupted_ratio', 'ratio', 'ratio', 'messages_corrupted_total / messages_received_total.'),
  m('delivered_ratio', 'ratio', 'ratio', 'Unique messages received / sent; TCP: bytes received intact / bytes sent.'),
  m('in_order', 'flag', 'flag', '1 when no message overtook another, else 0.'),
  m('intact', 'flag', 'flag', '1 when nothing was corrupted, duplicated or missing, else 0.'),
  m('bytes_sent_total', 'counter', 'bytes', 'Payload and framing bytes sent.'),
  m('bytes_received_total', 'counter', 'bytes', 'Payload and framing bytes received.'),
  m('goodput_bytes_per_sec', 'gauge', 'bytes/s', 'Intact bytes received per second.'),
  m('jitter_ms', 'gauge', 'ms', 'RFC 3550 interarrival jitter, as iperf3 computes it.'),
  m('errors_total', 'counter', 'count', 'Classified errors, labelled by `code` (ECONNRESET, ETIMEDOUT, …).'),
  m('connections_total', 'counter', 'count', 'TCP connections attempted.'),
  m('connections_failed_total', 'counter', 'count', 'TCP connections that failed.'),
  m('connections_per_sec', 'gauge', '/s', 'TCP connections established per second of the run.'),
  m('responses_matched_total', 'counter', 'count', 'Responses that matched the expectation.'),
  m('responses_mismatched_total', 'counter', 'count', 'Responses that did not match the expectation.'),
  m('incidental_lost_total', 'counter', 'messages', 'Lost datagrams that no fault in the proxy ledger dropped.'),
  m('tcp_segments_sent_total', 'counter', 'count', "Wire paths: data segments the workload's TCP connections sent, retransmissions included (TCP_INFO)."),
  m('tcp_retransmits_total', 'counter', 'count', "Wire paths: segments the workload's TCP connections retransmitted (the kernel's TCP_INFO)."),
  m('tcp_rto_total', 'counter', 'count', "Wire paths: retransmission timeouts of the workload's TCP connections (Linux 6.7 and later)."),
  m('tcp_retransmit_ratio', 'ratio', 'ratio', 'Wire paths: tcp_retransmits_total / data segments sent, retransmissions included.'),
  m('rtt_ms', 'histogram', 'ms', 'Round-trip time of each request.'),
  m('one_way_delay_ms', 'histogram', 'ms', 'Send-to-receive delay of each message.'),
  m('connect_ms', 'histogram', 'ms', 'TCP connect time.'),
  m('interarrival_ms', 'histogram', 'ms', 'Time between consecutive arrivals.'),
  m('send_lateness_ms', 'histogram', 'ms', 'How late the sender was against its own schedule.'),
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

/**
 * Which workload types record which metric: each type's declaration (workload/definition.ts),
 * handed to the assertions by the layer that knows the types (a check on a metric its workload
 * does not record is an error, and the message names the types that do).
 */
export interface MetricCoverage {
  /** The workload types that record `metric`, in docs order. */
  typesRecording(metric: string): readonly string[];
}

/** The catalog entry for a canonical name or alias, or undefined. */
export function metricInfo(name: string): MetricInfo | undefined {
  return BY_NAME.get(METRIC_ALIASES[name] ?? name);
}
