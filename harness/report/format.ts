/**
 * Report-only formatting on top of core's number rules (core/format-number.ts, shared with
 * assertion messages): durations, points in a scenario's time, JUnit seconds, and a value
 * formatted by its metric name's unit suffix.
 */
import { formatDuration } from '../core/duration.js';
import { formatByteRate, formatBytes, formatNumber, formatPercent, formatPlain, MISSING } from '../core/format-number.js';

export { formatBytes, formatNumber, formatPercent, MISSING };

/** Percentage points, for the half-width of an interval on a ratio: `0.006` → `0.6`. */
export function formatPoints(ratio: number): string {
  return formatPlain(ratio * 100);
}

/** Milliseconds as a compact duration (`850ms`, `1.25s`); missing → `—`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return MISSING;
  return formatDuration(ms);
}

/**
 * A value formatted by its metric name's unit suffix (docs/scenarios.md naming): `_ratio` → %,
 * `_ms` → duration, `_bytes_per_sec` → bytes/s, `bytes_*` → bytes, `_per_sec` → /s, `in_order`
 * and `intact` → yes/no.
 */
export function formatQuantity(name: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return MISSING;
  if (name.endsWith('_ratio') || name === 'loss' || name.endsWith('probability')) return formatPercent(value);
  if (name.endsWith('_ms') || name === 'latency' || name === 'jitter') return formatMs(value);
  if (name.endsWith('bytes_per_sec')) return formatByteRate(value);
  if (name.endsWith('_per_sec')) return `${formatNumber(value)}/s`;
  if (name.startsWith('bytes_') || name.endsWith('_bytes')) return formatBytes(value);
  if (name === 'in_order' || name === 'intact') return value === 1 ? 'yes' : 'no';
  return formatNumber(value);
}

/** A point in time since a scenario's start, in seconds with 10 ms resolution: `1000` → `1.00s`. */
export function formatAtMs(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

/** Seconds with millisecond precision, as JUnit's `time` attribute wants them: `1234` → `1.234`. */
export function formatSeconds(ms: number): string {
  return (Math.max(0, Number.isFinite(ms) ? ms : 0) / 1000).toFixed(3);
}
