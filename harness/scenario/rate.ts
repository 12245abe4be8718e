/**
 * Send rates as scenario files write them: `max` (as fast as possible), a message rate `100/s`,
 * or — for byte-paced workloads — a byte rate, a size per second: `10MB/s`, `512KiB/s`.
 * A bare number is refused, like a bare duration: `100` could be per second or per millisecond.
 */
import { DECIMAL_SOURCE, parseByteSize, SIZE_UNIT_SOURCE } from './byte-size.js';

export type Rate = { kind: 'max' } | { kind: 'messages'; perSec: number } | { kind: 'bytes'; bytesPerSec: number };

const MAX_SOURCE = String.raw`^\s*max\s*$`;
const MESSAGE_RATE_SOURCE = String.raw`^\s*${DECIMAL_SOURCE}\s*/\s*s\s*$`;
const BYTE_RATE_SOURCE = String.raw`^\s*(${DECIMAL_SOURCE}\s*${SIZE_UNIT_SOURCE})\s*/\s*s\s*$`;
/** Regex source of a rate string (what the JSON Schema's pattern accepts). */
export const RATE_PATTERN = `${MAX_SOURCE}|${MESSAGE_RATE_SOURCE}|${BYTE_RATE_SOURCE}`;

const MAX = new RegExp(MAX_SOURCE);
const MESSAGE_RATE = new RegExp(MESSAGE_RATE_SOURCE);
const BYTE_RATE = new RegExp(BYTE_RATE_SOURCE);

/** Expected-format text used in error messages wherever a rate is parsed. */
export const RATE_FORMAT = 'max, a message rate such as 100/s, or a byte rate such as 10MB/s';

/** Parses a rate; `undefined` when `text` is not one (or is not above zero). */
export function parseRate(text: string): Rate | undefined {
  if (MAX.test(text)) return { kind: 'max' };
  const messages = MESSAGE_RATE.exec(text);
  if (messages) {
    const perSec = Number(messages[1]);
    return perSec > 0 && Number.isFinite(perSec) ? { kind: 'messages', perSec } : undefined;
  }
  const bytes = BYTE_RATE.exec(text);
  if (bytes) {
    const bytesPerSec = parseByteSize(bytes[1]!);
    return bytesPerSec !== undefined && bytesPerSec > 0 ? { kind: 'bytes', bytesPerSec } : undefined;
  }
  return undefined;
}
