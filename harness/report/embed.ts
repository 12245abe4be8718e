/**
 * The copy of a RunResult that index.html carries in its `faultline-result` JSON block, so the page
 * alone says everything a person needs. It stays a valid RunResult (readRunResult accepts it) but
 * is bounded whatever the run's size: long series are mean-resampled to wider buckets, ledger
 * event logs keep their newest events (the rest are added to `eventsDropped`), and wire paths'
 * time–sequence points are left out (the charts block draws them). results.json next to the page
 * is the complete record.
 */
import type { RunResult, TimeSeries } from '../core/result.js';
import { resampleMean } from './downsample.js';

export interface EmbedLimits {
  /** Buckets per series at most (default 200; the charts block carries the drawn detail). */
  maxSeriesBuckets?: number;
  /** Ledger events kept per proxy (default 50). */
  maxLedgerEvents?: number;
}

/** A bounded copy of `result` (the input is not modified). */
export function reduceForEmbedding(result: RunResult, limits: EmbedLimits = {}): RunResult {
  const maxBuckets = limits.maxSeriesBuckets ?? 200;
  const maxEvents = limits.maxLedgerEvents ?? 50;
  return {
    ...result,
    scenarios: result.scenarios.map((s) => ({
      ...s,
      workloads: s.workloads.map((w) => ({ ...w, series: reduceSeries(w.series, maxBuckets) })),
      ledger: s.ledger.map((l) => {
        if (l.events.length <= maxEvents) return l;
        const cut = l.events.length - maxEvents;
        return { ...l, events: l.events.slice(cut), eventsDropped: l.eventsDropped + cut };
      }),
      ...(s.paths ? { paths: s.paths.map((p) => (p.tcpTraces ? { ...p, tcpTraces: p.tcpTraces.map((t) => ({ ...t, points: [] })) } : p)) } : {}),
    })),
  };
}

function reduceSeries(series: TimeSeries, maxBuckets: number): TimeSeries {
  const length = Math.max(0, ...Object.values(series.columns).map((c) => c.length));
  if (length <= maxBuckets) return series;
  const factor = Math.ceil(length / maxBuckets);
  const columns: TimeSeries['columns'] = {};
  for (const [name, values] of Object.entries(series.columns)) {
    columns[name] = resampleMean(values, factor).map((v) => (v === null || v === 0 ? v : Number(v.toPrecision(5))));
  }
  return { bucketMs: series.bucketMs * factor, startMs: series.startMs, columns };
}
