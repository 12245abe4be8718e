import { describe, expect, it } from 'vitest';
import type { AssertionResult, HistogramSummary, MetricValue, WorkloadResult } from '../core/result.js';
import { evaluateCheck, percentile } from './evaluate.js';
import type { Location } from '../core/errors.js';
import { typesRecording, workloadType } from '../workload/registry.js';
import { toxicFault } from '../test/fault-records.js';
import { expectedRates, faultFreeRates, type ExpectedRates } from './expected-rates.js';
import { parseChecks, type Check } from './parse.js';

/** evaluateCheck with the workload registry's coverage, as the runner calls it. */
function evaluate(c: Check, workload: WorkloadResult, expected: ExpectedRates, where?: Location) {
  return evaluateCheck(c, workload, { expected, coverage: { typesRecording }, ...(where ? { where } : {}) });
}

/** The interval of a judged verdict (fails the test for one that could not be judged). */
function intervalOf(result: AssertionResult) {
  if (result.status === 'error') throw new Error(`not judged: ${result.message}`);
  return result.interval;
}

function check(text: string | Record<string, unknown>): Check {
  const { checks, problems } = parseChecks(text);
  expect(problems).toEqual([]);
  return checks[0]!;
}

function histogram(values: Partial<HistogramSummary> = {}): HistogramSummary {
  return { count: 1000, min: 1, max: 900, mean: 120, stddev: 40, p50: 100, p90: 200, p95: 300, p99: 512.3, p999: 800, buckets: [[10, 100], [100, 400], [1000, 500]], ...values };
}

function workload(kind: string, metrics: Record<string, number>, extra: Partial<WorkloadResult> = {}): WorkloadResult {
  const values: MetricValue[] = Object.entries(metrics).map(([name, value]) => ({ name, value }));
  const { protocol, shape } = workloadType(kind);
  return {
    name: kind.replace('-', '_'),
    kind,
    protocol,
    shape,
    proxy: 'path',
    startedAtMs: 0,
    durationMs: 2000,
    metrics: values,
    histograms: { rtt_ms: histogram() },
    errors: [],
    series: { bucketMs: 100, startMs: 0, columns: {} },
    ...extra,
  };
}

function udp(sent: number, lost: number, more: Record<string, number> = {}): WorkloadResult {
  const received = sent - lost;
  return workload('udp-echo', {
    messages_sent_total: sent,
    messages_received_total: received,
    messages_lost_total: lost,
    lost_ratio: lost / sent,
    messages_duplicated_total: 0,
    duplicated_ratio: 0,
    messages_reordered_total: 0,
    reordered_ratio: 0,
    messages_corrupted_total: 0,
    corrupted_ratio: 0,
    delivered_ratio: received / sent,
    in_order: 1,
    intact: lost === 0 ? 1 : 0,
    jitter_ms: 0.4,
    errors_total: 0,
    ...more,
  });
}

const none = faultFreeRates();

describe('thresholds', () => {
  it('records expected, observed and why', () => {
    const result = evaluate(check('rtt_ms p(99) < 500'), udp(100, 0), none, { file: 's.yaml', line: 3 });
    expect(result).toEqual({
      source: 'rtt_ms p(99) < 500',
      subject: 'udp_echo',
      where: { file: 's.yaml', line: 3 },
      status: 'failed',
      expected: '< 500 ms',
      observed: '512.3 ms',
      message: 'p(99) of rtt_ms was 512.3 ms, expected < 500 ms',
    });
    expect(evaluate(check({ rtt_ms: 'max < 2s' }), udp(100, 0), none)).toMatchObject({ status: 'passed', message: 'max of rtt_ms was 900 ms, expected < 2,000 ms' });
    expect(evaluate(check('rtt_ms < 121'), udp(100, 0), none).status).toBe('passed'); // avg implied
    expect(evaluate(check('rtt_ms med <= 100'), udp(100, 0), none).status).toBe('passed');
    expect(evaluate(check('rtt_ms count == 1000'), udp(100, 0), none).status).toBe('passed');
    expect(evaluate(check('rtt_ms stddev > 50'), udp(100, 0), none)).toMatchObject({ status: 'failed', observed: '40 ms' });
    expect(evaluate(check('lost_ratio < 5%'), udp(1000, 98), none)).toMatchObject({ status: 'failed', observed: '9.8%', expected: '< 5%' });
    expect(evaluate(check('jitter_ms < 20'), udp(10, 0), none).status).toBe('passed');
  });

  it('compares with exact boundaries and float-noise equality', () => {
    const w = udp(3, 1, { lost_ratio: (1 / 3) * 3 - 2 / 3 });
    expect(evaluate(check('lost_ratio == 0.3333333333333333'), w, none).status).toBe('passed');
    expect(evaluate(check('rtt_ms p(99) <= 512.3'), w, none).status).toBe('passed');
    expect(evaluate(check('rtt_ms p(99) < 512.3'), w, none).status).toBe('failed');
    expect(evaluate(check('rtt_ms p(99) != 512.3'), w, none).status).toBe('failed');
    expect(evaluate(check('rtt_ms p(99) > 512.2'), w, none).status).toBe('passed');
  });

  it('selects labelled counters and sums over labels', () => {
    const w = workload('tcp-echo', {}, {
      metrics: [
        { name: 'errors_total', labels: { code: 'ECONNRESET' }, value: 3 },
        { name: 'errors_total', labels: { code: 'EPIPE' }, value: 2 },
      ],
    });
    expect(evaluate(check('errors{code=ECONNRESET} >= 1'), w, none)).toMatchObject({ status: 'passed', observed: '3' });
    expect(evaluate(check('errors == 0'), w, none)).toMatchObject({ status: 'failed', observed: '5', message: 'errors_total was 5, expected == 0' });
    expect(evaluate(check('errors{code=ETIMEDOUT} == 0'), w, none).status).toBe('passed');
    // Without an errors_total metric, the error list answers.
    const old = workload('tcp-echo', {}, { errors: [{ code: 'EOF_EARLY', count: 2, firstAtMs: 1, lastAtMs: 2, message: 'x' }] });
    expect(evaluate(check('errors{code=EOF_EARLY} == 2'), old, none).status).toBe('passed');
  });

  it('is an error, not a failure, for metrics the workload does not measure', () => {
    const tcp = workload('tcp-echo', { errors_total: 0 });
    const jitter = evaluate(check('jitter_ms < 20'), tcp, none);
    expect(jitter.status).toBe('error');
    expect(jitter.message).toBe('jitter_ms is not measured by tcp-echo workloads (tcp_echo); it is measured by udp-echo, udp-stream, udp-raw');
    const stream = workload('udp-stream', {}, { histograms: {} });
    expect(evaluate(check('one_way_delay_ms p(99) < 5'), stream, none).message).toContain('has no samples');
    expect(evaluate(check('one_way_delay_ms count >= 1'), stream, none)).toMatchObject({ status: 'failed', observed: '0' });
    expect(evaluate(check('rtt_ms < 5'), stream, none).message).toContain('not measured by udp-stream');
  });

  it('estimates other percentiles from the buckets and says so', () => {
    const result = evaluate(check('rtt_ms p(75) < 1000'), udp(10, 0), none);
    expect(result.status).toBe('passed');
    expect(result.message).toContain('estimated from 3 histogram buckets');
    // 750th of 1000 samples: in the (100, 1000] bucket, half way through it (log scale).
    expect((percentile(histogram(), 75) as { value: number }).value).toBeCloseTo(Math.sqrt(100 * 1000), 6);
    expect((percentile(histogram(), 0) as { value: number }).value).toBe(1);
    expect((percentile(histogram(), 100) as { value: number }).value).toBe(900);
    expect((percentile(histogram(), 99.9) as { value: number }).value).toBe(800);
  });
});

describe('guarantees', () => {
  it('explains in_order, intact and delivered', () => {
    const good = udp(100, 0);
    expect(evaluate(check('in_order'), good, none)).toMatchObject({ status: 'passed', message: 'every message arrived in order (100 received)' });
    const reordered = udp(100, 0, { in_order: 0, messages_reordered_total: 4, reorder_distance_max: 3 });
    expect(evaluate(check('in_order'), reordered, none)).toMatchObject({
      status: 'failed',
      observed: '4 out of order',
      message: '4 of 100 messages arrived after a later one (reorder distance up to 3)',
    });
    expect(evaluate(check('intact'), udp(100, 5), none)).toMatchObject({ status: 'failed', message: 'not intact: 5 missing, 0 duplicated, 0 corrupted' });
    expect(evaluate(check('delivered'), udp(100, 5), none)).toMatchObject({ status: 'failed', message: 'delivered only 95% (95 of 100 messages), expected 100%' });
    expect(evaluate(check('delivered == 100%'), good, none)).toMatchObject({ status: 'passed', message: 'delivered 100% (100 of 100 messages)' });
  });

  it('falls back to the TCP stream verdict', () => {
    const stream = { bytesSent: 1000, bytesReceived: 990, framesSent: 10, framesReceived: 10, inOrder: true, intact: false, missingFrames: 0, duplicatedFrames: 0, corruptedFrames: 1 };
    const w = workload('tcp-stream', {}, { stream });
    expect(evaluate(check('in_order'), w, none).status).toBe('passed');
    expect(evaluate(check('intact'), w, none)).toMatchObject({ status: 'failed', message: 'not intact: 0 missing, 0 duplicated, 1 corrupted' });
    expect(evaluate(check('delivered'), w, none)).toMatchObject({ status: 'failed', message: 'delivered only 99% (990 of 1,000 bytes), expected 100%' });
  });
});

describe('consistency (~)', () => {
  const faults = [toxicFault('udp', 'loss', 'upstream', { probability: 0.1, burst: 1 }, { id: 'faults[0]', proxy: 'path' })];
  const configured = expectedRates({ faults, proxy: 'path', protocol: 'udp', shape: 'round-trip', workloadStartMs: 0, workloadDurationMs: 2000 });

  it('passes when the configured rate lies in the interval around the observation', () => {
    const result = evaluate(check('lost_ratio ~ configured'), udp(2000, 196), configured);
    expect(result.status).toBe('passed');
    expect(result.observed).toBe('9.8% (196 of 2,000 sent)');
    expect(result.expected).toBe('~ 10% (configured) at 95% confidence');
    expect(intervalOf(result)).toMatchObject({ confidence: 0.95, method: 'wilson' });
    expect(intervalOf(result)!.low).toBeLessThan(0.1);
    expect(intervalOf(result)!.high).toBeGreaterThan(0.1);
    expect(result.message).toMatch(/^lost_ratio was 9\.8% \(196 of 2,000 sent\); configured 10% lies inside the 95% interval 8\.\d+%–11\.\d+% around it \(wilson\)\. Configured from faults\[0\]: loss 10% upstream on path/);
  });

  it('fails when it does not, and a higher confidence widens the interval', () => {
    const w = udp(2000, 250); // 12.5%
    expect(evaluate(check('lost_ratio ~ configured'), w, configured).status).toBe('failed');
    expect(evaluate(check('lost_ratio ~ configured'), w, configured).message).toContain('lies outside');
    expect(evaluate(check('lost_ratio ~ 12% at 99%'), w, configured).status).toBe('passed');
    expect(evaluate(check('delivered ~ configured'), w, configured).status).toBe('failed');
    expect(evaluate(check('delivered ~ 87.5%'), w, configured).status).toBe('passed');
  });

  it('widens the interval for burst loss', () => {
    const burst = expectedRates({
      faults: [toxicFault('udp', 'loss', 'upstream', { probability: 0.1, burst: 8 }, { id: 'faults[0]', proxy: 'path' })],
      proxy: 'path',
      protocol: 'udp',
      shape: 'stream',
      workloadStartMs: 0,
      workloadDurationMs: 2000,
    });
    const w = udp(2000, 250);
    const result = evaluate(check('lost_ratio ~ configured'), w, burst);
    expect(result.status).toBe('passed');
    expect(intervalOf(result)!.method).toMatch(/^wilson, design effect 13\.4$/);
  });

  it('is exact with no loss configured and none observed, and fails on any loss then', () => {
    expect(evaluate(check('lost_ratio ~ configured'), udp(2000, 0), none)).toMatchObject({ status: 'passed' });
    expect(evaluate(check('lost_ratio ~ configured'), udp(2000, 3), none)).toMatchObject({ status: 'failed' });
    expect(intervalOf(evaluate(check('lost_ratio ~ configured'), udp(2000, 3), none))!.method).toBe('clopper-pearson');
  });

  it('is an error when the rate cannot be predicted or nothing was sent', () => {
    const unknown = { ...configured, lost_ratio: { ...configured.lost_ratio, unknown: 'faults[1]: bandwidth drops datagrams only when its queue overflows' } };
    const result = evaluate(check('lost_ratio ~ configured'), udp(100, 5), unknown);
    expect(result.status).toBe('error');
    expect(result.message).toContain('cannot be predicted: faults[1]: bandwidth');
    expect(evaluate(check('lost_ratio ~ 5%'), udp(100, 5), unknown).status).toBe('passed');
    const empty = workload('udp-echo', { messages_sent_total: 0, messages_lost_total: 0 });
    expect(evaluate(check('lost_ratio ~ 5%'), empty, none)).toMatchObject({ status: 'error', message: 'no messages were sent, so lost_ratio cannot be judged' });
    const raw = workload('udp-raw', {});
    expect(evaluate(check('lost_ratio ~ 5%'), raw, none).message).toContain('not measured by udp-raw');
  });
});
