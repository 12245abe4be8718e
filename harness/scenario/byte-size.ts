/**
 * Byte sizes as scenario files write them: a number of bytes, or a string with a unit —
 * `512B`, `64KB`, `10MB`, `1GB` (powers of 1000, as network rates count) and `KiB`, `MiB`, `GiB`
 * (powers of 1024, as memory counts). A bare numeric string (`"512"`) is bytes too.
 */

const UNIT_BYTES: Record<string, number> = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** A decimal number without sign or exponent, as sizes, rates and durations write it. */
export const DECIMAL_SOURCE = String.raw`(\d+(?:\.\d+)?|\.\d+)`;
/** The size units, as a regex alternation (shared with rates and the JSON Schema's patterns). */
export const SIZE_UNIT_SOURCE = `(${Object.keys(UNIT_BYTES).join('|')})`;
/** Regex source of a size string (what the JSON Schema's pattern accepts). */
export const BYTE_SIZE_PATTERN = String.raw`^\s*${DECIMAL_SOURCE}\s*${SIZE_UNIT_SOURCE}?\s*$`;

const SIZE = new RegExp(BYTE_SIZE_PATTERN);

/** Expected-format text used in error messages wherever a size is parsed. */
export const BYTE_SIZE_FORMAT = 'a size in bytes: a number, or 512B, 64KB, 10MB, 1GB, 64KiB, 1MiB';

/**
 * Parses a size into a whole number of bytes. Returns `undefined` when `text` is not a size or
 * does not come to whole bytes (`1.5B`), so callers report it with their own location.
 */
export function parseByteSize(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (!match) return undefined;
  // Round away float noise (1.1KB = 1100.0000000000002) before insisting on whole bytes.
  const value = Number((Number(match[1]) * UNIT_BYTES[match[2] ?? 'B']!).toPrecision(15));
  return Number.isSafeInteger(value) ? value : undefined;
}
