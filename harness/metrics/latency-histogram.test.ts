import { describe, expect, it } from 'vitest';
import { LatencyHistogram, MAX_CHART_BUCKETS } from './latency-histogram.js';

describe('LatencyHistogram', () => {
  it('summarises 1..1000 ms exactly where it can and within 0.1% for percentiles', () => {
    const h = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) h.record(ms);
    const s = h.summarize();
    expect(s.count).toBe(1000);
    expect(s.min).toBe(1);
    expect(s.max).toBe(1000);
    expect(s.mean).toBeCloseTo(500.5, 9);
    expect(s.stddev).toBeCloseTo(288.6749902572095, 6);
    for (const [value, exact] of [
      [s.p50, 500],
      [s.p90, 900],
      [s.p95, 950],
      [s.p99, 990],
      [s.p999, 999],
    ] as const) {
      expect(Math.abs(value - exact) / exact).toBeLessThanOrEqual(0.001);
    }
  });

  it('keeps microsecond resolution', () => {
    const h = new LatencyHistogram();
    h.record(0.0123);
    h.record(0.0456);
    expect(h.summarize()).toMatchObject({ min: 0.012, max: 0.046 });
  });

  it('log-spaced chart buckets: at most 64, covering every sample', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 5000; i++) h.record(0.01 * 1.002 ** i);
    const { buckets, count, max } = h.summarize();
    expect(buckets.length).toBeLessThanOrEqual(MAX_CHART_BUCKETS);
    expect(buckets.reduce((sum, [, n]) => sum + n, 0)).toBe(count);
    expect(buckets.at(-1)![0]).toBeCloseTo(max, 3);
    const ratios = buckets.slice(1).map(([bound], i) => bound / buckets[i]![0]);
    for (const r of ratios) expect(r).toBeCloseTo(ratios[0]!, 3);
  });

  it('one value, and no values', () => {
    const one = new LatencyHistogram();
    one.record(3);
    one.record(3);
    expect(one.summarize()).toMatchObject({ count: 2, p50: 3, p999: 3, stddev: 0, buckets: [[3, 2]] });
    expect(new LatencyHistogram().summarize()).toMatchObject({ count: 0, buckets: [] });
    expect(new LatencyHistogram().percentileMs(50)).toBeNull();
  });

  it('merges', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.record(1);
    b.record(3);
    a.merge(b);
    expect(a.summarize()).toMatchObject({ count: 2, min: 1, max: 3, mean: 2 });
  });
});
