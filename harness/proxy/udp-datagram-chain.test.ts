import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/manual-clock.js';
import { createRng } from '../core/rng.js';
import type { ToxicInput } from '../core/spec.js';
import { resolveToxic } from '../toxics/registry.js';
import type { Datagram } from '../toxics/types.js';
import { LedgerRecorder } from './ledger-recorder.js';
import { DatagramChain, type ReleaseLine } from './udp-datagram-chain.js';

/**
 * A release line as a test drives it: it keeps what it is handed; `send` plays the sender thread
 * sending one (it goes to `out`, as the sink would), `report` delivers the report to the chain.
 */
class FakeReleaseLine implements ReleaseLine {
  readonly waiting = new Map<number, { datagram: Datagram; dueMs: number; sent: () => void }>();
  readonly unreported: Array<() => void> = [];
  private nextTicket = 1;
  constructor(private readonly out: Array<{ index: number; atMs: number; data: Buffer }>) {}

  hold(datagram: Datagram, dueMs: number, sent: () => void): number {
    const ticket = this.nextTicket++;
    this.waiting.set(ticket, { datagram, dueMs, sent });
    return ticket;
  }

  recall(): number[] {
    const tickets = [...this.waiting.entries()].sort(([a, x], [b, y]) => x.dueMs - y.dueMs || a - b).map(([ticket]) => ticket);
    this.waiting.clear();
    return tickets;
  }

  /** The thread sends the earliest one (its report is not delivered yet). */
  send(): void {
    const [ticket, entry] = [...this.waiting.entries()].sort(([, x], [, y]) => x.dueMs - y.dueMs)[0]!;
    this.waiting.delete(ticket);
    this.out.push({ index: entry.datagram.index, atMs: entry.dueMs, data: entry.datagram.data });
    this.unreported.push(entry.sent);
  }

  report(): void {
    for (const sent of this.unreported.splice(0)) sent();
  }
}

function setup(seed = 1, options: { release?: boolean; clock?: ManualClock } = {}) {
  const clock = options.clock ?? new ManualClock();
  const ledger = new LedgerRecorder('p', 'udp', clock);
  const out: Array<{ index: number; atMs: number; data: Buffer }> = [];
  const line = options.release ? new FakeReleaseLine(out) : undefined;
  const chain = new DatagramChain({
    direction: 'upstream',
    clock,
    rng: createRng(seed),
    ledger,
    sink: (d) => out.push({ index: d.index, atMs: clock.now(), data: d.data }),
    ...(line ? { release: line } : {}),
  });
  let index = 0;
  const inject = (size = 10, receivedAt = clock.now()): Datagram => {
    const d: Datagram = { data: Buffer.alloc(size, index & 0xff), receivedAt, index: index++, session: '127.0.0.1:1' };
    chain.inject(d);
    return d;
  };
  const add = (toxic: ToxicInput) => chain.add(resolveToxic('udp', { stream: 'upstream', ...toxic }));
  const counters = (name: string) => ledger.snapshot().toxics.find((t) => t.name === name)!.counters;
  return { clock, ledger, out, chain, inject, add, counters, line: line! };
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

  it('delays count from when the kernel received the datagram, not from when it was read', async () => {
    const { clock, out, inject, add } = setup();
    await clock.advance(100);
    add({ name: 'slow', type: 'latency', attributes: { latency: 10 } });
    inject(10, 95); // read 5 ms after it arrived
    await clock.advance(4);
    expect(out).toEqual([]);
    await clock.advance(1);
    expect(out.map((o) => o.atMs)).toEqual([105]);
  });

  it('delays in sequence add up from when each was due, however late its timer fired', async () => {
    // Timers that fire 4 ms late, like a busy event loop.
    const inner = new ManualClock(0);
    const late = Object.assign(Object.create(inner) as ManualClock, {
      scheduleAt: (atMs: number, callback: () => void) => inner.scheduleAt(atMs + 4, callback),
    });
    const { out, inject, add } = setup(1, { clock: late });
    add({ name: 'first', type: 'latency', attributes: { latency: 10 } });
    add({ name: 'second', type: 'latency', attributes: { latency: 10 } });
    inject();
    await inner.advance(30);
    // Due at 20, fired 4 ms late once; counting from the late firing would have made it 28.
    expect(out.map((o) => o.atMs)).toEqual([24]);
  });

  describe('with a release line (the native sender thread)', () => {
    it('the last stage hands it what it holds; those count as held until reported', async () => {
      const { clock, out, inject, add, chain, line } = setup(1, { release: true });
      add({ name: 'slow', type: 'latency', attributes: { latency: 10 } });
      inject();
      inject();
      expect([...line.waiting.values()].map((w) => [w.datagram.index, w.dueMs])).toEqual([
        [0, 10],
        [1, 10],
      ]);
      expect(clock.pending()).toBe(0); // no timers: the line keeps the time
      expect(chain.heldCount()).toBe(2);
      let drained = false;
      void chain.drained().then(() => (drained = true));
      line.send();
      line.report();
      expect(chain.heldCount()).toBe(1);
      line.send();
      line.report();
      await Promise.resolve();
      expect(chain.heldCount()).toBe(0);
      expect(drained).toBe(true);
      expect(out.map((o) => o.index)).toEqual([0, 1]);
    });

    it('a stage that is not last holds on timers', () => {
      const { clock, inject, add, line } = setup(1, { release: true });
      add({ name: 'slow', type: 'latency', attributes: { latency: 10 } });
      add({ name: 'mark', type: 'noop' });
      inject();
      expect(line.waiting.size).toBe(0);
      expect(clock.pending()).toBe(1);
    });

    it('a stage added behind takes them back to timers, due as before, so they pass through it', async () => {
      const { clock, out, inject, add, counters, line } = setup(1, { release: true });
      add({ name: 'slow', type: 'latency', attributes: { latency: 10 } });
      inject();
      await clock.advance(3);
      inject();
      add({ name: 'hole', type: 'timeout' });
      expect(line.waiting.size).toBe(0);
      await clock.advance(9);
      expect(counters('hole').dropped_blackhole).toBe(1);
      await clock.advance(1);
      expect(counters('hole').dropped_blackhole).toBe(2);
      expect(out).toEqual([]);
    });

    it('removing the holding stage takes them back and releases them at once', async () => {
      const { clock, out, inject, add, chain, line } = setup(1, { release: true });
      add({ name: 'slow', type: 'latency', attributes: { latency: 10 } });
      inject();
      inject();
      await clock.advance(4);
      chain.remove('slow');
      expect(line.waiting.size).toBe(0);
      expect(chain.heldCount()).toBe(0);
      expect(out.map((o) => [o.index, o.atMs])).toEqual([
        [0, 4],
        [1, 4],
      ]);
    });

    it('dropAll takes back and drops what was not sent; a datagram already sent stays held until its report', async () => {
      const { inject, add, chain, line, ledger } = setup(1, { release: true });
      add({ name: 'slow', type: 'latency', attributes: { latency: 10 } });
      for (let i = 0; i < 3; i++) inject();
      line.send();
      expect(chain.dropAll()).toBe(2);
      expect(ledger.snapshot().directions.upstream.dropped_down).toBe(2);
      expect(chain.heldCount()).toBe(1);
      let drained = false;
      void chain.drained().then(() => (drained = true));
      await Promise.resolve();
      expect(drained).toBe(false);
      line.report();
      await Promise.resolve();
      expect(drained).toBe(true);
    });
  });
});
