import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/manual-clock.js';
import { createRng } from '../core/rng.js';
import type { ToxicInput } from '../core/spec.js';
import { resolveToxic } from '../toxics/registry.js';
import type { Datagram } from '../toxics/types.js';
import { LedgerRecorder } from './ledger-recorder.js';
import { DatagramChain } from './udp-datagram-chain.js';

function setup(seed = 1) {
  const clock = new ManualClock();
  const ledger = new LedgerRecorder('p', 'udp', clock);
  const out: Array<{ index: number; atMs: number; data: Buffer }> = [];
  const chain = new DatagramChain({
    direction: 'upstream',
    clock,
    rng: createRng(seed),
    ledger,
    sink: (d) => out.push({ index: d.index, atMs: clock.now(), data: d.data }),
  });
  let index = 0;
  const inject = (size = 10): Datagram => {
    const d: Datagram = { data: Buffer.alloc(size, index & 0xff), receivedAt: clock.now(), index: index++, session: '127.0.0.1:1' };
    chain.inject(d);
    return d;
  };
  const add = (toxic: ToxicInput) => chain.add(resolveToxic('udp', { stream: 'upstream', ...toxic }));
  const counters = (name: string) => ledger.snapshot().toxics.find((t) => t.name === name)!.counters;
  return { clock, ledger, out, chain, inject, add, counters };
}

describe('DatagramChain', () => {
  it('sends straight to the sink without toxics, in order', () => {
    const { out, inject } = setup();
    for (let i = 0; i < 5; i++) inject();
    expect(out.map((o) => o.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it('resumes a delayed datagram with the stages after the delaying one', async () => {
    const { clock, out, inject, add, counters, ledger } = setup();
    add({ name: 'slow', type: 'latency', attributes: { latency: 10 } });
    add({ name: 'drop_all', type: 'loss', attributes: { probability: 1 } });
    inject();
    inject();
    expect(out).toEqual([]);
    expect(counters('drop_all')).toEqual({});
    await clock.advance(10);
    expect(out).toEqual([]);
    expect(counters('slow')).toEqual({ seen: 2, activations: 2, delayed: 2 });
    expect(counters('drop_all')).toEqual({ seen: 2, activations: 2, dropped_loss: 2 });
    expect(ledger.snapshot().events.map((e) => [e.toxic, e.action, e.datagram, e.bytes, e.atMs])).toEqual([
      ['drop_all', 'dropped_loss', 0, 10, 10],
      ['drop_all', 'dropped_loss', 1, 10, 10],
    ]);
  });

  it('a stage added while a datagram is held applies to it when it resumes', async () => {
    const { clock, out, inject, add, counters } = setup();
    add({ name: 'slow', type: 'latency', attributes: { latency: 10 } });
    inject();
    add({ name: 'hole', type: 'timeout' });
    await clock.advance(10);
    expect(out).toEqual([]);
    expect(counters('hole').dropped_blackhole).toBe(1);
  });

  it('removing a stage releases what it holds at once, in due order, and cancels its timers', async () => {
    const { clock, out, inject, add, chain } = setup(3);
    add({ name: 'jitter', type: 'latency', attributes: { latency: 50, jitter: 40 } });
    add({ name: 'mark', type: 'noop' });
    for (let i = 0; i < 20; i++) inject();
    expect(chain.heldCount()).toBe(20);
    await clock.advance(30);
    const early = out.length;
    expect(chain.remove('jitter')).toBe(true);
    expect(chain.heldCount()).toBe(0);
    expect(clock.pending()).toBe(0);
    expect(out).toHaveLength(20);
    expect(out.slice(early).every((o) => o.atMs === 30)).toBe(true);
    expect(chain.remove('jitter')).toBe(false);
  });

  it('an update keeps held datagrams on their schedule and continues the toxic state', async () => {
    const { clock, out, inject, add, chain } = setup();
    add({ name: 'slow', type: 'latency', attributes: { latency: 100 } });
    inject();
    chain.update(resolveToxic('udp', { name: 'slow', type: 'latency', stream: 'upstream', attributes: { latency: 1 } }));
    inject();
    await clock.advance(100);
    expect(out.map((o) => [o.index, o.atMs])).toEqual([
      [1, 1],
      [0, 100],
    ]);

    const limited = setup();
    limited.add({ name: 'cap', type: 'limit_data', attributes: { bytes: 25 } });
    limited.inject();
    limited.inject();
    limited.chain.update(resolveToxic('udp', { name: 'cap', type: 'limit_data', stream: 'upstream', attributes: { bytes: 30 } }));
    limited.inject(); // 20 + 10 fits 30: state (20 bytes passed) carried over
    limited.inject();
    expect(limited.out.map((o) => o.index)).toEqual([0, 1, 2]);
  });

  it('decides toxicity per datagram from its own stream', () => {
    const never = setup();
    never.add({ name: 'l', type: 'loss', toxicity: 0, attributes: { probability: 1 } });
    for (let i = 0; i < 100; i++) never.inject();
    expect(never.out).toHaveLength(100);
    expect(never.counters('l')).toEqual({ seen: 100 });

    const half = setup(9);
    half.add({ name: 'l', type: 'loss', toxicity: 0.5, attributes: { probability: 1 } });
    for (let i = 0; i < 2000; i++) half.inject();
    const c = half.counters('l');
    expect(c.seen).toBe(2000);
    expect(c.dropped_loss).toBe(c.activations);
    expect(half.out.length).toBe(2000 - c.activations!);
    // Binomial(2000, 0.5): sd ≈ 22; 6 sd.
    expect(Math.abs(c.activations! - 1000)).toBeLessThan(135);
  });

  it('dropAll cancels everything held and counts it as dropped_down', () => {
    const { clock, out, inject, add, chain, ledger } = setup();
    add({ name: 'slow', type: 'latency', attributes: { latency: 10 } });
    for (let i = 0; i < 3; i++) inject(7);
    expect(chain.dropAll()).toBe(3);
    expect(clock.pending()).toBe(0);
    expect(out).toEqual([]);
    const snapshot = ledger.snapshot();
    expect(snapshot.directions.upstream.dropped_down).toBe(3);
    expect(snapshot.events.map((e) => [e.action, e.datagram, e.bytes])).toEqual([
      ['dropped_down', 0, 7],
      ['dropped_down', 1, 7],
      ['dropped_down', 2, 7],
    ]);
  });

  it('replays the same fate for every datagram from the same seed', async () => {
    const run = async () => {
      const s = setup(77);
      s.add({ name: 'j', type: 'latency', toxicity: 0.7, attributes: { latency: 5, jitter: 5 } });
      s.add({ name: 'd', type: 'duplicate', attributes: { probability: 0.3 } });
      s.add({ name: 'l', type: 'loss', toxicity: 0.8, attributes: { probability: 0.2, burst: 2 } });
      s.add({ name: 'c', type: 'corrupt', attributes: { probability: 0.3 } });
      for (let i = 0; i < 300; i++) {
        s.inject(8);
        await s.clock.advance(1);
      }
      await s.clock.runAll();
      return { out: s.out.map((o) => [o.index, o.atMs, o.data.toString('hex')]), toxics: s.ledger.snapshot().toxics };
    };
    expect(await run()).toEqual(await run());
  });
});
