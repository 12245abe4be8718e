import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/manual-clock.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { MAX_BURST, runSendLoop } from './send-schedule.js';

describe('runSendLoop (absolute schedule)', () => {
  it('sends unit i at start + i/rate, never early, with zero lateness on a punctual clock', async () => {
    const clock = new ManualClock(1000);
    const sentAt: number[] = [];
    const lateness = new LatencyHistogram();
    const loop = runSendLoop({
      clock,
      signal: new AbortController().signal,
      startMs: 1000,
      rate: 100,
      lateness,
      sendNext: () => (sentAt.length < 5 ? (sentAt.push(clock.now()), 1) : null),
    });
    await clock.advance(100);
    expect(await loop.done).toBe('done');
    expect(sentAt).toEqual([1000, 1010, 1020, 1030, 1040]);
    expect(lateness.summarize()).toMatchObject({ count: 5, max: 0 });
  });

  it('a late wake-up sends everything due at once, and lateness records how late', async () => {
    // A clock whose timers fire 4 ms late, like a busy event loop.
    const inner = new ManualClock(0);
    const clock = Object.assign(Object.create(inner) as ManualClock, {
      scheduleAt: (atMs: number, callback: () => void) => inner.scheduleAt(atMs + 4, callback),
    });
    const due: number[] = [];
    const sentAt: number[] = [];
    const lateness = new LatencyHistogram();
    const loop = runSendLoop({
      clock,
      signal: new AbortController().signal,
      startMs: 0,
      rate: 1000,
      lateness,
      sendNext: (d) => (due.length < 10 ? (due.push(d), sentAt.push(inner.now()), 1) : null),
    });
    await inner.advance(20);
    expect(await loop.done).toBe('done');
    expect(due).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Unit 1 was due at 1 ms; the wake-up came at 5 ms and sent units 1..5 together.
    expect(sentAt).toEqual([0, 5, 5, 5, 5, 5, 10, 10, 10, 10]);
    expect(lateness.summarize()).toMatchObject({ count: 10, min: 0, max: 4 });
  });

  it('byte rates: the next unit is due once the bytes already sent have had their time', async () => {
    const clock = new ManualClock(0);
    const sentAt: number[] = [];
    const loop = runSendLoop({ clock, signal: new AbortController().signal, startMs: 0, rate: 1000, sendNext: () => (sentAt.length < 3 ? (sentAt.push(clock.now()), 500) : null) });
    await clock.advance(2000);
    await loop.done;
    expect(sentAt).toEqual([0, 500, 1000]);
  });

  it('stops at endAtMs without sending what is due after it', async () => {
    const clock = new ManualClock(0);
    let sent = 0;
    const loop = runSendLoop({ clock, signal: new AbortController().signal, startMs: 0, rate: 100, endAtMs: 95, sendNext: () => (sent++, 1) });
    await clock.advance(200);
    expect(await loop.done).toBe('ended');
    expect(sent).toBe(10);
  });

  it('abort and stop end the loop', async () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const aborted = runSendLoop({ clock, signal: controller.signal, startMs: 0, rate: 1, sendNext: () => 1 });
    controller.abort();
    expect(await aborted.done).toBe('aborted');
    const stopped = runSendLoop({ clock, signal: new AbortController().signal, startMs: 0, rate: 1, sendNext: () => 1 });
    stopped.stop();
    expect(await stopped.done).toBe('stopped');
    expect(clock.pending()).toBe(0);
  });

  it('unpaced: bursts of MAX_BURST, flushing after each', async () => {
    const clock = new ManualClock(0);
    let sent = 0;
    const flushedAt: number[] = [];
    const loop = runSendLoop({
      clock,
      signal: new AbortController().signal,
      startMs: 0,
      rate: 'max',
      sendNext: () => (sent < MAX_BURST * 2 + 1 ? (sent++, 1) : null),
      flush: () => flushedAt.push(sent),
    });
    expect(await loop.done).toBe('done');
    expect(flushedAt).toEqual([MAX_BURST, MAX_BURST * 2, MAX_BURST * 2 + 1]);
  });
});
