/**
 * A latency distribution recorded in microseconds and summarised in milliseconds.
 *
 * Percentiles come from an HDR histogram (`hdr-histogram-js`, 3 significant digits: every
 * percentile is within 0.1% of the exact order statistic), so memory stays a few KiB whatever the
 * sample count. Count, min, max, mean and standard deviation are tracked exactly alongside it,
 * because they are cheap and an HDR bucket's edge would otherwise show as the "max".
 */
import * as hdr from 'hdr-histogram-js';
import type { HistogramSummary } from '../core/result.js';

/** At most this many buckets in a summary's chart distribution. */
export const MAX_CHART_BUCKETS = 64;

/** Buckets grow by at least this factor, so a narrow distribution gets fewer, wider buckets. */
const MIN_BUCKET_GROWTH = 1.02;

export interface LatencyHistogramOptions {
  /** HDR precision in significant decimal digits (1..5). Default 3. */
  significantDigits?: 1 | 2 | 3 | 4 | 5;
}

export class LatencyHistogram {
  private readonly histogram: hdr.Histogram;
  private n = 0;
  private minUs = Infinity;
  private maxUs = -Infinity;
  private sumUs = 0;
  private sumSquaresUs = 0;

  constructor(options: LatencyHistogramOptions = {}) {
    this.histogram = hdr.build({
      bitBucketSize: 32,
      autoResize: true,
      lowestDiscernibleValue: 1,
      numberOfSignificantValueDigits: options.significantDigits ?? 3,
    });
  }

  /** Number of samples recorded. */
  get count(): number {
    return this.n;
  }

  /** Records one sample in milliseconds (µs resolution; negative values count as 0). */
  record(ms: number): void {
    const us = ms > 0 ? Math.round(ms * 1000) : 0;
    this.histogram.recordValue(us);
    this.n++;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
    this.sumUs += us;
    this.sumSquaresUs += us * us;
  }

  /** Adds every sample of `other` to this histogram. */
  merge(other: LatencyHistogram): void {
    if (other.n === 0) return;
    this.histogram.add(other.histogram);
    this.n += other.n;
    this.minUs = Math.min(this.minUs, other.minUs);
    this.maxUs = Math.max(this.maxUs, other.maxUs);
    this.sumUs += other.sumUs;
    this.sumSquaresUs += other.sumSquaresUs;
  }

  /** The value at percentile `p` (0..100) in ms, clamped to the exact min and max; null when empty. */
  percentileMs(p: number): number | null {
    if (this.n === 0) return null;
    const us = Math.min(this.maxUs, Math.max(this.minUs, this.histogram.getValueAtPercentile(p)));
    return us / 1000;
  }

  /** Summary in ms; an empty histogram summarises to zeros with `count: 0` and no buckets. */
  summarize(): HistogramSummary {
    if (this.n === 0) {
      return { count: 0, min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, buckets: [] };
    }
    const meanUs = this.sumUs / this.n;
    // Population standard deviation; max(0, …) guards against rounding just below zero.
    const varianceUs = Math.max(0, this.sumSquaresUs / this.n - meanUs * meanUs);
    return {
      count: this.n,
      min: this.minUs / 1000,
      max: this.maxUs / 1000,
      mean: meanUs / 1000,
      stddev: Math.sqrt(varianceUs) / 1000,
      p50: this.percentileMs(50)!,
      p90: this.percentileMs(90)!,
      p95: this.percentileMs(95)!,
      p99: this.percentileMs(99)!,
      p999: this.percentileMs(99.9)!,
      buckets: this.chartBuckets(),
    };
  }

  /**
   * `[upperBoundMs, count]` on log-spaced buckets between the exact min and max (at most
   * MAX_CHART_BUCKETS). Bucket i holds values in (bound[i-1], bound[i]]; the first also holds the min.
   */
  private chartBuckets(): Array<[number, number]> {
    const lowUs = Math.max(1, this.minUs);
    const highUs = this.maxUs;
    if (highUs <= lowUs) return [[round6(highUs / 1000), this.n]];
    const span = Math.log(highUs / lowUs);
    const bucketCount = Math.max(1, Math.min(MAX_CHART_BUCKETS, Math.ceil(span / Math.log(MIN_BUCKET_GROWTH))));
    const step = span / bucketCount;
    const counts = new Array<number>(bucketCount).fill(0);
    const iterator = (this.histogram as hdr.JsHistogram).recordedValuesIterator;
    iterator.reset();
    while (iterator.hasNext()) {
      const value = iterator.next();
      // The iterator reports a bucket's highest equivalent value; clamp it into the exact range.
      const us = Math.min(highUs, Math.max(lowUs, value.valueIteratedTo));
      const index = Math.min(bucketCount - 1, Math.max(0, Math.ceil(Math.log(us / lowUs) / step - 1e-9) - 1));
      counts[index]! += value.countAtValueIteratedTo;
    }
    return counts.map((count, i) => [round6((lowUs * Math.exp(step * (i + 1))) / 1000), count]);
  }
}

function round6(value: number): number {
  return Number(value.toPrecision(6));
}
