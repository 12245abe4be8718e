import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../core/result.js';
import { faultBands, latencyCdfChart, unitOf, withLossRatio, workloadTimeCharts } from './chart-data.js';
import { downsampleMinMax, resampleMean } from './downsample.js';
import { reduceForEmbedding } from './embed.js';
import { createLargeRun, createSampleRun, histogramFromSamples } from './testing/sample-results.js';

const values = fc.array(fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: null, freq: 5 }), { maxLength: 400 });

describe('downsampleMinMax', () => {
  it('returns short series unchanged', () => {
    expect(downsampleMinMax(3, [[1, null, 3]], 10)).toEqual({ indices: [0, 1, 2], columns: [[1, null, 3]] });
  });

  it('keeps a one-bucket spike that averaging would hide', () => {
    const column = Array.from({ length: 10_000 }, (_, i) => (i === 5_123 ? 100 : 1));
    const out = downsampleMinMax(column.length, [column], 50);
    expect(out.indices.length).toBeLessThanOrEqual(100);
    expect(Math.max(...(out.columns[0] as number[]))).toBe(100);
    const mean = resampleMean(column, 200);
    expect(Math.max(...(mean as number[]))).toBeLessThan(2);
  });

  test.prop([values, fc.integer({ min: 1, max: 40 })])('bounded size, shared x, global extremes kept, x increasing', (column, groups) => {
    const out = downsampleMinMax(column.length, [column, column.map((v) => (v === null ? null : -v))], groups);
    expect(out.indices.length).toBeLessThanOrEqual(Math.max(column.length <= 2 * groups ? column.length : 0, 2 * groups));
    for (const c of out.columns) expect(c).toHaveLength(out.indices.length);
    for (let i = 1; i < out.indices.length; i++) expect(out.indices[i]!).toBeGreaterThan(out.indices[i - 1]!);
    const present = column.filter((v): v is number => v !== null);
    const kept = out.columns[0]!.filter((v): v is number => v !== null);
    if (present.length > 0) {
      expect(Math.max(...kept)).toBe(Math.max(...present));
      expect(Math.min(...kept)).toBe(Math.min(...present));
    } else {
      expect(kept).toEqual([]);
    }
  });
});

describe('chart data', () => {
  const run = createSampleRun();
  const loss = run.scenarios[0]!;

  it('groups series columns by unit suffix', () => {
    expect(unitOf('throughput_bytes_per_sec')).toBe('bytes_per_sec');
    expect(unitOf('sent_per_sec')).toBe('per_sec');
    expect(unitOf('lost_ratio')).toBe('ratio');
    expect(unitOf('latency_p50_ms')).toBe('ms');
    expect(unitOf('sent')).toBe('value');
    const charts = workloadTimeCharts(loss, loss.workloads[1]!);
    expect(charts.map((c) => [c.title, c.series.map((s) => s.label)])).toEqual([
      ['Counts per bucket', ['sent', 'received', 'lost', 'errors']],
      ['Throughput', ['throughput_bytes_per_sec']],
      ['Loss and anomalies', ['lost_ratio']],
      ['Latency', ['latency_p50_ms', 'latency_max_ms']],
    ]);
    expect(charts[0]!.x[0]).toBe(0);
    expect(charts[0]!.x[1]).toBe(0.05);
  });

  it('derives the loss ratio per bucket from sent and lost', () => {
    const derived = withLossRatio({ bucketMs: 10, startMs: 0, columns: { sent: [10, 0, null, 4], lost: [1, 0, 0, 4] } });
    expect(derived.columns.lost_ratio).toEqual([0.1, null, null, 1]);
    const given = { bucketMs: 10, startMs: 0, columns: { sent: [10], lost: [1], lost_ratio: [0.5] } };
    expect(withLossRatio(given)).toBe(given);
  });

  it("shades only the workload's own proxy's faults, from applied to removed", () => {
    expect(faultBands(loss, loss.workloads[1]!)).toEqual([{ label: 'F2', title: 'loss upstream on udp_path', fromSec: 1.0004, toSec: 4.0003, open: false }]);
    const interrupted = run.scenarios.find((s) => s.status === 'interrupted')!;
    const [band] = faultBands(interrupted, interrupted.workloads[0]!);
    expect(band).toMatchObject({ label: 'F1', title: 'part down', open: true, toSec: interrupted.durationMs / 1000 });
    const unapplied: ScenarioResult = { ...loss, faults: [{ ...loss.faults[0]!, appliedAtMs: undefined }] };
    expect(faultBands(unapplied)).toEqual([]);
  });

  it('builds a CDF per workload over the union of bucket bounds, ending at 100%', () => {
    const cdf = latencyCdfChart(loss.workloads[0]!)!;
    expect(cdf.series.map((s) => s.label)).toEqual(['rtt_ms', 'connect_ms']);
    for (const s of cdf.series) {
      const v = s.values as number[];
      for (let i = 1; i < v.length; i++) expect(v[i]!).toBeGreaterThanOrEqual(v[i - 1]!);
      expect(v[v.length - 1]).toBe(100);
    }
    expect(cdf.log).toBe(true);
    const h = histogramFromSamples([1, 2, 3, 4]);
    expect(latencyCdfChart({ ...loss.workloads[0]!, histograms: { rtt_ms: h } })!.series[0]!.values).toEqual(h.buckets.map((_, i, all) => (100 * all.slice(0, i + 1).reduce((n, b) => n + b[1], 0)) / 4));
  });
});

describe('reduceForEmbedding', () => {
  it('bounds a large run and stays a RunResult', () => {
    const large = createLargeRun({ scenarios: 2, buckets: 10_000 });
    const reduced = reduceForEmbedding(large);
    const w = reduced.scenarios[0]!.workloads[0]!;
    expect(w.series.columns.sent!.length).toBeLessThanOrEqual(200);
    expect(w.series.bucketMs).toBe(large.scenarios[0]!.workloads[0]!.series.bucketMs * Math.ceil(10_000 / 200));
    const ledger = reduced.scenarios[0]!.ledger[0]!;
    expect(ledger.events).toHaveLength(50);
    expect(ledger.eventsDropped).toBe(large.scenarios[0]!.ledger[0]!.eventsDropped + 10_000 - 50);
    expect(large.scenarios[0]!.ledger[0]!.events).toHaveLength(10_000);
  });
});
