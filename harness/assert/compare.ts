/**
 * The side-by-side protocol comparison of `compare: [tcp, udp]`: one row per workload with the
 * same columns, and a one-line summary a person can quote ("TCP delivered 100% in order with p99
 * RTT 430 ms" / "UDP lost 9.8% (configured 10%) with p99 RTT 12 ms").
 */
import type { ComparisonRow, WorkloadResult } from '../core/result.js';
import type { ExpectedRates, RatioMetric } from './expected-rates.js';
import { formatNumber, formatPercent } from '../core/format-number.js';

/** Rows in the order given; `expected` adds the configured rates to the summaries. */
export function compareWorkloads(workloads: readonly WorkloadResult[], expected: ReadonlyMap<string, ExpectedRates>): ComparisonRow[] {
  return workloads.map((workload) => compareRow(workload, expected.get(workload.name)));
}

function compareRow(workload: WorkloadResult, rates: ExpectedRates | undefined): ComparisonRow {
  const value = (name: string): number | null => {
    const entries = workload.metrics.filter((m) => m.name === name);
    return entries.length === 0 ? null : entries.reduce((a, m) => a + m.value, 0);
  };
  const latencyName = workload.histograms.rtt_ms ? 'rtt_ms' : workload.histograms.one_way_delay_ms ? 'one_way_delay_ms' : undefined;
  const latency = latencyName ? workload.histograms[latencyName]! : undefined;
  const row: ComparisonRow = {
    workload: workload.name,
    protocol: workload.protocol,
    delivered_ratio: value('delivered_ratio'),
    lost_ratio: value('lost_ratio'),
    reordered_ratio: value('reordered_ratio'),
    duplicated_ratio: value('duplicated_ratio'),
    corrupted_ratio: value('corrupted_ratio'),
    latency_p50_ms: latency && latency.count > 0 ? latency.p50 : null,
    latency_p99_ms: latency && latency.count > 0 ? latency.p99 : null,
    summary: '',
  };
  row.summary = summarize(workload, row, rates, latencyName === 'rtt_ms' ? 'RTT' : 'one-way delay', value);
  return row;
}

function summarize(
  workload: WorkloadResult,
  row: ComparisonRow,
  rates: ExpectedRates | undefined,
  latencyLabel: string,
  value: (name: string) => number | null,
): string {
  const protocol = workload.protocol.toUpperCase();
  const parts: string[] = [];
  const configured = (metric: RatioMetric) => {
    const rate = rates?.[metric];
    return rate && !rate.unknown && rate.ratio > 0 ? ` (configured ${formatPercent(rate.ratio)})` : '';
  };
  const inOrder = value('in_order');
  const intact = value('intact');
  if (workload.protocol === 'tcp' || row.lost_ratio === null) {
    const delivered = row.delivered_ratio;
    let text = delivered === null ? 'delivered an unknown share' : `delivered ${formatPercent(delivered)}`;
    if (inOrder !== null) text += inOrder === 1 ? ' in order' : ' out of order';
    if (intact === 0 && delivered === 1) text += ' but not intact';
    parts.push(text);
  } else {
    parts.push(`lost ${formatPercent(row.lost_ratio)}${configured('lost_ratio')}`);
  }
  for (const [metric, verb] of [
    ['reordered_ratio', 'reordered'],
    ['duplicated_ratio', 'duplicated'],
    ['corrupted_ratio', 'corrupted'],
  ] as const) {
    const observed = row[metric];
    if (observed !== null && observed > 0) parts.push(`${verb} ${formatPercent(observed)}${configured(metric)}`);
  }
  const errors = workload.errors.filter((e) => e.count > 0);
  if (errors.length > 0) parts.push(`errors ${errors.map((e) => `${e.code} ×${formatNumber(e.count)}`).join(', ')}`);
  const latency = row.latency_p99_ms === null ? ', no latency samples' : ` with p99 ${latencyLabel} ${formatNumber(row.latency_p99_ms)} ms`;
  return `${protocol} ${joinParts(parts)}${latency}`;
}

function joinParts(parts: string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
