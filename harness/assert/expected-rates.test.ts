import { describe, expect, it } from 'vitest';
import type { FaultRecord } from '../core/result.js';
import { createRng } from '../core/rng.js';
import type { Direction } from '../core/spec.js';
import { expectedRates } from './expected-rates.js';
import { gilbertElliottDesignEffect } from './statistics.js';
import { toxicFault, wireFault, type FaultExtra } from '../test/fault-records.js';

let nextId = 0;
/** A toxic fault on `udp_path` (or, with `proxy: 'tcp_…'`, on a TCP proxy). */
function toxic(type: string, stream: Direction, attributes: Record<string, number>, extra: FaultExtra = {}): FaultRecord {
  const proxy = extra.proxy ?? 'udp_path';
  return toxicFault(proxy.startsWith('tcp') ? 'tcp' : 'udp', type, stream, attributes, { id: `faults[${nextId++}]`, ...extra, proxy });
}

const echo = { proxy: 'udp_path', protocol: 'udp' as const, shape: 'round-trip' as const, workloadStartMs: 0, workloadDurationMs: 4000 };
const stream = { ...echo, shape: 'stream' as const };

describe('expectedRates', () => {
  it('is fault free without a proxy or without faults on it', () => {
    const direct = expectedRates({ ...echo, proxy: undefined, faults: [toxic('loss', 'upstream', { probability: 0.5 })] });
    expect(direct.lost_ratio).toEqual({ ratio: 0, designEffect: 1, basis: ['no proxy: traffic went straight to the target'] });
    expect(direct.delivered_ratio.ratio).toBe(1);
    const other = expectedRates({ ...echo, faults: [toxic('loss', 'upstream', { probability: 0.5 }, { proxy: 'tcp_path' })] });
    expect(other.lost_ratio.ratio).toBe(0);
  });

  it('combines both legs of a round trip, and only the upstream of a stream', () => {
    const faults = [toxic('loss', 'upstream', { probability: 0.1, burst: 1 }), toxic('loss', 'downstream', { probability: 0.2, burst: 1 })];
    const rt = expectedRates({ ...echo, faults });
    expect(rt.lost_ratio.ratio).toBeCloseTo(1 - 0.9 * 0.8, 12);
    expect(rt.delivered_ratio.ratio).toBeCloseTo(0.9 * 0.8, 12);
    expect(rt.lost_ratio.designEffect).toBe(1);
    expect(rt.lost_ratio.basis).toHaveLength(2);
    expect(rt.lost_ratio.basis[0]).toMatch(/^faults\[\d+\]: loss 10% upstream on udp_path, 100% of the workload's time$/);
    expect(expectedRates({ ...stream, faults }).lost_ratio.ratio).toBeCloseTo(0.1, 12);
  });

  it('multiplies probability by toxicity and carries the burst design effect', () => {
    expect(expectedRates({ ...echo, faults: [toxic('loss', 'upstream', { probability: 0.2 }, { toxicity: 0.5 })] }).lost_ratio.ratio).toBeCloseTo(0.1, 12);
    const burst = expectedRates({ ...stream, faults: [toxic('loss', 'upstream', { probability: 0.1, burst: 4 })] });
    expect(burst.lost_ratio.ratio).toBeCloseTo(0.1, 12);
    expect(burst.lost_ratio.designEffect).toBeCloseTo(gilbertElliottDesignEffect(0.1, 4), 10);
    expect(burst.lost_ratio.basis[0]).toContain('loss 10% (burst 4) upstream');
  });

  it('weights faults by their overlap with the workload, preferring applied times', () => {
    const partial = toxic('loss', 'upstream', { probability: 0.2 }, { plannedAtMs: 1000, plannedUntilMs: 2000 });
    const rates = expectedRates({ ...echo, faults: [partial] });
    expect(rates.lost_ratio.ratio).toBeCloseTo(0.05, 12);
    expect(rates.lost_ratio.basis[0]).toContain('25% of the workload');
    const late = { ...partial, appliedAtMs: 1500, removedAtMs: 2000 };
    expect(expectedRates({ ...echo, faults: [late] }).lost_ratio.ratio).toBeCloseTo(0.025, 12);
    // Workload starting later: the window moves with it.
    expect(expectedRates({ ...echo, workloadStartMs: 1000, workloadDurationMs: 2000, faults: [partial] }).lost_ratio.ratio).toBeCloseTo(0.1, 12);
    // Overlapping faults multiply survival where they overlap.
    const a = toxic('loss', 'upstream', { probability: 0.5 }, { plannedAtMs: 0, plannedUntilMs: 2000 });
    const b = toxic('loss', 'upstream', { probability: 0.5 }, { plannedAtMs: 1000 });
    // 0–1 s: 0.5, 1–2 s: 0.75, 2–4 s: 0.5 → (0.5 + 0.75 + 1.0) / 4
    expect(expectedRates({ ...stream, faults: [a, b] }).lost_ratio.ratio).toBeCloseTo((0.5 + 0.75 + 0.5 * 2) / 4, 12);
  });

  it('counts a down proxy and a blackhole as total loss while they last', () => {
    const down: FaultRecord = { id: 'faults[9]', proxy: 'udp_path', kind: 'down', plannedAtMs: 1000, plannedUntilMs: 2000 };
    const rates = expectedRates({ ...echo, faults: [down] });
    expect(rates.lost_ratio.ratio).toBeCloseTo(0.25, 12);
    expect(rates.lost_ratio.basis[0]).toBe("faults[9]: udp_path down, 25% of the workload's time");
    const blackhole = toxic('timeout', 'downstream', { timeout: 0 }, { plannedAtMs: 3000 });
    expect(expectedRates({ ...echo, faults: [blackhole] }).lost_ratio.ratio).toBeCloseTo(0.25, 12);
    expect(expectedRates({ ...stream, faults: [blackhole] }).lost_ratio.ratio).toBe(0);
  });

  it('skips faults that failed to apply, with a note', () => {
    const failed = toxic('loss', 'upstream', { probability: 0.5 }, { error: { code: 'INVALID_TOXIC_ATTRIBUTE', message: 'bad' } });
    const rates = expectedRates({ ...echo, faults: [failed] });
    expect(rates.lost_ratio.ratio).toBe(0);
    expect(rates.notes[0]).toContain('failed to apply (bad)');
  });

  it('predicts duplicates, reordering and corruption per leg', () => {
    const dupUp = toxic('duplicate', 'upstream', { probability: 0.1 });
    const dupDown = toxic('duplicate', 'downstream', { probability: 0.1 });
    const one = expectedRates({ ...echo, faults: [dupUp] }).duplicated_ratio;
    expect(one.ratio).toBeCloseTo(0.1, 12);
    expect(one.designEffect).toBe(1);
    const both = expectedRates({ ...echo, faults: [dupUp, dupDown] }).duplicated_ratio;
    expect(both.ratio).toBeCloseTo(1.1 * 1.1 - 1, 12);
    expect(both.designEffect).toBeGreaterThan(1);
    const reorder = expectedRates({ ...echo, faults: [toxic('reorder', 'upstream', { probability: 0.1, delay: 10 })] });
    expect(reorder.reordered_ratio.ratio).toBeCloseTo(0.1, 12);
    expect(reorder.notes.some((n) => n.includes('overtakes'))).toBe(true);
    const corrupt = expectedRates({ ...echo, faults: [toxic('corrupt', 'upstream', { probability: 0.1 }), toxic('corrupt', 'downstream', { probability: 0.1 })] });
    expect(corrupt.corrupted_ratio.ratio).toBeCloseTo(0.19, 12);
  });

  it('the design effect of copies on an echo path matches simulation', () => {
    const d = 0.3;
    const rates = expectedRates({ ...echo, faults: [toxic('duplicate', 'upstream', { probability: d }), toxic('duplicate', 'downstream', { probability: d })] });
    const rng = createRng(5);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const requests = rng.next() < d ? 2 : 1;
      let copies = 0;
      for (let r = 0; r < requests; r++) copies += rng.next() < d ? 2 : 1;
      sum += copies - 1;
      sumSq += (copies - 1) ** 2;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    expect(mean).toBeCloseTo(rates.duplicated_ratio.ratio, 2);
    expect(variance / (mean * (1 - mean))).toBeCloseTo(rates.duplicated_ratio.designEffect, 1);
  });

  it('marks what it cannot predict', () => {
    const bandwidth = expectedRates({ ...echo, faults: [toxic('bandwidth', 'upstream', { rate: 100, queue: 10 })] });
    expect(bandwidth.lost_ratio.unknown).toContain('queue overflows');
    expect(bandwidth.delivered_ratio.unknown).toBeDefined();
    expect(bandwidth.duplicated_ratio.unknown).toBeUndefined();
    const jitter = expectedRates({ ...echo, faults: [toxic('latency', 'downstream', { latency: 50, jitter: 20 })] });
    expect(jitter.reordered_ratio.unknown).toContain('jitter');
    expect(jitter.lost_ratio.unknown).toBeUndefined();
  });

  it('expects nothing lost on TCP, except when connections are cut', () => {
    const tcp = { ...echo, proxy: 'tcp_path', protocol: 'tcp' as const };
    const lossy = expectedRates({ ...tcp, faults: [toxic('loss', 'upstream', { probability: 0.3 }, { proxy: 'tcp_path' })] });
    expect(lossy.lost_ratio.ratio).toBe(0);
    expect(lossy.delivered_ratio.ratio).toBe(1);
    expect(lossy.lost_ratio.unknown).toBeUndefined();
    expect(lossy.notes[0]).toContain('never lose');
    const reset = expectedRates({ ...tcp, faults: [toxic('reset_peer', 'downstream', { timeout: 100 }, { proxy: 'tcp_path' })] });
    expect(reset.lost_ratio.unknown).toContain('closes or refuses connections');
    expect(reset.duplicated_ratio.unknown).toBeUndefined();
    // Any toxic that declares it cuts connections, whatever its name.
    const cut = expectedRates({ ...tcp, faults: [toxic('reset_after', 'upstream', { bytes: 1000 }, { proxy: 'tcp_path' })] });
    expect(cut.lost_ratio.unknown).toContain('closes or refuses connections');
  });
});

describe('expectedRates on a wire path (segment-level TCP)', () => {
  const wire = (type: string, stream: Direction, attributes: Record<string, number>, extra: Partial<Parameters<typeof wireFault>[3]> = {}) =>
    wireFault(type, stream, attributes, { id: `faults[${nextId++}]`, proxy: 'path', appliedAtMs: 0, ...extra });
  const tcpStream = { proxy: 'path', protocol: 'tcp' as const, shape: 'stream' as const, workloadStartMs: 1, workloadDurationMs: 3000 };
  const udpStream = { ...tcpStream, protocol: 'udp' as const };

  it('predicts no loss for TCP and a retransmission ratio equal to the upstream drops', () => {
    const rates = expectedRates({ ...tcpStream, faults: [wire('loss', 'upstream', { probability: 0.05 }), wire('corrupt', 'upstream', { probability: 0.02 }), wire('loss', 'downstream', { probability: 0.3 })] });
    expect(rates.lost_ratio.ratio).toBe(0);
    expect(rates.delivered_ratio.ratio).toBe(1);
    expect(rates.tcp_retransmit_ratio.ratio).toBeCloseTo(1 - 0.95 * 0.98, 12);
    expect(rates.tcp_retransmit_ratio.basis).toHaveLength(2);
    expect(rates.notes.join(' ')).toMatch(/retransmitted by the kernel/);
    // The same corruption is a loss for UDP: the receiving kernel drops what fails its checksum.
    const udp = expectedRates({ ...udpStream, faults: [wire('corrupt', 'upstream', { probability: 0.02 })] });
    expect(udp.lost_ratio.ratio).toBeCloseTo(0.02, 12);
    expect(udp.corrupted_ratio.ratio).toBe(0);
    expect(udp.tcp_retransmit_ratio.unknown).toMatch(/UDP/);
  });

  it('counts a fault matched to one transport for that transport only', () => {
    const faults = [wire('loss', 'upstream', { probability: 0.1 }, { match: { protocol: 'udp' } })];
    expect(expectedRates({ ...tcpStream, faults }).tcp_retransmit_ratio).toMatchObject({ ratio: 0, basis: [expect.stringMatching(/no faults on path/)] });
    expect(expectedRates({ ...udpStream, faults }).lost_ratio.ratio).toBeCloseTo(0.1, 12);
    const reset = [wire('reset', 'downstream', {}, { match: { protocol: 'tcp' } })];
    expect(expectedRates({ ...udpStream, shape: 'round-trip', faults: reset }).lost_ratio.unknown).toBeUndefined();
    expect(expectedRates({ ...tcpStream, faults: reset }).lost_ratio.unknown).toMatch(/closes or refuses connections/);
  });

  it('predicts no retransmission ratio for a drop present part of the run, or one that stalls TCP', () => {
    const partial = expectedRates({ ...tcpStream, faults: [wire('loss', 'upstream', { probability: 0.1 }, { appliedAtMs: 1000, removedAtMs: 2000 })] });
    expect(partial.tcp_retransmit_ratio.unknown).toMatch(/part of the run/);
    const mtu = expectedRates({ ...tcpStream, faults: [wire('mtu', 'upstream', { mtu: 1000 })] });
    expect(mtu.tcp_retransmit_ratio.unknown).toMatch(/stalls or cuts TCP/);
    const burst = expectedRates({ ...tcpStream, faults: [wire('loss', 'upstream', { probability: 0.1, burst: 4 })] });
    expect(burst.tcp_retransmit_ratio.designEffect).toBeCloseTo(gilbertElliottDesignEffect(0.1, 4), 10);
  });
});
