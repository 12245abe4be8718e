/**
 * Min/max downsampling for charts: a run's series may have 100k buckets, a chart is ~1000 pixels
 * wide. Each group of consecutive buckets becomes two points, its minimum and its maximum in the
 * order they occurred, so a one-bucket loss spike or latency outlier stays visible (averaging or
 * LTTB would thin it out) while the drawn envelope matches what the full series would show at
 * that width. Gaps survive: a group with only nulls yields nulls.
 *
 *   buckets  ▁▁▂▁█▁▁▁▁▂▁▁▁▁▁▁   (16)
 *   groups   [▁▁▂▁][█▁▁▁][▁▂▁▁][▁▁▁▁]
 *   output   ▁▂ █▁ ▁▂ ▁▁       (2 per group; x at the group's first and last bucket)
 */

export interface Downsampled {
  /** Bucket index of every output point (into the original series). */
  indices: number[];
  /** One output array per input column, `indices.length` long. */
  columns: Array<Array<number | null>>;
}

/**
 * Downsamples `columns` (all `length` long) to at most `2 * maxGroups` points. Returns the input
 * unchanged (indices 0..length-1) when it already fits. Every column shares the same x indices.
 */
export function downsampleMinMax(length: number, columns: ReadonlyArray<ArrayLike<number | null>>, maxGroups: number): Downsampled {
  if (maxGroups < 1) throw new RangeError(`maxGroups must be at least 1, got ${maxGroups}`);
  if (length <= 2 * maxGroups) {
    return {
      indices: Array.from({ length }, (_, i) => i),
      columns: columns.map((c) => Array.from({ length }, (_, i) => clean(c[i]))),
    };
  }
  const indices: number[] = [];
  const out: Array<Array<number | null>> = columns.map(() => []);
  for (let g = 0; g < maxGroups; g++) {
    const start = Math.floor((g * length) / maxGroups);
    const end = Math.floor(((g + 1) * length) / maxGroups);
    if (end <= start) continue;
    indices.push(start);
    if (end - start > 1) indices.push(end - 1);
    columns.forEach((column, c) => {
      let min: number | null = null;
      let max: number | null = null;
      let minAt = -1;
      let maxAt = -1;
      for (let i = start; i < end; i++) {
        const v = clean(column[i]);
        if (v === null) continue;
        if (min === null || v < min) {
          min = v;
          minAt = i;
        }
        if (max === null || v > max) {
          max = v;
          maxAt = i;
        }
      }
      const target = out[c]!;
      if (end - start === 1) target.push(min);
      else if (minAt <= maxAt) target.push(min, max);
      else target.push(max, min);
    });
  }
  return { indices, columns: out };
}

/**
 * Mean-resamples one series to at most `maxBuckets` wider buckets (factor k = ceil(n / max)):
 * each output bucket is the mean of the non-null inputs it covers, or null. Keeps the TimeSeries
 * meaning (a value per bucket), for the compact copy of a result embedded in the HTML page.
 */
export function resampleMean(values: ReadonlyArray<number | null>, factor: number): Array<number | null> {
  const out: Array<number | null> = [];
  for (let start = 0; start < values.length; start += factor) {
    let sum = 0;
    let n = 0;
    for (let i = start; i < Math.min(values.length, start + factor); i++) {
      const v = clean(values[i]);
      if (v === null) continue;
      sum += v;
      n++;
    }
    out.push(n === 0 ? null : sum / n);
  }
  return out;
}

function clean(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
