/**
 * Synthetic but realistic RunResults, generated from a seed: the fixtures the report renderers are
 * tested against (fixtures/results/*.json are written from these and checked to stay in sync), the
 * source of the screenshot in docs/reports.md, and the large run behind the HTML size bound.
 *
 * The numbers are made to be consistent with each other (10% injected loss → about 10% lost, a
 * Wilson interval around it, a ledger that counts the drops, series that change inside fault
 * windows), so a report that looks right on them looks right on real runs.
 */
import { fileURLToPath } from 'node:url';
import type { ToxicEffect } from '../../core/effect.js';
import type { SerializedError } from '../../core/errors.js';
import type { ProxyLedger } from '../../core/ledger.js';
import type {
  AssertionResult,
  ComparisonRow,
  FaultRecord,
  HistogramSummary,
  MetricValue,
  RunResult,
  ScenarioResult,
  TimeSeries,
  ScenarioResultBase,
  WorkloadResult,
} from '../../core/result.js';
import { RESULT_SCHEMA_VERSION, summarizeScenarios, TRACE_POINT } from '../../core/result.js';
import { createRng } from '../../core/rng.js';
import type { Rng } from '../../core/rng.js';
import type { Direction, Protocol } from '../../core/spec.js';
import { selectShard } from '../../core/shard.js';

/** fixtures/results/: these samples as files (written and checked by fixtures.test.ts). */
export const SAMPLE_FIXTURES_DIR = fileURLToPath(new URL('../../../fixtures/results/', import.meta.url));

const BASE_TIME_MS = Date.UTC(2025, 5, 1, 12, 0, 0);

/** A latency sample around `medianMs` with a long right tail (log-normal-ish). */
function latencySample(rng: Rng, medianMs: number, spread: number): number {
  const u1 = Math.max(rng.next(), 1e-12);
  const u2 = rng.next();
  const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return medianMs * Math.exp(spread * normal);
}

/** A HistogramSummary computed from samples, with log-spaced buckets (factor 1.25 per bucket). */
export function histogramFromSamples(samples: readonly number[]): HistogramSummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const count = sorted.length;
  if (count === 0) {
    return { count: 0, min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, buckets: [] };
  }
  const at = (q: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1))]!;
  const mean = sorted.reduce((s, v) => s + v, 0) / count;
  const variance = sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / count;
  const buckets: Array<[number, number]> = [];
  let bound = Math.max(0.01, sorted[0]!);
  let i = 0;
  while (i < count) {
    let n = 0;
    while (i < count && sorted[i]! <= bound) {
      n++;
      i++;
    }
    if (n > 0 || buckets.length > 0) buckets.push([round(bound, 4), n]);
    bound *= 1.25;
  }
  return {
    count,
    min: round(sorted[0]!, 4),
    max: round(sorted[count - 1]!, 4),
    mean: round(mean, 4),
    stddev: round(Math.sqrt(variance), 4),
    p50: round(at(0.5), 4),
    p90: round(at(0.9), 4),
    p95: round(at(0.95), 4),
    p99: round(at(0.99), 4),
    p999: round(at(0.999), 4),
    buckets,
  };
}

/** Wilson score interval for `successes` of `n` at 95%. */
function wilson(successes: number, n: number): { low: number; high: number; confidence: number; method: string } {
  const z = 1.959964;
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return { low: round(centre - half, 5), high: round(centre + half, 5), confidence: 0.95, method: 'wilson' };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A fault window [from, to) in ms, and how strongly it acts inside it. */
interface Window {
  fromMs: number;
  toMs: number;
}

function inWindow(tMs: number, windows: readonly Window[]): boolean {
  return windows.some((w) => tMs >= w.fromMs && tMs < w.toMs);
}

interface SeriesShape {
  buckets: number;
  bucketMs: number;
  startMs?: number;
  /** Messages per second offered. */
  rate: number;
  lossInFault: number;
  baseRttMs: number;
  rttInFaultMs: number;
  windows: Window[];
  bytesPerMessage?: number;
  /** Buckets after this index carry null (the workload stopped, e.g. interrupted). */
  stopAfter?: number;
}

/**
 * A workload's time series with the columns metrics' series-recorder writes: counts per bucket
 * (sent, received, lost, errors), throughput_bytes_per_sec, latency_p50_ms and latency_max_ms.
 */
function makeSeries(rng: Rng, shape: SeriesShape): TimeSeries {
  const names = ['sent', 'received', 'lost', 'throughput_bytes_per_sec', 'latency_p50_ms', 'latency_max_ms', 'errors'] as const;
  const columns: Record<(typeof names)[number], Array<number | null>> = Object.fromEntries(names.map((n) => [n, []])) as never;
  const startMs = shape.startMs ?? 0;
  const perBucket = (shape.rate * shape.bucketMs) / 1000;
  for (let i = 0; i < shape.buckets; i++) {
    if (shape.stopAfter !== undefined && i > shape.stopAfter) {
      for (const n of names) columns[n].push(n === 'sent' || n === 'received' || n === 'lost' || n === 'errors' ? 0 : null);
      continue;
    }
    const t = startMs + i * shape.bucketMs;
    const faulty = inWindow(t, shape.windows);
    const sent = Math.round(perBucket * (0.97 + 0.06 * rng.next()));
    const lossRatio = faulty ? Math.min(1, Math.max(0, shape.lossInFault * (0.6 + 0.8 * rng.next()))) : rng.next() < 0.02 ? 0.02 : 0;
    const lost = Math.round(sent * lossRatio);
    const base = faulty ? shape.rttInFaultMs : shape.baseRttMs;
    columns.sent.push(sent);
    columns.received.push(sent - lost);
    columns.lost.push(lost);
    columns.throughput_bytes_per_sec.push(Math.round(((sent - lost) * (shape.bytesPerMessage ?? 540) * 1000) / shape.bucketMs));
    columns.latency_p50_ms.push(sent - lost > 0 ? round(base * (0.95 + 0.1 * rng.next()), 3) : null);
    columns.latency_max_ms.push(sent - lost > 0 ? round(base * (1.6 + 1.2 * rng.next()), 3) : null);
    columns.errors.push(0);
  }
  return { bucketMs: shape.bucketMs, startMs, columns };
}

function metric(name: string, value: number, labels?: Record<string, string>): MetricValue {
  return labels ? { name, value, labels } : { name, value };
}

/** The workload types the samples use, as their definitions declare them (workload/). */
const SAMPLE_TYPES = {
  'tcp-echo': { protocol: 'tcp', shape: 'round-trip' },
  'tcp-stream': { protocol: 'tcp', shape: 'stream' },
  'udp-echo': { protocol: 'udp', shape: 'round-trip' },
  'udp-stream': { protocol: 'udp', shape: 'stream' },
  'tcp-raw': { protocol: 'tcp', shape: 'raw' },
} as const satisfies Record<string, { protocol: Protocol; shape: WorkloadResult['shape'] }>;

type WorkloadKind = keyof typeof SAMPLE_TYPES;

interface WorkloadSketch {
  name: string;
  kind: WorkloadKind;
  proxy?: string;
  messages: number;
  lossRatio: number;
  medianMs: number;
  spread: number;
  series: SeriesShape;
  errors?: WorkloadResult['errors'];
  duplicatedRatio?: number;
  reorderedRatio?: number;
  durationMs: number;
}

function makeWorkload(rng: Rng, shape: WorkloadSketch): WorkloadResult {
  const { protocol, shape: flow } = SAMPLE_TYPES[shape.kind];
  const lost = protocol === 'tcp' ? 0 : Math.round(shape.messages * shape.lossRatio);
  const received = shape.messages - lost;
  const duplicated = Math.round(received * (shape.duplicatedRatio ?? 0));
  const reordered = Math.round(received * (shape.reorderedRatio ?? 0));
  const samples = Array.from({ length: Math.min(received, 4000) }, () => latencySample(rng, shape.medianMs, shape.spread));
  const latencyName = flow === 'stream' ? 'one_way_delay_ms' : 'rtt_ms';
  const histograms: Record<string, HistogramSummary> = { [latencyName]: histogramFromSamples(samples) };
  if (protocol === 'tcp') {
    histograms.connect_ms = histogramFromSamples(Array.from({ length: 8 }, () => latencySample(rng, 0.3, 0.3)));
  }
  histograms.send_lateness_ms = histogramFromSamples(Array.from({ length: 500 }, () => latencySample(rng, 0.08, 0.6)));
  const bytes = shape.messages * 540;
  const metrics: MetricValue[] = [
    metric('messages_sent_total', shape.messages),
    metric('messages_received_total', received),
    metric('messages_lost_total', lost),
    metric('lost_ratio', round(lost / shape.messages, 5)),
    metric('messages_duplicated_total', duplicated),
    metric('duplicated_ratio', round(duplicated / Math.max(1, received), 5)),
    metric('messages_reordered_total', reordered),
    metric('reordered_ratio', round(reordered / Math.max(1, received), 5)),
    metric('messages_corrupted_total', 0),
    metric('corrupted_ratio', 0),
    metric('delivered_ratio', round(received / shape.messages, 5)),
    metric('bytes_sent_total', bytes),
    metric('bytes_received_total', Math.round((bytes * received) / shape.messages)),
  ];
  for (const e of shape.errors ?? []) metrics.push(metric('errors_total', e.count, { code: e.code }));
  if (protocol === 'udp') metrics.push(metric('jitter_ms', round(shape.medianMs * 0.08, 3)));
  if (flow === 'stream') metrics.push(metric('goodput_bytes_per_sec', Math.round((bytes * 1000) / shape.durationMs)));
  const result: WorkloadResult = {
    name: shape.name,
    kind: shape.kind,
    protocol,
    shape: flow,
    startedAtMs: 12,
    durationMs: shape.durationMs,
    metrics,
    histograms,
    errors: shape.errors ?? [],
    series: makeSeries(rng, shape.series),
    harness: {
      sendLatenessMs: histograms.send_lateness_ms!,
      ...(protocol === 'udp' ? { incidentalLoss: 0, kernelUdp: { InDatagrams: received, RcvbufErrors: 0, SndbufErrors: 0 } } : {}),
    },
  };
  if (shape.proxy) result.proxy = shape.proxy;
  if (protocol === 'tcp') {
    result.stream = {
      bytesSent: bytes,
      bytesReceived: bytes,
      framesSent: shape.messages,
      framesReceived: shape.messages,
      inOrder: true,
      intact: true,
      missingFrames: 0,
      duplicatedFrames: 0,
      corruptedFrames: 0,
    };
  }
  return result;
}

function ledgerFor(proxy: string, protocol: Protocol, seen: number, toxics: Array<{ name: string; type: string; stream: Direction; dropped?: number; delayed?: number }>): ProxyLedger {
  const drops = toxics.reduce((s, t) => s + (t.dropped ?? 0), 0);
  const events = toxics.flatMap((t) =>
    Array.from({ length: Math.min(5, t.dropped ?? 0) }, (_, i) => ({
      atMs: 1000 + i * 37,
      direction: t.stream,
      toxic: t.name,
      action: 'dropped_loss',
      datagram: 100 + i * 11,
      bytes: 540,
    })),
  );
  return {
    proxy,
    protocol,
    counters: protocol === 'tcp' ? { connections_accepted: 2, connections_open: 0 } : { sessions_created: 1, sessions_expired: 0, sessions_open: 1 },
    directions: {
      upstream: { seen, forwarded: seen - drops, bytes_seen: seen * 540, bytes_forwarded: (seen - drops) * 540 },
      downstream: { seen: seen - drops, forwarded: seen - drops, bytes_seen: (seen - drops) * 540, bytes_forwarded: (seen - drops) * 540 },
    },
    toxics: toxics.map((t) => ({
      name: t.name,
      type: t.type,
      stream: t.stream,
      counters: {
        activations: protocol === 'tcp' ? 2 : seen,
        ...(t.dropped !== undefined ? { [protocol === 'tcp' ? 'retransmits' : 'dropped_loss']: t.dropped } : {}),
        ...(t.delayed !== undefined ? { delayed: t.delayed } : {}),
      },
    })),
    events,
    eventsDropped: 0,
  };
}

/**
 * What the sample toxics declare (toxics/), written out: report samples are results as the runner
 * saved them, and the report layer does not see the toxic registry.
 */
const SAMPLE_EFFECTS: Record<string, (a: Record<string, number>, protocol: Protocol) => ToxicEffect[]> = {
  loss: (a, protocol) =>
    protocol === 'tcp'
      ? [{ kind: 'retransmit', probability: a.probability ?? 0, burst: 1, counter: 'retransmits', quantity: 'retransmit_ratio' }]
      : [{ kind: 'drop', probability: a.probability ?? 0, burst: 1, counter: 'dropped_loss', quantity: 'loss_ratio' }],
  latency: (a) => [{ kind: 'delay', latencyMs: a.latency ?? 0, jitterMs: a.jitter ?? 0 }],
  duplicate: (a) => [{ kind: 'duplicate', probability: a.probability ?? 0, counter: 'duplicated', quantity: 'duplicate_ratio' }],
  slicer: () => [],
};

function fault(id: string, proxy: string, type: string, stream: Direction, attributes: Record<string, number>, fromMs: number, toMs?: number): FaultRecord {
  const protocol: Protocol = proxy.startsWith('tcp') || proxy === 'app_path' ? 'tcp' : 'udp';
  const effects = SAMPLE_EFFECTS[type];
  if (!effects) throw new Error(`sample toxic ${type} has no effects written out`);
  const record: FaultRecord = {
    id,
    proxy,
    kind: 'toxic',
    toxic: { name: `${type}_${stream}`, type, stream, toxicity: 1, attributes },
    effects: effects(attributes, protocol),
    plannedAtMs: fromMs,
    appliedAtMs: fromMs + 0.4,
  };
  if (toMs !== undefined) {
    record.plannedUntilMs = toMs;
    record.removedAtMs = toMs + 0.3;
  }
  return record;
}

function passed(source: string, subject: string, expected: string, observed: string, message: string, extra: Partial<AssertionResult> = {}): AssertionResult {
  return { source, subject, status: 'passed', expected, observed, message, ...extra };
}

interface ScenarioBase {
  name: string;
  file: string;
  seed: number;
  startOffsetMs: number;
  durationMs: number;
}

/** A scenario's status and what goes with it (core/result.ts ScenarioResult's variants). */
type SampleVerdict =
  | { status: 'passed' | 'failed'; outcome: 'passed' | 'failed' }
  | { status: 'errored'; error: SerializedError }
  | { status: 'interrupted' }
  | { status: 'skipped'; reason: string };

function scenarioShell(base: ScenarioBase, rest: Partial<ScenarioResultBase> & Partial<SampleVerdict>): ScenarioResult {
  const { status = 'passed', outcome = 'passed', error, reason, ...fields } = rest as Partial<ScenarioResultBase> & {
    status?: ScenarioResult['status'];
    outcome?: 'passed' | 'failed';
    error?: SerializedError;
    reason?: string;
  };
  const verdict: SampleVerdict =
    status === 'passed' || status === 'failed'
      ? { status, outcome }
      : status === 'errored'
        ? { status, error: error! }
        : status === 'skipped'
          ? { status, reason: reason ?? 'an earlier scenario failed (--bail)' }
          : { status };
  return {
    id: `${base.file}#${base.name}`,
    name: base.name,
    file: base.file,
    tags: [],
    expect: 'pass',
    ...verdict,
    seed: base.seed,
    backend: 'embedded',
    startedAt: new Date(BASE_TIME_MS + base.startOffsetMs).toISOString(),
    durationMs: base.durationMs,
    // The runner's form: the run seed (1234 in every sample) re-derives the scenario's own seed.
    replay: `npx faultline run ${base.file} --grep '^${base.name}$' --seed 1234`,
    workloads: [],
    faults: [],
    ledger: [],
    assertions: [],
    calibration: [],
    targets: [{ name: 'echo', kind: 'builtin', stdout: '', stderr: '', truncated: false }],
    notes: [],
    ...fields,
  };
}

/** The TCP vs UDP comparison under 10% random loss: both pass. */
function lossComparison(rng: Rng, seed: number): ScenarioResult {
  const windows = [{ fromMs: 1000, toMs: 4000 }];
  const series = { buckets: 120, bucketMs: 50, rate: 1000, lossInFault: 0.1, baseRttMs: 0.4, rttInFaultMs: 0.45, windows };
  const tcp = makeWorkload(rng.fork('tcp'), {
    name: 'tcp',
    kind: 'tcp-echo',
    proxy: 'tcp_path',
    messages: 400,
    lossRatio: 0,
    medianMs: 1.8,
    spread: 0.9,
    durationMs: 5200,
    series: { ...series, rate: 80, lossInFault: 0, rttInFaultMs: 210 },
  });
  const udp = makeWorkload(rng.fork('udp'), {
    name: 'udp',
    kind: 'udp-echo',
    proxy: 'udp_path',
    messages: 2000,
    lossRatio: 0.0985,
    medianMs: 0.35,
    spread: 0.35,
    durationMs: 5100,
    series,
  });
  const udpLost = Math.round(2000 * 0.0985);
  const interval = wilson(udpLost, 2000);
  const comparison: ComparisonRow[] = [
    {
      workload: 'tcp',
      protocol: 'tcp',
      delivered_ratio: 1,
      lost_ratio: 0,
      reordered_ratio: 0,
      duplicated_ratio: 0,
      corrupted_ratio: 0,
      latency_p50_ms: tcp.histograms.rtt_ms!.p50,
      latency_p99_ms: tcp.histograms.rtt_ms!.p99,
      summary: `TCP delivered 100% in order; p99 RTT ${Math.round(tcp.histograms.rtt_ms!.p99)} ms (emulated retransmissions)`,
    },
    {
      workload: 'udp',
      protocol: 'udp',
      delivered_ratio: round(1 - udpLost / 2000, 5),
      lost_ratio: round(udpLost / 2000, 5),
      reordered_ratio: 0,
      duplicated_ratio: 0,
      corrupted_ratio: 0,
      latency_p50_ms: udp.histograms.rtt_ms!.p50,
      latency_p99_ms: udp.histograms.rtt_ms!.p99,
      summary: `UDP lost ${((udpLost / 2000) * 100).toFixed(2)}% of datagrams, consistent with the injected 10%`,
    },
  ];
  return scenarioShell(
    { name: 'tcp-vs-udp-random-loss', file: 'scenarios/loss.yaml', seed, startOffsetMs: 0, durationMs: 5410 },
    {
      description: 'The same 10% random loss on a TCP path and a UDP path. TCP must still deliver every byte in order; UDP must lose about 10%.',
      tags: ['loss', 'comparison'],
      workloads: [tcp, udp],
      faults: [fault('faults[0]', 'tcp_path', 'loss', 'upstream', { probability: 0.1 }, 1000, 4000), fault('faults[1]', 'udp_path', 'loss', 'upstream', { probability: 0.1 }, 1000, 4000)],
      ledger: [
        ledgerFor('tcp_path', 'tcp', 1800, [{ name: 'loss_upstream', type: 'loss', stream: 'upstream', dropped: 41 }]),
        ledgerFor('udp_path', 'udp', 2000, [{ name: 'loss_upstream', type: 'loss', stream: 'upstream', dropped: udpLost }]),
      ],
      assertions: [
        passed('delivered == 100%', 'tcp', '100%', '100%', 'every byte sent arrived', { where: { file: 'scenarios/loss.yaml', line: 24, column: 7 } }),
        passed('in_order', 'tcp', 'in order', 'in order', 'no message overtook another'),
        passed('intact', 'tcp', 'intact', 'intact', 'nothing corrupted, duplicated or missing'),
        passed(
          'lost_ratio ~ configured',
          'udp',
          `consistent with 10% (95% interval ${(interval.low * 100).toFixed(1)}%–${(interval.high * 100).toFixed(1)}%)`,
          `${((udpLost / 2000) * 100).toFixed(2)}% (${udpLost} of 2000)`,
          'the observed loss is inside the 95% Wilson interval around the configured 10%',
          { interval },
        ),
      ],
      calibration: [
        { proxy: 'udp_path', toxic: 'loss_upstream', stream: 'upstream', quantity: 'loss_ratio', requested: 0.1, achieved: round(udpLost / 2000, 5), samples: 2000, interval },
        { proxy: 'tcp_path', toxic: 'loss_upstream', stream: 'upstream', quantity: 'loss_ratio', requested: 0.1, achieved: round(41 / 412, 5), samples: 412, interval: wilson(41, 412) },
      ],
      comparison,
      notes: ['TCP faults are stream-level: the proxy emulates retransmission delay, it cannot drop real segments.'],
    },
  );
}

/** Latency with jitter on a TCP stream: calibration of requested vs achieved delay. */
function latencyScenario(rng: Rng, seed: number): ScenarioResult {
  const windows = [{ fromMs: 2000, toMs: 5000 }];
  const stream = makeWorkload(rng.fork('stream'), {
    name: 'bulk',
    kind: 'tcp-stream',
    proxy: 'slow',
    messages: 5000,
    lossRatio: 0,
    medianMs: 50.4,
    spread: 0.08,
    durationMs: 6900,
    series: { buckets: 140, bucketMs: 50, rate: 720, lossInFault: 0, baseRttMs: 0.3, rttInFaultMs: 50.4, windows, bytesPerMessage: 1024 },
  });
  const achieved = stream.histograms.one_way_delay_ms!.mean;
  return scenarioShell(
    { name: 'latency-under-jitter', file: 'scenarios/latency.yaml', seed, startOffsetMs: 5500, durationMs: 7100 },
    {
      description: '50 ms ± 10 ms downstream latency from 2 s to 5 s on a bulk TCP stream.',
      tags: ['latency'],
      workloads: [stream],
      faults: [fault('faults[0]', 'slow', 'latency', 'downstream', { latency: 50, jitter: 10 }, 2000, 5000)],
      ledger: [ledgerFor('slow', 'tcp', 5000, [{ name: 'latency_downstream', type: 'latency', stream: 'downstream', delayed: 2210 }])],
      assertions: [
        passed('intact', 'bulk', 'intact', 'intact', 'every frame arrived once, in order, with a valid checksum'),
        passed('one_way_delay_ms: p(99) < 200', 'bulk', 'p(99) < 200ms', `p(99) = ${stream.histograms.one_way_delay_ms!.p99}ms`, 'p99 one-way delay below the threshold'),
      ],
      calibration: [
        {
          proxy: 'slow',
          toxic: 'latency_downstream',
          stream: 'downstream',
          quantity: 'latency_ms',
          requested: 50,
          achieved,
          samples: 2210,
          interval: { low: round(achieved - 0.21, 3), high: round(achieved + 0.21, 3), confidence: 0.95, method: 'mean ± t' },
        },
      ],
    },
  );
}

/** A failed statistical assertion (too many duplicates), with hostile text in the names. */
function failedScenario(rng: Rng, seed: number, hostile: boolean): ScenarioResult {
  const windows = [{ fromMs: 500, toMs: 3500 }];
  const udp = makeWorkload(rng.fork('udp'), {
    name: hostile ? 'udp<script>' : 'udp',
    kind: 'udp-stream',
    proxy: 'dup_path',
    messages: 3000,
    lossRatio: 0,
    medianMs: 0.25,
    spread: 0.4,
    duplicatedRatio: 0.081,
    reorderedRatio: 0.004,
    durationMs: 3800,
    series: { buckets: 80, bucketMs: 50, rate: 800, lossInFault: 0, baseRttMs: 0.25, rttInFaultMs: 0.3, windows },
  });
  const name = hostile ? 'dup <img src=x onerror=alert(1)> & "quotes" \'apos\'' : 'udp-duplicates';
  const interval = { low: 0.0421, high: 0.0593, confidence: 0.99, method: 'wilson' };
  return scenarioShell(
    { name, file: 'scenarios/duplicates.yaml', seed, startOffsetMs: 12700, durationMs: 4020 },
    {
      description: hostile ? 'Names with <b>markup</b>, & ampersands, "quotes", a ]]> sequence and </script> in them.' : 'Duplicated datagrams at 5%.',
      tags: ['duplicate'],
      status: 'failed',
      outcome: 'failed',
      workloads: [udp],
      faults: [fault('faults[0]', 'dup_path', 'duplicate', 'upstream', { probability: 0.05 }, 500, 3500)],
      ledger: [ledgerFor('dup_path', 'udp', 3000, [{ name: 'duplicate_upstream', type: 'duplicate', stream: 'upstream' }])],
      assertions: [
        {
          source: hostile ? 'duplicated_ratio ~ 5% at 99% <&>' : 'duplicated_ratio ~ 5% at 99%',
          subject: udp.name,
          status: 'failed',
          expected: 'consistent with 5% (99% interval 4.21%–5.93%)',
          observed: '8.1% (243 of 3000)',
          message: 'observed duplicates are above the 99% Wilson interval around 5%: the toxic duplicated more than asked, or the receiver counted copies twice',
          where: { file: 'scenarios/duplicates.yaml', line: 18, column: 7, path: 'assert.udp[0]' },
          interval,
        },
        passed('jitter_ms < 20', udp.name, '< 20ms', `${metricNumber(udp, 'jitter_ms')}ms`, 'jitter below the threshold'),
        {
          source: 'reordered_ratio == 0',
          subject: udp.name,
          status: 'failed',
          expected: '0%',
          observed: '0.4% (12 of 3000)',
          message: 'datagrams arrived out of order although no reorder toxic was configured (incidental)',
        },
      ],
      calibration: [{ proxy: 'dup_path', toxic: 'duplicate_upstream', stream: 'upstream', quantity: 'duplicated_ratio', requested: 0.05, achieved: 0.081, samples: 3000, interval }],
    },
  );
}

function metricNumber(w: WorkloadResult, name: string): number {
  return w.metrics.find((m) => m.name === name)?.value ?? 0;
}

/** `expect: fail`: a naive server's framing bug shows under slicing; status passed, outcome failed. */
function expectedFailure(rng: Rng, seed: number): ScenarioResult {
  const raw = makeWorkload(rng.fork('raw'), {
    name: 'legacy',
    kind: 'tcp-raw',
    proxy: 'app_path',
    messages: 200,
    lossRatio: 0,
    medianMs: 0.9,
    spread: 0.5,
    durationMs: 2100,
    errors: [{ code: 'MISMATCH', count: 37, firstAtMs: 212.5, lastAtMs: 1980.1, message: 'expected "PONG 1\\n", received "PO"' }],
    series: { buckets: 44, bucketMs: 50, rate: 95, lossInFault: 0, baseRttMs: 0.9, rttInFaultMs: 1.4, windows: [{ fromMs: 200, toMs: 2200 }] },
  });
  raw.metrics.push(metric('responses_matched_total', 163), metric('responses_mismatched_total', 37));
  raw.mismatches = [
    { index: 4, expected: 'PONG 1\n', received: 'PO', reason: 'response cut by the slicer: the server answered a partial read' },
    { index: 9, expected: 'PONG 1\n', received: 'NG 1\nPONG 1\n', reason: 'two responses in one read' },
  ];
  delete raw.stream;
  return scenarioShell(
    { name: 'naive-server-framing-bug', file: 'scenarios/naive-server.yaml', seed, startOffsetMs: 16800, durationMs: 2650 },
    {
      description: 'Demonstrates a known bug: the sample naive server assumes one read is one message. The slicer exposes it.',
      tags: ['bug', 'slicer'],
      status: 'passed',
      expect: 'fail',
      outcome: 'failed',
      workloads: [raw],
      faults: [fault('faults[0]', 'app_path', 'slicer', 'upstream', { average_size: 4, size_variation: 2, delay: 0 }, 200)],
      ledger: [ledgerFor('app_path', 'tcp', 200, [{ name: 'slicer_upstream', type: 'slicer', stream: 'upstream' }])],
      assertions: [
        {
          source: 'responses_mismatched_total == 0',
          subject: 'legacy',
          status: 'failed',
          expected: '0',
          observed: '37',
          message: '37 of 200 responses did not match: the server treats each read as a whole request',
        },
      ],
      targets: [
        {
          name: 'app',
          kind: 'command',
          command: 'python3 fixtures/servers/naive-echo.py --port 40123',
          exitCode: null,
          signal: 'SIGTERM',
          stdout: 'listening on port 40123\nrequest: "PO"\n\u001b[31mwarning\u001b[0m: unknown command "PO"\n',
          stderr: '',
          truncated: false,
        },
      ],
    },
  );
}

/** A scenario the harness could not run: its target would not start. */
function erroredScenario(seed: number, hostile: boolean): ScenarioResult {
  const error: SerializedError = {
    code: 'TARGET_FAILED',
    message: hostile
      ? 'target "app" exited with code 1 before it was ready; last output: "bind: \u0001address in use ]]> </script><script>alert(1)</script> ✓ 日本語 🚀"'
      : 'target "app" exited with code 1 before it was ready; last output: "bind: address already in use"',
    where: { file: 'scenarios/app.yaml', line: 7, column: 5, path: 'targets.app' },
    hint: 'another process holds the port; use tcp: auto to let faultline pick a free one',
  };
  return scenarioShell(
    { name: 'app-under-reset', file: 'scenarios/app.yaml', seed, startOffsetMs: 19500, durationMs: 10060 },
    {
      tags: ['reset'],
      status: 'errored',
      error,
      targets: [
        {
          name: 'app',
          kind: 'command',
          command: './server --listen 127.0.0.1:8080',
          exitCode: 1,
          signal: null,
          stdout: hostile ? 'starting <server> & "friends"\n\u0007bell\u0000nul\n' : 'starting server\n',
          stderr: 'bind: address already in use\n',
          truncated: false,
        },
      ],
    },
  );
}

/** Interrupted mid-run (Ctrl-C): partial series, the fault never removed. */
function interruptedScenario(rng: Rng, seed: number): ScenarioResult {
  const udp = makeWorkload(rng.fork('udp'), {
    name: 'udp',
    kind: 'udp-echo',
    proxy: 'part',
    messages: 900,
    lossRatio: 0.31,
    medianMs: 0.4,
    spread: 0.3,
    durationMs: 2900,
    series: { buckets: 100, bucketMs: 50, rate: 500, lossInFault: 1, baseRttMs: 0.4, rttInFaultMs: 0.4, windows: [{ fromMs: 2000, toMs: 6000 }], stopAfter: 58 },
  });
  const down: FaultRecord = { id: 'faults[0]', proxy: 'part', kind: 'down', plannedAtMs: 2000, plannedUntilMs: 6000, appliedAtMs: 2000.6 };
  return scenarioShell(
    { name: 'partition-heals', file: 'scenarios/partition.yaml', seed, startOffsetMs: 29600, durationMs: 2950 },
    {
      tags: ['partition'],
      status: 'interrupted',
      workloads: [udp],
      faults: [down],
      ledger: [ledgerFor('part', 'udp', 900, [])],
      notes: ['Interrupted by SIGINT at 2.95 s; the proxy was taken down at 2.00 s and never re-enabled.'],
    },
  );
}

function skippedScenario(seed: number): ScenarioResult {
  return scenarioShell(
    { name: 'soak-1h', file: 'scenarios/soak.yaml', seed, startOffsetMs: 32600, durationMs: 0 },
    { tags: ['soak'], status: 'skipped', targets: [] },
  );
}

/**
 * TCP and UDP on one wire path under 3% packet loss: kernel counters per side, the engine per
 * transport, TCP_INFO of the connection, a recent-packet capture and two traced TCP flows.
 */
function wireSampleScenario(rng: Rng, seed: number): ScenarioResult {
  const series = { buckets: 60, bucketMs: 50, rate: 300, lossInFault: 0.03, baseRttMs: 0.3, rttInFaultMs: 0.3, windows: [{ fromMs: 0, toMs: 3000 }] };
  const tcp = makeWorkload(rng.fork('tcp'), { name: 'tcp', kind: 'tcp-stream', proxy: 'wire_path', messages: 900, lossRatio: 0, medianMs: 0.4, spread: 2, durationMs: 3000, series });
  const udp = makeWorkload(rng.fork('udp'), { name: 'udp', kind: 'udp-stream', proxy: 'wire_path', messages: 900, lossRatio: 0.03, medianMs: 0.2, spread: 0.3, durationMs: 3000, series });
  tcp.tcpConnections = [{ connection: '198.18.0.1:40122 → 198.18.0.2:38245', rttMs: 0.21, rttVarMs: 0.12, minRttMs: 0.04, cwnd: 37, dataSegmentsOut: 930, retransmits: 28, rtos: 1 }];
  tcp.metrics.push(metric('tcp_segments_sent_total', 930), metric('tcp_retransmits_total', 28), metric('tcp_rto_total', 1), metric('tcp_retransmit_ratio', round(28 / 930, 5)));
  const trace = (flow: string, segments: number, drops: readonly number[]) => {
    const points: Array<[number, number, number]> = [];
    for (let i = 0; i < segments; i++) points.push([round(0.02 + i * 0.0032, 6), i * 1448, TRACE_POINT.sent]);
    for (const i of drops) points.push([round(0.02 + i * 0.0032, 6), i * 1448, TRACE_POINT.dropped], [round(0.14 + i * 0.0032, 6), i * 1448, TRACE_POINT.retransmitted]);
    return { flow, direction: 'upstream' as const, points, segments: segments + drops.length, retransmits: drops.length, drops: drops.length };
  };
  return scenarioShell(
    { name: 'wire-tcp-vs-udp-loss', file: 'scenarios/wire.yaml', seed, startOffsetMs: 33000, durationMs: 3400 },
    {
      description: 'The same 3% packet loss on one wire path carrying TCP and UDP.',
      tags: ['wire', 'loss'],
      backend: 'embedded',
      workloads: [tcp, udp],
      faults: [
        {
          id: 'faults[0]',
          proxy: 'wire_path',
          plannedAtMs: 0,
          appliedAtMs: 0.2,
          kind: 'toxic',
          toxic: { name: 'loss_upstream', type: 'loss', stream: 'upstream', toxicity: 1, attributes: { probability: 0.03, burst: 1 } },
          effects: [{ kind: 'drop', probability: 0.03, burst: 1, counter: 'dropped_loss', quantity: 'loss_ratio' }],
        },
      ],
      ledger: [
        {
          proxy: 'wire_path',
          protocol: 'ip',
          counters: {},
          directions: { upstream: { seen: 1834, forwarded: 1779, bytes_seen: 1_320_000, bytes_forwarded: 1_281_000 }, downstream: { seen: 702, forwarded: 702, bytes_seen: 36_504, bytes_forwarded: 36_504 } },
          toxics: [{ name: 'loss_upstream', type: 'loss', stream: 'upstream', counters: { seen: 1834, activations: 1834, dropped_loss: 55 } }],
          events: [],
          eventsDropped: 0,
        },
      ],
      paths: [
        {
          proxy: 'wire_path',
          namespaces: { client: 'fl-k2x9q1-0-c', target: 'fl-k2x9q1-0-t' },
          addresses: { client: '198.18.0.1', target: '198.18.0.2' },
          mtu: 1500,
          kernel: {
            client: { tcp_out_segments: 934, tcp_retransmits: 28, tcp_rto: 1, tcp_fast_retransmits: 27, tcp_sack_recoveries: 25, udp_in_errors: 0 },
            target: { tcp_out_segments: 702, tcp_retransmits: 0, tcp_rto: 0, udp_in_errors: 0 },
          },
          deviceDrops: { client: 0, target: 0 },
          protocols: {
            tcp: { upstream: { seen: 934, forwarded: 906, dropped_loss: 28 }, downstream: { seen: 702, forwarded: 702 } },
            udp: { upstream: { seen: 900, forwarded: 873, dropped_loss: 27 }, downstream: {} },
            other: { upstream: {}, downstream: {} },
          },
          capture: { entered: 'captures/wire-tcp-vs-udp-loss/wire_path.entered.pcap', left: 'captures/wire-tcp-vs-udp-loss/wire_path.left.pcap', scope: 'recent' },
          tcpTraces: [trace('198.18.0.1:40122 → 198.18.0.2:38245', 900, [120, 121, 400, 777]), trace('198.18.0.1:40124 → 198.18.0.2:38245', 300, [10])],
        },
      ],
      calibration: [{ proxy: 'wire_path', toxic: 'loss_upstream', stream: 'upstream', quantity: 'loss_ratio', requested: 0.03, achieved: round(55 / 1834, 5), samples: 1834, interval: wilson(55, 1834) }],
      notes: ['wire path wire_path: faults act on packets between two network namespaces; dropped TCP segments are retransmitted by the kernel'],
    },
  );
}

function runShell(seed: number, scenarios: ScenarioResult[], command: string): RunResult {
  const end = Math.max(...scenarios.map((s) => Date.parse(s.startedAt) + s.durationMs));
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    faultline: { version: '0.1.0' },
    run: {
      seed,
      startedAt: new Date(BASE_TIME_MS).toISOString(),
      durationMs: end - BASE_TIME_MS,
      command,
      node: 'v20.20.2',
      os: 'linux 6.1.0 x64',
      cpus: 2,
      backend: 'embedded',
      interrupted: scenarios.some((s) => s.status === 'interrupted'),
    },
    summary: summarizeScenarios(scenarios),
    scenarios,
  };
}

/**
 * A run with one scenario of every kind: a passing TCP vs UDP loss comparison, a latency
 * scenario, a failed statistical assertion, an `expect: fail` scenario, an errored and an
 * interrupted one, and a skipped one. `withWirePath` adds wireSampleScenario at the end. `hostile` puts markup, quotes, `]]>`, `</script>`, control
 * characters and non-ASCII text into names, messages and target output.
 */
export function createSampleRun(options: { seed?: number; hostile?: boolean; withWirePath?: boolean } = {}): RunResult {
  const seed = options.seed ?? 1234;
  const hostile = options.hostile ?? false;
  const rng = createRng(seed);
  const scenarios = [
    lossComparison(rng.fork('loss'), 3001),
    latencyScenario(rng.fork('latency'), 3002),
    failedScenario(rng.fork('dup'), 3003, hostile),
    expectedFailure(rng.fork('naive'), 3004),
    erroredScenario(3005, hostile),
    interruptedScenario(rng.fork('partition'), 3006),
    skippedScenario(3007),
    ...(options.withWirePath ? [wireSampleScenario(rng.fork('wire'), 3008)] : []),
  ];
  return runShell(seed, scenarios, `faultline run scenarios/ --seed ${seed}`);
}

/**
 * A 1 ms-bucket series of `buckets` buckets with a fault window over 20%..60% of it, from a fast
 * inline xorshift (millions of values: the seeded Rng's per-call cost would dominate a test).
 */
function largeSeries(buckets: number, seed: number): TimeSeries {
  let x = (seed * 2654435761) >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
  const names = ['sent', 'received', 'lost', 'throughput_bytes_per_sec', 'latency_p50_ms', 'latency_max_ms', 'errors'];
  const columns: Array<Array<number | null>> = names.map(() => new Array<number | null>(buckets));
  for (let i = 0; i < buckets; i++) {
    const faulty = i >= buckets * 0.2 && i < buckets * 0.6;
    const sent = 1 + Math.round(next());
    const lost = faulty && next() < 0.1 ? 1 : 0;
    columns[0]![i] = sent;
    columns[1]![i] = sent - lost;
    columns[2]![i] = lost;
    columns[3]![i] = (sent - lost) * 540_000;
    columns[4]![i] = Math.round((faulty ? 3 : 0.4) * (0.9 + 0.2 * next()) * 1000) / 1000;
    columns[5]![i] = Math.round((faulty ? 9 : 1.1) * (0.8 + 0.9 * next()) * 1000) / 1000;
    columns[6]![i] = next() < 0.0005 ? 1 : 0;
  }
  return { bucketMs: 1, startMs: 0, columns: Object.fromEntries(names.map((n, c) => [n, columns[c]!])) };
}

/**
 * A large run for the HTML size bound: `scenarios` scenarios, each with a TCP and a UDP workload
 * whose series have `buckets` buckets (6 columns each), and full 10,000-event ledgers.
 */
export function createLargeRun(options: { scenarios?: number; buckets?: number; seed?: number } = {}): RunResult {
  const count = options.scenarios ?? 20;
  const buckets = options.buckets ?? 100_000;
  const seed = options.seed ?? 99;
  const rng = createRng(seed);
  const scenarios: ScenarioResult[] = [];
  for (let i = 0; i < count; i++) {
    const base = lossComparison(rng.fork(`s${i}`), 1000 + i);
    base.name = `large-${String(i).padStart(2, '0')}`;
    base.id = `scenarios/large.yaml#${base.name}`;
    base.file = 'scenarios/large.yaml';
    for (const [k, w] of base.workloads.entries()) w.series = largeSeries(buckets, i * 7 + k + 1);
    for (const ledger of base.ledger) {
      ledger.events = Array.from({ length: 10_000 }, (_, k) => ({ atMs: k * 3.7, direction: 'upstream' as const, toxic: 'loss_upstream', action: 'dropped_loss', datagram: k * 10, bytes: 540 }));
      ledger.eventsDropped = 123_456;
    }
    scenarios.push(base);
  }
  return runShell(seed, scenarios, `faultline run scenarios/large.yaml --seed ${seed}`);
}

/**
 * What `faultline run --shard i/total` would have written for each shard of `run`: the scenarios
 * selectShard gives it, the run's shard and command set accordingly, each shard's start and span
 * taken from its own scenarios.
 */
export function splitIntoShards(run: RunResult, total: number): RunResult[] {
  return Array.from({ length: total }, (_, i) => {
    const scenarios = selectShard(run.scenarios, i + 1, total);
    const starts = scenarios.map((s) => Date.parse(s.startedAt));
    const ends = scenarios.map((s, k) => starts[k]! + s.durationMs);
    const startMs = starts.length > 0 ? Math.min(...starts) : Date.parse(run.run.startedAt);
    return {
      ...run,
      run: {
        ...run.run,
        startedAt: new Date(startMs).toISOString(),
        durationMs: ends.length > 0 ? Math.max(...ends) - startMs : 0,
        command: `${run.run.command} --shard ${i + 1}/${total}`,
        shard: { index: i + 1, total },
        interrupted: scenarios.some((s) => s.status === 'interrupted'),
      },
      summary: summarizeScenarios(scenarios),
      scenarios,
    };
  });
}
