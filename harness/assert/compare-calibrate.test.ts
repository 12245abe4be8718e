import { describe, expect, it } from 'vitest';
import type { ProxyLedger, ToxicLedger } from '../core/ledger.js';
import type { FaultRecord, HistogramSummary, WorkloadResult } from '../core/result.js';
import type { Direction } from '../core/spec.js';
import { calibrate } from './calibrate.js';
import { compareWorkloads } from './compare.js';
import { expectedRates } from './expected-rates.js';
import { toxicFault, type FaultExtra } from '../test/fault-records.js';
import { workloadType } from '../workload/registry.js';

function histogram(p50: number, p99: number, count = 200): HistogramSummary {
  return { count, min: p50 / 2, max: p99 * 1.2, mean: p50, stddev: 1, p50, p90: p99, p95: p99, p99, p999: p99, buckets: [] };
}

function workload(name: string, kind: string, metrics: Record<string, number>, extra: Partial<WorkloadResult> = {}): WorkloadResult {
  const { protocol, shape } = workloadType(kind);
  return {
    name,
    kind,
    protocol,
    shape,
    proxy: kind.startsWith('tcp') ? 'tcp_path' : 'udp_path',
    startedAtMs: 0,
    durationMs: 2000,
    metrics: Object.entries(metrics).map(([n, value]) => ({ name: n, value })),
    histograms: {},
    errors: [],
    series: { bucketMs: 100, startMs: 0, columns: {} },
    ...extra,
  };
}

function fault(id: string, proxy: string, type: string, stream: Direction, attributes: Record<string, number>, extra: FaultExtra = {}): FaultRecord {
  return toxicFault(proxy.startsWith('tcp') ? 'tcp' : 'udp', type, stream, attributes, { id, proxy, appliedAtMs: 0, ...extra });
}

function ledger(proxy: string, protocol: 'tcp' | 'udp', toxics: ToxicLedger[]): ProxyLedger {
  return { proxy, protocol, counters: {}, directions: { upstream: {}, downstream: {} }, toxics, events: [], eventsDropped: 0 };
}

describe('compareWorkloads', () => {
  it('summarises TCP delivery and UDP loss against the configuration', () => {
    const tcp = workload('tcp', 'tcp-echo', { delivered_ratio: 1, lost_ratio: 0, in_order: 1, intact: 1, reordered_ratio: 0, duplicated_ratio: 0, corrupted_ratio: 0 }, { histograms: { rtt_ms: histogram(210, 430) } });
    const udp = workload('udp', 'udp-echo', { delivered_ratio: 0.902, lost_ratio: 0.098, in_order: 1, intact: 0, reordered_ratio: 0.005, duplicated_ratio: 0, corrupted_ratio: 0 }, { histograms: { rtt_ms: histogram(0.3, 1.2) } });
    const faults = [fault('faults[0]', 'udp_path', 'loss', 'upstream', { probability: 0.1, burst: 1 })];
    const expected = new Map([
      ['tcp', expectedRates({ faults, proxy: 'tcp_path', protocol: 'tcp', shape: 'round-trip', workloadStartMs: 0, workloadDurationMs: 2000 })],
      ['udp', expectedRates({ faults, proxy: 'udp_path', protocol: 'udp', shape: 'round-trip', workloadStartMs: 0, workloadDurationMs: 2000 })],
    ]);
    const rows = compareWorkloads([tcp, udp], expected);
    expect(rows[0]).toEqual({
      workload: 'tcp',
      protocol: 'tcp',
      delivered_ratio: 1,
      lost_ratio: 0,
      reordered_ratio: 0,
      duplicated_ratio: 0,
      corrupted_ratio: 0,
      latency_p50_ms: 210,
      latency_p99_ms: 430,
      summary: 'TCP delivered 100% in order with p99 RTT 430 ms',
    });
    expect(rows[1]!.summary).toBe('UDP lost 9.8% (configured 10%) and reordered 0.5% with p99 RTT 1.2 ms');
  });

  it('mentions errors, missing latency and one-way delay', () => {
    const cut = workload('cut', 'tcp-stream', { delivered_ratio: 0.6, in_order: 1 }, {
      errors: [{ code: 'ECONNRESET', count: 2, firstAtMs: 1, lastAtMs: 2, message: 'reset' }],
      histograms: { one_way_delay_ms: histogram(5, 20) },
    });
    expect(compareWorkloads([cut], new Map())[0]!.summary).toBe('TCP delivered 60% in order and errors ECONNRESET ×2 with p99 one-way delay 20 ms');
    const silent = workload('silent', 'udp-stream', { lost_ratio: 1 });
    const row = compareWorkloads([silent], new Map())[0]!;
    expect(row.summary).toBe('UDP lost 100%, no latency samples');
    expect(row.delivered_ratio).toBeNull();
    expect(row.latency_p99_ms).toBeNull();
  });
});

describe('calibrate', () => {
  it('reports achieved loss from the ledger with an interval', () => {
    const faults = [fault('faults[0]', 'udp_path', 'loss', 'upstream', { probability: 0.1, burst: 1 })];
    const rows = calibrate(faults, [ledger('udp_path', 'udp', [{ name: 'loss_upstream', type: 'loss', stream: 'upstream', counters: { seen: 2000, dropped_loss: 196 } }])], []);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ proxy: 'udp_path', toxic: 'loss_upstream', stream: 'upstream', quantity: 'loss_ratio', requested: 0.1, achieved: 0.098, samples: 2000 });
    expect(rows[0]!.interval!.method).toBe('wilson');
    expect(rows[0]!.note).toBe('196 of 2,000 dropped loss');
    const off = calibrate(faults, [ledger('udp_path', 'udp', [{ name: 'loss_upstream', type: 'loss', stream: 'upstream', counters: { seen: 2000, dropped_loss: 300 } }])], []);
    expect(off[0]!.note).toContain('requested 10% lies outside the 95% interval');
  });

  it('calibrates duplicate, reorder and corrupt; TCP loss as retransmits; notes missing ledgers', () => {
    const faults = [
      fault('faults[0]', 'udp_path', 'duplicate', 'downstream', { probability: 0.05 }),
      fault('faults[1]', 'udp_path', 'reorder', 'upstream', { probability: 0.2, delay: 10 }),
      fault('faults[2]', 'udp_path', 'corrupt', 'upstream', { probability: 0.02 }, { name: 'c', toxicity: 0.5 }),
      fault('faults[3]', 'tcp_path', 'loss', 'upstream', { probability: 0.1, burst: 1 }),
      fault('faults[4]', 'tcp_path', 'slicer', 'upstream', { average_size: 10 }),
    ];
    const rows = calibrate(
      faults,
      [
        ledger('udp_path', 'udp', [
          { name: 'duplicate_downstream', type: 'duplicate', stream: 'downstream', counters: { seen: 1000, duplicated: 52 } },
          { name: 'reorder_upstream', type: 'reorder', stream: 'upstream', counters: { seen: 1000, reordered: 190 } },
        ]),
        ledger('tcp_path', 'tcp', [{ name: 'loss_upstream', type: 'loss', stream: 'upstream', counters: { seen: 500, retransmits: 48 } }]),
      ],
      [],
    );
    expect(rows.map((r) => [r.quantity, r.requested, r.achieved])).toEqual([
      ['duplicate_ratio', 0.05, 0.052],
      ['reorder_ratio', 0.2, 0.19],
      ['corrupt_ratio', 0.01, null],
      ['retransmit_ratio', 0.1, 0.096],
    ]);
    expect(rows[2]!.note).toContain('no entry for this toxic');
    expect(rows[3]!.note).toContain('stream-level emulation');
  });

  it('derives latency from the median RTT, minus a direct baseline when there is one', () => {
    const latency = fault('faults[0]', 'udp_path', 'latency', 'downstream', { latency: 50, jitter: 5 });
    const through = workload('udp', 'udp-echo', {}, { histograms: { rtt_ms: histogram(50.4, 56) } });
    const direct = workload('base', 'udp-echo', {}, { proxy: undefined, histograms: { rtt_ms: histogram(0.1, 0.3) } });
    const [withBaseline] = calibrate([latency], [], [through, direct]);
    expect(withBaseline).toMatchObject({ quantity: 'latency_ms', requested: 50, samples: 200 });
    expect(withBaseline!.achieved).toBeCloseTo(50.3, 10);
    expect(withBaseline!.note).toContain('minus the median of the direct baseline base (0.1 ms)');
    const [alone] = calibrate([latency], [], [through]);
    expect(alone!.achieved).toBeCloseTo(50.4, 10);
    expect(alone!.note).toContain('no direct baseline');
    // A stream workload does not cross a downstream toxic; a partial overlap does not count.
    const stream = workload('s', 'udp-stream', {}, { histograms: { one_way_delay_ms: histogram(50, 51) } });
    expect(calibrate([latency], [], [stream])[0]!.achieved).toBeNull();
    const partial = { ...latency, plannedUntilMs: 1000, removedAtMs: 1000 };
    expect(calibrate([partial], [], [through])[0]!.achieved).toBeNull();
    // Two latency toxics on one path cannot be told apart.
    const second = fault('faults[1]', 'udp_path', 'latency', 'upstream', { latency: 20 });
    expect(calibrate([latency, second], [], [through]).every((r) => r.achieved === null)).toBe(true);
  });

  it('derives a bandwidth limit from goodput, per connection on TCP', () => {
    const bandwidth = fault('faults[0]', 'tcp_path', 'bandwidth', 'upstream', { rate: 100 });
    const stream = workload('bulk', 'tcp-stream', { goodput_bytes_per_sec: 196_000, connections_total: 2, bytes_received_total: 400_000 });
    const [row] = calibrate([bandwidth], [ledger('tcp_path', 'tcp', [])], [stream]);
    expect(row).toMatchObject({ quantity: 'rate_bytes_per_sec', requested: 100_000, achieved: 98_000, samples: 400_000 });
    expect(row!.note).toContain('divided by its 2 connections');
    expect(calibrate([bandwidth], [], [workload('echo', 'tcp-echo', {})])[0]!.achieved).toBeNull();
  });
});
