/**
 * How error messages name a value a user sent: short, typed and unambiguous, the same in every
 * layer that rejects input (the admin API, scenario files, toxic attributes):
 * `"abc" (a string)`, `null`, `an array`, `an object`, `12 (number)`.
 */

/** A short description of a JSON value for error messages; long strings are cut at 40 characters. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}" (a string)`;
  if (typeof value === 'object') return 'an object';
  return `${String(value)} (${typeof value})`;
}
