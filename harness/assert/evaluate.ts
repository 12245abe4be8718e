/**
 * Judges one parsed check against one workload's result. Every verdict records what was
 * expected, what was observed and why, in a sentence a person can act on:
 *
 *   "p(99) of rtt_ms was 512.3 ms, expected < 500 ms"
 *   "lost_ratio was 9.8% (196 of 2000 messages); configured 10% lies inside the 95% interval …"
 *
 * A check on a metric the workload does not measure (jitter_ms on tcp-echo) is an `error`, not a
 * failure: the scenario is wrong, not the system under test.
 */
import type { Location } from '../core/errors.js';
import type { AssertionResult, HistogramSummary, WorkloadResult } from '../core/result.js';
import { isRatioMetric, type ExpectedRates, type RatioMetric } from './expected-rates.js';
import { formatNumber, formatPercent } from '../core/format-number.js';
import { formatAggregate, formatMetricValue } from './format-value.js';
import { metricInfo, type MetricCoverage, type MetricInfo } from './metric-catalog.js';
import type { Aggregate, Check, ConsistencyCheck, Operator } from './parse.js';
import { proportionInterval } from './statistics.js';

/** Counts behind each ratio: numerator / denominator (as metrics/assemble-workload-result.ts defines them). */
const RATIO_COUNTS: Record<RatioMetric, { count?: string; of: string; noun: string }> = {
  lost_ratio: { count: 'messages_lost_total', of: 'messages_sent_total', noun: 'sent' },
  duplicated_ratio: { count: 'messages_duplicated_total', of: 'messages_received_total', noun: 'received' },
  reordered_ratio: { count: 'messages_reordered_total', of: 'messages_received_total', noun: 'received' },
  corrupted_ratio: { count: 'messages_corrupted_total', of: 'messages_received_total', noun: 'received' },
  // delivered counts intact unique messages (UDP) or bytes (TCP); no counter holds it, so it is
  // recovered from the ratio.
  delivered_ratio: { of: 'messages_sent_total', noun: 'sent' },
  tcp_retransmit_ratio: { count: 'tcp_retransmits_total', of: 'tcp_segments_sent_total', noun: 'data segments sent' },
};

type Observation = { value: number; note?: string } | { error: string };

/** What a check is judged against besides its workload's result. */
export interface EvaluationContext {
  /** Supplies `configured` for `~` checks. */
  expected: ExpectedRates;
  /** Which workload types record which metric. */
  coverage: MetricCoverage;
  /** Where the check is written. */
  where?: Location;
}

type Base = Pick<AssertionResult, 'source' | 'subject' | 'where'>;

/** Evaluates `check` on `workload`. */
export function evaluateCheck(check: Check, workload: WorkloadResult, context: EvaluationContext): AssertionResult {
  const base: Base = { source: check.source, subject: workload.name, ...(context.where ? { where: context.where } : {}) };
  const info = metricInfo(check.metric);
  if (!info) return { ...base, status: 'error', expected: '', observed: '', message: `unknown metric ${check.metric}` };
  const recorders = context.coverage.typesRecording(info.name);
  if (check.kind === 'consistency') return evaluateConsistency(check, info, workload, context.expected, base, recorders);

  const aggregate = check.kind === 'threshold' ? check.aggregate : undefined;
  const observation = observe(info, check.labels, aggregate, workload, recorders);
  const expectedText = `${check.op} ${formatMetricValue(info, check.value, aggregate)}`;
  if ('error' in observation) {
    return { ...base, status: 'error', expected: expectedText, observed: 'not measured', message: observation.error };
  }
  const passed = compare(check.op, observation.value, check.value);
  const status = passed ? 'passed' : 'failed';
  if (check.kind === 'guarantee') return { ...base, ...guaranteeVerdict(check.metric, workload, observation.value, passed), status };
  const observed = formatMetricValue(info, observation.value, aggregate);
  const subject = describeSubject(check);
  const note = observation.note ? ` (${observation.note})` : '';
  return { ...base, status, expected: expectedText, observed, message: `${subject} was ${observed}${note}, expected ${expectedText}` };
}

function evaluateConsistency(
  check: ConsistencyCheck,
  info: MetricInfo,
  workload: WorkloadResult,
  rates: ExpectedRates,
  base: Base,
  recorders: readonly string[],
): AssertionResult {
  const metric = info.name;
  const { confidence } = check;
  // The parser lets ~ apply to ratios only, and every ratio has a prediction.
  if (!isRatioMetric(metric)) throw new Error(`~ on ${metric}, which is not a ratio`);
  const prediction = rates[metric];
  const configured = check.value === 'configured';
  const expectedRate = check.value === 'configured' ? prediction.ratio : check.value;
  const expected = `~ ${formatPercent(expectedRate)}${configured ? ' (configured)' : ''} at ${formatPercent(confidence)} confidence`;
  const error = (message: string, observed = 'not measured'): AssertionResult => ({ ...base, status: 'error', expected: configured ? '~ configured' : expected, observed, message });
  if (configured && prediction.unknown) return error(`the configured ${metric} cannot be predicted: ${prediction.unknown}; use a threshold such as ${metric} < 5% instead`);

  const counts = RATIO_COUNTS[metric];
  const trials = counterSum(workload, counts.of, {});
  if (trials === undefined) return error(notMeasured(info, workload, recorders, counts.of));
  const ratioEntry = counterSum(workload, metric, {});
  let events = counts.count ? counterSum(workload, counts.count, {}) : undefined;
  if (events === undefined && ratioEntry !== undefined) events = Math.round(ratioEntry * trials);
  if (events === undefined) return error(notMeasured(info, workload, recorders, counts.count ?? metric));
  const observedRatio = trials > 0 ? events / trials : 0;
  const observed = `${formatPercent(observedRatio)} (${formatNumber(events)} of ${formatNumber(trials)} ${counts.noun})`;
  if (trials === 0) return error(`no messages were ${counts.noun}, so ${metric} cannot be judged`, observed);

  const interval = proportionInterval(Math.min(events, trials), trials, confidence, prediction.designEffect);
  const inside = interval.low <= expectedRate && expectedRate <= interval.high;
  const basis = configured ? ` Configured from ${prediction.basis.join('; ')}.` : '';
  const notes = rates.notes.length > 0 && (!inside || configured) ? ` Note: ${rates.notes.join('; ')}.` : '';
  const message =
    `${metric} was ${observed}; ${configured ? 'configured ' : ''}${formatPercent(expectedRate)} lies ${inside ? 'inside' : 'outside'} ` +
    `the ${formatPercent(confidence)} interval ${formatPercent(interval.low)}–${formatPercent(interval.high)} around it (${interval.method}).${basis}${notes}`;
  return { ...base, status: inside ? 'passed' : 'failed', expected, observed, message, interval };
}

// ── Observations ─────────────────────────────────────────────────────────

function observe(info: MetricInfo, labels: Record<string, string>, aggregate: Aggregate | undefined, workload: WorkloadResult, recorders: readonly string[]): Observation {
  switch (info.type) {
    case 'histogram':
      return observeHistogram(aggregate ?? { kind: 'avg' }, info, workload, recorders);
    case 'counter': {
      const sum = counterSum(workload, info.name, labels);
      if (sum !== undefined) return { value: sum };
      if (info.name === 'errors_total') {
        return { value: workload.errors.filter((e) => labels.code === undefined || e.code === labels.code).reduce((a, e) => a + e.count, 0) };
      }
      return { error: notMeasured(info, workload, recorders) };
    }
    default: {
      const value = counterSum(workload, info.name, {}) ?? fallback(info.name, workload);
      return value === undefined ? { error: notMeasured(info, workload, recorders) } : { value };
    }
  }
}

/** Sum of a metric over the entries whose labels include `labels`; undefined when it has no entry at all. */
function counterSum(workload: WorkloadResult, name: string, labels: Record<string, string>): number | undefined {
  const entries = workload.metrics.filter((m) => m.name === name);
  if (entries.length === 0) return undefined;
  const selected = entries.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return selected.reduce((a, m) => a + m.value, 0);
}

/** Older or partial results: derive flags and delivery from the TCP stream verdict. */
function fallback(name: string, workload: WorkloadResult): number | undefined {
  const stream = workload.stream;
  if (!stream) return undefined;
  if (name === 'in_order') return stream.inOrder ? 1 : 0;
  if (name === 'intact') return stream.intact ? 1 : 0;
  if (name === 'delivered_ratio' && stream.bytesSent > 0) return stream.bytesReceived / stream.bytesSent;
  return undefined;
}

function observeHistogram(aggregate: Aggregate, info: MetricInfo, workload: WorkloadResult, recorders: readonly string[]): Observation {
  const h: HistogramSummary | undefined =
    workload.histograms[info.name] ?? (info.name === 'send_lateness_ms' ? workload.harness?.sendLatenessMs : undefined);
  if (!h || h.count === 0) {
    const recorded = recorders.includes(workload.kind);
    if (aggregate.kind === 'count' && recorded) return { value: 0 };
    return { error: recorded ? `${info.name} has no samples in workload ${workload.name} (nothing was measured: every message lost, or the workload never ran?)` : notMeasured(info, workload, recorders) };
  }
  switch (aggregate.kind) {
    case 'avg':
      return { value: h.mean };
    case 'min':
      return { value: h.min };
    case 'max':
      return { value: h.max };
    case 'med':
      return { value: h.p50 };
    case 'count':
      return { value: h.count };
    case 'stddev':
      return { value: h.stddev };
    case 'p':
      return percentile(h, aggregate.percentile);
  }
}

const EXACT_PERCENTILES: Array<[number, keyof HistogramSummary]> = [
  [50, 'p50'],
  [90, 'p90'],
  [95, 'p95'],
  [99, 'p99'],
  [99.9, 'p999'],
];

/**
 * A percentile: exact for 0, 50, 90, 95, 99, 99.9 and 100 (the summary keeps those); any other
 * is interpolated (log-linear) within the summary's chart buckets and says so.
 */
export function percentile(h: HistogramSummary, p: number): Observation {
  if (p <= 0) return { value: h.min };
  if (p >= 100) return { value: h.max };
  const exact = EXACT_PERCENTILES.find(([q]) => q === p);
  if (exact) return { value: h[exact[1]] as number };
  const target = (p / 100) * h.count;
  let cumulative = 0;
  let lower = h.min;
  for (const [upper, count] of h.buckets) {
    if (count > 0 && cumulative + count >= target) {
      const fraction = (target - cumulative) / count;
      const lo = Math.max(lower, 1e-9);
      const value = lo * (Math.max(upper, lo) / lo) ** fraction;
      return { value: Math.min(h.max, Math.max(h.min, value)), note: `estimated from ${h.buckets.length} histogram buckets; p(50), p(90), p(95), p(99), p(99.9) are exact` };
    }
    cumulative += count;
    lower = upper;
  }
  return { value: h.max };
}

function notMeasured(info: MetricInfo, workload: WorkloadResult, recorders: readonly string[], name = info.name): string {
  if (!recorders.includes(workload.kind)) {
    return `${info.name} is not measured by ${workload.kind} workloads (${workload.name}); it is measured by ${recorders.join(', ')}`;
  }
  return `${name} was not recorded for workload ${workload.name} (${workload.kind})`;
}

// ── Verdicts ─────────────────────────────────────────────────────────────

/** Relative tolerance of == and != : floating-point noise only (a ratio computed as 1/3·3). */
const EQUAL_EPSILON = 1e-9;

export function compare(op: Operator, observed: number, expected: number): boolean {
  const equal = Math.abs(observed - expected) <= EQUAL_EPSILON * Math.max(1, Math.abs(observed), Math.abs(expected));
  switch (op) {
    case '<':
      return observed < expected && !equal;
    case '<=':
      return observed <= expected || equal;
    case '>':
      return observed > expected && !equal;
    case '>=':
      return observed >= expected || equal;
    case '==':
      return equal;
    case '!=':
      return !equal;
    case '~':
      return equal;
  }
}

function describeSubject(check: Check): string {
  const labels = Object.entries(check.labels);
  const name = labels.length > 0 ? `${check.metric}{${labels.map(([k, v]) => `${k}=${v}`).join(',')}}` : check.metric;
  return check.kind === 'threshold' && check.aggregate ? `${formatAggregate(check.aggregate)} of ${name}` : name;
}

function metricValue(workload: WorkloadResult, name: string): number | undefined {
  return counterSum(workload, name, {});
}

function guaranteeVerdict(metric: string, workload: WorkloadResult, value: number, passed: boolean): Pick<AssertionResult, 'expected' | 'observed' | 'message'> {
  const stream = workload.stream;
  const count = (name: string, streamValue?: number) => metricValue(workload, name) ?? streamValue ?? 0;
  if (metric === 'in_order') {
    const reordered = count('messages_reordered_total');
    const distance = metricValue(workload, 'reorder_distance_max');
    const received = count('messages_received_total', stream?.framesReceived);
    return {
      expected: 'every message in order',
      observed: passed ? 'in order' : `${formatNumber(reordered)} out of order`,
      message: passed
        ? `every message arrived in order (${formatNumber(received)} received)`
        : `${formatNumber(reordered)} of ${formatNumber(received)} messages arrived after a later one${distance ? ` (reorder distance up to ${formatNumber(distance)})` : ''}`,
    };
  }
  if (metric === 'intact') {
    const missing = count('messages_lost_total', stream?.missingFrames);
    const duplicated = count('messages_duplicated_total', stream?.duplicatedFrames);
    const corrupted = count('messages_corrupted_total', stream?.corruptedFrames);
    const defects = `${formatNumber(missing)} missing, ${formatNumber(duplicated)} duplicated, ${formatNumber(corrupted)} corrupted`;
    return {
      expected: 'nothing missing, duplicated or corrupted',
      observed: passed ? 'intact' : defects,
      message: passed ? 'every message arrived intact, once' : `not intact: ${defects}`,
    };
  }
  // delivered_ratio == 100%
  const tcpBytes = workload.protocol === 'tcp' && stream ? ` (${formatNumber(stream.bytesReceived)} of ${formatNumber(stream.bytesSent)} bytes)` : '';
  const sent = metricValue(workload, 'messages_sent_total');
  const received = metricValue(workload, 'messages_received_total');
  const messages = !tcpBytes && sent !== undefined && received !== undefined ? ` (${formatNumber(received)} of ${formatNumber(sent)} messages)` : '';
  return {
    expected: '100% delivered',
    observed: formatPercent(value),
    message: passed ? `delivered 100%${tcpBytes || messages}` : `delivered only ${formatPercent(value)}${tcpBytes || messages}, expected 100%`,
  };
}
