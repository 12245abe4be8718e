/**
 * Numbers in assertion messages and comparison summaries, in the metric's unit, short enough to
 * read and precise enough to see why a check failed: `512.3 ms`, `9.85%`, `12.4 MB/s`, `2000`.
 */
import type { MetricInfo } from './metric-catalog.js';
import type { Aggregate } from './parse.js';

/** A plain number: integers as they are, others to about 4 significant digits. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return String(Math.round(value * 10) / 10);
  if (abs >= 1) return String(Number(value.toFixed(abs >= 100 ? 1 : 2)));
  return String(Number(value.toPrecision(3)));
}

/** A ratio as a percentage: 0.0985 → `9.85%`, 1 → `100%`, 0.99995 → `99.995%` (never rounds to 100%). */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return String(ratio);
  const pct = ratio * 100;
  let text = String(Number(pct.toPrecision(pct >= 10 ? 4 : 3)));
  // Keep "not quite all" visible: 99.9999% must not print as 100%.
  for (let digits = 4; (Number(text) === 100 && ratio < 1) || (Number(text) === 0 && ratio > 0); digits++) {
    text = String(Number(pct.toPrecision(digits)));
    if (digits > 15) break;
  }
  return `${text}%`;
}

/** Bytes per second with decimal units: `12.4 MB/s`. */
export function formatByteRate(bytesPerSec: number): string {
  const units = ['B/s', 'KB/s', 'MB/s', 'GB/s'];
  let value = bytesPerSec;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${formatNumber(value)} ${units[unit]}`;
}

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
    default:
      return formatNumber(value);
  }
}

/** `p(99)`, `avg`, … as the user would write it. */
export function formatAggregate(aggregate: Aggregate): string {
  return aggregate.kind === 'p' ? `p(${aggregate.percentile})` : aggregate.kind;
}
