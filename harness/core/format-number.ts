/**
 * Numbers for people, with one set of rules for every message and report: assertion verdicts,
 * calibration notes, the console, HTML, JUnit and Markdown all print the same value the same way.
 * Ratios become percentages that never round a real loss to "0%" or a partial delivery to
 * "100%"; byte sizes use powers of 1000, as scenario files write them. Locale-independent, so
 * output is identical on every machine. A missing value (null: no samples) prints as `—`.
 */

/** Shown wherever a value is missing (null: no samples). */
export const MISSING = '—';

/** `0.098` → `9.8%`; exact 0 and 1 stay `0%`/`100%`, anything else never displays as either. */
export function formatPercent(ratio: number | null | undefined): string {
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

/** Bytes per second: `12.4 MB/s`. */
export function formatByteRate(bytesPerSec: number | null | undefined): string {
  const bytes = formatBytes(bytesPerSec);
  return bytes === MISSING ? MISSING : `${bytes}/s`;
}

/** About three significant digits after the point, trailing zeros trimmed: `12.3456` → `12.35`. */
export function formatPlain(value: number): string {
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
