import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/manual-clock.js';
import { SignalBox } from './signal-box.js';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('returns done when the promise wins, and leaves no timer behind', async () => {
    const clock = new ManualClock();
    const outcome = waitFor(Promise.resolve(), clock, 1000);
    expect(await outcome).toBe('done');
    expect(clock.pending()).toBe(0);
  });

  it('returns timeout when time runs out first', async () => {
    const clock = new ManualClock();
    const outcome = waitFor(new Promise(() => {}), clock, 50);
    await clock.advance(50);
    expect(await outcome).toBe('timeout');
  });

  it('returns aborted when the signal aborts, and removes its listener', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const outcome = waitFor(new Promise(() => {}), clock, 50, controller.signal);
    controller.abort();
    expect(await outcome).toBe('aborted');
    expect(clock.pending()).toBe(0);
  });

  it('returns aborted at once for a signal that aborted before the wait (a workload closing after its deadline)', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    controller.abort();
    expect(await waitFor(new Promise(() => {}), clock, 5000, controller.signal)).toBe('aborted');
    expect(clock.pending()).toBe(0);
  });
});

describe('SignalBox', () => {
  it('wakes every waiter on notify, and an aborted signal at once', async () => {
    const box = new SignalBox();
    let woken = 0;
    const a = box.wait().then(() => woken++);
    const b = box.wait().then(() => woken++);
    box.notify();
    await Promise.all([a, b]);
    expect(woken).toBe(2);
    const controller = new AbortController();
    controller.abort();
    await box.wait(controller.signal);
  });
});
