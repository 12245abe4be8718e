/**
 * The values a fault search draws one dimension from (an attribute, a start time, a duration):
 * a short list of round numbers across the range, ascending. Round values make a minimal
 * schedule readable (`latency: 200`, not `latency: 187.3`) and keep shrinking short: fast-check
 * bisects an index into the list, so a dimension costs a handful of runs, not dozens.
 *
 *   linear: about 10 even steps of 1, 2 or 5 × 10ⁿ        0..0.3   → 0, 0.05, 0.1, …, 0.25, 0.3
 *   log:    1, 2, 5 × 10ⁿ over the top three decades     0..500   → 0, 0.5, 1, 2, 5, 10, …, 200, 500
 *
 * The ends of the range are on the grid (a `min` the file wrote, the top the search may reach),
 * except an exclusive lower bound, which never is, and on a log scale a lower bound more than
 * three decades under the top (other than 0).
 */

export interface GridRange {
  min: number;
  max: number;
  /** `min` itself is not allowed (an attribute's `above`). */
  minExclusive?: boolean;
  /** Only whole numbers (an `int` attribute, milliseconds of a window). */
  integer?: boolean;
  scale: 'linear' | 'log';
}

/** Steps across a linear range. */
const LINEAR_STEPS = 10;
/** Decades below the top a log range reaches down to. */
const LOG_DECADES = 3;

export function gridValues(range: GridRange): number[] {
  const { min, max } = range;
  if (!(min <= max)) throw new RangeError(`grid range ${min}..${max} goes down`);
  const values = new Set<number>();
  // A log range reaches three decades below its top: a lower bound far under that (a bandwidth
  // floor of one byte per second) is not a value worth a run; 0 always is (no fault at all).
  const floor = range.scale === 'log' ? max / 10 ** LOG_DECADES : -Infinity;
  if (!range.minExclusive && (min >= floor || min === 0 || min === max)) values.add(min);
  const inside = (v: number) => v > min && v < max && (!range.integer || Number.isInteger(v));
  if (range.scale === 'linear') {
    const step = Math.max(range.integer ? 1 : 0, niceStep((max - min) / LINEAR_STEPS));
    for (let k = Math.floor(min / step) + 1; step > 0 && k * step < max; k++) values.add(round(k * step));
  } else {
    for (let exponent = Math.floor(Math.log10(floor)); 10 ** exponent < max; exponent++) {
      for (const mantissa of [1, 2, 5]) {
        const v = round(mantissa * 10 ** exponent);
        if (v >= floor && inside(v)) values.add(v);
      }
    }
  }
  if (max > min || !range.minExclusive) values.add(max);
  return [...values].filter((v) => v === max || v === min || inside(v)).sort((a, b) => a - b);
}

/** The smallest of 1, 2, 5 × 10ⁿ at or above `raw` (0 for 0). */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 0;
  const exponent = Math.floor(Math.log10(raw));
  for (const mantissa of [1, 2, 5, 10]) {
    const step = round(mantissa * 10 ** exponent);
    if (step >= raw) return step;
  }
  return round(10 ** (exponent + 1));
}

/** Twelve significant digits: `0.1 * 3` is 0.3 on the grid, not 0.30000000000000004. */
function round(value: number): number {
  return Number(value.toPrecision(12));
}
