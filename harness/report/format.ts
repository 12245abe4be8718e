/**
 * Numbers for people, the same in every report: ratios as percentages that never round a real
 * loss to "0%" or a partial delivery to "100%", byte sizes in powers of 1000 (as scenario files
 * write them), durations via core's formatDuration. Locale-independent, so reports are identical on
 * every machine.
 */
import { formatDuration } from '../core/duration.js';

/** Shown wherever a value is missing (null: no samples). */
export const MISSING = '—';

/** `0.098` → `9.8%`; exact 0 and 1 stay `0%`/`100%`, anything else never displays as either. */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return MISSING;
  const percent = ratio * 100;
  if (ratio === 0 || ratio === 1 || Number.isInteger(percent)) return `${percent}%`;
  const abs = Math.abs(percent);
  let digits = abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  let text = trimZeros(percent.toFixed(digits));
  while (digits < 8 && (Number(text) === 0 || Number(text) === 100)) {
    digits++;
    text = trimZeros(percent.toFixed(digits));
  }
  // Beyond 8 decimals, say which side of the limit it is on rather than print a misleading 0 or 100.
  if (Number(text) === 0) return `${percent < 0 ? '>-' : '<'}0.00000001%`;
  if (Number(text) === 100) return '>99.99999999%';
  return `${text}%`;
}

/** Percentage points, for the half-width of an interval on a ratio: `0.006` → `0.6`. */
export function formatPoints(ratio: number): string {
  return formatPlain(ratio * 100);
}

/** Integers grouped with commas (`12,345`); other numbers with about 3 significant decimals. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return MISSING;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return groupThousands(value);
  return formatPlain(value);
}

/** `1234567` → `1.23 MB` (powers of 1000, like scenario files' `MB`). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return MISSING;
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? groupThousands(Math.round(value)) : formatPlain(value)} ${units[unit]}`;
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
  if (name.endsWith('_ratio') || name === 'loss' || name.endsWith('probability')) return formatRatio(value);
  if (name.endsWith('_ms') || name === 'latency' || name === 'jitter') return formatMs(value);
  if (name.endsWith('bytes_per_sec')) return `${formatBytes(value)}/s`;
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

/** About three significant digits after the point, trailing zeros trimmed: `12.3456` → `12.35`. */
function formatPlain(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e15 || (abs !== 0 && abs < 1e-6)) return value.toPrecision(3);
  const digits = abs === 0 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 2 - Math.floor(Math.log10(abs));
  const text = trimZeros(abs.toFixed(digits));
  const [whole = '0', fraction] = text.split('.');
  const sign = value < 0 && Number(text) !== 0 ? '-' : '';
  return `${sign}${groupThousands(Number(whole))}${fraction === undefined ? '' : `.${fraction}`}`;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

function groupThousands(value: number): string {
  const sign = value < 0 ? '-' : '';
  const digits = String(Math.abs(value));
  if (digits.includes('e')) return `${sign}${digits}`;
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
