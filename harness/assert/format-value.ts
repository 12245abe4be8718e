/**
 * Values in assertion messages and comparison summaries, in the metric's unit, short enough to
 * read and precise enough to see why a check failed: `512.3 ms`, `9.85%`, `12.4 MB/s`, `2,000`.
 * The number rules themselves are core's (core/format-number.ts), the same the reports use.
 */
import { formatByteRate, formatNumber, formatPercent } from '../core/format-number.js';
import type { MetricInfo } from './metric-catalog.js';
import type { Aggregate } from './parse.js';

/** A value of `info`'s metric (reduced by `aggregate`, if any) in its unit. */
export function formatMetricValue(info: MetricInfo, value: number, aggregate?: Aggregate): string {
  if (aggregate?.kind === 'count') return formatNumber(value);
  switch (info.unit) {
    case 'ms':
      return `${formatNumber(value)} ms`;
    case 'ratio':
      return formatPercent(value);
    case 'bytes':
      return `${formatNumber(value)} bytes`;
    case 'bytes/s':
      return formatByteRate(value);
    case '/s':
      return `${formatNumber(value)}/s`;
    default:
      return formatNumber(value);
  }
}

/** `p(99)`, `avg`, … as the user would write it. */
export function formatAggregate(aggregate: Aggregate): string {
  return aggregate.kind === 'p' ? `p(${aggregate.percentile})` : aggregate.kind;
}
