import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../core/errors.js';
import { ManualClock } from '../../core/manual-clock.js';
import { createRng } from '../../core/rng.js';
import { resolveToxic, toxicTypeNames } from '../registry.js';
import type { DatagramToxicType } from '../types.js';
import { bandwidth } from './bandwidth.js';
import { corrupt } from './corrupt.js';
import { driveDatagramToxic } from './drive-datagram-toxic.js';
import { duplicate } from './duplicate.js';
import { latency } from './latency.js';
import { limitData } from './limit-data.js';
import { loss } from './loss.js';
import { noop } from './noop.js';
import { reorder } from './reorder.js';
import { timeout } from './timeout.js';

function drive(type: DatagramToxicType, attributes: Record<string, number>, seed = 1, clock = new ManualClock()) {
  return driveDatagramToxic(type, attributes, { clock, rng: createRng(seed).fork('upstream/t') });
}

function bitsDiffering(a: Buffer, b: Buffer): number {
  let bits = 0;
  for (let i = 0; i < a.length; i++) {
    let x = a[i]! ^ b[i]!;
    while (x) {
      bits += x & 1;
      x >>= 1;
    }
  }
  return bits;
}

describe('UDP toxic registration', () => {
  it('registers every datagram toxic in documentation order', () => {
    expect(toxicTypeNames('udp')).toEqual(['noop', 'latency', 'loss', 'reorder', 'duplicate', 'corrupt', 'bandwidth', 'timeout', 'limit_data']);
  });

  it('fills defaults and validates strictly', () => {
    expect(resolveToxic('udp', { type: 'reorder', attributes: { probability: 0.2 } })).toEqual({
      name: 'reorder_downstream',
      type: 'reorder',
      stream: 'downstream',
      toxicity: 1,
      attributes: { probability: 0.2, delay: 10 },
    });
    expect(() => resolveToxic('udp', { type: 'loss', attributes: { probability: 1.5 } })).toThrow(
      'attributes.probability: must be at most 1 (probability), got 1.5',
    );
    expect(() => resolveToxic('udp', { type: 'bandwidth', attributes: { rate: 0 } })).toThrow('must be at least 0.001');
    expect(() => resolveToxic('udp', { type: 'bandwidth', attributes: { queue: 0 } })).toThrow('must be at least 1');
    expect(() => resolveToxic('udp', { type: 'latency', attributes: { delay: 5 } })).toThrow('unknown attribute "delay"');
    expect(() => resolveToxic('udp', { type: 'loss', attributes: { probability: 0.7, burst: 2 } })).toThrow(
      'with burst 2, probability can be at most burst/(1+burst) = 0.6667, got 0.7',
    );
  });

  it('rejects a TCP-only type on a UDP proxy, listing what UDP supports', () => {
    let caught: unknown;
    try {
      resolveToxic('udp', { type: 'slicer' });
    } catch (error) {
      caught = error;
    }
    expect(isFaultlineError(caught) && caught.code).toBe('INVALID_TOXIC_TYPE');
    expect((caught as Error).message).toBe(
      'invalid toxic type: "slicer" is a TCP toxic; UDP proxies support noop, latency, loss, reorder, duplicate, corrupt, bandwidth, timeout, limit_data',
    );
  });
});

describe('noop', () => {
  it('passes every datagram unchanged and immediately', () => {
    const d = drive(noop, {});
    const sent = [d.send(Buffer.from('a')), d.send(0), d.send(Buffer.from('bc'))];
    expect(d.delivered()).toEqual(sent);
    expect(d.emitted.map((e) => e.atMs)).toEqual([0, 0, 0]);
  });
});

describe('latency', () => {
  it('delays every datagram by exactly latency without jitter', async () => {
    const clock = new ManualClock(100);
    const d = drive(latency, { latency: 50 }, 1, clock);
    d.send(10);
    await clock.advance(3);
    d.send(10);
    expect(d.emitted.map((e) => e.atMs)).toEqual([150, 153]);
    expect(d.counters).toEqual({ delayed: 2 });
  });

  it('spreads delays uniformly within latency ± jitter, clamped at 0, and jitter reorders', () => {
    const clock = new ManualClock();
    const d = drive(latency, { latency: 5, jitter: 20 }, 7, clock);
    for (let i = 0; i < 2000; i++) d.send(1); // all at one instant: delays are relative to arrival
    const delays = d.emitted.map((e) => e.atMs);
    expect(Math.min(...delays)).toBe(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(25);
    expect(Math.max(...delays)).toBeGreaterThan(24);
    // Uniform on [-15, 25] clamped: P(0) = 15/40.
    const zeros = delays.filter((x) => x === 0).length;
    expect(zeros / 2000).toBeGreaterThan(0.32);
    expect(zeros / 2000).toBeLessThan(0.43);
    const order = d.delivered().map((x) => x.index);
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
  });

  it('zero latency emits immediately and counts nothing', () => {
    const d = drive(latency, {});
    d.send(5);
    expect(d.emitted[0]!.atMs).toBe(0);
    expect(d.counters).toEqual({});
  });
});

describe('loss', () => {
  it('probability 1 drops everything, 0 nothing', () => {
    const all = drive(loss, { probability: 1 });
    for (let i = 0; i < 10; i++) all.send(1);
    expect(all.emitted).toHaveLength(0);
    expect(all.drops).toEqual(Array.from({ length: 10 }, (_, index) => ({ index, reason: 'dropped_loss' })));
    const none = drive(loss, { probability: 0 });
    for (let i = 0; i < 10; i++) none.send(1);
    expect(none.emitted).toHaveLength(10);
    expect(none.counters).toEqual({});
  });

  it('an update continues a burst in progress (the chain state lives in ctx.state)', () => {
    const d = drive(loss, { probability: 0.5, burst: 1000 }, 3);
    while (d.drops.length === 0) d.send(1);
    d.update({ probability: 0.4 });
    // Mean burst 1000: the next datagrams are almost surely still lost (P(leave) = 1/1000 each).
    const before = d.drops.length;
    for (let i = 0; i < 5; i++) d.send(1);
    expect(d.drops.length - before).toBeGreaterThanOrEqual(4);
  });
});

describe('reorder', () => {
  it('holds the chosen datagrams back by delay and counts them', () => {
    const d = drive(reorder, { probability: 1, delay: 7 });
    d.send(1);
    d.send(1);
    expect(d.emitted.map((e) => e.atMs)).toEqual([7, 7]);
    expect(d.counters).toEqual({ reordered: 2 });
  });

  it('later datagrams overtake a held one', async () => {
    const clock = new ManualClock();
    const d = drive(reorder, { probability: 0.3, delay: 10 }, 11, clock);
    for (let i = 0; i < 100; i++) {
      d.send(1);
      await clock.advance(1);
    }
    const order = d.delivered().map((x) => x.index);
    expect(new Set(order).size).toBe(100);
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
    expect(d.counters.reordered).toBeGreaterThan(10);
  });
});

describe('duplicate', () => {
  it('emits the chosen datagrams twice, back to back, with the same payload', () => {
    const d = drive(duplicate, { probability: 1 });
    const a = d.send(Buffer.from('x'));
    const b = d.send(Buffer.from('y'));
    expect(d.delivered()).toEqual([a, a, b, b]);
    expect(d.counters).toEqual({ duplicated: 2 });
  });
});

describe('corrupt', () => {
  it('flips exactly one bit of a copy, leaving the original intact', () => {
    const d = drive(corrupt, { probability: 1 }, 5);
    for (let i = 0; i < 200; i++) {
      const original = Buffer.from([0x00, 0xff, 0x5a, i & 0xff]);
      const before = Buffer.from(original);
      const sent = d.send(original);
      const out = d.emitted.at(-1)!.datagram;
      expect(out.index).toBe(sent.index);
      expect(original.equals(before)).toBe(true);
      expect(bitsDiffering(original, out.data)).toBe(1);
    }
    expect(d.counters).toEqual({ corrupted: 200 });
  });

  it('passes empty datagrams unchanged and uncounted', () => {
    const d = drive(corrupt, { probability: 1 });
    const sent = d.send(0);
    expect(d.delivered()).toEqual([sent]);
    expect(d.counters).toEqual({});
  });
});

describe('bandwidth', () => {
  it('serialises datagrams back to back on an absolute schedule', async () => {
    const clock = new ManualClock();
    // 1 KB/s = 1 byte/ms: a 100-byte datagram occupies the wire for 100 ms.
    const d = drive(bandwidth, { rate: 1, queue: 10 }, 1, clock);
    d.send(100);
    d.send(100);
    d.send(50);
    expect(d.emitted.map((e) => e.atMs)).toEqual([100, 200, 250]);
    await clock.advanceTo(1000);
    d.send(100); // the wire is idle again: starts now
    expect(d.emitted.at(-1)!.atMs).toBe(1100);
    expect(d.counters).toEqual({ delayed: 4 });
  });

  it('drops arrivals when queue datagrams already wait behind the one on the wire', async () => {
    const clock = new ManualClock();
    const d = drive(bandwidth, { rate: 1, queue: 2 }, 1, clock);
    for (let i = 0; i < 5; i++) d.send(100); // 1 on the wire + 2 waiting; 2 dropped
    expect(d.emitted.map((e) => e.datagram.index)).toEqual([0, 1, 2]);
    expect(d.drops).toEqual([
      { index: 3, reason: 'dropped_queue' },
      { index: 4, reason: 'dropped_queue' },
    ]);
    await clock.advanceTo(150); // #0 left at 100: #1 on the wire, #2 waiting → room for one
    d.send(100);
    d.send(100);
    expect(d.emitted.map((e) => [e.datagram.index, e.atMs])).toEqual([
      [0, 100],
      [1, 200],
      [2, 300],
      [5, 400],
    ]);
    expect(d.drops.at(-1)).toEqual({ index: 6, reason: 'dropped_queue' });
  });

  it('keeps the schedule across a rate update', () => {
    const d = drive(bandwidth, { rate: 1 });
    d.send(100);
    d.update({ rate: 2 });
    d.send(100);
    expect(d.emitted.map((e) => e.atMs)).toEqual([100, 150]);
  });
});

describe('timeout', () => {
  it('drops every datagram, whatever timeout says', () => {
    for (const t of [0, 1000]) {
      const d = drive(timeout, { timeout: t });
      d.send(1);
      d.send(2);
      expect(d.emitted).toHaveLength(0);
      expect(d.counters).toEqual({ dropped_blackhole: 2 });
    }
  });
});

describe('limit_data', () => {
  it('forwards whole datagrams within the budget, then drops everything, across updates', () => {
    const d = drive(limitData, { bytes: 250 });
    for (let i = 0; i < 3; i++) d.send(100);
    d.send(10); // would fit in the 50 bytes left, but the gate is closed
    expect(d.emitted.map((e) => e.datagram.index)).toEqual([0, 1]);
    expect(d.drops.map((x) => x.index)).toEqual([2, 3]);
    d.update({ bytes: 10_000 });
    d.send(1);
    expect(d.emitted).toHaveLength(2);
    expect(d.counters).toEqual({ dropped_limit: 3 });
  });

  it('bytes 0 drops everything but empty datagrams before the first drop', () => {
    const d = drive(limitData, { bytes: 0 });
    d.send(0);
    d.send(1);
    d.send(0);
    expect(d.emitted.map((e) => e.datagram.index)).toEqual([0]);
  });
});
