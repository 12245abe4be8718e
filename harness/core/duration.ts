/**
 * Human durations as scenario files and CLI flags write them: `250ms`, `2s`, `1.5s`, `1m`,
 * `1h`, `500us`. A unit is always required: a bare `250` could mean ms (Toxiproxy's attributes)
 * or seconds (most CLIs), and guessing wrong silently makes a scenario 1000× too long or short.
 */

const UNIT_MS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s|m|h)\s*$/;

/** Expected-format text used in error messages wherever a duration is parsed. */
export const DURATION_FORMAT = 'a duration such as 250ms, 2s, 1.5s, 1m (units: us, ms, s, m, h)';

/**
 * Parses a duration string into milliseconds. Returns `undefined` when `text` is not a duration,
 * so callers can report the problem with their own location (a YAML position or a flag name).
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]) * UNIT_MS[match[2]!]!;
  return Number.isFinite(value) ? value : undefined;
}

/** Formats milliseconds compactly for people: `850ms`, `1.25s`, `2m 5s`, `120µs`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1) return `${sign}${round(abs * 1000, 0)}µs`;
  if (abs < 1000) return `${sign}${round(abs, abs < 10 ? 2 : 1)}ms`;
  if (abs < 60_000) return `${sign}${round(abs / 1000, 2)}s`;
  const minutes = Math.floor(abs / 60_000);
  const seconds = Math.round((abs - minutes * 60_000) / 1000);
  return `${sign}${minutes}m${seconds > 0 ? ` ${seconds}s` : ''}`;
}

function round(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}
