/**
 * The saved result of a run: the canonical record (`reports/results.json`) from which every report
 * is rendered. Reporters see only these types, never sockets; `faultline report render` and
 * `report merge` work from the JSON alone. Everything here must therefore be plain JSON data
 * (no Maps, no bigints, no Infinity/NaN — use null).
 *
 * Times: `*AtMs` are milliseconds relative to the scenario's start (or the run's start for run
 * fields); `startedAt` fields are ISO-8601 wall-clock timestamps for people.
 *
 * Bump RESULT_SCHEMA_VERSION on any incompatible change, and keep readers tolerant of older ones.
 */
import type { Location, SerializedError } from './errors.js';
import type { ProxyLedger } from './ledger.js';
import type { Direction, Protocol, ToxicSpec } from './spec.js';

export const RESULT_SCHEMA_VERSION = 1;

/** Percentiles of a latency-like quantity, from an HDR histogram. Units are in the metric name. */
export interface HistogramSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  /** Distribution for charts: `[upperBound, count]` on log-spaced buckets, at most ~64 entries. */
  buckets: Array<[number, number]>;
}

/** A counter or gauge, Prometheus style: `errors_total{code="ECONNRESET"} 3`. */
export interface MetricValue {
  /** snake_case with unit or `_total`/`_ratio` suffix, e.g. `datagrams_lost_total`, `goodput_bytes_per_sec`. */
  name: string;
  labels?: Record<string, string>;
  value: number;
}

/** Fixed-width buckets over a workload's run, for charts. */
export interface TimeSeries {
  /** Width of every bucket in ms. */
  bucketMs: number;
  /** Start of bucket 0, ms relative to the scenario start. */
  startMs: number;
  /** Column name → one value per bucket; null where there is nothing to say (no samples). */
  columns: Record<string, Array<number | null>>;
}

/** Errors seen by a workload, aggregated by classified code (ECONNRESET, EOF_EARLY, MISMATCH…). */
export interface ErrorCount {
  code: string;
  count: number;
  firstAtMs: number;
  lastAtMs: number;
  /** The first occurrence's message, for people. */
  message: string;
}

/** TCP: what happened to the byte stream, judged frame by frame at the receiver. */
export interface StreamVerdict {
  bytesSent: number;
  bytesReceived: number;
  framesSent: number;
  framesReceived: number;
  /** Every frame arrived in sequence order. */
  inOrder: boolean;
  /** No frame corrupted, duplicated or missing (among those the sender finished writing). */
  intact: boolean;
  missingFrames: number;
  duplicatedFrames: number;
  corruptedFrames: number;
}

export type WorkloadKind = 'tcp-echo' | 'tcp-stream' | 'udp-echo' | 'udp-stream' | 'tcp-raw' | 'udp-raw';

export interface WorkloadResult {
  name: string;
  kind: WorkloadKind;
  protocol: Protocol;
  /** The proxy the traffic went through; absent when it went straight to the target. */
  proxy?: string;
  startedAtMs: number;
  durationMs: number;
  /** Counters and gauges; names documented in docs/workloads.md. */
  metrics: MetricValue[];
  /** Latency distributions by metric name: `rtt_ms`, `one_way_delay_ms`, `connect_ms`, … */
  histograms: Record<string, HistogramSummary>;
  errors: ErrorCount[];
  series: TimeSeries;
  stream?: StreamVerdict;
  /** Raw workloads: the first few responses that did not match the expectation. */
  mismatches?: Array<{ index: number; expected: string; received: string; reason: string }>;
  /** What the harness itself contributed, so a report can tell harness effects from faults. */
  harness?: {
    /** How late the sender was against its own schedule, ms. */
    sendLatenessMs?: HistogramSummary;
    /** Datagrams lost that no fault in the ledger dropped. */
    incidentalLoss?: number;
    /** Deltas of `/proc/net/snmp` Udp counters over the workload (Linux only). */
    kernelUdp?: Record<string, number>;
    /** Paced senders: the message rate asked for and achieved, summed over flows, per second. */
    sendRate?: { askedPerSec: number; achievedPerSec: number };
  };
  /** What a reader must know to trust the numbers (the sender could not keep up, stopped early…). */
  notes?: string[];
}

/** One fault of a scenario's timeline, planned and as applied. */
export interface FaultRecord {
  /** Stable id within the scenario, e.g. `faults[2]`. */
  id: string;
  proxy: string;
  kind: 'toxic' | 'down';
  toxic?: ToxicSpec;
  plannedAtMs: number;
  /** Absent: lasts to the end of the scenario. */
  plannedUntilMs?: number;
  appliedAtMs?: number;
  removedAtMs?: number;
  error?: SerializedError;
}

export type AssertionStatus = 'passed' | 'failed' | 'error';

export interface AssertionResult {
  /** The assertion as the user wrote it. */
  source: string;
  /** The workload it judged, or `comparison`. */
  subject?: string;
  status: AssertionStatus;
  expected: string;
  observed: string;
  /** Why it passed or failed, in a sentence. */
  message: string;
  where?: Location;
  /** Statistical checks: the interval the observation had to fall in. */
  interval?: { low: number; high: number; confidence: number; method: string };
}

/** Requested versus achieved: did the injector do what it was asked? */
export interface CalibrationRow {
  proxy: string;
  toxic: string;
  stream: Direction;
  /** What is being calibrated, e.g. `loss_ratio`, `latency_ms`, `rate_bytes_per_sec`. */
  quantity: string;
  requested: number;
  achieved: number | null;
  /** Sample size behind `achieved`. */
  samples: number;
  interval?: { low: number; high: number; confidence: number; method: string };
  /** How `achieved` was derived, or why it could not be (e.g. "no baseline workload: includes loopback delay"). */
  note?: string;
}

/** Side-by-side protocol comparison under the same faults. */
export interface ComparisonRow {
  workload: string;
  protocol: Protocol;
  delivered_ratio: number | null;
  lost_ratio: number | null;
  reordered_ratio: number | null;
  duplicated_ratio: number | null;
  corrupted_ratio: number | null;
  latency_p50_ms: number | null;
  latency_p99_ms: number | null;
  /** E.g. "TCP delivered 100% in order with p99 RTT 430 ms". */
  summary: string;
}

export interface TargetOutput {
  name: string;
  kind: 'builtin' | 'command' | 'address';
  command?: string;
  exitCode?: number | null;
  signal?: string | null;
  /** The tail of its output, bounded. */
  stdout: string;
  stderr: string;
  truncated: boolean;
}

/** `passed`/`failed` is the verdict *after* applying `expect`; `outcome` is what happened. */
export type ScenarioStatus = 'passed' | 'failed' | 'errored' | 'interrupted' | 'skipped';

export interface ScenarioResult {
  /** Unique in a run: `<file>#<name>`. */
  id: string;
  name: string;
  file?: string;
  description?: string;
  tags: string[];
  status: ScenarioStatus;
  /** What the scenario declares it should do; a failing `expect: fail` scenario passes. */
  expect: 'pass' | 'fail';
  /** What the assertions said, before `expect` was applied. */
  outcome?: 'passed' | 'failed';
  seed: number;
  backend: string;
  startedAt: string;
  durationMs: number;
  /** The exact command that re-runs this scenario with the same seed. */
  replay: string;
  workloads: WorkloadResult[];
  faults: FaultRecord[];
  ledger: ProxyLedger[];
  assertions: AssertionResult[];
  calibration: CalibrationRow[];
  comparison?: ComparisonRow[];
  targets: TargetOutput[];
  /** Set when status is `errored`: why the harness could not run it. */
  error?: SerializedError;
  /** Notes about the harness's own accuracy (timer lateness, offered load vs ceiling…). */
  notes: string[];
}

export interface RunSummary {
  total: number;
  passed: number;
  failed: number;
  errored: number;
  interrupted: number;
  skipped: number;
}

/** Counts per status, recomputed from the scenarios (never trusted from a file). */
export function summarizeScenarios(scenarios: readonly ScenarioResult[]): RunSummary {
  const summary: RunSummary = { total: scenarios.length, passed: 0, failed: 0, errored: 0, interrupted: 0, skipped: 0 };
  for (const s of scenarios) summary[s.status]++;
  return summary;
}

export interface RunResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  faultline: { version: string };
  run: {
    seed: number;
    startedAt: string;
    durationMs: number;
    /** The command line as typed, for the report header. */
    command: string;
    node: string;
    /** `platform release arch`. */
    os: string;
    cpus: number;
    backend: string;
    shard?: { index: number; total: number };
    /**
     * Set by `faultline report merge` when the merged shards ran with different run seeds: every
     * seed, ascending (`seed` is then the first). Each scenario's own `seed` and `replay` stay exact.
     */
    seeds?: number[];
    interrupted: boolean;
  };
  summary: RunSummary;
  scenarios: ScenarioResult[];
}
