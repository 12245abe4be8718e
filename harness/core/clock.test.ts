import { describe, expect, it } from 'vitest';
import { SystemClock } from './clock.js';
import { ManualClock } from './manual-clock.js';

describe('ManualClock', () => {
  it('fires callbacks in deadline order, at their deadlines', async () => {
    const clock = new ManualClock();
    const fired: Array<[string, number]> = [];
    clock.scheduleAt(30, () => fired.push(['c', clock.now()]));
    clock.scheduleAt(10, () => fired.push(['a', clock.now()]));
    clock.scheduleAt(10, () => fired.push(['b', clock.now()]));
    await clock.advance(20);
    expect(fired).toEqual([['a', 10], ['b', 10]]);
    expect(clock.now()).toBe(20);
    await clock.advance(20);
    expect(fired.at(-1)).toEqual(['c', 30]);
  });

  it('lets async code resume at the virtual instant it slept to', async () => {
    const clock = new ManualClock();
    const log: number[] = [];
    const task = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        log.push(clock.now());
      }
    })();
    await clock.advance(1000);
    await task;
    expect(log).toEqual([100, 200, 300]);
  });

  it('sleep resolves aborted at once when the signal aborts, and cancels its timer', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    controller.abort();
    await expect(sleeping).resolves.toBe('aborted');
    expect(clock.pending()).toBe(0);
    await expect(clock.sleep(5, controller.signal)).resolves.toBe('aborted');
  });
});

describe('SystemClock', () => {
  it('waits for deadlines beyond what one Node timer can (2^31−1 ms) without firing or spinning', async () => {
    // Node fires a longer timer after 1 ms with a TimeoutOverflowWarning; re-armed each time,
    // that was a warning and a wake-up every millisecond for as long as the deadline was pending.
    const clock = new SystemClock();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    let fired = false;
    const timer = clock.scheduleAt(clock.now() + 3e9, () => (fired = true));
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(fired).toBe(false);
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      timer.cancel();
      process.off('warning', onWarning);
    }
  });

  it('never fires early and is within a few ms of the deadline', async () => {
    const clock = new SystemClock();
    const lateness: number[] = [];
    for (let i = 0; i < 20; i++) {
      const at = clock.now() + 5;
      await clock.sleepUntil(at);
      lateness.push(clock.now() - at);
    }
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
    // A generous upper bound: this is a correctness test, the benchmark measures precision.
    expect(Math.max(...lateness)).toBeLessThan(50);
  });

  it('serves many interleaved deadlines in order', async () => {
    const clock = new SystemClock();
    const start = clock.now();
    const order: number[] = [];
    await Promise.all(
      [9, 3, 7, 1, 5].map((ms) =>
        clock.sleepUntil(start + ms).then(() => {
          order.push(ms);
        }),
      ),
    );
    expect(order).toEqual([1, 3, 5, 7, 9]);
  });
});

describe('SystemClock timers', () => {
  it('disarms its coarse timer once every callback is cancelled, so nothing holds the process', async () => {
    const clock = new SystemClock();
    const a = clock.scheduleAt(clock.now() + 60_000, () => {});
    const b = clock.scheduleAt(clock.now() + 30_000, () => {});
    const handles = () => (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const armed = handles();
    a.cancel();
    b.cancel();
    b.cancel();
    expect(handles()).toBe(armed - 1);
    let fired = false;
    await clock.sleep(2).then(() => (fired = true));
    expect(fired).toBe(true);
  });
});
