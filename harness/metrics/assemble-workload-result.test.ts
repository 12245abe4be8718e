import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../assert/metric-catalog.js';
import { assembleWorkloadResult, type WorkloadMeasurements } from './assemble-workload-result.js';
import { ErrorRecorder } from './error-recorder.js';
import { LatencyHistogram } from './latency-histogram.js';
import { SequenceTracker } from './sequence-tracker.js';
import { SeriesRecorder } from './series-recorder.js';

function base(overrides: Partial<WorkloadMeasurements> = {}): WorkloadMeasurements {
  return {
    name: 'w',
    kind: 'udp-stream',
    protocol: 'udp',
    shape: 'stream',
    startedAtMs: 0,
    durationMs: 1000,
    bytesSent: 1000,
    bytesReceived: 900,
    histograms: {},
    errors: new ErrorRecorder(),
    series: new SeriesRecorder({ originMs: 0 }),
    ...overrides,
  };
}

const value = (r: ReturnType<typeof assembleWorkloadResult>, name: string) => r.metrics.find((m) => m.name === name && !m.labels)?.value;

describe('assembleWorkloadResult', () => {
  it('computes ratios against the documented denominators', () => {
    const t = new SequenceTracker();
    for (const seq of [0, 1, 1, 3, 2, 5, 6, 7]) t.record(seq, seq !== 6);
    const r = assembleWorkloadResult(base({ sequence: t.counts(10), jitterMs: 1.5 }));
    expect(value(r, 'messages_sent_total')).toBe(10);
    expect(value(r, 'messages_received_total')).toBe(7);
    expect(value(r, 'lost_ratio')).toBeCloseTo(3 / 10);
    expect(value(r, 'duplicated_ratio')).toBeCloseTo(1 / 7);
    expect(value(r, 'reordered_ratio')).toBeCloseTo(1 / 7);
    expect(value(r, 'corrupted_ratio')).toBeCloseTo(1 / 7);
    expect(value(r, 'delivered_ratio')).toBeCloseTo(6 / 10);
    expect(value(r, 'in_order')).toBe(0);
    expect(value(r, 'intact')).toBe(0);
    expect(value(r, 'jitter_ms')).toBe(1.5);
  });

  it('TCP delivery is by intact bytes; nothing sent is 0, never NaN', () => {
    const r = assembleWorkloadResult(base({ protocol: 'tcp', kind: 'tcp-stream', bytesSent: 0, bytesIntact: 0, sequence: new SequenceTracker().counts(0) }));
    expect(value(r, 'delivered_ratio')).toBe(0);
    expect(value(r, 'lost_ratio')).toBe(0);
    expect(JSON.stringify(r)).not.toMatch(/NaN|null,"value"/);
  });

  it('errors: one unlabelled zero when there are none, labelled counters otherwise', () => {
    expect(assembleWorkloadResult(base()).metrics.filter((m) => m.name === 'errors_total')).toEqual([{ name: 'errors_total', value: 0 }]);
    const errors = new ErrorRecorder();
    errors.record('ECONNRESET', 1, 'x');
    errors.record('ECONNRESET', 2, 'y');
    errors.record('EPIPE', 3, 'z');
    expect(assembleWorkloadResult(base({ errors })).metrics.filter((m) => m.name === 'errors_total')).toEqual([
      { name: 'errors_total', labels: { code: 'ECONNRESET' }, value: 2 },
      { name: 'errors_total', labels: { code: 'EPIPE' }, value: 1 },
    ]);
  });

  it('leaves empty histograms out and reports lateness under harness too', () => {
    const rtt = new LatencyHistogram();
    const lateness = new LatencyHistogram();
    lateness.record(0.2);
    const r = assembleWorkloadResult(base({ histograms: { rtt_ms: rtt }, sendLateness: lateness, kernelUdp: { RcvbufErrors: 0 } }));
    expect(Object.keys(r.histograms)).toEqual(['send_lateness_ms']);
    expect(r.harness).toEqual({ sendLatenessMs: r.histograms.send_lateness_ms, kernelUdp: { RcvbufErrors: 0 } });
  });

  it('emits only metric names the assertion catalog knows', () => {
    const hist = new LatencyHistogram();
    hist.record(1);
    const r = assembleWorkloadResult(
      base({
        sequence: new SequenceTracker().counts(1),
        requests: { sent: 1, received: 1, matched: 1, mismatched: 0 },
        connections: { attempted: 1, failed: 0 },
        goodputBytesPerSec: 1,
        jitterMs: 0,
        histograms: { rtt_ms: hist, one_way_delay_ms: hist, connect_ms: hist, interarrival_ms: hist },
        sendLateness: hist,
      }),
    );
    const names = new Set([...r.metrics.map((m) => m.name), ...Object.keys(r.histograms)]);
    for (const name of names) expect(METRIC_NAMES, name).toContain(name);
  });
});
