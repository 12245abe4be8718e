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
import type { ToxicEffect } from './effect.js';
import type { ScenarioExploration } from './exploration.js';
import type { Location, SerializedError } from './errors.js';
import type { ProxyLedger } from './ledger.js';
import type { Direction, PacketMatch, Protocol, ToxicSpec } from './spec.js';

/**
 * 2: workloads carry `shape`, toxic faults their declared `effects`, and every assertion its
 * `subject`. Files of schema 1 are read and upgraded (report/json.ts).
 */
export const RESULT_SCHEMA_VERSION = 2;

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

/**
 * How a workload's traffic flows, which decides what its faults can do to it:
 * - `round-trip`: framed requests and their echoes (both directions);
 * - `stream`: framed messages one way, to the builtin sink (upstream only);
 * - `raw`: a user's requests and the server's replies, unframed (both directions);
 * - `connect`: connections opened and closed, no payload (the handshake crosses both directions).
 */
export type WorkloadShape = 'round-trip' | 'stream' | 'raw' | 'connect';

/** The directions of a proxy a workload of this shape sends traffic across. */
export function directionsCrossed(shape: WorkloadShape): readonly Direction[] {
  return shape === 'stream' ? ['upstream'] : ['upstream', 'downstream'];
}

export interface WorkloadResult {
  name: string;
  /** The workload type (`tcp-echo`, `udp-stream`, …): workload/registry.ts defines them. */
  kind: string;
  protocol: Protocol;
  shape: WorkloadShape;
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
  /**
   * TCP workloads on a wire path: the kernel's TCP_INFO of each connection as it ended (its own
   * sockets, the client side), in the order the connections were opened.
   */
  tcpConnections?: TcpConnectionInfo[];
  /** What a reader must know to trust the numbers (the sender could not keep up, stopped early…). */
  notes?: string[];
}

/** One TCP connection as its sender's kernel saw it at the end (TCP_INFO). */
export interface TcpConnectionInfo {
  /** `198.18.0.1:40122 → 198.18.0.2:38245` */
  connection: string;
  /** Smoothed round-trip time and its variation, ms. */
  rttMs: number;
  rttVarMs: number;
  /** Lowest RTT the connection measured, ms. */
  minRttMs?: number;
  /** Congestion window at the end, segments. */
  cwnd: number;
  /** Data segments sent, retransmissions included. */
  dataSegmentsOut: number;
  /** Segments retransmitted over the connection's life (tcpi_total_retrans). */
  retransmits: number;
  /** Retransmission timeouts (RTOs) over its life; absent on kernels before 6.7. */
  rtos?: number;
}

/**
 * A wire path of the scenario (docs/wire.md): where its ends lived, what their kernels counted
 * and what its fault engine did per protocol, beside the path's ledger in `ScenarioResultBase.ledger`.
 */
export interface PathResult {
  /** The path's name in the scenario (its `proxies:` key). */
  proxy: string;
  namespaces: { client: string; target: string };
  addresses: { client: string; target: string };
  mtu: number;
  /**
   * Each side's kernel counters over the scenario (deltas, in summarizeKernelCounters' names:
   * `tcp_retransmits`, `tcp_rto`, `udp_in_errors`, …).
   */
  kernel: { client: Record<string, number>; target: Record<string, number> };
  /** Packets a TUN device dropped before the engine read them: loss outside the ledger. */
  deviceDrops: { client: number; target: number };
  /** The engine's direction counters split by transport (`tcp`, `udp`, `other`: ICMP and the rest). */
  protocols: Record<string, Record<Direction, Record<string, number>>>;
  /**
   * pcap files, relative to the report folder: every packet of the scenario (`--capture`), or the
   * most recent ones, saved because the scenario did not pass.
   */
  capture?: { entered: string; left: string; scope: 'all' | 'recent' };
  /** Time–sequence data of the path's TCP flows (from the capture), busiest and most faulted first. */
  tcpTraces?: TcpTrace[];
}

/** Point kinds of a TcpTrace. */
export const TRACE_POINT = { sent: 0, retransmitted: 1, dropped: 2, reset: 3 } as const;

/**
 * One direction of one TCP connection over time, as the packets entered the fault engine: the
 * sequence number of each data segment (relative to the connection's first), and the engine's
 * drops and forged resets of that flow.
 */
export interface TcpTrace {
  /** `198.18.0.1:40122 → 198.18.0.2:38245` */
  flow: string;
  direction: Direction;
  /** `[seconds since the scenario start, relative sequence number, TRACE_POINT kind]`. */
  points: Array<[number, number, number]>;
  segments: number;
  retransmits: number;
  drops: number;
  /** Set when regular segments were thinned out to bound the size (retransmissions and drops never are). */
  thinned?: { from: number };
  /** The capture began after the connection did (a ring of recent packets): sequence numbers count from the first one seen. */
  partial?: boolean;
}

/** One fault of a scenario's timeline, planned and as applied. */
interface FaultRecordBase {
  /** Stable id within the scenario, e.g. `faults[2]`. */
  id: string;
  proxy: string;
  plannedAtMs: number;
  /** Absent: lasts to the end of the scenario. */
  plannedUntilMs?: number;
  /** When it took effect; absent if it never did (it failed, or the scenario stopped first). */
  appliedAtMs?: number;
  /** When it was undone; absent while it lasted to the end. */
  removedAtMs?: number;
  /** Why applying or removing it failed. */
  error?: SerializedError;
}

export type FaultRecord =
  | (FaultRecordBase & {
      kind: 'toxic';
      toxic: ToxicSpec;
      /** A wire fault's match: only these packets are affected (absent: all of them). */
      match?: PacketMatch;
      /** What the toxic does to the traffic crossing it, as its type declares (schema 2; `[]` when read from schema 1). */
      effects: ToxicEffect[];
    })
  /** The proxy was disabled: it refused connections and closed live ones (UDP: dropped everything). */
  | (FaultRecordBase & { kind: 'down' });

export type ToxicFaultRecord = Extract<FaultRecord, { kind: 'toxic' }>;

/** Whether a fault acts on a workload's protocol: a wire fault may match one transport only. */
export function faultActsOn(fault: FaultRecord, protocol: Protocol): boolean {
  return fault.kind !== 'toxic' || fault.match?.protocol === undefined || fault.match.protocol === protocol;
}

/** The interval an observation had to fall in (statistical checks, calibration). */
export interface ConfidenceInterval {
  low: number;
  high: number;
  confidence: number;
  /** `wilson`, `clopper-pearson`, … */
  method: string;
}

interface AssertionResultBase {
  /** The assertion as the user wrote it. */
  source: string;
  /** The workload it judged, or `comparison`. */
  subject: string;
  expected: string;
  observed: string;
  /** Why it passed, failed or could not be judged, in a sentence. */
  message: string;
  where?: Location;
}

export type AssertionResult =
  /** Judged: the observation met the check, or did not. */
  | (AssertionResultBase & {
      status: 'passed' | 'failed';
      /** Statistical checks: the interval the observation had to fall in. */
      interval?: ConfidenceInterval;
    })
  /** Could not be judged (a metric the workload does not record, nothing sent): the scenario is wrong, not the system. */
  | (AssertionResultBase & { status: 'error' });

export type AssertionStatus = AssertionResult['status'];

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
  interval?: ConfidenceInterval;
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

/** What every scenario result holds, whatever its status. */
export interface ScenarioResultBase {
  /** Unique in a run: `<file>#<name>`, or the name of a scenario written in code. */
  id: string;
  name: string;
  /** The scenario's file, relative to where the run started; absent for a scenario written in code (the library's `run()`). */
  file?: string;
  description?: string;
  tags: string[];
  /** What the scenario declares it should do; a failing `expect: fail` scenario passes. */
  expect: 'pass' | 'fail';
  seed: number;
  backend: string;
  startedAt: string;
  durationMs: number;
  /**
   * How to re-run this scenario as it ran: the `faultline run` command with the seed (and the
   * backend and timeout override, when the run had them), or for one written in code the `run()`
   * call's options.
   */
  replay: string;
  /** What was measured, also when the scenario errored or was interrupted part-way. */
  workloads: WorkloadResult[];
  faults: FaultRecord[];
  ledger: ProxyLedger[];
  assertions: AssertionResult[];
  calibration: CalibrationRow[];
  comparison?: ComparisonRow[];
  /** Its wire paths, when it has any. */
  paths?: PathResult[];
  targets: TargetOutput[];
  /** Notes about the harness's own accuracy (timer lateness, offered load vs ceiling…). */
  notes: string[];
}

/**
 * One scenario's result, a variant per status. `passed`/`failed` is the verdict *after* applying
 * `expect`; `outcome` is what the assertions said before it.
 */
export type ScenarioResult =
  | (ScenarioResultBase & { status: 'passed' | 'failed'; outcome: 'passed' | 'failed' })
  /** The harness could not run it (a target would not start, a fault could not be applied, the deadline). */
  | (ScenarioResultBase & { status: 'errored'; error: SerializedError })
  /** Stopped by Ctrl-C. */
  | (ScenarioResultBase & { status: 'interrupted' })
  /** Not run: `--bail` after an earlier failure, Ctrl-C before it started, a layer this machine lacks. */
  | (ScenarioResultBase & { status: 'skipped'; reason: string });

export type ScenarioStatus = ScenarioResult['status'];

/** A scenario whose assertions were judged (it passed or failed), as opposed to one that could not run. */
export type JudgedScenarioResult = Extract<ScenarioResult, { status: 'passed' | 'failed' }>;
export type ErroredScenarioResult = Extract<ScenarioResult, { status: 'errored' }>;

export function isJudged(s: ScenarioResult): s is JudgedScenarioResult {
  return s.status === 'passed' || s.status === 'failed';
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
  /**
   * Written by `faultline explore`: one entry per scenario explored (core/exploration.ts). An
   * optional section, so results of schema 2 without it, and readers that do not know it, are
   * unaffected (docs/decisions.md).
   */
  explorations?: ScenarioExploration[];
}
