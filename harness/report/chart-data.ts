/**
 * Chart-ready data for the HTML report, computed here (pure, tested) so the page's script only
 * draws. A workload's series columns are grouped into charts by their unit suffix, following the
 * metric naming convention (docs/scenarios.md, docs/reports.md):
 *
 *   *bytes_per_sec     ─▶ "Throughput"          (bytes/s)
 *   *_per_sec          ─▶ "Rate"                (per second)
 *   *_ratio            ─▶ "Loss and anomalies"  (0..1, drawn as %)
 *   *_ms               ─▶ "Latency"             (ms)
 *   anything else      ─▶ "Counts per bucket"   (sent, received, lost, errors: metrics' series-recorder)
 *
 * `lost_ratio` is derived from `sent` and `lost` when the series has no such column.
 *
 * Every time chart carries the scenario's fault windows (applied..removed) as bands, numbered
 * F1, F2… like the fault table, and is min/max-downsampled to at most ~2×maxGroups points.
 */
import { TRACE_POINT, type HistogramSummary, type PathResult, type ScenarioResult, type TimeSeries, type WorkloadResult } from '../core/result.js';
import { downsampleMinMax } from './downsample.js';
import { describeFaultShort } from './scenario-facts.js';

export type ChartUnit = 'ratio' | 'ms' | 'bytes_per_sec' | 'per_sec' | 'value';

/** One shaded fault window on a time chart, in seconds since the scenario start. */
export interface FaultBand {
  /** `F1`, `F2`… (1-based position in the scenario's fault list). */
  label: string;
  /** `loss upstream on udp_path`. */
  title: string;
  fromSec: number;
  toSec: number;
  /** The fault was still active when the scenario ended (never removed). */
  open: boolean;
}

export interface TimeChart {
  kind: 'time';
  title: string;
  unit: ChartUnit;
  /** Seconds since the scenario start (of each bucket's start). */
  x: number[];
  /** Width of one bucket of the original series, ms (counts are per bucket). */
  bucketMs: number;
  series: Array<{ label: string; values: Array<number | null> }>;
  bands: FaultBand[];
  /** Set when the series was downsampled: original and drawn point counts. */
  downsampled?: { buckets: number; points: number };
}

export interface CdfChart {
  kind: 'cdf';
  title: string;
  unit: 'ms';
  /** Latency values (bucket upper bounds), ascending. */
  x: number[];
  /** Cumulative percentage 0..100 per histogram, step-wise at each x. */
  series: Array<{ label: string; values: Array<number | null> }>;
  /** Draw x on a log scale (the bounds span more than a decade and are all positive). */
  log: boolean;
}

/**
 * A wire path's TCP flow over time (its time–sequence graph): each data segment as it entered
 * the fault engine, at its relative sequence number; retransmissions, the engine's drops and
 * forged resets as marks of their own. Points only, no lines: one series per kind, null where a
 * point is of another kind.
 */
export interface TcpTraceChart {
  kind: 'tcptrace';
  title: string;
  /** Seconds since the scenario start, ascending (points of every kind). */
  x: number[];
  series: Array<{ label: string; kind: 'sent' | 'retransmitted' | 'dropped' | 'reset'; values: Array<number | null> }>;
  bands: FaultBand[];
  /** Set when the results thinned regular segments: how many there were. */
  thinnedFrom?: number;
}

export type ChartSpec = TimeChart | CdfChart | TcpTraceChart;

/**
 * Default number of min/max groups per chart: 800 points, more than the ~600 px a chart gets in
 * the page's two-column grid (and enough for a full-width one on most screens).
 */
export const DEFAULT_CHART_GROUPS = 400;

const GROUPS: Array<{ unit: ChartUnit; title: string; test: (name: string) => boolean }> = [
  { unit: 'value', title: 'Counts per bucket', test: (n) => !/(_per_sec|_ratio|_ms)$/.test(n) },
  { unit: 'bytes_per_sec', title: 'Throughput', test: (n) => n.endsWith('bytes_per_sec') },
  { unit: 'per_sec', title: 'Rate', test: (n) => n.endsWith('_per_sec') },
  { unit: 'ratio', title: 'Loss and anomalies', test: (n) => n.endsWith('_ratio') },
  { unit: 'ms', title: 'Latency', test: (n) => n.endsWith('_ms') },
];

/** Unit of a series column or metric name, by its suffix. */
export function unitOf(name: string): ChartUnit {
  return GROUPS.find((g) => g.test(name))!.unit;
}

/** Fault windows of a scenario that concern a workload or a path (its proxy's faults; all when it has no proxy). */
export function faultBands(scenario: ScenarioResult, workload?: Pick<WorkloadResult, 'proxy'>): FaultBand[] {
  const bands: FaultBand[] = [];
  scenario.faults.forEach((f, i) => {
    if (workload?.proxy !== undefined && f.proxy !== workload.proxy) return;
    if (f.appliedAtMs === undefined) return;
    const end = f.removedAtMs ?? Math.max(f.appliedAtMs, scenario.durationMs);
    bands.push({
      label: faultLabel(i),
      title: describeFaultShort(f),
      fromSec: round(f.appliedAtMs / 1000, 4),
      toSec: round(end / 1000, 4),
      open: f.removedAtMs === undefined,
    });
  });
  return bands;
}

/** `F1`… for the fault at `index` in a scenario's fault list. */
export function faultLabel(index: number): string {
  return `F${index + 1}`;
}

/** The time charts of one workload, one per unit group present in its series (empty when none). */
export function workloadTimeCharts(scenario: ScenarioResult, workload: WorkloadResult, maxGroups = DEFAULT_CHART_GROUPS): TimeChart[] {
  const series = withLossRatio(workload.series);
  const names = Object.keys(series.columns).filter((n) => Array.isArray(series.columns[n]));
  const length = Math.max(0, ...names.map((n) => series.columns[n]!.length));
  if (names.length === 0 || length === 0) return [];
  const bands = faultBands(scenario, workload);
  const charts: TimeChart[] = [];
  const used = new Set<string>();
  // One downsampling for all columns, so every chart of the workload shares one x array (the page
  // embeds it once).
  const sampled = downsampleMinMax(length, names.map((n) => series.columns[n]!), maxGroups);
  const x = sampled.indices.map((i) => round((series.startMs + i * series.bucketMs) / 1000, 4));
  for (const group of GROUPS) {
    const members = names.filter((n) => !used.has(n) && group.test(n));
    if (members.length === 0) continue;
    for (const n of members) used.add(n);
    const chart: TimeChart = {
      kind: 'time',
      title: group.title,
      unit: group.unit,
      x,
      bucketMs: series.bucketMs,
      series: members.map((label) => ({ label, values: sampled.columns[names.indexOf(label)]!.map(significant) })),
      bands,
    };
    if (sampled.indices.length < length) chart.downsampled = { buckets: length, points: sampled.indices.length };
    charts.push(chart);
  }
  return charts;
}

/**
 * Adds `lost_ratio` per bucket (lost / sent; null where nothing was sent) when the series has
 * `sent` and `lost` counts but no ratio: loss reads better as a share than as a count per bucket.
 */
export function withLossRatio(series: TimeSeries): TimeSeries {
  const { sent, lost } = series.columns;
  if (!sent || !lost || series.columns.lost_ratio) return series;
  const ratio = sent.map((n, i) => (n === null || n <= 0 || lost[i] === null || lost[i] === undefined ? null : Math.min(1, lost[i]! / n)));
  return { ...series, columns: { ...series.columns, lost_ratio: ratio } };
}

/**
 * The latency distributions of a workload as one CDF chart (x = latency in ms, y = % of samples
 * at or below), over the union of the histograms' bucket bounds; undefined when there are none.
 * `send_lateness_ms` is the harness's own lateness, not the system's latency, and is left out.
 */
export function latencyCdfChart(workload: WorkloadResult): CdfChart | undefined {
  const entries = Object.entries(workload.histograms).filter(
    ([name, h]) => name !== 'send_lateness_ms' && h && h.count > 0 && Array.isArray(h.buckets) && h.buckets.length > 0,
  );
  if (entries.length === 0) return undefined;
  const xs = [...new Set(entries.flatMap(([, h]) => h.buckets.map(([bound]) => bound)))].filter(Number.isFinite).sort((a, b) => a - b);
  const series = entries.map(([name, h]) => ({ label: name, values: cumulativePercent(h, xs) }));
  const positive = xs.length > 0 && xs[0]! > 0;
  return { kind: 'cdf', title: 'Latency distribution (CDF)', unit: 'ms', x: xs, series, log: positive && xs[xs.length - 1]! / xs[0]! >= 20 };
}

function cumulativePercent(h: HistogramSummary, xs: readonly number[]): Array<number | null> {
  const total = h.buckets.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return xs.map(() => null);
  const sorted = [...h.buckets].sort((a, b) => a[0] - b[0]);
  const out: Array<number | null> = [];
  let j = 0;
  let cumulative = 0;
  for (const x of xs) {
    while (j < sorted.length && sorted[j]![0] <= x) cumulative += sorted[j++]![1];
    out.push(round((cumulative / total) * 100, 3));
  }
  return out;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Five significant digits: plenty for a chart, and it keeps the embedded JSON small. */
function significant(value: number | null): number | null {
  return value === null || value === 0 ? value : Number(value.toPrecision(5));
}

const TRACE_SERIES: ReadonlyArray<{ kind: TcpTraceChart['series'][number]['kind']; point: number; label: string }> = [
  { kind: 'sent', point: TRACE_POINT.sent, label: 'segment sent' },
  { kind: 'retransmitted', point: TRACE_POINT.retransmitted, label: 'retransmitted' },
  { kind: 'dropped', point: TRACE_POINT.dropped, label: 'dropped by the engine' },
  { kind: 'reset', point: TRACE_POINT.reset, label: 'RST forged' },
];

/** One time–sequence chart per traced TCP flow of a wire path, in the order the path lists them. */
export function tcpTraceCharts(scenario: ScenarioResult, path: PathResult): TcpTraceChart[] {
  // A fault present from start to end shades the whole graph and says nothing about when.
  const bands = faultBands(scenario, { proxy: path.proxy }).filter((b) => b.fromSec > 0.05 || !b.open);
  return (path.tcpTraces ?? []).map((trace) => {
    const points = [...trace.points].sort((a, b) => a[0] - b[0]);
    const present = TRACE_SERIES.filter((s) => s.kind === 'sent' || points.some((p) => p[2] === s.point));
    const chart: TcpTraceChart = {
      kind: 'tcptrace',
      title: `${trace.flow} (${trace.direction})`,
      x: points.map((p) => p[0]),
      series: present.map((s) => ({ label: s.label, kind: s.kind, values: points.map((p) => (p[2] === s.point ? p[1] : null)) })),
      bands,
    };
    if (trace.thinned) chart.thinnedFrom = trace.thinned.from;
    return chart;
  });
}
